//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/tmpfstest"
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
	// The generated profile denies paths; the operator's AppArmorProfile
	// holds allow-lists only, so no object is written and harden says why
	// (this used to emit a spec.policy the operator's CRD has no field for).
	if _, err := os.Stat(filepath.Join(out, "0-baseline.spo.yaml")); err == nil {
		t.Error("an SPO file was written for a deny-list AppArmor profile")
	}
	if !strings.Contains(r.stderr, "no SPO AppArmorProfile for rampart-flask-app-flask: its rules deny paths") {
		t.Errorf("harden --spo did not say why no AppArmorProfile was written:\n%s", r.stderr)
	}

	// On an image whose /etc/shadow its non-root user may read (the
	// permission bits would close the path first on Debian's), the
	// generated profile is what closes read-shadow.
	r = rampart(t, "", "audit", "-o", "json", "--apparmor-node", "--profiles", out, "--image-shadow", "0644:root:root", filepath.Join(out, "0-baseline.yaml"))
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

// TestHardenSeccompLocalhost: --seccomp localhost writes a narrowed
// RuntimeDefault per container and references it; the audit predicts, and
// the kernel confirms under `rampart run`, that it closes the memory and
// terminal paths RuntimeDefault leaves open — ptrace, process_vm_readv and
// TIOCSTI — while what RuntimeDefault closes stays closed. Keeping
// SYS_PTRACE gives ptrace back (the workload asked for a debugger).
func TestHardenSeccompLocalhost(t *testing.T) {
	needSeccomp(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "app.yaml")
	data, err := os.ReadFile(filepath.Join(auditSeed, "0-baseline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	paths := []string{"ptrace-child", "process-vm-readv", "tiocsti", "userns-netns", "keyctl"}
	for _, tc := range []struct {
		keep string
		want map[string]string // path -> verdict word
	}{
		{"", map[string]string{"ptrace-child": "seccomp", "process-vm-readv": "seccomp", "tiocsti": "seccomp", "userns-netns": "seccomp", "keyctl": "seccomp"}},
		{"SYS_PTRACE", map[string]string{"ptrace-child": "open", "process-vm-readv": "open", "tiocsti": "seccomp", "userns-netns": "seccomp", "keyctl": "seccomp"}},
	} {
		out := filepath.Join(dir, "out-"+tc.keep)
		r := rampart(t, "", "harden", "--seccomp", "localhost", "--keep="+tc.keep, "--spo", "--out", out, src)
		if r.code != 0 {
			t.Fatalf("harden: exit %d: %s", r.code, r.stderr)
		}
		hardened, _ := os.ReadFile(filepath.Join(out, "app.yaml"))
		const ref = "localhostProfile: operator/default/rampart-flask-app-flask.json"
		if !strings.Contains(string(hardened), "type: Localhost\n              "+ref) {
			t.Fatalf("no Localhost seccomp reference (%s):\n%s", ref, hardened)
		}
		prof := filepath.Join(out, "operator", "default", "rampart-flask-app-flask.json")
		spo, _ := os.ReadFile(filepath.Join(out, "app.spo.yaml"))
		// The last of the 32 ioctl rules: every bit of the low half
		// compared, TIOCSTI (0x5412) with bit 0 flipped.
		if !strings.Contains(string(spo), "kind: SeccompProfile") || !strings.Contains(string(spo), "valueTwo: 21523") {
			t.Errorf("no SeccompProfile object with the ioctl rules:\n%s", spo)
		}
		// The operator's spec has no defaultErrnoRet and wants errnoRet
		// as a string (clone3 answers ENOSYS, 38, so libc falls back to clone).
		if strings.Contains(string(spo), "defaultErrnoRet") || !strings.Contains(string(spo), `errnoRet: "38"`) {
			t.Errorf("SeccompProfile spec not in the operator's shape:\n%s", spo)
		}
		// ... and rampart reads the object back as the same profile.
		if r := rampart(t, "", "seccomp", "explain", filepath.Join(out, "app.spo.yaml"), "ioctl", "1", "0x100005412"); r.code != 0 || !strings.Contains(r.stdout, "SCMP_ACT_ERRNO(EPERM)") {
			t.Errorf("explain on the SPO object: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}

		// Predicted.
		r = rampart(t, "", "audit", "-o", "json", "--profiles", out, filepath.Join(out, "app.yaml"))
		var rep struct {
			Workloads []struct {
				Containers []struct {
					Paths []struct{ ID, Verdict, Layer string }
				}
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Workloads) != 1 {
			t.Fatalf("audit: %v: %s %s", err, r.stdout, r.stderr)
		}
		predicted := map[string]string{}
		for _, p := range rep.Workloads[0].Containers[0].Paths {
			predicted[p.ID] = p.Verdict
			if p.Verdict == "blocked" {
				predicted[p.ID] = p.Layer
			}
		}
		// Measured: the profile as the kernel enforces it, with the
		// capabilities the manifest keeps.
		args := []string{"run", "--cap-drop", "ALL", "--seccomp", prof}
		if tc.keep != "" {
			args = append(args, "--cap-add", tc.keep)
		}
		args = append(args, "--", os.Args[0], "probe", "-o", "json", "--only", strings.Join(paths, ","))
		r = rampart(t, "", args...)
		if r.code != 0 {
			t.Fatalf("run: exit %d: %s", r.code, r.stderr)
		}
		var measured struct {
			Results []struct{ ID, Verdict, Layer string }
		}
		if err := json.Unmarshal([]byte(r.stdout), &measured); err != nil {
			t.Fatalf("%v: %s", err, r.stdout)
		}
		for _, m := range measured.Results {
			got := m.Verdict
			if got == "blocked" {
				got = m.Layer
			}
			if got != tc.want[m.ID] || predicted[m.ID] != tc.want[m.ID] {
				t.Errorf("keep %q: %s measured %s, predicted %s, want %s", tc.keep, m.ID, got, predicted[m.ID], tc.want[m.ID])
			}
		}
	}
}

// seedPadded is the seed's baseline with comments added up to 3,962
// bytes: one page, which hardening grows past.
func seedPadded(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(auditSeed, "0-baseline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for len(data) < 3962-40 {
		data = append(data, "# a comment the user keeps, 40 bytes ..\n"...)
	}
	return append(data, strings.Repeat("#", 3962-len(data)-1)+"\n"...)
}

// TestHardenInPlaceFullDisk: --in-place on a full disk leaves the
// manifest whole (it used to be truncated, then cut at the last page that
// fitted) and no temporary file, whether the manifest itself or a profile
// written before it runs out of space.
func TestHardenInPlaceFullDisk(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"manifest", []string{"--no-apparmor"}}, // nothing but the manifest to write
		{"profiles", nil},                       // the AppArmor profile, beside it
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tmpfstest.Mount(t, 64<<10)
			src := filepath.Join(dir, "pod.yaml")
			data := seedPadded(t)
			if err := os.WriteFile(src, data, 0o644); err != nil {
				t.Fatal(err)
			}
			tmpfstest.Fill(t, dir)
			r := rampart(t, "", append([]string{"harden", "--in-place", "--assume-nonroot", src}, tc.flags...)...)
			if r.code != 1 || !strings.Contains(r.stderr, "no space left on device") {
				t.Errorf("harden --in-place on a full disk: exit %d, want 1 and ENOSPC: %s", r.code, r.stderr)
			}
			if got, _ := os.ReadFile(src); !bytes.Equal(got, data) {
				t.Errorf("the manifest was changed: %d bytes, ending %q", len(got), got[max(0, len(got)-20):])
			}
			if es := tmpfstest.Entries(t, dir); !slices.Equal(es, []string{"filler", "pod.yaml"}) {
				t.Errorf("left in the directory: %v", es)
			}
		})
	}
}

// TestHardenProfilesFirst: when a profile cannot be written (here
// --profiles-out names a file), harden fails before the manifest is
// touched: it used to rewrite the manifest to name a profile it then
// failed to write.
func TestHardenProfilesFirst(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"apparmor", nil},
		{"seccomp", []string{"--no-apparmor", "--seccomp", "localhost"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "pod.yaml")
			data := seedPadded(t)
			if err := os.WriteFile(src, data, 0o644); err != nil {
				t.Fatal(err)
			}
			notDir := filepath.Join(dir, "profiles")
			if err := os.WriteFile(notDir, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, mode := range []string{"--in-place", "--out=" + filepath.Join(dir, "out")} {
				r := rampart(t, "", append([]string{"harden", mode, "--profiles-out", notDir, src}, tc.flags...)...)
				if r.code != 1 || !strings.Contains(r.stderr, "not a directory") {
					t.Errorf("harden %s --profiles-out FILE: exit %d, want 1 (not a directory): %s", mode, r.code, r.stderr)
				}
			}
			if got, _ := os.ReadFile(src); !bytes.Equal(got, data) {
				t.Error("--in-place rewrote the manifest although its profile could not be written")
			}
			if _, err := os.Stat(filepath.Join(dir, "out", "pod.yaml")); err == nil {
				t.Error("--out wrote a manifest whose profile could not be written")
			}
		})
	}
}

