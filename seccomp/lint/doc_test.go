package lint

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/doctest"
)

// lintDoc is the schema document of `seccomp lint -o json`.
const lintDoc = "../../docs/seccomp-lint-json.md"

// TestLintDoc keeps docs/seccomp-lint-json.md true to the Go types:
// every JSON field of Report and of every struct reachable from it has a
// row in the field table of its type's section ("## Type"), every row
// names a field the type still has, and the example is a Report these
// types decode without unknown fields, with every field that is never
// omitted.
func TestLintDoc(t *testing.T) {
	doc, types := doctest.Check(t, lintDoc, reflect.TypeFor[Report]())
	if !strings.Contains(doc, Schema) {
		t.Errorf("%s does not name the schema %q", lintDoc, Schema)
	}
	examples := doctest.JSONBlocks(doc)
	if len(examples) == 0 {
		t.Fatalf("%s: no ```json example", lintDoc)
	}
	example := examples[0]
	dec := json.NewDecoder(strings.NewReader(example))
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("%s: the example is no Report: %v", lintDoc, err)
	}
	if r.Schema != Schema || len(r.Profiles) == 0 || len(r.Profiles[0].Findings) == 0 || len(r.Profiles[0].Findings[0].Variants) == 0 {
		t.Fatalf("%s: the example lacks a finding with a variant", lintDoc)
	}
	// every field that is never omitted is in the example
	var keys func(v any, ty reflect.Type)
	keys = func(v any, ty reflect.Type) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for _, f := range types[ty.Name()] {
			if _, ok := m[f.JSON]; !ok && !f.OmitEmpty {
				t.Errorf("%s: the example's %s lacks `%s`, which is always written", lintDoc, ty.Name(), f.JSON)
			}
		}
	}
	var raw map[string]any
	json.Unmarshal([]byte(example), &raw)
	keys(raw, reflect.TypeFor[Report]())
	p := raw["profiles"].([]any)[0]
	keys(p, reflect.TypeFor[Result]())
	f := p.(map[string]any)["findings"].([]any)[0]
	keys(f, reflect.TypeFor[Finding]())
	v := f.(map[string]any)["variants"].([]any)[0]
	keys(v, reflect.TypeFor[Variant]())
	keys(v.(map[string]any)["refused"], reflect.TypeFor[Call]())
}
