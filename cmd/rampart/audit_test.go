//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/internal/procstatus"
)

const auditSeed = "../../examples/seed"

type auditJSON struct {
	Schema    string `json:"schema"`
	Workloads []struct {
		File       string `json:"file"`
		Containers []struct {
			Name    string `json:"name"`
			Refused string `json:"refused"`
			Paths   []struct {
				ID, Verdict, Layer string
			} `json:"paths"`
		} `json:"containers"`
	} `json:"workloads"`
	Summary struct {
		Files, Objects, Containers, Errors int
	} `json:"summary"`
}

func auditRun(t *testing.T, args ...string) auditJSON {
	t.Helper()
	r := rampart(t, "", append([]string{"audit", "-o", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("audit %v: exit %d: %s", args, r.code, r.stderr)
	}
	var out auditJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("audit %v: %v\n%s", args, err, r.stdout)
	}
	return out
}

func cellVerdict(verdict, layer string) string {
	if verdict == "open" {
		return "open"
	}
	return "blocked by " + layer
}

// TestAuditSeedProgression: the article's progression, through the CLI.
func TestAuditSeedProgression(t *testing.T) {
	out := auditRun(t, auditSeed, "--apparmor-node", "--profiles", auditSeed)
	want := map[string]map[string]string{
		"0-baseline.yaml":     {"raw-socket": "open", "userns-netns": "open", "read-shadow": "open"},
		"1-drop-net-raw.yaml": {"raw-socket": "blocked by capabilities", "userns-netns": "open", "read-shadow": "open"},
		"2-seccomp.yaml":      {"raw-socket": "blocked by capabilities", "userns-netns": "blocked by seccomp", "read-shadow": "open"},
		"3-apparmor.yaml":     {"raw-socket": "blocked by capabilities", "userns-netns": "blocked by seccomp", "read-shadow": "blocked by lsm"},
	}
	if len(out.Workloads) != 4 {
		t.Fatalf("%d workloads, want 4", len(out.Workloads))
	}
	for _, w := range out.Workloads {
		exp := want[filepath.Base(w.File)]
		for _, p := range w.Containers[0].Paths {
			if v, ok := exp[p.ID]; ok && cellVerdict(p.Verdict, p.Layer) != v {
				t.Errorf("%s: %s = %s, want %s", w.File, p.ID, cellVerdict(p.Verdict, p.Layer), v)
			}
		}
	}
	// Without --apparmor-node, the Localhost profile makes the kubelet
	// refuse the pod.
	out = auditRun(t, filepath.Join(auditSeed, "3-apparmor.yaml"), "--profiles", auditSeed)
	if out.Workloads[0].Containers[0].Refused == "" {
		t.Error("3-apparmor.yaml on a node without AppArmor: not reported as refused")
	}
}

// TestAuditAgreesWithLayers compares the prediction with what `rampart
// layers` measures at its +lsm step, on the seed's paths.
func TestAuditAgreesWithLayers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("rampart layers needs root to apply the layers (CI runs as root)")
	}
	for _, f := range []string{"0-baseline.yaml", "1-drop-net-raw.yaml", "2-seccomp.yaml", "3-apparmor.yaml"} {
		file := filepath.Join(auditSeed, f)
		lr := rampart(t, "", "layers", file, "--apparmor-dir", auditSeed, "-o", "json", "--only", strings.Join(attack.Seed, ","))
		if lr.code != 0 {
			t.Fatalf("layers %s: exit %d: %s", f, lr.code, lr.stderr)
		}
		var m struct {
			Steps []struct{ Name string }
			Rows  []struct {
				ID    string
				Cells []struct{ Verdict, Layer string }
			}
		}
		if err := json.Unmarshal([]byte(lr.stdout), &m); err != nil {
			t.Fatal(err)
		}
		measured := map[string]string{}
		for _, row := range m.Rows {
			last := row.Cells[len(row.Cells)-1] // +lsm
			measured[row.ID] = cellVerdict(last.Verdict, last.Layer)
		}
		out := auditRun(t, file, "--apparmor-node", "--profiles", auditSeed)
		for _, p := range out.Workloads[0].Containers[0].Paths {
			if want, ok := measured[p.ID]; ok && cellVerdict(p.Verdict, p.Layer) != want {
				t.Errorf("%s: %s predicted %s, measured %s", f, p.ID, cellVerdict(p.Verdict, p.Layer), want)
			}
		}
	}
}

func TestAuditCorpus(t *testing.T) {
	corpus := "../../../shared/corpus/manifests" // beside the repository, as CI lays it out
	if _, err := os.Stat(corpus); err != nil {
		corpus = "/work/shared/corpus/manifests"
	}
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("the shared corpus is not beside the repository: %v", err)
	}
	out := auditRun(t, corpus, "--seccomp-default")
	t.Logf("corpus: %d files, %d objects, %d containers, %d unreadable documents", out.Summary.Files, out.Summary.Objects, out.Summary.Containers, out.Summary.Errors)
	if out.Summary.Containers <= 200 {
		t.Errorf("%d containers audited, want > 200", out.Summary.Containers)
	}
}

