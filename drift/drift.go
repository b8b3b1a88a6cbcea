// Package drift holds a live cluster to its manifests: each running
// container's layers and attack paths as rampart probe measures them
// inside it, against what rampart audit predicts from its Pod and its
// node's facts; and each container that does not run where its manifest
// says it should, with the kubelet's or the runtime's reason. What
// differs is drift: a Localhost profile missing on one node, an AppArmor
// profile not loaded, a Pod placed on a node without AppArmor, a runtime
// whose default is not the one assumed.
package drift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/cluster"
	"github.com/rampart-sec/rampart/internal/podexec"
	"github.com/rampart-sec/rampart/version"
)

// Schema names the JSON form (docs/drift-json.md).
const Schema = "rampart.drift/v1"

// Kinds of finding.
const (
	// NotStarted: a container the manifest asks for does not run (the
	// kubelet refused the Pod, the runtime could not create the
	// container under its profiles).
	NotStarted = "not-started"
	// Layers: it runs under other capabilities, seccomp filter or
	// AppArmor profile than predicted.
	Layers = "layers"
	// Path: an attack path is open or closed otherwise than predicted.
	Path = "path"
)

// Finding is one place where the cluster does not do what its manifests
// say.
type Finding struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container,omitempty"`
	Node      string `json:"node,omitempty"`
	Kind      string `json:"kind"`
	// Path is the attack path (kind path).
	Path      string `json:"path,omitempty"`
	Predicted string `json:"predicted"`
	Measured  string `json:"measured"`
	// Why is the measurement's evidence, or the kubelet's reason.
	Why string `json:"why"`
	// Foreseen: audit predicted it (a Pod asking for AppArmor on a node
	// without it): the manifest still does not hold there.
	Foreseen bool `json:"foreseen,omitempty"`
}

// Unmeasured is a container nothing could be measured in, and why.
type Unmeasured struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container,omitempty"`
	Node      string `json:"node,omitempty"`
	Why       string `json:"why"`
}

// Report is a drift run.
type Report struct {
	Schema         string `json:"schema"`
	RampartVersion string `json:"rampartVersion"`
	// Pods and Containers were compared; Probed containers measured.
	Pods       int `json:"pods"`
	Containers int `json:"containers"`
	Probed     int `json:"probed"`
	// Drift is what the cluster does otherwise than its manifests say.
	Drift []Finding `json:"drift"`
	// Assumed are paths decided by a node fact the audit could only
	// assume (a sysctl, a read-only mount, a kernel built without a
	// feature): the prediction, not the cluster, is off; give the fact
	// (audit's node flags) to predict it.
	Assumed    []Finding    `json:"assumed"`
	Unmeasured []Unmeasured `json:"unmeasured"`
	// Errors are objects audit could not read.
	Errors []string `json:"errors"`
}

// Prober measures a container of a running Pod (inpod.Exec).
type Prober func(ctx context.Context, namespace, pod, container string) (*attack.Report, error)

// NodeProber measures from node the containers with the given runtime
// IDs, the ones the Prober could not reach (inpod.Node.FromNode).
type NodeProber func(ctx context.Context, node string, ids []string) (map[string]*attack.Report, map[string]error, error)

// Options are a drift run's.
type Options struct {
	// Auditor predicts for the snapshot's nodes.
	Auditor  *audit.Cluster
	Snapshot *cluster.Snapshot
	Probe    Prober
	// FromNode, when set, measures from their nodes the containers Probe
	// could not reach (a *podexec.UnreachableError), one call per node.
	FromNode NodeProber
	// Concurrency bounds the probes at once (default 4).
	Concurrency int
	// Progress is told of each container measured.
	Progress func(done, total int)
}

// job is a running container to measure.
type job struct {
	pc   *podCase
	pred audit.Container
}

// result is a job's measurement held to its prediction.
type result struct {
	drift, assumed []Finding
	un             *Unmeasured
	// unreachable: Probe could not reach the container; FromNode may.
	unreachable *podexec.UnreachableError
}

