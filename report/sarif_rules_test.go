package report

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/report/sarif"
	"github.com/rampart-sec/rampart/seccomp/lint"
	"github.com/rampart-sec/rampart/version"
)

// Every SARIF rule rampart writes carries what code scanning shows and
// ranks by: descriptions, help with the fix, tags, a security-severity
// score, and a helpUri to its own section of docs/rules.md; and every
// section there is a rule rampart writes.
func TestSARIFRuleMetadata(t *testing.T) {
	var rules []sarif.Rule
	for name, write := range map[string]func(*bytes.Buffer) error{
		"audit": func(b *bytes.Buffer) error { return Audit(b, &audit.Report{}, "sarif", false) },
		"lint":  func(b *bytes.Buffer) error { return Lint(b, &lint.Report{}, "sarif", false) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		var log sarif.Log
		if err := json.Unmarshal(b.Bytes(), &log); err != nil {
			t.Fatal(err)
		}
		d := log.Runs[0].Tool.Driver
		if d.Version != version.Version() || d.SemanticVersion != version.Semantic() || d.InformationURI != version.URL {
			t.Errorf("%s: driver %s %q %q %q", name, d.Name, d.Version, d.SemanticVersion, d.InformationURI)
		}
		rules = append(rules, d.Rules...)
	}
	doc, err := os.ReadFile("../" + RulesDoc)
	if err != nil {
		t.Fatal(err)
	}
	// GitHub's anchor of a heading: lower case, punctuation but - and _
	// dropped, spaces as dashes.
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^#+ (.*)$").FindAllStringSubmatch(string(doc), -1) {
		a := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
				return r
			case r == ' ':
				return '-'
			}
			return -1
		}, strings.ToLower(m[1]))
		anchors[a] = true
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^### `([^`]+)`$").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	for _, r := range rules {
		if r.ShortDescription.Text == "" || r.FullDescription.Text == "" || r.Help.Text == "" {
			t.Errorf("%s: a description or the help is empty", r.ID)
		}
		if tags, _ := r.Properties["tags"].([]any); len(tags) == 0 || tags[0] != "security" {
			t.Errorf("%s: tags %v", r.ID, r.Properties["tags"])
		}
		s, _ := r.Properties["security-severity"].(string)
		if f, err := strconv.ParseFloat(s, 64); err != nil || f <= 0 || f > 10 {
			t.Errorf("%s: security-severity %q is not a score in (0, 10]", r.ID, s)
		}
		prefix := version.URL + "/blob/main/" + RulesDoc + "#"
		if !strings.HasPrefix(r.HelpURI, prefix) || !anchors[strings.TrimPrefix(r.HelpURI, prefix)] {
			t.Errorf("%s: helpUri %q names no heading of %s", r.ID, r.HelpURI, RulesDoc)
		}
		if !documented[r.ID] {
			t.Errorf("%s has no section in %s", r.ID, RulesDoc)
		}
		delete(documented, r.ID)
	}
	for id := range documented {
		t.Errorf("%s documents %s, a rule rampart does not write", RulesDoc, id)
	}
}
