package harden

import (
	"os"
	"path/filepath"
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
	want := map[string]string{"raw-socket": "capabilities", "userns-netns": "seccomp", "read-shadow": "lsm"}
	for _, p := range c.Paths {
		if l, ok := want[p.ID]; ok && (p.Verdict != audit.Blocked || p.Layer != l) {
			t.Errorf("%s: %s %s (%s), want blocked by %s", p.ID, p.Verdict, p.Layer, p.Why, l)
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
