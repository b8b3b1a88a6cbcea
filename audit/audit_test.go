package audit

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/runtimes"
)

const seedDir = "../examples/seed"

func verdict(t *testing.T, c Container, id string) string {
	t.Helper()
	for _, p := range c.Paths {
		if p.ID == id {
			if p.Verdict == Open {
				return Open
			}
			return "blocked by " + p.Layer
		}
	}
	t.Fatalf("no path %s", id)
	return ""
}

// TestAuditSeedProgression is the article's progression: NET_RAW dropped
// closes raw-socket, RuntimeDefault closes userns-netns, the AppArmor
// profile closes read-shadow; on an arm64 node as on an amd64 one.
func TestAuditSeedProgression(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) { seedProgression(t, arch) })
	}
}

func seedProgression(t *testing.T, arch string) {
	a, err := New(Node{Runtime: "containerd", AppArmor: true, ProfilesDir: seedDir, Arch: arch})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][3]string{
		"0-baseline.yaml":     {"open", "open", "open"},
		"1-drop-net-raw.yaml": {"blocked by capabilities", "open", "open"},
		"2-seccomp.yaml":      {"blocked by capabilities", "blocked by seccomp", "open"},
		"3-apparmor.yaml":     {"blocked by capabilities", "blocked by seccomp", "blocked by lsm"},
	}
	for file, w := range want {
		r := a.Files([]string{filepath.Join(seedDir, file)})
		if len(r.Workloads) != 1 || len(r.Workloads[0].Containers) != 1 {
			t.Fatalf("%s: %d workloads", file, len(r.Workloads))
		}
		if r.Node.Arch != arch {
			t.Fatalf("node.arch %q", r.Node.Arch)
		}
		c := r.Workloads[0].Containers[0]
		for i, id := range attack.Seed {
			if got := verdict(t, c, id); got != w[i] {
				t.Errorf("%s: %s = %s, want %s", file, id, got, w[i])
			}
		}
		if c.Refused != "" {
			t.Errorf("%s: refused on an AppArmor node: %s", file, c.Refused)
		}
	}
}

// TestAuditAppArmorWithoutNode: a Localhost profile on a node without
// AppArmor is a pod the kubelet refuses; the audit says so.
func TestAuditAppArmorWithoutNode(t *testing.T) {
	a, err := New(Node{ProfilesDir: seedDir})
	if err != nil {
		t.Fatal(err)
	}
	r := a.Files([]string{filepath.Join(seedDir, "3-apparmor.yaml")})
	c := r.Workloads[0].Containers[0]
	if c.Refused == "" {
		t.Error("not reported as refused")
	}
	if got := verdict(t, c, "read-shadow"); got != Open {
		t.Errorf("read-shadow = %s without AppArmor on the node", got)
	}
	r = a.Files([]string{filepath.Join(seedDir, "2-seccomp.yaml")})
	if c := r.Workloads[0].Containers[0]; c.Refused != "" {
		t.Errorf("2-seccomp refused: %s", c.Refused)
	}
}

