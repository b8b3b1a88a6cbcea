package k8syaml

import (
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestKeysOfTwoTypes: two keys JSON spells alike but go-yaml keeps apart
// ("1" and 1) reach the API server in the order of a Go map, either one
// winning: the reading is refused, at the second key. Keys of one type
// stay a duplicate, the last one read.
func TestKeysOfTwoTypes(t *testing.T) {
	for _, tc := range []struct{ doc, err string }{
		{"m: {1: a, \"1\": b}\n", `keys "1" (line 1) and "1" are both "1" to the API server`},
		{"m: {true: a, yes: b}\n", ""},
		{"m: {\"true\": a, yes: b}\n", `keys "true" (line 1) and "yes" are both "true"`},
		{"m: {1.0: a, 1: b}\n", `both "1"`},
		{"a: &a {1: x}\nm: {<<: *a, \"1\": y}\n", `both "1"`},
		{"m: {0x1: a, 1: b}\n", ""},
	} {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(tc.doc), &root); err != nil {
			t.Fatal(err)
		}
		budget := 1 << 10
		_, err := JSON(&root, nil, &budget)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.doc, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: err %v, want %q", tc.doc, err, tc.err)
		}
	}
}

// TestKeysInLongMappings: a mapping past the length where keys are
// indexed, not scanned, reads as a short one: the last duplicate wins,
// and keys of two types that JSON spells alike are refused.
func TestKeysInLongMappings(t *testing.T) {
	for _, n := range []int{3, pairScan, pairScan + 1, 4 * pairScan} {
		var keys []string
		for i := range n {
			keys = append(keys, fmt.Sprintf("k%d: v%d", i, i))
		}
		head := "m: {" + strings.Join(keys, ", ")
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(head+", k1: last, yes: t, true: u}\n"), &root); err != nil {
			t.Fatal(err)
		}
		m := Lookup(root.Content[0], "m")
		if _, v := Child(m, "k1"); v == nil || v.Value != "last" {
			t.Errorf("%d keys: k1 is %v, want the last one written", n, v)
		}
		if _, v := Child(m, "true"); v == nil || v.Value != "u" {
			t.Errorf("%d keys: true is %v, want u (yes and true are one key)", n, v)
		}
		if _, v := Child(m, fmt.Sprintf("k%d", n-1)); v == nil || v.Value != fmt.Sprintf("v%d", n-1) {
			t.Errorf("%d keys: the last key written is %v", n, v)
		}
		var two yaml.Node
		if err := yaml.Unmarshal([]byte(head+", 1: a, \"1\": b}\n"), &two); err != nil {
			t.Fatal(err)
		}
		budget := 1 << 10
		if _, err := JSON(&two, nil, &budget); err == nil || !strings.Contains(err.Error(), `both "1"`) {
			t.Errorf("%d keys: 1 and \"1\": err %v", n, err)
		}
	}
}
