package harden

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// SPOAPIVersion is the Security Profiles Operator API group version of
// the objects SPO emits (AppArmorProfile and ProfileBinding are
// v1alpha1 in the operator's CRDs).
const SPOAPIVersion = "security-profiles-operator.x-k8s.io/v1alpha1"

// SPOAbstract is an AppArmor profile in the only form the operator's
// AppArmorProfile holds: allow-lists (spec.abstract), from which the
// operator writes the profile itself. It has no deny rules, so a profile
// that works by denying paths cannot travel through the operator.
type SPOAbstract struct {
	Executables, Libraries         []string
	ReadOnly, WriteOnly, ReadWrite []string
	AllowRaw, AllowTCP, AllowUDP   bool
	Capabilities                   []string // lower case, no CAP_ (net_bind_service)
}

// SPO renders Security Profiles Operator objects for the profiles that
// have an allow-list form (Profile.Abstract): an AppArmorProfile (so the
// operator loads it on every node) and a ProfileBinding per container
// image using it (for pods created without the hardened securityContext,
// in namespaces labelled spo.x-k8s.io/enable-binding). Objects go to the
// workload's namespace when it names one. Profiles without that form are
// left out: SPOSkipped names them.
func SPO(profiles []Profile) ([]byte, error) {
	var docs []any
	for _, p := range profiles {
		if p.Abstract == nil {
			continue
		}
		meta := map[string]any{"name": p.Name}
		if p.Namespace != "" {
			meta["namespace"] = p.Namespace
		}
		docs = append(docs, map[string]any{
			"apiVersion": SPOAPIVersion, "kind": "AppArmorProfile", "metadata": meta,
			"spec": map[string]any{"abstract": abstractSpec(p.Abstract)},
		})
		for i, img := range p.Images {
			name := p.Name
			if len(p.Images) > 1 {
				name = fmt.Sprintf("%s-%d", p.Name, i)
			}
			bm := map[string]any{"name": strings.TrimSuffix(name, "-")}
			if p.Namespace != "" {
				bm["namespace"] = p.Namespace
			}
			docs = append(docs, map[string]any{
				"apiVersion": SPOAPIVersion, "kind": "ProfileBinding", "metadata": bm,
				"spec": map[string]any{"profileRef": map[string]any{"kind": "AppArmorProfile", "name": p.Name}, "image": img},
			})
		}
	}
	return yamlDocs(docs)
}

// SPOSkipped names the profiles SPO leaves out, with why.
func SPOSkipped(profiles []Profile) []string {
	var out []string
	for _, p := range profiles {
		if p.Abstract == nil {
			out = append(out, p.Name+": its rules deny paths, and the operator's AppArmorProfile holds allow-lists only (spec.abstract); load the file with apparmor_parser on each node instead")
		}
	}
	return out
}

func abstractSpec(a *SPOAbstract) map[string]any {
	spec := map[string]any{}
	put := func(m map[string]any, k string, v []string) {
		if len(v) > 0 {
			m[k] = v
		}
	}
	ex := map[string]any{}
	put(ex, "allowedExecutables", a.Executables)
	put(ex, "allowedLibraries", a.Libraries)
	if len(ex) > 0 {
		spec["executable"] = ex
	}
	fs := map[string]any{}
	put(fs, "readOnlyPaths", a.ReadOnly)
	put(fs, "writeOnlyPaths", a.WriteOnly)
	put(fs, "readWritePaths", a.ReadWrite)
	if len(fs) > 0 {
		spec["filesystem"] = fs
	}
	// Unset network rules would leave the operator's defaults; every
	// field is written so that what was not recorded is refused.
	spec["network"] = map[string]any{"allowRaw": a.AllowRaw,
		"allowedProtocols": map[string]any{"allowTcp": a.AllowTCP, "allowUdp": a.AllowUDP}}
	if len(a.Capabilities) > 0 {
		spec["capability"] = map[string]any{"allowedCapabilities": a.Capabilities}
	}
	return spec
}

// yamlDocs renders objects as one multi-document YAML stream.
func yamlDocs(docs []any) ([]byte, error) {
	var buf bytes.Buffer
	for _, d := range docs {
		b, err := yamlv3.Marshal(d)
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

// spoSeccompSpec adapts an OCI profile to the operator's SeccompProfile
// spec, which differs in two fields: it has no defaultErrnoRet (an ERRNO
// default returns EPERM, as runc's does without one) and its per-rule
// errnoRet is a string. Anything else would be rejected or, worse,
// pruned by the CRD's schema.
func spoSeccompSpec(spec map[string]any) error {
	if v, ok := spec["defaultErrnoRet"]; ok {
		if v != int64(1) {
			return fmt.Errorf("defaultErrnoRet %v: the operator's SeccompProfile can only return EPERM by default", v)
		}
		delete(spec, "defaultErrnoRet")
	}
	rules, _ := spec["syscalls"].([]any)
	for _, r := range rules {
		if m, ok := r.(map[string]any); ok {
			if v, ok := m["errnoRet"]; ok {
				m["errnoRet"] = fmt.Sprint(v)
			}
		}
	}
	return nil
}

// SPOSeccompAPIVersion is the API version of the operator's
// SeccompProfile objects.
const SPOSeccompAPIVersion = "security-profiles-operator.x-k8s.io/v1beta1"

// SPOSeccomp renders a SeccompProfile object per generated seccomp
// profile: the operator writes each to operator/NAMESPACE/NAME.json in
// every node's kubelet seccomp directory, the path Options.SPO makes the
// hardened manifests reference. The spec is the profile itself.
func SPOSeccomp(profiles []SeccompProfile) ([]byte, error) {
	var docs []any
	for _, p := range profiles {
		spec, err := jsonObject(p.JSON)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		if err := spoSeccompSpec(spec); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		docs = append(docs, map[string]any{
			"apiVersion": SPOSeccompAPIVersion,
			"kind":       "SeccompProfile",
			"metadata":   map[string]any{"name": p.Name, "namespace": p.Namespace},
			"spec":       spec,
		})
	}
	return yamlDocs(docs)
}

// jsonObject decodes a JSON object with its numbers as integers where
// they are (int64, else uint64; float64 otherwise): encoding/json alone
// would make 0xffffffff a float, and the YAML written from it 4.294967295e+09.
func jsonObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	var fix func(v any) any
	fix = func(v any) any {
		switch v := v.(type) {
		case json.Number:
			if i, err := v.Int64(); err == nil {
				return i
			}
			if u, err := strconv.ParseUint(v.String(), 10, 64); err == nil {
				return u
			}
			f, _ := v.Float64()
			return f
		case map[string]any:
			for k, x := range v {
				v[k] = fix(x)
			}
		case []any:
			for i, x := range v {
				v[i] = fix(x)
			}
		}
		return v
	}
	fix(m)
	return m, nil
}
