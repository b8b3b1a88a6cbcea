package policy

import "fmt"

// Layer names, as refusals and reports print them.
const (
	LayerCapabilities = "capabilities"
	LayerSeccomp      = "seccomp"
	LayerAppArmor     = "apparmor"
	LayerLandlock     = "landlock"
	LayerUser         = "user"
	LayerUserNS       = "userns"
	LayerNoNewPrivs   = "no_new_privs"
	LayerManifest     = "manifest"
	LayerExec         = "exec"
)

// LayerError is a refusal: the layer that cannot be applied and why. The
// launcher never starts a workload after one.
type LayerError struct {
	Layer string
	Err   error
}

func (e *LayerError) Error() string { return e.Layer + ": " + e.Err.Error() }
func (e *LayerError) Unwrap() error { return e.Err }

// Refuse builds a LayerError.
func Refuse(layer string, format string, a ...any) error {
	return &LayerError{Layer: layer, Err: fmt.Errorf(format, a...)}
}

// FlagError is a malformed flag value: what the user typed cannot be
// read at all (an empty item in a list, a signed number). Commands exit
// with their usage status on it, where a well-formed value that cannot
// be applied is a LayerError.
type FlagError struct {
	Flag, Value string
	Err         error
}

func (e *FlagError) Error() string {
	if e.Flag == "" {
		return fmt.Sprintf("%q: %v", e.Value, e.Err)
	}
	return fmt.Sprintf("%s %q: %v", e.Flag, e.Value, e.Err)
}
func (e *FlagError) Unwrap() error { return e.Err }

// InputError is an input that cannot be read at all (a file that does
// not exist, two inputs where one goes): the user's to fix, reported as
// a usage error. A file that is read and refused is a LayerError.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }
