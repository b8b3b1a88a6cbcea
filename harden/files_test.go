package harden

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesRun: a Go caller gets what rampart harden does: the hardened
// manifest and its profile on disk, a note per file, a failing file
// counted while the others are written, and a run whose two inputs would
// land on one file refused before anything is written.
func TestFilesRun(t *testing.T) {
	seed, err := os.ReadFile(seedBaseline)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"a/deploy.yaml": seed, "b/deploy.yaml": seed, "bad.yaml": []byte("kind: Pod\nspec: {containers: [\n")} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var notes []string
	out := filepath.Join(dir, "out")
	j := Files{OutDir: out, Note: func(s string) { notes = append(notes, s) }}
	if _, _, err := j.Run([]string{dir}); err == nil || !strings.Contains(err.Error(), "would both be written to "+filepath.Join(out, "deploy.yaml")) {
		t.Fatalf("two deploy.yaml into one --out: err %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused run wrote its output directory")
	}

	j = Files{Options: Options{AssumeNonRoot: true}, Note: func(s string) { notes = append(notes, s) }}
	failed, total, err := j.Run([]string{filepath.Join(dir, "a"), filepath.Join(dir, "bad.yaml")})
	if err != nil || failed != 1 || total != 2 {
		t.Fatalf("Run: %d of %d failed, err %v; notes %q", failed, total, err, notes)
	}
	hardened, err := os.ReadFile(filepath.Join(dir, "a", "deploy.hardened.yaml"))
	if err != nil || !bytes.Contains(hardened, []byte("localhostProfile: rampart-flask-app-flask")) {
		t.Fatalf("hardened manifest (%v):\n%s", err, hardened)
	}
	if _, err := os.Stat(filepath.Join(dir, "a", "rampart-flask-app-flask")); err != nil {
		t.Errorf("the profile the manifest names: %v", err)
	}
	all := strings.Join(notes, "\n")
	for _, want := range []string{filepath.Join(dir, "a", "deploy.yaml") + " -> " + filepath.Join(dir, "a", "deploy.hardened.yaml"), "bad.yaml"} {
		if !strings.Contains(all, want) {
			t.Errorf("notes lack %q:\n%s", want, all)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.hardened.yaml")); err == nil {
		t.Error("the failing file's manifest was written")
	}
}
