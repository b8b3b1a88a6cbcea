// Package cluster reads a live Kubernetes cluster through the user's
// kubectl: its nodes with the facts that decide a container's layers
// there, and its workload objects as the API server holds them. It
// reads only (get, and the kubelet's configz through the API server's
// node proxy); it judges nothing.
package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/rampart-sec/rampart/internal/kubectl"
)

// Scope is the cluster and namespaces to read.
type Scope struct {
	Kubectl kubectl.Kubectl
	// Namespace is read when All is not set; "" is the kubeconfig
	// context's namespace, as for kubectl.
	Namespace string
	All       bool
	// Selector is a label selector the workloads must match (kubectl -l).
	Selector string
}

// Snapshot is what one read of the cluster found.
type Snapshot struct {
	Nodes   []Node
	Objects []Object
}

// WorkloadResources are the kinds read: every object that holds a Pod
// or a Pod template. kubectl returns them in this order.
const WorkloadResources = "pods,replicationcontrollers,deployments,replicasets,statefulsets,daemonsets,jobs,cronjobs"

// Read reads the nodes and the workload objects in scope: one list of
// nodes, one list of objects, and each node's kubelet configuration.
func Read(ctx context.Context, s Scope) (*Snapshot, error) {
	out, _, err := s.Kubectl.Run(ctx, nil, "get", "nodes", "-o", "json")
	if err != nil {
		return nil, fmt.Errorf("reading the cluster's nodes: %w", err)
	}
	nodes, err := parseNodes(out)
	if err != nil {
		return nil, err
	}
	args := []string{"get", WorkloadResources, "-o", "json"}
	switch {
	case s.All:
		args = append(args, "--all-namespaces")
	case s.Namespace != "":
		args = append(args, "--namespace", s.Namespace)
	}
	if s.Selector != "" {
		args = append(args, "--selector", s.Selector)
	}
	out, _, err = s.Kubectl.Run(ctx, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the cluster's workloads: %w", err)
	}
	objs, err := parseObjects(out)
	if err != nil {
		return nil, err
	}
	readConfigz(ctx, s.Kubectl, nodes)
	appArmorFromPods(nodes, objs)
	return &Snapshot{Nodes: nodes, Objects: objs}, nil
}

// Fact is a yes-or-no fact of a node that the cluster may not tell.
type Fact struct {
	Known bool
	Value bool
	// Source says how it was learned, or why it is not known.
	Source string
}

func (f Fact) String() string {
	if !f.Known {
		return "unknown (" + f.Source + ")"
	}
	return fmt.Sprintf("%t (%s)", f.Value, f.Source)
}

// Node is one node and what the cluster says of it.
type Node struct {
	Name   string
	Labels map[string]string
	// Arch, Kernel and the runtime are the kubelet's report
	// (status.nodeInfo): architecture, kernelVersion, and
	// containerRuntimeVersion split at "://" ("containerd", "1.6.20").
	Arch, Kernel            string
	Runtime, RuntimeVersion string
	// Taints and Unschedulable keep new Pods off the node unless they
	// tolerate them.
	Taints        []corev1.Taint
	Unschedulable bool
	// SeccompDefault is the kubelet's seccompDefault, from its configz.
	SeccompDefault Fact
	// AppArmor says the node's kernel enforces AppArmor: from what the
	// kubelet did with Pods asking for a profile, or the node's label.
	AppArmor Fact
}

// AppArmorLabel, set to AppArmorEnabled, marks a node whose kernel
// enforces AppArmor (AppArmorDisabled: one that does not); the kubelet
// reports nothing of it in the node's status, so whoever runs the node
// sets it (kubelet --node-labels), or rampart's node agent does. rampart
// layers routes by it. This is the one definition.
const (
	AppArmorLabel    = "rampart.dev/apparmor"
	AppArmorEnabled  = "enabled"
	AppArmorDisabled = "disabled"
)

func parseNodes(data []byte) ([]Node, error) {
	var list corev1.NodeList
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("kubectl get nodes: not a list of nodes: %w", err)
	}
	var out []Node
	for _, n := range list.Items {
		info := n.Status.NodeInfo
		rt, ver, _ := strings.Cut(info.ContainerRuntimeVersion, "://")
		node := Node{Name: n.Name, Labels: n.Labels, Arch: info.Architecture, Kernel: info.KernelVersion, Runtime: rt, RuntimeVersion: ver,
			Taints: n.Spec.Taints, Unschedulable: n.Spec.Unschedulable}
		if v, ok := n.Labels[AppArmorLabel]; ok {
			node.AppArmor = Fact{Known: true, Value: v == AppArmorEnabled, Source: fmt.Sprintf("label %s=%s", AppArmorLabel, v)}
		} else {
			node.AppArmor = Fact{Source: "the kubelet reports nothing of AppArmor, no Pod on the node shows it, and the node has no " + AppArmorLabel + " label"}
		}
		out = append(out, node)
	}
	slices.SortFunc(out, func(a, b Node) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// configzWorkers bounds the kubelets asked at once.
const configzWorkers = 8

// readConfigz reads each kubelet's seccompDefault from its configz,
// through the API server's node proxy (RBAC: get nodes/proxy). A kubelet
// that does not answer leaves the fact unknown, with kubectl's words.
func readConfigz(ctx context.Context, k kubectl.Kubectl, nodes []Node) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, configzWorkers)
	for i := range nodes {
		wg.Add(1)
		sem <- struct{}{}
		go func(n *Node) {
			defer func() { <-sem; wg.Done() }()
			out, _, err := k.Run(ctx, nil, "get", "--raw", "/api/v1/nodes/"+n.Name+"/proxy/configz")
			n.SeccompDefault = parseConfigz(out, err)
		}(&nodes[i])
	}
	wg.Wait()
}

