package report

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rampart-sec/rampart/report/sarif"
	"github.com/rampart-sec/rampart/seccomp/lint"
)

// lintFormats are the formats Lint writes.
var lintFormats = []string{"table", "json", "sarif"}

// Lint writes `rampart seccomp lint`'s report: a table (with verbose,
// every variant of a variant finding), json (schema:
// docs/seccomp-lint-json.md) or sarif.
func Lint(w io.Writer, r *lint.Report, format string, verbose bool, opts ...Option) error {
	switch format {
	case "table":
		lintTable(w, r, verbose)
		return nil
	case "json":
		return writeJSON(w, r)
	case "sarif":
		return lintSARIF(w, r, options(opts).sarifBase)
	}
	return &FormatError{Format: format, Want: lintFormats}
}

// lintTable writes `rampart seccomp lint`'s findings for people, as a
// compiler writes diagnostics: "file:line:col: severity: message [check]",
// the fix beneath; with verbose, every variant of a variant finding.
func lintTable(w io.Writer, r *lint.Report, verbose bool) {
	for _, p := range r.Profiles {
		head := p.Name
		if p.Runtime != "" {
			head += " (" + p.Runtime + ")"
		}
		fmt.Fprintf(w, "%s: %s; bounding set of %d capabilities\n", head, p.Evaluated, len(p.Bounding))
		if len(p.Findings) == 0 {
			fmt.Fprintln(w, "  no findings")
		}
		for _, f := range p.Findings {
			fmt.Fprintf(w, "  %s: %s: %s [%s]\n", f.Position(p.Name), f.Severity, f.Message, f.Check)
			if f.Fix != "" {
				fmt.Fprintf(w, "      fix: %s\n", f.Fix)
			}
			if !verbose {
				continue
			}
			for _, v := range f.Variants {
				here := ""
				if !v.Live {
					here = "; not run by this kernel"
				}
				fmt.Fprintf(w, "      variant (%s): %s%s\n", v.Kind, v, here)
			}
		}
	}
	s := r.Summary
	fmt.Fprintf(w, "%d profile(s): %d error(s), %d warning(s), %d info\n", s.Profiles, s.Errors, s.Warnings, s.Infos)
}

// lintRule is the SARIF rule ID of a lint check.
func lintRule(check string) string { return "rampart/seccomp-lint/" + check }

// lintSARIF writes the report as SARIF 2.1.0: a rule per check, a result
// per finding, located in the profile's file by a URI relative to base
// (--sarif-base), or, for a runtime's own profile, by a logical name.
func lintSARIF(w io.Writer, r *lint.Report, base string) error {
	wd, _ := os.Getwd()
	root := sarif.NewBase(base, wd)
	var rules []sarif.Rule
	index := map[string]int{}
	for _, c := range lint.Checks {
		index[c.ID] = len(rules)
		rules = append(rules, sarif.Rule{
			ID: lintRule(c.ID), Name: "SeccompLint/" + c.ID,
			ShortDescription: sarif.Text{Text: c.Title},
			FullDescription:  sarif.Text{Text: c.Help},
			Help:             sarif.Text{Text: c.Help + " `rampart seccomp lint PROFILE` says how to fix each finding."},
			HelpURI:          ruleDoc(lintRule(c.ID)),
			Default:          sarif.Config{Level: sarif.Level(string(c.Severity))},
			Properties:       map[string]any{"tags": []string{"security", "seccomp"}, "security-severity": lintSeverity(c.Severity)},
		})
	}
	results := []sarif.Result{}
	for _, p := range r.Profiles {
		for _, f := range p.Findings {
			msg := f.Message
			if f.Fix != "" {
				msg += ". Fix: " + f.Fix
			}
			res := sarif.Result{RuleID: lintRule(f.Check), RuleIndex: index[f.Check], Level: sarif.Level(string(f.Severity)),
				Message:             sarif.Text{Text: msg},
				PartialFingerprints: map[string]string{"rampart/v1": p.Name + "/" + f.Field + "/" + f.Check + "/" + f.Rule},
				Properties:          map[string]any{"fix": f.Fix}}
			if f.File != "" {
				loc := sarif.Location{Physical: &sarif.Physical{Artifact: root.Artifact(f.File, wd)}}
				if f.Line > 0 {
					loc.Physical.Region = &sarif.Region{StartLine: f.Line, StartColumn: f.Col}
				}
				res.Locations = []sarif.Location{loc}
			} else {
				name := p.Name
				if p.Runtime != "" {
					name = "RuntimeDefault of " + p.Runtime
				}
				fq := name
				if f.Field != "" {
					fq += " " + f.Field
				}
				res.Locations = []sarif.Location{{Logical: []sarif.Logical{{Name: strings.TrimSpace(f.Field), FullyQualifiedName: fq, Kind: "object"}}}}
			}
			results = append(results, res)
		}
	}
	log := sarif.Log{Schema: sarif.Schema, Version: "2.1.0", Runs: []sarif.Run{{
		Tool:               sarif.Tool{Driver: sarifDriver(rules)},
		OriginalURIBaseIDs: root.URIBaseIDs(),
		Results:            results,
	}}}
	return writeJSON(w, log)
}
