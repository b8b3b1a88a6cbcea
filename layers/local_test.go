package layers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/policy"
)

// A step probed by a program of another build (a stale rampart-run
// beside rampart) is refused: its catalog is not this rampart's, and
// its rows would be taken for this one's.
func TestLocalStepOfAnotherBuild(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "rampart-run")
	report := `{"schema": "rampart.probe/v1", "rampartVersion": "0.0.1-another", "results": []}`
	if err := os.WriteFile(other, []byte("#!/bin/sh\necho '"+report+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	l := &Local{Self: other, Dir: dir}
	_, _, err := l.Probe(context.Background(), Step{Name: "baseline", Policy: &policy.Policy{}}, nil)
	if err == nil || !strings.Contains(err.Error(), "rampart 0.0.1-another, not this rampart") {
		t.Fatalf("a step of another build: %v", err)
	}
}
