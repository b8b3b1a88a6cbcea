package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHardenSeed: harden the seed's baseline through the CLI, re-audit
// what it wrote, and check --diff and a second pass.
func TestHardenSeed(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "0-baseline.yaml")
	data, err := os.ReadFile(filepath.Join(auditSeed, "0-baseline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data = append([]byte("# mine\n"), data...)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}

	r := rampart(t, "", "harden", "--diff", "--assume-nonroot", src)
	if r.code != 0 {
		t.Fatalf("harden --diff: exit %d: %s", r.code, r.stderr)
	}
	for _, s := range []string{"--- " + src, "+++ " + src, "+              drop:", "+            allowPrivilegeEscalation: false", "+              localhostProfile: rampart-flask-app-flask"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("diff lacks %q:\n%s", s, r.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "0-baseline.hardened.yaml")); err == nil {
		t.Error("--diff wrote a file")
	}

	out := filepath.Join(dir, "out")
	r = rampart(t, "", "harden", "--assume-nonroot", "--spo", "--out", out, src)
	if r.code != 0 {
		t.Fatalf("harden: exit %d: %s", r.code, r.stderr)
	}
	got, err := os.ReadFile(filepath.Join(out, "0-baseline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "# mine\n") {
		t.Errorf("comment lost:\n%s", got)
	}
	if b, _ := os.ReadFile(src); string(b) != string(data) {
		t.Error("the input was changed without --in-place")
	}
	spo, err := os.ReadFile(filepath.Join(out, "0-baseline.spo.yaml"))
	if err != nil || !strings.Contains(string(spo), "kind: AppArmorProfile") || !strings.Contains(string(spo), "image: sfmatt/flask-vuln-demo") {
		t.Errorf("SPO objects: %v\n%s", err, spo)
	}

	r = rampart(t, "", "audit", "-o", "json", "--apparmor-node", "--profiles", out, filepath.Join(out, "0-baseline.yaml"))
	if r.code != 0 {
		t.Fatalf("audit: exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Workloads []struct {
			PSS        struct{ Level string } `json:"podSecurity"`
			Containers []struct {
				Paths []struct{ ID, Verdict, Layer string }
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Workloads[0].PSS.Level != "restricted" {
		t.Errorf("re-audit: %s, want restricted", rep.Workloads[0].PSS.Level)
	}
	want := map[string]string{"raw-socket": "capabilities", "userns-netns": "seccomp", "read-shadow": "lsm"}
	for _, p := range rep.Workloads[0].Containers[0].Paths {
		if l, ok := want[p.ID]; ok && (p.Verdict != "blocked" || p.Layer != l) {
			t.Errorf("%s: %s %s, want blocked by %s", p.ID, p.Verdict, p.Layer, l)
		}
	}

	// A second pass has nothing to change.
	r = rampart(t, "", "harden", "--diff", "--assume-nonroot", filepath.Join(out, "0-baseline.yaml"))
	if r.code != 0 || r.stdout != "" {
		t.Errorf("second pass: exit %d, diff:\n%s", r.code, r.stdout)
	}
	// Standard input to standard output.
	r = rampart(t, string(data), "harden", "--no-apparmor", "-")
	if r.code != 0 || !strings.Contains(r.stdout, "type: RuntimeDefault") || strings.Contains(r.stdout, "appArmorProfile") {
		t.Errorf("stdin: exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
}
