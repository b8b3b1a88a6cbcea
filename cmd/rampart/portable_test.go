//go:build linux

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A rampart built without cgo runs the code a darwin or windows build
// runs (no libseccomp, the copied tables and constants): its audit of the
// seed, for an amd64 and an arm64 node, must be this build's, verdict for
// verdict and reason for reason; seccomp explain decides by the rules, and
// lint checks the rules and says what it left out.
func TestAuditWithoutLibseccomp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds rampart without cgo")
	}
	bin := filepath.Join(t.TempDir(), "rampart-nocgo")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	type verdicts map[string]string // file/path -> verdict: why
	read := func(out []byte) verdicts {
		var rep struct {
			Workloads []struct {
				File       string
				Containers []struct {
					Paths []struct{ ID, Verdict, Why string }
				}
			}
		}
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("%v: %.300s", err, out)
		}
		v := verdicts{}
		for _, w := range rep.Workloads {
			for _, c := range w.Containers {
				for _, p := range c.Paths {
					v[w.File+" "+p.ID] = p.Verdict + ": " + p.Why
				}
			}
		}
		return v
	}
	for _, arch := range []string{"amd64", "arm64"} {
		args := []string{"audit", "--arch", arch, "--apparmor-node", "--profiles", "../../examples/seed", "-o", "json", "../../examples/seed/"}
		here := rampart(t, "", args...)
		out, err := exec.Command(bin, args...).Output()
		if err != nil && here.code == 0 {
			t.Fatalf("%s: the build without cgo: %v", arch, err)
		}
		want, got := read([]byte(here.stdout)), read(out)
		if len(want) < 100 {
			t.Fatalf("%s: %d predictions", arch, len(want))
		}
		same := 0
		for k, w := range want {
			// the one word that may differ: how the filter was asked
			if g := got[k]; g != w {
				t.Errorf("%s %s:\n  with libseccomp    %s\n  without            %s", arch, k, w, g)
			} else {
				same++
			}
		}
		t.Logf("%s: %d predictions, %d the same", arch, len(want), same)
	}
	out, _ := exec.Command(bin, "seccomp", "explain", "runtime-default", "--arch", "aarch64", "unshare", "CLONE_NEWUSER").CombinedOutput()
	if !strings.Contains(string(out), "on aarch64 (nr 97)") || !strings.Contains(string(out), "SCMP_ACT_ERRNO(EPERM)") || !strings.Contains(string(out), "no libseccomp") {
		t.Errorf("explain without libseccomp:\n%s", out)
	}
	out, err := exec.Command(bin, "seccomp", "lint", "runtime-default").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rules only") || strings.Contains(string(out), "error:") {
		t.Errorf("lint without libseccomp: %v\n%s", err, out)
	}
}
