package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type inner struct {
	Name string         `json:"name"`
	Vals []uint         `json:"vals"`
	M    map[string]int `json:"m"`
}

type embedded struct {
	Deep   string `json:"deep"`
	Shadow string `json:"shadow"`
}

type doc struct {
	embedded
	Shadow   int     `json:"shadow"`
	Action   string  `json:"action"`
	Inner    *inner  `json:"inner"`
	List     []inner `json:"list"`
	Any      any     `json:"any"`
	Untagged string
	Ignored  string `json:"-"`
}

var docType = reflect.TypeFor[doc]()

func TestRefusals(t *testing.T) {
	for _, c := range []struct {
		name, body string
		unknown    bool
		want       string // the error's text; "" for none
	}{
		{"plain", `{"action":"a","inner":{"name":"n","m":{"x":1}},"deep":"d","Untagged":"u"}`, true, ""},
		{"case variant", `{"Action":"a"}`, false, `1:2: Action: key "Action" differs from "action" only in case`},
		{"case variant nested", "{\"list\":[{\"name\":\"a\"},\n  {\"NAME\":\"b\"}]}", false, `2:4: list[1].NAME: key "NAME" differs from "name"`},
		{"case variant promoted", `{"DEEP":"x"}`, false, `DEEP: key "DEEP" differs from "deep"`},
		{"unicode fold", `{"ſhadow":1}`, false, `key "ſhadow" differs from "shadow"`},
		{"untagged field", `{"untagged":"u"}`, false, `key "untagged" differs from "Untagged"`},
		{"duplicate", "{\"action\":\"deny\",\n\"action\":\"allow\"}", false, `2:1: action: key "action" written twice (first at 1:2)`},
		{"duplicate map key", `{"inner":{"m":{"x":1,"x":2}}}`, false, `inner.m.x: key "x" written twice`},
		{"duplicate in any", `{"any":{"a":{"b":1,"b":1}}}`, false, `any.a.b: key "b" written twice`},
		{"unknown allowed", `{"nope":1}`, false, ""},
		{"unknown refused", `{"inner":{"nope":1}}`, true, `1:11: inner.nope: unknown field`},
		{"ignored field is unknown", `{"Ignored":1}`, true, `Ignored: unknown field`},
		{"empty", "  \n", false, "the document is empty"},
		{"trailing data", `{"action":"a"} {}`, false, `1:16: data after the end of the document`},
		{"syntax", "{\"action\":\"a\",}", false, `1:15: invalid character '}'`},
		{"cut short", `{"action":`, false, `1:11: unexpected end of the document`},
		{"escaped key is the field", `{"\u0061ction":"a"}`, true, ""},
		{"escaped duplicate", `{"action":"a","\u0061ction":"b"}`, false, `key "action" written twice`},
		// 200 KB of "[" took minutes, each level building a longer path.
		{"null document", " null ", false, `1:2: want a JSON object, found <nil>`},
		{"array document", `[{"action":"a"}]`, false, `want a JSON object`},
		{"nested too deep", `{"any":` + strings.Repeat("[", 200000), false, `nested too deep`},
		{"nested deep enough", `{"any":` + strings.Repeat("[", 999) + strings.Repeat("]", 999) + `}`, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Check([]byte(c.body), docType, Options{DisallowUnknown: c.unknown})
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

func TestPositions(t *testing.T) {
	body := []byte("{\n  \"list\": [\n    {\"name\": \"a\", \"vals\": [1,\n 2]}\n  ]\n}")
	d, err := Check(body, docType, Options{Locate: true})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][2]int{"": {1, 1}, "list": {2, 11}, "list[0].name": {3, 14}, "list[0].vals[1]": {4, 2}} {
		if l, c := d.Pos(path); l != want[0] || c != want[1] {
			t.Errorf("%q at %d:%d, want %d:%d", path, l, c, want[0], want[1])
		}
	}
	if l, _ := d.Pos("nope"); l != 0 {
		t.Errorf("a path that is not there has a position")
	}
}

func TestYAML(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"plain", "action: a\nlist:\n- name: n\n", ""},
		{"case variant", "list:\n- Name: n\n", `2:3: list[0].Name: key "Name" differs from "name"`},
		{"duplicate", "action: a\naction: b\n", `2:1: action: key "action" written twice (first at 1:1)`},
		{"merge key", "any: &b {name: x}\ninner:\n  <<: *b\n", `3:3: inner: merge keys`},
		{"unknown", "inner: {nope: 1}\n", `1:9: inner.nope: unknown field`},
		{"alias followed", "any: &a {x: 1}\ninner: {m: *a}\n", ""},
		{"alias holding itself", "any: &a {m: *a}\n", ".m.m.m: nested too deep"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(c.body), &n); err != nil {
				t.Fatal(err)
			}
			_, err := CheckYAML(&n, docType, Options{DisallowUnknown: true})
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

func TestInFile(t *testing.T) {
	_, err := Check([]byte(`{"Action":1}`), docType, Options{})
	if got := InFile(err, "f.json").Error(); !strings.HasPrefix(got, "f.json:1:2: Action: ") {
		t.Fatalf("got %q", got)
	}
	_, err = Check(nil, docType, Options{})
	if got := InFile(err, "f.json").Error(); got != "f.json: the document is empty" || !errors.Is(err, ErrEmpty) {
		t.Fatalf("got %q", got)
	}
}

// FuzzCheck: whatever Check accepts, encoding/json decodes as a reader
// of the text would, field by field with exact names (refDecode, written
// here without Fields); and Check never accepts what is not JSON.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{"action":"a","inner":{"name":"n","vals":[1,2],"m":{"x":1}},"list":[{"name":"b"}],"deep":"d","shadow":3,"Untagged":"u","any":{"k":[1,{"z":null}]}}`,
		`{"Action":"a"}`, `{"action":"a","action":"b"}`, `{"ſhadow":1}`, `{"DEEP":"x","Shadow":2}`,
		`{"inner":{"NAME":"x"}}`, `[1,2]`, `"s"`, `{"list":[{"M":{"a":1}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := Check(b, docType, Options{}); err != nil {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
		var direct doc
		if err := json.Unmarshal(b, &direct); err != nil {
			return // a type error: the decoder's business
		}
		var tree any
		if err := json.Unmarshal(b, &tree); err != nil {
			t.Fatal(err)
		}
		var ref doc
		if err := refDecode(tree, reflect.ValueOf(&ref).Elem()); err != nil {
			return
		}
		if !reflect.DeepEqual(direct, ref) {
			t.Fatalf("%s\ndecoded   %+v\nas written %+v", b, direct, ref)
		}
	})
}

// refDecode fills v from a decoded JSON tree, matching struct fields by
// their exact JSON name (the shallowest promoted field winning), as a
// reader of the document would.
func refDecode(tree any, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer:
		if tree == nil {
			v.Set(reflect.Zero(v.Type()))
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return refDecode(tree, v.Elem())
	case reflect.Struct:
		m, ok := tree.(map[string]any)
		if !ok {
			if tree == nil {
				return nil
			}
			return errors.New("not an object")
		}
		for key, val := range m {
			f, ok := exactField(v.Type(), key)
			if !ok {
				continue
			}
			if err := refDecode(val, v.FieldByIndex(f.Index)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		a, ok := tree.([]any)
		if !ok {
			if tree == nil {
				v.Set(reflect.Zero(v.Type()))
				return nil
			}
			return errors.New("not an array")
		}
		s := reflect.MakeSlice(v.Type(), len(a), len(a))
		for i, e := range a {
			if err := refDecode(e, s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	}
	b, err := json.Marshal(tree)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v.Addr().Interface())
}

func exactField(t reflect.Type, key string) (reflect.StructField, bool) {
	var best reflect.StructField
	found := false
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key && (!found || len(f.Index) < len(best.Index)) {
			best, found = f, true
		}
	}
	return best, found
}

// FuzzCheckYAML: the YAML and the JSON checks agree. A YAML document
// CheckYAML accepts, converted to JSON as a Kubernetes client converts
// it, is accepted by Check: no key reaches the decoder that CheckYAML let
// pass and Check would refuse.
func FuzzCheckYAML(f *testing.F) {
	for _, s := range []string{
		"action: a\ninner:\n  name: n\n  vals: [1, 2]\n  m: {x: 1}\nlist:\n- name: b\ndeep: d\nUntagged: u\n",
		"Action: a\n", "action: a\naction: b\n", "any: &a {x: 1}\ninner: {m: *a}\n", "list:\n- NAME: x\n",
		"inner:\n  <<: {name: x}\n", "'action': \"a\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var n yaml.Node
		if yaml.Unmarshal(b, &n) != nil {
			return
		}
		if _, err := CheckYAML(&n, docType, Options{}); err != nil {
			return
		}
		var v any
		if n.Decode(&v) != nil {
			return
		}
		js, err := json.Marshal(v)
		if err != nil {
			return // keys that are not strings: no JSON object
		}
		if _, err := Check(js, docType, Options{}); err != nil {
			t.Fatalf("YAML accepted, its JSON refused: %v\n%s\n%s", err, b, js)
		}
	})
}

func TestHasKey(t *testing.T) {
	for body, want := range map[string]bool{
		`{"ociVersion": "1.2.0", "process": {}}`:             true,
		` {"a": {"ociVersion": 1}, "ociVersion": "x"}`:       true,
		`{"a": {"ociVersion": "1.2.0"}}`:                     false,
		`{"comment": "\"ociVersion\": written in a string"}`: false,
		`{"OciVersion": "1.2.0"}`:                            false,
		`["ociVersion"]`:                                     false,
		`{"ociVersion"`:                                      true,
		`ociVersion: 1`:                                      false,
	} {
		if got := HasKey([]byte(body), "ociVersion"); got != want {
			t.Errorf("%s: %v, want %v", body, got, want)
		}
	}
}
