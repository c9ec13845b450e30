module github.com/tenso-go/tenso/cmd/tenso

go 1.26.0

require (
	github.com/tenso-go/tenso v0.1.0
	google.golang.org/grpc v1.85.0
)

require (
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/zeebo/xxh3 v1.1.0 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace (
	github.com/tenso-go/tenso => ../..
	github.com/tenso-go/tenso/native/tensonats => ../../native/tensonats
)
