//go:build !linux

package sandbox

import (
	"io"
	"runtime"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/policy"
)

// A plan is checked against, and applied by, the running Linux kernel.
var errNotLinux = &features.NotSupportedError{Feature: "launching a confined workload", Reason: "it needs Linux (this is " + runtime.GOOS + "/" + runtime.GOARCH + ")"}

func (pl *Plan) predictExec(*procstatus.Status) error     { return errNotLinux }
func (pl *Plan) checkMetadata(_, _ []policy.FSRule) error { return errNotLinux }
func (pl *Plan) noteCapabilityRoutes([]policy.FSRule)     {}

// Exec fails off Linux.
func (pl *Plan) Exec(io.Writer) error { return errNotLinux }

// CheckPreserveFDs fails off Linux: no descriptor is passed to a
// workload here.
func CheckPreserveFDs(int) error { return errNotLinux }
