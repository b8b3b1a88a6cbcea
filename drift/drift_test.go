package drift

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/internal/podexec"
)

func prediction() audit.Container {
	return audit.Container{Name: "c", Type: "container",
		Capabilities: audit.Capabilities{Effective: []string{"CHOWN", "NET_RAW"}},
		Seccomp:      audit.Layer{Profile: "runtime-default", Evaluated: "compiled filter"},
		AppArmor:     audit.Layer{Profile: "cri-containerd.apparmor.d", Evaluated: "AppArmor evaluator"},
		Paths: []audit.PathResult{
			{ID: "raw-socket", Verdict: attack.Open},
			{ID: "userns-netns", Verdict: attack.Blocked, Layer: attack.BySeccomp},
			{ID: "kernel-module", Verdict: attack.Blocked, Layer: attack.ByCapabilities},
			{ID: "perf-event-open", Verdict: attack.Open, Why: "assumed kernel.perf_event_paranoid at 2 (--sysctl gives the node's)"},
			{ID: "open-by-handle", Verdict: attack.Blocked, Layer: attack.ByCapabilities},
		},
	}
}

func measurement() *attack.Report {
	return &attack.Report{
		State: &attack.State{CapEff: []string{"CHOWN", "NET_RAW"}, Seccomp: 2, SeccompFilters: 1, AppArmor: "cri-containerd.apparmor.d (enforce)"},
		Results: []attack.Result{
			{ID: "raw-socket", Verdict: attack.Open},
			{ID: "userns-netns", Verdict: attack.Blocked, Layer: attack.BySeccomp},
			{ID: "kernel-module", Verdict: attack.Blocked, Layer: attack.ByOther},
			{ID: "perf-event-open", Verdict: attack.Blocked, Layer: attack.ByCapabilities},
			// The probe could not tell these apart; the prediction is one.
			{ID: "open-by-handle", Verdict: attack.Blocked, Layer: attack.BySeccomp, Ambiguous: []string{attack.BySeccomp, attack.ByCapabilities}},
		},
	}
}

// Where the container runs as predicted, there is no drift; what a node
// fact decides otherwise than assumed is assumed.
func TestCompareAgrees(t *testing.T) {
	d, a := Compare(prediction(), measurement())
	if len(d) != 0 {
		t.Errorf("drift %+v", d)
	}
	var ids []string
	for _, f := range a {
		ids = append(ids, f.Path)
	}
	if strings.Join(ids, ",") != "kernel-module,perf-event-open" {
		t.Errorf("assumed %v, want kernel-module (measured by other) and perf-event-open (an assumed sysctl)", ids)
	}
}

func TestCompareDrift(t *testing.T) {
	for name, c := range map[string]struct {
		mod  func(*audit.Container, *attack.Report)
		want string
	}{
		"another capability set": {func(_ *audit.Container, m *attack.Report) { m.State.CapEff = []string{"CHOWN"} }, "layers: capabilities CHOWN,NET_RAW / capabilities CHOWN"},
		"no filter":              {func(_ *audit.Container, m *attack.Report) { m.State.Seccomp = 0 }, "layers: seccomp runtime-default / seccomp mode 0 (1 filters)"},
		"unconfined":             {func(_ *audit.Container, m *attack.Report) { m.State.AppArmor = "unconfined" }, "layers: AppArmor cri-containerd.apparmor.d / AppArmor unconfined"},
		"another profile":        {func(_ *audit.Container, m *attack.Report) { m.State.AppArmor = "other (enforce)" }, "layers: AppArmor cri-containerd.apparmor.d / AppArmor other (enforce)"},
		// A broken promise is drift even where a node fact explains it.
		"a promise broken": {func(_ *audit.Container, m *attack.Report) {
			m.Results[1] = attack.Result{ID: "userns-netns", Verdict: attack.Open}
		}, "path: blocked by seccomp / open"},
		"another layer": {func(_ *audit.Container, m *attack.Report) {
			m.Results[0] = attack.Result{ID: "raw-socket", Verdict: attack.Blocked, Layer: attack.ByLSM}
		}, "path: open / blocked by lsm"},
	} {
		p, m := prediction(), measurement()
		c.mod(&p, m)
		d, _ := Compare(p, m)
		var got []string
		for _, f := range d {
			got = append(got, f.Kind+": "+f.Predicted+" / "+f.Measured)
		}
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s: drift %q, want %q", name, got, c.want)
		}
	}
	// A privileged container holds what the runtime has: less than every
	// capability is no drift.
	p, m := prediction(), measurement()
	p.Privileged, p.Capabilities.Effective = true, []string{"CHOWN", "NET_RAW", "SYS_ADMIN"}
	if d, _ := Compare(p, m); len(d) != 0 {
		t.Errorf("privileged: drift %+v", d)
	}
}

