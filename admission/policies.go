package admission

import (
	"strings"

	admv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampart-sec/rampart/caps"
)

// Options say what the policies hold and where.
type Options struct {
	Target Target
	// Name prefixes the objects' names ("rampart-layers").
	Name string
	// Warn makes the validating binding warn and audit instead of deny:
	// a rollout's first step.
	Warn bool
	// Exclude are namespaces the bindings leave alone (kube-system's
	// static and network Pods are privileged by design).
	Exclude []string
	// NamespaceLabels, when set, bind only namespaces with these labels.
	NamespaceLabels map[string]string
}

// DefaultName is the objects' name prefix.
const DefaultName = "rampart-layers"

// What a policy reads: every kind that holds a Pod or its template.
// Pods are checked at creation (an update cannot change their layers,
// except by adding ephemeral containers); templates at creation and
// update.
var rules = []admv1.NamedRuleWithOperations{
	rule("", []string{"pods"}, admv1.Create),
	rule("", []string{"pods/ephemeralcontainers"}, admv1.Update),
	rule("", []string{"replicationcontrollers"}, admv1.Create, admv1.Update),
	rule("apps", []string{"deployments", "replicasets", "statefulsets", "daemonsets"}, admv1.Create, admv1.Update),
	rule("batch", []string{"jobs", "cronjobs"}, admv1.Create, admv1.Update),
}

func rule(group string, resources []string, ops ...admv1.OperationType) admv1.NamedRuleWithOperations {
	return admv1.NamedRuleWithOperations{RuleWithOperations: admv1.RuleWithOperations{
		Operations: ops,
		Rule:       admv1.Rule{APIGroups: []string{group}, APIVersions: []string{"v1"}, Resources: resources},
	}}
}

// The CEL, built from these pieces. Every kind's Pod spec is found where
// the kind keeps it; fields are read with optionals (c.?a.?b.orValue(x))
// so that an absent field is its default, never an evaluation error.
const (
	specVar = `object.kind == 'Pod' ? object.spec : (object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec)`
	annVar  = `object.kind == 'Pod' ? object.metadata.?annotations.orValue({}) : (object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.?metadata.?annotations.orValue({}) : object.spec.template.?metadata.?annotations.orValue({}))`
	ctrsVar = `variables.spec.containers + variables.spec.?initContainers.orValue([]) + variables.spec.?ephemeralContainers.orValue([])`

	privileged = `c.?securityContext.?privileged.orValue(false)`
	// containerd upper-cases a name and prefixes CAP_; "ALL" in any case
	// is every capability.
	netRawClosed = `!` + privileged + ` && c.?securityContext.?capabilities.?drop.orValue([]).exists(d, d.upperAscii() in ['ALL', 'NET_RAW']) && !c.?securityContext.?capabilities.?add.orValue([]).exists(a, a.upperAscii() in ['ALL', 'NET_RAW'])`
	seccompOn    = `!` + privileged + ` && c.?securityContext.?seccompProfile.?type.orValue(variables.spec.?securityContext.?seccompProfile.?type.orValue('')) in ['RuntimeDefault', 'Localhost']`
	// The AppArmor profile in force: the container's field, else its
	// annotation, else the Pod's field (the kubelet's order).
	appArmorType = `c.?securityContext.?appArmorProfile.?type.orValue(('container.apparmor.security.beta.kubernetes.io/' + c.name) in variables.annotations ? (variables.annotations['container.apparmor.security.beta.kubernetes.io/' + c.name] == 'runtime/default' ? 'RuntimeDefault' : (variables.annotations['container.apparmor.security.beta.kubernetes.io/' + c.name].startsWith('localhost/') ? 'Localhost' : 'Unconfined')) : variables.spec.?securityContext.?appArmorProfile.?type.orValue(''))`
	appArmorOn   = `(` + appArmorType + `) == 'Localhost' || ((` + appArmorType + `) == 'RuntimeDefault' && !` + privileged + `)`
)

// capNamesOK: every capability a container adds or drops is one the
// node's runtime can grant or take: ALL, or a name the kernel knows as
// containerd spells it (CAP_NET_RAW is taken as CAP_CAP_NET_RAW, which
// runc ignores: a drop that drops nothing).
func capNamesOK() string {
	var names []string
	for c := caps.Cap(0); c <= caps.Last; c++ {
		names = append(names, "'"+c.String()+"'")
	}
	known := "['ALL', " + strings.Join(names, ", ") + "]"
	return `c.?securityContext.?capabilities.?add.orValue([]).all(x, x.upperAscii() in ` + known + `) && c.?securityContext.?capabilities.?drop.orValue([]).all(x, x.upperAscii() in ` + known + `)`
}

