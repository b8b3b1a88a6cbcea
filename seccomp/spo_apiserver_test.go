package seccomp

import (
	"bytes"
	"fmt"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/k8syaml/k8syamltest"
)

// TestSPOReadsAsAPIServer: a SeccompProfile object is read as the API
// server reads it, whatever the written form of its values: the rules
// rampart loads from the YAML are those it loads from the JSON the API
// server makes of it (sigs.k8s.io/yaml, YAML 1.1), and the YAML is
// refused wherever that JSON cannot be made or is refused. It used to be
// read by yaml.v3 alone, so "value: ! 1" (the string "1", which the
// operator's schema refuses) loaded as the number 1.
func TestSPOReadsAsAPIServer(t *testing.T) {
	const head = "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: x}\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n"
	places := []struct{ name, rule string }{
		{"names", "  - action: SCMP_ACT_ERRNO\n    names:\n    - %s\n"},
		{"action", "  - names: [unshare]\n    action: %s\n"},
		{"errnoRet", "  - names: [unshare]\n    action: SCMP_ACT_ERRNO\n    errnoRet: %s\n"},
		{"args.value", "  - names: [personality]\n    action: SCMP_ACT_ERRNO\n    args:\n    - index: 0\n      op: SCMP_CMP_EQ\n      value: %s\n"},
	}
	forms := append([]string{"unshare", "SCMP_ACT_ERRNO", "'38'", "!!binary U0NNUF9BQ1RfTE9H", "! 38", "! 0x8"}, k8syamltest.Scalars...)
	for _, pl := range places {
		for _, form := range forms {
			indent := 6
			if pl.name == "args.value" {
				indent = 8
			}
			body := []byte(head + fmt.Sprintf(pl.rule, k8syamltest.At(indent, form)))
			got, err := Parse("spo.yaml", body, caps.Full)
			js, jerr := yaml.YAMLToJSON(body)
			var want *Profile
			if jerr == nil {
				want, jerr = Parse("spo.json", js, caps.Full)
			}
			switch {
			case jerr != nil && err == nil:
				t.Errorf("%s %q: read, but the API server's reading is refused (%v)", pl.name, form, jerr)
			case jerr == nil && err != nil:
				t.Errorf("%s %q: refused (%v), but the API server's reading loads", pl.name, form, err)
			case jerr == nil:
				g, _ := got.JSON()
				w, _ := want.JSON()
				if !bytes.Equal(g, w) {
					t.Errorf("%s %q: loads\n%s\nthe API server's reading loads\n%s", pl.name, form, g, w)
				}
			}
		}
	}
}