func TestAuditSARIF(t *testing.T) {
	r := rampart(t, "", "audit", "-o", "sarif", auditSeed, "--profiles", auditSeed, "--apparmor-node")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "rampart" {
		t.Fatalf("bad SARIF header: %+v", log)
	}
	rules := log.Runs[0].Tool.Driver.Rules
	ids := map[string]bool{}
	for _, ru := range rules {
		ids[ru.ID] = true
	}
	for _, want := range []string{"rampart/open-path/raw-socket", "rampart/open-path/read-shadow", "rampart/pss/privileged", "rampart/pss/runAsNonRoot"} {
		if !ids[want] {
			t.Errorf("no rule %s", want)
		}
	}
	found := false
	for _, res := range log.Runs[0].Results {
		if rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("ruleIndex %d is %s, not %s", res.RuleIndex, rules[res.RuleIndex].ID, res.RuleID)
		}
		loc := res.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI == "" || loc.Region.StartLine == 0 {
			t.Errorf("%s: no location", res.RuleID)
		}
		// 0-baseline has no securityContext: the container's line.
		if res.RuleID == "rampart/open-path/raw-socket" && strings.HasSuffix(loc.ArtifactLocation.URI, "0-baseline.yaml") {
			found = true
			if loc.Region.StartLine != 16 {
				t.Errorf("raw-socket in 0-baseline at line %d, want 16 (the container)", loc.Region.StartLine)
			}
		}
		if res.RuleID == "rampart/open-path/raw-socket" && !strings.HasSuffix(loc.ArtifactLocation.URI, "0-baseline.yaml") {
			t.Errorf("raw-socket reported open in %s", loc.ArtifactLocation.URI)
		}
	}
	if !found {
		t.Error("no raw-socket result for 0-baseline.yaml")
	}
}

func TestAuditJUnit(t *testing.T) {
	r := rampart(t, "", "audit", "-o", "junit", filepath.Join(auditSeed, "1-drop-net-raw.yaml"))
	var s struct {
		Tests  int `xml:"tests,attr"`
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(s.Suites) != 1 || s.Tests != len(attack.Catalog()) {
		t.Fatalf("%d suites, %d tests", len(s.Suites), s.Tests)
	}
	for _, c := range s.Suites[0].Cases {
		if c.Name == "raw-socket" && c.Failure != nil || c.Name == "userns-netns" && c.Failure == nil {
			t.Errorf("%s: failure %v", c.Name, c.Failure != nil)
		}
	}
}

func TestAuditFailOn(t *testing.T) {
	restricted := `apiVersion: v1
kind: Pod
metadata: {name: ok}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: x
    securityContext:
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
`
	priv := `apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers:
  - name: app
    image: x
    securityContext: {privileged: true}
`
	for _, tc := range []struct {
		stdin, failOn string
		code          int
	}{
		{restricted, "restricted", 0},
		{restricted, "baseline", 0},
		{priv, "baseline", 1},
		{priv, "restricted", 1},
		{priv, "open-path", 1},
		{priv, "", 0},
		{restricted, "bogus", 2},
	} {
		args := []string{"audit", "-"}
		if tc.failOn != "" {
			args = append(args, "--fail-on", tc.failOn)
		}
		r := rampart(t, tc.stdin, args...)
		if r.code != tc.code {
			t.Errorf("--fail-on %q on %s: exit %d, want %d\n%s", tc.failOn, strings.Fields(tc.stdin)[6], r.code, tc.code, r.stderr)
		}
	}
	// A privileged Pod in a document over --max-document-size beside a
	// restricted one: the gate cannot rule the condition out.
	big := priv + "    env: [{name: PAD, value: \"" + strings.Repeat("x", 4096) + "\"}]\n---\n" + restricted
	if r := rampart(t, big, "audit", "-", "--max-document-size", "1KiB", "--fail-on", "baseline"); r.code != 1 || !strings.Contains(r.stderr, "could not be read") {
		t.Errorf("--fail-on with an unreadable document: exit %d, want 1\n%s", r.code, r.stderr)
	}
	if r := rampart(t, big, "audit", "-", "--max-document-size", "1KiB"); r.code != 0 {
		t.Errorf("no --fail-on, an unreadable document: exit %d, want 0\n%s", r.code, r.stderr)
	}
	r := rampart(t, restricted, "audit", "-", "-o", "json")
	var rep audit.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(rep.Workloads) != 1 || rep.Workloads[0].PSS.Level != "restricted" {
		t.Errorf("restricted pod not restricted:\n%s", r.stdout)
	}
}

func TestAuditMalformed(t *testing.T) {
	in := "kind: Pod\nspec: {containers: [{name: a, image: x}]}\n---\nkind: Pod\nspec: [\n---\nkind: Pod\nspec: {containers: [{name: b, image: x}]}\n"
	r := rampart(t, in, "audit", "-", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out struct {
		Workloads []any
		Errors    []struct {
			File     string
			Document int
			Message  string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Workloads) != 2 || len(out.Errors) != 1 || out.Errors[0].Document != 2 || out.Errors[0].File != "<stdin>" {
		t.Errorf("workloads %d, errors %+v", len(out.Workloads), out.Errors)
	}
	if r := rampart(t, "", "audit", "/nonexistent"); r.code != 125 {
		t.Errorf("nothing to audit: exit %d, want 125", r.code)
	}
}

// --sysctl describes the node: at perf_event_paranoid 3 (Debian's and
// Ubuntu's kernels) counting one's own events needs PERFMON; at the
// upstream default 2 it does not.
func TestAuditSysctl(t *testing.T) {
	verdict := func(args ...string) string {
		r := rampart(t, "", append([]string{"audit", "-o", "json", filepath.Join(auditSeed, "1-drop-net-raw.yaml")}, args...)...)
		var rep audit.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v: %s", err, r.stderr)
		}
		for _, p := range rep.Workloads[0].Containers[0].Paths {
			if p.ID == "perf-event-open" {
				return p.Verdict + " " + p.Layer
			}
		}
		return "missing"
	}
	if got := verdict(); got != "open " {
		t.Errorf("default: perf-event-open %q, want open", got)
	}
	if got := verdict("--sysctl", "kernel.perf_event_paranoid=3"); got != "blocked capabilities" {
		t.Errorf("paranoid 3: perf-event-open %q, want blocked by capabilities", got)
	}
}

// podStream writes n distinct Pods to w, one document each, and closes
// it: generated as they are written, never held.
func podStream(w io.WriteCloser, n int) {
	defer w.Close()
	bw := bufio.NewWriter(w)
	for i := range n {
		fmt.Fprintf(bw, "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-%d\nspec:\n  containers:\n  - name: app\n    image: registry.k8s.io/pause:3.10\n    securityContext:\n      runAsUser: %d\n", i, 1000+i)
	}
	bw.Flush()
}

// peakRSS runs rampart with n generated Pods on a pipe to its standard
// input and returns its exit status and peak resident set, in bytes: the
// highest VmHWM its /proc status shows while it runs. Not the child's
// rusage maxrss: execve folds the parent's high-water mark into it (the
// test binary's, which grows with the tests that ran before), so a small
// child would report the test binary's size.
func peakRSS(t *testing.T, n int, args ...string) (int, int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asRampart+"=1", "GOGC=") // the audit's own GC setting, as users get it
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak int64
	sample := func() {
		st, err := procstatus.HighWater(status)
		if err == nil && st > peak {
			peak = st
		}
	}
	fed := make(chan struct{})
	go func() { podStream(in, n); close(fed) }()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			sample()
			continue
		case err = <-done:
		}
		break
	}
	<-fed
	code := cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("%v: %v: %s", args, err, errb.String())
	}
	if peak == 0 {
		t.Fatalf("%v: no VmHWM read while it ran", args)
	}
	return code, peak
}

