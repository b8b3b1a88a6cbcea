//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/seccomp"
)

// probeUnder runs `rampart probe -o json` (the test binary as rampart)
// under `rampart run FLAGS` (none: unconfined) and returns the results by
// path ID.
func probeUnder(t *testing.T, flags []string, ids ...string) (map[string]attack.Result, *attack.Report) {
	t.Helper()
	self := os.Args[0]
	if slices.Contains(flags, "--user") || slices.ContainsFunc(flags, func(f string) bool { return strings.HasPrefix(f, "--userns") }) {
		self = selfForEveryone(t)
	}
	args := []string{self, "probe", "-o", "json"}
	if len(ids) > 0 {
		args = append(args, "--only", strings.Join(ids, ","))
	}
	var r result
	if flags == nil {
		r = rampart(t, "", args[1:]...)
	} else {
		r = rampart(t, "", argv(flags, args)...)
	}
	if r.code != 0 {
		t.Fatalf("probe under %v: exit %d\n%s", flags, r.code, r.stderr)
	}
	return decodeProbe(t, fmt.Sprintf("under %v", flags), []byte(r.stdout), nil)
}

// decodeProbe reads `rampart probe -o json`'s output (out, and the error
// of the command that printed it) as results by path ID.
func decodeProbe(t *testing.T, where string, out []byte, err error) (map[string]attack.Result, *attack.Report) {
	t.Helper()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("probe %s: %v\n%s", where, err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var rep attack.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("probe %s: JSON: %v\n%s", where, err, out)
	}
	if rep.Schema != attack.SchemaVersion {
		t.Fatalf("probe %s: schema %q", where, rep.Schema)
	}
	res := map[string]attack.Result{}
	for _, r := range rep.Results {
		res[r.ID] = r
	}
	return res, &rep
}

// selfForEveryone copies the test binary where any uid can execute it
// (go test builds it in a directory private to root).
func selfForEveryone(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rampart-test-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "rampart.test")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantLayer asserts a path's verdict and attributed layer ("" = open).
func wantLayer(t *testing.T, res map[string]attack.Result, id, layer, lsm string) {
	t.Helper()
	r, ok := res[id]
	if !ok {
		t.Fatalf("%s: no result", id)
	}
	switch {
	case layer == "" && r.Verdict != attack.Open:
		t.Errorf("%s: %s by %s (%s), want open", id, r.Verdict, r.Layer, r.Evidence)
	case layer != "" && (r.Verdict != attack.Blocked || r.Layer != layer || (lsm != "" && r.LSM != lsm)):
		t.Errorf("%s: %s by %s %s (%s: %s), want blocked by %s %s", id, r.Verdict, r.Layer, r.LSM, r.Errno, r.Evidence, layer, lsm)
	case len(r.Ambiguous) > 0 && layer != "":
		t.Errorf("%s: ambiguous %v (%s)", id, r.Ambiguous, r.Evidence)
	}
}

func TestProbeSeedUnconfinedRoot(t *testing.T) {
	needRoot(t)
	res, _ := probeUnder(t, nil, attack.Seed...)
	for _, id := range attack.Seed {
		wantLayer(t, res, id, "", "")
	}
}

// Each layer is credited with the path it closes: the attribution, not
// only the refusal.
func TestProbeSeedAttribution(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	res, _ := probeUnder(t, []string{"--cap-drop", "NET_RAW"}, attack.Seed...)
	wantLayer(t, res, "raw-socket", attack.ByCapabilities, "")
	wantLayer(t, res, "userns-netns", "", "")
	wantLayer(t, res, "read-shadow", "", "")

	res, _ = probeUnder(t, []string{"--cap-drop", "SYS_ADMIN", "--seccomp", "runtime-default"}, attack.Seed...)
	wantLayer(t, res, "raw-socket", "", "")
	wantLayer(t, res, "userns-netns", attack.BySeccomp, "")
	wantLayer(t, res, "read-shadow", "", "")

	res, _ = probeUnder(t, []string{"--deny-read", "/etc/shadow"}, attack.Seed...)
	wantLayer(t, res, "raw-socket", "", "")
	wantLayer(t, res, "userns-netns", "", "")
	wantLayer(t, res, "read-shadow", attack.ByLSM, "Landlock")

	all := []string{"--cap-drop", "NET_RAW,SYS_ADMIN", "--seccomp", "runtime-default", "--deny-read", "/etc/shadow"}
	res, rep := probeUnder(t, all, attack.Seed...)
	wantLayer(t, res, "raw-socket", attack.ByCapabilities, "")
	wantLayer(t, res, "userns-netns", attack.BySeccomp, "")
	wantLayer(t, res, "read-shadow", attack.ByLSM, "Landlock")
	if rep.State.Seccomp != 2 || !rep.State.NoNewPrivs || strings.Contains(strings.Join(rep.State.CapBnd, ","), "NET_RAW") {
		t.Errorf("state: %+v", rep.State)
	}
}

// A non-root workload: the shadow file is closed by permission bits, which
// is no layer's doing, and says so.
func TestProbeNonRoot(t *testing.T) {
	needRoot(t)
	res, _ := probeUnder(t, []string{"--user", "65534"}, "read-shadow", "raw-socket")
	wantLayer(t, res, "read-shadow", attack.ByOther, "")
	wantLayer(t, res, "raw-socket", attack.ByCapabilities, "")
}

func TestProbeOnlyUnknown(t *testing.T) {
	r := rampart(t, "", "probe", "--only", "raw-socket,no-such-path")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no-such-path") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// Prediction equals measurement for the wall: what the simulator says
// RuntimeDefault does with each path's calls is what the probes measure
// under it (paths another layer closes first are not the wall's to judge).
func TestProbeSeccompPredictionMatchesMeasurement(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	prof, err := seccomp.Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, caps.Full.Remove(caps.SYS_ADMIN))
	if err != nil {
		t.Fatal(err)
	}
	f, err := seccomp.Compile(prof)
	if err != nil || f.Program() == nil {
		t.Fatalf("compile: %v", err)
	}
	res, _ := probeUnder(t, []string{"--cap-drop", "SYS_ADMIN", "--seccomp", "runtime-default"})
	compared := 0
	for _, p := range attack.Catalog() {
		r := res[p.ID]
		predOpen, why, err := attack.PredictSeccomp(p, f.Program())
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r.Verdict == attack.Open && !predOpen:
			t.Errorf("%s: measured open, predicted closed by seccomp (%s)", p.ID, why)
		case r.Verdict == attack.Blocked && r.Layer == attack.BySeccomp && len(r.Ambiguous) == 0 && predOpen:
			t.Errorf("%s: measured blocked by seccomp (%s), predicted open (%s)", p.ID, r.Evidence, why)
		default:
			compared++
		}
	}
	t.Logf("%d paths agree", compared)
}
