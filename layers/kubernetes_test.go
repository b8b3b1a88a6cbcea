package layers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

// The kubernetes engine reaches the cluster only through kubectl, so the
// cluster these tests talk to is a fake kubectl: this test binary run
// again with fakeClusterEnv naming a directory that holds the cluster's
// state. It answers the commands the engine runs as the API server, the
// scheduler and the kubelet would: nodes.json is `kubectl get nodes`;
// a created Pod without spec.nodeName goes to the first Ready node (by
// name) its nodeSelector matches and whose taints it tolerates (it
// tolerates none), or stays Pending; a Pod needing AppArmor on a node
// not listed in apparmor (the nodes whose kernel has it, whatever their
// labels say) is refused as the kubelet refuses it. Every command is
// logged to calls, one line each.
const fakeClusterEnv = "RAMPART_TEST_FAKE_CLUSTER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(fakeClusterEnv); dir != "" {
		os.Exit(fakeKubectl(dir, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeKubectl(dir string, args []string) int {
	f, err := os.OpenFile(filepath.Join(dir, "calls"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	fmt.Fprintln(f, strings.Join(args, " "))
	f.Close()
	cmd := strings.Join(args, " ")
	switch {
	case strings.HasPrefix(cmd, "create namespace "), strings.HasPrefix(cmd, "delete namespace "):
		return 0
	case cmd == "get nodes -o json":
		if b, err := os.ReadFile(filepath.Join(dir, "forbidden")); err == nil {
			fmt.Fprint(os.Stderr, string(b))
			return 1
		}
		b, err := os.ReadFile(filepath.Join(dir, "nodes.json"))
		if err != nil {
			panic(err)
		}
		os.Stdout.Write(b)
		return 0
	case cmd == "create -f -":
		var pod corev1.Pod
		if err := json.NewDecoder(os.Stdin).Decode(&pod); err != nil {
			panic(err)
		}
		b, _ := json.Marshal(&pod)
		appendFile(dir, "created", string(b)+"\n")
		fakeSchedule(dir, &pod)
		b, _ = json.Marshal(&pod)
		if err := os.WriteFile(filepath.Join(dir, "pod-"+pod.Name), b, 0o644); err != nil {
			panic(err)
		}
		return 0
	case strings.HasPrefix(cmd, "get pod "):
		b, err := os.ReadFile(filepath.Join(dir, "pod-"+args[4]))
		if err != nil {
			panic(err)
		}
		os.Stdout.Write(b)
		return 0
	case strings.HasPrefix(cmd, "logs "):
		// flaky-logs holds how many `logs` calls fail silently for each
		// Pod, as requests dropped between the API server and a busy
		// kubelet.
		if b, err := os.ReadFile(filepath.Join(dir, "flaky-logs")); err == nil {
			tries := filepath.Join(dir, "logs-"+args[len(args)-1])
			t, _ := os.ReadFile(tries)
			if len(t) < len(b) {
				os.WriteFile(tries, append(t, 'x'), 0o644)
				return 1
			}
		}
		fmt.Println(`{"schema":"rampart.probe/v1","results":[{"id":"read-shadow","title":"read /etc/shadow","verdict":"open","step":"open"}]}`)
		return 0
	}
	fmt.Fprintf(os.Stderr, "fake kubectl: unknown command %q\n", cmd)
	return 1
}

func appendFile(dir, name, s string) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	f.WriteString(s)
}

// fakeSchedule binds the Pod as the scheduler would and ends it as the
// node's kubelet would.
func fakeSchedule(dir string, pod *corev1.Pod) {
	var nodes corev1.NodeList
	b, _ := os.ReadFile(filepath.Join(dir, "nodes.json"))
	if err := json.Unmarshal(b, &nodes); err != nil {
		panic(err)
	}
	if pod.Spec.NodeName == "" {
		for i := range nodes.Items {
			n := &nodes.Items[i]
			if ready(n) && schedulable(n) && matches(n, pod.Spec.NodeSelector) {
				pod.Spec.NodeName = n.Name
				break
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pending")); pod.Spec.NodeName == "" || err == nil {
		pod.Status.Phase = corev1.PodPending // unbound, or never pulled
		return
	}
	aa, _ := os.ReadFile(filepath.Join(dir, "apparmor"))
	p := pod.Spec.Containers[0].SecurityContext.AppArmorProfile
	if p != nil && p.Type != corev1.AppArmorProfileTypeUnconfined && !slices.Contains(strings.Fields(string(aa)), pod.Spec.NodeName) {
		pod.Status.Phase, pod.Status.Reason = corev1.PodFailed, "AppArmor"
		pod.Status.Message = "Pod was rejected: Cannot enforce AppArmor: AppArmor is not enabled on the host"
		return
	}
	pod.Status.Phase = corev1.PodSucceeded
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "probe", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}}}
}

// fakeCluster is a cluster of nodes, of which those named in apparmor
// enforce AppArmor.
type fakeCluster struct {
	dir string
}

func newFakeCluster(t *testing.T, nodes []corev1.Node, apparmor ...string) *fakeCluster {
	t.Helper()
	dir := t.TempDir()
	b, err := json.Marshal(corev1.NodeList{Items: nodes})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nodes.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "apparmor"), []byte(strings.Join(apparmor, " ")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(fakeClusterEnv, dir)
	return &fakeCluster{dir: dir}
}

func (c *fakeCluster) calls(t *testing.T) []string {
	b, err := os.ReadFile(filepath.Join(c.dir, "calls"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// created are the Pods as the engine sent them, in order.
func (c *fakeCluster) created(t *testing.T) []corev1.Pod {
	b, err := os.ReadFile(filepath.Join(c.dir, "created"))
	if err != nil {
		t.Fatal(err)
	}
	var pods []corev1.Pod
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var p corev1.Pod
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatal(err)
		}
		pods = append(pods, p)
	}
	return pods
}

type nodeOpt func(*corev1.Node)

func node(name string, opts ...nodeOpt) corev1.Node {
	n := corev1.Node{}
	n.Name = name
	n.Labels = map[string]string{"kubernetes.io/hostname": name}
	n.Status.Conditions = []corev1.NodeCondition{
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse},
		{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status"},
	}
	for _, o := range opts {
		o(&n)
	}
	return n
}

func labelled(k, v string) nodeOpt { return func(n *corev1.Node) { n.Labels[k] = v } }

var (
	appArmorLabel = labelled(AppArmorNodeLabel, AppArmorNodeValue)
	notReady      = func(n *corev1.Node) { n.Status.Conditions[1].Status = corev1.ConditionFalse }
	cordoned      = func(n *corev1.Node) { n.Spec.Unschedulable = true }
)

func tainted(effect corev1.TaintEffect) nodeOpt {
	return func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: "dedicated", Value: "x", Effect: effect})
	}
}

