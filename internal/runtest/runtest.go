// Package runtest runs a program for a test and says how it ended: the
// tests that hold rampart's programs to what the kernel does run them
// (often the test binary itself, as the program) and look at their exit
// status, signal and output.
package runtest

import (
	"bytes"
	"errors"
	"os/exec"
	"syscall"
	"testing"
)

// Result is how a program ended.
type Result struct {
	Code           int            // exit status; -1 when a signal ended it
	Signal         syscall.Signal // the signal that ended it, 0 for none
	Stdout, Stderr string
}

// Run runs cmd with its output collected. A program that cannot be
// started fails the test.
func Run(t testing.TB, cmd *exec.Cmd) Result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Code, r.Signal = -1, ws.Signal()
		} else {
			r.Code = ee.ExitCode()
		}
	default:
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return r
}
