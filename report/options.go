package report

import (
	"strings"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/report/sarif"
	"github.com/rampart-sec/rampart/seccomp/lint"
	"github.com/rampart-sec/rampart/version"
)

// An Option changes how a renderer writes a format.
type Option func(*settings)

type settings struct {
	sarifBase string
	summary   bool
}

// SummaryOnly makes an audit writer write no workload: the errors and
// the summary only (--summary), in table or json.
func SummaryOnly() Option { return func(s *settings) { s.summary = true } }

// SARIFBase makes SARIF file URIs relative to dir (--sarif-base; default
// the working directory), the root code scanning places results under.
func SARIFBase(dir string) Option { return func(s *settings) { s.sarifBase = dir } }

func options(opts []Option) settings {
	var s settings
	for _, o := range opts {
		o(&s)
	}
	return s
}

// sarifDriver is rampart as the tool of a SARIF run: this build's
// version, its home and the rules.
func sarifDriver(rules []sarif.Rule) sarif.Driver {
	return sarif.Driver{Name: "rampart", Version: version.Version(), SemanticVersion: version.Semantic(),
		InformationURI: version.URL, Rules: rules}
}

// RulesDoc is the file in rampart's repository that describes every
// SARIF rule, a section a rule.
const RulesDoc = "docs/rules.md"

// ruleDoc is the URL of a rule's section in RulesDoc: its ID, with every
// character but letters, digits and dashes dropped, as GitHub anchors a
// heading.
func ruleDoc(id string) string {
	return version.URL + "/blob/main/" + RulesDoc + "#" + RuleAnchor(id)
}

// RuleAnchor is the anchor GitHub gives RulesDoc's heading "`ID`".
func RuleAnchor(id string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(id) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// SARIF security-severity, the CVSS-like score code scanning ranks
// results by (9.0 and up critical, 7.0 high, 4.0 medium, below low):
// an open attack path is how a container escapes or reads what it
// should not; a baseline Pod Security failure is a known privilege
// escalation, a restricted one a hardening step missed.
const (
	severityOpenPath = "8.0"
	severityBaseline = "7.0"
	severityRestrict = "4.0"
)

func pssSeverity(level string) string {
	if level == audit.LevelBaseline {
		return severityBaseline
	}
	return severityRestrict
}

// lintSeverity scores a lint check by its severity: a profile that
// rampart run refuses or whose deny does not hold, high; a warning,
// medium; information, low.
func lintSeverity(s lint.Severity) string {
	switch s {
	case lint.Error:
		return "7.0"
	case lint.Warning:
		return "5.0"
	}
	return "2.0"
}
