//go:build linux

package kubelab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/layers"
)

// layersOut runs `rampart layers --engine kubernetes` against the lab.
func layersOut(t *testing.T, c *Cluster, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute) // a step's two Pods, 5 min each
	defer cancel()
	cmd := exec.CommandContext(ctx, rampartBin, append([]string{"layers", "--engine", "kubernetes"}, args...)...)
	cmd.Env = c.Env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rampart layers: %v\n%s", err, stderr.String())
	}
	return out
}

// runLayers runs `rampart layers --engine kubernetes` against the lab and
// decodes its JSON.
func runLayers(t *testing.T, c *Cluster, args ...string) *layers.Matrix {
	t.Helper()
	out := layersOut(t, c, append([]string{"-o", "json"}, args...)...)
	var m layers.Matrix
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return &m
}

func cell(t *testing.T, m *layers.Matrix, id, step string) layers.Cell {
	t.Helper()
	r := m.Row(id)
	if r == nil {
		t.Fatalf("no row %s", id)
	}
	for i, s := range m.Steps {
		if s.Name == step {
			return r.Cells[i]
		}
	}
	t.Fatalf("no step %s", step)
	return layers.Cell{}
}

// stepsOn asserts that every step of m ran on node.
func stepsOn(t *testing.T, m *layers.Matrix, node string) {
	t.Helper()
	for _, s := range m.Steps {
		if s.Node != node {
			t.Errorf("step %s ran on node %q, want %s", s.Name, s.Node, node)
		}
	}
}

// The main job on a real kubelet: the seed's progression, each step a
// Pod, all pinned by --node to the host's node. It has no AppArmor, so
// the kubelet refuses the +lsm Pod; the matrix must say so in the
// kubelet's words, and that /etc/shadow therefore stays readable — no
// stand-in is quietly substituted — and name the node that refused it.
func TestLayersEngineKubernetesSeed(t *testing.T) {
	c := needLab(t)
	m := runLayers(t, c, "--node", HostNode, "--attack", "cat /etc/shadow >/dev/null")
	if m.Engine != "kubernetes" {
		t.Fatalf("engine %q", m.Engine)
	}
	stepsOn(t, m, HostNode)
	want := map[string][2]string{ // path -> step that closed it, layer
		"raw-socket":   {layers.PlusCaps, attack.ByCapabilities},
		"userns-netns": {layers.PlusSeccomp, attack.BySeccomp},
	}
	for id, w := range want {
		r := m.Row(id)
		if r == nil || r.ClosedAt != w[0] || r.ClosedBy != w[1] {
			t.Errorf("%s: closed at %q by %q, want %s by %s", id, r.ClosedAt, r.ClosedBy, w[0], w[1])
		}
		if got := cell(t, m, id, layers.Baseline).Verdict; got != attack.Open {
			t.Errorf("%s is %s at baseline, want open", id, got)
		}
	}
	lsm := m.Steps[3]
	if lsm.Name != layers.PlusLSM || !strings.Contains(lsm.Refused, "AppArmor is not enabled on the host") {
		t.Fatalf("+lsm step: %+v, want the kubelet's AppArmor refusal", lsm)
	}
	for _, id := range []string{"read-shadow", "attack-1"} {
		if got := cell(t, m, id, layers.PlusSeccomp).Verdict; got != attack.Open {
			t.Errorf("%s at +seccomp: %s, want open", id, got)
		}
		if got := cell(t, m, id, layers.PlusLSM).Verdict; got != layers.NotRun {
			t.Errorf("%s at +lsm: %s, want %s", id, got, layers.NotRun)
		}
	}
	var said bool
	for _, n := range m.Notes {
		said = said || (strings.Contains(n, "+lsm did not run") && strings.Contains(n, "read-shadow"))
	}
	if !said {
		t.Errorf("no note says +lsm did not run and read-shadow stays open: %q", m.Notes)
	}
	// The scratch namespace is gone or going.
	out, err := c.Kubectl(context.Background(), "get", "namespaces", "-o", "jsonpath={range .items[*]}{.metadata.name} {.status.phase}{\"\\n\"}{end}")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "rampart-layers-") && !strings.HasSuffix(line, "Terminating") {
			t.Errorf("scratch namespace left behind: %s", line)
		}
	}
}

