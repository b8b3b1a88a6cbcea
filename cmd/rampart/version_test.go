//go:build linux

package main

import (
	"encoding/json"
	"encoding/xml"
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
		if i.Kernel.IA32 != (features.HaveIA32() == nil) {
			t.Errorf("ia32 %v, the i386 program says %v", i.Kernel.IA32, features.HaveIA32())
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

	// Every report names the version of the rampart that wrote it: each
	// JSON report's rampartVersion, SARIF's driver and JUnit's suites.
	t.Run("reports", func(t *testing.T) {
		needRoot(t)
		t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
		seed := "../../examples/seed/"
		rec := t.TempDir()
		for _, c := range []struct {
			name string
			args []string
			file string // the report, when not stdout
		}{
			{name: "audit", args: []string{"audit", "-o", "json", seed}},
			{name: "seccomp lint", args: []string{"seccomp", "lint", "-o", "json", lintData + "flag-eq.json", "runtime-default:containerd"}},
			{name: "probe", args: []string{"probe", "-o", "json"}},
			{name: "layers", args: []string{"layers", "-o", "json"}},
			{name: "record", args: []string{"record", "--out", rec, "--", "/bin/true"}, file: filepath.Join(rec, "recording.json")},
		} {
			r := stamped("", c.args...)
			if r.code != 0 && !(c.name == "seccomp lint" && r.code == 1) {
				t.Errorf("%s: exit %d: %s", c.name, r.code, r.stderr)
				continue
			}
			out := []byte(r.stdout)
			if c.file != "" {
				var err error
				if out, err = os.ReadFile(c.file); err != nil {
					t.Errorf("%s: %v", c.name, err)
					continue
				}
			}
			var v struct {
				Schema         string `json:"schema"`
				RampartVersion string `json:"rampartVersion"`
			}
			if err := json.Unmarshal(out, &v); err != nil || v.Schema == "" || v.RampartVersion != testVersion {
				t.Errorf("%s: schema %q, rampartVersion %q, want %q (%v)", c.name, v.Schema, v.RampartVersion, testVersion, err)
			}
		}
		for _, args := range [][]string{{"audit", "-o", "sarif", seed}, {"seccomp", "lint", "-o", "sarif", lintData + "flag-eq.json"}} {
			r := stamped("", args...)
			var l sarifLog
			if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || len(l.Runs) != 1 {
				t.Fatalf("%v: %v: %s", args, err, r.stderr)
			}
			if d := l.Runs[0].Tool.Driver; d.Version != testVersion || d.SemanticVersion != testVersion || d.InformationURI != version.URL {
				t.Errorf("%v: driver version %q, semanticVersion %q, informationUri %q", args, d.Version, d.SemanticVersion, d.InformationURI)
			}
		}
		r := stamped("", "audit", "-o", "junit", seed)
		var j struct {
			Suites []struct {
				Name       string `xml:"name,attr"`
				Properties []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"properties>property"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(r.stdout), &j); err != nil || len(j.Suites) == 0 {
			t.Fatalf("junit: %v: %s", err, r.stdout)
		}
		for _, s := range j.Suites {
			if len(s.Properties) != 1 || s.Properties[0].Name != "rampart.version" || s.Properties[0].Value != testVersion {
				t.Errorf("junit suite %s: properties %+v", s.Name, s.Properties)
			}
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
