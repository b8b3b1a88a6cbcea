package policy

import "fmt"

// Layer names, as refusals and reports print them.
const (
	LayerCapabilities = "capabilities"
	LayerSeccomp      = "seccomp"
	LayerAppArmor     = "apparmor"
	LayerLandlock     = "landlock"
	LayerUser         = "user"
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
