package main

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every command has a row in the platforms table, every row a command,
// and README's table is the one the table makes.
func TestPlatformsTable(t *testing.T) {
	root := newRoot(&bytes.Buffer{}, &bytes.Buffer{})
	var have []string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Name() == "completion" || sub.Name() == "help" {
				continue // cobra's own, which run anywhere
			}
			if !isGroup(sub) {
				have = append(have, strings.TrimPrefix(sub.CommandPath(), "rampart "))
			}
			walk(sub)
		}
	}
	walk(root)
	var rows []string
	for _, p := range platforms {
		rows = append(rows, p.cmd)
	}
	for _, c := range have {
		if !slices.Contains(rows, c) {
			t.Errorf("rampart %s has no row in platforms: say whether it needs Linux", c)
		}
	}
	for _, r := range rows {
		if !slices.Contains(have, r) {
			t.Errorf("platforms row %q names no command", r)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- platforms:begin -->\n", "<!-- platforms:end -->"
	s := string(readme)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q section", strings.TrimSpace(begin), end)
	}
	if got, want := s[i+len(begin):j], platformsMarkdown(); got != want {
		t.Errorf("README.md's platforms table is\n%s\nthe platforms table makes\n%s", got, want)
	}
}

// Off Linux a command that needs Linux refuses at once, before its
// flags, naming the platform and what rampart can do there; the others
// are untouched.
func TestRefusedOffLinux(t *testing.T) {
	var stdout, stderr bytes.Buffer
	root := newRoot(&stdout, &stderr)
	refuseOffLinux(root, "darwin")
	root.SetArgs([]string{"run", "--no-such-flag", "--", "true"})
	err := root.Execute()
	var nl *needsLinuxError
	if !errors.As(err, &nl) || exitCode(err) != exitRefused {
		t.Fatalf("rampart run: %v (exit %d), want a needs-Linux refusal (exit %d)", err, exitCode(err), exitRefused)
	}
	for _, want := range []string{"rampart run needs Linux (this is darwin/", "on this platform rampart can: audit, harden, seccomp show"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	root = newRoot(&stdout, &stderr)
	refuseOffLinux(root, "darwin")
	root.SetArgs([]string{"seccomp", "show", "runtime-default"})
	if err := root.Execute(); err != nil || !strings.Contains(stdout.String(), `"defaultAction"`) {
		t.Errorf("rampart seccomp show off Linux: %v, %.80q", err, stdout.String())
	}
}
