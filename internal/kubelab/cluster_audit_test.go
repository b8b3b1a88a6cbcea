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
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/audit"
)

// TestAuditCluster: `rampart audit --cluster` on the lab reads each
// node's facts itself (runtime and version, architecture, seccompDefault
// from the kubelet's configz, AppArmor from what each kubelet did with a
// Pod asking for it), and its prediction of every object, on every node
// it names, equals a file audit of the same object given those facts by
// hand.
func TestAuditCluster(t *testing.T) {
	c := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := scratchNamespace(t, c, "rampart-cluster-")
	for _, f := range []string{"testdata/cluster/workloads.yaml", seedDir + "/0-baseline.yaml"} {
		if out, err := c.Kubectl(ctx, "apply", "-n", ns, "-f", f); err != nil {
			t.Fatalf("%s: %v\n%s", f, err, out)
		}
	}
	// The kubelets' word on AppArmor: one runs its Pod, one refuses it.
	err := waitFor(ctx, 3*time.Minute, "aa-on-aanode Running and aa-on-host refused", func() error {
		out, err := c.Kubectl(ctx, "get", "pods", "-n", ns, "aa-on-aanode", "aa-on-host", "-o", "jsonpath={.items[*].status.phase}/{.items[*].status.reason}")
		if err != nil || string(out) != "Running Failed/AppArmor" {
			return fmt.Errorf("%s %v", out, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	r, out := auditCluster(t, ctx, c, ns)
	facts := map[string]audit.NodeInfo{}
	for _, n := range r.Cluster.Nodes {
		facts[n.Name] = n.Facts
		t.Logf("node %s: %s", n.Name, strings.Join(n.Notes, "; "))
		f := n.Facts
		release := map[bool]string{true: AppArmorNodeRuntime, false: ContainerdRelease}[n.Name == AppArmorNode]
		if f.Arch != "amd64" || f.Runtime != "containerd" || f.RuntimeVersion != release || f.SeccompDefault {
			t.Errorf("node %s: %+v, want the lab's amd64 containerd %s without seccompDefault", n.Name, f, release)
		}
		if want := n.Name == AppArmorNode; f.AppArmor != want {
			t.Errorf("node %s: AppArmor %t, want %t", n.Name, f.AppArmor, want)
		}
		if notes := strings.Join(n.Notes, "\n"); !strings.Contains(notes, "seccompDefault false: kubelet configz") || !strings.Contains(notes, "AppArmor "+map[bool]string{true: "true: the kubelet runs", false: "false: the kubelet refused"}[f.AppArmor]) {
			t.Errorf("node %s: the notes do not say the facts came from the kubelet:\n%s", n.Name, notes)
		}
	}
	if len(facts) != 2 {
		t.Fatalf("nodes %v, want the lab's two", facts)
	}

	// Each workload, as a file audit of the object with its node's facts
	// given by hand. The file sits at the object's API path, so the two
	// reports name it alike; positions are lines of differently indented
	// JSON, so they are left out of the comparison.
	dir := t.TempDir()
	pos := regexp.MustCompile(`:[0-9]+:[0-9]+`)
	seen := map[string]int{}
	for _, w := range r.Workloads {
		seen[w.Kind]++
		f := facts[w.Nodes[0]]
		for _, n := range w.Nodes {
			if facts[n].AppArmor != f.AppArmor {
				t.Errorf("%s: predicted once for nodes %v of different facts", w.File, w.Nodes)
			}
		}
		parts := strings.Split(w.File, "/") // namespaces/NS/KINDs/NAME
		obj, err := c.Kubectl(ctx, "get", "-n", ns, strings.TrimSuffix(parts[2], "s"), parts[3], "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, w.File)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, obj, 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"audit", "-o", "json", "--runtime", f.Runtime, "--runtime-version", f.RuntimeVersion, "--arch", f.Arch, w.File}
		if f.AppArmor {
			args = append(args, "--apparmor-node")
		}
		cmd := exec.CommandContext(ctx, rampartBin, args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("rampart %v: %v: %s", args, err, stderrOf(err))
		}
		var fr audit.Report
		if err := json.Unmarshal(out, &fr); err != nil || len(fr.Workloads) != 1 {
			t.Fatalf("%s: %v, %d workloads", w.File, err, len(fr.Workloads))
		}
		w.Nodes = nil
		a, _ := json.Marshal(w)
		b, _ := json.Marshal(fr.Workloads[0])
		if pos.ReplaceAllString(string(a), "") != pos.ReplaceAllString(string(b), "") {
			t.Errorf("%s on %v: the cluster audit differs from the file audit given the node's facts:\ncluster: %s\nfile:    %s", w.File, w.Nodes, a, b)
		}
	}
	// 5 Pods (2 asking for AppArmor, the DaemonSet's 2, the seed's 1),
	// the DaemonSet once per kind of node, the Deployment on the host node.
	if seen["Pod"] != 5 || seen["DaemonSet"] != 2 || seen["Deployment"] != 1 {
		t.Errorf("workloads by kind %v, want 5 Pods, 2 DaemonSet predictions, 1 Deployment", seen)
	}
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "cronjobs/nightly: no node can run it") {
		t.Errorf("errors %+v, want the arm64 CronJob no node can run", r.Errors)
	}
	t.Logf("%d predictions over %d nodes equal the file audits", len(r.Workloads), len(facts))

	// As a kubectl plugin: kubectl finds the binary as kubectl-rampart on
	// PATH and runs it with its own kubeconfig; the audit is the same.
	bin := t.TempDir()
	if err := os.Symlink(rampartBin, filepath.Join(bin, "kubectl-rampart")); err != nil {
		t.Fatal(err)
	}
	env := append(c.Env(), "PATH="+bin+":"+c.Bin+":"+os.Getenv("PATH"))
	plugin := exec.CommandContext(ctx, filepath.Join(c.Bin, "kubectl"), "plugin", "list")
	plugin.Env = env
	if list, err := plugin.Output(); err != nil || !strings.Contains(string(list), filepath.Join(bin, "kubectl-rampart")) {
		t.Errorf("kubectl plugin list does not find kubectl-rampart: %v\n%s", err, list)
	}
	plugin = exec.CommandContext(ctx, filepath.Join(c.Bin, "kubectl"), "rampart", "audit", "--cluster", "-n", ns, "-o", "json")
	plugin.Env = env
	pout, err := plugin.Output()
	if err != nil {
		t.Fatalf("kubectl rampart audit --cluster: %v: %s", err, stderrOf(err))
	}
	if !bytes.Equal(pout, out) {
		t.Errorf("kubectl rampart audit --cluster differs from rampart audit --cluster")
	}
}

// auditCluster is `rampart audit --cluster -n ns` against the lab: the
// report, and the JSON as printed.
func auditCluster(t *testing.T, ctx context.Context, c *Cluster, ns string) (*audit.Report, []byte) {
	t.Helper()
	cmd := exec.CommandContext(ctx, rampartBin, "audit", "--cluster", "-n", ns, "-o", "json")
	cmd.Env = c.Env()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rampart audit --cluster: %v: %s", err, stderrOf(err))
	}
	var r audit.Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	return &r, out
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
