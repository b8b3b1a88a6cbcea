// Package attack is rampart's attack model: the catalog of paths an
// attacker inside a workload would try, and for each one what every
// layer checks (the capabilities the kernel asks for, the syscalls and
// argument values a seccomp filter decides on, the accesses an LSM
// mediates), the variants an attacker picks from, and the rules that
// turn an observation into a verdict: prediction without running
// (PredictSeccomp, MissingCaps, LSMRefuses) and attribution of a refusal
// to the layer that made it (Attribute). It also holds the probe report's
// JSON form (Report, Result, State), so a report can be read, rendered
// and compared without running anything.
//
// Nothing here makes a system call: audit, harden, report and layers
// import it to predict and render. Package probe is the runner:
// it makes each path's call on Linux and hands the outcome to Attribute.
// probe imports attack; attack never imports probe.
//
// The Safety text of a path says why its probe, in package probe, is
// harmless when run as full root on a production host.
package attack

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/seccomp"

	"github.com/rampart-sec/rampart/internal/linuxabi"
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

	// CanaryErrno is what the kernel itself answers the path's canary
	// (package probe's call with arguments the kernel rejects before any
	// permission check, which a seccomp filter sees the same way as the
	// real call): a refusal whose canary got the real call's errno
	// instead was the filter's. 0 where the kernel never refuses the
	// call.
	CanaryErrno syscall.Errno `json:"-"`
	// capErrnos are refusals besides EPERM and EACCES that the kernel's
	// capability check returns on this path (TIOCSTI: EIO).
	capErrnos []syscall.Errno
	// variants are Model.Variants(), grouped once when the catalog is built.
	variants []Variant
}

// Variants are the path's Model.Variants(); callers must not change them.
func (p *Path) Variants() []Variant {
	if p.variants == nil {
		p.variants = p.Model.Variants()
	}
	return p.variants
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
	// Scope is the Landlock scope that closes the path for a domain
	// (policy.ScopeSignal, ScopeAbstractUnix): an IPC no filesystem rule
	// reaches.
	Scope string `json:",omitempty"`
	// UserNS says where the kernel asks for Caps, or whose the object is
	// that root passes on as its owner: what a user namespace of the
	// workload's own takes away (UserNSInit, UserNSNet, ...; userns.go).
	// Empty where no capability and no owner is asked.
	UserNS UserNSCheck `json:",omitempty"`
}

// Call is one syscall with the arguments a filter may test.
type Call struct {
	Name string
	Args [6]uint64
	// Compat marks a call made through a compat ABI (i386 or x32).
	Compat string `json:",omitempty"`
	// Route names the variant this call is a step of when the variant
	// takes several calls (the new mount API: fsopen, fsconfig,
	// fsmount): a filter closes it by refusing any step. Empty for a
	// call that is a variant by itself.
	Route string `json:",omitempty"`
	// Label names the call in evidence ("clone(CLONE_NEWUSER)"); empty
	// for the name and arguments in hex.
	Label string `json:",omitempty"`
	// Caps are capabilities the kernel checks on this variant besides
	// the path's (open_by_handle_at: CAP_DAC_READ_SEARCH).
	Caps caps.Set `json:",omitempty"`
	// Needs is what the variant needs to exist besides the layers (a
	// user namespace to join); empty when nothing.
	Needs string `json:",omitempty"`
}

// String names the call as evidence does.
func (c Call) String() string {
	if c.Label != "" {
		return c.Label
	}
	prefix := ""
	if c.Compat != "" {
		prefix = c.Compat + " "
	}
	if c.Args == [6]uint64{} {
		return prefix + c.Name
	}
	n := 1
	for i := 5; i > 0; i-- {
		if c.Args[i] != 0 {
			n = i + 1
			break
		}
	}
	args := make([]string, n)
	for i := range args {
		args[i] = fmt.Sprintf("%#x", c.Args[i])
	}
	return prefix + c.Name + "(" + strings.Join(args, ", ") + ")"
}

// Variant is one way an attacker makes a path's call: one Call, or the
// steps of a Route.
type Variant struct {
	Name  string
	Calls []Call
	// Caps are what the kernel checks on it besides the path's.
	Caps caps.Set
	// Needs is what it needs to exist besides the layers (Call.Needs).
	Needs string
}

// Variants groups the model's calls into the variants an attacker picks
// from, in the model's order.
func (m Model) Variants() []Variant {
	var out []Variant
	at := map[string]int{}
	for _, c := range m.Calls {
		if c.Route == "" {
			out = append(out, Variant{Name: c.String(), Calls: []Call{c}, Caps: c.Caps, Needs: c.Needs})
			continue
		}
		i, ok := at[c.Route]
		if !ok {
			i = len(out)
			at[c.Route] = i
			out = append(out, Variant{Name: c.Route})
		}
		out[i].Calls = append(out[i].Calls, c)
		out[i].Caps |= c.Caps
	}
	return out
}

// siblingCalls lists c and every route seccomp's sibling table knows to
// the same kernel operation (seccomp.Routes): one vocabulary for the
// probe, audit and the launcher's variant warnings. A route of several
// steps is named by them ("fsopen+fsconfig+fsmount"); a one-step route
// keeps the arguments.
func siblingCalls(c Call) []Call {
	out := []Call{c}
	for _, r := range seccomp.Routes(c.Name, c.Args) {
		names := make([]string, len(r.Calls))
		for i, rc := range r.Calls {
			names[i] = rc.Name
		}
		route := strings.Join(names, "+")
		if r.Kind == "io_uring" {
			route = "io_uring " + strings.ToUpper(r.Op)
		}
		for _, rc := range r.Calls {
			sc := Call{Name: rc.Name, Args: rc.Args, Caps: c.Caps}
			if len(r.Calls) > 1 {
				sc.Route = route
			} else {
				sc.Label = siblingLabel(rc)
			}
			out = append(out, sc)
		}
	}
	return out
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
	AccessSignal     AccessKind = "signal"
)

