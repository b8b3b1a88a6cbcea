//go:build linux

package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/audit"
)

// TestAuditSummary: --summary writes the same summary, errors and exit
// status as the whole report, no workload, and per namespace the counts
// of the whole report's workloads in that namespace; table's summary
// lines are the whole table's. Formats without a place for counts are
// refused before any work.
func TestAuditSummary(t *testing.T) {
	args := []string{auditSeed, "../../audit/testdata/stream/multi.yaml", "--fail-on", "open-path"}
	for _, d := range []string{"../../../shared/corpus/manifests", "/work/shared/corpus/manifests"} {
		if _, err := os.Stat(d); err == nil {
			args = append([]string{d}, args...)
			break
		}
	}
	run := func(extra ...string) (result, audit.Report) {
		t.Helper()
		r := rampart(t, "", append(append([]string{"audit"}, args...), extra...)...)
		var rep audit.Report
		if extra[1] == "json" {
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("%v: %v", extra, err)
			}
		}
		return r, rep
	}
	wholeRun, whole := run("-o", "json")
	sumRun, sum := run("-o", "json", "--summary")
	if wholeRun.code != 1 || sumRun.code != wholeRun.code || sumRun.stderr != wholeRun.stderr {
		t.Errorf("exit %d, stderr %q; with --summary exit %d, stderr %q", wholeRun.code, wholeRun.stderr, sumRun.code, sumRun.stderr)
	}
	if len(sum.Workloads) != 0 || sum.Workloads == nil {
		t.Errorf("--summary wrote %d workloads (nil: %v), want []", len(sum.Workloads), sum.Workloads == nil)
	}
	if whole.Summary.Namespaces != nil {
		t.Errorf("-o json without --summary has namespaces: %v", whole.Summary.Namespaces)
	}
	byNS := sum.Summary.Namespaces
	sum.Summary.Namespaces = nil
	if !reflect.DeepEqual(sum.Summary, whole.Summary) || !reflect.DeepEqual(sum.Errors, whole.Errors) || len(whole.Errors) == 0 {
		t.Errorf("--summary's summary and errors differ from the whole report's:\n%+v\n%+v\n%v\n%v", sum.Summary, whole.Summary, sum.Errors, whole.Errors)
	}
	want := map[string]*audit.Counts{}
	for _, w := range whole.Workloads {
		n := want[w.Namespace]
		if n == nil {
			n = &audit.Counts{OpenPaths: map[string]int{}, PSSLevels: map[string]int{}}
			want[w.Namespace] = n
		}
		n.Objects++
		n.PSSLevels[w.PSS.Level]++
		for _, c := range w.Containers {
			n.Containers++
			if len(c.Open) > 0 {
				n.WithOpen++
			}
			for _, id := range c.Open {
				n.OpenPaths[id]++
			}
		}
	}
	if len(want) < 2 || !reflect.DeepEqual(byNS, want) {
		t.Errorf("namespaces: got %d, want %d from the workloads", len(byNS), len(want))
		for ns, n := range want {
			if !reflect.DeepEqual(byNS[ns], n) {
				t.Errorf("namespace %q: got %+v, want %+v", ns, byNS[ns], n)
			}
		}
	}

	// The table: the whole table's closing lines (errors, summary), then
	// the open paths and a line per namespace.
	table, _ := run("-o", "table")
	sumTable, _ := run("-o", "table", "--summary")
	closing := table.stdout[strings.LastIndex(table.stdout, "\n\n")+2:]
	rest, ok := strings.CutPrefix(sumTable.stdout, closing)
	if !ok || sumTable.code != table.code {
		t.Fatalf("--summary's table (exit %d) does not start with the whole table's closing lines (exit %d):\n%s\nwant:\n%s", sumTable.code, table.code, sumTable.stdout, closing)
	}
	lines := strings.Split(strings.TrimSuffix(rest, "\n"), "\n")
	if len(lines) != 1+len(want) || !strings.HasPrefix(lines[0], "open paths: ") {
		t.Errorf("after the summary: %d lines, want the open paths and %d namespaces:\n%s", len(lines), len(want), rest)
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "namespace ") {
			t.Errorf("not a namespace's line: %q", l)
		}
	}

	for _, format := range []string{"sarif", "junit"} {
		r := rampart(t, "", "audit", "-o", format, "--summary", auditSeed)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, `--summary: -o "`+format+`": want table or json`) {
			t.Errorf("-o %s --summary: exit %d, stdout %d bytes, stderr %q; want a usage error", format, r.code, len(r.stdout), r.stderr)
		}
	}
}
