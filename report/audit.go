package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/audit/accept"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/report/sarif"
	"github.com/rampart-sec/rampart/version"
)

// An AuditWriter renders an audit as it is made: Begin before the first
// workload, Workload for each, End once the errors and summary are known.
// audit.Auditor.Stream hands workloads to Workload, so a report is
// written without being held.
type AuditWriter interface {
	Begin(r *audit.Report) error
	Workload(w *audit.Workload) error
	End(r *audit.Report) error
}

// auditFormats are the formats NewAuditWriter writes.
var auditFormats = []string{"table", "json", "sarif", "junit"}

// NewAuditWriter makes the AuditWriter of a format: table, json
// (schema: docs/audit-json.md; indented for people when indent is set:
// a corpus of a thousand workloads makes tens of megabytes, and
// indenting them takes longer than the audit itself, so machines get
// compact JSON), sarif or junit.
//
// With SummaryOnly, table and json write the report without its
// workloads, and other formats are refused: a SARIF log or JUnit
// report without results would read as a clean audit.
func NewAuditWriter(format string, w io.Writer, indent bool, opts ...Option) (AuditWriter, error) {
	o := options(opts)
	if o.summary {
		switch format {
		case "table":
			return summaryOnly{&auditTable{w: w}}, nil
		case "json":
			return summaryOnly{&auditJSON{w: w, indent: indent}}, nil
		}
		return nil, fmt.Errorf("--summary: %w", &FormatError{Format: format, Want: []string{"table", "json"}})
	}
	switch format {
	case "table":
		return &auditTable{w: w}, nil
	case "json":
		return &auditJSON{w: w, indent: indent}, nil
	case "sarif":
		return &auditSARIF{w: w, base: o.sarifBase}, nil
	case "junit":
		return &auditJUnit{w: w}, nil
	}
	return nil, &FormatError{Format: format, Want: auditFormats}
}

// Audit writes a whole report in a format of NewAuditWriter.
func Audit(w io.Writer, r *audit.Report, format string, indent bool, opts ...Option) error {
	aw, err := NewAuditWriter(format, w, indent, opts...)
	if err != nil {
		return err
	}
	if err := aw.Begin(r); err != nil {
		return err
	}
	for i := range r.Workloads {
		if err := aw.Workload(&r.Workloads[i]); err != nil {
			return err
		}
	}
	return aw.End(r)
}

// summaryOnly is a writer that drops every workload: what the report
// holds is counts, whatever the number of objects.
type summaryOnly struct{ AuditWriter }

func (summaryOnly) Workload(*audit.Workload) error { return nil }

// auditJSON writes the report's JSON, byte for byte what json.Encoder
// writes of the whole Report, with the workloads written as they come.
type auditJSON struct {
	w      io.Writer
	indent bool
	list   *jsonList
}

func (j *auditJSON) Begin(r *audit.Report) error {
	head, _, err := j.frame(r)
	if err != nil {
		return err
	}
	j.list, err = openList(j.w, head, j.indent)
	return err
}

func (j *auditJSON) Workload(w *audit.Workload) error { return j.list.add(w) }

func (j *auditJSON) End(r *audit.Report) error {
	_, tail, err := j.frame(r)
	if err != nil {
		return err
	}
	return j.list.close(tail)
}

// frame is the report's JSON with no workloads, cut where they go.
func (j *auditJSON) frame(r *audit.Report) (head, tail string, err error) {
	empty := *r
	empty.Workloads = []audit.Workload{}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if j.indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(&empty); err != nil {
		return "", "", err
	}
	return cutList(b.String(), "workloads", j.indent)
}

// cutList cuts a JSON document at the empty list of key ("key": []),
// which must be there, into what comes up to its "[" and after its "]".
func cutList(doc, key string, indent bool) (head, tail string, err error) {
	marker := `"` + key + `":[]`
	if indent {
		marker = `"` + key + `": []`
	}
	i := strings.Index(doc, marker)
	if i < 0 {
		return "", "", fmt.Errorf("no %s in the report's frame", marker)
	}
	end := i + len(marker) - 1
	return doc[:end], doc[end+1:], nil
}

