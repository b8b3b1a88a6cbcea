package lint

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// lintDoc is the schema document of `seccomp lint -o json`.
const lintDoc = "../../docs/seccomp-lint-json.md"

var backquoted = regexp.MustCompile("`([^`]+)`")

// TestLintDoc keeps docs/seccomp-lint-json.md true to the Go types:
// every JSON field of Report and of every struct reachable from it has a
// row in the field table of its type's section ("## Type"), every row
// names a field the type still has, and the example is a Report these
// types decode without unknown fields, with every field that is never
// omitted.
func TestLintDoc(t *testing.T) {
	b, err := os.ReadFile(lintDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	types := map[string]map[string]bool{} // type -> json fields
	omit := map[string]map[string]bool{}
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Array || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || types[ty.Name()] != nil {
			return
		}
		types[ty.Name()], omit[ty.Name()] = map[string]bool{}, map[string]bool{}
		for f := range ty.Fields() {
			tag := f.Tag.Get("json")
			if tag == "-" || !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			types[ty.Name()][name] = true
			omit[ty.Name()][name] = strings.Contains(opts, "omitempty")
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[Report]())
	// the field tables, by the heading they are under
	rows := map[string]map[string]bool{}
	var cur string
	inCode := false
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, "```") {
			inCode = !inCode
			continue
		}
		if inCode {
			continue
		}
		if h, ok := strings.CutPrefix(l, "## "); ok {
			cur = strings.TrimSpace(h)
			rows[cur] = map[string]bool{}
			continue
		}
		if cur == "" || !strings.HasPrefix(l, "| `") {
			continue
		}
		first := strings.Split(strings.Trim(l, "|"), "|")[0]
		for _, m := range backquoted.FindAllStringSubmatch(first, -1) {
			rows[cur][m[1]] = true
		}
	}
	for tn, fields := range types {
		if rows[tn] == nil {
			t.Errorf("%s: no section ## %s for type %s", lintDoc, tn, tn)
			continue
		}
		for f := range fields {
			if !rows[tn][f] {
				t.Errorf("%s: field `%s` of %s has no row under ## %s", lintDoc, f, tn, tn)
			}
		}
		for f := range rows[tn] {
			if !fields[f] {
				t.Errorf("%s: ## %s lists `%s`, which %s does not have", lintDoc, tn, f, tn)
			}
		}
	}
	for h := range rows {
		if types[h] == nil {
			t.Errorf("%s: ## %s is no type of the report", lintDoc, h)
		}
	}
	if !strings.Contains(doc, Schema) {
		t.Errorf("%s does not name the schema %q", lintDoc, Schema)
	}
	_, rest, _ := strings.Cut(doc, "```json\n")
	example, _, _ := strings.Cut(rest, "```")
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
		for f := range types[ty.Name()] {
			if _, ok := m[f]; !ok && !omit[ty.Name()][f] {
				t.Errorf("%s: the example's %s lacks `%s`, which is always written", lintDoc, ty.Name(), f)
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
