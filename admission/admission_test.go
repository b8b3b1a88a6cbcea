package admission

import (
	"slices"
	"strings"
	"testing"

	admv1 "k8s.io/api/admissionregistration/v1"

	"github.com/rampart-sec/rampart/audit"
)

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "capabilities,seccomp,apparmor",
		"layers":                        "capabilities,seccomp,apparmor",
		"apparmor,capabilities":         "capabilities,apparmor",
		"seccomp, seccomp":              "seccomp",
		"seccomp,apparmor,capabilities": "capabilities,seccomp,apparmor",
	} {
		got, err := ParseTarget(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"selinux", "seccomp,", "NET_RAW"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q): no error", bad)
		}
	}
}

// Met reads audit's prediction: what each layer needs, and nothing
// known of a container audit could not read.
func TestMet(t *testing.T) {
	good := audit.Container{
		Capabilities: audit.Capabilities{Bounding: []string{"CHOWN"}},
		Seccomp:      audit.Layer{Profile: "runtime-default"},
		AppArmor:     audit.Layer{Profile: "cri-containerd.apparmor.d", Origin: "p.yaml:9:13"},
	}
	all := Target(Layers)
	if m := all.Met(good); m != nil {
		t.Fatalf("a container with the three layers lacks %v", m)
	}
	for name, c := range map[string]struct {
		mod  func(*audit.Container)
		want []Layer
	}{
		"NET_RAW kept":        {func(c *audit.Container) { c.Capabilities.Bounding = []string{"NET_RAW"} }, []Layer{Capabilities}},
		"privileged":          {func(c *audit.Container) { c.Privileged = true }, []Layer{Capabilities}},
		"no filter":           {func(c *audit.Container) { c.Seccomp.Profile = "none" }, []Layer{Seccomp}},
		"unconfined seccomp":  {func(c *audit.Container) { c.Seccomp.Profile = "unconfined" }, []Layer{Seccomp}},
		"the node's default":  {func(c *audit.Container) { c.AppArmor.Origin = "node default (--apparmor-node)" }, []Layer{AppArmor}},
		"unconfined apparmor": {func(c *audit.Container) { c.AppArmor.Profile = "unconfined" }, []Layer{AppArmor}},
		"unreadable":          {func(c *audit.Container) { c.Error = "unknown capability" }, Layers},
	} {
		ctr := good
		c.mod(&ctr)
		if got := all.Met(ctr); !slices.Equal(got, c.want) {
			t.Errorf("%s: lacks %v, want %v", name, got, c.want)
		}
		if got := (Target{Seccomp}).Met(ctr); slices.Contains(c.want, Seccomp) != (got != nil) {
			t.Errorf("%s, target seccomp alone: lacks %v", name, got)
		}
	}
}

func TestManifests(t *testing.T) {
	objs := Manifests(Options{Target: Target{Seccomp}, Warn: true, Exclude: []string{"kube-system"}}, true)
	if len(objs) != 4 {
		t.Fatalf("%d objects, want the mutating policy and binding before the validating ones", len(objs))
	}
	m, mb := objs[0].(*admv1.MutatingAdmissionPolicy), objs[1].(*admv1.MutatingAdmissionPolicyBinding)
	v, vb := objs[2].(*admv1.ValidatingAdmissionPolicy), objs[3].(*admv1.ValidatingAdmissionPolicyBinding)
	if mb.Spec.PolicyName != m.Name || vb.Spec.PolicyName != v.Name || v.Name != DefaultName {
		t.Errorf("bindings %s→%s, %s→%s: each must name its policy", mb.Name, mb.Spec.PolicyName, vb.Name, vb.Spec.PolicyName)
	}
	if !slices.Equal(vb.Spec.ValidationActions, []admv1.ValidationAction{admv1.Warn, admv1.Audit}) {
		t.Errorf("--warn: actions %v", vb.Spec.ValidationActions)
	}
	for _, b := range []*admv1.MatchResources{mb.Spec.MatchResources, vb.Spec.MatchResources} {
		if e := b.NamespaceSelector.MatchExpressions; len(e) != 1 || e[0].Values[0] != "kube-system" {
			t.Errorf("the bindings do not leave kube-system alone: %+v", b.NamespaceSelector)
		}
	}
	// The target's layers only, each naming the field to change; a
	// failure of the policy itself refuses (fail closed).
	if len(v.Spec.Validations) != 1 || !strings.Contains(v.Spec.Validations[0].MessageExpression, "seccompProfile.type") {
		t.Errorf("target seccomp: validations %+v", v.Spec.Validations)
	}
	if *v.Spec.FailurePolicy != admv1.Fail || *m.Spec.FailurePolicy != admv1.Fail {
		t.Error("a policy that fails to evaluate must refuse, not admit")
	}
	// AppArmor is mutated only when the target asks for it: elsewhere
	// the kubelet of a node without AppArmor would refuse the Pod.
	if strings.Contains(m.Spec.Mutations[0].JSONPatch.Expression, "appArmorProfile") {
		t.Error("target seccomp: the mutating policy sets AppArmor")
	}
	full, _ := Mutating(Options{})
	if !strings.Contains(full.Spec.Mutations[0].JSONPatch.Expression, "appArmorProfile") {
		t.Error("target layers: the mutating policy does not set AppArmor")
	}
	// Ephemeral containers are checked, not mutated.
	for _, r := range m.Spec.MatchConstraints.ResourceRules {
		if slices.Contains(r.Resources, "pods/ephemeralcontainers") {
			t.Error("the mutating policy patches ephemeral containers")
		}
	}
}
