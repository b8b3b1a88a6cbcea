package layers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/rampart-sec/rampart/cluster"
	"github.com/rampart-sec/rampart/policy"
)

// AppArmorNodeLabel, set to AppArmorNodeValue, marks a node whose kernel
// enforces AppArmor. The kubelet itself reports nothing of it: in
// Kubernetes v1.37 (k8s.io/kubernetes/pkg/kubelet/nodestatus, func
// ReadyCondition) the Ready condition's message is "kubelet is posting
// ready status" whatever the kernel, and the only AppArmor check, func
// validateHost in pkg/security/apparmor/validate.go, feeds the Pod
// admission handler (lifecycle.NewAppArmorAdmitHandler), not the node's
// status; older kubelets appended "AppArmor enabled" to that message.
// So whoever runs the node labels it (kubelet --node-labels). The label
// only routes Pods: the kubelet stays the judge, and a labelled node
// without AppArmor refuses the step in its own words.
const (
	AppArmorNodeLabel = cluster.AppArmorLabel
	AppArmorNodeValue = cluster.AppArmorEnabled
)

// CheckPlacement refuses --node and --node-selector where they mean
// nothing (an engine without nodes, both at once) or could never match
// (a malformed name, key or value), before anything runs.
func CheckPlacement(engine, node string, selector map[string]string) error {
	if node == "" && len(selector) == 0 {
		return nil
	}
	flag := "--node"
	if node == "" {
		flag = "--node-selector"
	}
	if engine != "kubernetes" && engine != "k8s" {
		return fmt.Errorf("%s says where --engine kubernetes runs its Pods; it needs --engine kubernetes", flag)
	}
	if node != "" && len(selector) > 0 {
		return errors.New("--node names the node, --node-selector lets the scheduler choose among matching ones: give one")
	}
	if node != "" {
		if errs := validation.IsDNS1123Subdomain(node); len(errs) > 0 {
			return fmt.Errorf("--node %q: %s", node, strings.Join(errs, "; "))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(selector)) {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return fmt.Errorf("--node-selector key %q: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(selector[k]); len(errs) > 0 {
			return fmt.Errorf("--node-selector %s=%q: %s", k, selector[k], strings.Join(errs, "; "))
		}
	}
	return nil
}

// needsAppArmor says whether the kubelet must enforce AppArmor to run s:
// any profile but Unconfined (as the kubelet's own isRequired decides,
// pkg/security/apparmor/helpers.go).
func needsAppArmor(s Step) bool {
	a := s.Policy.AppArmor
	return a != nil && a.Kind != policy.AppArmorUnconfined
}

// nodes lists the cluster's nodes: one GET.
func (k *Kubernetes) nodes(ctx context.Context) ([]corev1.Node, error) {
	out, err := k.kubectl(ctx, nil, "get", "nodes", "-o", "json")
	if err != nil {
		return nil, err
	}
	var l corev1.NodeList
	if err := json.Unmarshal(out, &l); err != nil {
		return nil, fmt.Errorf("kubectl get nodes: %w", err)
	}
	return l.Items, nil
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// schedulable says whether the scheduler would place the engine's Pods
// (which tolerate no taint) on n.
func schedulable(n *corev1.Node) bool {
	if n.Spec.Unschedulable {
		return false
	}
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			return false
		}
	}
	return true
}

// admits says whether n takes a Pod given by spec.nodeName: it is not
// cordoned, and its kubelet would not refuse an untolerated NoExecute
// taint (the kubelet's admission checks those even for Pods the
// scheduler never saw; NoSchedule taints are the scheduler's alone).
func admits(n *corev1.Node) bool {
	if n.Spec.Unschedulable {
		return false
	}
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoExecute {
			return false
		}
	}
	return true
}

