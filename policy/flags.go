package policy

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/caps"
)

// Flags is the command-line form of a policy, as `rampart run` takes it.
// Values are kept as typed so that errors can quote them.
type Flags struct {
	CapDrop, CapAdd []string // names in any spelling, ALL, comma lists allowed
	CapAmbient      bool
	User            string // UID[:GID] or NAME[:GROUP]
	NoNewPrivs      *bool  // nil: default
	Seccomp         string // runtime-default | unconfined | FILE
	AppArmor        string // NAME or FILE (resolved by the caller: see AppArmorRef)
	DenyRead        []string
	DenyWrite       []string
	ReadOnly        []string
	Allow           []string // PATH:ACCESS
	AllowDevices    []string // device nodes deny rules leave open
	Scope           []string // Landlock scopes: signal, abstract-unix (comma lists)
	UserNS          string   // "" | auto | HOSTID[:SIZE]
	LSMFallback     string   // "" | landlock
}

// Empty reports whether no layer flag was given.
func (f *Flags) Empty() bool {
	return len(f.CapDrop) == 0 && len(f.CapAdd) == 0 && !f.CapAmbient && f.User == "" &&
		f.NoNewPrivs == nil && f.Seccomp == "" && f.AppArmor == "" && len(f.DenyRead) == 0 &&
		len(f.DenyWrite) == 0 && len(f.ReadOnly) == 0 && len(f.Allow) == 0 && len(f.AllowDevices) == 0 &&
		len(f.Scope) == 0 && f.UserNS == ""
}

// Apply layers the flags over p (nil starts an empty policy): capability
// adds and drops and filesystem rules accumulate, profiles replace.
// Capabilities start from the launcher's own set when p has none.
func (f *Flags) Apply(p *Policy) (*Policy, error) {
	if p == nil {
		p = &Policy{Source: "flags"}
	}
	if len(f.CapDrop) > 0 || len(f.CapAdd) > 0 || f.CapAmbient {
		if p.Capabilities == nil {
			p.Capabilities = &Capabilities{InheritBase: true}
		}
		c := p.Capabilities
		for _, spec := range [...]struct {
			list []string
			flag string
			all  *bool
			set  *caps.Set
		}{{f.CapAdd, "--cap-add", &c.AddAll, &c.Add}, {f.CapDrop, "--cap-drop", &c.DropAll, &c.Drop}} {
			items, err := splitList(spec.flag, spec.list)
			if err != nil {
				return nil, err
			}
			for _, item := range items {
				if strings.EqualFold(item, "ALL") {
					*spec.all = true
					continue
				}
				cp, err := caps.Parse(item)
				if err != nil {
					return nil, &LayerError{Layer: LayerCapabilities, Err: fmt.Errorf("%s: %w", spec.flag, err)}
				}
				*spec.set = spec.set.Add(cp)
			}
		}
		c.Ambient = c.Ambient || f.CapAmbient
	}
	if f.User != "" {
		u, err := ParseUser(f.User)
		var fe *FlagError
		switch {
		case errors.As(err, &fe):
			fe.Flag = "--user"
			return nil, fe
		case err != nil:
			return nil, &LayerError{Layer: LayerUser, Err: fmt.Errorf("--user: %w", err)}
		}
		p.User = u
	}
	if f.NoNewPrivs != nil {
		v := *f.NoNewPrivs
		p.NoNewPrivs = &v
	}
	if f.Seccomp != "" {
		switch strings.ToLower(f.Seccomp) {
		case "runtime-default", "runtimedefault", "runtime/default", "docker/default", "default":
			p.Seccomp = Seccomp{Kind: SeccompRuntimeDefault, Origin: "--seccomp"}
		case "unconfined":
			p.Seccomp = Seccomp{Kind: SeccompUnconfined, Origin: "--seccomp"}
		default:
			p.Seccomp = Seccomp{Kind: SeccompFile, Path: f.Seccomp, Origin: "--seccomp"}
		}
	}
	for _, fl := range [...]struct {
		paths []string
		mode  FSMode
	}{{f.DenyRead, DenyRead}, {f.DenyWrite, DenyWrite}, {f.ReadOnly, ReadOnly}} {
		for _, path := range fl.paths {
			if err := checkPath(path); err != nil {
				return nil, &LayerError{Layer: LayerLandlock, Err: fmt.Errorf("--%s %q: %w", fl.mode, path, err)}
			}
			p.Landlock = append(p.Landlock, FSRule{Mode: fl.mode, Path: path, Origin: "--" + string(fl.mode) + " " + path})
		}
	}
	for _, a := range f.Allow {
		i := strings.LastIndexByte(a, ':')
		if i < 0 {
			return nil, Refuse(LayerLandlock, "--allow %q: want PATH:ACCESS, ACCESS a combination of r, w and x", a)
		}
		path, acc := a[:i], a[i+1:]
		if err := checkPath(path); err != nil {
			return nil, Refuse(LayerLandlock, "--allow %q: %w", a, err)
		}
		if acc == "" || strings.Trim(acc, "rwx") != "" {
			return nil, Refuse(LayerLandlock, "--allow %q: access %q: want a combination of r, w and x", a, acc)
		}
		p.Landlock = append(p.Landlock, FSRule{Mode: Allow, Path: path, Access: acc, Origin: "--allow " + a})
	}
	for _, d := range f.AllowDevices {
		if err := checkPath(d); err != nil {
			return nil, Refuse(LayerLandlock, "--allow-device %q: %w", d, err)
		}
		p.AllowDevices = append(p.AllowDevices, d)
	}
	scopes, err := splitList("--scope", f.Scope)
	if err != nil {
		return nil, err
	}
	for _, w := range scopes {
		if err := checkScope(w); err != nil {
			return nil, Refuse(LayerLandlock, "--scope %w", err)
		}
	}
	if len(scopes) > 0 {
		p.addScopes(scopes)
	}
	if f.UserNS != "" {
		u, err := ParseUserNS(f.UserNS)
		if err != nil {
			return nil, err
		}
		p.UserNS = u
	}
	if err := p.checkUserNS(); err != nil {
		return nil, Refuse(LayerUser, "--userns: %w", err)
	}
	switch f.LSMFallback {
	case "", "none":
	case "landlock":
		p.LSMFallback = "landlock"
	default:
		return nil, Refuse(LayerAppArmor, "--lsm-fallback %q: the only fallback is landlock", f.LSMFallback)
	}
	return p, nil
}

func checkPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.ContainsRune(p, 0):
		return errors.New("path contains a NUL byte")
	}
	return nil
}

// splitList flattens repeated and comma-separated values. An empty item
// ("", ",", "NET_RAW,") is an error: it is a typo whose intent cannot be
// known, and dropping it silently would run with a set nobody wrote.
func splitList(flag string, in []string) ([]string, error) {
	var out []string
	for _, s := range in {
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f == "" {
				return nil, &FlagError{Flag: flag, Value: s, Err: errors.New("empty item in the list")}
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// parseID reads a uid or gid: decimal digits only. strconv.Atoi would
// take "+1000" and "-0", spellings no runtime accepts; anything else
// that is not all digits is a name.
func parseID(s string) (n int, isID bool, err error) {
	digits := strings.TrimLeft(s, "+-")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false, nil
	}
	if digits != s {
		return 0, false, fmt.Errorf("%s: a uid or gid is unsigned decimal digits", s)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > maxID {
		return 0, false, fmt.Errorf("%s out of range (0 to %d)", s, maxID)
	}
	return int(v), true, nil
}

// ParseUser parses UID[:GID] with numbers or names. A user given alone
// runs with its primary group from the passwd database, or group 0 when
// the user has no entry, as container runtimes do.
func ParseUser(s string) (*User, error) {
	us, gs, hasGroup := strings.Cut(s, ":")
	if us == "" || (hasGroup && gs == "") {
		return nil, &FlagError{Value: s, Err: errors.New("want UID[:GID]")}
	}
	u := &User{}
	n, isID, err := parseID(us)
	if err != nil {
		return nil, &FlagError{Value: s, Err: err}
	}
	if isID {
		u.UID = n
		if pw, err := user.LookupId(us); err == nil && !hasGroup {
			u.GID, _ = strconv.Atoi(pw.Gid)
		}
	} else {
		pw, err := user.Lookup(us)
		if err != nil {
			return nil, fmt.Errorf("unknown user %q", us)
		}
		u.UID, _ = strconv.Atoi(pw.Uid)
		u.GID, _ = strconv.Atoi(pw.Gid)
	}
	if hasGroup {
		n, isID, err := parseID(gs)
		if err != nil {
			return nil, &FlagError{Value: s, Err: err}
		}
		if isID {
			u.GID = n
		} else {
			gr, err := user.LookupGroup(gs)
			if err != nil {
				return nil, fmt.Errorf("unknown group %q", gs)
			}
			u.GID, _ = strconv.Atoi(gr.Gid)
		}
	}
	return u, nil
}
