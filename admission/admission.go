// Package admission writes the Kubernetes admission policies that hold
// Pods to rampart's layers at the API server, with no webhook and no
// operator: a ValidatingAdmissionPolicy that refuses a Pod (or a
// template) whose layers fall short of a Target, and a
// MutatingAdmissionPolicy that applies harden's defaults first. Both are
// CEL the API server evaluates itself (admissionregistration.k8s.io/v1).
//
// The CEL reads the fields as the node will: capabilities as containerd
// spells them, the seccomp and AppArmor profile in force as the kubelet
// resolves container over Pod (and the AppArmor annotation), privileged
// as what overrides them all. Met says the same of an audit's
// prediction; the kube tier holds the two equal over a corpus.
package admission

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/audit"
)

// Layer is one of the seed's three layers a Target asks for.
type Layer string

const (
	// Capabilities: NET_RAW is out of every container's capability set
	// (dropped, by name or ALL, and not added back; not privileged),
	// which closes raw-socket.
	Capabilities Layer = "capabilities"
	// Seccomp: every container runs under a seccomp profile,
	// RuntimeDefault or Localhost, its own or the Pod's; not privileged,
	// which the runtime runs unconfined whatever the profile.
	Seccomp Layer = "seccomp"
	// AppArmor: every container asks for an AppArmor profile (Localhost;
	// or RuntimeDefault, unless privileged), in a field or the
	// annotation. Such a Pod runs only on nodes with AppArmor: the
	// kubelet refuses it elsewhere.
	AppArmor Layer = "apparmor"
)

// Layers are all of them, in kernel order: the seed's target.
var Layers = []Layer{Capabilities, Seccomp, AppArmor}

// Target is the layers a Pod must have to be admitted.
type Target []Layer

// ParseTarget reads a comma-separated list of layers; "layers" (or "")
// is all three.
func ParseTarget(s string) (Target, error) {
	if s == "" || s == "layers" {
		return Target(slices.Clone(Layers)), nil
	}
	var t Target
	for _, f := range strings.Split(s, ",") {
		l := Layer(strings.TrimSpace(f))
		if !slices.Contains(Layers, l) {
			return nil, fmt.Errorf("target %q: %q is no layer; want a list of capabilities, seccomp and apparmor, or layers for all three", s, f)
		}
		if !slices.Contains(t, l) {
			t = append(t, l)
		}
	}
	slices.SortFunc(t, func(a, b Layer) int { return slices.Index(Layers, a) - slices.Index(Layers, b) })
	return t, nil
}

func (t Target) String() string {
	var s []string
	for _, l := range t {
		s = append(s, string(l))
	}
	return strings.Join(s, ",")
}

// Has says whether the target asks for l.
func (t Target) Has(l Layer) bool { return slices.Contains(t, l) }

// Met says which of the target's layers an audited container lacks (nil:
// it meets the target), from audit's prediction on a node with AppArmor:
// the oracle the policies' CEL is held to. A container audit could not
// build a policy for (Error) lacks every layer: nothing about it is
// known to hold.
func (t Target) Met(c audit.Container) []Layer {
	var miss []Layer
	for _, l := range t {
		ok := c.Error == ""
		switch l {
		case Capabilities:
			ok = ok && !c.Privileged && !slices.Contains(c.Capabilities.Bounding, "NET_RAW")
		case Seccomp:
			ok = ok && c.Seccomp.Profile != "none" && c.Seccomp.Profile != "unconfined"
		case AppArmor:
			// Asked for in the manifest, not the node's default.
			ok = ok && c.AppArmor.Profile != "unconfined" && c.AppArmor.Origin != "" && !strings.HasPrefix(c.AppArmor.Origin, "node default")
		}
		if !ok {
			miss = append(miss, l)
		}
	}
	return miss
}
