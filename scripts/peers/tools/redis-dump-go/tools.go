//go:build tools

// Package tools pins redis-dump-go for `go build` in this module.
package tools

import _ "github.com/yannh/redis-dump-go"
