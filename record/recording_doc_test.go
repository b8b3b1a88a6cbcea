package record

import (
	"encoding"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// recordingDoc is the schema document of recording.json.
const recordingDoc = "../docs/recording-json.md"

// docField is one JSON field of a struct type reachable from Recording.
type docField struct {
	json, goName string
	omitempty    bool
}

// recordingTypes returns, by type name, the JSON fields of Recording and
// of every struct type its fields reach (through pointers, slices,
// arrays and maps), in declaration order. Types that marshal themselves
// (time.Time) are values, not objects of the schema.
func recordingTypes(t *testing.T) (map[string][]docField, []string) {
	t.Helper()
	types := map[string][]docField{}
	var order []string
	marshaler := reflect.TypeFor[json.Marshaler]()
	textMarshaler := reflect.TypeFor[encoding.TextMarshaler]()
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, at string) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Array || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || ty.Implements(marshaler) || ty.Implements(textMarshaler) ||
			reflect.PointerTo(ty).Implements(marshaler) || reflect.PointerTo(ty).Implements(textMarshaler) {
			return
		}
		if ty.Name() == "" {
			t.Errorf("%s: an unnamed struct type; name it so that %s can give it a section", at, recordingDoc)
			return
		}
		if _, done := types[ty.Name()]; done {
			return
		}
		types[ty.Name()] = nil
		order = append(order, ty.Name())
		var fields func(reflect.Type)
		fields = func(st reflect.Type) {
			for f := range st.Fields() {
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
						fields(ft) // promoted, as encoding/json flattens them
						continue
					}
				}
				if !f.IsExported() {
					continue
				}
				if name == "" {
					name = f.Name
				}
				types[ty.Name()] = append(types[ty.Name()], docField{json: name, goName: f.Name, omitempty: strings.Contains(","+opts+",", ",omitempty,")})
				walk(f.Type, ty.Name()+"."+f.Name)
			}
		}
		fields(ty)
	}
	walk(reflect.TypeFor[Recording](), "Recording")
	return types, order
}

var (
	backquoted   = regexp.MustCompile("`([^`]+)`")
	fieldLooking = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
)

// docTable is the first column of the field tables under one "## "
// heading of the document.
type docTable struct {
	heading string
	rows    map[string]bool // backquoted names in the first column
	line    map[string]int
}

// parseDocTables reads the field tables (a table whose header's first
// cell is "field") of the document, by the first word of the "## "
// heading they are under: the Go type they describe.
func parseDocTables(doc string) map[string]*docTable {
	out := map[string]*docTable{}
	var cur *docTable
	inCode, inFieldTable := false, false
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
			cur = &docTable{heading: h, rows: map[string]bool{}, line: map[string]int{}}
			if prev, dup := out[word]; dup {
				cur = prev
			}
			out[word] = cur
			inFieldTable = false
			continue
		}
		if !strings.HasPrefix(l, "|") {
			inFieldTable = false
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		first := strings.TrimSpace(cells[0])
		switch {
		case first == "field":
			inFieldTable = true
			continue
		case strings.Trim(first, "-: ") == "":
			continue // the separator row
		case !inFieldTable || cur == nil:
			continue
		}
		for _, m := range backquoted.FindAllStringSubmatch(first, -1) {
			cur.rows[m[1]] = true
			cur.line[m[1]] = i + 1
		}
	}
	return out
}

// TestRecordingDoc keeps docs/recording-json.md true to the Go types:
// every JSON field of Recording and of every struct reachable from it
// has a row in the field table of its type's section, every field-like
// name in those tables is still a field of that type, and the example is
// a recording these types decode without unknown fields.
func TestRecordingDoc(t *testing.T) {
	b, err := os.ReadFile(recordingDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	types, order := recordingTypes(t)
	tables := parseDocTables(doc)

	for _, tn := range order {
		tab := tables[tn]
		if tab == nil {
			t.Errorf("%s: no section (## %s) with a field table for type %s", recordingDoc, tn, tn)
			continue
		}
		for _, f := range types[tn] {
			if !tab.rows[f.json] {
				t.Errorf("%s: field `%s` (%s.%s) has no row in the field table of ## %s", recordingDoc, f.json, tn, f.goName, tab.heading)
			}
		}
	}
	for tn, tab := range tables {
		fields, known := types[tn]
		for name := range tab.rows {
			if !fieldLooking.MatchString(name) {
				continue
			}
			if !known {
				t.Errorf("%s:%d: field table under ## %s lists `%s`, but %s is no struct type of a Recording", recordingDoc, tab.line[name], tab.heading, name, tn)
				continue
			}
			if !hasField(fields, name) {
				t.Errorf("%s:%d: field table of ## %s lists `%s`, which %s no longer has", recordingDoc, tab.line[name], tab.heading, name, tn)
			}
		}
	}

	if !strings.Contains(doc, Schema) {
		t.Errorf("%s does not name the schema %q", recordingDoc, Schema)
	}
	example := firstJSONBlock(doc)
	if example == "" {
		t.Fatalf("%s: no ```json example", recordingDoc)
	}
	dec := json.NewDecoder(strings.NewReader(example))
	dec.DisallowUnknownFields()
	var rec Recording
	if err := dec.Decode(&rec); err != nil {
		t.Fatalf("%s: the example is no Recording: %v", recordingDoc, err)
	}
	if rec.Schema != Schema {
		t.Errorf("%s: the example's schema is %q, want %q", recordingDoc, rec.Schema, Schema)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(example), &keys); err != nil {
		t.Fatal(err)
	}
	for _, f := range types["Recording"] {
		if _, ok := keys[f.json]; !ok && !f.omitempty {
			t.Errorf("%s: the example lacks `%s`, which every recording has", recordingDoc, f.json)
		}
	}
}

func hasField(fields []docField, name string) bool {
	for _, f := range fields {
		if f.json == name {
			return true
		}
	}
	return false
}

// firstJSONBlock is the body of the document's first ```json block.
func firstJSONBlock(doc string) string {
	_, rest, ok := strings.Cut(doc, "```json\n")
	if !ok {
		return ""
	}
	body, _, _ := strings.Cut(rest, "```")
	return strings.TrimSpace(body)
}
