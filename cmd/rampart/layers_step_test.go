//go:build linux

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/layers"
	"github.com/rampart-sec/rampart/policy"
)

func stepReport(t *testing.T, r result) map[string]attack.Result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("%s: exit %d\n%s", layers.StepCommand, r.code, r.stderr)
	}
	var rep attack.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	out := map[string]attack.Result{}
	for _, res := range rep.Results {
		out[res.ID] = res
	}
	return out
}

// The entry point every layers engine starts a step through applies the
// step's policy file to itself, and the kernel then refuses what the
// policy denies: the probe it becomes reports the raw socket closed by
// capabilities and /etc/shadow by Landlock; without a policy both are
// open, and a command runs under the same layers.
func TestLayersStepEntryPoint(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "step.json")
	if err := policy.WriteFile(file, &policy.Policy{Source: "test",
		Capabilities: &policy.Capabilities{InheritBase: true, Drop: caps.Of(caps.NET_RAW)},
		Landlock:     []policy.FSRule{{Mode: policy.DenyRead, Path: "/etc/shadow"}}}); err != nil {
		t.Fatal(err)
	}
	only := []string{"raw-socket", "read-shadow"}
	under := stepReport(t, rampart(t, "", layers.StepRequest{Policy: file, Only: only}.Argv(layers.StepCommand)[1:]...))
	if r := under["raw-socket"]; r.Verdict != attack.Blocked || r.Layer != attack.ByCapabilities {
		t.Errorf("raw-socket under the step's policy: %+v", r)
	}
	if r := under["read-shadow"]; r.Verdict != attack.Blocked || r.Layer != attack.ByLSM {
		t.Errorf("read-shadow under the step's policy: %+v", r)
	}
	if len(under) != len(only) {
		t.Errorf("probed %d paths, want %d", len(under), len(only))
	}
	bare := stepReport(t, rampart(t, "", layers.StepRequest{Only: only}.Argv(layers.StepCommand)[1:]...))
	for _, id := range only {
		if bare[id].Verdict != attack.Open {
			t.Errorf("%s without a policy: %+v, want open (as root)", id, bare[id])
		}
	}
	cmd := layers.StepRequest{Policy: file, Command: []string{"sh", "-c", "head -c1 /etc/shadow >/dev/null"}}
	if r := rampart(t, "", cmd.Argv(layers.StepCommand)[1:]...); r.code == 0 || r.code == exitRefused {
		t.Errorf("reading /etc/shadow under the step's policy: exit %d, want the command's refusal\n%s", r.code, r.stderr)
	}
	cmd.Command = []string{"sh", "-c", "head -c1 /etc/passwd >/dev/null"}
	if r := rampart(t, "", cmd.Argv(layers.StepCommand)[1:]...); r.code != 0 {
		t.Errorf("reading /etc/passwd under the step's policy: exit %d\n%s", r.code, r.stderr)
	}

	// A step file that is not a policy refuses the step: nothing runs.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema": "rampart.policy/v1", "landlock": [{"mode": "deny-reed", "path": "/etc/shadow"}]}`), 0o644)
	marker := filepath.Join(dir, "ran")
	r := rampart(t, "", layers.StepRequest{Policy: bad, Command: []string{"touch", marker}}.Argv(layers.StepCommand)[1:]...)
	if _, err := os.Stat(marker); err == nil || r.code != exitRefused || !strings.Contains(r.stderr, `landlock[0].mode: "deny-reed"`) {
		t.Errorf("a refused step file: exit %d, ran %v\n%s", r.code, err == nil, r.stderr)
	}
	for _, args := range [][]string{{"--", "true"}, {"nonsense"}, {"--policy", filepath.Join(dir, "none.json"), "probe"}} {
		if r := rampart(t, "", append([]string{layers.StepCommand}, args...)...); r.code != exitUsage {
			t.Errorf("%s %q: exit %d, want %d\n%s", layers.StepCommand, args, r.code, exitUsage, r.stderr)
		}
	}
}
