package cluster

import (
	"context"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/cluster/clustertest"
	"github.com/rampart-sec/rampart/internal/kubectl"
)

func TestRead(t *testing.T) {
	// The AppArmor node's kubelet refuses configz.
	k := kubectl.Kubectl{Path: clustertest.Kubectl(t, "rampart-lab-apparmor")}
	snap, err := Read(context.Background(), Scope{Kubectl: k, Namespace: "demo2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Nodes) != 2 {
		t.Fatalf("%d nodes, want 2", len(snap.Nodes))
	}
	host, aa := snap.Nodes[0], snap.Nodes[1]
	if host.Name != "rampart-lab" || aa.Name != "rampart-lab-apparmor" {
		t.Fatalf("nodes %s, %s: want sorted by name", host.Name, aa.Name)
	}
	for _, n := range snap.Nodes {
		if n.Arch != "amd64" || n.Runtime != "containerd" || n.RuntimeVersion != "1.6.20" {
			t.Errorf("%s: arch %q runtime %q %q, want the kubelet's amd64 containerd 1.6.20", n.Name, n.Arch, n.Runtime, n.RuntimeVersion)
		}
	}
	// seccompDefault: read where configz answers, unknown (with the API
	// server's words) where RBAC refuses it.
	if f := host.SeccompDefault; !f.Known || f.Value || f.Source != "kubelet configz" {
		t.Errorf("host seccompDefault %v, want known false from configz", f)
	}
	if f := aa.SeccompDefault; f.Known || !strings.Contains(f.Source, "Forbidden") {
		t.Errorf("AppArmor node seccompDefault %v, want unknown, saying Forbidden", f)
	}
	// AppArmor: the kubelet's own word, from Pods, over the label.
	if f := host.AppArmor; !f.Known || f.Value || !strings.Contains(f.Source, "refused Pod demo2/aa-on-host") {
		t.Errorf("host AppArmor %v, want false: the kubelet refused aa-on-host", f)
	}
	if f := aa.AppArmor; !f.Known || !f.Value || !strings.Contains(f.Source, "runs Pod demo2/aa-on-aanode") {
		t.Errorf("AppArmor node AppArmor %v, want true: the kubelet runs aa-on-aanode under a profile", f)
	}

	// The Deployment's ReplicaSet is left to the Deployment; its Pod is kept.
	var kinds []string
	for _, o := range snap.Objects {
		kinds = append(kinds, o.Kind+"/"+o.Name)
		if o.Kind == "ReplicaSet" || o.Kind == "Job" {
			t.Errorf("%s %s: a controlled ReplicaSet or Job is its controller's template, not read twice", o.Kind, o.Name)
		}
	}
	for _, want := range []string{"Pod/aa-on-host", "Pod/aa-on-aanode", "DaemonSet/agent", "CronJob/nightly", "Deployment/flask-app"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("objects %v: no %s", kinds, want)
		}
	}

	// Where each runs: a bound Pod on its node; the DaemonSet tolerates
	// every taint; the Deployment not the AppArmor node's; the CronJob's
	// nodeSelector (arm64) matches no node.
	want := map[string][]string{
		"Pod/aa-on-aanode":     {"rampart-lab-apparmor"},
		"DaemonSet/agent":      {"rampart-lab", "rampart-lab-apparmor"},
		"Deployment/flask-app": {"rampart-lab"},
		"CronJob/nightly":      nil,
	}
	for _, o := range snap.Objects {
		w, ok := want[o.Kind+"/"+o.Name]
		if !ok {
			continue
		}
		if got := o.Nodes(snap.Nodes); !slices.Equal(got, w) {
			t.Errorf("%s %s runs on %v, want %v", o.Kind, o.Name, got, w)
		}
		if o.Kind == "Pod" && o.Source() != "namespaces/demo2/pods/"+o.Name {
			t.Errorf("source %q", o.Source())
		}
	}
	// A cordoned node takes no new Pod.
	cordoned := slices.Clone(snap.Nodes)
	cordoned[0].Unschedulable = true
	for _, o := range snap.Objects {
		if o.Kind == "DaemonSet" {
			if got := o.Nodes(cordoned); !slices.Equal(got, []string{"rampart-lab-apparmor"}) {
				t.Errorf("DaemonSet with rampart-lab cordoned runs on %v", got)
			}
		}
	}
}

// The scope becomes kubectl's own flags.
func TestReadScope(t *testing.T) {
	for _, c := range []struct {
		scope Scope
		want  string
	}{
		{Scope{}, "-o json"},
		{Scope{Namespace: "demo2"}, "-o json --namespace demo2"},
		{Scope{All: true}, "-o json --all-namespaces"},
	} {
		k := kubectl.Kubectl{Path: clustertest.Kubectl(t)}
		c.scope.Kubectl = k
		if _, err := Read(context.Background(), c.scope); err != nil {
			t.Fatal(err)
		}
		calls := clustertest.Calls(k.Path)
		if !strings.Contains(string(calls), "get "+WorkloadResources+" "+c.want+"\n") {
			t.Errorf("%+v: kubectl was called as\n%s\nwant get %s %s", c.scope, calls, WorkloadResources, c.want)
		}
	}
}

