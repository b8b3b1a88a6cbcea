package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/drift"
	"github.com/rampart-sec/rampart/internal/kubectl"
	"github.com/rampart-sec/rampart/probe/inpod"
	"github.com/rampart-sec/rampart/report"
)

// probeAll is probe --all's: every running container of the cluster,
// measured and held to audit --cluster's prediction.
type probeAll struct {
	on, allNS   bool
	selector    string
	profiles    string
	concurrency int
}

func (p *probeAll) add(fl *pflag.FlagSet) {
	fl.BoolVar(&p.on, "all", false, "probe every running container of the cluster (-n, -A, -l) and report the drift from audit --cluster's prediction")
	fl.BoolVarP(&p.allNS, "all-namespaces", "A", false, "with --all: every namespace")
	fl.StringVarP(&p.selector, "selector", "l", "", "with --all: only Pods with these labels (kubectl's -l)")
	fl.StringVar(&p.profiles, "profiles", "", "with --all: the directory of Localhost profiles the manifests name (as audit --profiles), to predict with")
	fl.IntVar(&p.concurrency, "concurrency", 4, "with --all: containers probed at once")
}

// fromNodeFlags say whether and through which agent a container kubectl
// exec cannot reach is probed from its node.
type fromNodeFlags struct {
	on bool
	ns string
}

func (n *fromNodeFlags) add(fl *pflag.FlagSet) {
	fl.BoolVar(&n.on, "from-node", true, "with --pod or --all: probe a container kubectl exec cannot reach (no shell, no directory to write) from its node, "+
		"in a short-lived privileged Pod of the node agent's namespace")
	fl.StringVar(&n.ns, "agent-namespace", "rampart-system", "with --pod or --all: the node agent's namespace (rampart fleet manifests)")
}

func (n *fromNodeFlags) of(t inpod.Target) *inpod.Node {
	if !n.on {
		return nil
	}
	return &inpod.Node{Kubectl: kubectl.Kubectl{Path: t.Kubectl, Context: t.Context}, AgentNamespace: n.ns}
}

// check refuses --all's flags without it, and --pod with it.
func (p *probeAll) check(fl *pflag.FlagSet, pod string) error {
	if !p.on {
		for _, f := range []string{"all-namespaces", "selector", "profiles", "concurrency"} {
			if fl.Changed(f) {
				return fmt.Errorf("--%s is for --all", f)
			}
		}
		return nil
	}
	switch {
	case pod != "":
		return fmt.Errorf("--pod probes one Pod, --all every one: give one")
	case fl.Changed("container"):
		return fmt.Errorf("--container names a container of --pod; --all probes every container")
	case p.allNS && fl.Changed("namespace"):
		return fmt.Errorf("--namespace and --all-namespaces: give one")
	case p.concurrency < 1:
		return fmt.Errorf("--concurrency %d: want at least 1", p.concurrency)
	}
	return nil
}

// run measures, compares and reports; drift found is exit status 1.
func (p *probeAll) run(ctx context.Context, fl *pflag.FlagSet, t inpod.Target, node *inpod.Node, only []string, output string, stdout, stderr io.Writer) error {
	if err := report.CheckFormat(report.KindDrift, output); err != nil {
		return err
	}
	live := clusterFlags{on: true}
	live.scope.Kubectl.Path, live.scope.Kubectl.Context = t.Kubectl, t.Context
	live.scope.Namespace, live.scope.All, live.scope.Selector = t.Namespace, p.allNS, p.selector
	c, snap, err := live.snapshot(ctx, fl, audit.Node{ProfilesDir: p.profiles})
	if err != nil {
		return err
	}
	probeOne := func(ctx context.Context, ns, pod, ctr string) (*attack.Report, error) {
		tt := t
		tt.Namespace, tt.Pod, tt.Container = ns, pod, ctr
		return inpod.Exec(ctx, tt, only, io.Discard)
	}
	var fromNode drift.NodeProber
	if node != nil {
		fromNode = func(ctx context.Context, name string, ids []string) (map[string]*attack.Report, map[string]error, error) {
			if isTerminal(stderr) {
				fmt.Fprintf(stderr, "rampart: probe --all: %d containers kubectl exec cannot reach, from node %s\n", len(ids), name)
			}
			return node.FromNode(ctx, name, ids, only)
		}
	}
	progress := func(done, total int) {
		if isTerminal(stderr) {
			fmt.Fprintf(stderr, "\rrampart: probe --all: %d of %d containers", done, total)
			if done == total {
				fmt.Fprintln(stderr)
			}
		}
	}
	rep, err := drift.Run(ctx, drift.Options{Auditor: c, Snapshot: snap, Probe: probeOne, FromNode: fromNode, Concurrency: p.concurrency, Progress: progress})
	if err != nil {
		return err
	}
	if err := report.Drift(stdout, rep, output); err != nil {
		return err
	}
	if len(rep.Drift) > 0 {
		return statusError{code: 1, err: fmt.Errorf("probe --all: %d findings of drift", len(rep.Drift))}
	}
	return nil
}
