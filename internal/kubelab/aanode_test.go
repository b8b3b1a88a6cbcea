package kubelab

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
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