// A kubectl that fails stops the read with its own words.
func TestReadFails(t *testing.T) {
	_, err := Read(context.Background(), Scope{Kubectl: kubectl.Kubectl{Path: "false"}})
	if err == nil || !strings.Contains(err.Error(), "reading the cluster's nodes") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseConfigz(t *testing.T) {
	for in, want := range map[string]Fact{
		`{"kubeletconfig":{"seccompDefault":true}}`: {Known: true, Value: true, Source: "kubelet configz"},
		`{"kubeletconfig":{}}`:                      {Known: true, Source: "kubelet configz, unset"},
		`{}`:                                        {Source: "the kubelet's configz holds no kubeletconfig"},
		`not json`:                                  {Source: "the kubelet's configz holds no kubeletconfig"},
	} {
		if got := parseConfigz([]byte(in), nil); got != want {
			t.Errorf("%s: %+v, want %+v", in, got, want)
		}
	}
}

// A ReplicaSet is left to its Deployment only when that Deployment is
// listed: an ownerReference is the object's own claim, and one naming a
// Deployment that does not exist must not hide its template.
func TestOwnerMustExist(t *testing.T) {
	rs := func(name, ownerUID string) string {
		return `{"kind": "ReplicaSet", "metadata": {"name": "` + name + `", "namespace": "ns", "uid": "rs-` + name + `",
			"ownerReferences": [{"kind": "Deployment", "name": "web", "uid": "` + ownerUID + `", "controller": true}]},
			"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}}`
	}
	list := `{"items": [
		{"kind": "Deployment", "metadata": {"name": "web", "namespace": "ns", "uid": "dep-1"}, "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}},
		` + rs("controlled", "dep-1") + `,
		` + rs("claims-a-ghost", "dep-404") + `,
		` + rs("claims-no-uid", "") + `]}`
	objs, err := parseObjects([]byte(list))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Kind+"/"+o.Name)
	}
	if strings.Join(got, " ") != "Deployment/web ReplicaSet/claims-a-ghost ReplicaSet/claims-no-uid" {
		t.Errorf("objects %v: want the Deployment and the two ReplicaSets whose controller is not listed", got)
	}
}

// Required node affinity places as the scheduler does, with the
// nodeSelector: every term of nodeSelectorTerms is an alternative, its
// expressions all hold; matchFields names the node; preferred terms
// place nothing.
func TestNodesAffinity(t *testing.T) {
	nodes := []Node{
		{Name: "a", Labels: map[string]string{"zone": "z1", "gpu": "yes", "cores": "8"}},
		{Name: "b", Labels: map[string]string{"zone": "z2", "cores": "64"}},
		{Name: "c", Labels: map[string]string{"zone": "z3"}},
	}
	req := func(terms ...corev1.NodeSelectorTerm) *corev1.Affinity {
		return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms}}}
	}
	expr := func(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}}
	}
	for name, c := range map[string]struct {
		selector map[string]string
		affinity *corev1.Affinity
		want     []string
	}{
		"none":                 {nil, nil, []string{"a", "b", "c"}},
		"In":                   {nil, req(expr("zone", corev1.NodeSelectorOpIn, "z1", "z2")), []string{"a", "b"}},
		"NotIn":                {nil, req(expr("zone", corev1.NodeSelectorOpNotIn, "z1")), []string{"b", "c"}},
		"Exists":               {nil, req(expr("gpu", corev1.NodeSelectorOpExists)), []string{"a"}},
		"DoesNotExist":         {nil, req(expr("gpu", corev1.NodeSelectorOpDoesNotExist)), []string{"b", "c"}},
		"Gt":                   {nil, req(expr("cores", corev1.NodeSelectorOpGt, "16")), []string{"b"}},
		"terms are ORed":       {nil, req(expr("gpu", corev1.NodeSelectorOpExists), expr("zone", corev1.NodeSelectorOpIn, "z3")), []string{"a", "c"}},
		"and the nodeSelector": {map[string]string{"zone": "z2"}, req(expr("zone", corev1.NodeSelectorOpIn, "z1", "z2")), []string{"b"}},
		"matchFields": {nil, req(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{
			{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{"c"}}}}), []string{"c"}},
		"unparseable": {nil, req(expr("cores", corev1.NodeSelectorOpGt, "many")), nil},
		"preferred only": {nil, &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{
			{Weight: 1, Preference: expr("zone", corev1.NodeSelectorOpIn, "z1")}}}}, []string{"a", "b", "c"}},
	} {
		o := Object{Kind: "Deployment", NodeSelector: c.selector, Affinity: c.affinity}
		if got := o.Nodes(nodes); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
}

// Read takes the affinity from each kind's place for it.
func TestReadAffinity(t *testing.T) {
	list := []byte(`{"items":[
{"kind":"Deployment","metadata":{"name":"d","namespace":"n"},"spec":{"template":{"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["z9"]}]}]}}}}}}},
{"kind":"CronJob","metadata":{"name":"c","namespace":"n"},"spec":{"jobTemplate":{"spec":{"template":{"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["z9"]}]}]}}}}}}}}}
]}`)
	objs, err := parseObjects(list)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if got := o.Nodes([]Node{{Name: "a", Labels: map[string]string{"zone": "z1"}}}); len(got) != 0 {
			t.Errorf("%s %s placed on %v despite its affinity", o.Kind, o.Name, got)
		}
	}
}
