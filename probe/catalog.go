// Package probe is rampart's attack-path catalog: for each path an
// attacker inside a workload would try, a harmless probe that issues the
// call the way attackers' tools do, a static model of what each layer
// checks (for prediction without running), and the attribution of a
// blocked path to the layer that blocked it.
//
// Safety is the first requirement: every probe is harmless when run as
// full root on a production host. Nothing persistent is written, nothing
// is mounted outside a private mount namespace of a thread or a child
// process that then exits, no clock is changed, nothing is loaded, no
// secret is printed.
// Where the real call would change the system, the probe uses arguments
// that make the kernel's permission check run before the argument check,
// and its Safety field says which kernel function checks what, in which
// order.
package probe

import (
	"sort"
	"strings"
	"syscall"

	"github.com/rampart-sec/rampart/caps"
)

// Path is one attack path.
type Path struct {
	// ID is stable and kebab-case; JSON consumers key on it.
	ID    string
	Title string
	// Gain says what an attacker gets through this path.
	Gain string
	// Syscalls the attack uses, by name.
	Syscalls []string
	// Model is what each layer checks, for prediction without running.
	Model Model
	// Safety explains why running the probe is harmless.
	Safety string

	// run performs the probe in this process; child, when set instead,
	// performs it in a re-executed rampart (see inChild).
	run   func(*env) Outcome
	child func() Outcome
	// canary, when set, repeats the call with arguments the kernel
	// rejects with canaryErrno before any permission check, but that a
	// seccomp filter sees the same way as the real call. If the canary
	// fails with the real call's errno instead, the filter stopped both.
	// A canary returns 0 when it cannot tell (an old kernel, a gate that
	// closes before the filter matters).
	canary      func() syscall.Errno
	canaryErrno syscall.Errno
	// capErrnos are refusals besides EPERM and EACCES that the kernel's
	// capability check returns on this path (TIOCSTI: EIO).
	capErrnos []syscall.Errno
}

// Model is a path's static description, layer by layer.
type Model struct {
	// Caps are the capabilities the kernel checks; the path needs all of
	// them. Empty when no capability is checked.
	Caps caps.Set
	// CapNote qualifies the check ("in the user namespace that owns the
	// network namespace", "unless kernel.perf_event_paranoid allows").
	CapNote string
	// Calls are the syscalls with the argument values a seccomp filter
	// decides on; one entry per variant an attacker can choose (flags such
	// as SOCK_CLOEXEC), so a rule that one variant slips past shows.
	Calls []Call
	// LSM lists the accesses an LSM mediates on this path.
	LSM []Access
	// HostDevice: the path opens a node of the host's disks. A container
	// that is not privileged has no such node in its /dev, and its device
	// cgroup refuses to open one.
	HostDevice bool `json:",omitempty"`
}

// Call is one syscall with the arguments a filter may test.
type Call struct {
	Name string
	Args [6]uint64
	// Compat marks a call made through a compat ABI (i386 or x32).
	Compat string `json:",omitempty"`
}

// AccessKind names what an LSM mediates.
type AccessKind string

const (
	AccessFile       AccessKind = "file"
	AccessNetwork    AccessKind = "network"
	AccessCapability AccessKind = "capability"
	AccessMount      AccessKind = "mount"
	AccessPtrace     AccessKind = "ptrace"
	AccessUnix       AccessKind = "unix"
)

// Access is one LSM-mediated access: a file path and mode (AppArmor's
// letters: r, w, x, m, k, l), a network family and type, a capability,
// a mount, a ptrace, or a unix-socket connect (Path the socket file, Type
// the socket type, Mode "connect").
type Access struct {
	Kind   AccessKind
	Path   string `json:",omitempty"`
	Mode   string `json:",omitempty"`
	Family string `json:",omitempty"`
	Type   string `json:",omitempty"`
	Cap    string `json:",omitempty"`
}

var registry = map[string]*Path{}

func register(p *Path) *Path {
	if _, dup := registry[p.ID]; dup {
		panic("probe: duplicate path " + p.ID)
	}
	registry[p.ID] = p
	return p
}

// Catalog returns every path, seed paths first, then by ID.
func Catalog() []*Path {
	out := make([]*Path, 0, len(registry))
	for _, p := range registry {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		si, sj := seedRank(out[i].ID), seedRank(out[j].ID)
		if si != sj {
			return si < sj
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Seed is the article's three paths, in its order.
var Seed = []string{"raw-socket", "userns-netns", "read-shadow"}

func seedRank(id string) int {
	for i, s := range Seed {
		if s == id {
			return i
		}
	}
	return len(Seed)
}

// Lookup finds paths by ID; unknown IDs are an error naming them.
func Lookup(ids []string) ([]*Path, error) {
	var out []*Path
	var unknown []string
	for _, id := range ids {
		if p, ok := registry[id]; ok {
			out = append(out, p)
		} else {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return nil, &UnknownError{IDs: unknown}
	}
	return out, nil
}

// UnknownError names catalog IDs that do not exist.
type UnknownError struct{ IDs []string }

func (e *UnknownError) Error() string {
	return "unknown attack path(s): " + strings.Join(e.IDs, ", ") + " (rampart probe --list shows the catalog)"
}
