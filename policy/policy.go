// Package policy is rampart's one model of what a workload runs under:
// capabilities (the moat), seccomp (the wall) and an LSM (the guards).
// Flags, Kubernetes manifests and OCI specs all become a Policy; the
// launcher enforces it, the probes predict from it, renderers emit it.
//
// A Policy is a pure value: building one never touches the kernel, and
// everything that depends on the machine (the caller's own capability set,
// which LSM the kernel has) is resolved later by the code that enforces it.
package policy

import (
	"fmt"
	"strings"

	"github.com/rampart-sec/rampart/caps"
)

// Policy is the three layers plus the identity the workload runs as.
type Policy struct {
	// Source says where the policy came from ("flags", "deploy.yaml#flask"),
	// for messages.
	Source string

	// Recording is the recording the policy was generated from (a
	// recording.json `rampart record` wrote), empty for any other
	// policy: `rampart layers` generates such a policy again with the
	// probe's own needs added, so that the probe can run under it.
	Recording string

	// Capabilities is nil when the workload keeps the caller's
	// capabilities untouched.
	Capabilities *Capabilities

	// User is nil when the workload keeps the caller's identity.
	User *User

	// NoNewPrivs is nil for the default: on when seccomp or Landlock is
	// used, as unprivileged seccomp and Landlock require it.
	NoNewPrivs *bool

	Seccomp  Seccomp
	AppArmor *AppArmor

	// Landlock holds filesystem rules enforced with Landlock.
	Landlock []FSRule

	// Scope lists the Landlock scopes (ABI 6) the workload is closed in:
	// ScopeSignal, ScopeAbstractUnix. Each takes away a kind of IPC with
	// processes outside the workload's Landlock domain.
	Scope []string `json:",omitempty"`

	// UserNS, when set, runs the workload in a user namespace of its
	// own; nil keeps the caller's.
	UserNS *UserNS `json:",omitempty"`

	// AllowDevices are device nodes a deny rule leaves open although they
	// hold a denied file's filesystem (a backup agent reading the disk):
	// by default every such device is denied with the file.
	AllowDevices []string `json:",omitempty"`

	// LSMFallback, when "landlock", lets Landlock stand in for an AppArmor
	// profile on a kernel without AppArmor, if the profile's rules can be
	// expressed with Landlock. Empty means AppArmor or nothing.
	LSMFallback string
}

// Capabilities describes the capability sets the way container runtimes
// do: a base set, with adds and drops applied in containerd's order
// (add ALL, drop ALL, then individual adds, then individual drops).
type Capabilities struct {
	// InheritBase makes the base the launcher's own bounding set (a host
	// process keeps what it has); otherwise Base is used.
	InheritBase bool
	Base        caps.Set

	AddAll, DropAll bool
	Add, Drop       caps.Set

	// Ambient raises the resulting set into the ambient set too, so that a
	// non-root workload keeps the capabilities across execve. Container
	// runtimes leave it empty (Kubernetes has no field for it).
	Ambient bool
}

// Resolve computes the set from the base. inherited is the launcher's
// bounding set, used when InheritBase; supported is what the kernel knows
// (what ALL means).
func (c *Capabilities) Resolve(inherited, supported caps.Set) caps.Set {
	s := c.Base
	if c.InheritBase {
		s = inherited
	}
	if c.AddAll {
		s = supported
	}
	if c.DropAll {
		s = 0
	}
	return s.Union(c.Add).Minus(c.Drop)
}

// String describes the request, not the result ("inherit -NET_RAW").
func (c *Capabilities) String() string {
	var b strings.Builder
	if c.InheritBase {
		b.WriteString("inherited")
	} else {
		b.WriteString("{" + c.Base.String() + "}")
	}
	if c.AddAll {
		b.WriteString(" +ALL")
	}
	if c.DropAll {
		b.WriteString(" -ALL")
	}
	for _, x := range c.Add.List() {
		b.WriteString(" +" + x.String())
	}
	for _, x := range c.Drop.List() {
		b.WriteString(" -" + x.String())
	}
	return b.String()
}

// User is the identity the workload runs as. Supplementary groups are
// cleared, as runc does for a container without additionalGids.
type User struct {
	UID, GID int
}

// SeccompKind names where a seccomp profile comes from.
type SeccompKind string

