package probe

import (
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
)

// fixed is a variant with a set answer and canary answer.
func fixed(name string, o Outcome, canary syscall.Errno) variant {
	return variant{name: name, run: func(*env) Outcome { return o }, canary: func() syscall.Errno { return canary }}
}

// The verdict is the variant that got furthest: open beats refused, and
// a refusal past the filter beats the filter's.
func TestAnyVariantFurthest(t *testing.T) {
	e := &env{state: state(0, 2)}
	byFilter := fixed("settimeofday", Outcome{Errno: unix.EPERM, Step: "a"}, unix.EPERM)
	byKernel := fixed("adjtimex", Outcome{Errno: unix.EPERM, Step: "b"}, unix.EFAULT)
	works := fixed("clock_adjtime", open("c", "ok"), 0)
	for _, c := range []struct {
		name     string
		vs       []variant
		step     string
		open     bool
		layer    string
		noFilter bool
	}{
		{"all refused by the filter", []variant{byFilter, byFilter}, "a; every variant refused alike: settimeofday, settimeofday", false, BySeccomp, false},
		{"one past the filter", []variant{byFilter, byKernel}, "b; refused by the filter: settimeofday", false, ByCapabilities, false},
		{"one open", []variant{byFilter, byKernel, works}, "c", true, "", false},
		{"no filter: the first refusal", []variant{byKernel, byFilter}, "b", false, ByCapabilities, true},
	} {
		st := e.state
		if c.noFilter {
			st = state(0, 0)
		}
		o := anyVariant(&env{state: st}, unix.EFAULT, c.vs...)
		r := Attribute(registry["set-clock"], o, st)
		if o.Step != c.step || o.Open != c.open || r.Layer != c.layer {
			t.Errorf("%s: step %q open %v layer %q (%s), want %q %v %q", c.name, o.Step, o.Open, r.Layer, r.Evidence, c.step, c.open, c.layer)
		}
	}
}

// An inferred verdict is marked, and its evidence says it was not measured.
func TestPastFilterInferred(t *testing.T) {
	st := state(0, 2)
	r := Attribute(registry["mount-tmpfs"], pastFilter("mount not made", "why", unix.EINVAL, false), st)
	if r.Verdict != Blocked || r.Layer != ByCapabilities || !r.Inferred || !strings.Contains(r.Evidence, "inferred, not measured: why") {
		t.Errorf("without the capability: %+v", r)
	}
	r = Attribute(registry["mount-tmpfs"], pastFilter("mount not made", "why", unix.EINVAL, true), state(caps.Full, 2))
	if r.Verdict != Open || !r.Inferred || !strings.Contains(r.Evidence, "why") {
		t.Errorf("with the capability: %+v", r)
	}
}
