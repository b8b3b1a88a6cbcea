//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// repoRoot is the repository's top directory: go test runs a package's
// tests in the package's directory.
const repoRoot = "../.."

// markdownTable returns the rows (cells trimmed) of the first table in
// md whose header row is header, without the header and the rule.
func markdownTable(t *testing.T, md, header string) [][]string {
	t.Helper()
	var rows [][]string
	in := false
	for _, line := range strings.Split(md, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case !in && line == header:
			in = true
		case in && strings.HasPrefix(line, "|---"):
		case in && strings.HasPrefix(line, "|"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			rows = append(rows, cells)
		case in:
			return rows
		}
	}
	if !in {
		t.Fatalf("no table headed %q", header)
	}
	return rows
}

// splitExample splits an example as sh would: words at spaces, single
// quotes keep spaces and may quote an empty word. Nothing else in the
// examples needs a shell.
func splitExample(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for _, r := range s {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			w.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case strings.ContainsRune(`"\$*?;&|<>`+"`", r):
			return nil, fmt.Errorf("%q: %q needs a shell", s, r)
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("%q: unterminated quote", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// The exit-status table in docs/exit-status.md, held to the binary: each
// row's example runs from the repository's root and must exit with the
// row's status, and every command has its rows.
func TestExitStatusTable(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(repoRoot, "docs", "exit-status.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := markdownTable(t, string(md), "| command | status | when | example |")
	if len(rows) < 40 {
		t.Fatalf("%d rows: the table was not read", len(rows))
	}
	// The examples run in a directory that looks like the repository's
	// root (its entries linked in), so what they write stays out of it.
	dir := t.TempDir()
	entries, err := os.ReadDir(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		abs, _ := filepath.Abs(filepath.Join(repoRoot, e.Name()))
		if err := os.Symlink(abs, filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	// The one file the examples name that the repository has no reason
	// to hold: an unversioned policy of an older rampart (NET_RAW dropped).
	old := `{"Source":"flags","Capabilities":{"InheritBase":true,"Base":0,"AddAll":false,"DropAll":false,"Add":0,"Drop":8192,"Ambient":false},` +
		`"User":null,"NoNewPrivs":null,"Seccomp":{"Kind":"","Path":"","Origin":""},"AppArmor":null,"Landlock":null,"LSMFallback":""}`
	if err := os.WriteFile(filepath.Join(dir, "old.json"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}

	number := regexp.MustCompile(`[0-9]+`)
	documented := map[string]bool{}
	for _, row := range rows {
		if len(row) != 4 {
			t.Errorf("row %q: want 4 cells", row)
			continue
		}
		command, status, example := row[0], row[1], strings.Trim(row[3], "`")
		documented[command] = true
		want := number.FindString(status)
		words, err := splitExample(example)
		if err != nil || want == "" || len(words) == 0 || words[0] != "rampart" {
			t.Errorf("row %q: want a status number and an example `rampart ...` (%v)", row, err)
			continue
		}
		if command != "any" && !strings.HasPrefix(example+" ", "rampart "+command+" ") {
			t.Errorf("row %q: the example does not run rampart %s", row, command)
		}
		t.Run(example, func(t *testing.T) {
			// A refusal by apparmor_parser, or a run it judges, needs
			// the parser; CI has it (needParser fails there instead).
			if strings.Contains(row[2], "apparmor_parser") {
				needParser(t)
			}
			cmd := exec.Command(os.Args[0], words[1:]...)
			cmd.Dir = dir
			r := runAsRampart(t, cmd)
			if got := fmt.Sprint(r.code); got != want {
				t.Errorf("exit %s, the table says %s (%s); stderr:\n%s", got, want, row[2], r.stderr)
			}
		})
	}

	// Every command a user can call has its rows, and no row names a
	// command rampart does not have.
	var commands []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.HasParent() && c.Runnable() && !c.Hidden && !isGroup(c) {
			commands = append(commands, strings.TrimPrefix(c.CommandPath(), "rampart "))
		}
	}
	walk(newRoot(io.Discard, io.Discard))
	for _, c := range commands {
		if !documented[c] {
			t.Errorf("rampart %s has no row in docs/exit-status.md", c)
		}
	}
	for c := range documented {
		if c != "any" && !slices.Contains(commands, c) {
			t.Errorf("docs/exit-status.md has rows for %q, which is no command", c)
		}
	}
}

// The README's short table of statuses is the doc's, word for word.
func TestExitStatusREADME(t *testing.T) {
	const header = "| status | meaning |"
	var tables [2][][]string
	for i, name := range []string{"README.md", filepath.Join("docs", "exit-status.md")} {
		b, err := os.ReadFile(filepath.Join(repoRoot, name))
		if err != nil {
			t.Fatal(err)
		}
		tables[i] = markdownTable(t, string(b), header)
	}
	if len(tables[1]) < 5 || fmt.Sprint(tables[0]) != fmt.Sprint(tables[1]) {
		t.Errorf("README's exit statuses differ from docs/exit-status.md's:\n%q\n%q", tables[0], tables[1])
	}
}