func parseConfigz(out []byte, err error) Fact {
	if err != nil {
		return Fact{Source: "the kubelet's configz could not be read: " + err.Error()}
	}
	var cz struct {
		Config *struct {
			SeccompDefault *bool `json:"seccompDefault"`
		} `json:"kubeletconfig"`
	}
	if err := json.Unmarshal(out, &cz); err != nil || cz.Config == nil {
		return Fact{Source: "the kubelet's configz holds no kubeletconfig"}
	}
	if cz.Config.SeccompDefault == nil {
		// The field is omitted when false in some releases' output.
		return Fact{Known: true, Source: "kubelet configz, unset"}
	}
	return Fact{Known: true, Value: *cz.Config.SeccompDefault, Source: "kubelet configz"}
}

// Object is one workload object as the API server holds it.
type Object struct {
	Kind, Namespace, Name string
	// NodeName is a Pod's node; "" for a template and an unscheduled Pod.
	NodeName string
	// NodeSelector, Affinity and Tolerations are the Pod's or its
	// template's.
	NodeSelector map[string]string
	Affinity     *corev1.Affinity
	Tolerations  []corev1.Toleration
	// Phase and Reason are a Pod's status.
	Phase, Reason string
	// JSON is the object, as kube.Read reads it.
	JSON []byte
}

// Source names the object as the API server's path does, which reads
// as a file name in reports: namespaces/NS/pods/NAME.
func (o Object) Source() string {
	return "namespaces/" + o.Namespace + "/" + strings.ToLower(o.Kind) + "s/" + o.Name
}

// templated are the kinds whose template another kind's object already
// holds when that object controls it: a Deployment's ReplicaSets, a
// CronJob's Jobs. Read drops them, so a template is audited once; the
// Pods they make are kept, as admitted. Only when the controller is in
// the same list (by uid): an ownerReference is the object's own claim,
// and one naming a Deployment that does not exist must not hide its
// template from the audit.
var templated = map[string]string{"ReplicaSet": "Deployment", "Job": "CronJob"}

func parseObjects(data []byte) ([]Object, error) {
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("kubectl get %s: not a list: %w", WorkloadResources, err)
	}
	type item struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name, Namespace, UID string
			OwnerReferences      []struct {
				Kind, UID  string
				Controller *bool
			} `json:"ownerReferences"`
		} `json:"metadata"`
		Spec   podSpecs `json:"spec"`
		Status struct {
			Phase, Reason string
		} `json:"status"`
	}
	items := make([]item, len(list.Items))
	kindOf := map[string]string{} // uid -> kind, of the objects listed
	for i, raw := range list.Items {
		if err := json.Unmarshal(raw, &items[i]); err != nil {
			return nil, fmt.Errorf("kubectl get %s: an item is not an object: %w", WorkloadResources, err)
		}
		if uid := items[i].Metadata.UID; uid != "" {
			kindOf[uid] = items[i].Kind
		}
	}
	var out []Object
	for i, raw := range list.Items {
		o := items[i]
		owned := false
		for _, r := range o.Metadata.OwnerReferences {
			if r.Controller != nil && *r.Controller && templated[o.Kind] == r.Kind && r.UID != "" && kindOf[r.UID] == r.Kind {
				owned = true
			}
		}
		if owned {
			continue
		}
		ps := o.Spec.pod()
		obj := Object{Kind: o.Kind, Namespace: o.Metadata.Namespace, Name: o.Metadata.Name,
			NodeSelector: ps.NodeSelector, Affinity: ps.Affinity, Tolerations: ps.Tolerations, JSON: bytes.Clone(raw)}
		if o.Kind == "Pod" {
			obj.NodeName, obj.Phase, obj.Reason = o.Spec.NodeName, o.Status.Phase, o.Status.Reason
		}
		out = append(out, obj)
	}
	return out, nil
}

// podSpecs is where each kind keeps its Pod's placement: a Pod's spec,
// a template's spec.template.spec, a CronJob's
// spec.jobTemplate.spec.template.spec.
type podSpecs struct {
	placement
	Template *struct {
		Spec placement `json:"spec"`
	} `json:"template"`
	JobTemplate *struct {
		Spec podSpecs `json:"spec"`
	} `json:"jobTemplate"`
}

