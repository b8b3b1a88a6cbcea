//go:build linux

package kubelab

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// hostUsers: false on the lab's host node, whose containerd is 1.6: the
// kubelet never makes the Pod's sandbox, in its own words; audit, reading
// the node's runtime from the cluster, predicts that refusal; and a
// +userns step of layers --engine kubernetes is refused before its Pod
// is made, naming the node and its runtime.
func TestUserNSOnContainerd16(t *testing.T) {
	c := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := scratchNamespace(t, c, "rampart-userns-")
	pod := fmt.Sprintf(`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "userns"},
  "spec": {"hostUsers": false, "nodeName": %q, "terminationGracePeriodSeconds": 0,
    "containers": [{"name": "app", "image": %q, "imagePullPolicy": "Never", "command": ["sleep", "600"]}]}}`, HostNode, BusyboxImage)
	cmd := c.KubectlCmd(ctx, "apply", "-n", ns, "-f", "-")
	cmd.Stdin = strings.NewReader(pod)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	const kubelet = "can't set `spec.hostUsers: false`, runtime does not support user namespaces"
	err := waitFor(ctx, 2*time.Minute, "the kubelet's refusal of the sandbox", func() error {
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
	if len(r.Workloads) != 1 || len(r.Workloads[0].Containers) != 1 ||
		!strings.Contains(r.Workloads[0].Containers[0].Refused, "containerd 1.6.20 runs no Pod in a user namespace") {
		t.Errorf("audit --cluster of the hostUsers: false Pod: %+v %v, want it refused for containerd 1.6.20", r.Workloads, r.Errors)
	}

	m := runLayers(t, c, "--node", HostNode, "--userns", "--only", "raw-socket")
	if len(m.Steps) != 5 || !strings.Contains(m.Steps[4].Refused, HostNode+" (containerd://1.6.20)") {
		t.Errorf("layers --userns on %s: steps %+v, want +userns refused with the node named", HostNode, m.Steps)
	}
}
