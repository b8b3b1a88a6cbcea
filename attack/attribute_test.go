package attack

import (
	"slices"
	"syscall"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/procstatus"

	"github.com/rampart-sec/rampart/internal/linuxabi"
)

func state(eff caps.Set, seccompMode int, lsms ...string) *State {
	return &State{Status: &procstatus.Status{CapEff: eff}, Seccomp: seccompMode, SeccompFilters: seccompMode / 2, ActiveLSMs: lsms}
}

func errp(e syscall.Errno) *syscall.Errno { return &e }

func confined(st *State) *State {
	st.AppArmor = "cri-containerd.apparmor.d (enforce)"
	return st
}

func TestAttributeKernelOrder(t *testing.T) {
	raw := registry()["raw-socket"]
	shadow := registry()["read-shadow"]
	vmRead := registry()["process-vm-readv"]
	yes, no := true, false
	for _, c := range []struct {
		name  string
		p     *Path
		o     Outcome
		st    *State
		layer string
		lsm   string
		amb   []string
	}{
		{"open", raw, Outcome{Open: true}, state(0, 2), "", "", nil},
		{"missing capability, no filter", raw, Outcome{Errno: linuxabi.EPERM}, state(0, 0), ByCapabilities, "", nil},
		// the canary passed the filter (EINVAL from the kernel): not seccomp
		{"missing capability under a filter", raw, Outcome{Errno: linuxabi.EPERM, CanaryErrno: errp(linuxabi.EINVAL)}, state(0, 2), ByCapabilities, "", nil},
		// the canary got the filter's errno: the kernel never checked caps
		{"filter first", raw, Outcome{Errno: linuxabi.EPERM, CanaryErrno: errp(linuxabi.EPERM)}, state(0, 2), BySeccomp, "", nil},
		// no canary answer under a filter: both remain possible
		{"no canary under a filter", raw, Outcome{Errno: linuxabi.EPERM}, state(0, 2), BySeccomp, "", []string{BySeccomp, ByCapabilities}},
		{"landlock", shadow, Outcome{Errno: linuxabi.EACCES, DACAllows: &yes}, state(caps.Full, 0, "capability", "landlock"), ByLSM, "Landlock", nil},
		{"permission bits", shadow, Outcome{Errno: linuxabi.EACCES, DACAllows: &no}, state(0, 0, "capability", "landlock"), ByOther, "", nil},
		// the permission bits refuse before AppArmor's file_open hook
		{"permission bits under AppArmor", shadow, Outcome{Errno: linuxabi.EACCES, DACAllows: &no}, confined(state(0, 0, "capability", "apparmor")), ByOther, "", nil},
		{"AppArmor", shadow, Outcome{Errno: linuxabi.EACCES, DACAllows: &yes}, confined(state(caps.Full, 0, "capability", "apparmor")), ByLSM, "AppArmor", nil},
		{"two path LSMs", shadow, Outcome{Errno: linuxabi.EACCES, DACAllows: &yes}, state(caps.Full, 0, "landlock", "selinux"), ByLSM, "landlock/selinux", nil},
		{"absent", shadow, Outcome{Errno: linuxabi.ENOENT, Absent: "no file"}, state(caps.Full, 0), ByOther, "", nil},
		// the set-up failed; the canary got the filter's errno: the
		// filter refuses the attack's call whatever the set-up
		{"set-up failed, filter refuses the call", vmRead, Outcome{Errno: linuxabi.ECHILD, Setup: true, CanaryErrno: errp(linuxabi.EPERM)}, state(0, 2), BySeccomp, "", nil},
		// the canary passed the filter: nothing is known of the call
		{"set-up failed, call passes the filter", vmRead, Outcome{Errno: linuxabi.ECHILD, Setup: true, CanaryErrno: errp(linuxabi.EINVAL)}, state(0, 2), ByOther, "", nil},
		{"set-up failed, no filter", vmRead, Outcome{Errno: linuxabi.ECHILD, Setup: true}, state(0, 0), ByOther, "", nil},
	} {
		r := Attribute(c.p, c.o, c.st)
		if r.Layer != c.layer || r.LSM != c.lsm || !slices.Equal(r.Ambiguous, c.amb) {
			t.Errorf("%s: layer %q lsm %q ambiguous %v (%s), want %q %q %v", c.name, r.Layer, r.LSM, r.Ambiguous, r.Evidence, c.layer, c.lsm, c.amb)
		}
		if (r.Verdict == Open) != c.o.Open || (r.Verdict == Blocked && r.Evidence == "") {
			t.Errorf("%s: verdict %q evidence %q", c.name, r.Verdict, r.Evidence)
		}
		if c.o.Setup && r.Layer == BySeccomp && !r.Inferred {
			t.Errorf("%s: a set-up failure attributed to seccomp without saying it is inferred", c.name)
		}
	}
}

// Whatever the outcome and state, a verdict is open with no layer, or
// blocked by exactly one of the four layers, with evidence.
func FuzzAttribute(f *testing.F) {
	f.Add(uint8(0), false, int32(1), int32(22), true, uint64(0), 2, true)
	f.Fuzz(func(t *testing.T, idx uint8, isOpen bool, errno, canary int32, hasCanary bool, eff uint64, mode int, dac bool) {
		paths := Catalog()
		p := paths[int(idx)%len(paths)]
		o := Outcome{Open: isOpen, Errno: syscall.Errno(uint32(errno) % 200), DACAllows: &dac, Setup: eff%5 == 3}
		if hasCanary {
			c := syscall.Errno(uint32(canary) % 200)
			o.CanaryErrno = &c
		}
		r := Attribute(p, o, state(caps.Set(eff), mode%3, "capability", "landlock"))
		switch r.Verdict {
		case Open:
			if r.Layer != "" {
				t.Fatalf("open with layer %q", r.Layer)
			}
		case Blocked:
			if !slices.Contains([]string{ByCapabilities, BySeccomp, ByLSM, ByOther}, r.Layer) || r.Evidence == "" {
				t.Fatalf("blocked by %q with evidence %q", r.Layer, r.Evidence)
			}
			if len(r.Ambiguous) > 0 && r.Ambiguous[0] != r.Layer {
				t.Fatalf("layer %q is not the first of %v", r.Layer, r.Ambiguous)
			}
		default:
			t.Fatalf("verdict %q", r.Verdict)
		}
	})
}

func TestCatalogShape(t *testing.T) {
	cat := Catalog()
	if len(cat) < 24 {
		t.Fatalf("%d paths, want at least 24", len(cat))
	}
	for i, id := range Seed {
		if cat[i].ID != id {
			t.Errorf("catalog[%d] = %s, want the seed's %s first", i, cat[i].ID, id)
		}
	}
	for _, p := range cat {
		if p.Title == "" || p.Gain == "" || p.Safety == "" || len(p.Syscalls) == 0 {
			t.Errorf("%s: incomplete (title, gain, safety, syscalls)", p.ID)
		}
	}
}