// jsonList writes a JSON list's elements one at a time, indented as
// json.Encoder indents them in the whole document.
type jsonList struct {
	w      io.Writer
	indent bool
	pad    string // before each element, when indented
	n      int
	buf    bytes.Buffer
}

// openList writes head, which ends with the list's "[", and returns the
// list. Its elements are indented one level deeper than head's last line.
func openList(w io.Writer, head string, indent bool) (*jsonList, error) {
	l := &jsonList{w: w, indent: indent}
	if indent {
		last := head[strings.LastIndexByte(head, '\n')+1:]
		l.pad = last[:len(last)-len(strings.TrimLeft(last, " "))] + "  "
	}
	_, err := io.WriteString(w, head)
	return l, err
}

func (l *jsonList) add(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	l.buf.Reset()
	if l.n > 0 {
		l.buf.WriteByte(',')
	}
	if l.indent {
		l.buf.WriteString("\n" + l.pad)
		if err := json.Indent(&l.buf, b, l.pad, "  "); err != nil {
			return err
		}
	} else {
		l.buf.Write(b)
	}
	l.n++
	_, err = l.w.Write(l.buf.Bytes())
	return err
}

// close ends the list and writes tail, what follows its "]".
func (l *jsonList) close(tail string) error {
	end := "]"
	if l.indent && l.n > 0 {
		end = "\n" + l.pad[2:] + "]"
	}
	_, err := io.WriteString(l.w, end+tail)
	return err
}

// auditTable writes the table: a block per workload, then the errors
// and the summary.
type auditTable struct{ w io.Writer }

// Begin writes a cluster audit's nodes, the facts each workload is
// predicted with and how they were learned; a file audit's node is in
// its flags.
func (t *auditTable) Begin(r *audit.Report) error {
	if r.Cluster == nil {
		return nil
	}
	var b strings.Builder
	for _, n := range r.Cluster.Nodes {
		f := n.Facts
		fmt.Fprintf(&b, "node %s: %s, %s; seccompDefault %t; AppArmor %t\n", n.Name, f.Arch, f.SeccompRuntimeDefault, f.SeccompDefault, f.AppArmor)
		for _, note := range n.Notes {
			fmt.Fprintf(&b, "  %s\n", note)
		}
	}
	fmt.Fprintln(&b)
	_, err := io.WriteString(t.w, b.String())
	return err
}

func (t *auditTable) Workload(wl *audit.Workload) error {
	var b strings.Builder
	w := &b
	obj := wl.Kind + " " + wl.Name
	if wl.Namespace != "" {
		obj += " (namespace " + wl.Namespace + ")"
	}
	if len(wl.Nodes) > 0 {
		fmt.Fprintf(w, "%s on %s\n", obj, nodeList(wl.Nodes))
	} else {
		fmt.Fprintf(w, "%s: document %d: %s\n", wl.File, wl.Doc, obj)
	}
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
			if p.Verdict == audit.Blocked {
				by[p.Layer] = append(by[p.Layer], p.ID)
			}
		}
		for _, l := range []string{attack.BySeccomp, attack.ByCapabilities, attack.ByUserNS, attack.ByOther, attack.ByLSM} {
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
		for _, x := range c.Accepted {
			fmt.Fprintf(w, "    %s\n", acceptedLine(x))
		}
	}
	fmt.Fprintln(w)
	_, err := io.WriteString(t.w, b.String())
	return err
}

