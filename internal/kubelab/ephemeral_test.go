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

	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/kube"
)

// An ephemeral container (kubectl debug) is added to a running Pod with a
// securityContext of its own, and with --target joins another
// container's pid namespace. Audit reads it from the Pod as the API
// server holds it afterwards (kubectl get -o yaml), and what it predicts
// for the ephemeral container is what the probe measures inside it.
func TestPredictionEphemeralContainer(t *testing.T) {
	c := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := "rampart-ephemeral-" + randomSuffix()
	if _, err := c.Kubectl(ctx, "create", "namespace", ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Kubectl(context.Background(), "delete", "namespace", ns, "--wait=false") })

	// The target: RuntimeDefault for the whole Pod, which the ephemeral
	// container inherits.
	pod := `apiVersion: v1
kind: Pod
metadata: {name: target}
spec:
  terminationGracePeriodSeconds: 0
  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers:
  - {name: app, image: ` + Image + `, imagePullPolicy: Never, command: [sleep, "600"]}
`
	cmd := c.KubectlCmd(ctx, "create", "-n", ns, "-f", "-")
	cmd.Stdin = strings.NewReader(pod)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("creating the target Pod: %v\n%s", err, out)
	}
	if _, err := c.Kubectl(ctx, "wait", "-n", ns, "--for=condition=Ready", "--timeout=60s", "pod/target"); err != nil {
		t.Fatal(err)
	}

	// What kubectl debug --target=app sends: the ephemeralcontainers
	// subresource, with a debugging capability added and NET_RAW dropped.
	patch := `{"spec": {"ephemeralContainers": [{"name": "probe", "image": "` + Image + `", "imagePullPolicy": "Never",
	  "command": ["/usr/local/bin/rampart", "probe", "-o", "json"], "targetContainerName": "app",
	  "securityContext": {"capabilities": {"add": ["SYS_PTRACE"], "drop": ["NET_RAW"]}}}]}}`
	if _, err := c.Kubectl(ctx, "patch", "-n", ns, "pod/target", "--subresource", "ephemeralcontainers", "--type", "strategic", "-p", patch); err != nil {
		t.Fatal(err)
	}
	var live []byte
	err := waitFor(ctx, 60*time.Second, "the ephemeral container to finish", func() error {
		b, err := c.Kubectl(ctx, "get", "-n", ns, "pod/target", "-o", "json")
		if err != nil {
			return err
		}
		var p corev1.Pod
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		for _, s := range p.Status.EphemeralContainerStatuses {
			if s.Name == "probe" && s.State.Terminated != nil {
				live = b
				return nil
			}
		}
		return fmt.Errorf("not terminated yet")
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "target.json")
	if err := os.WriteFile(file, live, 0o644); err != nil {
		t.Fatal(err)
	}
	rep := runAudit(t, ctx, false, append(append([]string{"--runtime", "containerd", "--runtime-version", ContainerdRelease}, labNodeFlags(t)...), file)...)
	w := workload(t, rep, file)
	var ctr *audit.Container
	for i := range w.Containers {
		if w.Containers[i].Name == "probe" {
			ctr = &w.Containers[i]
		}
	}
	if ctr == nil || ctr.Type != kube.TypeEphemeralContainer {
		t.Fatalf("audit has no ephemeral container probe in %s: %+v", file, w.Containers)
	}
	meas := probeLogs(t, ctx, c, ns, "target", "probe")
	if meas == nil {
		t.FailNow()
	}
	tally := map[string]*pathTally{}
	comparePaths(t, predictCase{file: "target (ephemeral probe)", pod: "target"}, *ctr, meas, runtimeBounding(t, c), tally, nil)
	t.Logf("the ephemeral container, per path:\n\n%s", tallyTable(tally))
}
