//go:build !linux

package fromnode

import (
	"context"
	"io"
	"runtime"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/features"
)

// Probe needs Linux: it enters a container's namespaces.
func Probe(ctx context.Context, id string, only []string, stderr io.Writer) (*attack.Report, error) {
	return nil, &features.NotSupportedError{Feature: "probing a container from its node", Reason: "needs Linux, not " + runtime.GOOS}
}

// ChildMain returns at once off Linux.
func ChildMain() {}
