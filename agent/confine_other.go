//go:build !linux

package agent

import (
	"runtime"

	"github.com/rampart-sec/rampart/features"
)

// Confine needs Linux: it loads a seccomp filter.
func Confine(args []string) error {
	return &features.NotSupportedError{Feature: "the node agent's seccomp filter", Reason: "needs Linux, not " + runtime.GOOS}
}
