//go:build linux && cgo && seccomp

package attack

import (
	"os"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/seccomp"
)

// A call the catalog makes through a compat ABI is predicted on that
// ABI: i386 stime, allowed by a profile that refuses every other way to
// set the clock, leaves set-clock open. Decided on x86_64, where stime
// does not exist, it looked closed.
func TestPredictSeccompCompatCall(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("reading a compiled filter back needs CAP_SYS_ADMIN (run as root)")
	}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	prof, err := seccomp.Parse("stime-only.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO",
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
		"syscalls": [{"names": ["stime"], "action": "SCMP_ACT_ALLOW"}]}`), caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	f, err := seccomp.Compile(prof)
	if err != nil || f.Program() == nil {
		t.Fatalf("compile: %v (%s)", err, f.Why)
	}
	paths, err := Lookup([]string{"set-clock"})
	if err != nil {
		t.Fatal(err)
	}
	open, why, err := PredictSeccomp(paths[0], f.Program())
	if err != nil {
		t.Fatal(err)
	}
	if !open || !strings.Contains(why, "i386 stime") {
		t.Errorf("set-clock under a profile allowing only stime: open=%v (%s), want open through i386 stime", open, why)
	}
}

// A route of several calls passes a filter only when every step does: a
// profile that allows fsopen but refuses fsmount (and mount) closes the
// new mount API; one allowing all three leaves it open.
func TestPredictSeccompRoute(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("reading a compiled filter back needs CAP_SYS_ADMIN (run as root)")
	}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	paths, err := Lookup([]string{"mount-tmpfs"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		denied string
		open   bool
		why    string
	}{
		{`"mount", "fsmount"`, false, "fsopen+fsconfig+fsmount (fsmount: SCMP_ACT_ERRNO(EPERM))"},
		{`"mount"`, true, "but allows fsopen+fsconfig+fsmount"},
	} {
		prof, err := seccomp.Parse("mount.json", []byte(`{"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": [`+c.denied+`], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`), caps.Full)
		if err != nil {
			t.Fatal(err)
		}
		f, err := seccomp.Compile(prof)
		if err != nil || f.Program() == nil {
			t.Fatalf("compile: %v (%s)", err, f.Why)
		}
		open, why, err := PredictSeccomp(paths[0], f.Program())
		if err != nil || open != c.open || !strings.Contains(why, c.why) {
			t.Errorf("refusing %s: open=%v (%s) %v, want %v and %q", c.denied, open, why, err, c.open, c.why)
		}
	}
}
