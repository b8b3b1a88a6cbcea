package seccomp

import (
	"math/rand"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/runtimes"
)

// solveArg against a search: conditions on small values and masks whose
// least solution, when there is one, is below 64 (or is a value the
// conditions name), on both widths.
func TestSolveArgLeastSolution(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	ops := []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}
	for range 200000 {
		var conds []specs.LinuxSeccompArg
		for range 1 + r.Intn(3) {
			c := specs.LinuxSeccompArg{Op: ops[r.Intn(len(ops))], Value: uint64(r.Intn(40)), ValueTwo: uint64(r.Intn(16))}
			if r.Intn(8) == 0 {
				c.Value |= 1 << 32 // the upper half, which the 32-bit ABIs do not compare
			}
			conds = append(conds, c)
		}
		for _, bits32 := range []bool{false, true} {
			got, ok := solveArg(conds, bits32)
			want, found := uint64(0), false
			for x := range uint64(1 << 7) {
				if holdsAll(conds, x, bits32) {
					want, found = x, true
					break
				}
			}
			if !found {
				// a solution only above the search: the conditions must
				// name a bound up there (GT/GE with the upper half)
				if ok && !holdsAll(conds, got, bits32) {
					t.Fatalf("%v bits32=%v: %#x does not meet them", conds, bits32, got)
				}
				continue
			}
			if !ok || got != want {
				t.Fatalf("%v bits32=%v: solveArg %#x %v, least solution %#x", conds, bits32, got, ok, want)
			}
		}
	}
}

func holdsAll(conds []specs.LinuxSeccompArg, x uint64, bits32 bool) bool {
	for _, c := range conds {
		if !condition(c, x, bits32) {
			return false
		}
	}
	return true
}

// Two rules that answer differently for one call are refused, naming
// both and the call, where the engine compares: on each ABI the filter
// covers, on 32 bits on x86 and x32, and on x86's socketcall(2); rules
// that exclude each other, share an action, or equal the default are
// not.
func TestConflictingRulesRefused(t *testing.T) {
	const allowLog = `{"defaultAction":"SCMP_ACT_LOG",%s"syscalls":[%s]}`
	for _, c := range []struct {
		name, arches, rules string
		want                string // "" for accepted
	}{
		// libseccomp lets the unconditional rule replace the other: the
		// deny on AF_PACKET does not hold
		{"unconditional-allow", "", `{"names":["socket"],"action":"SCMP_ACT_ALLOW"},
{"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":0,"value":17,"op":"SCMP_CMP_EQ"}]}`,
			`the rules at p.json:1 (socket SCMP_ACT_ALLOW) and p.json:2 (socket SCMP_ACT_ERRNO(EIO) when arg0 == 0x11) both match x86_64 socket(0x11, 0x0, 0x0) with different actions`},
		// a condition on arg1 is tested before one on arg0
		{"two-arguments", "", `{"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
{"names":["socket"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":1,"value":2,"op":"SCMP_CMP_EQ"}]}`,
			`both match x86_64 socket(0x1, 0x2, 0x0)`},
		// == 5 wins over >= 2
		{"range-and-value", "", `{"names":["personality"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":0,"value":2,"op":"SCMP_CMP_GE"}]},
{"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":0,"value":5,"op":"SCMP_CMP_EQ"}]}`,
			`both match x86_64 personality(0x5, 0x0, 0x0)`},
		{"masked-and-range", "", `{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":10,"op":"SCMP_CMP_GT"}]},
{"names":["ioctl"],"action":"SCMP_ACT_TRAP","args":[{"index":1,"value":12,"op":"SCMP_CMP_MASKED_EQ"}]}`,
			`both match x86_64 ioctl(0x0, 0x10, 0x0)`},
		{"different-errno", "", `{"names":["unshare"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":0,"value":268435456,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"}]},
{"names":["unshare"],"action":"SCMP_ACT_ERRNO","errnoRet":6,"args":[{"index":0,"value":1073741824,"valueTwo":1073741824,"op":"SCMP_CMP_MASKED_EQ"}]}`,
			`both match x86_64 unshare(0x50000000, 0x0, 0x0)`},
		// apart in the upper half: apart on x86_64, the same on x32
		{"upper-half-x86_64", "", `{"names":["personality"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":0,"value":5,"op":"SCMP_CMP_EQ"}]},
{"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":4294967301,"op":"SCMP_CMP_EQ"}]}`, ""},
		{"upper-half-x32", `"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X32"],`, `{"names":["personality"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":0,"value":5,"op":"SCMP_CMP_EQ"}]},
{"names":["personality"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":4294967301,"op":"SCMP_CMP_EQ"}]}`,
			`both match x32 personality(0x5, 0x0, 0x0)`},
		// apart on socket's arg0, together on socketcall, whose arg0 is
		// the call number
		{"socketcall", `"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],`, `{"names":["socket"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]},
{"names":["socket"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":0,"value":10,"op":"SCMP_CMP_EQ"}]}`,
			`both match x86 socketcall(0x1, 0x0, 0x0) for socket with different actions: on x86 libseccomp puts socket's rules on socketcall(2) too`},
		{"socketcall-own", `"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],`, `{"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":1,"value":3,"op":"SCMP_CMP_EQ"}]},
{"names":["socketcall"],"action":"SCMP_ACT_ERRNO","errnoRet":6}`,
			`both match x86 socketcall(0x1, 0x3, 0x0) for socket`},
		{"socketcall-other-call", `"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],`, `{"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":5},
{"names":["connect"],"action":"SCMP_ACT_KILL_PROCESS"}`, ""},
		{"exclusive", "", `{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":17,"op":"SCMP_CMP_NE"}]},
{"names":["socket"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":17,"op":"SCMP_CMP_EQ"}]}`, ""},
		{"exclusive-masks", "", `{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]},
{"names":["clone"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":268435456,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"}]}`, ""},
		{"same-action", "", `{"names":["socket"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":17,"op":"SCMP_CMP_EQ"}]},
{"names":["socket"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":3,"op":"SCMP_CMP_EQ"}]}`, ""},
		// the default's own action: runc drops the rule
		{"equal-to-default", "", `{"names":["socket"],"action":"SCMP_ACT_LOG"},
{"names":["socket"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":17,"op":"SCMP_CMP_EQ"}]}`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := strings.Replace(strings.Replace(allowLog, "%s", c.arches, 1), "%s", c.rules, 1)
			_, err := Parse("p.json", []byte(body), caps.Full)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v\nwant …%s…", err, c.want)
			}
			if c.want != "" && !strings.HasPrefix(err.Error(), "p.json:2:1: syscalls[1]: ") {
				t.Fatalf("not placed at the second rule: %v", err)
			}
		})
	}
}

// The runtimes' own profiles are modeled as they are: CRI-O 1.31's
// allows setns outright and refuses it without CAP_SYS_ADMIN, a pair
// libseccomp settles for the allow; the load notes it.
func TestRuntimeDefaultConflictNoted(t *testing.T) {
	rd, err := RuntimeDefaultFor("cri-o", "1.31")
	if err != nil {
		t.Fatal(err)
	}
	p, err := rd.Load(runtimes.Containerd.Caps)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "(setns SCMP_ACT_ALLOW) and runtime-default syscalls[10] (setns SCMP_ACT_ERRNO(EPERM)) both match x86_64 setns") {
		t.Fatalf("notes: %q", p.Notes)
	}
}
