//go:build linux

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/launcher"
	"github.com/rampart-sec/rampart/internal/runtest"
)

// asRampartRun makes the test binary rampart-run: its main, whole.
const asRampartRun = "RAMPART_RUN_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asRampartRun) == "1" {
		main()
	}
	// The probe's children and the seccomp compile helper this program
	// re-executes itself as carry the variable above: they end in main.
	os.Exit(m.Run())
}

type result = runtest.Result

// runAs runs bin as rampart-run with args and env added to this
// process's environment.
func runAs(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), asRampartRun+"=1"), env...)
	return runtest.Run(t, cmd)
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("enforcing capabilities and the bounding set needs root")
	}
}

// The layers rampart-run applies are the kernel's to report: each launch
// is observed from inside the workload (the bounding set, and the seed's
// unshare and cat /etc/shadow), and each refusal ends with rampart's
// status.
func TestLaunch(t *testing.T) {
	needRoot(t)
	if err := features.HaveSeccompFilter(); err != nil {
		t.Fatalf("%v (run `make test`)", err)
	}
	if err := features.HaveLandlock(1); err != nil {
		t.Skipf("the deny-read launches need Landlock: %v", err)
	}
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-exec")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"RAMPART_CACHE_DIR=" + filepath.Join(dir, "cache")}
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		check  func(t *testing.T, r result)
		stderr string
	}{
		{name: "capability dropped", args: []string{"--cap-drop", "NET_RAW,SYS_ADMIN", "--", "/bin/grep", "^CapBnd:", "/proc/self/status"},
			check: func(t *testing.T, r result) {
				f := strings.Fields(r.Stdout)
				if len(f) != 2 {
					t.Fatalf("CapBnd line %q", r.Stdout)
				}
				v, err := strconv.ParseUint(f[1], 16, 64)
				if err != nil {
					t.Fatal(err)
				}
				if held := caps.Set(v); held.Has(caps.NET_RAW) || held.Has(caps.SYS_ADMIN) || !held.Has(caps.CHOWN) {
					t.Errorf("bounding set %s, want it without NET_RAW and SYS_ADMIN, with CHOWN", held)
				}
			}},
		// RuntimeDefault refuses unshare to a bounding set without
		// SYS_ADMIN; without the filter the same set may.
		{name: "unshare (seed)", args: []string{"--cap-drop", "SYS_ADMIN", "--seccomp", "runtime-default", "--", "/usr/bin/unshare", "-r", "-n", "/bin/true"},
			code: 1, stderr: "Operation not permitted"},
		{name: "unshare without the filter", args: []string{"--cap-drop", "SYS_ADMIN", "--", "/usr/bin/unshare", "-r", "-n", "/bin/true"}},
		{name: "read shadow (seed)", args: []string{"--deny-read", "/etc/shadow", "--", "/bin/cat", "/etc/shadow"},
			code: 1, stderr: "Permission denied"},
		{name: "workload's status", args: []string{"--cap-drop", "NET_RAW", "--", "/bin/sh", "-c", "exit 7"}, code: 7},
		{name: "unknown capability", args: []string{"--cap-drop", "NET_RAWX", "--", "/bin/true"}, code: launcher.ExitRefused, stderr: "NET_RAWX"},
		{name: "empty list item", args: []string{"--cap-drop", "NET_RAW,", "--", "/bin/true"}, code: launcher.ExitUsage},
		{name: "no layer", args: []string{"--", "/bin/true"}, code: launcher.ExitUsage, stderr: "no layer requested"},
		{name: "command not found", args: []string{"--cap-drop", "NET_RAW", "--", filepath.Join(dir, "missing")}, code: launcher.ExitNotFound},
		{name: "not executable", args: []string{"--cap-drop", "NET_RAW", "--", notExec}, code: launcher.ExitCannot},
		// The command's own flags and a command named like a rampart
		// command stay the command's.
		{name: "command named run", args: []string{"--cap-drop", "NET_RAW", "run"}, code: launcher.ExitNotFound, stderr: "run"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runAs(t, os.Args[0], env, c.args...)
			if r.Code != c.code {
				t.Fatalf("exit %d, want %d; stdout %q, stderr %q", r.Code, c.code, r.Stdout, r.Stderr)
			}
			if !strings.Contains(r.Stderr, c.stderr) {
				t.Errorf("stderr %q, want it to say %q", r.Stderr, c.stderr)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

// What the launch path leaves (--help, a file to resolve, a flag it
// cannot parse) is handed, whole, to the rampart beside rampart-run as
// `rampart run ARGS`; without one, or with one that is rampart-run
// itself, rampart-run says so and runs nothing.
func TestHandOver(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "rampart-run")
	copyFile(t, os.Args[0], self, 0o755)
	out := filepath.Join(dir, "argv")
	full := filepath.Join(dir, "rampart")
	// The full rampart, as far as this test needs it: it writes the
	// arguments it was given, one per line.
	if err := os.WriteFile(full, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ args, want []string }{
		{[]string{"--help"}, []string{"run", "--help"}},
		{[]string{"--from", "pod.yaml#app", "--", "/bin/true"}, []string{"run", "--from", "pod.yaml#app", "--", "/bin/true"}},
		{[]string{"--bogus", "--", "/bin/true"}, []string{"run", "--bogus", "--", "/bin/true"}},
		{[]string{"--cap-drop", "NET_RAW"}, []string{"run", "--cap-drop", "NET_RAW"}},
		// a layers step it cannot parse is rampart's layers-step's
		{[]string{"layers-step"}, []string{"layers-step"}},
		{[]string{"layers-step", "--bogus", "probe"}, []string{"layers-step", "--bogus", "probe"}},
	} {
		os.Remove(out)
		if r := runAs(t, self, nil, c.args...); r.Code != 0 {
			t.Fatalf("%q: exit %d: %s", c.args, r.Code, r.Stderr)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("%q: the full rampart was not run: %v", c.args, err)
		}
		if want := strings.Join(c.want, "\n") + "\n"; string(got) != want {
			t.Errorf("%q: the full rampart got %q, want %q", c.args, got, want)
		}
	}

	// rampart beside it is rampart-run (a link): refused, not run.
	os.Remove(full)
	if err := os.Link(self, full); err != nil {
		t.Fatal(err)
	}
	r := runAs(t, self, nil, "--help")
	if r.Code != launcher.ExitCannot || !strings.Contains(r.Stderr, full+" is this program") {
		t.Errorf("rampart linked to rampart-run: exit %d, stderr %q", r.Code, r.Stderr)
	}

	// A rampart beside it that another user could have put or changed
	// there is not run: the hand-over would run it with this user's
	// privileges.
	os.Remove(full)
	os.Remove(out)
	if err := os.WriteFile(full, []byte("#!/bin/sh\ntouch "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(full, 0o777); err != nil {
		t.Fatal(err)
	}
	r = runAs(t, self, nil, "--help")
	if r.Code != launcher.ExitCannot || !strings.Contains(r.Stderr, "writable by others") {
		t.Errorf("rampart writable by others: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if os.Getuid() == 0 {
		if err := os.Chmod(full, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(self, 0, 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(full, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		r = runAs(t, self, nil, "--help")
		if r.Code != launcher.ExitCannot || !strings.Contains(r.Stderr, "belongs to uid 65534") {
			t.Errorf("rampart of another user: exit %d, stderr %q", r.Code, r.Stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an untrusted rampart beside rampart-run was run")
	}

	// None beside it and none on PATH.
	os.Remove(full)
	r = runAs(t, self, []string{"PATH=" + filepath.Join(dir, "empty")}, "--help")
	if r.Code != launcher.ExitCannot || !strings.Contains(r.Stderr, "needs the full rampart") {
		t.Errorf("no rampart: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// The variant check's verdict on a cached RuntimeDefault program is
// worked out once and then told from the cache: a launch tells what the
// entry says (so the check did not run again), an entry for another
// input or one another user could have written is no answer, -v always
// checks, and a profile read from a file (whose warnings name its lines)
// is never kept.
func TestVariantVerdictKept(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	env := []string{"RAMPART_CACHE_DIR=" + dir}
	launch := func(args ...string) result {
		t.Helper()
		r := runAs(t, os.Args[0], env, append(args, "--", "/bin/true")...)
		if r.Code != 0 {
			t.Fatalf("%q: exit %d: %s", args, r.Code, r.Stderr)
		}
		return r
	}
	if r := launch("--seccomp", "runtime-default"); r.Stderr != "" {
		t.Fatalf("RuntimeDefault warned: %s", r.Stderr)
	}
	entries, _ := filepath.Glob(filepath.Join(dir, "seccomp", "*.variants"))
	if len(entries) != 1 {
		t.Fatalf("verdict entries %q, want one", entries)
	}
	entry := entries[0]
	b, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Input    string   `json:"input"`
		Warnings []string `json:"warnings"`
		Broken   []string `json:"broken"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Input, ` "runtime-default" `) || len(e.Warnings) != 0 || len(e.Broken) != 0 {
		t.Fatalf("entry %s", b)
	}
	plant := func(input string, mode os.FileMode) {
		t.Helper()
		b, _ := json.Marshal(map[string]any{"input": input, "warnings": []string{"rampart: warning: planted"}, "broken": []string{"x"}})
		os.Remove(entry)
		if err := os.WriteFile(entry, b, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(entry, mode); err != nil {
			t.Fatal(err)
		}
	}

	plant(e.Input, 0o600)
	if r := launch("--seccomp", "runtime-default"); r.Stderr != "rampart: warning: planted\n" {
		t.Errorf("with the entry kept: stderr %q, want the entry's warning", r.Stderr)
	}
	// Another build (here a copy: another executable) makes its own
	// check: the verdict is one build's analysis.
	other := filepath.Join(t.TempDir(), "rampart-run")
	copyFile(t, os.Args[0], other, 0o755)
	if r := runAs(t, other, env, "--seccomp", "runtime-default", "--", "/bin/true"); r.Code != 0 || r.Stderr != "" {
		t.Errorf("another build told the kept verdict: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "seccomp", "*.variants")); len(entries) != 2 {
		t.Errorf("verdict entries %q, want one per build", entries)
	}
	if r := runAs(t, os.Args[0], env, "--strict-profile", "--seccomp", "runtime-default", "--", "/bin/true"); r.Code != launcher.ExitRefused {
		t.Errorf("--strict-profile with a kept broken deny: exit %d", r.Code)
	}
	if r := launch("-v", "--seccomp", "runtime-default"); strings.Contains(r.Stderr, "planted") {
		t.Errorf("-v told the kept verdict: %s", r.Stderr)
	}

	plant(strings.Replace(e.Input, "known=true", "known=false", 1)+" x", 0o600)
	if r := launch("--seccomp", "runtime-default"); r.Stderr != "" {
		t.Errorf("an entry for another input was told: %q", r.Stderr)
	}
	var again struct {
		Input string `json:"input"`
	}
	if b, _ := os.ReadFile(entry); json.Unmarshal(b, &again) != nil || again.Input != e.Input {
		t.Errorf("the entry was not written again for this input: %s", b)
	}

	plant(e.Input, 0o666)
	if r := launch("--seccomp", "runtime-default"); r.Stderr != "" {
		t.Errorf("an entry writable by others was told: %q", r.Stderr)
	}

	file := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(file, []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := launch("--seccomp", file); !strings.Contains(r.Stderr, file+":1: personality") {
		t.Errorf("the file profile's warning: %q", r.Stderr)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "seccomp", "*.variants")); len(entries) != 2 {
		t.Errorf("verdict entries %q: a file profile's verdict was kept", entries)
	}
}

// rampart-run runs a layers step as rampart does: the step's policy
// applied, then the probe under it, re-executed in rampart-run, whose
// report the kernel's answers fill.
func TestLayersStep(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	pol := filepath.Join(dir, "p.json")
	if err := os.WriteFile(pol, []byte(`{"schema": "rampart.policy/v1", "capabilities": {"inherit": true, "drop": ["NET_RAW"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"RAMPART_CACHE_DIR=" + filepath.Join(dir, "cache")}
	verdicts := func(args ...string) map[string]string {
		t.Helper()
		r := runAs(t, os.Args[0], env, args...)
		if r.Code != 0 {
			t.Fatalf("%q: exit %d: %s", args, r.Code, r.Stderr)
		}
		var rep struct {
			Results []struct{ ID, Verdict string }
		}
		if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
			t.Fatalf("%q: report: %v\n%s", args, err, r.Stdout)
		}
		v := map[string]string{}
		for _, res := range rep.Results {
			v[res.ID] = res.Verdict
		}
		return v
	}
	if v := verdicts("layers-step", "--only", "raw-socket", "probe"); v["raw-socket"] != "open" {
		t.Errorf("root, no layer: raw-socket %q, want open", v["raw-socket"])
	}
	if v := verdicts("layers-step", "--policy", pol, "--only", "raw-socket", "probe"); v["raw-socket"] != "blocked" {
		t.Errorf("NET_RAW dropped: raw-socket %q, want blocked", v["raw-socket"])
	}
	if r := runAs(t, os.Args[0], env, "layers-step", "--policy", pol, "--", "/bin/sh", "-c", "exit 4"); r.Code != 4 {
		t.Errorf("a step's command: exit %d, want 4: %s", r.Code, r.Stderr)
	}
}
