//go:build tools

// Package tools pins the FerretDB command for `go build` in this module.
package tools

import _ "github.com/FerretDB/FerretDB/cmd/ferretdb"
