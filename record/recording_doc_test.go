package record

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/internal/doctest"
)

// recordingDoc is the schema document of recording.json.
const recordingDoc = "../docs/recording-json.md"

// TestRecordingDoc keeps docs/recording-json.md true to the Go types:
// every JSON field of Recording and of every struct reachable from it
// has a row in the field table of its type's section, every field-like
// name in those tables is still a field of that type, and the example is
// a recording these types decode without unknown fields.
func TestRecordingDoc(t *testing.T) {
	doc, types := doctest.Check(t, recordingDoc, reflect.TypeFor[Recording]())

	if !strings.Contains(doc, Schema) {
		t.Errorf("%s does not name the schema %q", recordingDoc, Schema)
	}
	examples := doctest.JSONBlocks(doc)
	if len(examples) == 0 {
		t.Fatalf("%s: no ```json example", recordingDoc)
	}
	example := examples[0]
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
		if _, ok := keys[f.JSON]; !ok && !f.OmitEmpty {
			t.Errorf("%s: the example lacks `%s`, which every recording has", recordingDoc, f.JSON)
		}
	}
}
