package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/cluster"
)

// clusterFlags are audit --cluster's: which cluster and namespaces.
type clusterFlags struct {
	on    bool
	scope cluster.Scope
}

func (c *clusterFlags) add(fl *pflag.FlagSet) {
	fl.BoolVar(&c.on, "cluster", false, "audit the live objects of the kubeconfig's cluster instead of files: each Pod for its node, each template for every kind of node, with the nodes' facts read from the cluster")
	fl.StringVar(&c.scope.Kubectl.Context, "context", "", "with --cluster: the kubeconfig context (default: the current one)")
	fl.StringVar(&c.scope.Kubectl.Path, "kubectl", "kubectl", "with --cluster: the kubectl to use (it reads KUBECONFIG as usual)")
	fl.StringVarP(&c.scope.Namespace, "namespace", "n", "", "with --cluster: the namespace (default: the context's)")
	fl.BoolVarP(&c.scope.All, "all-namespaces", "A", false, "with --cluster: every namespace")
}

// check refuses flags that mean nothing together, before the cluster is
// reached.
func (c *clusterFlags) check(fl *pflag.FlagSet, args []string) error {
	if !c.on {
		for _, f := range []string{"context", "kubectl", "namespace", "all-namespaces"} {
			if fl.Changed(f) {
				return fmt.Errorf("--%s says which cluster to read; it needs --cluster", f)
			}
		}
		if len(args) == 0 {
			return fmt.Errorf("no FILES given: name manifests, a directory or - for standard input, or audit a live cluster with --cluster")
		}
		return nil
	}
	if len(args) > 0 {
		return fmt.Errorf("--cluster reads the cluster's objects, not files (%s): give one or the other", args[0])
	}
	if c.scope.All && fl.Changed("namespace") {
		return fmt.Errorf("--namespace and --all-namespaces: give one")
	}
	return nil
}

// nodeFlags are the node facts a cluster reports; given on the command
// line (or in the config), one wins over the cluster's, for every node.
var nodeFlags = []string{"runtime", "runtime-version", "arch", "seccomp-default", "apparmor-node"}

// read reads the cluster and makes its auditor: one node per cluster
// node, its facts from the cluster except where given says otherwise.
// A fact the cluster does not tell is the kubelet's default and the
// node's notes say so: never a silent guess.
func (c *clusterFlags) read(ctx context.Context, fl *pflag.FlagSet, given audit.Node) (*audit.Cluster, []audit.ClusterObject, error) {
	a, snap, err := c.snapshot(ctx, fl, given)
	if err != nil {
		return nil, nil, err
	}
	var objs []audit.ClusterObject
	for _, o := range snap.Objects {
		objs = append(objs, audit.ClusterObject{Source: o.Source(), Nodes: o.Nodes(snap.Nodes), JSON: o.JSON})
	}
	return a, objs, nil
}

// snapshot reads the cluster and makes the auditor of its nodes.
func (c *clusterFlags) snapshot(ctx context.Context, fl *pflag.FlagSet, given audit.Node) (*audit.Cluster, *cluster.Snapshot, error) {
	snap, err := cluster.Read(ctx, c.scope)
	if err != nil {
		return nil, nil, err
	}
	var nodes []audit.ClusterNode
	for _, n := range snap.Nodes {
		cn := audit.ClusterNode{Name: n.Name, Node: given}
		cn.Node.Runtime, cn.Node.RuntimeVersion, cn.Node.Arch = n.Runtime, n.RuntimeVersion, n.Arch
		cn.Node.SeccompDefault, cn.Node.AppArmor = n.SeccompDefault.Value, n.AppArmor.Value
		cn.Notes = append(cn.Notes, fmt.Sprintf("runtime %s %s, architecture %s, kernel %s: the kubelet's report", n.Runtime, n.RuntimeVersion, n.Arch, n.Kernel))
		cn.Notes = append(cn.Notes, factNote("seccompDefault", n.SeccompDefault, "--seccomp-default"), factNote("AppArmor", n.AppArmor, "--apparmor-node"))
		for _, f := range nodeFlags {
			if !fl.Changed(f) {
				continue
			}
			switch f {
			case "runtime":
				cn.Node.Runtime = given.Runtime
				if !fl.Changed("runtime-version") {
					cn.Node.RuntimeVersion = ""
				}
			case "runtime-version":
				cn.Node.RuntimeVersion = given.RuntimeVersion
			case "arch":
				cn.Node.Arch = given.Arch
			case "seccomp-default":
				cn.Node.SeccompDefault = given.SeccompDefault
			case "apparmor-node":
				cn.Node.AppArmor = given.AppArmor
			}
			cn.Notes = append(cn.Notes, "--"+f+" given: it wins over the cluster's word")
		}
		nodes = append(nodes, cn)
	}
	a, err := audit.NewCluster(nodes)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (a node flag, as --runtime, predicts every node as it says)", err)
	}
	return a, snap, nil
}

func factNote(name string, f cluster.Fact, flag string) string {
	if f.Known {
		return fmt.Sprintf("%s %t: %s", name, f.Value, f.Source)
	}
	return fmt.Sprintf("%s unknown: %s; predicted as false, the kubelet's default (%s says otherwise)", name, f.Source, flag)
}