// measured records a measurement, or why there is none.
func (r *result) measured(pc *podCase, pred audit.Container, rep *attack.Report, err error) {
	p := pc.pod
	r.unreachable = nil
	if err != nil {
		errors.As(err, &r.unreachable)
		r.un = &Unmeasured{Namespace: p.Namespace, Pod: p.Name, Container: pred.Name, Node: p.Spec.NodeName, Why: err.Error()}
		return
	}
	r.un = nil
	r.drift, r.assumed = Compare(pred, rep)
	for _, fs := range [][]Finding{r.drift, r.assumed} {
		for k := range fs {
			fs[k].Namespace, fs[k].Pod, fs[k].Container, fs[k].Node = p.Namespace, p.Name, pred.Name, p.Spec.NodeName
		}
	}
}

// fromNode measures the unreachable containers from their nodes: one
// call per node, the nodes one after another (each call is a Pod there).
func fromNode(ctx context.Context, probe NodeProber, jobs []job, results []result) {
	byNode := map[string][]int{}
	var nodes []string
	for i := range results {
		u := results[i].unreachable
		if u == nil || u.Where.ContainerID == "" {
			continue
		}
		if byNode[u.Where.Node] == nil {
			nodes = append(nodes, u.Where.Node)
		}
		byNode[u.Where.Node] = append(byNode[u.Where.Node], i)
	}
	for _, node := range nodes {
		var ids []string
		for _, i := range byNode[node] {
			ids = append(ids, results[i].unreachable.Where.ContainerID)
		}
		reps, errs, err := probe(ctx, node, ids)
		for _, i := range byNode[node] {
			id := results[i].unreachable.Where.ContainerID
			switch {
			case err != nil:
				results[i].un.Why += "; from the node: " + err.Error()
			case errs[id] != nil:
				results[i].measured(jobs[i].pc, jobs[i].pred, nil, errs[id])
			default:
				results[i].measured(jobs[i].pc, jobs[i].pred, reps[id], nil)
			}
		}
	}
}

// podCase is one Pod: its object, prediction and status.
type podCase struct {
	obj  cluster.Object
	pod  corev1.Pod
	pred *audit.Workload
}

