package harden

import (
	"bytes"
	"fmt"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// SPOAPIVersion is the Security Profiles Operator API group version of
// the objects SPO emits (AppArmorProfile and ProfileBinding are
// v1alpha1 in the operator's CRDs).
const SPOAPIVersion = "security-profiles-operator.x-k8s.io/v1alpha1"

// SPO renders Security Profiles Operator objects for the profiles: an
// AppArmorProfile holding each generated policy (so the operator loads
// it on every node), and a ProfileBinding per container image using it
// (for pods created without the hardened securityContext, in namespaces
// labelled spo.x-k8s.io/enable-binding). Objects go to the workload's
// namespace when it names one.
func SPO(profiles []Profile) ([]byte, error) {
	var buf bytes.Buffer
	doc := func(n *yaml.RNode) error {
		s, err := n.String()
		if err != nil {
			return err
		}
		if buf.Len() > 0 {
			buf.WriteString("---\n")
		}
		buf.WriteString(s)
		return nil
	}
	for _, p := range profiles {
		ap := yaml.NewMapRNode(nil)
		meta := map[string]string{"name": p.Name}
		if p.Namespace != "" {
			meta["namespace"] = p.Namespace
		}
		if err := ap.PipeE(yaml.SetField("apiVersion", yaml.NewStringRNode(SPOAPIVersion))); err != nil {
			return nil, err
		}
		_ = ap.PipeE(yaml.SetField("kind", yaml.NewStringRNode("AppArmorProfile")))
		_ = ap.PipeE(yaml.SetField("metadata", yaml.NewMapRNode(&meta)))
		pol := yaml.NewStringRNode(p.Text)
		pol.YNode().Style = yaml.LiteralStyle
		spec := yaml.NewMapRNode(nil)
		_ = spec.PipeE(yaml.SetField("policy", pol))
		_ = ap.PipeE(yaml.SetField("spec", spec))
		if err := doc(ap); err != nil {
			return nil, err
		}
		for i, img := range p.Images {
			pb := yaml.NewMapRNode(nil)
			name := p.Name
			if len(p.Images) > 1 {
				name = fmt.Sprintf("%s-%d", p.Name, i)
			}
			bm := map[string]string{"name": strings.TrimSuffix(name, "-")}
			if p.Namespace != "" {
				bm["namespace"] = p.Namespace
			}
			_ = pb.PipeE(yaml.SetField("apiVersion", yaml.NewStringRNode(SPOAPIVersion)))
			_ = pb.PipeE(yaml.SetField("kind", yaml.NewStringRNode("ProfileBinding")))
			_ = pb.PipeE(yaml.SetField("metadata", yaml.NewMapRNode(&bm)))
			ref := map[string]string{"kind": "AppArmorProfile", "name": p.Name}
			bs := yaml.NewMapRNode(nil)
			_ = bs.PipeE(yaml.SetField("profileRef", yaml.NewMapRNode(&ref)))
			_ = bs.PipeE(yaml.SetField("image", yaml.NewStringRNode(img)))
			_ = pb.PipeE(yaml.SetField("spec", bs))
			if err := doc(pb); err != nil {
				return nil, err
			}
		}
	}
	return buf.Bytes(), nil
}

// SPOSeccompAPIVersion is the API version of the operator's
// SeccompProfile objects.
const SPOSeccompAPIVersion = "security-profiles-operator.x-k8s.io/v1beta1"

// SPOSeccomp renders a SeccompProfile object per generated seccomp
// profile: the operator writes each to operator/NAMESPACE/NAME.json in
// every node's kubelet seccomp directory, the path Options.SPO makes the
// hardened manifests reference. The spec is the profile itself.
func SPOSeccomp(profiles []SeccompProfile) ([]byte, error) {
	var buf bytes.Buffer
	for _, p := range profiles {
		// Decoded as YAML (JSON is YAML): numbers stay integers, where
		// encoding/json would make 0xffffffff a float.
		var spec map[string]any
		if err := yamlv3.Unmarshal(p.JSON, &spec); err != nil {
			return nil, err
		}
		obj := map[string]any{
			"apiVersion": SPOSeccompAPIVersion,
			"kind":       "SeccompProfile",
			"metadata":   map[string]any{"name": p.Name, "namespace": p.Namespace},
			"spec":       spec,
		}
		b, err := yamlv3.Marshal(obj)
		if err != nil {
			return nil, err
		}
		if buf.Len() > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}