// A container that does not run: drift when the kubelet or the runtime
// refused it, not measured when it is only not running yet.
func TestNotRunning(t *testing.T) {
	pod := func(st corev1.PodStatus) *podCase {
		return &podCase{pod: corev1.Pod{Spec: corev1.PodSpec{NodeName: "n"}, Status: st}}
	}
	waiting := func(reason string) corev1.PodStatus {
		return corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "c", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "seccomp profile not found"}}}}}
	}
	c := prediction()
	if f, u := pod(waiting("CreateContainerError")).notRunning(c); f == nil || u != nil || f.Kind != NotStarted || f.Foreseen || f.Why != "seccomp profile not found" {
		t.Errorf("CreateContainerError: %+v %+v", f, u)
	}
	if f, u := pod(waiting("ImagePullBackOff")).notRunning(c); f != nil || u == nil || u.Why != "not running: ImagePullBackOff" {
		t.Errorf("ImagePullBackOff: %+v %+v", f, u)
	}
	c.Refused = "the node has no AppArmor"
	if f, _ := pod(corev1.PodStatus{Phase: corev1.PodFailed, Reason: "AppArmor"}).notRunning(c); f == nil || !f.Foreseen {
		t.Errorf("refused for AppArmor, as predicted: %+v", f)
	}
	running := corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "c", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
	if f, _ := pod(running).notRunning(c); f == nil || f.Measured != "runs" {
		t.Errorf("predicted refused, runs: %+v", f)
	}
	c.Refused = ""
	if f, u := pod(running).notRunning(c); f != nil || u != nil {
		t.Errorf("running: %+v %+v, want it probed", f, u)
	}
}

// The containers the Prober could not reach are measured from their
// nodes, one NodeProber call per node; what the node could not measure,
// or a node whose call failed, stays unmeasured with the reason.
func TestFromNodeBatchesByNode(t *testing.T) {
	var jobs []job
	var results []result
	for i, node := range []string{"n1", "n2", "n1", "n3"} {
		pc := &podCase{pod: corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprint("p", i)}, Spec: corev1.PodSpec{NodeName: node}}}
		j := job{pc, prediction()}
		jobs = append(jobs, j)
		var r result
		where := &podexec.Result{Namespace: "ns", Pod: pc.pod.Name, Container: "c", Node: node, ContainerID: fmt.Sprint("containerd://id", i)}
		r.measured(pc, j.pred, nil, fmt.Errorf("probe: %w", &podexec.UnreachableError{Where: where, Why: "no /bin/sh"}))
		results = append(results, r)
	}
	calls := map[string][]string{}
	fromNode(context.Background(), func(_ context.Context, node string, ids []string) (map[string]*attack.Report, map[string]error, error) {
		calls[node] = ids
		switch node {
		case "n1":
			return map[string]*attack.Report{"containerd://id0": measurement()}, map[string]error{"containerd://id2": errors.New("exited while it was read")}, nil
		case "n2":
			return map[string]*attack.Report{"containerd://id1": measurement()}, nil, nil
		}
		return nil, nil, errors.New("no node agent")
	}, jobs, results)
	if want := map[string][]string{"n1": {"containerd://id0", "containerd://id2"}, "n2": {"containerd://id1"}, "n3": {"containerd://id3"}}; !reflect.DeepEqual(calls, want) {
		t.Errorf("calls %v, want %v", calls, want)
	}
	for i, want := range []string{"", "", "exited while it was read", "; from the node: no node agent"} {
		r := results[i]
		switch {
		case want == "" && r.un != nil:
			t.Errorf("p%d: unmeasured: %s", i, r.un.Why)
		case want == "" && len(r.assumed) == 0:
			t.Errorf("p%d: measured, but not compared", i)
		case want != "" && (r.un == nil || !strings.HasSuffix(r.un.Why, want)):
			t.Errorf("p%d: %+v, want unmeasured because %q", i, r.un, want)
		}
	}
}
