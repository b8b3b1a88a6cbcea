//go:build linux

// Package probe is the runner of rampart's attack catalog: for each path
// of package attack it holds a harmless probe that issues the call the
// way attackers' tools do, on Linux, from inside the process being
// judged, and hands what happened (an attack.Outcome) to
// attack.Attribute. It also reads what the process can see of its own
// confinement (ReadState) and runs the probes whose call affects the
// whole process in child processes: the program re-executed, which is
// why a program that runs probes calls ChildMain first thing in main.
// Importing the package starts nothing and diverts nothing.
//
// probe imports attack, which holds the catalog, the static models, the
// attribution rules and the report's form; attack never imports probe,
// so predicting, rendering and auditing make no system call and start
// no child.
//
// Safety is the first requirement: every probe is harmless when run as
// full root on a production host. Nothing persistent is written, nothing
// is mounted outside a private mount namespace of a thread or a child
// process that then exits, no clock is changed, nothing is loaded, no
// secret is printed.
// Where the real call would change the system, the probe uses arguments
// that make the kernel's permission check run before the argument check,
// and the path's Safety field says which kernel function checks what, in
// which order.
package probe

import (
	"fmt"
	"sort"
	"strings"
	"syscall"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/version"
)

// env is what a probe sees while it runs.
type env struct {
	state *attack.State
}

// prober is how the runner makes one catalog path's attack.
type prober struct {
	// run performs the probe in this process; child, when set instead,
	// performs it in a re-executed rampart (see inChild).
	run   func(*env) attack.Outcome
	child func() attack.Outcome
	// canary, when set, repeats the call with arguments the kernel
	// rejects with the path's CanaryErrno before any permission check,
	// but that a seccomp filter sees the same way as the real call. If
	// the canary fails with the real call's errno instead, the filter
	// stopped both. A canary returns 0 when it cannot tell (an old
	// kernel, a gate that closes before the filter matters).
	canary func() syscall.Errno
}

// probers are the runner's probes by catalog path ID.
var probers = map[string]*prober{}

// register adds the probe of the catalog path id; a second probe for
// one is a programming error, and so is a path the catalog does not
// have, which TestProbesCoverCatalog finds (checking it here would build
// the catalog at the start of every process).
func register(id string, p prober) *prober {
	if _, dup := probers[id]; dup {
		panic("probe: duplicate probe " + id)
	}
	probers[id] = &p
	return &p
}

// Run probes the given paths (all when nil) and attributes each result.
func Run(paths []*attack.Path) (*attack.Report, error) {
	if paths == nil {
		paths = attack.Catalog()
	}
	var missing []string
	for _, p := range paths {
		if probers[p.ID] == nil {
			missing = append(missing, p.ID)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("probe: no probe for attack path(s) %s", strings.Join(missing, ", "))
	}
	st, err := ReadState()
	if err != nil {
		return nil, err
	}
	rep := &attack.Report{Schema: attack.SchemaVersion, RampartVersion: version.Version(), State: st}
	e := &env{state: st}
	for _, p := range paths {
		rep.Results = append(rep.Results, attack.Attribute(p, runOne(p, e), st))
	}
	return rep, nil
}

func runOne(p *attack.Path, e *env) attack.Outcome {
	pr := probers[p.ID]
	var o attack.Outcome
	if pr.child != nil {
		o = inChild(p)
	} else {
		o = pr.run(e)
	}
	// A path of several variants has run each one's canary already.
	if !o.Open && o.Absent == "" && pr.canary != nil && e.state.Seccomp == 2 && o.CanaryErrno == nil {
		// 0: the canary could not tell here (an old kernel, a closed gate)
		if c := pr.canary(); c != 0 {
			o.CanaryErrno = &c
		}
	}
	return o
}

// errnoOf extracts the errno of a syscall error.
func errnoOf(err error) syscall.Errno {
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	return 0
}
