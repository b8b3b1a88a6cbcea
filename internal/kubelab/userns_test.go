//go:build linux

package kubelab

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/layers"
)

// TestPredictionEqualsMeasurementUserNS: the prediction test's Pods again,
// each with hostUsers: false, on the host node (containerd 2, runc 1.5),
// where the kubelet runs them in a user namespace of their own. Every
// manifest that may have one takes part: those with a host namespace
// cannot (the API server refuses the pair). What audit predicts per path,
// crediting what the namespace closes to userns, is what the probe
// measures inside.
func TestPredictionEqualsMeasurementUserNS(t *testing.T) {
	c := needLab(t)
	dir := t.TempDir()
	var cases []predictCase
	files, _ := filepath.Glob(filepath.Join(predictPods, "*.yaml"))
	orig := seedCases()
	for _, f := range files {
		orig = append(orig, predictCase{f, strings.TrimSuffix(filepath.Base(f), ".yaml"), false, predictProfiles})
	}
	for _, pc := range orig {
		data, err := os.ReadFile(pc.file)
		if err != nil {
			t.Fatal(err)
		}
		obj := decodeAll(t, pc.file, data)[0]
		spec, _ := obj["spec"].(map[string]any)
		if obj["kind"] != "Pod" {
			spec = spec["template"].(map[string]any)["spec"].(map[string]any)
		}
		if spec["hostNetwork"] == true || spec["hostPID"] == true || spec["hostIPC"] == true {
			continue
		}
		spec["hostUsers"] = false
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		pc.file = filepath.Join(dir, filepath.Base(pc.file))
		if err := os.WriteFile(pc.file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		pc.pod += "-userns"
		cases = append(cases, pc)
	}
	if len(cases) < 10 {
		t.Fatalf("%d Pods may run with hostUsers: false, want at least 10", len(cases))
	}
	installSeccompProfiles(t, c)
	predictOn(t, c, hostPredictNode(t, c), cases)
}

// The seed's workload with and without a user namespace, side by side,
// on the host node: `layers --userns --steps baseline,+seccomp,+userns`,
// whose last Pod runs with hostUsers: false. A path closed
// there is closed by userns; nothing closed before opens again. The
// seed's second step is the policy (seccomp, no AppArmor: the host node
// has none, and the kubelet would refuse +lsm and +userns alike).
func TestLayersUserNSOnContainerd2(t *testing.T) {
	c := needLab(t)
	m := runLayers(t, c, "--node", HostNode, "--userns", "--steps", "baseline,+seccomp,+userns", filepath.Join(seedDir, "2-seccomp.yaml"))
	if len(m.Steps) != 3 {
		t.Fatalf("steps %+v, want the three --steps names", m.Steps)
	}
	stepsOn(t, m, HostNode)
	last := len(m.Steps) - 1
	if s := m.Steps[last]; s.Name != layers.PlusUserNS || s.Refused != "" {
		t.Fatalf("last step %+v, want %s run", s, layers.PlusUserNS)
	}
	var closed []string
	for _, r := range m.Rows {
		before, at := r.Cells[last-1], r.Cells[last]
		switch {
		case before.Verdict != attack.Open && at.Verdict == attack.Open:
			t.Errorf("%s: %s before %s, open with it", r.ID, before.Verdict, layers.PlusUserNS)
		case before.Verdict == attack.Open && at.Verdict != attack.Open:
			if at.Layer != attack.ByUserNS {
				t.Errorf("%s: closed at %s by %q, want %s", r.ID, layers.PlusUserNS, at.Layer, attack.ByUserNS)
			}
			closed = append(closed, r.ID)
		}
	}
	if len(closed) == 0 {
		t.Errorf("%s closes nothing the seed's layers left open: %+v", layers.PlusUserNS, m.Rows)
	}
	t.Logf("on %s, %s closes what the seed's capabilities and seccomp left open: %s", HostNode, layers.PlusUserNS, strings.Join(closed, ", "))
}

// hostUsers: false on the lab's AppArmor node, whose containerd is
// Debian's 1.6: the kubelet never makes the Pod's sandbox, in its own
// words; audit, reading the node's runtime from the cluster, predicts
// that refusal; and a +userns step of layers --engine kubernetes is
// refused before its Pod is made, naming the node and its runtime.
func TestUserNSOnContainerd16(t *testing.T) {
	c := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	ns := scratchNamespace(t, c, "rampart-userns-")
	pod := fmt.Sprintf(`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "userns"},
  "spec": {"hostUsers": false, "nodeName": %q, "terminationGracePeriodSeconds": 0,
    "tolerations": [{"key": %q, "operator": "Exists"}],
    "containers": [{"name": "app", "image": %q, "imagePullPolicy": "Never", "command": ["sleep", "600"]}]}}`, AppArmorNode, AppArmorTaint, BusyboxImage)
	cmd := c.KubectlCmd(ctx, "apply", "-n", ns, "-f", "-")
	cmd.Stdin = strings.NewReader(pod)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	const kubelet = "can't set `spec.hostUsers: false`, runtime does not support user namespaces"
	err := waitFor(ctx, 4*time.Minute, "the kubelet's refusal of the sandbox", func() error {
		out, err := c.Kubectl(ctx, "get", "events", "-n", ns, "--field-selector", "involvedObject.name=userns", "-o", "jsonpath={.items[*].message}")
		if err != nil || !strings.Contains(string(out), kubelet) {
			return fmt.Errorf("events: %s %v", out, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	r, _ := auditCluster(t, ctx, c, ns)
	want := "containerd " + AppArmorNodeRuntime + " runs no Pod in a user namespace"
	if len(r.Workloads) != 1 || len(r.Workloads[0].Containers) != 1 ||
		!strings.Contains(r.Workloads[0].Containers[0].Refused, want) {
		t.Errorf("audit --cluster of the hostUsers: false Pod: %+v %v, want it refused: %s", r.Workloads, r.Errors, want)
	}

	m := runLayers(t, c, "--node", AppArmorNode, "--userns", "--only", "raw-socket")
	if len(m.Steps) != 5 || !strings.Contains(m.Steps[4].Refused, AppArmorNode+" (containerd://"+AppArmorNodeRuntime+")") {
		t.Errorf("layers --userns on %s: steps %+v, want +userns refused with the node named", AppArmorNode, m.Steps)
	}
}
