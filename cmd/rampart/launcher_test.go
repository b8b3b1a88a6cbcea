//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/launcher"
)

// cliOnly are packages only the rest of the command line needs: a launch
// that initialises one of them paid for Kubernetes' type registry, the
// renderers or cobra before running its workload.
var cliOnly = regexp.MustCompile(`^(github\.com/spf13/cobra|k8s\.io/api/|k8s\.io/apimachinery/pkg/(runtime|apis/meta/v1)$|net/http$|` +
	`github\.com/google/gnostic-models/openapiv2|sigs\.k8s\.io/kustomize/kyaml/yaml$|` +
	`github\.com/rampart-sec/rampart/(kube|audit|report|harden|record|layers|policy/source)$)`)

// initialised runs the test binary as rampart with Go's init trace and
// returns the packages it initialised, and its output without the trace.
func initialised(t *testing.T, env []string, stdin string, args ...string) ([]string, result) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(slices.Clip(env), "GODEBUG=inittrace=1")
	cmd.Stdin = strings.NewReader(stdin)
	r := runAsRampart(t, cmd)
	var pkgs, rest []string
	for _, l := range strings.SplitAfter(r.stderr, "\n") {
		if f := strings.Fields(l); len(f) > 2 && f[0] == "init" && strings.HasPrefix(f[2], "@") {
			pkgs = append(pkgs, f[1])
			continue
		}
		rest = append(rest, l)
	}
	r.stderr = strings.Join(rest, "")
	return pkgs, r
}

