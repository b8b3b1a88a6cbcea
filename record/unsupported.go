//go:build !linux || !(amd64 || arm64)

package record

import (
	"context"
	"os"

	"github.com/rampart-sec/rampart/features"
)

// Recorder names, for Options.Recorder.
const (
	RecorderAuto   = "auto"
	RecorderEBPF   = "ebpf"
	RecorderPtrace = "ptrace"
)

// Options says how to run the recorded command (see the Linux build).
type Options struct {
	Recorder              string
	Stdin, Stdout, Stderr *os.File
	Env                   []string
	Dir                   string
	Wait                  bool
	Credential            *Credential
}

// ExecError says CMD could not be started: it never ran.
type ExecError struct {
	Path string
	Err  error
}

func (e *ExecError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *ExecError) Unwrap() error { return e.Err }

// Run needs Linux on x86_64 or arm64: the recorders know those
// machines' syscall ABIs.
func Run(context.Context, []string, Options) (*Recording, error) {
	return nil, &features.NotSupportedError{Feature: "rampart record", Reason: "recording needs Linux on x86_64 or arm64"}
}
