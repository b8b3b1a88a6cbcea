//go:build !linux || !cgo || !seccomp

package features

const libseccompBuilt = false