func matches(n *corev1.Node, selector map[string]string) bool {
	for k, v := range selector {
		if got, ok := n.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func readyNames(nodes []corev1.Node) string {
	var names []string
	for i := range nodes {
		if ready(&nodes[i]) {
			names = append(names, nodes[i].Name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// checkNodes refuses a --node that is not a Ready node of the cluster, or
// a --node-selector that matches no Ready node the scheduler could place
// the Pods on: otherwise every Pod would wait, Pending, for its timeout.
func checkNodes(nodes []corev1.Node, node string, selector map[string]string) error {
	if node != "" {
		for i := range nodes {
			if nodes[i].Name != node {
				continue
			}
			if !ready(&nodes[i]) {
				return fmt.Errorf("--node %s is not Ready (Ready nodes: %s)", node, readyNames(nodes))
			}
			for _, t := range nodes[i].Spec.Taints {
				if t.Effect == corev1.TaintEffectNoExecute {
					return fmt.Errorf("--node %s has the NoExecute taint %s, and its kubelet refuses Pods that do not tolerate it", node, t.ToString())
				}
			}
			return nil
		}
		return fmt.Errorf("--node %s: the cluster has no such node (Ready nodes: %s)", node, readyNames(nodes))
	}
	for i := range nodes {
		if ready(&nodes[i]) && schedulable(&nodes[i]) && matches(&nodes[i], selector) {
			return nil
		}
	}
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(selector)) {
		kv = append(kv, k+"="+selector[k])
	}
	return fmt.Errorf("--node-selector %s matches no Ready node that takes Pods without tolerations (Ready nodes: %s)", strings.Join(kv, ","), readyNames(nodes))
}

// appArmorNode is the first by name of the Ready nodes labelled as
// enforcing AppArmor that take a Pod by spec.nodeName, or "".
func appArmorNode(nodes []corev1.Node) string {
	var names []string
	for i := range nodes {
		n := &nodes[i]
		if ready(n) && admits(n) && n.Labels[AppArmorNodeLabel] == AppArmorNodeValue {
			names = append(names, n.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return names[0]
}

// Place decides where the steps' Pods run when neither --node nor
// --node-selector did, and says so in notes. When a step needs AppArmor
// and a node has it, every step is pinned to that one node: the columns
// then compare configurations on one kernel, and no step is refused for
// want of AppArmor that another node would have enforced. Otherwise the
// scheduler places the Pods, as it would the user's.
func (k *Kubernetes) Place(ctx context.Context, steps []Step) []string {
	if k.o.Node != "" || len(k.o.NodeSelector) > 0 {
		return nil
	}
	var need []string
	for _, s := range steps {
		if needsAppArmor(s) {
			need = append(need, s.Name)
		}
	}
	if len(need) == 0 {
		return nil
	}
	what := strings.Join(need, ", ") + " asks for AppArmor"
	nodes, err := k.nodes(ctx)
	if err != nil {
		return []string{fmt.Sprintf("%s, and the nodes could not be listed to find one that has it (%v): the scheduler places every step", what, err)}
	}
	name := appArmorNode(nodes)
	if name == "" {
		return []string{fmt.Sprintf("%s, and no Ready node is labelled %s=%s: the scheduler places every step, and a node without AppArmor refuses it", what, AppArmorNodeLabel, AppArmorNodeValue)}
	}
	k.pin = name
	notes := []string{fmt.Sprintf("%s: every step runs on node %s (labelled %s=%s), so that the columns compare one node", what, name, AppArmorNodeLabel, AppArmorNodeValue)}
	for _, s := range steps {
		if s.Policy.Seccomp.Kind == policy.SeccompFile && k.o.SeccompDir != "" {
			// The profile is placed where this machine's kubelet reads
			// it; a node elsewhere has not got it, and its runtime
			// refuses the step for that, not for the profile's rules.
			notes = append(notes, fmt.Sprintf("the seccomp profile %s is given to the kubelet from %s on this machine: node %s must hold it there too (--node names this machine's node instead)", s.Policy.Seccomp.Path, k.o.SeccompDir, name))
			break
		}
	}
	return notes
}

// usernsRefused is the kubelet's answer, given before the Pod is made,
// to a step in a user namespace of its own (hostUsers: false) on nodes
// whose runtime says it cannot make one: the kubelet would never make
// such a Pod's sandbox, and the step would wait out its deadline. The
// nodes that may run pod are asked (its nodeName, else the Ready ones
// the scheduler may pick, matching its nodeSelector), by what each one's
// kubelet reports of its default runtime handler (status.runtimeHandlers,
// features.userNamespaces). Nodes that cannot be listed (the user may
// not) leave the answer to the kubelet, as Place leaves the placement to
// the scheduler.
func (k *Kubernetes) usernsRefused(ctx context.Context, pod *corev1.Pod) *Refused {
	nodes, err := k.nodes(ctx)
	if err != nil {
		return nil
	}
	var without []string
	for i := range nodes {
		n := &nodes[i]
		switch {
		case pod.Spec.NodeName != "" && n.Name != pod.Spec.NodeName:
			continue
		case pod.Spec.NodeName == "" && (!ready(n) || !schedulable(n) || !matches(n, pod.Spec.NodeSelector)):
			continue
		case handlesUserNS(n):
			return nil
		}
		without = append(without, fmt.Sprintf("%s (%s)", n.Name, n.Status.NodeInfo.ContainerRuntimeVersion))
	}
	if len(without) == 0 {
		return nil // no candidate known: the scheduler and the kubelet say
	}
	return &Refused{Reason: fmt.Sprintf("hostUsers: false: no node that could run the Pod reports user namespaces for its runtime's default handler (status.runtimeHandlers): %s; the kubelet would not make its sandbox (\"can't set `spec.hostUsers: false`, runtime does not support user namespaces\"); containerd 2.0+ with runc 1.2+, or CRI-O 1.25+, can",
		strings.Join(without, ", "))}
}

// handlesUserNS says whether n's kubelet reports that its runtime's
// default handler makes user namespaces for Pods.
func handlesUserNS(n *corev1.Node) bool {
	for _, h := range n.Status.RuntimeHandlers {
		if h.Name == "" && h.Features != nil && h.Features.UserNamespaces != nil && *h.Features.UserNamespaces {
			return true
		}
	}
	return false
}
