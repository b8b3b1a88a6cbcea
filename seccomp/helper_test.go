//go:build linux && cgo && seccomp

package seccomp

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

// Importing seccomp diverts nothing: a program that does not call
// HelperMain runs its own main with RAMPART_SECCOMP_COMPILER set, and a
// cache miss there compiles in place instead of re-executing it (which
// would start that main again).
func TestNoHelperWithoutEntry(t *testing.T) {
	if os.Getenv(noHelperEnv) == "1" {
		noHelperMain(t)
		return
	}
	needRoot(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoHelperWithoutEntry$", "-test.v")
	cmd.Env = append(os.Environ(), noHelperEnv+"=1", compilerEnv+"=1", "RAMPART_CACHE_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "main ran") || !strings.Contains(string(out), "--- PASS: TestNoHelperWithoutEntry") {
		t.Fatalf("with %s=1, the program without HelperMain: %v\n%s", compilerEnv, err, out)
	}
}

// noHelperMain is the program without HelperMain: its own code runs, and
// a profile no cache holds is compiled in place, saying why.
func noHelperMain(t *testing.T) {
	t.Log("main ran")
	p, err := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Cached || f.Program() != nil || !strings.Contains(f.Why, "seccomp.HelperMain") {
		t.Errorf("without HelperMain: cached=%v program=%d why=%q, want compiled in place for want of a helper", f.Cached, len(f.Program()), f.Why)
	}
}
