package attack

import (
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// The model, case by case: where the kernel asks decides whether a user
// namespace of the workload's own closes a path, and for whom.
func TestUserNSCloses(t *testing.T) {
	root := Context{Root: true}
	container := UserNSFacts{OwnsOthers: true}
	for _, c := range []struct {
		id    string
		ctx   Context
		f     UserNSFacts
		close bool
	}{
		{"set-clock", root, container, true},      // capable(CAP_SYS_TIME)
		{"raw-socket", root, UserNSFacts{}, true}, // the host's network namespace
		{"raw-socket", root, container, false},    // the Pod's own, made in its user namespace
		{"pivot-root", root, UserNSFacts{Owns: func(ns string) bool { return ns == "mnt" }}, false},
		{"read-shadow", root, UserNSFacts{}, true},       // the host's file
		{"read-shadow", root, container, false},          // the image's, the namespace root's own
		{"read-shadow", Context{}, UserNSFacts{}, false}, // uid 1000: the permission bits refuse it anyway
		{"core-pattern", root, container, true},          // /proc/sys wants the host's root
		{"chroot", root, UserNSFacts{}, false},           // asked in the namespace itself
		{"userns-netns", root, UserNSFacts{}, false},     // no capability at all
		{"signal-outside", root, container, true},        // root no longer matches kthreadd's uid
		{"perf-event-open", Context{Root: true, Sysctls: map[string]string{"kernel.perf_event_paranoid": "2"}}, UserNSFacts{}, false},
		{"perf-event-open", Context{Root: true, Sysctls: map[string]string{"kernel.perf_event_paranoid": "3"}}, UserNSFacts{}, true},
	} {
		why, got := UserNSCloses(registry()[c.id], c.ctx, c.f)
		if got != c.close {
			t.Errorf("%s (%+v, owns others %v): closed %v (%s), want %v", c.id, c.ctx, c.f.OwnsOthers, got, why, c.close)
		}
	}
}

// Attribution: the same refusal is the user namespace's only in one.
func TestAttributeUserNS(t *testing.T) {
	clock := registry()["set-clock"]
	shadow := registry()["read-shadow"]
	no := false
	in := func(st *State) *State {
		st.Namespaces = map[string]string{"user": "private"}
		st.UIDMap = []string{"0 1000000 65536"}
		return st
	}
	for _, c := range []struct {
		name  string
		p     *Path
		o     Outcome
		st    *State
		layer string
	}{
		{"capability held in a user namespace", clock, Outcome{Errno: linuxabi.EPERM}, in(state(caps.Full, 0)), ByUserNS},
		{"capability held on the host", clock, Outcome{Errno: linuxabi.EPERM}, state(caps.Full, 0), ByOther},
		{"capability missing in a user namespace", clock, Outcome{Errno: linuxabi.EPERM}, in(state(0, 0)), ByCapabilities},
		{"host file, root of a user namespace", shadow, Outcome{Errno: linuxabi.EACCES, DACAllows: &no}, in(state(caps.Full, 0, "landlock")), ByUserNS},
	} {
		r := Attribute(c.p, c.o, c.st)
		if r.Layer != c.layer {
			t.Errorf("%s: %s (%s), want %s", c.name, r.Layer, r.Evidence, c.layer)
		}
	}
}
