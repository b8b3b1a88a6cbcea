package seccomp

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

func classOf(es []Entry, name string) Entry {
	for _, e := range es {
		if e.Name == name {
			return e
		}
	}
	return Entry{}
}

func TestClassifyRuntimeDefault(t *testing.T) {
	p, err := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
	if err != nil {
		t.Fatal(err)
	}
	es := p.Classify([]string{"read", "unshare", "clone", "personality", "kexec_load"})
	for name, want := range map[string]Class{"read": Allowed, "unshare": Denied, "clone": Conditional, "personality": Conditional, "kexec_load": Denied} {
		if got := classOf(es, name).Class; got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if c := classOf(es, "clone"); !strings.Contains(c.Rules[0].Conditions(), "arg0 & 0x7e020000 == 0x0") {
		t.Errorf("clone's condition: %s", c.Rules[0].Conditions())
	}
}

// Conditions on one argument are ORed by the engine: the rule matches
// values the author meant to exclude.
func TestSameArgumentConditionsAreORed(t *testing.T) {
	p, err := Parse("range.json", []byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
		{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[
			{"index":0,"value":8,"op":"SCMP_CMP_GE"},{"index":0,"value":16,"op":"SCMP_CMP_LE"}]}]}`), caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Rules()[0]
	if !r.ORed || !strings.Contains(r.Conditions(), "||") {
		t.Fatalf("rule %+v", r)
	}
	// 0x400000 (READ_IMPLIES_EXEC) is >= 8: allowed, though the author
	// wrote a range 8..16.
	if !r.Matches([6]uint64{0x400000}, false) {
		t.Fatal("ORed conditions should match 0x400000")
	}
}

func TestMaskedEqualAnd32Bits(t *testing.T) {
	r := Rule{Args: []specs.LinuxSeccompArg{{Index: 1, Op: specs.OpMaskedEqual, Value: 0xffffffff, ValueTwo: 0x5412}}}
	if !r.Matches([6]uint64{0, 0xffffffff00005412}, false) {
		t.Error("a 32-bit mask must match TIOCSTI with high bits set")
	}
	eq := Rule{Args: []specs.LinuxSeccompArg{{Index: 1, Op: specs.OpEqualTo, Value: 0x5412}}}
	if eq.Matches([6]uint64{0, 0xffffffff00005412}, false) {
		t.Error("a 64-bit EQ must miss TIOCSTI with high bits (CVE-2019-10063)")
	}
	if !eq.Matches([6]uint64{0, 0xffffffff00005412}, true) {
		t.Error("on a 32-bit ABI the filter sees only the low half")
	}
}

func TestParseArg(t *testing.T) {
	for in, want := range map[string]uint64{
		"CLONE_NEWUSER|CLONE_NEWNET": 0x50000000, "AF_INET": 2, "SOCK_RAW|SOCK_CLOEXEC": 0x80003,
		"0x5412": 0x5412, "-1": 0xffffffffffffffff, "tiocsti": 0x5412, "8": 8,
	} {
		if got, err := ParseArg(in); err != nil || got != want {
			t.Errorf("ParseArg(%q) = %#x, %v; want %#x", in, got, err, want)
		}
	}
	if _, err := ParseArg("AF_NOPE"); err == nil {
		t.Error("unknown constant accepted")
	}
}

// Explain's rule-level answer (no compiled program, as for a non-root
// user) must agree with the compiled filter's, which the kernel tests
// vouch for.
func TestExplainRulesAgreeWithFilter(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, _ := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
	f, err := Compile(p)
	if err != nil || f.Program() == nil {
		t.Fatalf("%v %s", err, f.Why)
	}
	n := 0
	for _, name := range []string{"unshare", "clone", "socket", "personality", "read", "mount", "ptrace", "keyctl", "bpf", "chroot"} {
		for _, d := range bpf.Samples()[:14] {
			for _, arch := range Arches {
				byRules, err := Explain(p, nil, arch, name, d.Args)
				if err != nil {
					continue // not on this ABI
				}
				byFilter, err := Explain(p, f.Program(), arch, name, d.Args)
				if err != nil {
					t.Fatal(err)
				}
				n++
				// i386's direct socket(2) included: the filter tests its
				// arguments as on x86_64
				if byRules.Action != byFilter.Action {
					t.Errorf("%s %s(%#x): rules say %s, the filter %s", arch.Name, name, d.Args, byRules.Action, byFilter.Action)
				}
			}
		}
	}
	t.Logf("%d decisions agree", n)
}

func TestSPOProfile(t *testing.T) {
	p, err := Load(policy.Seccomp{Kind: policy.SeccompFile, Path: "testdata/spo.yaml"}, caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.DefaultAction != specs.ActErrno || len(p.Rules()) != 5 {
		t.Fatalf("%+v", p.Spec)
	}
	_, err = Load(policy.Seccomp{Kind: policy.SeccompFile, Path: "testdata/spo-bad.yaml"}, caps.Full)
	if err == nil || !strings.HasPrefix(err.Error(), `testdata/spo-bad.yaml:11:11: spec.syscalls[].names: unknown syscall "wirte"`) {
		t.Fatalf("got %v", err)
	}
}
