package harden

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/audit"
)

const seedBaseline = "../examples/seed/0-baseline.yaml"

// hardenAudit hardens data, writes its profiles to a directory and
// audits the result on a node with AppArmor.
func hardenAudit(t *testing.T, name string, data []byte, o Options) (*Result, *audit.Report) {
	t.Helper()
	res, err := Manifest(name, data, o)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, p := range res.Profiles {
		if err := os.WriteFile(filepath.Join(dir, p.Name), []byte(p.Text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, err := audit.New(audit.Node{AppArmor: true, ProfilesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return res, a.Read(name, res.Data)
}

func TestSeedBaseline(t *testing.T) {
	data, err := os.ReadFile(seedBaseline)
	if err != nil {
		t.Fatal(err)
	}
	// A comment of the user's, in a copy.
	data = []byte(strings.Replace(string(data), "  replicas: 1\n", "  replicas: 1 # keep one\n  # the selector stays\n", 1))
	res, r := hardenAudit(t, "0-baseline.yaml", data, Options{AssumeNonRoot: true})
	out := string(res.Data)
	t.Logf("hardened:\n%s", out)
	for _, s := range []string{"replicas: 1 # keep one", "  # the selector stays\n", "- containerPort: 5000"} {
		if !strings.Contains(out, s) {
			t.Errorf("hardened manifest lost %q", s)
		}
	}
	// Key order: what was there comes in the same order.
	last := -1
	for _, k := range []string{"apiVersion:", "kind:", "metadata:", "spec:", "replicas:", "selector:", "template:", "containers:", "- name: flask\n", "image:", "ports:"} {
		i := strings.Index(out, k)
		if i < last {
			t.Errorf("%s moved", k)
		}
		last = i
	}
	if len(res.Profiles) != 1 || res.Profiles[0].Name != "rampart-flask-app-flask" {
		t.Fatalf("profiles %+v", res.Profiles)
	}
	if len(r.Errors) > 0 || len(r.Workloads) != 1 {
		t.Fatalf("audit: %+v", r.Errors)
	}
	w := r.Workloads[0]
	if w.PSS.Level != audit.LevelRestricted {
		t.Errorf("pod security %s, want restricted: %+v", w.PSS.Level, w.PSS.Failures)
	}
	c := w.Containers[0]
	if c.Seccomp.Evaluated == "not evaluated" {
		t.Skipf("the audit cannot evaluate RuntimeDefault in this build (%v): run with -tags seccomp", c.Notes)
	}
	// The image's non-root user meets /etc/shadow's permission bits
	// before the profile: other.
	want := map[string]string{"raw-socket": "capabilities", "userns-netns": "seccomp", "read-shadow": "other"}
	for _, p := range c.Paths {
		if l, ok := want[p.ID]; ok && (p.Verdict != audit.Blocked || p.Layer != l) {
			t.Errorf("%s: %s %s (%s), want blocked by %s", p.ID, p.Verdict, p.Layer, p.Why, l)
		}
	}
	// Where the image lets that user read it, the generated profile
	// closes it.
	dir := t.TempDir()
	for _, p := range res.Profiles {
		if err := os.WriteFile(filepath.Join(dir, p.Name), []byte(p.Text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	readable := audit.FileMode{Perm: 0o644, Owner: "root", Group: "root"}
	a, err := audit.New(audit.Node{AppArmor: true, ProfilesDir: dir, ImageShadow: &readable})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range a.Read("0-baseline.yaml", res.Data).Workloads[0].Containers[0].Paths {
		if p.ID == "read-shadow" && (p.Verdict != audit.Blocked || p.Layer != "lsm") {
			t.Errorf("read-shadow readable by the user: %s %s (%s), want blocked by lsm", p.Verdict, p.Layer, p.Why)
		}
	}
	t.Logf("seccomp %+v notes %v", c.Seccomp, c.Notes)
	// What stays open needs what neither RuntimeDefault nor the generated
	// profile (as the audit evaluates it) refuses: ptrace of the
	// workload's own children, and TIOCSTI on its own terminal (denying
	// /dev/pts would break kubectl exec -t).
	residual := map[string]bool{"ptrace-child": true, "process-vm-readv": true, "tiocsti": true}
	for _, id := range c.Open {
		if !residual[id] {
			t.Errorf("%s open after hardening", id)
		}
	}

	// Idempotent: a second pass changes nothing.
	res2, err := Manifest("0-baseline.yaml", res.Data, Options{AssumeNonRoot: true})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Changed || len(res2.Edits()) > 0 || string(res2.Data) != out {
		t.Errorf("second pass changed it: %v\n%s", res2.Edits(), res2.Data)
	}

	// Without --assume-nonroot: baseline, and said so.
	res3, r3 := hardenAudit(t, "0-baseline.yaml", data, Options{})
	if r3.Workloads[0].PSS.Level != audit.LevelBaseline {
		t.Errorf("without AssumeNonRoot: %s, want baseline", r3.Workloads[0].PSS.Level)
	}
	if len(res3.Findings()) != 1 || !strings.Contains(res3.Findings()[0].What, "--assume-nonroot") {
		t.Errorf("findings %v", res3.Findings())
	}
}

func TestStrictFieldsStay(t *testing.T) {
	in := `# top comment
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    container.apparmor.security.beta.kubernetes.io/b: unconfined
spec:
  securityContext:
    seccompProfile: {type: Localhost, localhostProfile: prof.json}
  initContainers:
  - name: init
    image: busybox
    securityContext:
      privileged: true
  containers:
  - name: a
    image: nginx
    securityContext:
      runAsUser: 1000
      capabilities:
        add: [NET_BIND_SERVICE, NET_RAW]
        drop: [ALL]
      appArmorProfile:
        type: Localhost
        localhostProfile: mine
  - name: b
    image: redis
---
apiVersion: v1
kind: List
items:
- apiVersion: batch/v1
  kind: CronJob
  metadata: {name: cj, namespace: ns}
  spec:
    jobTemplate:
      spec:
        template:
          spec:
            containers:
            - name: c
              image: alpine
`
	res, err := Manifest("in.yaml", []byte(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Data)
	t.Logf("%s", out)
	for _, s := range []string{"# top comment", "seccompProfile: {type: Localhost, localhostProfile: prof.json}", "localhostProfile: mine", "add: [NET_BIND_SERVICE, NET_RAW]", "privileged: true", "\n---\n", "localhostProfile: rampart-cj-c", "localhostProfile: rampart-p-b"} {
		if !strings.Contains(out, s) {
			t.Errorf("missing %q", s)
		}
	}
	if strings.Count(out, "type: RuntimeDefault") != 1 { // only the CronJob's: the pod's Localhost applies to a and b
		t.Errorf("RuntimeDefault set %d times, want 1", strings.Count(out, "type: RuntimeDefault"))
	}
	if strings.Contains(out, "apparmor.security.beta.kubernetes.io/b") {
		t.Error("the contradicting AppArmor annotation stayed")
	}
	if !strings.Contains(out, "runAsNonRoot: true") {
		t.Error("runAsUser 1000: runAsNonRoot not set")
	}
	var priv bool
	for _, f := range res.Findings() {
		if f.Container == "init" && strings.Contains(f.What, "--unprivileged") {
			priv = true
		}
	}
	if !priv {
		t.Errorf("privileged init container not reported: %v", res.Findings())
	}

	// --keep replaces the adds; --unprivileged turns privileged off.
	res, err = Manifest("in.yaml", []byte(in), Options{Keep: []string{"NET_BIND_SERVICE"}, KeepSet: true, Unprivileged: true, AssumeNonRoot: true})
	if err != nil {
		t.Fatal(err)
	}
	out = string(res.Data)
	if strings.Contains(out, "NET_RAW") || strings.Contains(out, "privileged: true") {
		t.Errorf("--keep/--unprivileged not applied:\n%s", out)
	}
	// The generated profile denies paths: the operator cannot carry it
	// (TestSPOAbstract shows what it can), and SPO says so by name.
	spo, err := SPO(res.Profiles)
	if err != nil {
		t.Fatal(err)
	}
	if len(spo) != 0 {
		t.Errorf("SPO rendered a deny-list profile:\n%s", spo)
	}
	if sk := SPOSkipped(res.Profiles); len(sk) != len(res.Profiles) || !strings.HasPrefix(sk[len(sk)-1], "rampart-cj-c: ") {
		t.Errorf("SPOSkipped = %q, want every profile, the CronJob's last", sk)
	}
}

// A pod-level Unconfined profile fails Pod Security even when every
// container overrides it: hardened, it becomes RuntimeDefault and the pod
// meets restricted.
func TestPodLevelUnconfined(t *testing.T) {
	data := []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext:
    seccompProfile: {type: Unconfined}
    appArmorProfile: {type: Unconfined}
  containers:
  - name: app
    image: x
`)
	res, r := hardenAudit(t, "pod.yaml", data, Options{AssumeNonRoot: true})
	if n := strings.Count(string(res.Data), "{type: RuntimeDefault}"); n != 2 {
		t.Errorf("%d pod-level RuntimeDefault profiles, want 2:\n%s", n, res.Data)
	}
	if len(r.Workloads) != 1 || r.Workloads[0].PSS.Level != audit.LevelRestricted {
		t.Errorf("pod security: %+v\n%s", r.Workloads, res.Data)
	}
}

// A key written twice is refused, not edited: kubectl would keep the
// privileged second securityContext while harden edited the first.
func TestDuplicateKeyRefused(t *testing.T) {
	in := []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: x
    securityContext: {}
    securityContext: {privileged: true}
`)
	_, err := Manifest("p.yaml", in, Options{})
	if err == nil || !strings.Contains(err.Error(), `line 9: duplicate key "securityContext" (first at line 8)`) {
		t.Fatalf("err = %v, want the duplicate named with both lines", err)
	}
}

// An allow-list profile becomes the operator's AppArmorProfile in its
// real shape (spec.abstract), with every network rule written so that
// what was not allowed is refused; a deny-list one is skipped, named.
func TestSPOAbstract(t *testing.T) {
	allow := Profile{Name: "rec", Namespace: "web", Images: []string{"app:1"}, Abstract: &SPOAbstract{
		Executables: []string{"/usr/bin/python3"}, ReadOnly: []string{"/etc/hostname"},
		ReadWrite: []string{"/tmp/**"}, AllowTCP: true, Capabilities: []string{"net_bind_service"}}}
	deny := Profile{Name: "deny", Text: "profile deny {}"}
	out, err := SPO([]Profile{allow, deny})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: AppArmorProfile", "abstract:", "allowedExecutables:\n                - /usr/bin/python3",
		"readOnlyPaths:\n                - /etc/hostname", "allowRaw: false", "allowTcp: true", "allowUdp: false",
		"allowedCapabilities:\n                - net_bind_service", "kind: ProfileBinding", "image: app:1"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("SPO output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "name: deny") {
		t.Errorf("a deny-list profile was rendered:\n%s", out)
	}
	if sk := SPOSkipped([]Profile{allow, deny}); len(sk) != 1 || !strings.HasPrefix(sk[0], "deny: ") {
		t.Errorf("SPOSkipped = %q", sk)
	}
}

// yaml11Pod is a Pod whose container's securityContext holds sc (one
// field a line, indented for it) and whose pod spec holds podExtra.
func yaml11Pod(sc, podExtra string) []byte {
	return []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + podExtra + "  containers:\n  - name: c\n    image: x\n    securityContext:\n" + sc)
}

// TestYAML11Scalars: harden reads scalars as kubectl and the API server
// do (YAML 1.1, through k8syaml). It used to compare the text with
// "true": a container written privileged: True was not seen as
// privileged, got allowPrivilegeEscalation: false, and the API server
// refused the hardened manifest; with --unprivileged it stayed
// privileged. The hardened manifest goes through the audit, whose reading
// of the pod applies the API server's validation.
func TestYAML11Scalars(t *testing.T) {
	for _, tc := range []struct {
		name, sc, pod string
		o             Options
		privileged    bool     // after hardening, as the audit reads it
		finding       string   // a finding harden must report
		notEdited     []string // fields harden must not edit
		untouched     string   // a field harden must neither edit nor report
	}{
		{name: "privileged True", sc: "      privileged: True\n", privileged: true, finding: "privileged: true left", notEdited: []string{"securityContext.allowPrivilegeEscalation"}},
		{name: "privileged yes", sc: "      privileged: yes\n", privileged: true, finding: "privileged: true left", notEdited: []string{"securityContext.allowPrivilegeEscalation"}},
		{name: "privileged on", sc: "      privileged: on\n", privileged: true, finding: "privileged: true left", notEdited: []string{"securityContext.allowPrivilegeEscalation"}},
		{name: "privileged Y", sc: "      privileged: Y\n", privileged: true, finding: "privileged: true left", notEdited: []string{"securityContext.allowPrivilegeEscalation"}},
		{name: "privileged through an alias", pod: "  automountServiceAccountToken: &t true\n", sc: "      privileged: *t\n", privileged: true, finding: "privileged: true left", notEdited: []string{"securityContext.allowPrivilegeEscalation"}},
		{name: "privileged ON --unprivileged", sc: "      privileged: ON\n", o: Options{Unprivileged: true}},
		{name: "privileged !!bool true --unprivileged", sc: "      privileged: !!bool true\n", o: Options{Unprivileged: true}},
		{name: "allowPrivilegeEscalation no", sc: "      allowPrivilegeEscalation: no\n", notEdited: []string{"securityContext.allowPrivilegeEscalation"}},
		{name: "allowPrivilegeEscalation Off", sc: "      allowPrivilegeEscalation: Off\n", notEdited: []string{"securityContext.allowPrivilegeEscalation"}},
		{name: "runAsNonRoot yes", sc: "      runAsNonRoot: yes\n", untouched: "securityContext.runAsNonRoot"},
		{name: "runAsNonRoot yes at pod level", pod: "  securityContext: {runAsNonRoot: yes}\n", sc: "      {}\n", untouched: "securityContext.runAsNonRoot"},
		// runAsNonRoot: true with a root UID is a container the kubelet
		// refuses to start: root is reported instead.
		{name: "runAsUser 0x0", sc: "      runAsUser: 0x0\n", o: Options{AssumeNonRoot: true}, finding: "runAsUser is 0 (root)", notEdited: []string{"securityContext.runAsNonRoot"}},
		{name: "runAsUser 00", pod: "  securityContext: {runAsUser: 00}\n", sc: "      {}\n", o: Options{AssumeNonRoot: true}, finding: "runAsUser is 0 (root)", notEdited: []string{"securityContext.runAsNonRoot"}},
		{name: "runAsUser 0x3e8", sc: "      runAsUser: 0x3e8\n"}, // 1000: runAsNonRoot is set
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, r := hardenAudit(t, "p.yaml", yaml11Pod(tc.sc, tc.pod), tc.o)
			if len(r.Errors) > 0 || len(r.Workloads) != 1 || len(r.Workloads[0].Containers) != 1 {
				t.Fatalf("audit of the hardened manifest: %+v\n%s", r.Errors, res.Data)
			}
			c := r.Workloads[0].Containers[0]
			if c.Error != "" {
				t.Errorf("the API server would refuse the hardened manifest: %s\n%s", c.Error, res.Data)
			}
			if c.Privileged != tc.privileged {
				t.Errorf("privileged after hardening: %v, want %v\n%s", c.Privileged, tc.privileged, res.Data)
			}
			if tc.finding != "" && !strings.Contains(fmt.Sprint(res.Findings()), tc.finding) {
				t.Errorf("findings %v, want %q", res.Findings(), tc.finding)
			}
			for _, e := range res.Changes {
				if !e.Skipped && slices.Contains(tc.notEdited, e.Field) || e.Field == tc.untouched {
					t.Errorf("%s: %s\n%s", e.Field, e.What, res.Data)
				}
			}
		})
	}
}

// TestMergedOrAliasedRefused: where kubectl would read a field through a
// merge key or a shared anchor, harden refuses the file rather than edit
// beside it: a privileged: true merged in used to get
// allowPrivilegeEscalation: false next to it, which the API server
// refuses, and an edit through an alias would change every container
// sharing the anchor.
func TestMergedOrAliasedRefused(t *testing.T) {
	// Each spec follows the same four lines: the errors' lines count them.
	const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
	for _, tc := range []struct {
		name, spec, err string
	}{
		{"merged privileged", `  containers:
  - {name: a, image: x, securityContext: &sc {privileged: true}}
  - name: b
    image: x
    securityContext: {<<: *sc, runAsUser: 1000}
`, `line 9: "privileged" comes from a merge key (<<)`},
		{"merge overrides what is written", `  containers:
  - name: a
    image: x
    securityContext:
      allowPrivilegeEscalation: false
      <<: {allowPrivilegeEscalation: true}
`, `line 9: "allowPrivilegeEscalation" is overridden by a merge key (<<) or a duplicate`},
		{"aliased securityContext", `  containers:
  - {name: a, image: x, securityContext: &sc {runAsUser: 1000}}
  - {name: b, image: x, securityContext: *sc}
`, `line 7: "securityContext" is an alias (*sc)`},
		{"aliased container", `  initContainers:
  - &c {name: a, image: x}
  containers:
  - *c
`, `line 8: containers[0] is an alias (*c)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Manifest("p.yaml", []byte(pod+tc.spec), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				var data []byte
				if res != nil {
					data = res.Data
				}
				t.Errorf("err = %v, want %q\n%s", err, tc.err, data)
			}
		})
	}
}

// TestYAML11Fixtures: the Pods the kube tier submits to the API server
// after hardening (testdata/yaml11/pods.yaml) pass its validation as the audit
// models it, and the privileged ones stay privileged, reported.
func TestYAML11Fixtures(t *testing.T) {
	data, err := os.ReadFile("testdata/yaml11/pods.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, r := hardenAudit(t, "yaml11.yaml", data, Options{AssumeNonRoot: true})
	if len(r.Errors) > 0 || len(r.Workloads) != 9 {
		t.Fatalf("%d workloads, errors %+v", len(r.Workloads), r.Errors)
	}
	for _, w := range r.Workloads {
		c := w.Containers[0]
		if c.Error != "" {
			t.Errorf("%s: the API server would refuse it hardened: %s", w.Name, c.Error)
		}
		if priv := strings.HasPrefix(w.Name, "priv-"); c.Privileged != priv {
			t.Errorf("%s: privileged %v after hardening", w.Name, c.Privileged)
		}
	}
	if n := strings.Count(fmt.Sprint(res.Findings()), "privileged: true left"); n != 4 {
		t.Errorf("%d privileged containers reported, want 4: %v", n, res.Findings())
	}
}