// TestHardenInPlaceKeeps: --in-place keeps the manifest's mode, and
// through a symbolic link rewrites the file it names, keeping the link.
func TestHardenInPlaceKeeps(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	if err := os.WriteFile(real, seedPadded(t), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "pod.yaml")
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Fatal(err)
	}
	r := rampart(t, "", "harden", "--in-place", "--no-apparmor", link)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", st, err)
	}
	st, err := os.Stat(real)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode())
	}
	if b, _ := os.ReadFile(real); !strings.Contains(string(b), "allowPrivilegeEscalation: false") {
		t.Errorf("not hardened:\n%s", b)
	}
}

// TestHardenBoundedMemory: harden - reads a stream of documents one at a
// time (harden, write, forget): its peak memory does not grow with the
// number of Pods. It used to hold the whole input and its parsed form:
// 10,000 Pods took 610 MB.
func TestHardenBoundedMemory(t *testing.T) {
	const few, many = 1000, 10000
	_, small := peakRSS(t, few, "harden", "--no-apparmor", "--assume-nonroot", "-")
	code, large := peakRSS(t, many, "harden", "--no-apparmor", "--assume-nonroot", "-")
	t.Logf("peak RSS %d MiB for %d Pods, %d MiB for %d", small>>20, few, large>>20, many)
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	if large-small > 32<<20 || large > 160<<20 {
		t.Errorf("peak RSS grew from %d MiB (%d Pods) to %d MiB (%d Pods)", small>>20, few, large>>20, many)
	}
}