func (t *auditTable) End(r *audit.Report) error {
	var b strings.Builder
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error: %s\n", e.Message)
	}
	s := r.Summary
	if r.Cluster != nil {
		fmt.Fprintf(&b, "%d predictions (of Pods on their nodes, templates on each kind of node), %d containers (%d invalid, %d refused, %d privileged); %d with open paths; %d errors\n",
			s.Objects, s.Containers, s.Invalid, s.Refused, s.Privileged, s.WithOpen, s.Errors)
	} else {
		fmt.Fprintf(&b, "%d files, %d objects, %d containers (%d invalid, %d refused, %d privileged); %d with open paths; %d unreadable documents\n",
			s.Files, s.Objects, s.Containers, s.Invalid, s.Refused, s.Privileged, s.WithOpen, s.Errors)
	}
	fmt.Fprintf(&b, "pod security: %d restricted, %d baseline, %d privileged\n", s.PSSLevels[audit.LevelRestricted], s.PSSLevels[audit.LevelBaseline], s.PSSLevels[audit.LevelPrivileged])
	if s.Namespaces != nil || s.Nodes != nil {
		fmt.Fprintf(&b, "open paths: %s\n", openCounts(s.OpenPaths))
	}
	shares(&b, "namespace", s.Namespaces)
	shares(&b, "node", s.Nodes)
	_, err := io.WriteString(t.w, b.String())
	return err
}

// shares writes each namespace's or node's counts.
func shares(b *strings.Builder, what string, m map[string]*audit.Counts) {
	for _, name := range slices.Sorted(maps.Keys(m)) {
		n := m[name]
		if name == "" {
			name = "(none written)"
		}
		fmt.Fprintf(b, "%s %s: %d objects, %d containers; %d with open paths (%s); pod security: %d restricted, %d baseline, %d privileged\n",
			what, name, n.Objects, n.Containers, n.WithOpen, openCounts(n.OpenPaths), n.PSSLevels[audit.LevelRestricted], n.PSSLevels[audit.LevelBaseline], n.PSSLevels[audit.LevelPrivileged])
	}
}

// nodeList names the nodes a workload was predicted for.
func nodeList(nodes []string) string {
	if len(nodes) == 1 {
		return "node " + nodes[0]
	}
	if len(nodes) > 3 {
		return fmt.Sprintf("%d nodes (%s, …)", len(nodes), strings.Join(nodes[:3], ", "))
	}
	return "nodes " + strings.Join(nodes, ", ")
}

