package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/policy"
)

// An unversioned file of an older rampart is refused with the command
// that converts it, and the converted file enforces what the old one
// said: NET_RAW dropped, the raw socket refused, a TCP socket not.
func TestPolicyConvert(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	old := filepath.Join(dir, "old.json")
	os.WriteFile(old, []byte(`{"Source":"flags","Capabilities":{"InheritBase":true,"Base":0,"AddAll":false,"DropAll":false,"Add":0,"Drop":8192,"Ambient":false},`+
		`"User":null,"NoNewPrivs":null,"Seccomp":{"Kind":"","Path":"","Origin":""},"AppArmor":null,"Landlock":null,"LSMFallback":""}`), 0o644)
	r := rampart(t, "", append([]string{"run", "--policy", old, "--"}, tcpSocket...)...)
	if r.code != exitRefused || !strings.Contains(r.stderr, "rampart policy convert "+old) {
		t.Fatalf("an unversioned file: exit %d\n%s", r.code, r.stderr)
	}
	conv := filepath.Join(dir, "new.json")
	if r := rampart(t, "", "policy", "convert", old, "-o", conv); r.code != 0 {
		t.Fatalf("convert: exit %d\n%s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(conv)
	if !strings.Contains(string(b), `"NET_RAW"`) || !strings.Contains(string(b), `"inherit": true`) {
		t.Errorf("converted file:\n%s", b)
	}
	if r := rampart(t, "", append([]string{"run", "--policy", conv, "--"}, rawSocket...)...); r.code == 0 || !strings.Contains(r.stderr, "Operation not permitted") {
		t.Errorf("raw socket under the converted file: exit %d\n%s", r.code, r.stderr)
	}
	if r := rampart(t, "", append([]string{"run", "--policy", conv, "--"}, tcpSocket...)...); r.code != 0 {
		t.Errorf("TCP socket under the converted file: exit %d\n%s", r.code, r.stderr)
	}
	// To stdout, as the same policy.
	r = rampart(t, "", "policy", "convert", old)
	if r.code != 0 || r.stdout != string(b) {
		t.Errorf("convert to stdout: exit %d\n%s\nwant\n%s", r.code, r.stdout, b)
	}
	if r := rampart(t, "", "policy", "convert", filepath.Join(dir, "none.json")); r.code != exitUsage {
		t.Errorf("converting a missing file: exit %d, want %d", r.code, exitUsage)
	}
	if r := rampart(t, "", "policy", "convert", conv); r.code != exitRefused {
		t.Errorf("converting a v1 file: exit %d, want %d (it is no old file)\n%s", r.code, exitRefused, r.stderr)
	}
}

// --from and --policy both given: refused, where the manifest used to
// replace the policy file without a word.
func TestRunManifestAndPolicy(t *testing.T) {
	dir := t.TempDir()
	pol := filepath.Join(dir, "p.json")
	if err := policy.WriteFile(pol, &policy.Policy{Source: "t", Seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault}}); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "ran")
	r := rampart(t, "", "run", "--policy", pol, "--from", "../../examples/seed/0-baseline.yaml", "--", "touch", marker)
	if _, err := os.Stat(marker); err == nil || r.code != exitUsage || !strings.Contains(r.stderr, "choose one") {
		t.Errorf("--policy with --from: exit %d, ran %v\n%s", r.code, err == nil, r.stderr)
	}
}