// seedPolicy asks for an AppArmor profile (the +lsm step needs a node
// that has AppArmor) unless kind says otherwise.
func seedPolicy(kind policy.AppArmorKind) *policy.Policy {
	p := &policy.Policy{Source: "test", Seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault}}
	p.Capabilities = &policy.Capabilities{Base: runtimes.Containerd.Caps, Drop: caps.Of(caps.NET_RAW)}
	if kind != "" {
		p.AppArmor = &policy.AppArmor{Kind: kind, Name: "flask-deny-shadow"}
	}
	return p
}

func runFake(t *testing.T, o EngineOptions, p *policy.Policy, attacks ...string) (*Matrix, error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o.Name, o.Kubectl, o.Image, o.Defaults = "kubernetes", self, "img", runtimes.Containerd.Caps
	r, err := Open(ctx, o)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	r.Engine.(*Kubernetes).o.Timeout = 5 * time.Second
	return r.Run(ctx, p, runtimes.Containerd.Caps, Options{Attacks: attacks})
}

func stepNodes(m *Matrix) []string {
	var out []string
	for _, s := range m.Steps {
		out = append(out, s.Node)
	}
	return out
}

func hasNote(m *Matrix, parts ...string) bool {
	for _, n := range m.Notes {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(n, p)
		}
		if all {
			return true
		}
	}
	return false
}

