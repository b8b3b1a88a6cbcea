// Package features probes what the running kernel (and this build) can
// enforce. Each probe returns nil when the feature is available, an error
// that wraps ErrNotSupported and says what is missing when it is not, and
// any other error when the probe itself failed.
package features

import "errors"

// ErrNotSupported is wrapped by every "this kernel or build cannot" error.
var ErrNotSupported = errors.New("not supported")

// NotSupportedError says what is missing.
type NotSupportedError struct {
	Feature string // "AppArmor", "Landlock ABI 3", "seccomp filter"
	Reason  string
}

func (e *NotSupportedError) Error() string { return e.Feature + " is not available: " + e.Reason }
func (e *NotSupportedError) Unwrap() error { return ErrNotSupported }

// LandlockScopeABI is the Landlock ABI that brought scopes (Linux 6.12):
// signals and abstract UNIX sockets closed to a domain toward the
// outside.
const LandlockScopeABI = 6
