//go:build linux && (!linux || !cgo || !seccomp)

package main

func libseccompVersion() string { return "(none)" }
