package apparmor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ratchet holds a list of known disagreements with apparmor_parser, one
// "NAME\tVERDICT" per line, which may only shrink: a disagreement not on
// it fails the test (a regression), and so does a listed one that now
// agrees.
type ratchet struct {
	path   string // the list
	header string // its comment lines, each ending in a newline
	flag   string // the -args flag that rewrites it
	// counts says whether a listed name is judged in this run (nil: all);
	// names it does not judge are neither regressions nor fixed.
	counts func(name string) bool
}

// check compares got ("NAME\tVERDICT" lines) with the list, or rewrites
// the list when update is set. detail gives a name's reason.
func (r ratchet) check(t *testing.T, got []string, detail map[string]string, update bool) {
	t.Helper()
	if update {
		body := r.header
		for _, g := range got {
			body += g + "\n"
		}
		if err := os.MkdirAll(filepath.Dir(r.path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(r.path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(r.path)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			known[l] = true
		}
	}
	for _, g := range got {
		if !known[g] {
			name, _, _ := strings.Cut(g, "\t")
			t.Errorf("%s: rampart now disagrees with apparmor_parser: %s", name, detail[name])
		}
		delete(known, g)
	}
	for k := range known {
		name, _, _ := strings.Cut(k, "\t")
		if r.counts != nil && !r.counts(name) {
			continue
		}
		t.Errorf("%s: rampart now agrees with apparmor_parser; take it off %s (-args -%s)", name, r.path, r.flag)
	}
}
