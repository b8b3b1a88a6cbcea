//go:build linux

package main

import (
	"os"
	"strings"
	"testing"
)

// undefinedMsg is rampart's own refusal of a misspelt variable, naming
// the flag and its value.
const undefinedMsg = `--deny-read "@{HOEM}/.ssh/**": variable @{HOEM} is not defined by <tunables/global>`

// Without apparmor_parser, rampart's own parser is the only judge of the
// profiles rampart generates: one a node could not load is refused, not
// written.
func TestGeneratedProfileJudgedWithoutParser(t *testing.T) {
	hideParser(t)
	t.Run("harden", func(t *testing.T) {
		out := t.TempDir()
		r := rampart(t, "", "harden", "--out", out, "--deny-read", "@{HOEM}/.ssh/**", "../../examples/seed/0-baseline.yaml")
		if r.code != 1 || !strings.Contains(r.stderr, undefinedMsg) {
			t.Fatalf("exit %d, want 1 and %q:\n%s", r.code, undefinedMsg, r.stderr)
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Errorf("harden wrote %v for a profile no node can load", entries)
		}
	})
	t.Run("apparmor generate", func(t *testing.T) {
		for _, inc := range []string{"bundled", "/etc/apparmor.d"} {
			r := rampart(t, "", "apparmor", "generate", "--includes", inc, "--deny-read", "@{HOEM}/.ssh/**")
			if r.code != 2 || !strings.Contains(r.stderr, undefinedMsg) || r.stdout != "" {
				t.Errorf("--includes %s: exit %d, want 2 and %q; stdout %q, stderr:\n%s", inc, r.code, undefinedMsg, r.stdout, r.stderr)
			}
		}
	})
}