// When a step needs AppArmor and a Ready node is labelled as having it,
// every step's Pods (probe and --attack ones) are pinned to that node,
// the first by name among those that take Pods (not NotReady, cordoned or
// NoExecute-tainted), and the matrix names it for each step.
func TestKubernetesPinsAppArmorSteps(t *testing.T) {
	for _, kind := range []policy.AppArmorKind{policy.AppArmorLocalhost, policy.AppArmorRuntimeDefault} {
		t.Run(string(kind), func(t *testing.T) {
			c := newFakeCluster(t, []corev1.Node{
				node("a-host"),
				node("b-aa-notready", appArmorLabel, notReady),
				node("c-aa-cordoned", appArmorLabel, cordoned),
				node("d-aa-noexecute", appArmorLabel, tainted(corev1.TaintEffectNoExecute)),
				node("e-aa", appArmorLabel, tainted(corev1.TaintEffectNoSchedule)),
				node("f-aa", appArmorLabel),
			}, "b-aa-notready", "c-aa-cordoned", "d-aa-noexecute", "e-aa", "f-aa")
			m, err := runFake(t, EngineOptions{}, seedPolicy(kind), "true")
			if err != nil {
				t.Fatal(err)
			}
			if got := stepNodes(m); !slices.Equal(got, []string{"e-aa", "e-aa", "e-aa", "e-aa"}) {
				t.Errorf("steps ran on %q, want all on e-aa", got)
			}
			pods := c.created(t)
			if len(pods) != 8 {
				t.Fatalf("%d Pods created, want 8 (a probe and an attack per step)", len(pods))
			}
			for _, p := range pods {
				if p.Spec.NodeName != "e-aa" {
					t.Errorf("Pod %s sent with nodeName %q, want e-aa", p.Name, p.Spec.NodeName)
				}
			}
			if s := m.Steps[3]; s.Refused != "" {
				t.Errorf("+lsm refused on an AppArmor node: %s", s.Refused)
			}
			if !hasNote(m, "+lsm asks for AppArmor", "node e-aa", AppArmorNodeLabel) {
				t.Errorf("no note says why every step ran on e-aa: %q", m.Notes)
			}
		})
	}
}

// Without a node labelled as having AppArmor, the scheduler places the
// Pods (none is sent with a nodeName), the kubelet without AppArmor
// refuses +lsm, and the matrix names the node that refused it. A step's
// later Pods (its --attack rows) follow its first to the same node.
func TestKubernetesNoAppArmorNode(t *testing.T) {
	c := newFakeCluster(t, []corev1.Node{node("host"), node("other")}, "other")
	m, err := runFake(t, EngineOptions{}, seedPolicy(policy.AppArmorLocalhost), "true")
	if err != nil {
		t.Fatal(err)
	}
	if got := stepNodes(m); !slices.Equal(got, []string{"host", "host", "host", "host"}) {
		t.Errorf("steps ran on %q, want all on host", got)
	}
	if s := m.Steps[3]; !strings.Contains(s.Refused, "AppArmor is not enabled on the host") {
		t.Errorf("+lsm: %+v, want the kubelet's refusal", s)
	}
	for _, p := range c.created(t) {
		probe := strings.HasPrefix(p.Name, "probe-")
		if probe && p.Spec.NodeName != "" {
			t.Errorf("probe Pod %s sent with nodeName %q, want the scheduler's choice", p.Name, p.Spec.NodeName)
		}
		if !probe && p.Spec.NodeName != "host" {
			t.Errorf("attack Pod %s sent with nodeName %q, want host (where its step's probe ran)", p.Name, p.Spec.NodeName)
		}
	}
	if !hasNote(m, "no Ready node is labelled "+AppArmorNodeLabel+"="+AppArmorNodeValue) {
		t.Errorf("no note says no node is labelled: %q", m.Notes)
	}
	// This machine's kernel is not the node's: no note about it.
	if hasNote(m, "the kernel has no AppArmor") {
		t.Errorf("a note speaks of this machine's kernel: %q", m.Notes)
	}
}