// TestAuditBoundedMemory: audit - reads a stream of documents one at a
// time (decode, audit, emit, forget): its peak memory does not grow with
// the number of Pods, in any output format. It used to hold the whole
// input and report: 10,000 Pods took 330 MB (table) to 1.2 GB (sarif),
// 30,000 up to 3.4 GB.
func TestAuditBoundedMemory(t *testing.T) {
	const few, many = 1000, 10000
	for _, format := range []string{"table", "json", "sarif", "junit"} {
		_, small := peakRSS(t, few, "audit", "-", "-o", format)
		code, large := peakRSS(t, many, "audit", "-", "-o", format)
		t.Logf("-o %s: peak RSS %d MiB for %d Pods, %d MiB for %d", format, small>>20, few, large>>20, many)
		if code != 0 {
			t.Errorf("-o %s: exit %d", format, code)
		}
		if large-small > 32<<20 || large > 160<<20 {
			t.Errorf("-o %s: peak RSS grew from %d MiB (%d Pods) to %d MiB (%d Pods)", format, small>>20, few, large>>20, many)
		}
	}
}

// TestAuditDocumentLimit: a document over --max-document-size is an
// error naming the file, the document and its line; the documents after
// it are audited.
func TestAuditDocumentLimit(t *testing.T) {
	in := "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n" +
		"---\napiVersion: v1\nkind: ConfigMap\ndata:\n  big: " + strings.Repeat("x", 100<<10) + "\n" +
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, image: x}]}\n"
	r := rampart(t, in, "audit", "-", "-o", "json", "--max-document-size", "64KiB")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	const want = "<stdin>:5: document 2: document larger than 64KiB, the most read of one document"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	var out auditJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Workloads) != 2 || out.Summary.Errors != 1 {
		t.Errorf("%d workloads, %d errors; want the two Pods around the large document, and it", len(out.Workloads), out.Summary.Errors)
	}
	if r := rampart(t, in, "audit", "-", "--max-document-size", "1.5MiB"); r.code != 2 {
		t.Errorf("--max-document-size 1.5MiB: exit %d, want 2", r.code)
	}
}
