//go:build !linux || !cgo || !seccomp

package main

func libseccompVersion() string { return "(none)" }
