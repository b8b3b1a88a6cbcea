package audit

import (
	"strings"
	"testing"
)

// TestAuditRuntimeVersion: RuntimeDefault is the node's runtime release's.
// containerd 1.6 (the Kubernetes lab's node) allows io_uring to everyone
// and process_vm_readv only with CAP_SYS_PTRACE; the newest containerd
// and Docker the reverse.
func TestAuditRuntimeVersion(t *testing.T) {
	doc := []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: plain
    image: x
  - name: ptrace
    image: x
    securityContext: {capabilities: {add: [SYS_PTRACE]}}
`)
	for _, c := range []struct {
		node                        Node
		profile                     string
		ioUring, vmReadv, vmPtraced string
	}{
		{Node{Runtime: "containerd", RuntimeVersion: "1.6.20"}, "containerd 1.6.20", Open, "blocked by seccomp", Open},
		{Node{Runtime: "containerd"}, "containerd 2.", "blocked by seccomp", Open, Open},
		{Node{Runtime: "docker"}, "docker moby/profiles", "blocked by seccomp", Open, Open},
	} {
		a, err := New(c.node)
		if err != nil {
			t.Fatal(err)
		}
		r := a.Read("p.yaml", doc)
		if !strings.HasPrefix(r.Node.SeccompRuntimeDefault, c.profile) || r.Node.RuntimeVersion != c.node.RuntimeVersion {
			t.Errorf("%+v: node %+v", c.node, r.Node)
		}
		cs := r.Workloads[0].Containers
		for _, v := range []struct {
			c          Container
			path, want string
		}{
			{cs[0], "io-uring", c.ioUring}, {cs[0], "process-vm-readv", c.vmReadv}, {cs[1], "process-vm-readv", c.vmPtraced},
		} {
			if got := verdict(t, v.c, v.path); got != v.want {
				t.Errorf("%s %s %s: %s, want %s", r.Node.SeccompRuntimeDefault, v.c.Name, v.path, got, v.want)
			}
		}
	}
	if _, err := New(Node{Runtime: "containerd", RuntimeVersion: "1.5"}); err == nil {
		t.Error("containerd 1.5 accepted; no profile of it is modeled")
	}
}
