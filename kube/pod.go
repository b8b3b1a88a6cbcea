package kube

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
)

// PodOptions say what a Pod rendered from a policy runs.
type PodOptions struct {
	Name, Namespace string
	Image           string
	Command         []string
	// SeccompLocalhost names, relative to the kubelet's seccomp directory,
	// where the policy's seccomp file has been placed on the node.
	SeccompLocalhost string
}

// ErrNoPodField is returned for parts of a policy that a Pod spec cannot
// express (Landlock rules and scopes): rendering them away would lose a
// layer.
var ErrNoPodField = errors.New("has no Pod spec field")

// PodFor renders the securityContext that makes a kubelet apply p, in a
// one-shot Pod: the inverse of Container.Policy for everything a Pod can
// say. Capabilities are expressed against the runtime's default set:
// an explicit base other than that becomes drop ALL + add.
func PodFor(p *policy.Policy, defaults caps.Set, o PodOptions) (*corev1.Pod, error) {
	if len(p.Landlock) > 0 {
		return nil, fmt.Errorf("Landlock rules (%s) %w", p.Landlock[0].String(), ErrNoPodField)
	}
	if len(p.Scope) > 0 {
		return nil, fmt.Errorf("Landlock scopes (--scope %s) %w", strings.Join(p.Scope, ","), ErrNoPodField)
	}
	var hostUsers *bool
	if u := p.UserNS; u != nil {
		if u.HostID != 0 {
			return nil, fmt.Errorf("a user namespace on host ids %d to %d: a Pod cannot choose its ids (the kubelet gives each Pod its block) %w", u.HostID, uint64(u.HostID)+uint64(u.Ids())-1, ErrNoPodField)
		}
		// hostUsers: false: the runtime makes the Pod's namespaces in
		// a user namespace of its own, on ids the kubelet picks.
		no := false
		hostUsers = &no
	}
	sc := &corev1.SecurityContext{}
	if c := p.Capabilities; c != nil {
		var add, drop []corev1.Capability
		switch {
		case c.InheritBase || c.Base == defaults:
		default:
			// A base that is not the runtime's: start from nothing.
			drop = append(drop, "ALL")
			for _, x := range c.Base.List() {
				add = append(add, corev1.Capability(x.String()))
			}
		}
		if c.AddAll {
			add = append(add, "ALL")
		}
		if c.DropAll && len(drop) == 0 {
			drop = append(drop, "ALL")
		}
		for _, x := range c.Add.List() {
			add = append(add, corev1.Capability(x.String()))
		}
		for _, x := range c.Drop.List() {
			drop = append(drop, corev1.Capability(x.String()))
		}
		if len(add)+len(drop) > 0 {
			sc.Capabilities = &corev1.Capabilities{Add: add, Drop: drop}
		}
	}
	if u := p.User; u != nil {
		uid, gid := int64(u.UID), int64(u.GID)
		sc.RunAsUser, sc.RunAsGroup = &uid, &gid
	}
	// allowPrivilegeEscalation: false is how a Pod asks for no_new_privs;
	// unset, the kubelet leaves it off (for a non-privileged container).
	if p.NoNewPrivs != nil && *p.NoNewPrivs {
		f := false
		sc.AllowPrivilegeEscalation = &f
	}
	switch p.Seccomp.Kind {
	case policy.SeccompNone:
	case policy.SeccompUnconfined:
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
	case policy.SeccompRuntimeDefault:
		if r := p.Seccomp.Runtime; r != "" && r != "docker" {
			// the node's runtime picks its own default, not this one
			return nil, fmt.Errorf("the seccomp profile is %s's RuntimeDefault, which a Pod cannot ask for: the node's runtime applies its own", r)
		}
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	case policy.SeccompFile:
		if o.SeccompLocalhost == "" {
			return nil, fmt.Errorf("seccomp profile %s must be placed in the kubelet's seccomp directory on the node to be used as Localhost", p.Seccomp.Path)
		}
		name := o.SeccompLocalhost
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: &name}
	}
	if a := p.AppArmor; a != nil {
		switch a.Kind {
		case policy.AppArmorUnconfined:
			sc.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
		case policy.AppArmorRuntimeDefault:
			sc.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
		case policy.AppArmorLocalhost:
			name := a.Name
			sc.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: &name}
		}
	}
	zero := int64(0)
	no := false
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": "rampart"}},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &zero,
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			HostUsers:                     hostUsers,
			Containers: []corev1.Container{{
				Name:            "probe",
				Image:           o.Image,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         o.Command,
				SecurityContext: sc,
			}},
		},
	}, nil
}
