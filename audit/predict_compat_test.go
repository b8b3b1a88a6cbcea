//go:build linux && cgo && seccomp

package audit

import (
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/seccomp"
)

// Without a compiled program, a compat call is still decided on its own
// ABI: i386 stime, the one way to set the clock a profile leaves open,
// keeps set-clock open where the profile lists x86, and is refused with
// the whole ABI where it does not.
func TestExplainSeccompCompatCall(t *testing.T) {
	paths, err := attack.Lookup([]string{"set-clock"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		arches string
		open   bool
		why    string
	}{
		{`"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"`, true, "i386 stime"},
		{`"SCMP_ARCH_X86_64"`, false, "i386 stime: refused: the profile does not list x86"},
	} {
		prof, err := seccomp.Parse("stime-only.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO",
			"architectures": [`+c.arches+`],
			"syscalls": [{"names": ["stime"], "action": "SCMP_ACT_ALLOW"}]}`), caps.Full)
		if err != nil {
			t.Fatal(err)
		}
		open, why, err := explainSeccomp(prof, paths[0])
		if err != nil {
			t.Fatal(err)
		}
		if open != c.open || !strings.Contains(why, c.why) {
			t.Errorf("architectures %s: open=%v (%s), want %v and %q", c.arches, open, why, c.open, c.why)
		}
	}
}