// TestHardenDocumentLimit: a document over --max-document-size fails
// the file, naming the line it starts on, and --in-place leaves the file
// as it was (the documents before it were already hardened into the
// temporary file, which is removed).
func TestHardenDocumentLimit(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "pod.yaml")
	data := append(seedPadded(t), "---\napiVersion: v1\nkind: ConfigMap\ndata:\n  big: "+strings.Repeat("x", 100<<10)+"\n"...)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := rampart(t, "", "harden", "--in-place", "--no-apparmor", "--max-document-size", "64KiB", src)
	want := src + ": line " + strconv.Itoa(bytes.Count(seedPadded(t), []byte("\n"))+2) + ": document larger than 64KiB"
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, want 1 and %q: %s", r.code, want, r.stderr)
	}
	if got, _ := os.ReadFile(src); !bytes.Equal(got, data) {
		t.Error("the manifest was changed")
	}
	if es := tmpfstest.Entries(t, dir); !slices.Equal(es, []string{"pod.yaml"}) {
		t.Errorf("left in the directory: %v", es)
	}
	// --diff holds the limit too.
	if r := rampart(t, "", "harden", "--diff", "--no-apparmor", "--max-document-size", "64KiB", src); r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("--diff: exit %d, want 1 and %q: %s", r.code, want, r.stderr)
	}
}

// Two inputs bound for one file, or an input written over itself without
// --in-place, are refused before anything is written: the second used to
// replace the first without a word, and --out the input's own directory
// overwrote it.
func TestHardenDestinations(t *testing.T) {
	dir := t.TempDir()
	seed, err := os.ReadFile("../../examples/seed/0-baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"k8s/a/deploy.yaml", "k8s/b/deploy.yaml", "one/deploy.yaml", "one/deploy.yml"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), seed, 0o644)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{filepath.Join(dir, "k8s"), "--out", filepath.Join(dir, "out")}, "would both be written to " + filepath.Join(dir, "out", "deploy.yaml")},
		{[]string{filepath.Join(dir, "one")}, "would both be written to " + filepath.Join(dir, "one", "deploy.hardened.yaml")},
		{[]string{filepath.Join(dir, "k8s/a/deploy.yaml"), "--out", filepath.Join(dir, "k8s/a")}, "would be written over the input"},
	} {
		r := rampart(t, "", append([]string{"harden"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.says) {
			t.Errorf("harden %v: exit %d, stderr %q; want 2 saying %q", c.args, r.code, r.stderr, c.says)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("a refused run wrote its --out directory")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "k8s/a/deploy.yaml")); string(b) != string(seed) {
		t.Error("a refused run changed its input")
	}
}

// Two files of one run whose workloads share a name but not their rules
// (another namespace, another capability) would write one profile file:
// the second is refused instead of replacing the first's profile, which
// the first's manifest names.
func TestHardenProfileAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	web := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: %s}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: x\n        securityContext: {runAsNonRoot: true%s}\n"
	os.WriteFile(filepath.Join(dir, "one.yaml"), fmt.Appendf(nil, web, "one", ""), 0o644)
	os.WriteFile(filepath.Join(dir, "two.yaml"), fmt.Appendf(nil, web, "two", ", capabilities: {add: [SYS_ADMIN]}"), 0o644)
	r := rampart(t, "", "harden", filepath.Join(dir, "one.yaml"), filepath.Join(dir, "two.yaml"), "--seccomp", "localhost")
	if r.code != 1 || !strings.Contains(r.stderr, "two.yaml needs other rules than "+filepath.Join(dir, "one.yaml")) {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "two.hardened.yaml")); err == nil {
		t.Error("the refused file's manifest was written")
	}
}
