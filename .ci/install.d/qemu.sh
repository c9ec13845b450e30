#!/usr/bin/env bash
# qemu-user-static provides qemu-aarch64-static, which runs the arm64 test
# binaries of `make test-arm64` (mk/kernels.mk). Idempotent.
set -euo pipefail
if command -v qemu-aarch64-static >/dev/null 2>&1; then
	exit 0
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-user-static
