// Package doctest holds a Markdown document that describes a JSON format
// to the Go types it describes, for tests: every JSON field of the root
// type and of every struct type it reaches has a row in the field table
// of its type's section ("## TypeName ..."), and every field-like row
// names a field the type still has. A format whose document can drift
// from its types is a format users cannot rely on.
package doctest

import (
	"encoding"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Field is one JSON field of a struct type.
type Field struct {
	JSON, Go  string
	OmitEmpty bool
	Type      reflect.Type
}

// StructFields are the fields encoding/json writes of struct type ty, in
// order, those of embedded structs promoted.
func StructFields(ty reflect.Type) []Field {
	var out []Field
	for f := range ty.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, StructFields(ft)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, Field{JSON: name, Go: f.Name, OmitEmpty: slices.Contains(strings.Split(opts, ","), "omitempty"), Type: f.Type})
	}
	return out
}

// Fields returns, by type name, the JSON fields of root and of every
// struct type its fields reach (through pointers, slices, arrays and
// maps; embedded structs are promoted, as encoding/json does), with the
// type names in the order they were reached. Types that marshal
// themselves (time.Time) are values, not objects of the format.
func Fields(t testing.TB, root reflect.Type) (map[string][]Field, []string) {
	t.Helper()
	types := map[string][]Field{}
	var order []string
	marshals := func(ty reflect.Type) bool {
		for _, i := range []reflect.Type{reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()} {
			if ty.Implements(i) || reflect.PointerTo(ty).Implements(i) {
				return true
			}
		}
		return false
	}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, at string) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Array || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || marshals(ty) {
			return
		}
		if ty.Name() == "" {
			t.Errorf("%s: an unnamed struct type; name it so that the document can give it a section", at)
			return
		}
		if _, done := types[ty.Name()]; done {
			return
		}
		types[ty.Name()] = nil
		order = append(order, ty.Name())
		for _, f := range StructFields(ty) {
			types[ty.Name()] = append(types[ty.Name()], f)
			walk(f.Type, ty.Name()+"."+f.Go)
		}
	}
	walk(root, root.Name())
	return types, order
}

// Table is the first column of the field tables under one "## " heading.
type Table struct {
	Heading string
	Line    map[string]int // backquoted names of the first column, with their line
}

var backquoted = regexp.MustCompile("`([^`]+)`")

// Tables reads the field tables of doc (tables whose header's first cell
// is "field"), by the first word of the "## " heading they are under:
// the Go type they describe. Code blocks are skipped.
func Tables(doc string) map[string]*Table {
	out := map[string]*Table{}
	var cur *Table
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
			word = strings.Trim(word, "`")
			cur = out[word]
			if cur == nil {
				cur = &Table{Heading: h, Line: map[string]int{}}
				out[word] = cur
			}
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
			cur.Line[m[1]] = i + 1
		}
	}
	return out
}

// JSONBlocks are the bodies of doc's ```json blocks.
func JSONBlocks(doc string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(doc, "```json\n")
		if !ok {
			return out
		}
		body, after, _ := strings.Cut(rest, "```")
		out = append(out, strings.TrimSpace(body))
		doc = after
	}
}

var fieldLooking = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)

// Check reads the document at path and holds its field tables to root's
// types both ways. It returns the document and the types, for the
// format's own checks (its examples, its enum values).
func Check(t testing.TB, path string, root reflect.Type) (string, map[string][]Field) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	types, order := Fields(t, root)
	tables := Tables(doc)
	for _, tn := range order {
		tab := tables[tn]
		if tab == nil {
			t.Errorf("%s: no section (## %s) with a field table for type %s", path, tn, tn)
			continue
		}
		for _, f := range types[tn] {
			if _, ok := tab.Line[f.JSON]; !ok {
				t.Errorf("%s: field `%s` (%s.%s) has no row in the field table of ## %s", path, f.JSON, tn, f.Go, tab.Heading)
			}
		}
	}
	for tn, tab := range tables {
		fields, known := types[tn]
		for name, line := range tab.Line {
			if !fieldLooking.MatchString(name) {
				continue
			}
			switch {
			case !known:
				t.Errorf("%s:%d: the field table under ## %s lists `%s`, but %s is no type of the format", path, line, tab.Heading, name, tn)
			case !hasField(fields, name):
				t.Errorf("%s:%d: the field table of ## %s lists `%s`, which %s no longer has", path, line, tab.Heading, name, tn)
			}
		}
	}
	return doc, types
}

func hasField(fields []Field, name string) bool {
	for _, f := range fields {
		if f.JSON == name {
			return true
		}
	}
	return false
}
