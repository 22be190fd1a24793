// Wrapper module that pins redis-dump-go, the speed peer for Redis capture
// (see docs/peers.md).
module hivesnap.local/peers/redis-dump-go

go 1.22

require github.com/yannh/redis-dump-go v0.8.2

require (
	github.com/mediocregopher/radix/v3 v3.8.1 // indirect
	golang.org/x/xerrors v0.0.0-20240716161551-93cc26a95ae9 // indirect
)
