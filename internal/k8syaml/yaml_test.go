package k8syaml

import (
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
