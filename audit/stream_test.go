package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

// streamInput is the seed, several documents in one file (one of them
// unreadable) and a missing file: every kind of piece Stream handles.
func streamInput(t *testing.T) []string {
	return []string{seedDir, "testdata/stream/multi.yaml", filepath.Join(t.TempDir(), "missing.yaml")}
}

// TestStreamEqualsFiles: Stream emits, in order, the workloads Files
// keeps, and ends with the same errors, summary and --fail-on answers.
func TestStreamEqualsFiles(t *testing.T) {
	a, err := New(Node{AppArmor: true, ProfilesDir: seedDir})
	if err != nil {
		t.Fatal(err)
	}
	args := streamInput(t)
	whole := a.Files(args)
	var got []Workload
	r, err := a.Stream(args, 0, func(w *Workload) error {
		got = append(got, *w)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Workloads) != 0 {
		t.Errorf("Stream kept %d workloads", len(r.Workloads))
	}
	r.Workloads = got
	a1, _ := json.Marshal(whole)
	a2, _ := json.Marshal(r)
	if !bytes.Equal(a1, a2) {
		t.Errorf("Stream and Files differ:\n%s\n%s", a1, a2)
	}
	if len(got) != 7 || r.Summary.Errors != 2 || r.Summary.Files != 5 {
		t.Errorf("%d workloads, summary %+v", len(got), r.Summary)
	}
	r.Workloads = nil
	for _, on := range []string{FailOpenPath, FailBaseline, FailRestricted} {
		if r.Failed(on) != whole.Failed(on) || !r.Failed(on) {
			t.Errorf("Failed(%s): streamed %v, whole %v", on, r.Failed(on), whole.Failed(on))
		}
	}
	// emit's error stops the audit.
	stop := errors.New("stop")
	n := 0
	if _, err := a.Stream(args, 0, func(*Workload) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("Stream after emit failed: %v, %d workloads emitted", err, n)
	}
}
