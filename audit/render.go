package audit

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/probe"
)

// Fail conditions for FailOn.
const (
	FailOpenPath   = "open-path"
	FailBaseline   = "baseline"
	FailRestricted = "restricted"
)

// Failed says whether the report meets a --fail-on condition.
func (r *Report) Failed(on string) bool {
	for _, w := range r.Workloads {
		switch on {
		case FailBaseline:
			if w.PSS.Level == LevelPrivileged {
				return true
			}
		case FailRestricted:
			if w.PSS.Level != LevelRestricted {
				return true
			}
		case FailOpenPath:
			for _, c := range w.Containers {
				if len(c.Open) > 0 {
					return true
				}
			}
		}
	}
	return false
}

// JSON writes the report (schema: docs/audit-json.md), indented for
// people when indent is set. A corpus of a thousand workloads makes tens
// of megabytes: indenting them takes longer than the audit itself, so
// machines get compact JSON.
func (r *Report) JSON(w io.Writer, indent bool) error {
	enc := json.NewEncoder(w)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(r)
}

// Table writes the report for people, grouped by workload.
func (r *Report) Table(w io.Writer) {
	paths := map[string]*probe.Path{}
	for _, p := range probe.Catalog() {
		paths[p.ID] = p
	}
	for _, wl := range r.Workloads {
		obj := wl.Kind + " " + wl.Name
		if wl.Namespace != "" {
			obj += " (namespace " + wl.Namespace + ")"
		}
		fmt.Fprintf(w, "%s: document %d: %s\n", wl.File, wl.Doc, obj)
		fmt.Fprintf(w, "  pod security: %s%s\n", wl.PSS.Level, failList(wl.PSS))
		for _, c := range wl.Containers {
			kind := ""
			if c.Type != "container" {
				kind = " (" + c.Type + ")"
			}
			fmt.Fprintf(w, "  container %s%s at %s\n", c.Name, kind, c.Pos)
			if c.Error != "" {
				fmt.Fprintf(w, "    INVALID       %s\n", indent(c.Error, "                  "))
				continue
			}
			if c.Privileged {
				fmt.Fprintf(w, "    PRIVILEGED    every capability, no seccomp filter\n")
			}
			if c.Refused != "" {
				fmt.Fprintf(w, "    REFUSED       %s\n", c.Refused)
			}
			change := ""
			if c.Capabilities.Change != "" {
				change = " (" + c.Capabilities.Change + ")"
			}
			fmt.Fprintf(w, "    user          %s\n", c.User)
			fmt.Fprintf(w, "    capabilities  %d bounding%s; effective: %s\n", len(c.Capabilities.Bounding), change, listOr(c.Capabilities.Effective, "none"))
			fmt.Fprintf(w, "    seccomp       %s [%s]\n", c.Seccomp.Profile, c.Seccomp.Evaluated)
			fmt.Fprintf(w, "    apparmor      %s [%s]\n", c.AppArmor.Profile, c.AppArmor.Evaluated)
			fmt.Fprintf(w, "    open          %d of %d: %s\n", len(c.Open), len(c.Paths), listOr(c.Open, "none"))
			by := map[string][]string{}
			for _, p := range c.Paths {
				if p.Verdict == Blocked {
					by[p.Layer] = append(by[p.Layer], p.ID)
				}
			}
			for _, l := range []string{probe.BySeccomp, probe.ByCapabilities, probe.ByOther, probe.ByLSM} {
				if len(by[l]) > 0 {
					fmt.Fprintf(w, "    blocked by %-12s %s\n", l, strings.Join(by[l], ", "))
				}
			}
			if c.PSS.Level != wl.PSS.Level {
				fmt.Fprintf(w, "    pod security  %s%s\n", c.PSS.Level, failList(c.PSS))
			}
			for _, n := range c.Notes {
				fmt.Fprintf(w, "    note          %s\n", n)
			}
		}
		fmt.Fprintln(w)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e.Message)
	}
	s := r.Summary
	fmt.Fprintf(w, "%d files, %d objects, %d containers (%d invalid, %d refused, %d privileged); %d with open paths; %d unreadable documents\n",
		s.Files, s.Objects, s.Containers, s.Invalid, s.Refused, s.Privileged, s.WithOpen, s.Errors)
	fmt.Fprintf(w, "pod security: %d restricted, %d baseline, %d privileged\n", s.PSSLevels[LevelRestricted], s.PSSLevels[LevelBaseline], s.PSSLevels[LevelPrivileged])
}

func failList(p PSS) string {
	if len(p.Failures) == 0 {
		return ""
	}
	var ids []string
	for _, f := range p.Failures {
		ids = append(ids, f.Check)
	}
	return " (fails: " + strings.Join(ids, ", ") + ")"
}

func listOr(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, ", ")
}

func indent(s, pad string) string { return strings.ReplaceAll(s, "\n", "\n"+pad) }

// splitPos splits "file:line:col".
func splitPos(pos string) (file string, line, col int) {
	file = pos
	if i := strings.LastIndexByte(file, ':'); i > 0 {
		if c, err := strconv.Atoi(file[i+1:]); err == nil {
			if j := strings.LastIndexByte(file[:i], ':'); j > 0 {
				if l, err := strconv.Atoi(file[j+1 : i]); err == nil {
					return file[:j], l, c
				}
			}
		}
	}
	return file, 0, 0
}

