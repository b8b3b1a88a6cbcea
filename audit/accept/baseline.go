package accept

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"

	"github.com/rampart-sec/rampart/internal/atomicfile"
	"github.com/rampart-sec/rampart/internal/strictjson"
)

// BaselineSchema marks a baseline file: a file of another kind (or of a
// later format) is refused rather than read as an empty baseline, which
// would make every finding new, or as a full one.
const BaselineSchema = "rampart.dev/audit-baseline/v1"

// Baseline is the findings of an earlier audit, by fingerprint (the
// SARIF partialFingerprints rampart writes): findings in it are known,
// and only new ones fail a gate.
type Baseline struct {
	File string
	set  map[string]bool
}

type baselineFile struct {
	Schema       string   `json:"schema"`
	Fingerprints []string `json:"fingerprints"`
}

// Has says whether the baseline holds a fingerprint.
func (b *Baseline) Has(fp string) bool { return b != nil && b.set[fp] }

// ReadBaseline reads a baseline strictly: unknown keys, keys written
// twice and a missing or other schema are refused, at their position.
func ReadBaseline(name string) (*Baseline, error) {
	body, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	doc, err := strictjson.Check(body, reflect.TypeFor[baselineFile](), strictjson.Options{DisallowUnknown: true, Locate: true})
	if err != nil {
		return nil, strictjson.InFile(err, name)
	}
	var f baselineFile
	if err := json.Unmarshal(body, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if f.Schema != BaselineSchema {
		l, c := doc.Pos("schema")
		return nil, &Error{File: name, Line: l, Col: c, Field: "schema", Err: fmt.Errorf("%q: want %q (a file of rampart audit --write-baseline)", f.Schema, BaselineSchema)}
	}
	b := &Baseline{File: name, set: map[string]bool{}}
	for _, fp := range f.Fingerprints {
		if fp == "" {
			return nil, &Error{File: name, Field: "fingerprints", Err: errors.New("an empty fingerprint")}
		}
		b.set[fp] = true
	}
	return b, nil
}

// WriteBaseline writes fingerprints as a baseline file, sorted and each
// once (a diff of two baselines is a diff of findings), atomically.
func WriteBaseline(name string, fps []string) error {
	fps = slices.Compact(slices.Sorted(slices.Values(fps)))
	if fps == nil {
		fps = []string{}
	}
	body, err := json.MarshalIndent(baselineFile{Schema: BaselineSchema, Fingerprints: fps}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(name, append(body, '\n'), 0o644)
}
