//go:build linux

package probe

import (
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
)

// fixed is a variant with a set answer and canary answer.
func fixed(name string, o attack.Outcome, canary syscall.Errno) variant {
	return variant{name: name, run: func(*env) attack.Outcome { return o }, canary: func() syscall.Errno { return canary }}
}

// The verdict is the variant that got furthest: open beats refused, and
// a refusal past the filter beats the filter's.
func TestAnyVariantFurthest(t *testing.T) {
	e := &env{state: state(0, 2)}
	byFilter := fixed("settimeofday", attack.Outcome{Errno: unix.EPERM, Step: "a"}, unix.EPERM)
	byKernel := fixed("adjtimex", attack.Outcome{Errno: unix.EPERM, Step: "b"}, unix.EFAULT)
	works := fixed("clock_adjtime", open("c", "ok"), 0)
	for _, c := range []struct {
		name     string
		vs       []variant
		step     string
		open     bool
		layer    string
		noFilter bool
	}{
		{"all refused by the filter", []variant{byFilter, byFilter}, "a; every variant refused alike: settimeofday, settimeofday", false, attack.BySeccomp, false},
		{"one past the filter", []variant{byFilter, byKernel}, "b; refused by the filter: settimeofday", false, attack.ByCapabilities, false},
		{"one open", []variant{byFilter, byKernel, works}, "c", true, "", false},
		{"no filter: the first refusal", []variant{byKernel, byFilter}, "b", false, attack.ByCapabilities, true},
	} {
		st := e.state
		if c.noFilter {
			st = state(0, 0)
		}
		o := anyVariant(&env{state: st}, unix.EFAULT, c.vs...)
		r := attack.Attribute(catalogPath(t, "set-clock"), o, st)
		if o.Step != c.step || o.Open != c.open || r.Layer != c.layer {
			t.Errorf("%s: step %q open %v layer %q (%s), want %q %v %q", c.name, o.Step, o.Open, r.Layer, r.Evidence, c.step, c.open, c.layer)
		}
	}
}

// An inferred verdict is marked, and its evidence says it was not measured.
func TestPastFilterInferred(t *testing.T) {
	st := state(0, 2)
	r := attack.Attribute(catalogPath(t, "mount-tmpfs"), pastFilter("mount not made", "why", unix.EINVAL, false), st)
	if r.Verdict != attack.Blocked || r.Layer != attack.ByCapabilities || !r.Inferred || !strings.Contains(r.Evidence, "inferred, not measured: why") {
		t.Errorf("without the capability: %+v", r)
	}
	r = attack.Attribute(catalogPath(t, "mount-tmpfs"), pastFilter("mount not made", "why", unix.EINVAL, true), state(caps.Full, 2))
	if r.Verdict != attack.Open || !r.Inferred || !strings.Contains(r.Evidence, "why") {
		t.Errorf("with the capability: %+v", r)
	}
}

// The net answers for the one call and never runs it: with no other
// filter, ENOSYS (TRACE without a tracer); getpid, had it run, would
// have returned the pid.
func TestFilterAnswerNeverRuns(t *testing.T) {
	e, ok := filterAnswer(unix.SYS_GETPID, [6]uintptr{})
	if !ok || e != unix.ENOSYS {
		t.Fatalf("getpid under the net: %v (ok %v), want ENOSYS", e, ok)
	}
	// The net was the discarded thread's alone.
	if _, _, e := unix.RawSyscall(unix.SYS_GETPID, 0, 0, 0); e != 0 {
		t.Fatalf("getpid here: %v", e)
	}
}
