package launcher

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"

	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/sandbox"
)

// Exit statuses of rampart itself; any other status is the workload's.
const (
	ExitUsage    = 2   // bad flags or arguments
	ExitRefused  = 125 // a requested layer could not be applied; the command never ran
	ExitCannot   = 126 // the command was found but could not be executed
	ExitNotFound = 127 // the command was not found
)

// UsageError marks errors in what the user typed.
type UsageError struct{ error }

// IsUsage marks the error as one in what the user typed: ExitCode looks
// for the method, so that main's own usage errors count too.
func (UsageError) IsUsage() {}

// ExitCode is the exit status for err, as every rampart command ends:
// what the user typed is a usage error, a layer that cannot be applied
// refuses the launch, and CMD that cannot be executed ends as a shell's
// would.
func ExitCode(err error) int {
	var le *sandbox.LayerError
	var ue interface{ IsUsage() }
	var fe *policy.FlagError
	var ie *policy.InputError
	switch {
	case errors.As(err, &ue), errors.As(err, &fe), errors.As(err, &ie):
		return ExitUsage
	case errors.As(err, &le) && le.Layer == sandbox.LayerExec:
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return ExitNotFound
		}
		return ExitCannot
	}
	return ExitRefused
}

// Fail writes err as every command does and returns its exit status.
func Fail(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "rampart:", err)
	return ExitCode(err)
}
