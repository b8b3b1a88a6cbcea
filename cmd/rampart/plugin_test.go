//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Called as kubectl-rampart (as kubectl runs a plugin), rampart's help
// and usage say "kubectl rampart"; under its own name, "rampart".
func TestKubectlPluginName(t *testing.T) {
	link := filepath.Join(t.TempDir(), PluginName)
	if err := os.Symlink(os.Args[0], link); err != nil {
		t.Fatal(err)
	}
	for bin, want := range map[string]string{link: "kubectl rampart audit FILES...", os.Args[0]: "\n  rampart audit FILES..."} {
		r := runAsRampart(t, exec.Command(bin, "audit", "--help"))
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("%s audit --help: exit %d, lacks %q:\n%s", filepath.Base(bin), r.code, want, r.stdout)
		}
	}
}
