//go:build linux && cgo && seccomp

package seccomp

import (
	"testing"

	"github.com/rampart-sec/rampart/caps"
)

// A rule's errno is its own, EPERM when it gives none, never the
// profile's defaultErrnoRet: that is what the engine installs, and what
// explain and the rule listing must say.
func TestRuleErrnoIsItsOwn(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, err := Parse("p.json", []byte(`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,
		"syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO"},{"names":["read","write","execve","exit_group","close","pread64"],"action":"SCMP_ACT_ALLOW"}]}`), caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(p)
	if err != nil || !f.Cached {
		t.Fatalf("%v %s", err, f.Why)
	}
	compiled, err := Explain(p, f.Program(), Arches[0], "getpid", [6]uint64{})
	if err != nil {
		t.Fatal(err)
	}
	byRules, err := Explain(p, nil, Arches[0], "getpid", [6]uint64{})
	if err != nil {
		t.Fatal(err)
	}
	if compiled.Action != "SCMP_ACT_ERRNO(EPERM)" || byRules.Action != compiled.Action || len(compiled.Rules) != 1 {
		t.Fatalf("compiled filter %s %v, profile rules %s", compiled.Action, compiled.Rules, byRules.Action)
	}
	for _, e := range p.Classify(nil) {
		if e.Name == "getpid" && e.Action != "SCMP_ACT_ERRNO(EPERM)" {
			t.Fatalf("classify: getpid %s", e.Action)
		}
	}
}
