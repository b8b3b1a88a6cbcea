package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/k8syaml"
	"github.com/rampart-sec/rampart/internal/strictjson"
)

// isSPO reports whether body is a Security Profiles Operator
// SeccompProfile object (YAML or JSON) rather than a bare profile.
func isSPO(body []byte) bool {
	t := bytes.TrimSpace(body)
	// comments before the first key (a YAML file's header)
	for bytes.HasPrefix(t, []byte("#")) {
		_, rest, _ := bytes.Cut(t, []byte("\n"))
		t = bytes.TrimSpace(rest)
	}
	return bytes.Contains(t, []byte("SeccompProfile")) && (bytes.HasPrefix(t, []byte("apiVersion")) ||
		bytes.HasPrefix(t, []byte("kind")) || bytes.HasPrefix(t, []byte("---")) || bytes.Contains(t, []byte(`"kind"`)))
}

// spoObject is a SeccompProfile object as the operator's API reads it,
// for strictjson: the spec has an OCI profile's fields and the operator's
// own two.
type spoObject struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Metadata   any     `json:"metadata"`
	Status     any     `json:"status"`
	Spec       spoSpec `json:"spec"`
}

type spoSpec struct {
	strictProfile
	BaseProfileName string `json:"baseProfileName"`
	Disabled        any    `json:"disabled"`
}

// parseSPO reads the spec of a SeccompProfile object: the same fields as
// an OCI profile, in YAML. Its keys are held to the same rules as a JSON
// profile's (exact spelling, each once: the spec reaches the decoder as
// JSON). Errors are located in the YAML.
func parseSPO(plat Platform, name string, body []byte, bounding caps.Set) (*Profile, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	if err := k8syaml.Prepare(&root, body); err != nil {
		return nil, spoNodeError(name, err)
	}
	doc, err := strictjson.CheckYAML(&root, reflect.TypeFor[spoObject](), strictjson.Options{DisallowUnknown: true, Locate: true})
	if err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) {
			return nil, &Error{File: name, Line: se.Line, Col: se.Col, Field: se.Path, Err: se.Err}
		}
		return nil, &Error{File: name, Err: err}
	}
	// The object as the API server reads it (YAML 1.1: "names: [on]" is
	// [true], 0o17 is 15), not as yaml.v3 would: the operator installs
	// what the cluster was given. Numbers stay as written.
	budget := 1 << 20
	js, err := k8syaml.JSON(&root, nil, &budget)
	if err != nil {
		return nil, spoNodeError(name, err)
	}
	var obj struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Spec       map[string]any `json:"spec"`
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	if obj.Kind != "SeccompProfile" || !strings.HasPrefix(obj.APIVersion, "security-profiles-operator.x-k8s.io/") {
		return nil, &Error{File: name, Err: fmt.Errorf("kind %q apiVersion %q: want a Security Profiles Operator SeccompProfile", obj.Kind, obj.APIVersion)}
	}
	if obj.Spec == nil {
		return nil, &Error{File: name, Field: "spec", Err: errors.New("missing")}
	}
	if base, ok := obj.Spec["baseProfileName"]; ok {
		return nil, &Error{File: name, Field: "spec.baseProfileName", Err: fmt.Errorf("%v: base profiles live in the cluster; merge it into this spec to use it here", base)}
	}
	delete(obj.Spec, "disabled")
	// containers/common's errno names are no fields of the operator's
	// API: the API server prunes them, and the profile the operator
	// installs would answer with another errno than the one written.
	noName := func(path string) error {
		l, c := doc.Pos(path)
		return &Error{File: name, Line: l, Col: c, Field: path, Err: errors.New("an errno name is containers/common's field, not the Security Profiles Operator's: the API server drops it; write the number as errnoRet")}
	}
	if _, ok := obj.Spec["defaultErrno"]; ok {
		return nil, noName("spec.defaultErrno")
	}
	if rules, ok := obj.Spec["syscalls"].([]any); ok {
		for i, r := range rules {
			if m, ok := r.(map[string]any); ok && m["errno"] != nil {
				return nil, noName(fmt.Sprintf("spec.syscalls[%d].errno", i))
			}
		}
	}
	// The operator's errnoRet is a string ("38"); OCI's is a number.
	if rules, ok := obj.Spec["syscalls"].([]any); ok {
		for _, r := range rules {
			m, ok := r.(map[string]any)
			if !ok {
				continue
			}
			if v, ok := m["errnoRet"].(string); ok {
				n, err := strconv.ParseUint(v, 10, 32)
				if err != nil {
					return nil, &Error{File: name, Field: "spec.syscalls.errnoRet", Err: fmt.Errorf("%q is not a number", v)}
				}
				m["errnoRet"] = n
			}
		}
	}
	spec, err := json.Marshal(obj.Spec)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	p, err := parseAll(plat, name+" (spec)", spec, bounding)
	var pe *Error
	if errors.As(err, &pe) {
		// Re-locate in the YAML the user wrote.
		pe.File = name
		pe.Line, pe.Col = doc.Pos("spec." + pe.Field)
		switch v := quotedValue(pe.Err.Error()); {
		case pe.Line > 0: // found by its path
		case v != "":
			pe.Line, pe.Col = find(body, v)
		case pe.Field != "":
			pe.Line, pe.Col = find(body, pe.Field+":")
		}
		pe.Field = "spec." + pe.Field
		return nil, pe
	}
	if err != nil {
		return nil, err
	}
	// positions are the YAML's the user wrote, not those of the JSON
	// made from it
	p.Name, p.loc.doc, p.loc.prefix, p.loc.shown = name, doc, "spec.", "spec."
	return p, nil
}

// spoNodeError places an error of k8syaml's in the file.
func spoNodeError(name string, err error) error {
	var ne *k8syaml.NodeError
	if errors.As(err, &ne) && ne.Node != nil {
		return &Error{File: name, Line: ne.Node.Line, Col: ne.Node.Column, Field: strings.TrimPrefix(ne.Path, "."), Err: errors.New(ne.Msg)}
	}
	return &Error{File: name, Err: err}
}

// quotedValue extracts the first "..." of an error message.
func quotedValue(s string) string {
	i := strings.IndexByte(s, '"')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(s[i+1:], '"')
	if j < 0 {
		return ""
	}
	return s[i+1 : i+1+j]
}