// A policy without AppArmor never lists the nodes: the scheduler
// places every Pod, and no node-listing right is needed.
func TestKubernetesNoAppArmorNeeded(t *testing.T) {
	for _, kind := range []policy.AppArmorKind{"", policy.AppArmorUnconfined} {
		c := newFakeCluster(t, []corev1.Node{node("aa", appArmorLabel), node("host")}, "aa")
		m, err := runFake(t, EngineOptions{}, seedPolicy(kind))
		if err != nil {
			t.Fatal(err)
		}
		if calls := c.calls(t); slices.Contains(calls, "get nodes -o json") {
			t.Errorf("%q: the nodes were listed: %q", kind, calls)
		}
		if got := stepNodes(m); !slices.Equal(got, []string{"aa", "aa", "aa", "aa"}) {
			t.Errorf("%q: steps ran on %q, want the scheduler's first, aa", kind, got)
		}
		for _, p := range c.created(t) {
			if p.Spec.NodeName != "" {
				t.Errorf("%q: Pod %s sent with nodeName %q", kind, p.Name, p.Spec.NodeName)
			}
		}
	}
}

// A cluster whose nodes the user may not list still runs the steps: the
// scheduler places them, and a note says why.
func TestKubernetesNodesForbidden(t *testing.T) {
	c := newFakeCluster(t, []corev1.Node{node("host")})
	if err := os.WriteFile(filepath.Join(c.dir, "forbidden"), []byte(`Error from server (Forbidden): nodes is forbidden: User "u" cannot list resource "nodes"`), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := runFake(t, EngineOptions{}, seedPolicy(policy.AppArmorLocalhost))
	if err != nil {
		t.Fatal(err)
	}
	if !hasNote(m, "could not be listed", "Forbidden") || m.Steps[0].Node != "host" {
		t.Errorf("steps on %q, notes %q", stepNodes(m), m.Notes)
	}
}

// --node pins every Pod to that node, even when another has AppArmor:
// the node the user named is measured, refusal included.
func TestKubernetesNodeFlag(t *testing.T) {
	c := newFakeCluster(t, []corev1.Node{node("aa", appArmorLabel), node("host", tainted(corev1.TaintEffectNoSchedule))}, "aa")
	m, err := runFake(t, EngineOptions{Node: "host"}, seedPolicy(policy.AppArmorLocalhost), "true")
	if err != nil {
		t.Fatal(err)
	}
	if got := stepNodes(m); !slices.Equal(got, []string{"host", "host", "host", "host"}) {
		t.Errorf("steps ran on %q, want all on host", got)
	}
	for _, p := range c.created(t) {
		if p.Spec.NodeName != "host" {
			t.Errorf("Pod %s sent with nodeName %q, want host", p.Name, p.Spec.NodeName)
		}
	}
	if !strings.Contains(m.Steps[3].Refused, "AppArmor is not enabled") {
		t.Errorf("+lsm on host: %+v, want refused", m.Steps[3])
	}
	if calls := c.calls(t); calls[0] != "get nodes -o json" || slices.Index(calls[1:], "get nodes -o json") >= 0 {
		t.Errorf("want one GET of the nodes, first: %q", calls)
	}
}

// --node-selector puts the selector on every Pod and leaves the choice to
// the scheduler.
func TestKubernetesNodeSelector(t *testing.T) {
	c := newFakeCluster(t, []corev1.Node{node("a"), node("b", labelled("pool", "x"))})
	m, err := runFake(t, EngineOptions{NodeSelector: map[string]string{"pool": "x"}}, seedPolicy(""))
	if err != nil {
		t.Fatal(err)
	}
	if got := stepNodes(m); !slices.Equal(got, []string{"b", "b", "b", "b"}) {
		t.Errorf("steps ran on %q, want all on b", got)
	}
	for _, p := range c.created(t) {
		if p.Spec.NodeName != "" || p.Spec.NodeSelector["pool"] != "x" || len(p.Spec.NodeSelector) != 1 {
			t.Errorf("Pod %s sent with nodeName %q, nodeSelector %v", p.Name, p.Spec.NodeName, p.Spec.NodeSelector)
		}
	}
}

// A --node or --node-selector no Ready node answers is refused, naming
// the Ready nodes, before anything is created in the cluster.
func TestKubernetesPlacementRefused(t *testing.T) {
	nodes := []corev1.Node{
		node("host"),
		node("down", notReady, labelled("pool", "down")),
		node("drained", cordoned, labelled("pool", "drained")),
		node("evicting", tainted(corev1.TaintEffectNoExecute), labelled("pool", "evicting")),
		node("dedicated", tainted(corev1.TaintEffectNoSchedule), labelled("pool", "dedicated")),
	}
	for _, c := range []struct {
		o    EngineOptions
		want string
	}{
		{EngineOptions{Node: "nosuch"}, "--node nosuch: the cluster has no such node (Ready nodes: dedicated, drained, evicting, host)"},
		{EngineOptions{Node: "down"}, "--node down is not Ready"},
		{EngineOptions{Node: "evicting"}, "--node evicting has the NoExecute taint dedicated=x:NoExecute"},
		{EngineOptions{NodeSelector: map[string]string{"pool": "nosuch"}}, "--node-selector pool=nosuch matches no Ready node"},
		{EngineOptions{NodeSelector: map[string]string{"pool": "down"}}, "matches no Ready node"},
		{EngineOptions{NodeSelector: map[string]string{"pool": "drained"}}, "matches no Ready node"},
		{EngineOptions{NodeSelector: map[string]string{"pool": "evicting"}}, "matches no Ready node"},
		{EngineOptions{NodeSelector: map[string]string{"pool": "dedicated"}}, "matches no Ready node"},
		{EngineOptions{NodeSelector: map[string]string{"pool": "dedicated", "kubernetes.io/hostname": "host"}}, "matches no Ready node"},
	} {
		fc := newFakeCluster(t, nodes)
		_, err := runFake(t, c.o, seedPolicy(policy.AppArmorLocalhost))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
		if calls := fc.calls(t); !slices.Equal(calls, []string{"get nodes -o json"}) {
			t.Errorf("%+v: kubectl ran %q, want only the GET of the nodes", c.o, calls)
		}
	}
	// A cordoned node named by --node still takes Pods by nodeName.
	newFakeCluster(t, nodes)
	if _, err := runFake(t, EngineOptions{Node: "drained"}, seedPolicy("")); err != nil {
		t.Errorf("--node drained: %v", err)
	}
}

// --node and --node-selector mean something only to the kubernetes
// engine, one at a time, and only as names and labels the API server
// accepts.
func TestCheckPlacement(t *testing.T) {
	for _, c := range []struct {
		engine, node string
		sel          map[string]string
		want         string
	}{
		{"local", "", nil, ""},
		{"kubernetes", "n1", nil, ""},
		{"k8s", "", map[string]string{"a.b/c": "d", "e": ""}, ""},
		{"local", "n1", nil, "--node says where --engine kubernetes runs its Pods; it needs --engine kubernetes"},
		{"runc", "", map[string]string{"a": "b"}, "--node-selector says where"},
		{"kubernetes", "n1", map[string]string{"a": "b"}, "give one"},
		{"kubernetes", "N_1", nil, `--node "N_1"`},
		{"kubernetes", "", map[string]string{"": "b"}, `--node-selector key ""`},
		{"kubernetes", "", map[string]string{"a/b/c": "b"}, `--node-selector key "a/b/c"`},
		{"kubernetes", "", map[string]string{"a": "b c"}, `--node-selector a="b c"`},
	} {
		err := CheckPlacement(c.engine, c.node, c.sel)
		if (err == nil) != (c.want == "") || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q %v: %v, want %q", c.engine, c.node, c.sel, err, c.want)
		}
	}
}

