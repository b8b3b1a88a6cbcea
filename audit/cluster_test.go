//go:build linux

package audit

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// labObjects are the workloads recorded from the kube tier's lab
// (cluster/testdata), each as its own JSON with its API path.
func labObjects(t *testing.T) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile("../cluster/testdata/objects.json")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Items []json.RawMessage }
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, it := range list.Items {
		var o struct {
			Kind     string
			Metadata struct{ Name, Namespace string }
		}
		if err := json.Unmarshal(it, &o); err != nil {
			t.Fatal(err)
		}
		out["namespaces/"+o.Metadata.Namespace+"/"+strings.ToLower(o.Kind)+"s/"+o.Metadata.Name] = it
	}
	return out
}

// TestClusterEqualsFiles: a cluster audit predicts each object, for each
// set of node facts it may run under, exactly as a file audit of that
// object on a node of those facts does; nodes of equal facts share one
// prediction; the summary counts each node's; an object no node can run,
// or bound to a node the cluster does not list, is an error.
func TestClusterEqualsFiles(t *testing.T) {
	objs := labObjects(t)
	plain := Node{Runtime: "containerd", RuntimeVersion: "1.6.20", Arch: "amd64"}
	aa := plain
	aa.AppArmor = true
	nodes := []ClusterNode{{Name: "a", Node: plain}, {Name: "b", Node: plain}, {Name: "c", Node: aa, Notes: []string{"AppArmor true: label"}}}
	c, err := NewCluster(nodes)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.kinds) != 2 {
		t.Fatalf("%d kinds of node, want 2 (a and b share their facts)", len(c.kinds))
	}
	in := []ClusterObject{
		{Source: "namespaces/demo2/pods/aa-on-aanode", Nodes: []string{"c"}},
		{Source: "namespaces/demo2/pods/aa-on-host", Nodes: []string{"a"}},
		{Source: "namespaces/demo2/daemonsets/agent", Nodes: []string{"a", "c", "b"}},
		{Source: "namespaces/demo2/cronjobs/nightly"},
		{Source: "namespaces/demo2/deployments/flask-app", Nodes: []string{"gone"}},
	}
	for i := range in {
		in[i].JSON = objs[in[i].Source]
		if in[i].JSON == nil {
			t.Fatalf("no %s in the recorded objects", in[i].Source)
		}
	}
	var got []Workload
	r, err := c.Stream(in, func(w *Workload) error { got = append(got, *w); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		src   string
		nodes []string
		node  Node
	}{
		{in[0].Source, []string{"c"}, aa},
		{in[1].Source, []string{"a"}, plain},
		{in[2].Source, []string{"a", "b"}, plain},
		{in[2].Source, []string{"c"}, aa},
	}
	if len(got) != len(want) {
		t.Fatalf("%d workloads, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.File != w.src || !slices.Equal(g.Nodes, w.nodes) {
			t.Errorf("workload %d: %s on %v, want %s on %v", i, g.File, g.Nodes, w.src, w.nodes)
			continue
		}
		a, err := New(w.node)
		if err != nil {
			t.Fatal(err)
		}
		file := a.Read(w.src, objs[w.src])
		if len(file.Workloads) != 1 {
			t.Fatalf("%s: file audit made %d workloads", w.src, len(file.Workloads))
		}
		g.Nodes = nil
		if !reflect.DeepEqual(g, file.Workloads[0]) {
			t.Errorf("%s on %v: the cluster audit's prediction differs from a file audit's on the same facts", w.src, w.nodes)
		}
	}
	// The AppArmor node runs aa-on-aanode; the host node refuses aa-on-host.
	if got[0].Containers[0].Refused != "" || got[1].Containers[0].Refused == "" {
		t.Errorf("refused: on c %q, on a %q; want only the node without AppArmor to refuse", got[0].Containers[0].Refused, got[1].Containers[0].Refused)
	}
	var msgs []string
	for _, e := range r.Errors {
		msgs = append(msgs, e.Message)
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], "nightly: no node can run it") || !strings.Contains(msgs[1], "flask-app: on node gone, which the cluster does not list") {
		t.Errorf("errors %q", msgs)
	}
	s := r.Summary
	if s.Objects != 4 || s.Files != 0 || s.Errors != 2 {
		t.Errorf("summary: %d objects, %d files, %d errors; want 4 predictions, 0 files, 2 errors", s.Objects, s.Files, s.Errors)
	}
	for n, objects := range map[string]int{"a": 2, "b": 1, "c": 2} {
		if s.Nodes[n] == nil || s.Nodes[n].Objects != objects {
			t.Errorf("node %s: %+v, want %d objects", n, s.Nodes[n], objects)
		}
	}
	if r.Cluster == nil || len(r.Cluster.Nodes) != 3 || !r.Cluster.Nodes[2].Facts.AppArmor || r.Cluster.Nodes[0].Facts.AppArmor || r.Cluster.Nodes[2].Notes[0] != "AppArmor true: label" {
		t.Errorf("cluster: %+v", r.Cluster)
	}
}

func TestNewClusterRefuses(t *testing.T) {
	if _, err := NewCluster(nil); err == nil {
		t.Error("no nodes: no error")
	}
	if _, err := NewCluster([]ClusterNode{{Name: "new", Node: Node{Arch: "amd64"}}}); err == nil || !strings.Contains(err.Error(), "node new: reports no container runtime") {
		t.Errorf("a node that reports no runtime: err = %v, want a refusal, not containerd assumed", err)
	}
	_, err := NewCluster([]ClusterNode{{Name: "pi", Node: Node{Runtime: "containerd", Arch: "riscv64"}}})
	if err == nil || !strings.HasPrefix(err.Error(), "node pi: ") {
		t.Errorf("an architecture rampart does not model: err = %v, want one naming the node", err)
	}
}
