//go:build linux

package main

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The SARIF multitool is Microsoft's SARIF validator, the one code
// scanning's docs point to: an npm package that ships a self-contained
// .NET program per platform. Its version is pinned: a new release may
// add rules.
const (
	multitoolPackage = "@microsoft/sarif-multitool@5.7.0"
	multitoolBinary  = "node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
	multitoolCache   = "/var/cache/rampart/npm"
)

var multitool struct {
	once      sync.Once
	path, why string
	err       error
}

// sarifMultitool is the validator's path: RAMPART_SARIF_MULTITOOL, or
// installed with npm into multitoolCache once. It skips only where
// there is no npm (CI installs it: scripts/deps.sh test).
func sarifMultitool(t *testing.T) string {
	t.Helper()
	multitool.once.Do(func() {
		if p := os.Getenv("RAMPART_SARIF_MULTITOOL"); p != "" {
			multitool.path = p
			return
		}
		bin := filepath.Join(multitoolCache, multitoolBinary)
		if _, err := os.Stat(bin); err != nil {
			npm, err := exec.LookPath("npm")
			if err != nil {
				multitool.why = "no npm on PATH to install the SARIF multitool with (apt-get install npm, or set RAMPART_SARIF_MULTITOOL)"
				return
			}
			cmd := exec.Command(npm, "install", "--prefix", multitoolCache, "--no-audit", "--no-fund", "--no-save", multitoolPackage)
			if out, err := cmd.CombinedOutput(); err != nil {
				multitool.err = &exec.Error{Name: "npm install " + multitoolPackage + ": " + string(out), Err: err}
				return
			}
		}
		// npm may not run the package's postinstall chmod.
		if err := os.Chmod(bin, 0o755); err != nil {
			multitool.err = err
			return
		}
		multitool.path = bin
	})
	if multitool.why != "" {
		t.Skip(multitool.why)
	}
	if multitool.err != nil {
		t.Fatal(multitool.err)
	}
	return multitool.path
}

// validateSARIF runs the multitool's validate on log, every rule on, and
// fails on each error or warning it reports.
func validateSARIF(t *testing.T, name, log string) {
	t.Helper()
	tool := sarifMultitool(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "rampart.sarif"), filepath.Join(dir, "validate.sarif")
	if err := os.WriteFile(in, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, "validate", in, "--output", out, "--log", "ForceOverwrite")
	cmd.Env = append(os.Environ(), "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1")
	text, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: sarif-multitool validate: %v\n%s", name, err, text)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%s: sarif-multitool wrote no log: %v\n%s", name, err, text)
	}
	var v struct {
		Runs []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Level   string `json:"level"`
				Message struct{ Text string }
			} `json:"results"`
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &v); err != nil || len(v.Runs) != 1 {
		t.Fatalf("%s: the multitool's log: %v\n%s", name, err, b)
	}
	for _, inv := range v.Runs[0].Invocations {
		if !inv.ExecutionSuccessful {
			t.Errorf("%s: the multitool's run failed:\n%s", name, text)
		}
	}
	for _, r := range v.Runs[0].Results {
		// A result with no level is a warning (SARIF 2.1.0 §3.27.10).
		if r.Level != "note" && r.Level != "none" {
			t.Errorf("%s: %s %s: %s", name, r.Level, r.RuleID, r.Message.Text)
		}
	}
}

// sarifLog is what these tests read of rampart's SARIF.
type sarifLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Version, SemanticVersion, InformationURI string
				Rules                                    []struct {
					ID, HelpURI string
					Properties  map[string]any
				}
			}
		}
		OriginalURIBaseIDs map[string]struct{ URI string } `json:"originalUriBaseIds"`
		Results            []struct {
			RuleID    string
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI       string
						URIBaseID string `json:"uriBaseId"`
					}
				}
			}
		}
	}
}