// A seccomp profile given as a file reaches the node as a Localhost
// profile (placed in the kubelet's seccomp directory), and the kubelet
// enforces it: a profile that refuses new user namespaces (unshare and
// clone with CLONE_NEWUSER, clone3 answered ENOSYS so libc falls back to
// clone) closes the userns path at +seccomp and leaves keyctl (which
// RuntimeDefault would close) open. (Refusing unshare alone closes
// nothing: clone gets through, and the probe says so.)
func TestLayersEngineKubernetesLocalhostSeccomp(t *testing.T) {
	c := needLab(t)
	prof := filepath.Join(t.TempDir(), "deny-userns.json")
	if err := os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
		{"names":["unshare","clone"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":268435456,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"}]},
		{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// The profile is placed in this machine's kubelet directory: the
	// steps must run on this machine's node.
	m := runLayers(t, c, "--node", HostNode, "--seccomp", prof, "--seccomp-dir", c.SeccompDir, "--only", "userns-netns,keyctl")
	stepsOn(t, m, HostNode)
	if got := cell(t, m, "userns-netns", layers.PlusSeccomp); got.Verdict != attack.Blocked || got.Layer != attack.BySeccomp {
		t.Errorf("userns-netns at +seccomp: %+v, want blocked by seccomp", got)
	}
	if got := cell(t, m, "keyctl", layers.PlusSeccomp).Verdict; got != attack.Open {
		t.Errorf("keyctl at +seccomp: %s, want open (the profile allows it)", got)
	}
}

// --node-selector leaves the choice to the scheduler among the matching
// nodes; the table names the node of each step.
func TestLayersEngineKubernetesNodeSelector(t *testing.T) {
	c := needLab(t)
	out := string(layersOut(t, c, "--node-selector", "kubernetes.io/hostname="+HostNode, "--only", "raw-socket"))
	if n := strings.Count(out, "(on node "+HostNode+")"); n != 4 {
		t.Errorf("%d step lines name node %s, want 4:\n%s", n, HostNode, out)
	}
}

// With no --node, the seed's +lsm step needs AppArmor, so every step goes
// to the node labelled as having it (the lab's AppArmor node, tainted
// NoSchedule: the engine's nodeName passes the taint); there the kubelet
// admits the seed's Localhost profile, and AppArmor closes read-shadow
// and the attacker's own `cat /etc/shadow` at +lsm.
func TestLayersEngineKubernetesAppArmorNode(t *testing.T) {
	c := needLab(t)
	ctx := context.Background()
	label := layers.AppArmorNodeLabel + "=" + layers.AppArmorNodeValue
	out, err := c.Kubectl(ctx, "get", "nodes", "-l", label, "-o", "jsonpath={.items[*].metadata.name}")
	if err != nil {
		t.Fatal(err)
	}
	if names := strings.Fields(string(out)); !slices.Equal(names, []string{AppArmorNode}) {
		t.Fatalf("nodes labelled %s: %q, want only %s (its kubelet runs with --node-labels=%s)", label, names, AppArmorNode, label)
	}
	if out, err := c.LoadAppArmor(ctx, AppArmorNode, filepath.Join(seedDir, "flask-deny-shadow")); err != nil {
		t.Fatalf("loading flask-deny-shadow on %s: %v\n%s", AppArmorNode, err, out)
	}
	// The node is emulated (TCG): under load its kubelet can miss a
	// heartbeat, and for a while it is NotReady and tainted NoExecute,
	// and the engine rightly places the steps elsewhere. What is tested
	// is the placement on a node that takes Pods: wait until it does.
	if err := waitFor(ctx, 3*time.Minute, "node "+AppArmorNode+" Ready without a NoExecute taint", func() error {
		out, err := c.Kubectl(ctx, "get", "node", AppArmorNode, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status} {.spec.taints[*].effect}`)
		if err == nil && (!strings.HasPrefix(string(out), "True") || strings.Contains(string(out), "NoExecute")) {
			err = fmt.Errorf("Ready and taints: %q", out)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The seed's three paths only: the node is emulated (TCG), slow.
	m := runLayers(t, c, "--only", strings.Join(attack.Seed, ","), "--attack", "cat /etc/shadow >/dev/null")
	stepsOn(t, m, AppArmorNode)
	if s := m.Steps[3]; s.Refused != "" {
		t.Fatalf("+lsm refused on the AppArmor node %s: %s", AppArmorNode, s.Refused)
	}
	closed := map[string][2]string{ // path -> step that closed it, layer
		"raw-socket":   {layers.PlusCaps, attack.ByCapabilities},
		"userns-netns": {layers.PlusSeccomp, attack.BySeccomp},
		"read-shadow":  {layers.PlusLSM, attack.ByLSM},
		"attack-1":     {layers.PlusLSM, attack.ByLSM},
	}
	for id, w := range closed {
		r := m.Row(id)
		if r == nil || r.ClosedAt != w[0] || r.ClosedBy != w[1] {
			t.Errorf("%s: %+v, want closed at %s by %s", id, r, w[0], w[1])
		}
	}
	if r := m.Row("read-shadow"); r != nil && r.LSM != "AppArmor" {
		t.Errorf("read-shadow closed by LSM %q, want AppArmor", r.LSM)
	}
	var said bool
	for _, n := range m.Notes {
		said = said || strings.Contains(n, "every step runs on node "+AppArmorNode)
	}
	if !said {
		t.Errorf("no note says every step ran on %s: %q", AppArmorNode, m.Notes)
	}
}
