//go:build linux && cgo && seccomp

package seccomp

import (
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

var startNeeds = []Need{
	{Name: "execve", Arch: Arches[0], Args: [][6]uint64{{}, {0xc000100000, 0xc000100100, 0xc000100200}}, Why: "so CMD can never start"},
	{Name: "exit_group", Arch: Arches[0], Args: [][6]uint64{{0}, {1}}, Fallback: "exit", Why: "so CMD cannot end but by a signal"},
	{Name: "close", Arch: Arches[0], Args: [][6]uint64{{3}}, Why: "close", ErrnoHarmless: true},
}

// Whether a profile lets CMD start and end is decided on the compiled
// program: a rule by name, an argument condition and the default action
// all count, in place or from the cache.
func TestRequireDecidesOnTheProgram(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	for _, c := range []struct{ name, body, want string }{
		{"execve by name", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve"],"action":"SCMP_ACT_ERRNO"}]}`,
			"p.json: the profile refuses execve (SCMP_ACT_ERRNO(EPERM) on x86_64), so CMD can never start"},
		{"execve by the default", `{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[{"names":["read","write","exit_group","close"],"action":"SCMP_ACT_ALLOW"}]}`,
			"refuses execve (SCMP_ACT_KILL_PROCESS on x86_64)"},
		{"execve by a condition", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"args":[{"index":2,"value":0,"op":"SCMP_CMP_NE"}]}]}`,
			"refuses execve (SCMP_ACT_ERRNO(EACCES) on x86_64)"},
		{"exit_group", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["exit_group"],"action":"SCMP_ACT_KILL"}]}`,
			"refuses exit_group (SCMP_ACT_KILL"}, // _THREAD once compiled
		{"exit_group with a failing status", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["exit_group"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":0,"op":"SCMP_CMP_NE"}]}]}`,
			"refuses exit_group (SCMP_ACT_TRAP on x86_64)"},
		{"exit_group and its fallback", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["exit_group","exit"],"action":"SCMP_ACT_ERRNO"}]}`,
			"refuses exit_group (SCMP_ACT_ERRNO(EPERM) on x86_64) and exit, its fallback (SCMP_ACT_ERRNO(EPERM)), so CMD cannot end but by a signal"},
		{"exit_group failing, exit allowed", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["exit_group"],"action":"SCMP_ACT_ERRNO"}]}`, ""},
		{"close killed", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["close"],"action":"SCMP_ACT_KILL_PROCESS"}]}`,
			"refuses close (SCMP_ACT_KILL_PROCESS"},
		{"close failing is harmless", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["close"],"action":"SCMP_ACT_ERRNO"}]}`, ""},
		{"execve logged", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve"],"action":"SCMP_ACT_LOG"}]}`, ""},
	} {
		for _, cache := range []string{"on", "off"} {
			t.Run(c.name+"/cache "+cache, func(t *testing.T) {
				t.Setenv("RAMPART_SECCOMP_CACHE", cache)
				p, err := Parse("p.json", []byte(c.body), caps.Full)
				if err != nil {
					t.Fatal(err)
				}
				f, err := Compile(p)
				if err != nil {
					t.Fatal(err)
				}
				if f.Cached != (cache == "on") {
					t.Fatalf("cached %v: %s", f.Cached, f.Why)
				}
				err = f.Require(startNeeds...)
				if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
					t.Fatalf("got %v, want %q", err, c.want)
				}
			})
		}
	}
	// Every RuntimeDefault lets a workload start and end.
	for _, bounding := range []caps.Set{0, runtimes.Containerd.Caps, caps.Full} {
		p, _ := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, bounding)
		f, err := Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Require(startNeeds...); err != nil {
			t.Errorf("runtime-default for %v: %v", bounding, err)
		}
	}
}
