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
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/caps"
)

// seedPod is a Pod of the lab's image on node, idle, with the seed's
// securityContext for step (0: none, 3: drop NET_RAW, RuntimeDefault
// seccomp, Localhost AppArmor flask-deny-shadow).
func seedPod(name, node string, step int) string {
	sc := `{}`
	if step == 3 {
		sc = `{"capabilities": {"drop": ["NET_RAW"]}, "seccompProfile": {"type": "RuntimeDefault"},
		 "appArmorProfile": {"type": "Localhost", "localhostProfile": "flask-deny-shadow"}}`
	}
	return fmt.Sprintf(`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": %q},
 "spec": {"nodeName": %q, "terminationGracePeriodSeconds": 0,
  "containers": [{"name": "flask", "image": %q, "imagePullPolicy": "Never",
   "command": ["sleep", "2147483647"], "securityContext": %s}]}}`, name, node, Image, sc)
}

// The seed's last step through a real kubelet: on the AppArmor node the
// kubelet admits the step-3 Pod, containerd confines it with the profile
// rampart loaded there, and the article's own attacker commands fail as
// the article shows — while in the step-0 Pod on the same node they
// succeed. (The image has no python: busybox's ping opens the same
// SOCK_RAW ICMP socket the article's python line does.)
func TestAppArmorNodeSeedAttacks(t *testing.T) {
	c := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	out, err := c.LoadAppArmor(ctx, AppArmorNode, filepath.Join(seedDir, "flask-deny-shadow"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rampart apparmor load on %s:\n%s", AppArmorNode, out)
	ns := scratchNamespace(t, c, "rampart-aaseed-")
	for _, p := range []string{seedPod("step-0", AppArmorNode, 0), seedPod("step-3", AppArmorNode, 3)} {
		cmd := c.KubectlCmd(ctx, "create", "-n", ns, "-f", "-")
		cmd.Stdin = strings.NewReader(p)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	if _, err := c.Kubectl(ctx, "wait", "-n", ns, "--for=condition=Ready", "pod/step-0", "pod/step-3", "--timeout=180s"); err != nil {
		t.Fatal(err)
	}
	run := func(pod, command string) (string, error) {
		cmd := c.KubectlCmd(ctx, "exec", "-n", ns, pod, "--", "sh", "-c", command)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if got, err := run("step-3", "cat /proc/1/attr/current"); err != nil || got != "flask-deny-shadow (enforce)" {
		t.Errorf("step-3's AppArmor label: %q (%v), want flask-deny-shadow (enforce)", got, err)
	}
	for _, a := range []struct{ command, refusal string }{
		{"cat /etc/shadow", "Permission denied"},
		{"ping -c 1 -W 2 127.0.0.1", "permission denied (are you root?)"},
		{"unshare -r -n true", "Operation not permitted"},
	} {
		out0, err0 := run("step-0", a.command)
		out3, err3 := run("step-3", a.command)
		t.Logf("%-26s step 0: %v %q | step 3: %v %q", a.command, err0, lastLine(out0), err3, firstLine(out3))
		if err0 != nil {
			t.Errorf("%s in the step-0 Pod failed: %v: %s", a.command, err0, out0)
		}
		if err3 == nil || !strings.Contains(out3, a.refusal) {
			t.Errorf("%s in the step-3 Pod: %v %q, want a failure saying %q", a.command, err3, out3, a.refusal)
		}
	}
}

// scratchNamespace creates a namespace for one test and deletes it after.
func scratchNamespace(t *testing.T, c *Cluster, prefix string) string {
	t.Helper()
	ns := prefix + randomSuffix()
	if _, err := c.Kubectl(context.Background(), "create", "namespace", ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Kubectl(context.Background(), "delete", "namespace", ns, "--wait=false") })
	return ns
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// aaPredictPods are the manifests of testdata/predict/pods that also run
// on the AppArmor node: every AppArmor shape, and Pods with no AppArmor
// field (containerd confines them with its own profile there) across
// capabilities (mount and ptrace, which that profile refuses too),
// seccomp, users, privilege, hostPID and the node's /proc by hostPath.
// Fewer than on the host node: each Pod costs the emulated node a dozen
// Go programs' starts (shim, runc, CNI plugins, the probe).
var aaPredictPods = []string{
	"apparmor-annotation", "apparmor-localhost", "apparmor-pod-runtime-default", "apparmor-unconfined",
	"default", "drop-all", "add-sys-admin", "add-net-admin-sys-ptrace", "runtime-default-add-sys-admin",
	"non-root", "non-root-restricted", "privileged", "privileged-non-root", "host-pid", "read-only-root",
	"pod-runtime-default", "localhost-deny-userns", "variant-mount", "presence-host-proc",
}

// TestPredictionEqualsMeasurementAppArmorNode: audit told that the node
// has AppArmor predicts what the probe measures in Pods on the AppArmor
// node — Localhost profiles rampart loaded there (the seed's, and those
// rampart harden generated for three manifests), and containerd's own
// cri-containerd.apparmor.d for Pods that do not ask.
func TestPredictionEqualsMeasurementAppArmorNode(t *testing.T) {
	c := needLab(t)
	// Budgets on the emulated node are limits, not assertions: on a
	// loaded host it ran three times slower than idle.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cases := seedCases()
	for _, p := range aaPredictPods {
		cases = append(cases, predictCase{filepath.Join(predictPods, p+".yaml"), p, false, predictProfiles})
	}
	profiles := []string{filepath.Join(seedDir, "flask-deny-shadow"), filepath.Join(predictProfiles, "rampart-predict-deny-shadow")}
	// rampart harden's output, its generated Localhost AppArmor profiles
	// loaded on the node: admitted, enforced, and re-audited.
	hardened := t.TempDir()
	for _, f := range []string{filepath.Join(seedDir, "0-baseline.yaml"), filepath.Join(predictPods, "default.yaml"), filepath.Join(predictPods, "host-pid.yaml")} {
		if out, err := exec.CommandContext(ctx, rampartBin, "harden", "--out", hardened, f).CombinedOutput(); err != nil {
			t.Fatalf("rampart harden %s: %v\n%s", f, err, out)
		}
		base := strings.TrimSuffix(filepath.Base(f), ".yaml")
		cases = append(cases, predictCase{filepath.Join(hardened, base+".yaml"), "hardened-" + base, false, hardened})
	}
	generated, _ := filepath.Glob(filepath.Join(hardened, "rampart-*"))
	if len(generated) != 3 {
		t.Fatalf("harden generated %d AppArmor profiles (%v), want 3", len(generated), generated)
	}
	for _, f := range append(profiles, generated...) {
		if _, err := c.LoadAppArmor(ctx, AppArmorNode, f); err != nil {
			t.Fatal(err)
		}
	}
	installNodeSeccompProfiles(t, ctx, c, AppArmorNode)
	node := predictNode{name: AppArmorNode, runtime: AppArmorNodeRuntime, apparmor: true, wait: 12 * time.Minute, batch: 6, known: map[string]string{
		// The probe's mount(2) variant is refused at its first step,
		// making "/" private in its own namespace (containerd's deny
		// mount). Its new-mount-API variant, open for tmpfs, fails for a
		// new cgroup v1 hierarchy; the same 6.1 kernel makes one through
		// fsopen in its initial cgroup namespace, so the likely refusal
		// is the kernel's own of a hierarchy created from a container's
		// cgroup namespace, a kernel fact audit does not model yet.
		predictPods + "/add-sys-admin.yaml probe cgroup-mount":                 "Linux 6.1 refuses the new cgroup v1 hierarchy from the container's cgroup namespace (not modelled)",
		predictPods + "/runtime-default-add-sys-admin.yaml probe cgroup-mount": "Linux 6.1 refuses the new cgroup v1 hierarchy from the container's cgroup namespace (not modelled)",
	}}
	node.flags, node.bounding = nodeFacts(t, ctx, c, AppArmorNode)
	predictOn(t, c, node, cases)
}

// installNodeSeccompProfiles writes the Localhost seccomp profiles into
// the node's kubelet seccomp root, as installSeccompProfiles does on the
// host node.
func installNodeSeccompProfiles(t *testing.T, ctx context.Context, c *Cluster, node string) {
	t.Helper()
	src, _ := filepath.Glob(filepath.Join(predictProfiles, profileSubdir, "*.json"))
	var script strings.Builder
	dir := "/var/lib/kubelet/seccomp/" + profileSubdir
	fmt.Fprintf(&script, "mkdir -p %s\n", dir)
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&script, "cat > %s/%s <<'RAMPART_EOF'\n%s\nRAMPART_EOF\n", dir, filepath.Base(f), b)
	}
	if out, err := c.NodeExec(ctx, node, []byte(script.String()), "sh"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Cleanup(func() { c.NodeExec(context.Background(), node, nil, "rm", "-rf", dir) })
}

// nodeFacts measures on node, from its own root, the facts audit cannot
// read from a manifest (as labNodeFlags does on the host node) — its
// kernel's, and every sysctl audit models (Debian's kernel sets
// kernel.perf_event_paranoid to 3, above upstream's 2) — and its
// containerd's bounding set. The guest's root is a tmpfs: no block
// device holds /etc/shadow's filesystem, so no container can open one.
func nodeFacts(t *testing.T, ctx context.Context, c *Cluster, node string) ([]string, caps.Set) {
	t.Helper()
	out, err := c.NodeExec(ctx, node, nil, "sh", "-c", `
test -e /proc/modules || echo kernel no-modules
test -e /proc/sysrq-trigger || echo kernel no-sysrq
readlink /proc/1/ns/net >/dev/null 2>&1 || echo kernel pid1-protected
awk '$8 ~ /^@/ {found=1} END {exit !found}' /proc/net/unix || echo kernel no-abstract-unix
rampart version -v -o json | grep -q '"ia32": true' || echo kernel no-ia32
echo bounding $(grep CapBnd /proc/$(pidof containerd)/status)
for k in `+strings.Join(sortedSysctls(), " ")+`; do
  f=/proc/sys/$(echo $k | tr . /)
  if [ -r $f ]; then echo sysctl $k $(cat $f); fi
done
`)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var kernel, sysctls []string
	var bounding caps.Set
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "kernel":
			kernel = append(kernel, f[1])
		case len(f) == 3 && f[0] == "sysctl":
			sysctls = append(sysctls, "--sysctl", f[1]+"="+f[2])
		case len(f) == 3 && f[0] == "bounding":
			v, err := strconv.ParseUint(f[2], 16, 64)
			if err != nil {
				t.Fatalf("containerd's CapBnd on %s: %q", node, line)
			}
			bounding = caps.Set(v)
		default:
			t.Fatalf("node %s: unexpected fact %q", node, line)
		}
	}
	if bounding == 0 {
		t.Fatalf("node %s: containerd's bounding set not read:\n%s", node, out)
	}
	flags := []string{"--node-runtime-socket", "/run/containerd/containerd.sock=0660:root:root", "--node-disk", "refused"}
	if len(kernel) > 0 {
		flags = append(flags, "--node-kernel", strings.Join(kernel, ","))
	}
	flags = append(flags, sysctls...)
	t.Logf("node %s's facts: %s; containerd's bounding set %v", node, strings.Join(flags, " "), bounding)
	return flags, bounding
}

// The mixed cluster: the same Pod on a node without AppArmor and on one
// with it. A Localhost profile is refused by the kubelet on the first and
// enforced on the second; a Pod that names no profile is unconfined on
// the first and confined by containerd's own profile on the second.
// audit, told each node's facts, predicts all four.
func TestSamePodBothNodes(t *testing.T) {
	c := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := c.LoadAppArmor(ctx, AppArmorNode, filepath.Join(predictProfiles, "rampart-predict-deny-shadow")); err != nil {
		t.Fatal(err)
	}
	ns := scratchNamespace(t, c, "rampart-mixed-")
	type want struct{ phase, label, auditProfile string }
	cases := []struct {
		manifest string
		onNode   map[string]want
	}{
		{"apparmor-localhost", map[string]want{
			HostNode:     {"Failed", "", ""}, // refused: audit says so
			AppArmorNode: {"Succeeded", "rampart-predict-deny-shadow (enforce)", "rampart-predict-deny-shadow"},
		}},
		{"default", map[string]want{
			HostNode:     {"Succeeded", "no AppArmor", "none"},
			AppArmorNode: {"Succeeded", "cri-containerd.apparmor.d (enforce)", "cri-containerd.apparmor.d"},
		}},
	}
	var items []*corev1.Pod
	for _, tc := range cases {
		for _, node := range []string{HostNode, AppArmorNode} {
			p := probePod(t, predictCase{file: filepath.Join(predictPods, tc.manifest+".yaml"), pod: tc.manifest + "-" + node})
			p.Spec.NodeName = node
			for i := range p.Spec.Containers {
				p.Spec.Containers[i].Command = []string{"sh", "-c", "cat /proc/self/attr/apparmor/current 2>/dev/null || echo no AppArmor"}
			}
			items = append(items, p)
		}
	}
	body, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	cmd := c.KubectlCmd(ctx, "create", "-n", ns, "-f", "-")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("creating the Pods: %v\n%s", err, out)
	}
	pods := waitPodsDone(t, ctx, c, ns, len(items), 5*time.Minute)
	for _, tc := range cases {
		file := filepath.Join(predictPods, tc.manifest+".yaml")
		for _, node := range []string{HostNode, AppArmorNode} {
			w := tc.onNode[node]
			pod := pods[tc.manifest+"-"+node]
			if pod == nil {
				t.Fatalf("no Pod %s-%s", tc.manifest, node)
			}
			args := []string{"--runtime", "containerd", "--runtime-version", AppArmorNodeRuntime, "--profiles", predictProfiles}
			aa := node == AppArmorNode
			if aa {
				args = append(args, "--apparmor-node")
			}
			ctr := workload(t, runAudit(t, ctx, aa, append(args, file)...), file).Containers[0]
			got := string(pod.Status.Phase)
			if got == "Succeeded" {
				out, err := c.Kubectl(ctx, "logs", "-n", ns, pod.Name)
				if err != nil {
					t.Fatal(err)
				}
				got += " " + strings.TrimSpace(string(out))
			} else {
				got += " " + pod.Status.Reason
			}
			t.Logf("%-20s on %-21s measured: %s | audit: AppArmor %s (%s), refused: %q", tc.manifest, node, got, ctr.AppArmor.Profile, ctr.AppArmor.Evaluated, ctr.Refused)
			if pod.Status.Phase != corev1.PodPhase(w.phase) {
				t.Errorf("%s on %s: %s, want %s", tc.manifest, node, got, w.phase)
				continue
			}
			if w.phase == "Failed" {
				if pod.Status.Reason != "AppArmor" || ctr.Refused == "" {
					t.Errorf("%s on %s: the kubelet's reason %q, audit's refusal %q: want both to refuse for AppArmor", tc.manifest, node, pod.Status.Reason, ctr.Refused)
				}
				continue
			}
			if !strings.HasSuffix(got, w.label) || ctr.Refused != "" || ctr.AppArmor.Profile != w.auditProfile {
				t.Errorf("%s on %s: measured %q, audit predicts profile %q (refused %q); want label %q, profile %q", tc.manifest, node, got, ctr.AppArmor.Profile, ctr.Refused, w.label, w.auditProfile)
			}
		}
	}
}

func sortedSysctls() []string {
	var out []string
	for k := range audit.Sysctls {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
