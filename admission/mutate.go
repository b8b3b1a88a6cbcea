package admission

import (
	"strings"

	admv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Mutating is the MutatingAdmissionPolicy that applies harden's
// defaults before the validating policy looks, and its binding. In each
// container and init container that is not privileged (whose layers no
// default can mend; the validating policy refuses it):
//   - capabilities.drop becomes [ALL]; the adds stay, so a container
//     keeps what it declared it needs;
//   - seccompProfile RuntimeDefault, where neither the container nor the
//     Pod names one (an explicit Unconfined is a choice left for the
//     validating policy to refuse), nor a seccomp annotation;
//   - allowPrivilegeEscalation false, where unset and the API server
//     allows it (not beside an add of CAP_SYS_ADMIN);
//   - with the apparmor layer in the target, appArmorProfile
//     RuntimeDefault where neither the container, its annotation nor
//     the Pod names one.
//
// The patch is a JSON Patch the API server computes per object (CEL),
// at the path each kind keeps its Pod spec.
func Mutating(o Options) (*admv1.MutatingAdmissionPolicy, *admv1.MutatingAdmissionPolicyBinding) {
	o = o.withDefaults()
	fail := admv1.Fail
	never := admv1.NeverReinvocationPolicy
	var parts []string
	for _, list := range []string{"containers", "initContainers"} {
		parts = append(parts, patches(list, o.Target.Has(AppArmor))...)
	}
	// Pods are mutated at creation; templates at creation and update.
	// Ephemeral containers are left to the validating policy.
	var mrules []admv1.NamedRuleWithOperations
	for _, r := range rules {
		if !strings.Contains(r.Resources[0], "/") {
			mrules = append(mrules, r)
		}
	}
	p := &admv1.MutatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingAdmissionPolicy"},
		ObjectMeta: meta(o.Name+"-defaults", o.Target),
		Spec: admv1.MutatingAdmissionPolicySpec{
			FailurePolicy:      &fail,
			ReinvocationPolicy: never,
			MatchConstraints:   &admv1.MatchResources{ResourceRules: mrules},
			Variables: []admv1.Variable{
				{Name: "spec", Expression: specVar},
				{Name: "annotations", Expression: annVar},
				{Name: "at", Expression: `object.kind == 'Pod' ? '/spec' : (object.kind == 'CronJob' ? '/spec/jobTemplate/spec/template/spec' : '/spec/template/spec')`},
			},
			Mutations: []admv1.Mutation{{
				PatchType: admv1.PatchTypeJSONPatch,
				JSONPatch: &admv1.JSONPatch{Expression: strings.Join(parts, " +\n")},
			}},
		},
	}
	b := &admv1.MutatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingAdmissionPolicyBinding"},
		ObjectMeta: meta(o.Name+"-defaults", o.Target),
		Spec:       admv1.MutatingAdmissionPolicyBindingSpec{PolicyName: o.Name + "-defaults", MatchResources: o.namespaces()},
	}
	return p, b
}

// patches are the JSON Patch operations for one list of containers, in
// an order where each object exists before a member is added to it.
// CEL has no index in map(), so a container's index is its place in its
// list (names are unique, so containers are too).
func patches(list string, apparmor bool) []string {
	ctrs := `variables.spec.?` + list + `.orValue([])`
	at := `variables.at + '/` + list + `/' + string(` + ctrs + `.indexOf(c)) + '/securityContext'`
	mend := `!c.?securityContext.?privileged.orValue(false)`
	each := func(cond, path, value string) string {
		return ctrs + `.filter(c, ` + mend + ` && (` + cond + `)).map(c, JSONPatch{op: 'add', path: ` + at + path + `, value: ` + value + `})`
	}
	out := []string{
		each(`!c.?securityContext.hasValue()`, ``, `{}`),
		each(`!c.?securityContext.?capabilities.hasValue()`, ` + '/capabilities'`, `{}`),
		each(`true`, ` + '/capabilities/drop'`, `['ALL']`),
		// Not beside a seccomp annotation: it does nothing since
		// Kubernetes v1.27, but the API server refuses a field that
		// differs from it.
		each(`!c.?securityContext.?seccompProfile.hasValue() && !variables.spec.?securityContext.?seccompProfile.hasValue() && !(('container.seccomp.security.alpha.kubernetes.io/' + c.name) in variables.annotations) && !('seccomp.security.alpha.kubernetes.io/pod' in variables.annotations)`,
			` + '/seccompProfile'`, `{'type': 'RuntimeDefault'}`),
		each(`!c.?securityContext.?allowPrivilegeEscalation.hasValue() && !c.?securityContext.?capabilities.?add.orValue([]).exists(a, a == 'CAP_SYS_ADMIN')`,
			` + '/allowPrivilegeEscalation'`, `false`),
	}
	if apparmor {
		out = append(out, each(`!c.?securityContext.?appArmorProfile.hasValue() && !(('container.apparmor.security.beta.kubernetes.io/' + c.name) in variables.annotations) && !variables.spec.?securityContext.?appArmorProfile.hasValue()`,
			` + '/appArmorProfile'`, `{'type': 'RuntimeDefault'}`))
	}
	return out
}
