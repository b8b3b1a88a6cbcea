//go:build linux

package kubelab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampart-sec/rampart/drift"
)

// driftProfiles holds the Localhost profiles the drift Pods name, as a
// repository would: a seccomp profile that only the host node's kubelet
// has, and an AppArmor profile that no node has loaded.
const driftProfiles = "testdata/drift"

// TestProbeAll: `rampart probe --all` measures every running container
// of 30 Pods across both nodes and holds each to audit --cluster's
// prediction: no drift where manifests and nodes agree, and each planted
// drift found and named: a Localhost seccomp profile missing on the
// AppArmor node, an AppArmor profile not loaded there, and a Pod asking
// for AppArmor on the node without it.
func TestProbeAll(t *testing.T) {
	c := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	ns := scratchNamespace(t, c, "rampart-drift-")
	// The seccomp profile on the host node only.
	dst := filepath.Join(c.SeccompDir, "rampart-drift")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dst) })
	prof, err := os.ReadFile(filepath.Join(driftProfiles, "rampart-drift", "deny-unshare.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "deny-unshare.json"), prof, 0o644); err != nil {
		t.Fatal(err)
	}

	localSeccomp := &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptrTo("rampart-drift/deny-unshare.json")}
	rtSeccomp := &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	rtAppArmor := &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	variants := map[string]*corev1.SecurityContext{
		"plain":        nil,
		"drop-all":     {Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
		"drop-net-raw": {Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"NET_RAW"}}},
		"seccomp":      {SeccompProfile: rtSeccomp},
		"user":         {RunAsUser: ptrTo(int64(1000))},
		"restricted":   {RunAsUser: ptrTo(int64(1000)), RunAsNonRoot: ptrTo(true), AllowPrivilegeEscalation: ptrTo(false), SeccompProfile: rtSeccomp, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
		"localhost":    {SeccompProfile: localSeccomp},
		"read-only":    {ReadOnlyRootFilesystem: ptrTo(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
	}
	var pods []*corev1.Pod
	add := func(name, node string, sc *corev1.SecurityContext) {
		p := &corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{NodeName: node, TerminationGracePeriodSeconds: ptrTo(int64(0)),
				// A /tmp any user may write the probe into: a container
				// without one is the node agent's to probe.
				Volumes: []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
				Containers: []corev1.Container{{Name: "c", Image: BusyboxImage, ImagePullPolicy: corev1.PullNever, Command: []string{"sleep", "3600"}, SecurityContext: sc,
					VolumeMounts: []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}}}}},
		}
		if node == AppArmorNode {
			p.Spec.Tolerations = []corev1.Toleration{{Key: AppArmorTaint, Operator: corev1.TolerationOpExists}}
		}
		pods = append(pods, p)
	}
	for _, v := range slices.Sorted(maps.Keys(variants)) {
		for i := range 3 {
			add(fmt.Sprintf("host-%s-%d", v, i), HostNode, variants[v])
		}
	}
	for _, v := range []string{"plain", "drop-all", "seccomp", "restricted", "read-only"} {
		add("aa-"+v, AppArmorNode, variants[v])
	}
	add("aa-apparmor", AppArmorNode, &corev1.SecurityContext{AppArmorProfile: rtAppArmor})
	// The planted drift.
	add("drift-seccomp-missing", AppArmorNode, &corev1.SecurityContext{SeccompProfile: localSeccomp})
	add("drift-apparmor-not-loaded", AppArmorNode, &corev1.SecurityContext{AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: ptrTo("rampart-drift-notloaded")}})
	add("drift-apparmor-no-node", HostNode, &corev1.SecurityContext{AppArmorProfile: rtAppArmor})
	body, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": pods})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := kubectlStdin(ctx, c, body, "create", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("creating the Pods: %v\n%s", err, out)
	}
	// Wait until every Pod runs or has met its fate.
	err = waitFor(ctx, 6*time.Minute, "the Pods to run", func() error {
		out, err := c.Kubectl(ctx, "get", "pods", "-n", ns, "-o", "jsonpath={range .items[*]}{.metadata.name} {.status.phase}/{.status.reason}/{.status.containerStatuses[0].state.waiting.reason}{\"\\n\"}{end}")
		if err != nil {
			return err
		}
		var waiting []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			name, state, _ := strings.Cut(l, " ")
			if strings.HasPrefix(state, "Running/") || strings.Contains(state, "AppArmor") || strings.Contains(state, "CreateContainer") {
				continue
			}
			waiting = append(waiting, name+" "+state)
		}
		if len(waiting) > 0 {
			return fmt.Errorf("%d waiting: %s", len(waiting), strings.Join(waiting, ", "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	cmd := exec.CommandContext(ctx, rampartBin, "probe", "--all", "-n", ns, "--profiles", driftProfiles, "-o", "json")
	cmd.Env = c.Env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("rampart probe --all: %v: %s", err, stderr.String())
	}
	var r drift.Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("probe --all: %d Pods, %d containers, %d probed in %.0fs; %d drift, %d assumed", r.Pods, r.Containers, r.Probed, time.Since(t0).Seconds(), len(r.Drift), len(r.Assumed))
	for _, a := range r.Assumed {
		t.Logf("assumed: %s on %s: %s predicted %s, measured %s", a.Pod, a.Node, a.Path, a.Predicted, a.Measured)
	}
	if r.Probed < 30 || len(r.Unmeasured) > 0 {
		t.Errorf("%d containers probed, want at least 30; not measured: %+v", r.Probed, r.Unmeasured)
	}
	want := map[string]string{
		"drift-seccomp-missing":     "not started (CreateContainerError)",
		"drift-apparmor-not-loaded": "not started (CreateContainerError)",
		"drift-apparmor-no-node":    "the Pod is refused (AppArmor)",
	}
	for _, f := range r.Drift {
		w, ok := want[f.Pod]
		if !ok || f.Kind != drift.NotStarted || f.Measured != w {
			t.Errorf("drift where manifests and nodes agree, or not as planted: %+v", f)
			continue
		}
		t.Logf("found: %s on %s: predicted %s, measured %s: %s", f.Pod, f.Node, f.Predicted, f.Measured, f.Why)
		delete(want, f.Pod)
	}
	for pod, w := range want {
		t.Errorf("planted drift not found: %s (%s)", pod, w)
	}
	// A selector that matches no Pod compares nothing, and says so.
	cmd = exec.CommandContext(ctx, rampartBin, "probe", "--all", "-n", ns, "--profiles", driftProfiles, "-l", "none=none")
	cmd.Env = c.Env()
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "0 Pods, 0 containers") {
		t.Errorf("probe --all -l matching nothing: %v\n%s", err, out)
	}
}

func ptrTo[T any](v T) *T { return &v }