// A seccomp file reaches the kubelet through this machine's seccomp
// directory; when the AppArmor node takes every step, a note says that
// node must hold the profile too (its runtime would refuse the step for
// a missing file, not for the profile's rules).
func TestKubernetesAppArmorNodeAndLocalSeccomp(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p := seedPolicy(policy.AppArmorLocalhost)
	p.Seccomp = policy.Seccomp{Kind: policy.SeccompFile, Path: prof}
	for _, c := range []struct {
		nodes []corev1.Node
		note  bool
	}{
		{[]corev1.Node{node("aa", appArmorLabel), node("host")}, true},
		{[]corev1.Node{node("host")}, false},
	} {
		newFakeCluster(t, c.nodes, "aa")
		m, err := runFake(t, EngineOptions{SeccompDir: dir}, p)
		if err != nil {
			t.Fatal(err)
		}
		if got := hasNote(m, "the seccomp profile "+prof, "node aa must hold it"); got != c.note {
			t.Errorf("steps on %q: note about the profile %v, want %v: %q", stepNodes(m), got, c.note, m.Notes)
		}
	}
}

// A `kubectl logs` that fails without a word (a request dropped on its
// way to a busy node) is tried again: three tries in all. Beyond
// that the error says what kubectl did, never just "(no output)".
func TestKubernetesLogsRetried(t *testing.T) {
	for _, tc := range []struct {
		fails   int
		wantErr string
	}{
		{fails: 2},
		{fails: 3, wantErr: "(no output; exit status 1)"},
	} {
		c := newFakeCluster(t, []corev1.Node{node("n1")})
		if err := os.WriteFile(filepath.Join(c.dir, "flaky-logs"), []byte(strings.Repeat("x", tc.fails)), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := runFake(t, EngineOptions{Node: "n1"}, seedPolicy(""))
		logs := 0
		for _, call := range c.calls(t) {
			if strings.HasPrefix(call, "logs ") {
				logs++
			}
		}
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%d silent failures: %v, want them retried", tc.fails, err)
		case tc.wantErr == "" && len(m.Steps) != 4:
			t.Errorf("%d silent failures: %d steps", tc.fails, len(m.Steps))
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%d silent failures: error %v, want one containing %q", tc.fails, err, tc.wantErr)
		}
		// Four steps' logs, each after its failures.
		if tc.wantErr == "" && logs != 4*(1+tc.fails) {
			t.Errorf("%d silent failures: %d logs calls, want %d", tc.fails, logs, 4*(1+tc.fails))
		}
	}
}

