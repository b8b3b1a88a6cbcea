package policy

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/strictjson"
)

// legacyPolicy is the unversioned file older rampart wrote: encoding/json
// of Policy as the struct was then, capability sets as bit masks and
// profile paths relative to the writer's working directory. It is frozen
// here, apart from Policy, so that old files stay readable by `rampart
// policy convert` whatever the model becomes.
type legacyPolicy struct {
	Source       string
	Capabilities *legacyCapabilities
	User         *struct{ UID, GID int }
	NoNewPrivs   *bool
	Seccomp      struct{ Kind, Path, Origin string }
	AppArmor     *struct{ Kind, Name, File, Origin string }
	Landlock     []struct{ Mode, Path, Access, Origin string }
	AllowDevices []string `json:",omitempty"`
	LSMFallback  string
}

type legacyCapabilities struct {
	InheritBase     bool
	Base            uint64
	AddAll, DropAll bool
	Add, Drop       uint64
	Ambient         bool
}

// DecodeLegacy reads an unversioned policy file, as strictly as it was
// read before the format had a schema (unknown or repeated keys,
// trailing data and unknown values are refused), into the model. Its
// paths stay as written: relative to the working directory.
func DecodeLegacy(name string, b []byte) (*Policy, error) {
	if _, err := strictjson.Check(b, reflect.TypeFor[legacyPolicy](), strictjson.Options{DisallowUnknown: true}); err != nil {
		return nil, &LayerError{Layer: LayerPolicy, Err: strictjson.InFile(err, name)}
	}
	var l legacyPolicy
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, Refuse(LayerPolicy, "%s: %v", name, err)
	}
	p := &Policy{Source: l.Source, NoNewPrivs: l.NoNewPrivs, AllowDevices: l.AllowDevices, LSMFallback: l.LSMFallback,
		Seccomp: Seccomp{Kind: SeccompKind(l.Seccomp.Kind), Path: l.Seccomp.Path, Origin: l.Seccomp.Origin}}
	if c := l.Capabilities; c != nil {
		p.Capabilities = &Capabilities{InheritBase: c.InheritBase, Base: caps.Set(c.Base), AddAll: c.AddAll, DropAll: c.DropAll,
			Add: caps.Set(c.Add), Drop: caps.Set(c.Drop), Ambient: c.Ambient}
	}
	if u := l.User; u != nil {
		p.User = &User{UID: u.UID, GID: u.GID}
	}
	if a := l.AppArmor; a != nil {
		p.AppArmor = &AppArmor{Kind: AppArmorKind(a.Kind), Name: a.Name, File: a.File, Origin: a.Origin}
	}
	for _, r := range l.Landlock {
		p.Landlock = append(p.Landlock, FSRule{Mode: FSMode(r.Mode), Path: r.Path, Access: r.Access, Origin: r.Origin})
	}
	if err := p.Validate(); err != nil {
		return nil, Refuse(LayerPolicy, "%s: %v", name, err)
	}
	return p, nil
}

// Convert turns an unversioned policy file into a rampart.policy/v1 one
// that will be saved in dir (see Encode).
func Convert(name string, b []byte, dir string) ([]byte, error) {
	p, err := DecodeLegacy(name, b)
	if err != nil {
		return nil, err
	}
	out, err := Encode(p, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}
