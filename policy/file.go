package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/atomicfile"
)

// Schema names the file format of a policy (docs/policy-json.md): what
// `rampart record` writes and `rampart run --policy`, `rampart layers
// --policy`, `rampart record --check` and `rampart harden
// --from-recording` read.
const Schema = "rampart.policy/v1"

// File is a Policy as it is written to a file. It is a type of its own,
// not Policy with tags, so that the model can change without changing
// the files users keep next to their workloads: Encode and Decode
// translate, and only they know both.
//
// Capabilities are names, not bit masks; profile files are named
// relative to the policy file's directory, so that a directory
// `rampart record` wrote can be moved or committed as it is.
type File struct {
	Schema string `json:"schema"`
	// Source says where the policy came from, for messages; a file
	// without one is named by its path.
	Source string `json:"source,omitempty"`
	// Recording is the recording the policy was generated from.
	Recording    string            `json:"recording,omitempty"`
	Capabilities *FileCapabilities `json:"capabilities,omitempty"`
	User         *FileUser         `json:"user,omitempty"`
	NoNewPrivs   *bool             `json:"noNewPrivs,omitempty"`
	Seccomp      *FileSeccomp      `json:"seccomp,omitempty"`
	AppArmor     *FileAppArmor     `json:"apparmor,omitempty"`
	Landlock     []FileRule        `json:"landlock,omitempty"`
	// Scope is Policy.Scope: the Landlock scopes by name.
	Scope []string `json:"scope,omitempty"`
	// UserNS is Policy.UserNS: {} picks a free block.
	UserNS       *FileUserNS `json:"userns,omitempty"`
	AllowDevices []string    `json:"allowDevices,omitempty"`
	LSMFallback  string      `json:"lsmFallback,omitempty"`
}

// FileCapabilities are Capabilities by name.
type FileCapabilities struct {
	Inherit bool      `json:"inherit,omitempty"`
	Base    *[]string `json:"base,omitempty"`
	Add     []string  `json:"add,omitempty"`
	Drop    []string  `json:"drop,omitempty"`
	Ambient bool      `json:"ambient,omitempty"`
}

// FileUser is a User; both numbers must be written.
type FileUser struct {
	UID *int `json:"uid"`
	GID *int `json:"gid"`
}

// FileUserNS is a UserNS; hostID and size are left out for the
// launcher's choice and the default size.
type FileUserNS struct {
	HostID *uint32 `json:"hostID,omitempty"`
	Size   *uint32 `json:"size,omitempty"`
}

// FileSeccomp is a Seccomp reference.
type FileSeccomp struct {
	Kind    string `json:"kind"`
	Path    string `json:"path,omitempty"`
	Runtime string `json:"runtime,omitempty"`
	Origin  string `json:"origin,omitempty"`
}

// FileAppArmor is an AppArmor reference.
type FileAppArmor struct {
	Kind   string `json:"kind"`
	Name   string `json:"name,omitempty"`
	File   string `json:"file,omitempty"`
	Origin string `json:"origin,omitempty"`
}

// FileRule is an FSRule.
type FileRule struct {
	Mode   string `json:"mode"`
	Path   string `json:"path"`
	Access string `json:"access,omitempty"`
	Origin string `json:"origin,omitempty"`
}

// all is the capability list entry that stands for every capability,
// as in Kubernetes' add and drop.
const all = "ALL"

// Encode writes p as a rampart.policy/v1 file that will be saved in dir:
// profile files inside dir are named relative to it, others by absolute
// path (dir "" names every one by absolute path). Relative paths in p are
// relative to the working directory, as everywhere in the model. A
// policy that does not validate is not written.
func Encode(p *Policy, dir string) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	ref := func(path string) (string, error) { return relTo(dir, path) }
	f := File{Schema: Schema, Source: p.Source, NoNewPrivs: p.NoNewPrivs, AllowDevices: p.AllowDevices, LSMFallback: p.LSMFallback}
	var err error
	if f.Recording, err = ref(p.Recording); err != nil {
		return nil, err
	}
	if c := p.Capabilities; c != nil {
		fc := &FileCapabilities{Inherit: c.InheritBase, Ambient: c.Ambient, Add: capNames(c.AddAll, c.Add), Drop: capNames(c.DropAll, c.Drop)}
		// The base is left out only where it cannot matter, so that a
		// reader never has to guess it.
		if !c.InheritBase && (c.Base != 0 || !(c.AddAll || c.DropAll)) {
			base := capNames(false, c.Base)
			if base == nil {
				base = []string{}
			}
			fc.Base = &base
		}
		f.Capabilities = fc
	}
	if u := p.User; u != nil {
		uid, gid := u.UID, u.GID
		f.User = &FileUser{UID: &uid, GID: &gid}
	}
	if s := p.Seccomp; s.Kind != SeccompNone {
		f.Seccomp = &FileSeccomp{Kind: string(s.Kind), Runtime: s.Runtime, Origin: s.Origin}
		if f.Seccomp.Path, err = ref(s.Path); err != nil {
			return nil, err
		}
	}
	if a := p.AppArmor; a != nil {
		f.AppArmor = &FileAppArmor{Kind: string(a.Kind), Name: a.Name, Origin: a.Origin}
		if f.AppArmor.File, err = ref(a.File); err != nil {
			return nil, err
		}
	}
	// The model's relative paths are the working directory's: the file
	// names them from /, so that it means the same wherever it is read.
	for _, r := range p.Landlock {
		abs, err := filepath.Abs(r.Path)
		if err != nil {
			return nil, err
		}
		f.Landlock = append(f.Landlock, FileRule{Mode: string(r.Mode), Path: abs, Access: r.Access, Origin: r.Origin})
	}
	f.Scope = append([]string(nil), p.Scope...)
	if u := p.UserNS; u != nil {
		f.UserNS = &FileUserNS{}
		if u.HostID != 0 {
			h := u.HostID
			f.UserNS.HostID = &h
		}
		if u.Size != 0 {
			n := u.Size
			f.UserNS.Size = &n
		}
	}
	f.AllowDevices = nil
	for _, d := range p.AllowDevices {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		f.AllowDevices = append(f.AllowDevices, abs)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// capNames spells a set as a file lists it: ALL first, then the names in
// kernel order.
func capNames(withAll bool, s caps.Set) []string {
	var out []string
	if withAll {
		out = append(out, all)
	}
	return append(out, s.Names(caps.Cap.String)...)
}

// relTo names path for a file in dir: relative when it is inside dir,
// else absolute.
func relTo(dir, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if dir == "" {
		return abs, nil
	}
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if rel, err := filepath.Rel(d, abs); err == nil && filepath.IsLocal(rel) {
		return rel, nil
	}
	return abs, nil
}

// WriteFile writes p to path (atomically: a reader sees the old file or
// the new one), its profile files named relative to path's directory.
func WriteFile(path string, p *Policy) error {
	b, err := Encode(p, filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteFile(path, b, 0o644)
}

// ReadFile reads and decodes a policy file. An error reading the file is
// returned as it is (the caller's to report as a usage error); a file
// that is read but refused is a LayerError of LayerPolicy.
func ReadFile(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(path, b)
}

// ReadInput reads a policy file a user named: a file that cannot be read
// is an InputError, one that is read and refused a LayerError.
func ReadInput(path string) (*Policy, error) {
	p, err := ReadFile(path)
	var le *LayerError
	if err != nil && !errors.As(err, &le) {
		return nil, &InputError{Err: err}
	}
	return p, err
}
