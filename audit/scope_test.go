package audit

import (
	"fmt"
	"strings"
	"testing"
)

// The IPC paths out of a Pod: a signal to the node's processes needs
// them in sight (hostPID) and, for a uid other than theirs, CAP_KILL;
// an abstract socket of the node's needs its network namespace
// (hostNetwork) and something bound there. containerd's AppArmor
// profile refuses the signal (TestAuditContainerdDefaultAppArmor).
func TestAuditScopePaths(t *testing.T) {
	pod := func(spec, sc string) []byte {
		return []byte(fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:%s
  containers:
  - name: app
    image: debian
    securityContext: {%s}
`, spec, sc))
	}
	node := Node{Runtime: "containerd", RuntimeVersion: "1.6.20"}
	noAbstract := node
	noAbstract.Kernel = []string{KernelNoAbstractUnix}
	for _, c := range []struct {
		name     string
		node     Node
		manifest []byte
		signal   string
		abstract string
	}{
		{"own namespaces", node, pod("", ""), "blocked by other", "blocked by other"},
		{"hostPID, root", node, pod("\n  hostPID: true", ""), Open, "blocked by other"},
		{"hostPID, uid 1000", node, pod("\n  hostPID: true", "runAsUser: 1000"), "blocked by capabilities", "blocked by other"},
		{"hostPID, uid 1000 with KILL", node, pod("\n  hostPID: true", "runAsUser: 1000, capabilities: {add: [KILL]}"), "blocked by capabilities", "blocked by other"},
		{"hostPID, root without KILL", node, pod("\n  hostPID: true", "capabilities: {drop: [KILL]}"), Open, "blocked by other"},
		{"hostNetwork", node, pod("\n  hostNetwork: true", ""), "blocked by other", Open},
		{"hostNetwork, nothing bound on the node", noAbstract, pod("\n  hostNetwork: true", ""), "blocked by other", "blocked by other"},
		{"hostNetwork, RuntimeDefault seccomp", node, pod("\n  hostNetwork: true", "seccompProfile: {type: RuntimeDefault}"), "blocked by other", Open},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newAuditor(t, c.node).Read("pod.yaml", c.manifest)
			if len(r.Workloads) != 1 || len(r.Workloads[0].Containers) != 1 {
				t.Fatalf("%d workloads, errors %v", len(r.Workloads), r.Errors)
			}
			ctr := r.Workloads[0].Containers[0]
			for id, want := range map[string]string{"signal-outside": c.signal, "abstract-unix-connect": c.abstract} {
				if got := verdict(t, ctr, id); got != want {
					t.Errorf("%s = %s, want %s (%s)", id, got, want, why(ctr, id))
				}
			}
			if strings.Contains(c.name, "nothing bound") && !strings.Contains(why(ctr, "abstract-unix-connect"), KernelNoAbstractUnix) {
				t.Errorf("the node fact is not named: %s", why(ctr, "abstract-unix-connect"))
			}
			// An open path points at the field that lets it in, line 5
			// (hostPID or hostNetwork), where the fix is.
			for _, p := range ctr.Paths {
				if (p.ID == "signal-outside" || p.ID == "abstract-unix-connect") && p.Verdict == Open && !strings.HasPrefix(p.Fix, "pod.yaml:5:") {
					t.Errorf("%s open: fix at %q, want the namespace field at pod.yaml:5", p.ID, p.Fix)
				}
			}
		})
	}
}
