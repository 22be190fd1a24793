//go:build tools

// Package tools records the command this wrapper module builds: etcd
// (the server module's main package).
package tools

import _ "go.etcd.io/etcd/server/v3"