// Run predicts every Pod of the snapshot for its node, measures each
// running container, and compares.
func Run(ctx context.Context, o Options) (*Report, error) {
	r := &Report{Schema: Schema, RampartVersion: version.Version(), Drift: []Finding{}, Assumed: []Finding{}, Unmeasured: []Unmeasured{}, Errors: []string{}}
	var cases []*podCase
	var objs []audit.ClusterObject
	bySource := map[string]*podCase{}
	for _, obj := range o.Snapshot.Objects {
		if obj.Kind != "Pod" || obj.NodeName == "" {
			continue // templates and unscheduled Pods run nowhere yet
		}
		pc := &podCase{obj: obj}
		if err := json.Unmarshal(obj.JSON, &pc.pod); err != nil {
			r.Errors = append(r.Errors, obj.Source()+": "+err.Error())
			continue
		}
		cases = append(cases, pc)
		bySource[obj.Source()] = pc
		objs = append(objs, audit.ClusterObject{Source: obj.Source(), Nodes: obj.Nodes(o.Snapshot.Nodes), JSON: obj.JSON})
	}
	ar, err := o.Auditor.Stream(objs, func(w *audit.Workload) error {
		if pc := bySource[w.File]; pc != nil {
			cp := *w
			pc.pred = &cp
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, e := range ar.Errors {
		r.Errors = append(r.Errors, e.Message)
	}

	var jobs []job
	for _, pc := range cases {
		if pc.pred == nil {
			continue // audit could not read it: in Errors
		}
		r.Pods++
		for _, c := range pc.pred.Containers {
			if c.Type == "ephemeralContainer" {
				continue
			}
			r.Containers++
			if f, u := pc.notRunning(c); f != nil {
				r.Drift = append(r.Drift, *f)
			} else if u != nil {
				r.Unmeasured = append(r.Unmeasured, *u)
			} else {
				jobs = append(jobs, job{pc, c})
			}
		}
	}

	n := o.Concurrency
	if n <= 0 {
		n = 4
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		done int
		sem  = make(chan struct{}, n)
	)
	results := make([]result, len(jobs))
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			p := j.pc.pod
			rep, err := o.Probe(ctx, p.Namespace, p.Name, j.pred.Name)
			results[i].measured(j.pc, j.pred, rep, err)
			mu.Lock()
			done++
			if o.Progress != nil {
				o.Progress(done, len(jobs))
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if o.FromNode != nil {
		fromNode(ctx, o.FromNode, jobs, results)
	}
	for _, res := range results {
		if res.un != nil {
			r.Unmeasured = append(r.Unmeasured, *res.un)
			continue
		}
		r.Probed++
		r.Drift = append(r.Drift, res.drift...)
		r.Assumed = append(r.Assumed, res.assumed...)
	}
	for _, fs := range [][]Finding{r.Drift, r.Assumed} {
		slices.SortStableFunc(fs, func(a, b Finding) int {
			return strings.Compare(a.Namespace+"/"+a.Pod+"/"+a.Container, b.Namespace+"/"+b.Pod+"/"+b.Container)
		})
	}
	return r, ctx.Err()
}

// Reasons a container waits or ends with that are the runtime refusing
// its layers (a profile it cannot find or load), not the image or the
// application.
var layerReasons = []string{"CreateContainerError", "CreateContainerConfigError", "RunContainerError", "StartError"}

// notRunning decides a container that is not running: drift when the
// kubelet or the runtime refused it (foreseen or not), unmeasured when
// it just is not running (pulling, pending, finished).
func (pc *podCase) notRunning(c audit.Container) (*Finding, *Unmeasured) {
	p := pc.pod
	at := func(f Finding) *Finding {
		f.Namespace, f.Pod, f.Container, f.Node, f.Kind = p.Namespace, p.Name, c.Name, p.Spec.NodeName, NotStarted
		f.Foreseen = c.Refused != ""
		f.Predicted = "runs"
		if f.Foreseen {
			f.Predicted = "refused: " + c.Refused
		}
		return &f
	}
	if p.Status.Phase == corev1.PodFailed && p.Status.Reason != "" {
		return at(Finding{Measured: "the Pod is refused (" + p.Status.Reason + ")", Why: p.Status.Message}), nil
	}
	statuses := append(slices.Clone(p.Status.InitContainerStatuses), p.Status.ContainerStatuses...)
	for _, s := range statuses {
		if s.Name != c.Name {
			continue
		}
		switch {
		case s.State.Running != nil:
			if c.Refused != "" {
				// Predicted refused, and it runs: the prediction is off.
				return at(Finding{Measured: "runs", Why: "audit predicted the kubelet refuses it"}), nil
			}
			return nil, nil
		case s.State.Waiting != nil && slices.Contains(layerReasons, s.State.Waiting.Reason):
			return at(Finding{Measured: "not started (" + s.State.Waiting.Reason + ")", Why: s.State.Waiting.Message}), nil
		case s.State.Terminated != nil && slices.Contains(layerReasons, s.State.Terminated.Reason):
			return at(Finding{Measured: "not started (" + s.State.Terminated.Reason + ")", Why: s.State.Terminated.Message}), nil
		case s.State.Waiting != nil:
			return nil, &Unmeasured{p.Namespace, p.Name, c.Name, p.Spec.NodeName, "not running: " + s.State.Waiting.Reason}
		case s.State.Terminated != nil:
			return nil, &Unmeasured{p.Namespace, p.Name, c.Name, p.Spec.NodeName, "not running: terminated (" + s.State.Terminated.Reason + ")"}
		}
	}
	return nil, &Unmeasured{p.Namespace, p.Name, c.Name, p.Spec.NodeName, fmt.Sprintf("not running (Pod %s)", p.Status.Phase)}
}

// Compare holds one running container's measurement to its prediction:
// its layers, then each path. A path both sides close, where the probe
// could not tell which of some layers closed it and the prediction is
// one of them, agrees. A path decided by "other" on either side, or whose
// prediction rests on a sysctl or kernel feature the audit assumed, is
// assumed, not drift — unless it was predicted closed and is found open:
// a broken promise is drift whatever its cause.
func Compare(pred audit.Container, meas *attack.Report) (drift, assumed []Finding) {
	st := meas.State
	layer := func(pr, ms, why string) {
		drift = append(drift, Finding{Kind: Layers, Predicted: pr, Measured: ms, Why: why})
	}
	if st != nil {
		got, err1 := caps.FromNames(st.CapEff)
		want, err2 := caps.FromNames(pred.Capabilities.Effective)
		// A privileged container gets what the runtime holds, which
		// may be less than every capability.
		if err1 == nil && err2 == nil && (got != want && !pred.Privileged || pred.Privileged && got&^want != 0) {
			layer("capabilities "+list(pred.Capabilities.Effective), "capabilities "+list(st.CapEff), "the effective set in /proc/self/status differs")
		}
		filtered := pred.Seccomp.Profile != "none" && pred.Seccomp.Profile != "unconfined" && pred.Seccomp.Evaluated != "no filter"
		if filtered != (st.Seccomp == 2) {
			layer("seccomp "+pred.Seccomp.Profile, fmt.Sprintf("seccomp mode %d (%d filters)", st.Seccomp, st.SeccompFilters), "the seccomp mode in /proc/self/status differs")
		}
		confined := !slices.Contains([]string{"", "none", "unconfined"}, pred.AppArmor.Profile) && !strings.HasPrefix(pred.AppArmor.Evaluated, "not applied") && pred.AppArmor.Evaluated != "no AppArmor on the node"
		label, _, _ := strings.Cut(st.AppArmor, " (")
		switch {
		case confined != st.AppArmorConfined():
			layer("AppArmor "+pred.AppArmor.Profile, "AppArmor "+orNone(st.AppArmor), "the process's AppArmor label differs")
		case confined && label != pred.AppArmor.Profile:
			layer("AppArmor "+pred.AppArmor.Profile, "AppArmor "+st.AppArmor, "another profile confines it")
		}
	}
	measured := map[string]attack.Result{}
	for _, m := range meas.Results {
		measured[m.ID] = m
	}
	for _, p := range pred.Paths {
		m, ok := measured[p.ID]
		if !ok {
			continue // a catalog this probe does not have
		}
		pc, mc := cell(p.Verdict, p.Layer), cell(m.Verdict, m.Layer)
		if pc == mc || p.Verdict != attack.Open && m.Verdict != attack.Open && slices.Contains(m.Ambiguous, p.Layer) {
			continue
		}
		f := Finding{Kind: Path, Path: p.ID, Predicted: pc, Measured: mc, Why: m.Step + ": " + m.Evidence}
		brokenPromise := p.Verdict != attack.Open && m.Verdict == attack.Open
		// A sysctl or kernel feature the audit assumed (its why says
		// so) decides it otherwise on this node.
		assumedFact := strings.Contains(p.Why, "(--sysctl gives") || strings.Contains(p.Why, "--node-kernel")
		if !brokenPromise && (p.Layer == attack.ByOther || m.Layer == attack.ByOther || assumedFact) {
			f.Why = "predicted: " + p.Why + "; measured: " + f.Why
			assumed = append(assumed, f)
			continue
		}
		drift = append(drift, f)
	}
	return drift, assumed
}

func cell(verdict, layer string) string {
	if verdict == attack.Open {
		return "open"
	}
	return "blocked by " + layer
}

func list(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ",")
}

func orNone(s string) string {
	if s == "" {
		return "(no AppArmor)"
	}
	return s
}