// sarifFiles resolves every result's file as a SARIF consumer does: a
// relative URI against its uriBaseId's originalUriBaseIds entry, and
// returns the local paths.
func sarifFiles(t *testing.T, name, log string) []string {
	t.Helper()
	var l sarifLog
	if err := json.Unmarshal([]byte(log), &l); err != nil || len(l.Runs) != 1 {
		t.Fatalf("%s: %v", name, err)
	}
	var files []string
	for _, r := range l.Runs[0].Results {
		for _, loc := range r.Locations {
			if loc.PhysicalLocation == nil {
				continue
			}
			a := loc.PhysicalLocation.ArtifactLocation
			u, err := url.Parse(a.URI)
			if err != nil {
				t.Fatalf("%s: %s: uri %q: %v", name, r.RuleID, a.URI, err)
			}
			if a.URIBaseID != "" {
				base, ok := l.Runs[0].OriginalURIBaseIDs[a.URIBaseID]
				if !ok || u.IsAbs() || strings.HasPrefix(a.URI, "/") {
					t.Fatalf("%s: %s: uri %q under %q of %v", name, r.RuleID, a.URI, a.URIBaseID, l.Runs[0].OriginalURIBaseIDs)
				}
				b, err := url.Parse(base.URI)
				if err != nil || b.Scheme != "file" || !strings.HasSuffix(b.Path, "/") {
					t.Fatalf("%s: base %q: %v", name, base.URI, err)
				}
				u = b.ResolveReference(u)
			}
			if u.Scheme != "file" {
				t.Fatalf("%s: %s: uri %q resolves to %s, not a file", name, r.RuleID, a.URI, u)
			}
			files = append(files, u.Path)
		}
	}
	return files
}

// runIn runs rampart (the test binary as rampart) in dir.
func runIn(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir, cmd.Stdin = dir, strings.NewReader(stdin)
	return runAsRampart(t, cmd)
}

// Every SARIF log rampart writes passes the SARIF multitool with no
// error and no warning, for files named by absolute and relative paths,
// inside and outside --sarif-base, and for standard input; and each
// file URI resolves, as a consumer resolves it, to the file audited.
func TestSARIFValid(t *testing.T) {
	sarifMultitool(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := filepath.Glob(filepath.Join(root, "examples/seed/*.yaml"))
	stdin, err := os.ReadFile(filepath.Join(root, "examples/seed/0-baseline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, dir, stdin string
		args             []string
		want             []string // files the results must resolve to (a subset)
	}{
		{name: "seed, absolute paths outside the base", dir: t.TempDir(),
			args: append([]string{"audit", "-o", "sarif"}, seed...), want: seed},
		{name: "seed, absolute paths inside --sarif-base", dir: t.TempDir(),
			args: append([]string{"audit", "-o", "sarif", "--sarif-base", root}, seed...), want: seed},
		{name: "seed, relative paths", dir: root,
			args: []string{"audit", "-o", "sarif", "examples/seed/", "--apparmor-node", "--profiles", "examples/seed"}, want: seed},
		{name: "corpus, relative to a --sarif-base above", dir: filepath.Join(root, "audit"),
			args: []string{"audit", "-o", "sarif", "--sarif-base", "..", "testdata/psa"}},
		{name: "stdin", dir: root, stdin: string(stdin),
			args: []string{"audit", "-o", "sarif", "-"}, want: []string{filepath.Join(root, "stdin")}},
		{name: "stdin, a finding accepted by its annotation", dir: root, stdin: acceptPod,
			args: []string{"audit", "-o", "sarif", "-"}, want: []string{filepath.Join(root, "stdin")}},
		{name: "seccomp lint, files and a runtime's profile", dir: root,
			args: []string{"seccomp", "lint", "-o", "sarif", "seccomp/testdata/lint/flag-eq.json", "seccomp/testdata/lint/invalid.json", "runtime-default:containerd"},
			want: []string{filepath.Join(root, "seccomp/testdata/lint/flag-eq.json")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runIn(t, c.dir, c.stdin, c.args...)
			if r.code != 0 && !(c.args[0] == "seccomp" && r.code == 1) {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			validateSARIF(t, c.name, r.stdout)
			files := sarifFiles(t, c.name, r.stdout)
			if len(files) == 0 {
				t.Fatalf("no file results")
			}
			got := map[string]bool{}
			for _, f := range files {
				got[f] = true
				if _, err := os.Stat(f); err != nil && f != filepath.Join(root, "stdin") {
					t.Errorf("result in %s: %v", f, err)
				}
			}
			for _, w := range c.want {
				if !got[w] {
					t.Errorf("no result in %s; results in %v", w, got)
				}
			}
		})
	}
}

// A --sarif-base that is no directory is refused as a usage error,
// naming the flag, before anything is read.
func TestSARIFBaseRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{filepath.Join(t.TempDir(), "missing"), file} {
		for _, args := range [][]string{{"audit", "-o", "sarif", "../../examples/seed"}, {"seccomp", "lint", "-o", "sarif", lintData + "flag-eq.json"}} {
			r := rampart(t, "", append(args, "--sarif-base", base)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, "--sarif-base") || r.stdout != "" {
				t.Errorf("%v --sarif-base %s: exit %d, stdout %d bytes, stderr %s", args, base, r.code, len(r.stdout), r.stderr)
			}
		}
	}
}

// lintData holds the lint tests' profiles.
const lintData = "../../seccomp/testdata/lint/"