func TestAuditNodeFlags(t *testing.T) {
	doc := []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: root
    image: x
  - name: user
    image: x
    securityContext: {runAsUser: 1000}
  - name: priv
    image: x
    securityContext: {privileged: true}
`)
	a, _ := New(Node{Runtime: "cri-o", SeccompDefault: true})
	r := a.Read("p.yaml", doc)
	cs := r.Workloads[0].Containers
	if got := len(cs[0].Capabilities.Effective); got != 9 {
		t.Errorf("cri-o root: %d effective capabilities, want 9", got)
	}
	if cs[0].Seccomp.Profile != "runtime-default" {
		t.Errorf("seccomp-default: %s", cs[0].Seccomp.Profile)
	}
	if got := verdict(t, cs[0], "raw-socket"); got != "blocked by capabilities" {
		t.Errorf("cri-o raw-socket: %s", got)
	}
	if len(cs[1].Capabilities.Effective) != 0 || len(cs[1].Capabilities.Bounding) != 9 {
		t.Errorf("non-root: effective %v bounding %v", cs[1].Capabilities.Effective, cs[1].Capabilities.Bounding)
	}
	if !cs[2].Privileged || cs[2].Seccomp.Profile != "unconfined" || verdict(t, cs[2], "kernel-module") != Open {
		t.Errorf("privileged: %+v", cs[2].Seccomp)
	}
	if r.Workloads[0].PSS.Level != LevelPrivileged {
		t.Errorf("pod level %s", r.Workloads[0].PSS.Level)
	}
}

// TestAuditPSSAgreesWithEvaluator: the per-check levels equal the
// module's own evaluator's on the corpus.
func TestAuditPSSAgreesWithEvaluator(t *testing.T) {
	a, _ := New(Node{})
	corpus := corpusDir()
	if corpus == "" {
		t.Skip("the shared corpus is not beside the repository (../shared/corpus)")
	}
	files, _ := filepath.Glob(corpus + "/*/*.yaml")
	if len(files) < 200 {
		t.Fatalf("%d corpus files in %s", len(files), corpus)
	}
	n := 0
	for _, f := range files {
		cs, _ := kube.ReadFile(f)
		for _, c := range cs {
			lvl := a.pss.pod(c, nil).Level
			if err := a.pss.agrees(c, lvl); err != nil {
				t.Errorf("%s: %v", c.Pos(), err)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no containers")
	}
}

// A per-container annotation counts against its own container only: the
// sibling of an unconfined container keeps its level.
func TestPSSPerContainerAnnotation(t *testing.T) {
	doc := []byte(`apiVersion: v1
kind: Pod
metadata:
  name: two
  annotations:
    container.apparmor.security.beta.kubernetes.io/b: unconfined
spec:
  containers:
  - {name: a, image: x}
  - {name: b, image: x}
`)
	a, err := New(Node{})
	if err != nil {
		t.Fatal(err)
	}
	r := a.Read("two.yaml", doc)
	if len(r.Workloads) != 1 || len(r.Workloads[0].Containers) != 2 {
		t.Fatalf("%+v", r)
	}
	has := func(c Container) bool {
		for _, f := range c.PSS.Failures {
			if f.Check == "appArmorProfile" {
				return true
			}
		}
		return false
	}
	ca, cb := r.Workloads[0].Containers[0], r.Workloads[0].Containers[1]
	if has(ca) || !has(cb) {
		t.Errorf("appArmorProfile failure: a %v, b %v; want only b", has(ca), has(cb))
	}
	if r.Workloads[0].PSS.Level != LevelPrivileged {
		t.Errorf("the pod's level is %s, want privileged (b is unconfined)", r.Workloads[0].PSS.Level)
	}
}

// Where the runtime's own default AppArmor profile is not modeled
// (CRI-O's, Docker's), the audit predicts with the stand-in rampart run
// generates and loads, by the same name: a prediction and an
// enforcement of one profile speak of it alike.
func TestAuditRuntimeDefaultAppArmorIsRunsProfile(t *testing.T) {
	for _, rt := range []string{"cri-o", "docker"} {
		a, err := New(Node{Runtime: rt, AppArmor: true})
		if err != nil {
			t.Fatal(err)
		}
		e := a.apparmor(nil)
		if e.compiled == nil {
			t.Fatalf("%s: not compiled: %s %s", rt, e.how, e.note)
		}
		if got := e.compiled.Profile.Name; got != runtimes.AppArmorProfile || e.name != runtimes.AppArmorProfile {
			t.Errorf("%s: audit models profile %q (%s); rampart run loads %q", rt, got, e.name, runtimes.AppArmorProfile)
		}
		if !strings.Contains(e.how, "standing in for "+rt+"'s own") {
			t.Errorf("%s: %q does not say the profile is a stand-in", rt, e.how)
		}
	}
}
