package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/version"
)

// The version and commit a test build is stamped with, as `make build`
// stamps git describe's: a semantic version with build metadata.
const (
	testVersion = "9.8.7-rc.1+stamped"
	testCommit  = "0123456789abcdef0123456789abcdef01234567"
)

// stampedRampart builds rampart as `make build` does, stamped with
// testVersion and testCommit, and returns a runner of it.
func stampedRampart(t *testing.T) func(stdin string, args ...string) result {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to build rampart with")
	}
	bin := filepath.Join(t.TempDir(), "rampart")
	pkg := "github.com/rampart-sec/rampart/version"
	build := exec.Command(gobin, "build", "-tags", "seccomp", "-ldflags",
		"-X "+pkg+".stamped=v"+testVersion+" -X "+pkg+".stampedCommit="+testCommit, "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return func(stdin string, args ...string) result {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		return runAsRampart(t, cmd)
	}
}

func TestVersion(t *testing.T) {
	stamped := stampedRampart(t)

	t.Run("table and --version", func(t *testing.T) {
		r := stamped("", "version")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		for _, want := range []string{"rampart " + testVersion + "\n", "commit      " + testCommit + "\n",
			runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, "libseccomp  " + seccomp.LibseccompVersion() + "\n"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("rampart version: no %q in\n%s", want, r.stdout)
			}
		}
		if f := stamped("", "--version"); f.code != 0 || f.stdout != r.stdout {
			t.Errorf("rampart --version (exit %d):\n%s\nwant what rampart version says:\n%s", f.code, f.stdout, r.stdout)
		}
	})

	// -v -o json says what the kernel offers; each fact is checked
	// against the kernel's own interfaces from this process.
	t.Run("json -v", func(t *testing.T) {
		r := stamped("", "version", "-v", "-o", "json")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var i version.Info
		if err := json.Unmarshal([]byte(r.stdout), &i); err != nil {
			t.Fatalf("%v\n%s", err, r.stdout)
		}
		if i.Version != testVersion || i.Commit != testCommit || i.Go != runtime.Version() || i.Libseccomp != seccomp.LibseccompVersion() || i.Kernel == nil {
			t.Fatalf("version -v -o json: %+v", i)
		}
		abi, _ := features.LandlockABI()
		if i.Kernel.LandlockABI != abi {
			t.Errorf("landlockABI %d, the kernel says %d", i.Kernel.LandlockABI, abi)
		}
		if lsm, err := os.ReadFile("/sys/kernel/security/lsm"); err == nil {
			if want := strings.Split(strings.TrimSpace(string(lsm)), ","); !slices.Equal(i.Kernel.LSMs, want) {
				t.Errorf("lsms %v, securityfs says %v", i.Kernel.LSMs, want)
			}
		}
		if i.Kernel.AppArmor != slices.Contains(i.Kernel.LSMs, "apparmor") || i.Kernel.BPFLSM != slices.Contains(i.Kernel.LSMs, "bpf") {
			t.Errorf("apparmor %v, bpfLSM %v, with LSMs %v", i.Kernel.AppArmor, i.Kernel.BPFLSM, i.Kernel.LSMs)
		}
		if !i.Kernel.AppArmor && i.Kernel.Missing["apparmor"] == "" {
			t.Errorf("no AppArmor and no reason: %+v", i.Kernel)
		}
		acts, _ := os.ReadFile("/proc/sys/kernel/seccomp/actions_avail")
		if !slices.Equal(i.Kernel.SeccompActions, strings.Fields(string(acts))) {
			t.Errorf("seccompActions %v, the kernel lists %q", i.Kernel.SeccompActions, acts)
		}
	})

	t.Run("unstamped", func(t *testing.T) {
		// The test binary is rampart built without a stamp by go test.
		r := rampart(t, "", "version")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "rampart "+version.Devel+"\n") {
			t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := rampart(t, "", "version", "-o", "xml"); r.code != exitUsage {
			t.Fatalf("-o xml: exit %d, want %d: %s", r.code, exitUsage, r.stderr)
		}
	})
}
