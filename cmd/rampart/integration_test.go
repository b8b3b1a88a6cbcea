//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// rampartOnPath returns an environment whose PATH finds this test
// binary as `rampart`, so that the integration files' own command lines
// run as written.
func rampartOnPath(t *testing.T) []string {
	t.Helper()
	bin := t.TempDir()
	if err := os.Symlink(os.Args[0], filepath.Join(bin, "rampart")); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), asRampart+"=1", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// strictYAML decodes an integration file into v, refusing a key v does
// not know: a misspelt key would be ignored by the tool that reads it.
func strictYAML(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, file))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// A hook in .pre-commit-hooks.yaml, with every key pre-commit's manifest
// schema allows (pre-commit refuses others).
type preCommitHook struct {
	ID                      string   `yaml:"id"`
	Name                    string   `yaml:"name"`
	Entry                   string   `yaml:"entry"`
	Language                string   `yaml:"language"`
	Files                   string   `yaml:"files"`
	Exclude                 string   `yaml:"exclude"`
	Types                   []string `yaml:"types"`
	TypesOr                 []string `yaml:"types_or"`
	ExcludeTypes            []string `yaml:"exclude_types"`
	AlwaysRun               bool     `yaml:"always_run"`
	FailFast                bool     `yaml:"fail_fast"`
	Verbose                 bool     `yaml:"verbose"`
	PassFilenames           *bool    `yaml:"pass_filenames"`
	RequireSerial           bool     `yaml:"require_serial"`
	Description             string   `yaml:"description"`
	LanguageVersion         string   `yaml:"language_version"`
	LogFile                 string   `yaml:"log_file"`
	MinimumPreCommitVersion string   `yaml:"minimum_pre_commit_version"`
	Args                    []string `yaml:"args"`
	Stages                  []string `yaml:"stages"`
	AdditionalDependencies  []string `yaml:"additional_dependencies"`
}

// The pre-commit hook, run as pre-commit runs it (entry, args, then the
// files, the entry found on PATH) on the repository's manifests: it
// fails a commit that touches a workload restricted refuses, passes one
// that restricted admits and a commit of other YAML, fails on a file it
// cannot read, and takes a stricter gate from args.
func TestPreCommitHook(t *testing.T) {
	var hooks []preCommitHook
	strictYAML(t, ".pre-commit-hooks.yaml", &hooks)
	if len(hooks) != 1 {
		t.Fatalf("%d hooks, want the one", len(hooks))
	}
	h := hooks[0]
	if h.ID != "rampart-audit" || h.Name == "" || h.Language != "system" || h.PassFilenames == nil || !*h.PassFilenames ||
		len(h.Types) != 1 || h.Types[0] != "yaml" {
		t.Fatalf("hook %+v: want id rampart-audit, language system, files passed, types [yaml]", h)
	}
	entry, err := splitExample(h.Entry)
	if err != nil || len(entry) < 2 || entry[0] != "rampart" || entry[1] != "audit" {
		t.Fatalf("entry %q: want rampart audit ... (%v)", h.Entry, err)
	}
	env := rampartOnPath(t)
	pass := "audit/testdata/psa/restricted/v1.37/pass/"
	for _, c := range []struct {
		args  []string // what a .pre-commit-config.yaml adds
		files []string
		code  int
		want  string
	}{
		{nil, []string{"examples/seed/0-baseline.yaml"}, 1, "--fail-on restricted: condition met"},
		{nil, []string{pass + "base.yaml", "examples/seed/3-apparmor.yaml"}, 1, "condition met"},
		{nil, []string{pass + "base.yaml", pass + "base_linux.yaml"}, 0, ""},
		{[]string{"--fail-on", "open-path"}, []string{pass + "base.yaml"}, 1, "--fail-on open-path: condition met"},
		// A commit of a CI workflow and of this file: no workload in it.
		{nil, []string{"docs/ci/github-actions.yml", ".pre-commit-hooks.yaml"}, 0, ""},
		{nil, []string{pass + "base.yaml", "examples/seed/flask-deny-shadow"}, 1, "could not be read"},
		{nil, []string{"examples/seed/deleted.yaml"}, exitRefused, "no workload found"},
	} {
		args := append(append(append(append([]string{}, entry[1:]...), h.Args...), c.args...), c.files...)
		cmd := exec.Command("/bin/sh", append([]string{"-c", `exec "$@"`, "sh", entry[0]}, args...)...)
		cmd.Dir, cmd.Env = repoRoot, env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("hook on %q: exit %d, want %d with %q; stderr:\n%s", c.files, code, c.code, c.want, stderr.String())
		}
	}
}

// runCILine runs one rampart command line of a CI file as its shell
// would, in a copy of the repository's root with RAMPART_FILES set, and
// returns the exit status and that directory.
func runCILine(t *testing.T, line, files string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		abs, _ := filepath.Abs(filepath.Join(repoRoot, e.Name()))
		os.Symlink(abs, filepath.Join(dir, e.Name()))
	}
	cmd := exec.Command("/bin/sh", "-ec", line)
	cmd.Dir = dir
	cmd.Env = append(rampartOnPath(t), "RAMPART_FILES="+files)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), dir, stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, dir, stderr.String()
}

// rampartLines are the lines of a CI script that run rampart itself
// (not the ones that install it).
func rampartLines(t *testing.T, file string, script []string) []string {
	t.Helper()
	var lines []string
	for _, s := range script {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "rampart ") {
				lines = append(lines, strings.TrimSpace(l))
			}
		}
	}
	if len(lines) == 0 {
		t.Fatalf("%s runs no rampart command", file)
	}
	return lines
}

