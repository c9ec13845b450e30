#!/usr/bin/env bash
# Build and run the cuda tests and the host→device benchmark (256 MiB packet
# through ReadToDevice against cuMemcpyHtoD from pinned memory) on a machine
# with an NVIDIA GPU.
#
#   gpu/device_test.sh          build (needs Go and the modules) and run
#   gpu/device_test.sh build    only build gpu/gpu.cuda.test
#   gpu/device_test.sh run      only run a gpu/gpu.cuda.test built before
#
# Headers: $CUDA_HOME/include, /usr/local/cuda/include or the repo's
# .cache/cuda (make cuda-stubs). Linking uses the libcuda.so stub when no
# toolkit is installed; at run time the driver's libcuda.so.1 is used.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
mode=${1:-all}

build() {
	local inc="" lib=""
	for d in "${CUDA_HOME:-}" /usr/local/cuda "${CUDA_CACHE:-$root/.cache/cuda}"; do
		[ -n "$d" ] && [ -f "$d/include/cuda.h" ] && { inc="$d/include"; break; }
	done
	for d in "${CUDA_HOME:-}/lib64/stubs" /usr/local/cuda/lib64/stubs "${CUDA_CACHE:-$root/.cache/cuda}/stubs"; do
		[ -e "$d/libcuda.so" ] && { lib="$d"; break; }
	done
	if [ -z "$inc" ] || [ -z "$lib" ]; then
		echo "device_test.sh: no cuda.h / libcuda.so stub found (run make cuda-stubs)" >&2
		exit 1
	fi
	CGO_ENABLED=1 CGO_CFLAGS="-I$inc" CGO_LDFLAGS="-L$lib" \
		go test -tags cuda -c -o gpu.cuda.test .
	echo "built gpu/gpu.cuda.test"
}

run() {
	nvidia-smi -L 2>/dev/null || true
	./gpu.cuda.test -test.v -test.count=1 -test.run 'CUDA' \
		-test.bench 'HostToDevice' -test.benchtime 5x
}

case "$mode" in
build) build ;;
run) run ;;
all) build && run ;;
*) echo "usage: $0 [build|run]" >&2; exit 2 ;;
esac
