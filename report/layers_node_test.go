package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/layers"
)

// A matrix whose steps ran on cluster nodes names each step's node in
// every format that lists the steps; one from an engine without nodes
// says nothing of nodes.
func TestLayersNamesEachStepsNode(t *testing.T) {
	m := &layers.Matrix{Schema: layers.SchemaVersion, Policy: "p", Engine: "kubernetes", Gaps: []string{},
		Steps: []layers.Step{
			{Name: layers.Baseline, Describe: "root", Node: "node-a"},
			{Name: layers.PlusLSM, Layer: "lsm", Describe: "AppArmor profile x", Node: "node-b", Refused: "no"},
		},
		Rows: []layers.Row{{ID: "read-shadow", Title: "t", Cells: []layers.Cell{{Verdict: "open"}, {Verdict: layers.NotRun}}}},
	}
	for _, f := range []string{"table", "markdown", "html", "json"} {
		var b bytes.Buffer
		if err := Layers(&b, m, f, false); err != nil {
			t.Fatal(err)
		}
		want := []string{"root (on node node-a)", "AppArmor profile x (on node node-b)"}
		if f == "json" {
			want = []string{`"node": "node-a"`, `"node": "node-b"`}
		}
		for _, w := range want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: no %q in\n%s", f, w, b.String())
			}
		}
		m2 := *m
		m2.Steps = []layers.Step{{Name: layers.Baseline, Describe: "root"}}
		m2.Rows = []layers.Row{{ID: "read-shadow", Title: "t", Cells: []layers.Cell{{Verdict: "open"}}}}
		b.Reset()
		if err := Layers(&b, &m2, f, false); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "node") {
			t.Errorf("%s: a matrix without nodes speaks of one:\n%s", f, b.String())
		}
	}
}
