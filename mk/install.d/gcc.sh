# make cuda-check compiles the cgo-based cuda build: it needs a C compiler
# (dpkg-deb, used to unpack the CUDA headers, is part of every Debian).
if ! command -v gcc >/dev/null 2>&1; then
	apt_install gcc libc6-dev
fi