const (
	SeccompNone           SeccompKind = ""                // nothing asked: unconfined
	SeccompUnconfined     SeccompKind = "unconfined"      // explicitly unconfined
	SeccompRuntimeDefault SeccompKind = "runtime-default" // Docker's / containerd's default profile
	SeccompFile           SeccompKind = "file"            // an OCI / Docker JSON profile
)

// Seccomp is a reference to a profile; the seccomp package loads and
// resolves it.
type Seccomp struct {
	Kind SeccompKind
	Path string // for SeccompFile
	// Runtime, for SeccompRuntimeDefault, is the runtime whose default
	// profile it is ("podman"); empty, Docker's.
	Runtime string
	// Origin is where the reference was written (file:line), for errors.
	Origin string
}

// Enabled reports whether a filter is to be loaded.
func (s Seccomp) Enabled() bool {
	return s.Kind == SeccompRuntimeDefault || s.Kind == SeccompFile
}

func (s Seccomp) String() string {
	switch s.Kind {
	case SeccompNone:
		return "none"
	case SeccompFile:
		return s.Path
	case SeccompRuntimeDefault:
		if s.Runtime != "" {
			return string(s.Kind) + " (" + s.Runtime + "'s)"
		}
	}
	return string(s.Kind)
}

// AppArmorKind names where an AppArmor profile comes from.
type AppArmorKind string

const (
	AppArmorUnconfined     AppArmorKind = "unconfined"
	AppArmorRuntimeDefault AppArmorKind = "runtime-default"
	AppArmorLocalhost      AppArmorKind = "localhost" // a profile loaded on the host, by name
)

// AppArmor is a reference to a profile: by name (already loaded), or a file
// to load first.
type AppArmor struct {
	Kind AppArmorKind
	Name string // profile name to attach
	File string // profile source to load with apparmor_parser -r, if any
	// Origin is where the reference was written (file:line), for errors.
	Origin string
}

func (a *AppArmor) String() string {
	switch a.Kind {
	case AppArmorLocalhost:
		if a.File != "" {
			return a.Name + " (" + a.File + ")"
		}
		return a.Name
	}
	return string(a.Kind)
}

// FSMode is what a filesystem rule does.
type FSMode string

const (
	DenyRead  FSMode = "deny-read"  // file contents beneath the path cannot be read
	DenyWrite FSMode = "deny-write" // nothing beneath the path can be written, truncated, created or removed
	ReadOnly  FSMode = "read-only"  // same as deny-write: the path stays readable
	Allow     FSMode = "allow"      // allow-list entry: only allowed paths are reachable
)

// FSRule is one filesystem rule. Access is used by Allow rules: a
// combination of r, w and x.
type FSRule struct {
	Mode   FSMode
	Path   string
	Access string
	// Origin is where the rule was written (flag, file:line), for errors.
	Origin string
}

func (r FSRule) String() string {
	if r.Mode == Allow {
		return fmt.Sprintf("--allow %s:%s", r.Path, r.Access)
	}
	return fmt.Sprintf("--%s %s", r.Mode, r.Path)
}

// WantsNoNewPrivs resolves the NoNewPrivs default.
func (p *Policy) WantsNoNewPrivs() bool {
	if p.NoNewPrivs != nil {
		return *p.NoNewPrivs
	}
	return p.Seccomp.Enabled() || len(p.Landlock) > 0 || len(p.Scope) > 0
}

// The Landlock scopes, as flags and files spell them.
const (
	// ScopeSignal: no signal to a process outside the domain (kill,
	// tgkill, pidfd_send_signal, and SIGIO/SIGURG through F_SETOWN).
	ScopeSignal = "signal"
	// ScopeAbstractUnix: no connect or send to an abstract UNIX socket
	// bound outside the domain.
	ScopeAbstractUnix = "abstract-unix"
)

// Scopes are the scope words, in the order they are written back.
var Scopes = []string{ScopeAbstractUnix, ScopeSignal}

// checkScope refuses a word that is not a scope: a misspelt scope must
// not leave the workload with one scope fewer than asked.
func checkScope(w string) error {
	for _, s := range Scopes {
		if w == s {
			return nil
		}
	}
	return fmt.Errorf("%q: want %s", w, strings.Join(Scopes, " or "))
}

// addScopes adds words to p.Scope once each, in Scopes' order.
func (p *Policy) addScopes(words []string) {
	have := map[string]bool{}
	for _, w := range append(p.Scope, words...) {
		have[w] = true
	}
	p.Scope = p.Scope[:0]
	for _, s := range Scopes {
		if have[s] {
			p.Scope = append(p.Scope, s)
		}
	}
}