// A Pod that never ends is reported against --pod-timeout, with its
// phase, not as whatever kubectl call the deadline happened to cut.
func TestKubernetesPodTimeout(t *testing.T) {
	c := newFakeCluster(t, []corev1.Node{node("n1")})
	if err := os.WriteFile(filepath.Join(c.dir, "pending"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runFake(t, EngineOptions{}, seedPolicy(""))
	if err == nil || !strings.Contains(err.Error(), "did not finish within 5s (phase Pending; --pod-timeout gives it longer)") {
		t.Errorf("error %v, want the Pod's timeout and phase", err)
	}
}

// A +userns step (hostUsers: false) on nodes whose runtime reports no
// user namespaces is refused before its Pods are made, with the nodes
// named; where a node reports them, its Pods are made with hostUsers:
// false.
func TestKubernetesUserNSStep(t *testing.T) {
	p := seedPolicy("")
	p.UserNS = &policy.UserNS{}
	c := newFakeCluster(t, []corev1.Node{node("host", func(n *corev1.Node) { n.Status.NodeInfo.ContainerRuntimeVersion = "containerd://1.6.20" })})
	m, err := runFake(t, EngineOptions{}, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Steps) != 5 || !strings.Contains(m.Steps[4].Refused, "no node that could run the Pod reports user namespaces") || !strings.Contains(m.Steps[4].Refused, "host (containerd://1.6.20)") {
		t.Fatalf("+userns on containerd 1.6: %+v", m.Steps)
	}
	for _, pod := range c.created(t) {
		if pod.Spec.HostUsers != nil {
			t.Errorf("pod %s made with hostUsers %v on a node that cannot", pod.Name, *pod.Spec.HostUsers)
		}
	}

	yes := true
	c = newFakeCluster(t, []corev1.Node{node("host", func(n *corev1.Node) {
		n.Status.RuntimeHandlers = []corev1.NodeRuntimeHandler{{Name: "", Features: &corev1.NodeRuntimeHandlerFeatures{UserNamespaces: &yes}}}
	})})
	m, err = runFake(t, EngineOptions{}, p)
	if err != nil {
		t.Fatal(err)
	}
	if m.Steps[4].Refused != "" {
		t.Errorf("+userns on a node that reports user namespaces: refused %q", m.Steps[4].Refused)
	}
	var userns int
	for _, pod := range c.created(t) {
		if pod.Spec.HostUsers != nil && !*pod.Spec.HostUsers {
			userns++
		}
	}
	if userns != 1 {
		t.Errorf("%d Pods made with hostUsers: false, want the +userns step's one", userns)
	}
}