// SARIF types (2.1.0), the subset rampart writes.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	ShortDescription sarifText      `json:"shortDescription"`
	FullDescription  sarifText      `json:"fullDescription"`
	Help             sarifText      `json:"help"`
	Default          sarifConfig    `json:"defaultConfiguration"`
	Properties       map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
	// PartialFingerprints make results stable across runs for code
	// scanning: the object, the container and the rule.
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifLocation struct {
	Physical sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	Artifact sarifArtifact `json:"artifactLocation"`
	Region   *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// Rule IDs.
func OpenPathRule(id string) string { return "rampart/open-path/" + id }
func PSSRule(check string) string   { return "rampart/pss/" + check }

// SARIF writes the report as SARIF 2.1.0: a result per container and
// open path, and per container and failing Pod Security check.
func (r *Report) SARIF(w io.Writer) error {
	var rules []sarifRule
	index := map[string]int{}
	for _, p := range probe.Catalog() {
		index[OpenPathRule(p.ID)] = len(rules)
		rules = append(rules, sarifRule{
			ID: OpenPathRule(p.ID), Name: "OpenPath/" + p.ID,
			ShortDescription: sarifText{"attack path open: " + p.Title},
			FullDescription:  sarifText{p.Title + ": " + p.Gain},
			Help:             sarifText{"No layer closes this path for the container. Drop the capabilities it needs, set a seccomp profile that refuses its calls, or an AppArmor profile that denies its accesses; `rampart audit` says which field."},
			Default:          sarifConfig{"warning"},
			Properties:       map[string]any{"tags": []string{"security", "attack-path"}},
		})
	}
	for _, id := range CheckIDs() {
		index[PSSRule(id)] = len(rules)
		rules = append(rules, sarifRule{
			ID: PSSRule(id), Name: "PodSecurity/" + id,
			ShortDescription: sarifText{"Pod Security Standards check " + id + " fails"},
			FullDescription:  sarifText{"The pod fails the Pod Security Standards check " + id + " (k8s.io/pod-security-admission, latest version)."},
			Help:             sarifText{"See https://kubernetes.io/docs/concepts/security/pod-security-standards/"},
			Default:          sarifConfig{"warning"},
			Properties:       map[string]any{"tags": []string{"security", "pod-security"}},
		})
	}
	results := []sarifResult{}
	loc := func(pos string) []sarifLocation {
		file, line, col := splitPos(pos)
		l := sarifLocation{Physical: sarifPhysical{Artifact: sarifArtifact{URI: file}}}
		if line > 0 {
			l.Physical.Region = &sarifRegion{StartLine: line, StartColumn: col}
		}
		return []sarifLocation{l}
	}
	for _, wl := range r.Workloads {
		obj := fmt.Sprintf("%s/%s/%s", wl.Kind, wl.Namespace, wl.Name)
		for _, c := range wl.Containers {
			who := fmt.Sprintf("%s %s, container %s", wl.Kind, wl.Name, c.Name)
			for _, p := range c.Paths {
				if p.Verdict != Open {
					continue
				}
				id := OpenPathRule(p.ID)
				level := "warning"
				if c.Privileged {
					level = "error"
				}
				results = append(results, sarifResult{RuleID: id, RuleIndex: index[id], Level: level,
					Message:             sarifText{fmt.Sprintf("%s: attack path %s is open (%s)", who, p.ID, p.Why)},
					Locations:           loc(p.Fix),
					PartialFingerprints: map[string]string{"rampart/v1": obj + "/" + c.Name + "/" + id}})
			}
			for _, f := range c.PSS.Failures {
				id := PSSRule(f.Check)
				msg := fmt.Sprintf("%s: fails Pod Security %s check %s: %s", who, f.Level, f.Check, f.Reason)
				if f.Detail != "" {
					msg += " (" + f.Detail + ")"
				}
				level := "warning"
				if f.Level == LevelBaseline {
					level = "error"
				}
				results = append(results, sarifResult{RuleID: id, RuleIndex: index[id], Level: level,
					Message: sarifText{msg}, Locations: loc(f.Pos),
					PartialFingerprints: map[string]string{"rampart/v1": obj + "/" + c.Name + "/" + id}})
			}
		}
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "rampart", InformationURI: "https://github.com/rampart-sec/rampart", Rules: rules}},
			Results: results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// JUnit types.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes a test suite per container and a test case per attack
// path: an open path fails; an invalid container is one error.
func (r *Report) JUnit(w io.Writer) error {
	all := junitSuites{Name: "rampart audit"}
	for _, wl := range r.Workloads {
		for _, c := range wl.Containers {
			s := junitSuite{Name: fmt.Sprintf("%s: %s %s / %s", wl.File, wl.Kind, wl.Name, c.Name)}
			class := fmt.Sprintf("%s.%s.%s", wl.Kind, wl.Name, c.Name)
			if c.Error != "" {
				s.Cases = append(s.Cases, junitCase{Name: "policy", Classname: class, Error: &junitFailure{Message: "no policy", Type: "invalid", Text: c.Error}})
				s.Errors++
			}
			for _, p := range c.Paths {
				tc := junitCase{Name: p.ID, Classname: class}
				if p.Verdict == Open {
					tc.Failure = &junitFailure{Message: "attack path open", Type: "open-path", Text: p.Why + "\nfix: " + p.Fix}
					s.Failures++
				}
				s.Cases = append(s.Cases, tc)
			}
			s.Tests = len(s.Cases)
			all.Tests += s.Tests
			all.Failures += s.Failures
			all.Errors += s.Errors
			all.Suites = append(all.Suites, s)
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
