# qemu-user-static provides qemu-aarch64-static, which runs the arm64 test
# binaries of `make test-arm64` (mk/kernels.mk).
if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
	apt_install qemu-user-static
fi
