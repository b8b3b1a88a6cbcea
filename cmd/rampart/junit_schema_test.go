//go:build linux

package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// junitXSD is the JUnit schema Jenkins reads (testdata/junit/ORIGIN.md
// says where it comes from).
const junitXSD = "testdata/junit/jenkins-junit.xsd"

// validateJUnit validates the JUnit report in file against junitXSD
// with libxml2's xmllint. Not a skip where xmllint is missing: CI
// installs it (scripts/deps.sh test), and a JUnit check that does not
// run must fail loudly.
func validateJUnit(t *testing.T, file string) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatalf("%v: install libxml2-utils (scripts/deps.sh test)", err)
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", junitXSD, file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), " validates") {
		b, _ := os.ReadFile(file)
		t.Errorf("%s does not validate against %s: %v\n%s\n%.2000s", file, junitXSD, err, out, b)
	}
}

// The JUnit rampart audit writes is valid against the schema Jenkins
// and GitLab read, for the seed, the repository's manifest corpora, a
// run whose gate fails, unreadable files and stdin.
func TestJUnitValidatesAgainstXSD(t *testing.T) {
	b, err := os.ReadFile(junitXSD)
	if err != nil {
		t.Fatal(err)
	}
	// The vendored schema is the one ORIGIN.md names, unchanged.
	if sum := fmt.Sprintf("%x", sha256.Sum256(b)); sum != "b74f22f7b3e328e08356c268e18fb979ae95e3bcc746f93ae399260310ad0d6f" {
		t.Fatalf("%s: sha256 %s is not the one testdata/junit/ORIGIN.md states", junitXSD, sum)
	}
	seed := filepath.Join(repoRoot, "examples", "seed")
	seed0, _ := os.ReadFile(filepath.Join(seed, "0-baseline.yaml"))
	for _, c := range []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"seed", "", []string{seed, "--apparmor-node", "--profiles", seed}, 0},
		{"seed, gate failed", "", []string{seed, "--fail-on", "open-path"}, 1},
		{"PSA corpus", "", []string{filepath.Join(repoRoot, "audit", "testdata", "psa")}, 0},
		{"PSA corpus, gate failed", "", []string{filepath.Join(repoRoot, "audit", "testdata", "psa"), "--fail-on", "restricted"}, 1},
		{"kube tier pods", "", []string{filepath.Join(repoRoot, "internal", "kubelab", "testdata", "predict", "pods")}, 0},
		{"harden corpus", "", []string{filepath.Join(repoRoot, "harden", "testdata", "stream")}, 0},
		{"unreadable files", "", []string{seed, filepath.Join(seed, "flask-deny-shadow"), filepath.Join(seed, "no-such.yaml"), "--fail-on", "restricted"}, 1},
		{"stdin", string(seed0), []string{"-"}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := rampart(t, c.stdin, append([]string{"audit", "-o", "junit"}, c.args...)...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, c.code, r.stderr)
			}
			if c.code == 1 && !strings.Contains(r.stdout, "<failure") {
				t.Errorf("the gate failed, the report holds no failure")
			}
			// A document not read is an error case, counted in the
			// root's errors: a CI page must not show green there.
			if strings.Contains(c.name, "unreadable") && (!strings.Contains(r.stdout, `<error message="not read" type="unreadable">`) ||
				!regexp.MustCompile(`<testsuites [^>]*errors="[1-9]`).MatchString(r.stdout)) {
				t.Errorf("the unreadable documents are no error cases:\n%.1500s", r.stdout)
			}
			file := filepath.Join(t.TempDir(), "junit.xml")
			if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			validateJUnit(t, file)
		})
	}
}

// The schema check is not a formality: a report that breaks it (an
// attribute the schema does not allow, a failure outside a testcase) is
// refused.
func TestJUnitXSDRefusesInvalid(t *testing.T) {
	for _, bad := range []string{
		`<testsuites><testsuite name="a" tests="1"><testcase name="x"><skipped message="why"/></testcase></testsuite></testsuites>`,
		`<testsuites><testsuite name="a" tests="1"><failure message="m"/></testsuite></testsuites>`,
		`<testsuites version="1"><testsuite name="a" tests="0"/></testsuites>`,
	} {
		file := filepath.Join(t.TempDir(), "bad.xml")
		os.WriteFile(file, []byte(bad), 0o644)
		out, err := exec.Command("xmllint", "--noout", "--schema", junitXSD, file).CombinedOutput()
		if err == nil {
			t.Errorf("xmllint accepts %s:\n%s", bad, out)
		}
	}
}