// check is one validation: the containers for which ok fails are named
// in the message, with the field to change.
type check struct {
	layer Layer
	ok    string
	fix   string
}

func checks(t Target) []check {
	var out []check
	if t.Has(Capabilities) {
		out = append(out,
			check{Capabilities, capNamesOK(), "capabilities: write each name in securityContext.capabilities.add and drop as the kernel names it without CAP_ (NET_RAW), or ALL: the node's runtime ignores any other"},
			check{Capabilities, netRawClosed, "capabilities: NET_RAW stays in the capability set (raw-socket stays open): drop NET_RAW or ALL in securityContext.capabilities.drop, add neither back, and do not set privileged: true"})
	}
	if t.Has(Seccomp) {
		out = append(out, check{Seccomp, seccompOn, "seccomp: no seccomp filter: set securityContext.seccompProfile.type to RuntimeDefault or Localhost (the container's or the Pod's), and do not set privileged: true"})
	}
	if t.Has(AppArmor) {
		out = append(out, check{AppArmor, appArmorOn, "apparmor: no AppArmor profile asked for: set securityContext.appArmorProfile.type to RuntimeDefault or Localhost (the container's or the Pod's; a privileged container only Localhost)"})
	}
	return out
}

// Validating is the ValidatingAdmissionPolicy and its binding.
func Validating(o Options) (*admv1.ValidatingAdmissionPolicy, *admv1.ValidatingAdmissionPolicyBinding) {
	o = o.withDefaults()
	fail := admv1.Fail
	p := &admv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: meta(o.Name, o.Target),
		Spec: admv1.ValidatingAdmissionPolicySpec{
			FailurePolicy:    &fail,
			MatchConstraints: &admv1.MatchResources{ResourceRules: rules},
			Variables: []admv1.Variable{
				{Name: "spec", Expression: specVar},
				{Name: "annotations", Expression: annVar},
				{Name: "containers", Expression: ctrsVar},
			},
		},
	}
	for _, c := range checks(o.Target) {
		failing := `variables.containers.filter(c, !(` + c.ok + `)).map(c, c.name).join(', ')`
		p.Spec.Validations = append(p.Spec.Validations, admv1.Validation{
			Expression:        `variables.containers.all(c, ` + c.ok + `)`,
			MessageExpression: `"rampart ` + o.Target.String() + `: " + object.kind + " " + object.metadata.?name.orValue(object.metadata.?generateName.orValue("")) + ", containers " + ` + failing + ` + ": ` + c.fix + `"`,
			Reason:            ptr(metav1.StatusReasonForbidden),
		})
	}
	actions := []admv1.ValidationAction{admv1.Deny}
	if o.Warn {
		actions = []admv1.ValidationAction{admv1.Warn, admv1.Audit}
	}
	b := &admv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: meta(o.Name, o.Target),
		Spec: admv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: o.Name, ValidationActions: actions, MatchResources: o.namespaces(),
		},
	}
	return p, b
}

func ptr[T any](v T) *T { return &v }

func (o Options) withDefaults() Options {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if len(o.Target) == 0 {
		o.Target = Target(Layers)
	}
	return o
}

func meta(name string, t Target) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Annotations: map[string]string{"rampart.dev/target": t.String()}}
}

// namespaces is where the bindings apply.
func (o Options) namespaces() *admv1.MatchResources {
	sel := &metav1.LabelSelector{MatchLabels: o.NamespaceLabels}
	if len(o.Exclude) > 0 {
		sel.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: o.Exclude}}
	}
	return &admv1.MatchResources{NamespaceSelector: sel}
}

// Manifests are the policies of o: the validating policy and its
// binding, and with mutate the mutating policy and its binding before
// them (report.Manifests writes them as YAML).
func Manifests(o Options, mutate bool) []any {
	v, vb := Validating(o)
	objs := []any{v, vb}
	if mutate {
		m, mb := Mutating(o)
		objs = append([]any{m, mb}, objs...)
	}
	return objs
}
