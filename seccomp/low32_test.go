//go:build linux && cgo && seccomp

package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
)

// libseccomp compares x32's arguments on their low 32 bits, as it does
// i386's: a rule "arg1 > 0xffffffff" never matches there. The launch's
// spot check and explain's reading of the rules read x32 the same way,
// so the profile is installed (it used to be refused: the spot check
// expected the 64-bit answer) and explain says what the filter does.
func TestX32RulesReadOnLow32(t *testing.T) {
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, err := Parse("x32.json", []byte(`{"defaultAction":"SCMP_ACT_LOG",
 "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X32"],
 "syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ERRNO","errnoRet":100,"args":[{"index":1,"value":4294967295,"op":"SCMP_CMP_GT"}]}]}`), caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(p)
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if f.Program() == nil {
		t.Skipf("no compiled program to compare with (%s)", f.Why)
	}
	x32, _ := ArchByName("x32")
	for _, args := range [][6]uint64{{0, 1 << 32}, {0, 0xffffffff}, {0, 5}} {
		filter, err := Explain(p, f.Program(), x32, "keyctl", args)
		if err != nil {
			t.Fatal(err)
		}
		rules, err := Explain(p, nil, x32, "keyctl", args)
		if err != nil {
			t.Fatal(err)
		}
		if filter.Action != "SCMP_ACT_LOG" || rules.Action != filter.Action {
			t.Errorf("x32 keyctl(%#x): the filter says %s, the rules %s; want SCMP_ACT_LOG from both", args[:2], filter.Action, rules.Action)
		}
	}
	x86_64 := Arches[0]
	if d, _ := Explain(p, f.Program(), x86_64, "keyctl", [6]uint64{0, 1 << 32}); d.Action != ActionString(specs.ActErrno, 100) {
		t.Errorf("x86_64 keyctl(0, 1<<32): %s, want the rule's SCMP_ACT_ERRNO(100): 64 bits are compared there", d.Action)
	}
}