// A launch from flags, a layers step, a probe child and the seccomp
// compile helper each end in the launcher's entry before Go initialises
// what only the rest of the command line needs; `rampart version` (the
// full command line) still initialises it, so the trace is read right.
func TestLaunchPathInitialisesNoCLIPackage(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	pol := filepath.Join(dir, "p.json")
	if err := os.WriteFile(pol, []byte(`{"schema": "rampart.policy/v1", "capabilities": {"inherit": true, "drop": ["NET_RAW"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "RAMPART_CACHE_DIR="+filepath.Join(dir, "cache"))
	for _, c := range []struct {
		name  string
		env   []string
		stdin string
		args  []string
		cli   bool
	}{
		{name: "run", args: []string{"run", "--cap-drop", "NET_RAW", "--seccomp", "runtime-default", "--deny-read", "/etc/shadow", "--", "/bin/true"}},
		{name: "layers step", args: []string{"layers-step", "--policy", pol, "--", "/bin/true"}},
		{name: "layers step probe", args: []string{"layers-step", "--only", "raw-socket,read-shadow", "probe"}},
		{name: "probe child", env: []string{"RAMPART_PROBE_CHILD=noop"}},
		{name: "seccomp compile helper", env: []string{"RAMPART_SECCOMP_COMPILER=1"}, stdin: `{"defaultAction": "SCMP_ACT_ALLOW"}`},
		{name: "full command line", args: []string{"version"}, cli: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			pkgs, r := initialised(t, append(env, c.env...), c.stdin, c.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var cli []string
			for _, p := range pkgs {
				if cliOnly.MatchString(p) {
					cli = append(cli, p)
				}
			}
			switch {
			case len(pkgs) == 0:
				t.Fatal("no init trace: GODEBUG=inittrace=1 printed nothing")
			case c.cli && len(cli) == 0:
				t.Errorf("the full command line initialised none of the command-line packages: %v", pkgs)
			case !c.cli && len(cli) > 0:
				t.Errorf("initialised %d packages (%d of them only the rest of the command line needs: %s)", len(pkgs), len(cli), strings.Join(cli, " "))
			}
		})
	}
}

// The launcher's entry and the full command line (RAMPART_FULL_CLI=1)
// parse the same flags from the same definitions: for every command line
// both end the same way, with the same words on stdout and stderr.
// Those marked fast must be the entry's to run.
func TestLaunchPathAgreesWithCLI(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badProfile := write("bad.json", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "argz": []}]}`)
	notJSON := write("notjson.json", "{")
	good := write("good.json", `{"schema": "rampart.policy/v1", "capabilities": {"inherit": true, "drop": ["NET_RAW"]}}`)
	badPolicy := write("badpolicy.json", `{"schema": "rampart.policy/v1", "capabilities": {"inherit": true, "dorp": ["NET_RAW"]}}`)
	env := append(os.Environ(), "RAMPART_CACHE_DIR="+filepath.Join(dir, "cache"))
	// compiled once, so that neither side says it compiled at launch
	if _, r := initialised(t, env, "", "run", "--seccomp", "runtime-default", "--", "/bin/true"); r.code != 0 {
		t.Fatalf("warming the seccomp cache: exit %d: %s", r.code, r.stderr)
	}
	for _, c := range []struct {
		args []string
		fast bool // the entry's to run to the end
		code int
	}{
		{[]string{"run", "--cap-drop", "NET_RAW,SYS_ADMIN", "--seccomp", "runtime-default", "--deny-read", "/etc/shadow", "--", "/bin/true"}, true, 0},
		{[]string{"run", "-v", "--cap-drop=NET_RAW", "--", "/bin/sh", "-c", "exit 3"}, true, 3},
		{[]string{"run", "--deny-read", "/etc/shadow", "--", "/bin/cat", "/etc/shadow"}, true, 1},
		{[]string{"run", "--cap-drop", "NET_RAWX", "--", "/bin/true"}, true, 125},
		{[]string{"run", "--cap-drop", "NET_RAW,", "--", "/bin/true"}, true, 2},
		{[]string{"run", "--cap-add", "ALL", "--cap-drop", "ALL", "--", "/bin/true"}, true, 0},
		{[]string{"run", "--seccomp", badProfile, "--", "/bin/true"}, true, 125},
		{[]string{"run", "--seccomp", notJSON, "--", "/bin/true"}, true, 125},
		{[]string{"run", "--seccomp", filepath.Join(dir, "missing.json"), "--", "/bin/true"}, true, 125},
		{[]string{"run", "--strict-profile", "--seccomp", "runtime-default", "--", "/bin/true"}, true, 0},
		{[]string{"run", "--deny-read", "", "--", "/bin/true"}, true, 125},
		{[]string{"run", "--deny-read", filepath.Join(dir, "none", "x"), "--", "/bin/true"}, true, 0},
		{[]string{"run", "--allow", "/etc:q", "--", "/bin/true"}, true, 125},
		{[]string{"run", "--user", "no-such-user-here", "--", "/bin/true"}, true, 125},
		{[]string{"run", "--user", "+1", "--", "/bin/true"}, true, 2},
		{[]string{"run", "--apparmor", "no-such-profile", "--", "/bin/true"}, true, 125},
		{[]string{"run", "--lsm-fallback", "apparmor", "--cap-drop", "NET_RAW", "--", "/bin/true"}, true, 125},
		{[]string{"run", "--no-new-privs=false", "--seccomp", "runtime-default", "--", "/bin/true"}, true, 0},
		{[]string{"run", "--preserve-fds", "-1", "--cap-drop", "NET_RAW", "--", "/bin/true"}, true, 2},
		{[]string{"run", "--", "/bin/true"}, true, 2},
		{[]string{"run", "--cap-drop", "NET_RAW", "--", filepath.Join(dir, "no-such-command")}, true, 127},
		{[]string{"run", "--cap-drop", "NET_RAW", "--", good}, true, 126},
		// Flags after the command are the command's, on both paths.
		{[]string{"run", "--cap-drop", "SYS_ADMIN", "/bin/sh", "-c", `test "$*" = "--cap-drop NET_RAW"`, "sh", "--cap-drop", "NET_RAW"}, true, 0},
		{[]string{"run", "--cap-drop", "NET_RAW"}, false, 2},
		{[]string{"run", "--bogus", "--", "/bin/true"}, false, 2},
		{[]string{"run", "--preserve-fds", "abc", "--", "/bin/true"}, false, 2},
		{[]string{"run", "-h"}, false, 0},
		{[]string{"run", "--policy", good, "--", "/bin/true"}, false, 0},
		{[]string{"run", "--policy", badPolicy, "--", "/bin/true"}, false, 125},
		{[]string{"layers-step", "--policy", good, "--", "/bin/true"}, true, 0},
		{[]string{"layers-step", "--policy", badPolicy, "--", "/bin/true"}, true, 125},
		{[]string{"layers-step", "--policy", filepath.Join(dir, "missing.json"), "probe"}, true, 2},
		{[]string{"layers-step", "--", "/bin/true"}, true, 2},
		{[]string{"layers-step", "probe", "extra"}, true, 2},
		{[]string{"layers-step", "--only", "no-such-path", "probe"}, true, 125},
		{[]string{"layers-step"}, false, 2},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			fastPkgs, fast := initialised(t, env, "", c.args...)
			_, full := initialised(t, append(env, launcher.FullCLIEnv+"=1"), "", c.args...)
			if fast != full {
				t.Errorf("the entry and the full command line disagree:\nentry: exit %d, stdout %q, stderr %q\nfull:  exit %d, stdout %q, stderr %q",
					fast.code, fast.stdout, fast.stderr, full.code, full.stdout, full.stderr)
			}
			if fast.code != c.code {
				t.Errorf("exit %d, want %d: %s", fast.code, c.code, fast.stderr)
			}
			ranFast := true
			for _, p := range fastPkgs {
				if cliOnly.MatchString(p) {
					ranFast = false
				}
			}
			if ranFast != c.fast {
				t.Errorf("ended in the launcher's entry: %v, want %v", ranFast, c.fast)
			}
		})
	}
}

// The launcher learns which ABIs the kernel runs (an i386 program forked
// and executed) while it prepares the layers: that child is gone before
// the workload starts, never a child the workload inherits.
func TestLaunchLeavesNoChild(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	env := append(os.Environ(), "RAMPART_CACHE_DIR="+filepath.Join(t.TempDir(), "cache"))
	for range 5 {
		_, r := initialised(t, env, "", "run", "--seccomp", "runtime-default", "--deny-read", "/etc/shadow", "--",
			"/bin/sh", "-c", "exec cat /proc/self/task/*/children")
		if r.code != 0 || strings.TrimSpace(r.stdout) != "" {
			t.Fatalf("exit %d, the workload's children %q: %s", r.code, r.stdout, r.stderr)
		}
	}
}
