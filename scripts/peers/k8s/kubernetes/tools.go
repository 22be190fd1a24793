//go:build tools

// Package tools records the commands this wrapper module builds, so that
// go.mod and go.sum cover them: kube-apiserver and kubectl.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
