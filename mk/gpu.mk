# GPU package (its own module in gpu/). `cuda-check` compiles the cuda
# build against the headers and libcuda.so link stub of Debian non-free's
# nvidia-cuda-dev (fetched once into .cache/cuda by gpu/fetch_cuda_stubs.sh
# through a private apt configuration), so the CUDA code cannot rot
# uncompiled on machines without a GPU. `gpu-test` runs the default build's
# tests (header streaming, staging pipeline, ErrNoCUDA).
CUDA_CACHE ?= $(CURDIR)/.cache/cuda
CUDA_ENV = CGO_ENABLED=1 CGO_CFLAGS="-I$(CUDA_CACHE)/include" CGO_LDFLAGS="-L$(CUDA_CACHE)/stubs"

.PHONY: cuda-stubs cuda-check gpu-test gpu-device-build

cuda-stubs:
	bash gpu/fetch_cuda_stubs.sh $(CUDA_CACHE)

cuda-check: cuda-stubs
	cd gpu && $(CUDA_ENV) $(GO) vet -tags cuda ./...
	cd gpu && $(CUDA_ENV) $(GO) build -tags cuda ./...
	cd gpu && $(CUDA_ENV) $(GO) test -tags cuda -c -o /dev/null .

gpu-test:
	cd gpu && $(GO) vet ./... && GOARCH=arm64 $(GO) vet ./...
	cd gpu && $(GO) test -race -count=1 ./...

# Build the cuda test binary here (gpu/gpu.cuda.test) for a GPU machine
# that has no Go toolchain or network: run it there with
# `gpu/device_test.sh run`.
gpu-device-build: cuda-stubs
	CUDA_CACHE=$(CUDA_CACHE) bash gpu/device_test.sh build

TEST_EXTRA += cuda-check gpu-test
