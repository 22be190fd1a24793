//go:build tools

// Package tools pins mongodump, mongorestore and bsondump for `go build` in this module.
package tools

import (
	_ "github.com/mongodb/mongo-tools/bsondump/main"
	_ "github.com/mongodb/mongo-tools/mongodump/main"
	_ "github.com/mongodb/mongo-tools/mongorestore/main"
)
