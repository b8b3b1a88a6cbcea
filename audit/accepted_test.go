package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/audit/accept"
)

// rootPod fails restricted on runAsNonRoot only, and baseline on
// nothing; ANNOTATIONS is replaced by its annotations.
const rootPod = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: tool
  namespace: ops
ANNOTATIONS
spec:
  selector: {matchLabels: {app: tool}}
  template:
    metadata: {labels: {app: tool}}
    spec:
      containers:
        - name: tool
          image: busybox
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
            seccompProfile: {type: RuntimeDefault}
`

func withAnnotation(v string) []byte {
	a := ""
	if v != "" {
		a = "  annotations:\n    rampart.dev/accept: " + v
	}
	return []byte(strings.Replace(rootPod, "ANNOTATIONS", a, 1))
}

// TestAcceptPSS: an accepted Pod Security check no longer fails the
// restricted gate; the annotation on the Deployment (not its pod
// template) is the one read.
func TestAcceptPSS(t *testing.T) {
	a, err := New(Node{Runtime: "containerd"})
	if err != nil {
		t.Fatal(err)
	}
	r := a.Read("d.yaml", withAnnotation(""))
	if !r.Failed(FailRestricted) || r.Failed(FailBaseline) {
		t.Fatalf("fixture: restricted %v baseline %v, want true false (%+v)", r.Failed(FailRestricted), r.Failed(FailBaseline), r.Workloads[0].PSS)
	}
	if f := r.Workloads[0].Containers[0].PSS.Failures; len(f) != 1 || f[0].Check != "runAsNonRoot" {
		t.Fatalf("fixture fails %+v, want runAsNonRoot only", f)
	}
	r = a.Read("d.yaml", withAnnotation(`"pss/runAsNonRoot=the image needs root, ticket 7"`))
	if r.Failed(FailRestricted) || len(r.Errors) > 0 {
		t.Errorf("accepted: restricted gate still fails (%v)", r.Errors)
	}
	c := r.Workloads[0].Containers[0]
	if x := c.Acceptance("pss/runAsNonRoot"); x == nil || x.Kind != accept.KindInSource || x.Reason != "the image needs root, ticket 7" || x.Source != "d.yaml:7:25" {
		t.Errorf("acceptance = %+v", x)
	}
	// Accepting one open path leaves the others failing the gate.
	if len(c.Open) < 2 {
		t.Fatalf("fixture has %d open paths, want 2 or more", len(c.Open))
	}
	r = a.Read("d.yaml", withAnnotation(`"open-path/`+c.Open[0]+`=x"`))
	if !r.Failed(FailOpenPath) {
		t.Error("one of several open paths accepted: the gate passes")
	}
	// A malformed annotation accepts nothing and is an error of the
	// document, at the annotation.
	r = a.Read("d.yaml", withAnnotation(`"pss/runAsNonRoot"`))
	if !r.Failed(FailRestricted) || len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "d.yaml:7:25: rampart.dev/accept: ") {
		t.Errorf("malformed annotation: restricted %v, errors %+v", r.Failed(FailRestricted), r.Errors)
	}
}

// TestAcceptExpiredAndBaseline: an expired config entry counts again;
// the baseline then still accepts a finding it holds.
func TestAcceptExpiredAndBaseline(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, accept.FileName)
	if err := os.WriteFile(cfg, []byte("accept:\n  - rule: pss/runAsNonRoot\n    reason: r\n    expires: 2027-01-31\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := accept.Load(cfg, KnownRule)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Node{Runtime: "containerd"})
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	a.Accept(Acceptance{Config: c, Now: day("2027-01-31")})
	if r := a.Read("d.yaml", withAnnotation("")); r.Failed(FailRestricted) {
		t.Error("on its last day: the entry does not hold")
	}
	a.Accept(Acceptance{Config: c, Now: day("2027-02-01")})
	r := a.Read("d.yaml", withAnnotation(""))
	x := r.Workloads[0].Containers[0].Acceptance("pss/runAsNonRoot")
	if !r.Failed(FailRestricted) || x == nil || !x.Expired || x.Expires != "2027-01-31" {
		t.Errorf("expired: restricted %v, acceptance %+v", r.Failed(FailRestricted), x)
	}
	base := filepath.Join(dir, "base.json")
	if err := accept.WriteBaseline(base, r.Workloads[0].Fingerprints()); err != nil {
		t.Fatal(err)
	}
	b, err := accept.ReadBaseline(base)
	if err != nil {
		t.Fatal(err)
	}
	a.Accept(Acceptance{Config: c, Baseline: b, Now: day("2027-02-01")})
	r = a.Read("d.yaml", withAnnotation(""))
	if x := r.Workloads[0].Containers[0].Acceptance("pss/runAsNonRoot"); r.Failed(FailRestricted) || r.Failed(FailOpenPath) || x == nil || x.Kind != accept.KindBaseline {
		t.Errorf("baselined: restricted %v open-path %v, acceptance %+v", r.Failed(FailRestricted), r.Failed(FailOpenPath), x)
	}
}
