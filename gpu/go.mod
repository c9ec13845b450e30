module github.com/tenso-go/tenso/gpu

go 1.26.0

require (
	github.com/tenso-go/tenso v0.1.0
	github.com/zeebo/xxh3 v1.1.0
	golang.org/x/sys v0.50.0
	gorgonia.org/cu v0.9.6
)

require (
	github.com/google/uuid v1.1.1 // indirect
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/pkg/errors v0.9.1 // indirect
)

replace github.com/tenso-go/tenso => ../
