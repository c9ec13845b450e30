# SIMD kernels (core_amd64.s, core_arm64.s).
#
#   make test-arm64   the root package's tests as arm64 binaries under QEMU
#                     user-mode emulation, twice: QEMU's default "max" CPU
#                     (FEAT_BF16: the neon and bf16 paths run) and a
#                     cortex-a72 (no BF16: the neon path only).
#                     TENSO_EXPECT_IMPLS makes the tests check that the
#                     emulated CPU offered exactly those implementations.
#
# Needs qemu-aarch64-static (Debian qemu-user-static; .ci/install.d/qemu.sh).
QEMU_AARCH64 ?= qemu-aarch64-static

.PHONY: test-arm64

test-arm64:
	QEMU_CPU=max TENSO_EXPECT_IMPLS=go,neon,bf16 GOARCH=arm64 $(GO) test -exec $(QEMU_AARCH64) -count=1 .
	QEMU_CPU=cortex-a72 TENSO_EXPECT_IMPLS=go,neon GOARCH=arm64 $(GO) test -exec $(QEMU_AARCH64) -count=1 .

TEST_EXTRA += test-arm64
