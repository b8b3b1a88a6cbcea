//go:build linux

package probe

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
)

// noEntryEnv makes the test binary a program that imports probe but does
// not call ChildMain.
const noEntryEnv = "RAMPART_PROBE_TEST_NO_ENTRY"

func TestMain(m *testing.M) {
	if os.Getenv(noEntryEnv) != "1" {
		// As rampart's main: the probes' children are this binary.
		ChildMain()
	}
	os.Exit(m.Run())
}

// The probes that need a child get one through ChildMain: chroot runs in
// a re-executed test binary, ptrace attaches to one. As root the kernel
// lets both through (own child, CAP_SYS_CHROOT); what matters here is that
// the children ran and reported, not a set-up failure.
func TestChildMainEntersChildren(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chroot needs CAP_SYS_CHROOT (run as root)")
	}
	if b, _ := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); strings.TrimSpace(string(b)) == "3" {
		t.Skip("kernel.yama.ptrace_scope=3 refuses every ptrace")
	}
	ps, err := attack.Lookup([]string{"chroot", "ptrace-child", "process-vm-readv"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(ps)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Verdict != attack.Open || strings.Contains(r.Evidence, "ChildMain") {
			t.Errorf("%s: %s by %s: %s (%s)", r.ID, r.Verdict, r.Layer, r.Evidence, r.Step)
		}
	}
}

// Importing probe diverts nothing: a program that does not call
// ChildMain runs its own main whatever the variables that name a probe
// child (or the seccomp compile helper, which probe links) say, and its
// runner re-executes nothing (it would start that main again) but says
// why the probe could not run.
func TestNoDivertWithoutEntry(t *testing.T) {
	if os.Getenv(noEntryEnv) == "1" {
		noEntryMain(t)
		return
	}
	for _, v := range []string{"RAMPART_PROBE_CHILD=chroot", "RAMPART_PROBE_CHILD=noop", "RAMPART_PROBE_TRACEE=1", "RAMPART_SECCOMP_COMPILER=1"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNoDivertWithoutEntry$", "-test.v")
		cmd.Env = append(os.Environ(), noEntryEnv+"=1", v)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "main ran") || !strings.Contains(string(out), "--- PASS: TestNoDivertWithoutEntry") {
			t.Errorf("with %s set, the program without ChildMain: %v\n%s", v, err, out)
		}
	}
}

// noEntryMain is the program without ChildMain: its own code runs, and
// the probes that need a child fail their set-up, naming ChildMain.
func noEntryMain(t *testing.T) {
	t.Log("main ran")
	e := &env{state: state(0, 0)}
	ps, err := attack.Lookup([]string{"chroot", "ptrace-child"})
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]attack.Outcome{}
	for _, p := range ps {
		outs[p.ID] = runOne(p, e)
	}
	// userns-netns's unshare variants exec the program as a no-op child
	outs["unshare(CLONE_NEWUSER)"] = unshareVariant(unix.CLONE_NEWUSER, "unshare(CLONE_NEWUSER)", "a new user namespace").run(e)
	for id, o := range outs {
		if o.Open || !o.Setup || !strings.Contains(o.Detail, "probe.ChildMain") {
			t.Errorf("%s without ChildMain: %+v", id, o)
		}
	}
}