// placement is what of a Pod's spec decides its node.
type placement struct {
	NodeName     string              `json:"nodeName"`
	NodeSelector map[string]string   `json:"nodeSelector"`
	Affinity     *corev1.Affinity    `json:"affinity"`
	Tolerations  []corev1.Toleration `json:"tolerations"`
}

func (s podSpecs) pod() placement {
	switch {
	case s.Template != nil:
		return s.Template.Spec
	case s.JobTemplate != nil:
		return s.JobTemplate.Spec.pod()
	}
	return s.placement
}

// Nodes are the nodes the object runs on or may run on: a bound Pod's
// node; for a template or a Pod not yet scheduled, every schedulable node
// its nodeSelector and required node affinity select and whose
// NoSchedule and NoExecute taints it tolerates, as the scheduler's
// filters decide. The rest of the scheduler's policy (resources, Pod
// affinity and spread, a port taken) is not modelled: a node it rules
// out is still listed.
func (o Object) Nodes(nodes []Node) []string {
	if o.NodeName != "" {
		return []string{o.NodeName}
	}
	var out []string
	for _, n := range nodes {
		if !n.Unschedulable && n.selectedBy(o.NodeSelector, o.Affinity) && n.tolerated(o.Tolerations) {
			out = append(out, n.Name)
		}
	}
	return out
}

// selectedBy is the scheduler's own test (component-helpers'
// nodeaffinity, which kube-scheduler and the kubelet's admission run):
// the nodeSelector, and the required node affinity's terms, on the
// node's labels and its name (matchFields metadata.name). Preferred
// terms only rank nodes. A term the scheduler cannot parse matches no
// node, as it schedules the Pod nowhere.
func (n Node) selectedBy(selector map[string]string, affinity *corev1.Affinity) bool {
	ok, err := nodeaffinity.NewRequiredNodeAffinity(selector, affinity).Match(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels}})
	return ok && err == nil
}

func (n Node) tolerated(ts []corev1.Toleration) bool {
	for i := range n.Taints {
		taint := &n.Taints[i]
		if taint.Effect == corev1.TaintEffectPreferNoSchedule {
			continue
		}
		if !slices.ContainsFunc(ts, func(t corev1.Toleration) bool {
			return t.ToleratesTaint(klog.Background(), taint, false)
		}) {
			return false
		}
	}
	return true
}

// appArmorFromPods takes the kubelet's own word on AppArmor where a Pod
// gives it, over the label: the kubelet admits a container with an
// AppArmor profile other than Unconfined only where AppArmor is enabled
// (pkg/security/apparmor, validateHost), and refuses it elsewhere with
// status reason "AppArmor".
func appArmorFromPods(nodes []Node, objs []Object) {
	byName := map[string]*Node{}
	for i := range nodes {
		byName[nodes[i].Name] = &nodes[i]
	}
	for _, o := range objs {
		n := byName[o.NodeName]
		if n == nil || o.Kind != "Pod" {
			continue
		}
		var f Fact
		switch {
		case o.Reason == "AppArmor":
			f = Fact{Known: true, Value: false, Source: "the kubelet refused Pod " + o.Namespace + "/" + o.Name + " for AppArmor"}
		case o.Phase == "Running" && asksAppArmor(o.JSON):
			f = Fact{Known: true, Value: true, Source: "the kubelet runs Pod " + o.Namespace + "/" + o.Name + " under an AppArmor profile"}
		default:
			continue
		}
		if n.AppArmor.Known && strings.HasPrefix(n.AppArmor.Source, "the kubelet") {
			continue // the first Pod's word is enough
		}
		if n.AppArmor.Known && n.AppArmor.Value != f.Value {
			f.Source += ", though it is labelled " + n.Labels[AppArmorLabel]
		}
		n.AppArmor = f
	}
}

// asksAppArmor says whether a Pod asks any of its containers to run
// under an AppArmor profile (RuntimeDefault or Localhost), in a field or
// in the annotation that came before it.
func asksAppArmor(data []byte) bool {
	var p corev1.Pod
	if json.Unmarshal(data, &p) != nil {
		return false
	}
	confined := func(a *corev1.AppArmorProfile) bool {
		return a != nil && a.Type != corev1.AppArmorProfileTypeUnconfined
	}
	if p.Spec.SecurityContext != nil && confined(p.Spec.SecurityContext.AppArmorProfile) {
		return true
	}
	for _, c := range append(slices.Clone(p.Spec.InitContainers), p.Spec.Containers...) {
		if c.SecurityContext != nil && confined(c.SecurityContext.AppArmorProfile) {
			return true
		}
	}
	for k, v := range p.Annotations {
		if strings.HasPrefix(k, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix) && v != corev1.DeprecatedAppArmorBetaProfileNameUnconfined {
			return true
		}
	}
	return false
}
