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

// The model groups a route's steps into one variant, names it, and
// keeps what a variant needs besides the layers.
func TestModelVariants(t *testing.T) {
	byName := func(id string) map[string]Variant {
		out := map[string]Variant{}
		for _, v := range registry[id].Model.Variants() {
			if _, dup := out[v.Name]; dup {
				t.Errorf("%s: variant %q twice", id, v.Name)
			}
			out[v.Name] = v
		}
		return out
	}
	mount := byName("mount-tmpfs")
	if v := mount["fsopen+fsconfig+fsmount"]; len(v.Calls) != 3 || v.Calls[0].Name != "fsopen" || v.Calls[2].Name != "fsmount" {
		t.Errorf("mount-tmpfs: the new mount API route is %+v", v)
	}
	if _, ok := mount["mount(2)"]; !ok {
		t.Errorf("mount-tmpfs: no mount(2) variant in %v", mount)
	}
	userns := byName("userns-netns")
	for _, n := range []string{"unshare(CLONE_NEWUSER|CLONE_NEWNET)", "clone(CLONE_NEWUSER|CLONE_NEWNET)", "clone3", "unshare(CLONE_NEWUSER)", "clone(CLONE_NEWUSER)"} {
		if v, ok := userns[n]; !ok || v.Needs != "" {
			t.Errorf("userns-netns: variant %q: %+v (present %v)", n, v, ok)
		}
	}
	if v := userns["setns(CLONE_NEWUSER)"]; v.Needs == "" {
		t.Errorf("userns-netns: setns needs nothing: %+v", v)
	}
	shadow := byName("read-shadow")
	if v := shadow["io_uring OPENAT"]; len(v.Calls) != 2 || v.Calls[0].Name != "io_uring_setup" || v.Calls[1].Name != "io_uring_enter" {
		t.Errorf("read-shadow: io_uring route %+v", v)
	}
	if v := shadow["open_by_handle_at"]; v.Caps != caps.Of(caps.DAC_READ_SEARCH) || v.Needs == "" {
		t.Errorf("read-shadow: handle variant %+v", v)
	}
	if _, ok := shadow["openat2"]; !ok {
		t.Errorf("read-shadow: no openat2 in %v", shadow)
	}
	if _, ok := byName("packet-socket")["socket(AF_INET, SOCK_PACKET)"]; !ok {
		t.Errorf("packet-socket: no (AF_INET, SOCK_PACKET) variant")
	}
	if _, ok := byName("bpf-load")["bpf(BPF_PROG_LOAD) with bit 32 set in arg0"]; !ok {
		t.Errorf("bpf-load: no high-bit variant in %v", byName("bpf-load"))
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