// openCounts lists path IDs with their counts, the most open first.
func openCounts(m map[string]int) string {
	ids := slices.Collect(maps.Keys(m))
	slices.SortFunc(ids, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, id := range ids {
		parts = append(parts, id+" "+strconv.Itoa(m[id]))
	}
	return listOr(parts, "none")
}

// acceptedLine says how a finding is accepted, or that its acceptance
// has run out.
func acceptedLine(x audit.Accepted) string {
	if x.Expired {
		return fmt.Sprintf("EXPIRED       %s: accepted until %s (%s), at %s: counts again", x.Rule, x.Expires, x.Reason, x.Source)
	}
	return fmt.Sprintf("accepted      %s: %s (%s, %s)", x.Rule, x.Reason, x.Kind, x.Source)
}

// suppressions are a SARIF result's: none for a finding not accepted
// or whose acceptance has expired (its message says so). A baseline is
// an external suppression.
func suppressions(c *audit.Container, rule string, msg *string) []sarif.Suppression {
	x := c.Acceptance(rule)
	switch {
	case x == nil:
		return nil
	case x.Expired:
		*msg += fmt.Sprintf(" (accepted until %s: %s)", x.Expires, x.Reason)
		return nil
	}
	kind := x.Kind
	if kind != accept.KindInSource {
		kind = "external"
	}
	return []sarif.Suppression{{Kind: kind, Justification: x.Reason + " (" + x.Kind + ", " + x.Source + ")"}}
}

func failList(p audit.PSS) string {
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

// Rule IDs.
// SARIF rule IDs are audit's with the tool's prefix.
func openPathRule(id string) string { return "rampart/" + audit.OpenPathRule(id) }
func pssRule(check string) string   { return "rampart/" + audit.PSSRule(check) }

// auditSARIF writes the report as SARIF 2.1.0, a result per container
// and open path, and per container and failing Pod Security check: the
// rules, then each workload's results as it comes.
type auditSARIF struct {
	w     io.Writer
	base  string // --sarif-base
	wd    string
	root  sarif.Base
	index map[string]int // rule ID -> index in the rules
	list  *jsonList
	tail  string
	log   sarif.Log // without results, for the tail End writes
}

func (s *auditSARIF) Begin(*audit.Report) error {
	s.wd, _ = os.Getwd()
	s.root = sarif.NewBase(s.base, s.wd)
	var rules []sarif.Rule
	s.index = map[string]int{}
	for _, p := range attack.Catalog() {
		s.index[openPathRule(p.ID)] = len(rules)
		rules = append(rules, sarif.Rule{
			ID: openPathRule(p.ID), Name: "OpenPath/" + p.ID,
			ShortDescription: sarif.Text{Text: "attack path open: " + p.Title},
			FullDescription:  sarif.Text{Text: p.Title + ": " + p.Gain},
			Help:             sarif.Text{Text: "No layer closes this path for the container. Drop the capabilities it needs, set a seccomp profile that refuses its calls, or an AppArmor profile that denies its accesses; `rampart audit` says which field."},
			HelpURI:          ruleDoc(openPathRule(p.ID)),
			Default:          sarif.Config{Level: "warning"},
			Properties:       map[string]any{"tags": []string{"security", "attack-path"}, "security-severity": severityOpenPath},
		})
	}
	levels := audit.CheckLevels()
	for _, id := range audit.CheckIDs() {
		s.index[pssRule(id)] = len(rules)
		rules = append(rules, sarif.Rule{
			ID: pssRule(id), Name: "PodSecurity/" + id,
			ShortDescription: sarif.Text{Text: "Pod Security Standards check " + id + " fails"},
			FullDescription:  sarif.Text{Text: "The pod fails the Pod Security Standards check " + id + " (k8s.io/pod-security-admission, latest version)."},
			Help:             sarif.Text{Text: "Change the field the result points at as the Pod Security Standards require (https://kubernetes.io/docs/concepts/security/pod-security-standards/); `rampart harden` writes the edit."},
			HelpURI:          ruleDoc(pssRule(id)),
			Default:          sarif.Config{Level: "warning"},
			Properties:       map[string]any{"tags": []string{"security", "pod-security", levels[id]}, "security-severity": pssSeverity(levels[id])},
		})
	}
	log := sarif.Log{
		Schema:  sarif.Schema,
		Version: "2.1.0",
		Runs: []sarif.Run{{
			Tool:               sarif.Tool{Driver: sarifDriver(rules)},
			OriginalURIBaseIDs: s.root.URIBaseIDs(),
			Results:            []sarif.Result{},
		}},
	}
	s.log = log
	head, tail, err := sarifFrame(log)
	if err != nil {
		return err
	}
	s.tail = tail
	s.list, err = openList(s.w, head, true)
	return err
}

// sarifFrame is the log's JSON cut where its results go.
func sarifFrame(log sarif.Log) (head, tail string, err error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return "", "", err
	}
	return cutList(b.String(), "results", true)
}

func (s *auditSARIF) Workload(wl *audit.Workload) error {
	loc := func(pos string) []sarif.Location {
		file, line, col := splitPos(pos)
		l := sarif.Location{Physical: &sarif.Physical{Artifact: s.root.Artifact(file, s.wd)}}
		if line > 0 {
			l.Physical.Region = &sarif.Region{StartLine: line, StartColumn: col}
		}
		return []sarif.Location{l}
	}
	for i := range wl.Containers {
		c := &wl.Containers[i]
		who := fmt.Sprintf("%s %s, container %s", wl.Kind, wl.Name, c.Name)
		for _, p := range c.Paths {
			if p.Verdict != audit.Open {
				continue
			}
			id := openPathRule(p.ID)
			level := "warning"
			if c.Privileged {
				level = "error"
			}
			msg := fmt.Sprintf("%s: attack path %s is open (%s)", who, p.ID, p.Why)
			sup := suppressions(c, audit.OpenPathRule(p.ID), &msg)
			if err := s.list.add(sarif.Result{RuleID: id, RuleIndex: s.index[id], Level: level,
				Message:             sarif.Text{Text: msg},
				Locations:           loc(p.Fix),
				PartialFingerprints: map[string]string{"rampart/v1": audit.Fingerprint(wl, c, audit.OpenPathRule(p.ID))},
				Suppressions:        sup}); err != nil {
				return err
			}
		}
		for _, f := range c.PSS.Failures {
			id := pssRule(f.Check)
			msg := fmt.Sprintf("%s: fails Pod Security %s check %s: %s", who, f.Level, f.Check, f.Reason)
			if f.Detail != "" {
				msg += " (" + f.Detail + ")"
			}
			level := "warning"
			if f.Level == audit.LevelBaseline {
				level = "error"
			}
			sup := suppressions(c, audit.PSSRule(f.Check), &msg)
			if err := s.list.add(sarif.Result{RuleID: id, RuleIndex: s.index[id], Level: level,
				Message: sarif.Text{Text: msg}, Locations: loc(f.Pos),
				PartialFingerprints: map[string]string{"rampart/v1": audit.Fingerprint(wl, c, audit.PSSRule(f.Check))},
				Suppressions:        sup}); err != nil {
				return err
			}
		}
	}
	return nil
}

// End closes the results. When apparmor_parser did not judge the
// AppArmor profiles, the run's invocation carries that as a note: the
// verdicts on them are rampart's alone.
func (s *auditSARIF) End(r *audit.Report) error {
	if v := r.AppArmorValidation; v != nil && v.Note != "" {
		s.log.Runs[0].Invocations = []sarif.Invocation{{ExecutionSuccessful: true,
			Notifications: []sarif.Notification{{Level: "note", Message: sarif.Text{Text: v.Note}}}}}
		_, tail, err := sarifFrame(s.log)
		if err != nil {
			return err
		}
		s.tail = tail
	}
	return s.list.close(s.tail)
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
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

// junitProperty is a suite's name=value fact: rampart's version, as
// JUnit readers show a suite's properties (the schemas they read put
// properties on suites, not on the root).
type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

// junitSkipped is an accepted finding: a test not failed, with why. The
// reason is the element's text, not a message attribute: the schema
// Jenkins reads allows no attribute on <skipped>, and GitLab reads both.
type junitSkipped struct {
	Text string `xml:",chardata"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// auditJUnit writes the report as JUnit XML, a test suite per container
// and a test case per attack path: an open path fails; an invalid
// container is one error. Its root element carries the
// totals, known only at the end: the suites wait in a temporary file
// until then, not in memory.
type auditJUnit struct {
	w     io.Writer
	spool *os.File
	all   junitSuites // the totals; no suites
	n     int
	props []junitProperty // every suite's: rampart's version, read once
}

func (j *auditJUnit) Begin(*audit.Report) error {
	f, err := os.CreateTemp("", "rampart-junit-*")
	if err != nil {
		return err
	}
	os.Remove(f.Name()) // gone with the descriptor, whatever happens
	j.spool, j.all = f, junitSuites{Name: "rampart audit"}
	j.props = []junitProperty{{Name: "rampart.version", Value: version.Version()}}
	return nil
}

func (j *auditJUnit) Workload(wl *audit.Workload) error {
	for _, c := range wl.Containers {
		if err := j.suite(j.containerSuite(wl, c)); err != nil {
			return err
		}
	}
	return nil
}

func (j *auditJUnit) containerSuite(wl *audit.Workload, c audit.Container) junitSuite {
	s := junitSuite{Name: fmt.Sprintf("%s: %s %s / %s", wl.File, wl.Kind, wl.Name, c.Name)}
	class := fmt.Sprintf("%s.%s.%s", wl.Kind, wl.Name, c.Name)
	if c.Error != "" {
		s.Cases = append(s.Cases, junitCase{Name: "policy", Classname: class, Error: &junitFailure{Message: "no policy", Type: "invalid", Text: c.Error}})
		s.Errors++
	}
	for _, p := range c.Paths {
		tc := junitCase{Name: p.ID, Classname: class}
		if p.Verdict == audit.Open {
			x := c.Acceptance(audit.OpenPathRule(p.ID))
			if x != nil && !x.Expired {
				tc.Skipped = &junitSkipped{Text: "accepted: " + x.Reason + " (" + x.Kind + ", " + x.Source + ")"}
				s.Skipped++
			} else {
				text := p.Why + "\nfix: " + p.Fix
				if x != nil {
					text += "\n" + acceptedLine(*x)
				}
				tc.Failure = &junitFailure{Message: "attack path open", Type: "open-path", Text: text}
				s.Failures++
			}
		}
		s.Cases = append(s.Cases, tc)
	}
	return s
}

// suite adds s to the totals and spools it.
func (j *auditJUnit) suite(s junitSuite) error {
	s.Properties = j.props
	s.Tests = len(s.Cases)
	j.all.Tests += s.Tests
	j.all.Failures += s.Failures
	j.all.Errors += s.Errors
	// A suite is one level into the root: indented as in the whole
	// document, a newline between suites.
	if j.n > 0 {
		if _, err := io.WriteString(j.spool, "\n"); err != nil {
			return err
		}
	}
	enc := xml.NewEncoder(j.spool)
	enc.Indent("  ", "  ")
	if err := enc.EncodeElement(s, xml.StartElement{Name: xml.Name{Local: "testsuite"}}); err != nil {
		return err
	}
	j.n++
	return nil
}

func (j *auditJUnit) End(r *audit.Report) error {
	defer j.spool.Close()
	// A document that could not be read is an error of the run, not an
	// absence: without a case for it a CI page would show green where
	// --fail-on failed the job.
	if r != nil && len(r.Errors) > 0 {
		s := junitSuite{Name: "documents rampart could not read"}
		for _, e := range r.Errors {
			name := e.File
			if e.Doc > 0 {
				name = fmt.Sprintf("%s#%d", e.File, e.Doc)
			}
			s.Cases = append(s.Cases, junitCase{Name: name, Classname: "document", Error: &junitFailure{Message: "not read", Type: "unreadable", Text: e.Message}})
			s.Errors++
		}
		if err := j.suite(s); err != nil {
			return err
		}
	}
	// Profiles apparmor_parser did not judge: a skipped case that says
	// so, where a CI page shows it.
	if v := appArmorValidation(r); v != nil && v.Note != "" {
		s := junitSuite{Name: "AppArmor profiles: validation", Skipped: 1,
			Cases: []junitCase{{Name: "apparmor_parser", Classname: "apparmor", Skipped: &junitSkipped{Text: v.Note}}}}
		if err := j.suite(s); err != nil {
			return err
		}
	}
	var root strings.Builder
	enc := xml.NewEncoder(&root)
	enc.Indent("", "  ")
	if err := enc.Encode(j.all); err != nil {
		return err
	}
	const end = "</testsuites>"
	if _, err := io.WriteString(j.w, xml.Header); err != nil {
		return err
	}
	if j.n == 0 {
		_, err := io.WriteString(j.w, root.String()+"\n")
		return err
	}
	if _, err := io.WriteString(j.w, strings.TrimSuffix(root.String(), end)+"\n"); err != nil {
		return err
	}
	if _, err := j.spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(j.w, j.spool); err != nil {
		return err
	}
	_, err := io.WriteString(j.w, "\n"+end+"\n")
	return err
}

// appArmorValidation is the report's AppArmor validation; nil for no
// report.
func appArmorValidation(r *audit.Report) *apparmor.Validation {
	if r == nil {
		return nil
	}
	return r.AppArmorValidation
}
