package policy

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// policyDoc is the schema document of policy files.
const policyDoc = "../docs/policy-json.md"

// fileTypes returns, by type name, the JSON field names of File and of
// every struct type its fields reach, in declaration order.
func fileTypes() (map[string][]string, []string) {
	types := map[string][]string{}
	var order []string
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct {
			return
		}
		if _, done := types[ty.Name()]; done {
			return
		}
		types[ty.Name()] = nil
		order = append(order, ty.Name())
		for f := range ty.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			types[ty.Name()] = append(types[ty.Name()], name)
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[File]())
	return types, order
}

var (
	backquoted   = regexp.MustCompile("`([^`]+)`")
	fieldLooking = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
)

// docRows reads the field tables of the document (tables whose header's
// first cell is "field") by the first word of the "## " heading they
// are under, the Go type they describe: backquoted names of the first
// column, with their line.
func docRows(doc string) map[string]map[string]int {
	out := map[string]map[string]int{}
	var cur map[string]int
	inCode, inTable := false, false
	for i, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, "```") {
			inCode = !inCode
			continue
		}
		if inCode {
			continue
		}
		if h, ok := strings.CutPrefix(l, "## "); ok {
			word, _, _ := strings.Cut(strings.TrimSpace(h), " ")
			cur = map[string]int{}
			out[strings.Trim(word, "`")] = cur
			inTable = false
			continue
		}
		if !strings.HasPrefix(l, "|") {
			inTable = false
			continue
		}
		first := strings.TrimSpace(strings.Split(strings.Trim(l, "|"), "|")[0])
		switch {
		case first == "field":
			inTable = true
			continue
		case strings.Trim(first, "-: ") == "" || !inTable || cur == nil:
			continue
		}
		for _, m := range backquoted.FindAllStringSubmatch(first, -1) {
			cur[m[1]] = i + 1
		}
	}
	return out
}

// jsonBlocks are the bodies of the document's ```json blocks.
func jsonBlocks(doc string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(doc, "```json\n")
		if !ok {
			return out
		}
		body, after, _ := strings.Cut(rest, "```")
		out = append(out, body)
		doc = after
	}
}

// TestPolicyDoc keeps docs/policy-json.md true to the file format: every
// field of File and of the types it reaches has a row in its type's
// section, every row names a field the type still has, every value the
// decoder accepts for a kind or mode is named, and every example is a
// file Decode accepts.
func TestPolicyDoc(t *testing.T) {
	b, err := os.ReadFile(policyDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	types, order := fileTypes()
	rows := docRows(doc)
	for _, tn := range order {
		tab := rows[tn]
		if tab == nil {
			t.Errorf("%s: no section (## %s) with a field table for type %s", policyDoc, tn, tn)
			continue
		}
		for _, f := range types[tn] {
			if _, ok := tab[f]; !ok {
				t.Errorf("%s: field `%s` of %s has no row under ## %s", policyDoc, f, tn, tn)
			}
		}
	}
	for tn, tab := range rows {
		fields, known := types[tn]
		for name, line := range tab {
			if !fieldLooking.MatchString(name) {
				continue
			}
			switch {
			case !known:
				t.Errorf("%s:%d: the table under ## %s lists `%s`, but %s is no type of the file", policyDoc, line, tn, name, tn)
			case !contains(fields, name):
				t.Errorf("%s:%d: the table under ## %s lists `%s`, which %s no longer has", policyDoc, line, tn, name, tn)
			}
		}
	}
	for _, v := range []string{Schema, string(SeccompUnconfined), string(SeccompRuntimeDefault), string(SeccompFile),
		string(AppArmorUnconfined), string(AppArmorRuntimeDefault), string(AppArmorLocalhost),
		string(DenyRead), string(DenyWrite), string(ReadOnly), string(Allow), "landlock", "ALL"} {
		if !strings.Contains(doc, "`"+v+"`") {
			t.Errorf("%s does not name `%s`", policyDoc, v)
		}
	}
	examples := jsonBlocks(doc)
	if len(examples) == 0 {
		t.Fatalf("%s: no ```json example", policyDoc)
	}
	for i, ex := range examples {
		if _, err := Decode("example", []byte(ex)); err != nil {
			t.Errorf("%s: example %d is refused: %v", policyDoc, i+1, err)
		}
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
