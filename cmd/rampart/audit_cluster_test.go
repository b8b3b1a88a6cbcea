//go:build linux

package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/cluster/clustertest"
)

// TestAuditClusterFlags: the cluster's flags mean nothing without
// --cluster, and --cluster reads no files; both are refused before any
// cluster is reached.
func TestAuditClusterFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "demo", auditSeed}, "--namespace says which cluster to read; it needs --cluster"},
		{[]string{"-A", auditSeed}, "--all-namespaces says which cluster to read; it needs --cluster"},
		{[]string{"--cluster", auditSeed}, "--cluster reads the cluster's objects, not files"},
		{[]string{"--cluster", "-A", "-n", "demo"}, "--namespace and --all-namespaces: give one"},
		{[]string{"--kubectl", "/nonexistent", auditSeed}, "--kubectl says which cluster to read; it needs --cluster"},
		{nil, "no FILES given"},
	} {
		r := rampart(t, "", append([]string{"audit"}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("audit %v: exit %d, %q; want %d and %q", c.args, r.code, r.stderr, exitUsage, c.want)
		}
	}
}

// TestAuditCluster: audit --cluster reads the nodes' facts from the
// cluster and says how, names each workload's nodes, writes JSON the
// schema accepts, and a node flag given wins for every node, saying so.
func TestAuditCluster(t *testing.T) {
	kc := clustertest.Kubectl(t)
	r := rampart(t, "", "audit", "--cluster", "--kubectl", kc, "-n", "demo2", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	abs, _ := filepath.Abs("../../docs/audit.schema.json")
	schema, err := jsonschema.NewCompiler().Compile("file://" + abs)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("the cluster audit's JSON is not the schema's: %v", err)
	}
	var rep audit.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Cluster == nil || len(rep.Cluster.Nodes) != 2 {
		t.Fatalf("cluster %+v, want the 2 nodes", rep.Cluster)
	}
	host, aa := rep.Cluster.Nodes[0], rep.Cluster.Nodes[1]
	if host.Facts.AppArmor || !aa.Facts.AppArmor || host.Facts.SeccompRuntimeDefault != "containerd 1.6.20" || host.Facts.Arch != "amd64" {
		t.Errorf("facts: %s %+v, %s %+v", host.Name, host.Facts, aa.Name, aa.Facts)
	}
	if notes := strings.Join(aa.Notes, "\n"); !strings.Contains(notes, "AppArmor true: the kubelet runs Pod demo2/aa-on-aanode") || !strings.Contains(notes, "seccompDefault false: kubelet configz") {
		t.Errorf("%s's notes do not say how its facts were learned:\n%s", aa.Name, notes)
	}
	nodes := map[string][]string{}
	for _, w := range rep.Workloads {
		nodes[w.Kind+"/"+w.Name] = append(nodes[w.Kind+"/"+w.Name], strings.Join(w.Nodes, ","))
	}
	if got := strings.Join(nodes["DaemonSet/agent"], " "); got != "rampart-lab rampart-lab-apparmor" {
		t.Errorf("DaemonSet agent predicted for %q, want once per kind of node", got)
	}
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "nightly: no node can run it") {
		t.Errorf("errors %+v, want the CronJob no node can run", rep.Errors)
	}

	// Given flags win, for every node, and the notes say so.
	r = rampart(t, "", "audit", "--cluster", "--kubectl", kc, "-n", "demo2", "-o", "json", "--apparmor-node=false", "--runtime-version", "1.7")
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, r.stderr)
	}
	for _, n := range rep.Cluster.Nodes {
		if n.Facts.AppArmor || n.Facts.RuntimeVersion != "1.7" || !strings.Contains(strings.Join(n.Notes, "\n"), "--apparmor-node given: it wins over the cluster's word") {
			t.Errorf("%s: %+v %q: the given flags do not win", n.Name, n.Facts, n.Notes)
		}
	}

	// The table names the nodes and their facts before the workloads.
	r = rampart(t, "", "audit", "--cluster", "--kubectl", kc, "-n", "demo2", "--summary")
	for _, want := range []string{"node rampart-lab-apparmor: amd64, containerd 1.6.20; seccompDefault false; AppArmor true\n", "\nnode rampart-lab: 5 objects"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestProbeAllFlags: --all's flags without --all, and --pod or -c with
// it, are refused before any cluster is reached; a cluster that cannot
// be read is 125.
func TestProbeAllFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--concurrency", "2"}, exitUsage, "--concurrency is for --all"},
		{[]string{"-A"}, exitUsage, "--all-namespaces is for --all"},
		{[]string{"--all", "--pod", "web"}, exitUsage, "--pod probes one Pod, --all every one"},
		{[]string{"--all", "-c", "app"}, exitUsage, "--container names a container of --pod"},
		{[]string{"--all", "-A", "-n", "x"}, exitUsage, "--namespace and --all-namespaces: give one"},
		{[]string{"--all", "--concurrency", "0"}, exitUsage, "--concurrency 0: want at least 1"},
		{[]string{"--all", "-o", "sarif"}, exitUsage, "sarif"},
		{[]string{"--all", "--kubectl", "/nonexistent"}, exitRefused, "reading the cluster's nodes"},
	} {
		r := rampart(t, "", append([]string{"probe"}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("probe %v: exit %d, %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
}
