// Package overlay lays the layer flags over the policy an input resolved
// to: the last step of every resolution (policy/source), and the whole
// of one that names no file, which is how `rampart run`'s launcher takes
// its flags without linking the manifest and recording readers.
package overlay

import (
	"errors"

	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
)

// Flags lays f over p (nil: nothing else was named): capability adds and
// drops and filesystem rules accumulate, profiles replace. An AppArmor
// profile named by file is looked up with apparmorDir. With
// requireLayer, a policy that asks for no layer at all is refused: a
// launch with nothing to enforce is a mistake, not a run.
func Flags(p *policy.Policy, f *policy.Flags, apparmorDir string, requireLayer bool) (*policy.Policy, error) {
	p, err := f.Apply(p)
	if err != nil {
		return nil, err
	}
	if f.AppArmor != "" {
		if p.AppArmor, err = apparmor.Reference(f.AppArmor, apparmorDir, "--apparmor"); err != nil {
			return nil, &policy.LayerError{Layer: policy.LayerAppArmor, Err: err}
		}
	}
	if f.LSMFallback == "none" {
		// The flag says no stand-in, whatever the input asked for.
		p.LSMFallback = ""
	}
	if requireLayer && p.Capabilities == nil && p.User == nil && p.Seccomp.Kind == policy.SeccompNone &&
		p.NoNewPrivs == nil && p.AppArmor == nil && len(p.Landlock) == 0 && len(p.Scope) == 0 && p.UserNS == nil {
		return nil, &policy.InputError{Err: errors.New("no layer requested; see rampart run --help")}
	}
	return p, nil
}
