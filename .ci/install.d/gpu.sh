#!/usr/bin/env bash
# make cuda-check compiles the cgo-based cuda build: it needs a C compiler
# (dpkg-deb, used to unpack the CUDA headers, is part of every Debian).
set -euo pipefail
if ! command -v gcc >/dev/null 2>&1; then
	apt-get install -y --no-install-recommends gcc libc6-dev
fi