// Access is one LSM-mediated access: a file path and mode (AppArmor's
// letters: r, w, x, m, k, l), a network family and type, a capability,
// a mount, a ptrace, a unix-socket connect (Path the socket file, "@"
// for an abstract name, Type the socket type, Mode "connect"), or a
// signal (Path the target's /proc/PID, Mode "send", Type the signal as
// AppArmor names it: "exists" is signal 0).
type Access struct {
	Kind   AccessKind
	Path   string `json:",omitempty"`
	Mode   string `json:",omitempty"`
	Family string `json:",omitempty"`
	Type   string `json:",omitempty"`
	Cap    string `json:",omitempty"`
	// Route groups the accesses of one way in: a path needs every access
	// with no Route, and of those with one, all of some Route (one of the
	// sockets it may find, one of the disk names a node may have). An
	// LSM closes the path only by refusing every way.
	Route string `json:",omitempty"`
}

// LSMRefuses says whether an LSM that refuses what refused says refuses
// every way in of accs (Access.Route), and names the access it refuses
// on the first way. refused is asked once per access at most.
func LSMRefuses(accs []Access, refused func(Access) (string, bool)) (string, bool) {
	var why string
	routes := map[string]bool{} // route -> refused
	var order []string
	for _, a := range accs {
		if a.Route == "" {
			if w, ok := refused(a); ok {
				return w, true
			}
			continue
		}
		if _, seen := routes[a.Route]; !seen {
			routes[a.Route] = false
			order = append(order, a.Route)
		}
		if routes[a.Route] {
			continue
		}
		if w, ok := refused(a); ok {
			routes[a.Route] = true
			if why == "" {
				why = w
			}
		}
	}
	if len(order) == 0 {
		return "", false
	}
	for _, r := range order {
		if !routes[r] {
			return "", false
		}
	}
	if len(order) > 1 {
		why += fmt.Sprintf(" (and every other way in: %s)", strings.Join(order[1:], ", "))
	}
	return why, true
}

// declared builds each path of the catalog. The catalog is built on
// first use, not at start: a process that never asks for it (a launch,
// a compile helper) does not pay for it.
var declared []func() *Path

func declare(f func() *Path) bool {
	declared = append(declared, f)
	return true
}

var (
	registryOnce sync.Once
	registryMap  map[string]*Path
)

// registry is the catalog by ID.
func registry() map[string]*Path {
	registryOnce.Do(func() {
		registryMap = make(map[string]*Path, len(declared))
		for _, f := range declared {
			p := f()
			if _, dup := registryMap[p.ID]; dup {
				panic("attack: duplicate path " + p.ID)
			}
			// grouped once here, before any reader can see the path
			p.variants = p.Model.Variants()
			registryMap[p.ID] = p
		}
	})
	return registryMap
}

// Catalog returns every path, seed paths first, then by ID.
func Catalog() []*Path {
	reg := registry()
	out := make([]*Path, 0, len(reg))
	for _, p := range reg {
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
		if p, ok := registry()[id]; ok {
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

// cloneFlagNames are the clone and unshare flags evidence spells out.
var cloneFlagNames = []struct {
	bit  uint64
	name string
}{
	{linuxabi.CLONE_NEWUSER, "CLONE_NEWUSER"}, {linuxabi.CLONE_NEWNET, "CLONE_NEWNET"}, {linuxabi.CLONE_NEWNS, "CLONE_NEWNS"},
	{linuxabi.CLONE_NEWPID, "CLONE_NEWPID"}, {linuxabi.CLONE_NEWUTS, "CLONE_NEWUTS"}, {linuxabi.CLONE_NEWIPC, "CLONE_NEWIPC"},
	{linuxabi.CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
}

// CloneFlags spells a clone or unshare flags word: CLONE_NEWUSER|CLONE_NEWNET.
func CloneFlags(v uint64) string {
	var parts []string
	for _, f := range cloneFlagNames {
		if v&f.bit != 0 {
			parts = append(parts, f.name)
			v &^= f.bit
		}
	}
	if v&0xff == uint64(linuxabi.SIGCHLD) {
		// clone's low byte is the exit signal
		parts = append(parts, "SIGCHLD")
		v &^= 0xff
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// siblingLabel names a one-step route: a call whose arguments are out of
// a filter's sight by its name alone, clone and unshare by their flags.
func siblingLabel(rc seccomp.RouteCall) string {
	switch {
	case rc.Hidden:
		return rc.Name
	case rc.Name == "clone" || rc.Name == "unshare":
		return rc.Name + "(" + CloneFlags(rc.Args[0]) + ")"
	}
	return ""
}

// highBitCall is c with the lowest bit above what the kernel reads of
// argument i set (seccomp.ArgWidth): the kernel does the same, a rule
// comparing the whole argument with == does not match it. ok is false
// when the kernel reads all 64 bits.
func highBitCall(c Call, i int) (Call, bool) {
	w := seccomp.ArgWidth(c.Name, i)
	if w >= 64 {
		return c, false
	}
	c.Args[i] |= 1 << w
	if c.Label != "" {
		c.Label += fmt.Sprintf(" with bit %d set in arg%d", w, i)
	}
	return c, true
}
