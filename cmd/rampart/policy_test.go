//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/layers"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/record"
)

// The policy file round-trips through every command that reads one:
// `rampart record` writes it, the directory is moved (its profile is
// named relative to it), and run, layers, record --check and harden
// --from-recording each read it and hold the workload to the same
// thing: the recorded command runs, a file it never read is refused by
// Landlock, a call it never made by seccomp, the capabilities it never
// used are gone, and the seccomp profile harden hands to the kubelet is
// the one the policy names.
func TestPolicyFileRoundTrip(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	needTools(t, "/bin/busybox")
	workload := []string{"/bin/busybox", "sh", "-c", "cat /etc/hostname"}
	recorded := filepath.Join(t.TempDir(), "rec")
	if r := rampart(t, "", append([]string{"record", "--out", recorded, "--"}, workload...)...); r.code != 0 {
		t.Fatalf("record: exit %d\n%s", r.code, r.stderr)
	}
	dir := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(recorded, dir); err != nil {
		t.Fatal(err)
	}
	pol := filepath.Join(dir, record.PolicyFile)
	b, err := os.ReadFile(pol)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"schema": "` + policy.Schema + `"`, `"path": "` + record.SeccompFile + `"`, `"recording": "` + record.RecordingFile + `"`, `"ALL"`} {
		if !bytes.Contains(b, []byte(s)) {
			t.Fatalf("%s lacks %s:\n%s", pol, s, b)
		}
	}
	host, err := os.ReadFile("/etc/hostname")
	if err != nil {
		t.Fatal(err)
	}

	// run, given the file or the directory
	for _, arg := range []string{pol, dir} {
		r := rampart(t, "", append([]string{"run", "--policy", arg, "--"}, workload...)...)
		if r.code != 0 || r.stdout != string(host) {
			t.Errorf("run --policy %s: exit %d, stdout %q, want %q\n%s", arg, r.code, r.stdout, host, r.stderr)
		}
		r = rampart(t, "", "run", "--policy", arg, "--", "/bin/busybox", "sh", "-c", "cat /etc/passwd")
		if r.code == 0 || r.code == exitRefused || !strings.Contains(r.stderr, "Permission denied") {
			t.Errorf("run --policy %s, a file never read: exit %d\n%s", arg, r.code, r.stderr)
		}
		r = rampart(t, "", "run", "--policy", arg, "--", "/bin/busybox", "unshare", "-r", "-n", "true")
		if r.code == 0 || r.code == exitRefused || !strings.Contains(r.stderr, "Operation not permitted") {
			t.Errorf("run --policy %s, a call never made: exit %d\n%s", arg, r.code, r.stderr)
		}
	}

	// record --check: the workload stays within it, a wider run does not
	var out bytes.Buffer
	if err := recordCheck(genWorkloadRecording(t, workload), pol, "", "", &apparmor.Checker{}, &out); err != nil {
		t.Errorf("record --check %s on the recorded workload: %v\n%s", pol, err, &out)
	}
	r := rampart(t, "", "record", "--out", t.TempDir(), "--check", pol, "--", "/bin/busybox", "sh", "-c", "cat /etc/passwd")
	if r.code != 1 || !strings.Contains(r.stderr, "landlock: file /etc/passwd") {
		t.Errorf("record --check %s, a file never read: exit %d\n%s", pol, r.code, r.stderr)
	}

	// layers: each layer closes its own path
	m := layersJSON(t, rampart(t, "", "layers", "--policy", pol, "--only", strings.Join(attack.Seed, ","), "-o", "json"))
	closedAt(t, m, "raw-socket", layers.PlusCaps, attack.ByCapabilities)
	closedAt(t, m, "userns-netns", layers.PlusSeccomp, attack.BySeccomp)
	closedAt(t, m, "read-shadow", layers.PlusLSM, attack.ByLSM)

	// harden --from-recording: the kubelet gets the same profile and set
	out2 := t.TempDir()
	manifest := filepath.Join(out2, "pod.yaml")
	os.WriteFile(manifest, []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: sh\nspec:\n  containers:\n    - name: sh\n      image: busybox\n"), 0o644)
	if r := rampart(t, "", "harden", "--from-recording", pol, manifest); r.code != 0 {
		t.Fatalf("harden --from-recording %s: exit %d\n%s", pol, r.code, r.stderr)
	}
	hardened, _ := os.ReadFile(filepath.Join(out2, "pod.hardened.yaml"))
	for _, re := range []string{`drop:\s+- ALL\n`, `localhostProfile: rampart/rampart-busybox.json\n`} {
		if !regexp.MustCompile(re).Match(hardened) {
			t.Errorf("hardened manifest lacks %s:\n%s", re, hardened)
		}
	}
	if strings.Contains(string(hardened), "add:") {
		t.Errorf("the policy adds no capability, the hardened manifest does:\n%s", hardened)
	}
	want, _ := os.ReadFile(filepath.Join(dir, record.SeccompFile))
	got, err := os.ReadFile(filepath.Join(out2, "rampart", "rampart-busybox.json"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("harden's seccomp profile differs from the policy's %s (%v)", record.SeccompFile, err)
	}
}

// genWorkloadRecording reads the recording `rampart record` wrote for
// argv in the round trip, from the directory's own recording.json.
func genWorkloadRecording(t *testing.T, argv []string) *record.Recording {
	t.Helper()
	dir := t.TempDir()
	if r := rampart(t, "", append([]string{"record", "--out", dir, "--policy=false", "--"}, argv...)...); r.code != 0 {
		t.Fatalf("record: exit %d\n%s", r.code, r.stderr)
	}
	rec, err := record.ReadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

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
