package policy

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/doctest"
)

// policyDoc is the schema document of policy files.
const policyDoc = "../docs/policy-json.md"

// TestPolicyDoc keeps docs/policy-json.md true to the file format: every
// field of File and of the types it reaches has a row in its type's
// section, every row names a field the type still has, every value the
// decoder accepts for a kind or mode is named, and every example is a
// file Decode accepts.
func TestPolicyDoc(t *testing.T) {
	doc, _ := doctest.Check(t, policyDoc, reflect.TypeFor[File]())
	for _, v := range []string{Schema, string(SeccompUnconfined), string(SeccompRuntimeDefault), string(SeccompFile),
		string(AppArmorUnconfined), string(AppArmorRuntimeDefault), string(AppArmorLocalhost),
		string(DenyRead), string(DenyWrite), string(ReadOnly), string(Allow), "landlock", "ALL"} {
		if !strings.Contains(doc, "`"+v+"`") {
			t.Errorf("%s does not name `%s`", policyDoc, v)
		}
	}
	examples := doctest.JSONBlocks(doc)
	if len(examples) == 0 {
		t.Fatalf("%s: no ```json example", policyDoc)
	}
	for i, ex := range examples {
		if _, err := Decode("example", []byte(ex)); err != nil {
			t.Errorf("%s: example %d is refused: %v", policyDoc, i+1, err)
		}
	}
}
