//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --node and --node-selector say where --engine kubernetes runs its
// Pods: elsewhere, together, or malformed they are usage errors, refused
// before any policy is read or cluster reached.
func TestLayersNodeFlagsUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--node", "worker-1"}, "--node says where --engine kubernetes runs its Pods; it needs --engine kubernetes"},
		{[]string{"--engine", "runc", "--node-selector", "pool=x"}, "--node-selector says where --engine kubernetes runs its Pods"},
		{[]string{"--engine", "kubernetes", "--node", "a", "--node-selector", "pool=x"}, "give one"},
		{[]string{"--engine", "kubernetes", "--node", "Not_A_Node"}, `--node "Not_A_Node"`},
		{[]string{"--engine", "kubernetes", "--node-selector", "pool"}, "must be formatted as key=value"},
		{[]string{"--engine", "k8s", "--node-selector", "pool=a b"}, `--node-selector pool="a b"`},
	} {
		r := rampart(t, "", append([]string{"layers", "--kubectl", "/nonexistent/kubectl"}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("rampart layers %q: exit %d, want %d with %q; stderr:\n%s", c.args, r.code, exitUsage, c.want, r.stderr)
		}
	}
}

// A --node the cluster has not got Ready is refused (125: the placement
// asked for cannot be had) after one GET of the nodes, naming the Ready
// ones, and nothing is created.
func TestLayersNodeNotInCluster(t *testing.T) {
	dir := t.TempDir()
	nodes := `{"apiVersion":"v1","kind":"List","items":[
		{"metadata":{"name":"rampart-lab"},"status":{"conditions":[{"type":"Ready","status":"True"}]}},
		{"metadata":{"name":"down"},"status":{"conditions":[{"type":"Ready","status":"False"}]}}]}`
	if err := os.WriteFile(filepath.Join(dir, "nodes.json"), []byte(nodes), 0o644); err != nil {
		t.Fatal(err)
	}
	kubectl := filepath.Join(dir, "kubectl")
	script := "#!/bin/sh\necho \"$*\" >>" + dir + "/calls\n[ \"$*\" = 'get nodes -o json' ] && exec cat " + dir + "/nodes.json\nexit 1\n"
	if err := os.WriteFile(kubectl, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ node, want string }{
		{"nosuch", "--node nosuch: the cluster has no such node (Ready nodes: rampart-lab)"},
		{"down", "--node down is not Ready (Ready nodes: rampart-lab)"},
	} {
		os.Remove(filepath.Join(dir, "calls"))
		r := rampart(t, "", "layers", "--engine", "kubernetes", "--kubectl", kubectl, "--node", c.node, "--only", "read-shadow")
		if r.code != exitRefused || !strings.Contains(r.stderr, c.want) {
			t.Errorf("--node %s: exit %d, want %d with %q; stderr:\n%s", c.node, r.code, exitRefused, c.want, r.stderr)
		}
		calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
		if string(calls) != "get nodes -o json\n" {
			t.Errorf("--node %s: kubectl ran %q, want only the GET of the nodes", c.node, calls)
		}
	}
}