type ghStep struct {
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

type ghWorkflow struct {
	Name        string            `yaml:"name"`
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		RunsOn string            `yaml:"runs-on"`
		Env    map[string]string `yaml:"env"`
		Steps  []ghStep          `yaml:"steps"`
	} `yaml:"jobs"`
}

// The GitHub Actions workflow's rampart lines, run on the repository's
// manifests, write the SARIF file its upload step names: a SARIF 2.1.0
// log with rampart's results, written whether the gate passes or fails,
// and the upload runs in both cases.
func TestCIGitHubActions(t *testing.T) {
	const file = "docs/ci/github-actions.yml"
	var wf ghWorkflow
	strictYAML(t, file, &wf)
	job, ok := wf.Jobs["audit"]
	if !ok || wf.Permissions["security-events"] != "write" || job.Env["RAMPART_FILES"] == "" {
		t.Fatalf("%s: want job audit with RAMPART_FILES, and security-events: write", file)
	}
	var script []string
	var upload *ghStep
	for i, s := range job.Steps {
		script = append(script, s.Run)
		if strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@") {
			upload = &job.Steps[i]
		}
	}
	if upload == nil || upload.With["sarif_file"] == "" || !strings.Contains(upload.If, "failure()") {
		t.Fatalf("%s: want an upload-sarif step with sarif_file that runs when the gate fails", file)
	}
	lines := rampartLines(t, file, script)
	// SARIF 2.1.0's own schema (report/sarif/testdata/ORIGIN.md).
	comp := jsonschema.NewCompiler()
	comp.AssertFormat()
	abs, _ := filepath.Abs(filepath.Join(repoRoot, "report", "sarif", "testdata", "sarif-schema-2.1.0.json"))
	schema, err := comp.Compile("file://" + abs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		files string
		code  int
	}{
		{"examples/seed", 1},
		{"audit/testdata/psa/restricted/v1.37/pass/base.yaml examples/seed/3-apparmor.yaml", 1},
		// Restricted admits these: the gate passes, the open paths are
		// still reported.
		{"audit/testdata/psa/restricted/v1.37/pass", 0},
	} {
		for _, line := range lines {
			code, dir, stderr := runCILine(t, line, c.files)
			if code != c.code {
				t.Errorf("%s on %s: exit %d, want %d\n%s", line, c.files, code, c.code, stderr)
			}
			b, err := os.ReadFile(filepath.Join(dir, upload.With["sarif_file"]))
			if err != nil {
				t.Fatalf("%s: the file upload-sarif sends: %v", line, err)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err == nil {
				err = schema.Validate(doc)
			}
			if err != nil {
				t.Errorf("%s on %s: not valid SARIF 2.1.0: %v", line, c.files, err)
			}
			var log struct {
				Version string `json:"version"`
				Runs    []struct {
					Tool struct {
						Driver struct {
							Name string `json:"name"`
						} `json:"driver"`
					} `json:"tool"`
					Results []json.RawMessage `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(b, &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "rampart" {
				t.Fatalf("%s on %s: not a SARIF 2.1.0 log of rampart (%v):\n%.300s", line, c.files, err, b)
			}
			if len(log.Runs[0].Results) == 0 {
				t.Errorf("%s on %s: no results", line, c.files)
			}
		}
	}
}

// The GitLab CI job's rampart lines, run on the repository's manifests,
// write the JUnit report its artifacts name, kept when the job fails,
// and valid against the JUnit schema Jenkins and GitLab read.
func TestCIGitLab(t *testing.T) {
	const file = "docs/ci/gitlab-ci.yml"
	var jobs map[string]struct {
		Stage        string            `yaml:"stage"`
		Image        string            `yaml:"image"`
		Variables    map[string]string `yaml:"variables"`
		BeforeScript []string          `yaml:"before_script"`
		Script       []string          `yaml:"script"`
		Artifacts    struct {
			When    string `yaml:"when"`
			Reports struct {
				JUnit string `yaml:"junit"`
			} `yaml:"reports"`
		} `yaml:"artifacts"`
	}
	strictYAML(t, file, &jobs)
	job, ok := jobs["rampart-audit"]
	if !ok || job.Variables["RAMPART_FILES"] == "" || job.Artifacts.Reports.JUnit == "" || job.Artifacts.When != "always" {
		t.Fatalf("%s: want job rampart-audit with RAMPART_FILES and a JUnit report kept always", file)
	}
	lines := rampartLines(t, file, job.Script)
	for _, c := range []struct {
		files string
		code  int
	}{
		{"examples/seed", 1},
		{"audit/testdata/psa/restricted/v1.37/pass", 0},
	} {
		for _, line := range lines {
			code, dir, stderr := runCILine(t, line, c.files)
			if code != c.code {
				t.Errorf("%s on %s: exit %d, want %d\n%s", line, c.files, code, c.code, stderr)
			}
			report := filepath.Join(dir, job.Artifacts.Reports.JUnit)
			b, err := os.ReadFile(report)
			if err != nil {
				t.Fatalf("%s: the JUnit report GitLab reads: %v", line, err)
			}
			validateJUnit(t, report)
			if !bytes.Contains(b, []byte("<testcase")) || !bytes.Contains(b, []byte("<failure")) {
				t.Errorf("%s on %s: no test case or no open path in the report:\n%.500s", line, c.files, b)
			}
		}
	}
}
