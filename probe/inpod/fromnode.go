package inpod

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/rampart-sec/rampart/agent"
	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/internal/kubectl"
)

// Node says where the node agent is, to probe from their node the
// containers kubectl exec cannot reach.
type Node struct {
	Kubectl kubectl.Kubectl
	// AgentNamespace holds the node agent's DaemonSet (rampart fleet
	// manifests; default rampart-system): its image runs the probe Pods.
	AgentNamespace string
	// Poll is how often the probe Pod's phase is read (default 1s).
	Poll time.Duration
}

// stuck are the reasons a probe Pod's container waits with that do not
// pass by themselves.
var stuck = []string{"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError"}

// ErrNoAgent: there is no node agent to probe from the node.
var ErrNoAgent = errors.New("no node agent")

// FromNode probes the containers with the given runtime IDs from node,
// in one short-lived probe Pod there (agent.ProbePod), and returns each
// container's report or the reason it has none. The Pod is deleted
// afterwards, also when ctx ends.
func (n Node) FromNode(ctx context.Context, node string, ids, only []string) (map[string]*attack.Report, map[string]error, error) {
	ns := n.AgentNamespace
	if ns == "" {
		ns = "rampart-system"
	}
	out, _, err := n.Kubectl.Run(ctx, nil, "get", "daemonset", agent.Name, "-n", ns, "-o", "json")
	var kerr *kubectl.Error
	if errors.As(err, &kerr) && strings.Contains(kerr.Error(), "NotFound") {
		return nil, nil, fmt.Errorf("%w in namespace %s (rampart fleet manifests installs it; --agent-namespace names another)", ErrNoAgent, ns)
	}
	if err != nil {
		return nil, nil, err
	}
	var ds appsv1.DaemonSet
	if err := json.Unmarshal(out, &ds); err != nil {
		return nil, nil, fmt.Errorf("daemonset %s/%s: %w", ns, agent.Name, err)
	}
	if len(ds.Spec.Template.Spec.Containers) == 0 {
		return nil, nil, fmt.Errorf("daemonset %s/%s has no container", ns, agent.Name)
	}
	probe := agent.ProbePod(ns, node, ds.Spec.Template.Spec.Containers[0].Image, ids, only)
	pod, err := json.Marshal(probe)
	if err != nil {
		return nil, nil, err
	}
	name, _, err := n.Kubectl.Run(ctx, bytes.NewReader(pod), "create", "-f", "-", "-o", "jsonpath={.metadata.name}")
	if err != nil {
		return nil, nil, fmt.Errorf("creating the probe Pod on node %s: %w", node, err)
	}
	where := fmt.Sprintf("probe Pod %s/%s on node %s", ns, name, node)
	defer func() {
		// Its own context: the caller's may be what ended the run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n.Kubectl.Run(ctx, nil, "delete", "pod", string(name), "-n", ns, "--wait=false")
	}()
	poll := n.Poll
	if poll == 0 {
		poll = time.Second
	}
	// The kubelet ends the Pod at its deadline; a node whose kubelet never
	// starts it (down, unreachable) must not hold the caller forever.
	wait, cancel := context.WithTimeout(ctx, time.Duration(*probe.Spec.ActiveDeadlineSeconds+120)*time.Second)
	defer cancel()
	for {
		out, _, err := n.Kubectl.Run(wait, nil, "get", "pod", string(name), "-n", ns, "-o",
			"jsonpath={.status.phase} {.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].state.waiting.message}")
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", where, err)
		}
		phase, waiting, _ := strings.Cut(string(out), " ")
		if phase == "Succeeded" || phase == "Failed" {
			break
		}
		// The reasons that will not pass by themselves.
		if reason, msg, _ := strings.Cut(waiting, " "); slices.Contains(stuck, reason) {
			return nil, nil, fmt.Errorf("%s: %s: %s", where, reason, msg)
		}
		select {
		case <-wait.Done():
			return nil, nil, fmt.Errorf("%s did not finish (phase %s): %w", where, phase, wait.Err())
		case <-time.After(poll):
		}
	}
	logs, _, err := n.Kubectl.Run(ctx, nil, "logs", string(name), "-n", ns)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", where, err)
	}
	reps, errs := map[string]*attack.Report{}, map[string]error{}
	sc := bufio.NewScanner(bytes.NewReader(logs))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var line struct {
			Container string
			Report    *attack.Report
			Error     string
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Container == "" {
			continue // the kubelet's or the runtime's words
		}
		if !slices.Contains(ids, line.Container) || reps[line.Container] != nil || errs[line.Container] != nil {
			// Asked for nothing of the kind, or said twice: the log was
			// written by something other than node-agent probe alone.
			return nil, nil, fmt.Errorf("%s: its log has a line for container %s it was not to write", where, line.Container)
		}
		switch {
		case line.Error != "":
			errs[line.Container] = fmt.Errorf("from node %s: %s", node, line.Error)
		case line.Report != nil:
			reps[line.Container] = line.Report
		}
	}
	for _, id := range ids {
		if reps[id] == nil && errs[id] == nil {
			errs[id] = fmt.Errorf("%s wrote no line for container %s: %s", where, id, kubectl.LastLine(logs))
		}
	}
	return reps, errs, nil
}
