//go:build linux

package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// acceptPod has three open paths on containerd's defaults:
// process-vm-readv, ptrace-child and tiocsti; its annotation accepts
// tiocsti.
const acceptPod = `apiVersion: v1
kind: Pod
metadata:
  name: legacy
  namespace: shop
  annotations:
    rampart.dev/accept: "open-path/tiocsti=legacy tty tool, ticket 123"
spec:
  containers:
    - name: app
      image: busybox
      securityContext:
        allowPrivilegeEscalation: false
        runAsNonRoot: true
        runAsUser: 1000
        capabilities:
          drop: [ALL]
        seccompProfile:
          type: RuntimeDefault
`

// acceptRepo writes a repository (.git, so the config search stops
// there) holding k8s/pod.yaml and config as .rampart.yaml.
func acceptRepo(t *testing.T, pod, config string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{".git/HEAD": "", "k8s/pod.yaml": pod, ".rampart.yaml": config} {
		if name == ".rampart.yaml" && body == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// rampartIn runs rampart with dir as its working directory.
func rampartIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	return runAsRampart(t, cmd)
}

const acceptConfig = `accept:
  - rule: open-path/process-vm-readv
    namespace: shop
    name: "leg*"
    path: "k8s/**"
    reason: reads only its own children, ticket 124
  - rule: open-path/ptrace-child
    kind: Pod
    reason: debugger sidecar, ticket 125
    expires: EXPIRES
`

// TestAuditAcceptAnnotationAndConfig: the annotation accepts tiocsti
// and the config the two other open paths; each output says so with the
// reason, and the gate passes only while no acceptance has expired.
func TestAuditAcceptAnnotationAndConfig(t *testing.T) {
	// Without acceptances the gate fails (the fixture has open paths).
	dir := acceptRepo(t, strings.ReplaceAll(acceptPod, "rampart.dev/accept", "example.com/other"), "")
	if r := rampartIn(t, dir, "audit", "k8s/pod.yaml", "--fail-on", "open-path"); r.code != 1 {
		t.Fatalf("no acceptance: exit %d, want 1: %s", r.code, r.stderr)
	}

	dir = acceptRepo(t, acceptPod, strings.ReplaceAll(acceptConfig, "EXPIRES", "2999-12-31"))
	r := rampartIn(t, dir, "audit", "k8s/pod.yaml", "--fail-on", "open-path")
	if r.code != 0 {
		t.Fatalf("all accepted: exit %d, want 0: %s\n%s", r.code, r.stderr, r.stdout)
	}
	for _, want := range []string{
		"accepted      open-path/tiocsti: legacy tty tool, ticket 123 (inSource, k8s/pod.yaml:7:25)",
		"accepted      open-path/process-vm-readv: reads only its own children, ticket 124 (external, .rampart.yaml:2:5)",
		"accepted      open-path/ptrace-child: debugger sidecar, ticket 125 (external, .rampart.yaml:7:5)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}

	// JSON: a field per container.
	r = rampartIn(t, dir, "audit", "k8s/pod.yaml", "-o", "json")
	var js struct {
		Workloads []struct {
			Containers []struct {
				Accepted []struct{ Rule, Kind, Reason, Source string }
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &js); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range js.Workloads[0].Containers[0].Accepted {
		got[a.Rule] = a.Kind + ": " + a.Reason
	}
	want := map[string]string{
		"open-path/tiocsti":          "inSource: legacy tty tool, ticket 123",
		"open-path/process-vm-readv": "external: reads only its own children, ticket 124",
		"open-path/ptrace-child":     "external: debugger sidecar, ticket 125",
	}
	if len(got) != len(want) {
		t.Errorf("json accepted = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("json accepted[%s] = %q, want %q", k, got[k], v)
		}
	}

	// SARIF: each open path's result suppressed, of its kind, with its
	// reason; nothing else is.
	r = rampartIn(t, dir, "audit", "k8s/pod.yaml", "-o", "sarif")
	var sa struct {
		Runs []struct {
			Results []struct {
				RuleID       string
				Suppressions []struct{ Kind, Justification string }
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &sa); err != nil {
		t.Fatal(err)
	}
	sup := map[string]string{}
	for _, res := range sa.Runs[0].Results {
		if len(res.Suppressions) == 1 {
			sup[res.RuleID] = res.Suppressions[0].Kind + ": " + res.Suppressions[0].Justification
		} else if len(res.Suppressions) > 1 {
			t.Errorf("%s: %d suppressions", res.RuleID, len(res.Suppressions))
		}
	}
	for rule, kindWhy := range want {
		if g := sup["rampart/"+rule]; !strings.HasPrefix(g, kindWhy) {
			t.Errorf("sarif %s suppression = %q, want %q...", rule, g, kindWhy)
		}
	}
	if len(sup) != len(want) {
		t.Errorf("sarif suppressions = %v, want only the three accepted", sup)
	}

	// JUnit: the accepted paths are skipped, with the reason.
	r = rampartIn(t, dir, "audit", "k8s/pod.yaml", "-o", "junit")
	var ju struct {
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Skipped int `xml:"skipped,attr"`
			Cases   []struct {
				Name    string `xml:"name,attr"`
				Skipped *struct {
					Text string `xml:",chardata"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &ju); err != nil {
		t.Fatal(err)
	}
	if ju.Failures != 0 || len(ju.Suites) == 0 || ju.Suites[0].Skipped != 3 {
		t.Errorf("junit: %d failures, suites %+v; want 0 failures and 3 skipped", ju.Failures, ju.Suites)
	}
	// and the report with skipped cases is one Jenkins and GitLab read
	file := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	validateJUnit(t, file)
	for _, c := range ju.Suites[0].Cases {
		if w, ok := want["open-path/"+c.Name]; ok && (c.Skipped == nil || !strings.Contains(c.Skipped.Text, w[strings.Index(w, ": ")+2:])) {
			t.Errorf("junit %s: skipped = %+v, want the reason %q", c.Name, c.Skipped, w)
		}
	}

	// An expired acceptance counts again, and says so with its date.
	dir = acceptRepo(t, acceptPod, strings.ReplaceAll(acceptConfig, "EXPIRES", "2000-01-31"))
	r = rampartIn(t, dir, "audit", "k8s/pod.yaml", "--fail-on", "open-path")
	if r.code != 1 {
		t.Errorf("expired acceptance: exit %d, want 1", r.code)
	}
	if want := "EXPIRED       open-path/ptrace-child: accepted until 2000-01-31 (debugger sidecar, ticket 125)"; !strings.Contains(r.stdout, want) {
		t.Errorf("table lacks %q:\n%s", want, r.stdout)
	}
	r = rampartIn(t, dir, "audit", "k8s/pod.yaml", "-o", "sarif")
	if !strings.Contains(r.stdout, "(accepted until 2000-01-31: debugger sidecar, ticket 125)") {
		t.Errorf("sarif does not say the acceptance expired:\n%s", r.stdout)
	}
}

// TestAuditAcceptMalformed: a config the audit cannot read exactly is
// refused at its position, never ignored.
func TestAuditAcceptMalformed(t *testing.T) {
	for _, tc := range []struct{ name, config, want string }{
		{"unknown key", "accept:\n  - rule: open-path/tiocsti\n    reason: x\n    expiry: 2027-01-01\n", ".rampart.yaml:4:5: accept[0].expiry: unknown field"},
		{"missing reason", "accept:\n  - rule: open-path/tiocsti\n", ".rampart.yaml:2:5: accept[0]: reason: missing"},
		{"bad date", "accept:\n  - rule: open-path/tiocsti\n    reason: x\n    expires: 2027-02-31\n", ".rampart.yaml:4:14: accept[0].expires: \"2027-02-31\": want a date"},
		{"unknown rule", "accept:\n  - rule: open-path/tiocstl\n    reason: x\n", ".rampart.yaml:2:11: accept[0].rule: \"open-path/tiocstl\": no such rule"},
		{"bad node flag value", "node:\n  imageShadow: 0640:root\n", ".rampart.yaml:2:16: node.imageShadow: "},
		{"bad sysctl", "node:\n  sysctls:\n    kernel.perf_event_paranoid: [3]\n", ".rampart.yaml:3:33: node.sysctls[kernel.perf_event_paranoid]: want a number"},
		{"no profiles directory", "node:\n  profiles: nowhere\n", ".rampart.yaml:2:13: node.profiles: "},
		{"unknown node fact", "node:\n  runtim: cri-o\n", ".rampart.yaml:2:3: node.runtim: unknown field"},
		{"bad node fact", "node:\n  runtime: rkt\n", ".rampart.yaml:2:12: node.runtime: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := acceptRepo(t, acceptPod, tc.config)
			r := rampartIn(t, dir, "audit", "k8s/pod.yaml")
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

// TestAuditAcceptNodeFacts: the config's node facts are the flags'
// defaults; a flag given wins.
func TestAuditAcceptNodeFacts(t *testing.T) {
	dir := acceptRepo(t, acceptPod, "node:\n  runtime: cri-o\n  seccompDefault: true\n  sysctls:\n    kernel.perf_event_paranoid: 3\n")
	node := func(args ...string) (rt string, sd bool) {
		r := rampartIn(t, dir, append([]string{"audit", "k8s/pod.yaml", "-o", "json"}, args...)...)
		var js struct {
			Node struct {
				Runtime        string
				SeccompDefault bool
				Sysctls        map[string]string
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &js); err != nil {
			t.Fatalf("%v: %s", err, r.stderr)
		}
		// A sysctl written as a YAML number is the flag's KEY=3.
		if v := js.Node.Sysctls["kernel.perf_event_paranoid"]; v != "3" && len(args) == 0 {
			t.Errorf("sysctl from the config = %q, want 3", v)
		}
		return js.Node.Runtime, js.Node.SeccompDefault
	}
	if rt, sd := node(); rt != "cri-o" || !sd {
		t.Errorf("from the config: runtime %s, seccompDefault %v; want cri-o, true", rt, sd)
	}
	if rt, sd := node("--runtime", "containerd", "--seccomp-default=false"); rt != "containerd" || sd {
		t.Errorf("flags over the config: runtime %s, seccompDefault %v; want containerd, false", rt, sd)
	}
	// --config names another file; the one found is then not read.
	other := filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(other, []byte("node:\n  runtime: docker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if rt, _ := node("--config", other); rt != "docker" {
		t.Errorf("--config: runtime %s, want docker", rt)
	}
}

// TestAuditBaseline: a baseline written today lets today's findings
// pass the gate and fails on a new one only.
func TestAuditBaseline(t *testing.T) {
	plain := strings.ReplaceAll(acceptPod, "rampart.dev/accept", "example.com/other")
	dir := acceptRepo(t, plain, "")
	if r := rampartIn(t, dir, "audit", "k8s/pod.yaml", "--write-baseline", "base.json"); r.code != 0 {
		t.Fatalf("--write-baseline: exit %d: %s", r.code, r.stderr)
	}
	body, err := os.ReadFile(filepath.Join(dir, "base.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"Pod/shop/legacy/app/rampart/open-path/tiocsti"`) {
		t.Errorf("baseline lacks tiocsti's fingerprint:\n%s", body)
	}
	r := rampartIn(t, dir, "audit", "k8s/pod.yaml", "--baseline", "base.json", "--fail-on", "open-path")
	if r.code != 0 || !strings.Contains(r.stdout, "accepted      open-path/tiocsti: in the baseline base.json (baseline, base.json)") {
		t.Errorf("known findings: exit %d, want 0 and them marked:\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A new finding: a second container, which runs as root.
	grown := plain + "    - name: new\n      image: busybox\n"
	if err := os.WriteFile(filepath.Join(dir, "k8s/pod.yaml"), []byte(grown), 0o644); err != nil {
		t.Fatal(err)
	}
	r = rampartIn(t, dir, "audit", "k8s/pod.yaml", "--baseline", "base.json", "--fail-on", "open-path", "-o", "sarif")
	if r.code != 1 {
		t.Errorf("a new finding: exit %d, want 1", r.code)
	}
	if !strings.Contains(r.stdout, `"kind": "external"`) {
		t.Errorf("sarif marks no baseline finding:\n%s", r.stdout)
	}
	// A baseline file is strict: another schema is refused.
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"schema": "x", "fingerprints": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := rampartIn(t, dir, "audit", "k8s/pod.yaml", "--baseline", "bad.json"); r.code != 2 || !strings.Contains(r.stderr, "bad.json:1:12: schema") {
		t.Errorf("bad baseline: exit %d, stderr %q", r.code, r.stderr)
	}
}

// A pod-level Pod Security failure that no container carries (an
// AppArmor annotation for a container the pod lacks) can be accepted by
// no entry: with an unrelated finding accepted, --fail-on still fails on
// it, as the report says the pod is privileged.
func TestAuditAcceptKeepsPodLevelFailures(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata:
  name: ghost
  annotations:
    rampart.dev/accept: "open-path/process-vm-readv=a debugger is part of the app"
    container.apparmor.security.beta.kubernetes.io/ghost: unconfined
spec:
  containers:
  - {name: app, image: x}
`
	r := rampart(t, pod, "audit", "-", "--fail-on", "baseline")
	if r.code != 1 || !strings.Contains(r.stdout, "pod security: privileged") {
		t.Errorf("exit %d, want 1 (the pod fails baseline):\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
