// Package inpod runs rampart's probe inside a running Pod's container:
// the static binary streamed in over kubectl exec, its report read back.
// It is apart from probe so that the probe (and every child it
// re-executes) links no Kubernetes types.
package inpod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/internal/podexec"
)

// Target names a container of a running Pod and the kubectl that
// reaches it.
type Target = podexec.Target

// Run runs this binary's probe in the target container (streamed in
// over kubectl exec, removed afterwards) and returns its report, marked
// with where it ran. only limits the paths, as probe.Run's argument does. The
// probe's own warnings go to stderr.
//
// A container kubectl exec cannot reach (no shell, no directory to
// write) is probed from its node instead when node is not nil
// (Node.FromNode), and its report says so (pod.from "node").
func Run(ctx context.Context, t Target, only []string, node *Node, stderr io.Writer) (*attack.Report, error) {
	rep, err := Exec(ctx, t, only, stderr)
	var ue *podexec.UnreachableError
	if node == nil || !errors.As(err, &ue) {
		return rep, err
	}
	w := ue.Where
	if w.ContainerID == "" {
		return nil, fmt.Errorf("%w; its status has no container ID to probe it by from the node", err)
	}
	fmt.Fprintf(stderr, "rampart: container %s of pod %s/%s: %s for kubectl exec; probing it from node %s\n", w.Container, w.Namespace, w.Pod, ue.Why, w.Node)
	reps, errs, ferr := node.FromNode(ctx, w.Node, []string{w.ContainerID}, only)
	if ferr != nil {
		return nil, fmt.Errorf("%w; from the node: %w", err, ferr)
	}
	if e := errs[w.ContainerID]; e != nil {
		return nil, e
	}
	return Mark(reps[w.ContainerID], w), nil
}

// Mark names where a report taken from the node was taken.
func Mark(rep *attack.Report, w *podexec.Result) *attack.Report {
	rep.Pod = &attack.PodRef{Namespace: w.Namespace, Pod: w.Pod, Container: w.Container, Node: w.Node, From: "node"}
	return rep
}

// Exec is Run without the probe from the node: a container kubectl exec
// cannot reach is a *podexec.UnreachableError.
func Exec(ctx context.Context, t Target, only []string, stderr io.Writer) (*attack.Report, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if err := podexec.Static(self); err != nil {
		return nil, fmt.Errorf("--pod: %w (make build writes a static bin/rampart)", err)
	}
	// Ctrl-C ends the run through ctx, so the binary is still removed.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := []string{"probe", "-o", "json"}
	if len(only) > 0 {
		args = append(args, "--only", strings.Join(only, ","))
	}
	res, err := podexec.Run(ctx, t, self, args)
	if err != nil {
		return nil, err
	}
	stderr.Write(res.Stderr)
	var rep attack.Report
	if err := json.Unmarshal(res.Stdout, &rep); err != nil {
		return nil, fmt.Errorf("container %s of pod %s/%s: the probe printed no report: %w", res.Container, res.Namespace, res.Pod, err)
	}
	rep.Pod = &attack.PodRef{Namespace: res.Namespace, Pod: res.Pod, Container: res.Container, Node: res.Node, From: "exec"}
	return &rep, nil
}
