//go:build linux

package kubelab

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/procstatus"
)

// agentProfiles is the node agent's ConfigMap: a seccomp profile and an
// AppArmor profile.
const agentProfiles = "testdata/agent"

// TestNodeAgent: the DaemonSet `rampart fleet manifests` writes runs on
// both nodes with exactly the capabilities it documents; on each it
// installs the seccomp profile where the kubelet reads it, loads the
// AppArmor profile where the kernel has AppArmor (only there), and
// labels the node with what it holds; a Pod then runs under both
// profiles on the AppArmor node, and under the seccomp one on the other;
// and containers without a shell are probed from their nodes
// (testProbeFromNode).
func TestNodeAgent(t *testing.T) {
	c := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	// One DaemonSet names one seccomp root for every node: the AppArmor
	// node's kubelet keeps it at the usual /var/lib/kubelet/seccomp, the
	// host node's under the lab's state; link the usual path to it, as
	// an operator with such a node would.
	const usual = "/var/lib/kubelet/seccomp"
	switch target, err := os.Readlink(usual); {
	case errors.Is(err, fs.ErrNotExist):
		removeCreated(t, filepath.Dir(usual))
		if err := os.MkdirAll(filepath.Dir(usual), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(c.SeccompDir, usual); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(usual) })
	case err != nil || target != c.SeccompDir:
		t.Fatalf("%s is there and is not a link to the lab's seccomp root %s (%q, %v): this machine's own kubelet?", usual, c.SeccompDir, target, err)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Join(c.SeccompDir, "rampart")) })
	// The agent's hostPath for the parser's copies, made by the kubelet.
	removeCreated(t, "/run/rampart-agent")

	ns := "rampart-agent-" + randomSuffix()
	cmd := exec.CommandContext(ctx, rampartBin, "fleet", "manifests", "--image", Image, "--profiles", agentProfiles, "--namespace", ns, "--api-server", c.Server,
		// The AppArmor node's Pods live on a bridge only the guest
		// reaches: the agent labels through the node's network.
		"--host-network")
	y, err := cmd.Output()
	if err != nil {
		t.Fatalf("rampart fleet manifests: %v: %s", err, stderrOf(err))
	}
	if out, err := kubectlStdin(ctx, c, y, "apply", "-f", "-"); err != nil {
		t.Fatalf("applying the agent: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		kubectlStdin(context.Background(), c, y, "delete", "--ignore-not-found", "--timeout=90s", "-f", "-")
	})

	sum := func(f string) string {
		b, err := os.ReadFile(filepath.Join(agentProfiles, f))
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:])[:12]
	}
	want := map[string]map[string]string{
		HostNode: {"rampart.dev/apparmor": "disabled", "seccomp.rampart.dev/deny-unshare.json": sum("deny-unshare.json")},
		AppArmorNode: {"rampart.dev/apparmor": "enabled", "seccomp.rampart.dev/deny-unshare.json": sum("deny-unshare.json"),
			"apparmor.rampart.dev/rampart-agent-test": sum("rampart-agent-test")},
	}
	// Running on both nodes first: labels an earlier run left would
	// otherwise pass for this agent's.
	if out, err := c.Kubectl(ctx, "rollout", "status", "daemonset/rampart-node-agent", "-n", ns, "--timeout=5m"); err != nil {
		desc, _ := c.Kubectl(ctx, "describe", "pods", "-n", ns)
		t.Fatalf("the agent did not roll out: %v %s\n%s", err, out, desc)
	}
	err = waitFor(ctx, 5*time.Minute, "the agent to label both nodes", func() error {
		for node, labels := range want {
			out, err := c.Kubectl(ctx, "get", "node", node, "-o", "go-template={{range $k, $v := .metadata.labels}}{{$k}}={{$v}} {{end}}")
			if err != nil {
				return err
			}
			for k, v := range labels {
				if !strings.Contains(" "+string(out), " "+k+"="+v+" ") {
					return fmt.Errorf("node %s: no %s=%s in %s", node, k, v, out)
				}
			}
			if node == HostNode && strings.Contains(string(out), "apparmor.rampart.dev/") {
				return fmt.Errorf("node %s, without AppArmor, is labelled as holding an AppArmor profile: %s", node, out)
			}
		}
		return nil
	})
	if err != nil {
		logs, _ := c.Kubectl(ctx, "logs", "-n", ns, "-l", "app.kubernetes.io/name=rampart-node-agent", "--all-containers", "--tail", "20")
		t.Fatalf("%v\nthe agents' logs:\n%s", err, logs)
	}
	// Installed where the kubelet reads it, loaded where the kernel has
	// AppArmor.
	if b, err := os.ReadFile(filepath.Join(c.SeccompDir, "rampart", "deny-unshare.json")); err != nil || sum("deny-unshare.json") != func() string { s := sha256.Sum256(b); return hex.EncodeToString(s[:])[:12] }() {
		t.Errorf("the host node's kubelet directory lacks the profile: %v", err)
	}
	if out, err := c.NodeExec(ctx, AppArmorNode, nil, "cat", "/sys/kernel/security/apparmor/profiles"); err != nil || !strings.Contains(string(out), "rampart-agent-test (enforce)") {
		t.Errorf("the AppArmor node's kernel does not list rampart-agent-test: %v\n%s", err, out)
	}

	// The agent holds exactly MAC_ADMIN and SYS_CHROOT.
	pods, err := c.Kubectl(ctx, "get", "pods", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(pods)) {
		out, err := c.Kubectl(ctx, "exec", "-n", ns, p, "--", "cat", "/proc/1/status")
		if err != nil {
			t.Fatal(err)
		}
		st, err := procstatus.Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if want := caps.Set(0).Add(caps.MAC_ADMIN).Add(caps.SYS_CHROOT); st.CapEff != want || st.CapBnd != want || !st.NoNewPrivs {
			t.Errorf("agent %s: CapEff %v, CapBnd %v, no_new_privs %t; want MAC_ADMIN,SYS_CHROOT and no_new_privs", p, st.CapEff, st.CapBnd, st.NoNewPrivs)
		}
		// The runtime's RuntimeDefault and the agent's own.
		if st.Seccomp != 2 || st.SeccompFilters != 2 {
			t.Errorf("agent %s: seccomp mode %d with %d filters; want RuntimeDefault and the agent's own", p, st.Seccomp, st.SeccompFilters)
		}
	}

	// Pods run under what the agent installed.
	pns := scratchNamespace(t, c, "rampart-agent-pods-")
	podYAML := `apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  nodeName: %s
  tolerations: [{key: rampart.dev/apparmor-node, operator: Exists}]
  containers:
  - name: c
    image: localhost/busybox:lab
    imagePullPolicy: Never
    command: [sleep, "3600"]
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: rampart/deny-unshare.json}
%s`
	aa := "      appArmorProfile: {type: Localhost, localhostProfile: rampart-agent-test}\n"
	for name, spec := range map[string]string{"on-aanode": fmt.Sprintf(podYAML, "on-aanode", AppArmorNode, aa), "on-host": fmt.Sprintf(podYAML, "on-host", HostNode, "")} {
		if out, err := kubectlStdin(ctx, c, []byte(spec), "create", "-n", pns, "-f", "-"); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	err = waitFor(ctx, 3*time.Minute, "both Pods to run", func() error {
		out, err := c.Kubectl(ctx, "get", "pods", "-n", pns, "-o", "jsonpath={.items[*].status.phase}")
		if err != nil || string(out) != "Running Running" {
			return fmt.Errorf("%s %v", out, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The AppArmor profile denies /etc/shadow; the seccomp profile
	// refuses unshare.
	if out, err := c.Kubectl(ctx, "exec", "-n", pns, "on-aanode", "--", "cat", "/etc/shadow"); err == nil {
		t.Errorf("on-aanode read /etc/shadow under rampart-agent-test: %s", out)
	}
	for _, p := range []string{"on-aanode", "on-host"} {
		if out, err := c.Kubectl(ctx, "exec", "-n", pns, p, "--", "unshare", "-n", "true"); err == nil {
			t.Errorf("%s: unshare succeeded under rampart/deny-unshare.json: %s", p, out)
		}
	}
	t.Run("from the node", func(t *testing.T) { testProbeFromNode(t, c, ns) })
}

// removeCreated removes dir at the end of the test if it is not there
// now: the test leaves the machine as it found it.
func removeCreated(t *testing.T, dir string) {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
}
