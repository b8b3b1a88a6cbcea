//go:build !linux

package probe

import (
	"runtime"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/features"
)

// Probing makes each path's calls against the running Linux kernel.
var errNotLinux = &features.NotSupportedError{Feature: "probing", Reason: "it makes Linux system calls (this is " + runtime.GOOS + "/" + runtime.GOARCH + ")"}

// Run fails off Linux.
func Run([]*attack.Path) (*attack.Report, error) { return nil, errNotLinux }

// ReadState fails off Linux: the state is a Linux thread's.
func ReadState() (*attack.State, error) { return nil, errNotLinux }

// ChildMain returns at once off Linux: nothing is re-executed as a probe
// child here.
func ChildMain() {}
