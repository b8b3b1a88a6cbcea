package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/strictjson"
)

// LayerPolicy names refusals of a policy file itself.
const LayerPolicy = "policy"

// Decode reads a policy file (as `rampart layers` and `rampart record`
// write them) strictly: an unknown field, an unknown kind or mode,
// trailing data or an empty file is a refusal. A lenient reading would
// turn a misspelt layer into no layer at all, and the workload would run
// with less than was asked.
func Decode(name string, b []byte) (*Policy, error) {
	refuse := func(format string, a ...any) error {
		return &LayerError{Layer: LayerPolicy, Err: fmt.Errorf("%s: "+format, append([]any{name}, a...)...)}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, refuse("empty file: a policy file holds one JSON object")
	}
	// Keys exactly as the fields are spelt, each once, none unknown, and
	// nothing after the object: a case variant or a second "Seccomp"
	// must not change what the file says without a word.
	if _, err := strictjson.Check(b, reflect.TypeFor[Policy](), strictjson.Options{DisallowUnknown: true}); err != nil {
		return nil, &LayerError{Layer: LayerPolicy, Err: strictjson.InFile(err, name)}
	}
	p := &Policy{}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, refuse("%v", err)
	}
	if err := p.Validate(); err != nil {
		return nil, refuse("%v", err)
	}
	return p, nil
}

// Validate checks that every value of p is one the launcher knows, so
// that no part of a policy can be skipped for being unrecognised.
func (p *Policy) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c := p.Capabilities; c != nil {
		for _, s := range []struct {
			field string
			set   caps.Set
		}{{"Base", c.Base}, {"Add", c.Add}, {"Drop", c.Drop}} {
			if extra := s.set.Minus(caps.Full); extra != 0 {
				bad("Capabilities.%s: bits %#x are no capability rampart knows", s.field, uint64(extra))
			}
		}
	}
	if u := p.User; u != nil && (u.UID < 0 || u.GID < 0 || u.UID > maxID || u.GID > maxID) {
		bad("User: uid %d, gid %d: want 0 to %d", u.UID, u.GID, maxID)
	}
	switch p.Seccomp.Kind {
	case SeccompNone, SeccompUnconfined, SeccompRuntimeDefault:
	case SeccompFile:
		if p.Seccomp.Path == "" {
			bad("Seccomp: kind %q needs a Path", p.Seccomp.Kind)
		}
	default:
		bad("Seccomp.Kind %q: want one of %q, %q, %q (or empty for none)", p.Seccomp.Kind, SeccompUnconfined, SeccompRuntimeDefault, SeccompFile)
	}
	if a := p.AppArmor; a != nil {
		switch a.Kind {
		case AppArmorUnconfined, AppArmorRuntimeDefault:
		case AppArmorLocalhost:
			if a.Name == "" {
				bad("AppArmor: kind %q needs a Name", a.Kind)
			}
		default:
			bad("AppArmor.Kind %q: want one of %q, %q, %q", a.Kind, AppArmorUnconfined, AppArmorRuntimeDefault, AppArmorLocalhost)
		}
	}
	for i, r := range p.Landlock {
		switch r.Mode {
		case DenyRead, DenyWrite, ReadOnly:
		case Allow:
			if r.Access == "" || strings.Trim(r.Access, "rwx") != "" {
				bad("Landlock[%d]: access %q: want a combination of r, w and x", i, r.Access)
			}
		default:
			bad("Landlock[%d].Mode %q: want one of %q, %q, %q, %q", i, r.Mode, DenyRead, DenyWrite, ReadOnly, Allow)
		}
		if err := checkPath(r.Path); err != nil {
			bad("Landlock[%d].Path: %v", i, err)
		}
	}
	for i, d := range p.AllowDevices {
		if err := checkPath(d); err != nil {
			bad("AllowDevices[%d]: %v", i, err)
		}
	}
	switch p.LSMFallback {
	case "", "landlock":
	default:
		bad("LSMFallback %q: the only fallback is %q", p.LSMFallback, "landlock")
	}
	return errors.Join(errs...)
}

// maxID is the highest uid or gid: (uid_t)-1 means "unchanged" to the
// kernel's set*id calls.
const maxID = 1<<32 - 2
