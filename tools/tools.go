//go:build tools

// Package tools pins the Pulumi CLI module so `go build` can build it from this module.
package tools
