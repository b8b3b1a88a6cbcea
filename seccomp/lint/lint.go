// Package lint reports what a seccomp profile claims and does not do: a
// deny that another form of the same request gets past (an argument
// variant, another ABI, i386's multiplexers, a sibling syscall, the
// fallback an ENOSYS invites), an allowing or logging default, an ABI
// the filter lets in for no rule, syscalls newer than the machine's
// libseccomp, and what `rampart run` would refuse. Each finding points
// at the rule (file:line:col) and says how to fix it.
//
// Variants are decided by the compiled filter, run by rampart's BPF
// interpreter (seccomp.Bypasses, seccomp.Fallbacks): nothing is guessed
// from names. `rampart run` warns at launch with the same check
// (Variants).
package lint

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/version"
)

// Severity is how much a finding matters.
type Severity string

const (
	// Info is a fact about the profile worth knowing.
	Info Severity = "info"
	// Warning is a claim the profile does not keep: a deny that does
	// not hold, a default that refuses nothing.
	Warning Severity = "warning"
	// Error is what `rampart run` refuses.
	Error Severity = "error"
)

// Rank orders severities: info 1, warning 2, error 3 (0 for none).
func (s Severity) Rank() int {
	switch s {
	case Info:
		return 1
	case Warning:
		return 2
	case Error:
		return 3
	}
	return 0
}

// ParseSeverity reads info, warning or error.
func ParseSeverity(s string) (Severity, error) {
	if v := Severity(s); v.Rank() > 0 {
		return v, nil
	}
	return "", fmt.Errorf("%q: want info, warning or error", s)
}

// Finding is one thing a profile claims and does not do.
type Finding struct {
	// Check is the kind of finding (Checks lists them).
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	// File, Line and Col say where in the profile's file it is written:
	// the rule's syscall name, or the field. Line is 0 where there is no
	// file (RuntimeDefault), or the field is not written.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
	// Field is the path of the value in the file ("syscalls[3].names[0]",
	// "defaultAction"; "spec." first in an SPO object), or for a profile
	// without a file the resolved entry ("syscalls[3]").
	Field string `json:"field,omitempty"`
	// Syscall is the syscall the rule is about, when there is one.
	Syscall string `json:"syscall,omitempty"`
	// Rule describes the deny ("socket SCMP_ACT_ERRNO(EPERM) when arg1 ==
	// 0x3"), for the variant checks.
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
	// Variants are, for the variant checks, every form of the refused
	// request the filter lets through, plainest first.
	Variants []Variant `json:"variants,omitempty"`
}

// Position is "file:line:col", "file" without a line, or the profile's
// name and field where there is no file.
func (f Finding) Position(profile string) string {
	switch {
	case f.File != "" && f.Line > 0:
		return fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Col)
	case f.File != "" && f.Field != "":
		return f.File + " " + f.Field
	case f.File != "":
		return f.File
	case f.Field != "":
		return profile + " " + f.Field
	}
	return profile
}

// Variant is a form of a refused request that the filter lets through.
type Variant struct {
	// Kind is flag, value, high-bits, abi, multiplexer, sibling, io_uring
	// or fallback (seccomp.Bypass).
	Kind string `json:"kind"`
	// Refused is the call the deny refuses that the variant stands for.
	Refused Call `json:"refused"`
	// Calls are the calls that get through instead (several for a route
	// of several steps).
	Calls []Call `json:"calls"`
	// Action is the filter's answer to the first of them; DenyAction the
	// deny's.
	Action     string `json:"action"`
	DenyAction string `json:"denyAction"`
	Why        string `json:"why"`
	// Others counts further refused calls the same form gets past.
	Others int `json:"others"`
	// Live says this kernel runs every ABI of the calls: the variant
	// gets past the deny here, not only on a kernel that does.
	Live bool `json:"live"`
	// Bypass is the analysis' own record.
	Bypass seccomp.Bypass `json:"-"`
}

// Call is one system call as an ABI makes it.
type Call struct {
	Arch    string `json:"arch"`
	Syscall string `json:"syscall"`
	// Nr is the number the filter sees (x32's carry 0x40000000).
	Nr int32 `json:"nr"`
	// Args are the six arguments as the filter sees them, in hex (a
	// 64-bit value does not fit a JSON number).
	Args [6]string `json:"args"`
	// Hidden says why the filter cannot see the real arguments.
	Hidden string `json:"hidden,omitempty"`
}

func call(c seccomp.Call) Call {
	out := Call{Arch: c.Arch, Syscall: c.Syscall, Nr: c.Nr, Hidden: c.Hidden}
	for i, a := range c.Args {
		out.Args[i] = "0x" + strconv.FormatUint(a, 16)
	}
	return out
}

func (v Variant) String() string { return v.Bypass.String() }

// Target is a profile to lint.
type Target struct {
	// Name is the profile as given: a path, or runtime-default.
	Name string
	// Runtime names the release of a runtime's own profile
	// ("containerd 1.7.11"); empty for a file.
	Runtime string
	// Profile is the profile read; nil when Err says why it could not be.
	Profile *seccomp.Profile
	Err     error
}

// Result is what lint found in one profile.
type Result struct {
	// Name is the profile as given; File the file its positions are in
	// (empty for a runtime's own profile).
	Name    string `json:"name"`
	File    string `json:"file,omitempty"`
	Runtime string `json:"runtime,omitempty"`
	// Bounding is the capability bounding set the profile was resolved
	// against (its includes and excludes decided).
	Bounding []string `json:"bounding"`
	// Evaluated says what decided the variants: "compiled filter" (the
	// program the launcher loads, read back from the kernel),
	// "libseccomp's program" (as runc's engine builds it, without runc's
	// ENOSYS stub: no root to read a filter back), or why nothing did.
	Evaluated string    `json:"evaluated"`
	Findings  []Finding `json:"findings"`
}

// Worst is the highest severity among the findings, "" without any.
func (r *Result) Worst() Severity {
	var w Severity
	for _, f := range r.Findings {
		if f.Severity.Rank() > w.Rank() {
			w = f.Severity
		}
	}
	return w
}

// Lint checks one profile: it compiles it (as `rampart run` does) and
// runs every check.
func Lint(t Target) Result {
	r := Result{Name: t.Name, Runtime: t.Runtime, Findings: []Finding{}, Bounding: []string{}}
	if t.Profile == nil {
		r.File = t.Name
		r.Evaluated = "not evaluated: the profile cannot be read"
		r.Findings = append(r.Findings, invalid(t.Name, t.Err))
		return r
	}
	p := t.Profile
	l := &linter{p: p, file: fileOf(t), embedded: t.Runtime != ""}
	r.File = l.file
	if names := p.Bounding.Names(caps.Cap.OCI); names != nil {
		r.Bounding = names
	}
	l.conflict()
	l.defaults()
	l.logRules()
	l.enosys()
	l.unapplied()
	l.arches()
	l.newer()
	f, err := seccomp.Compile(p)
	switch {
	case !seccomp.HaveCompiler():
		// a darwin or windows build: the rules' checks above hold, the
		// filter's need the program a Linux build compiles
		r.Evaluated = "rules only: this build has no libseccomp, so the ways around each deny (which the compiled filter decides) are not looked for; lint on Linux for them"
	case err != nil:
		r.Evaluated = "not evaluated: " + err.Error()
		l.add(Finding{Check: CheckCompile, Severity: Error, File: l.file,
			Message: fmt.Sprintf("rampart run refuses this profile: %v", err),
			Fix:     "write the rules so that libseccomp can build a filter that does what they say; rampart seccomp explain shows what a call gets"})
	default:
		prog, exact := f.Analysed()
		r.Evaluated = "compiled filter"
		if !exact {
			r.Evaluated = "libseccomp's program (without runc's ENOSYS stub: reading a filter back needs root)"
		}
		l.start(f)
		vs, err := Variants(p, prog)
		if err != nil {
			r.Evaluated = "not evaluated: " + err.Error()
		}
		l.findings = append(l.findings, vs...)
	}
	l.sort()
	r.Findings = append(r.Findings, l.findings...)
	return r
}

// fileOf is the file a profile's positions are in: its name for a file,
// nothing for a runtime's own profile.
func fileOf(t Target) string {
	if t.Runtime != "" {
		return ""
	}
	return t.Profile.Name
}

type linter struct {
	p        *seccomp.Profile
	file     string
	embedded bool
	findings []Finding
}

func (l *linter) add(f Finding) { l.findings = append(l.findings, f) }

// at fills in where a field is written.
func (l *linter) at(f Finding, path string) Finding {
	f.File = l.file
	f.Line, f.Col = l.p.FieldPos(path)
	f.Field = l.p.FieldPath(path)
	if l.file == "" {
		f.Field = path
	}
	return f
}

// atRule fills in where a rule is written: its syscall name in the file,
// or its resolved entry.
func (l *linter) atRule(f Finding, r seccomp.Rule) Finding {
	return placeRule(l.p, l.file, f, r)
}

func placeRule(p *seccomp.Profile, file string, f Finding, r seccomp.Rule) Finding {
	f.File = file
	f.Syscall = r.Name
	if e, ok := p.RuleEntry(r); ok && file != "" {
		f.Line, f.Col = p.RulePos(r)
		f.Field = p.FieldPath(fmt.Sprintf("syscalls[%d]", e))
		if k := slices.Index(p.Written()[e].Names, r.Name); k >= 0 {
			f.Field += fmt.Sprintf(".names[%d]", k)
		}
		return f
	}
	f.Field = fmt.Sprintf("syscalls[%d]", r.Index)
	if src := p.RuleSource(r); file != "" && strings.HasSuffix(src, "=") {
		// a systemd unit's rule: at the directive it is written for
		f.Line, f.Col = p.RulePos(r)
		f.Field = src[strings.LastIndexByte(src, ' ')+1:]
	}
	return f
}

func (l *linter) sort() {
	slices.SortStableFunc(l.findings, func(a, b Finding) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return b.Severity.Rank() - a.Severity.Rank()
	})
}

func invalid(name string, err error) Finding {
	f := Finding{Check: CheckInvalid, Severity: Error, File: name,
		Message: fmt.Sprintf("rampart run refuses this profile: %v", err),
		Fix:     "correct the profile where the message points; the runtimes would drop or misread what rampart refuses here"}
	if err == nil {
		f.Message = "rampart run refuses this profile"
	}
	var pe *seccomp.Error
	if errors.As(err, &pe) {
		f.File, f.Line, f.Col, f.Field = pe.File, pe.Line, pe.Col, pe.Field
		f.Message = "rampart run refuses this profile: " + pe.Err.Error()
		if pe.Field != "" {
			f.Message = "rampart run refuses this profile: " + pe.Field + ": " + pe.Err.Error()
		}
	}
	return f
}

// conflict reports two rules that answer differently for one call.
func (l *linter) conflict() {
	err := l.p.Conflict()
	if err == nil {
		return
	}
	f := invalid(l.p.Name, err)
	f.Check = CheckConflict
	f.Fix = "write the two rules' conditions so that they exclude each other, or give them one action"
	if l.embedded {
		// the runtime enforces its own profile as its engine builds it
		f.Severity = Warning
		f.File, f.Line, f.Col = "", 0, 0
		var pe *seccomp.Error
		if errors.As(err, &pe) {
			f.Message = pe.Err.Error() + "; the runtime enforces it as its engine builds it, and so does rampart run"
		}
	}
	l.add(f)
}

// defaults reports a default action that refuses nothing.
func (l *linter) defaults() {
	switch l.p.Spec.DefaultAction {
	case specs.ActAllow:
		l.add(l.at(Finding{Check: CheckDefaultAllow, Severity: Warning,
			Message: "defaultAction SCMP_ACT_ALLOW: a deny list, which refuses only the calls it names; every other call is allowed, the siblings of what it refuses and every syscall newer than the profile included",
			Fix:     `refuse by default ("defaultAction": "SCMP_ACT_ERRNO") and allow what the workload uses: rampart record writes such a profile from a run`}, "defaultAction"))
	case specs.ActLog:
		l.add(l.at(Finding{Check: CheckLog, Severity: Warning,
			Message: "defaultAction SCMP_ACT_LOG lets every call the profile does not name through and only writes an audit record: the profile refuses nothing by default",
			Fix:     `refuse by default ("defaultAction": "SCMP_ACT_ERRNO") once the log has shown what the workload uses; keep SCMP_ACT_LOG for finding that out`}, "defaultAction"))
	}
}

// logRules reports SCMP_ACT_LOG rules where they let through what the
// default would too: they refuse nothing.
func (l *linter) logRules() {
	if l.p.Spec.DefaultAction != specs.ActAllow && l.p.Spec.DefaultAction != specs.ActLog {
		return // under a refusing default a LOG rule is an allow that logs
	}
	for i, sc := range l.p.Spec.Syscalls {
		if sc.Action != specs.ActLog {
			continue
		}
		for _, n := range sc.Names {
			r := seccomp.Rule{Index: i, Name: n, Action: sc.Action, Args: sc.Args}
			l.add(l.atRule(Finding{Check: CheckLog, Severity: Warning,
				Message: fmt.Sprintf("%s SCMP_ACT_LOG lets the call through and only writes an audit record: under the default %s this rule refuses nothing", n, l.p.Spec.DefaultAction),
				Fix:     `to refuse the call, give the rule "action": "SCMP_ACT_ERRNO"`}, r))
		}
	}
}

// Schema names the JSON form of a Report (docs/seccomp-lint-json.md).
const Schema = "rampart.seccomp-lint/v1"

// Report is lint's answer for a set of profiles.
type Report struct {
	Schema string `json:"schema"`
	// RampartVersion is the version of the rampart that wrote this.
	RampartVersion string `json:"rampartVersion"`
	// Libseccomp is the version of the linked libseccomp, which decides
	// the newer-syscall checks.
	Libseccomp string `json:"libseccomp"`
	// KernelABIs are the ABIs this kernel runs, which decide whether a
	// variant is live.
	KernelABIs []string `json:"kernelABIs"`
	Profiles   []Result `json:"profiles"`
	Summary    Summary  `json:"summary"`
}

// Summary counts the findings by severity.
type Summary struct {
	Profiles int `json:"profiles"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// NewReport lints each target.
func NewReport(targets []Target) *Report {
	r := &Report{Schema: Schema, RampartVersion: version.Version(), Libseccomp: seccomp.LibseccompVersion(), KernelABIs: []string{}, Profiles: []Result{}}
	runs, _ := seccomp.KernelABIs()
	for _, a := range seccomp.Arches {
		if runs[a.Name] {
			r.KernelABIs = append(r.KernelABIs, a.Name)
		}
	}
	for _, t := range targets {
		res := Lint(t)
		r.Profiles = append(r.Profiles, res)
		r.Summary.Profiles++
		for _, f := range res.Findings {
			switch f.Severity {
			case Error:
				r.Summary.Errors++
			case Warning:
				r.Summary.Warnings++
			default:
				r.Summary.Infos++
			}
		}
	}
	return r
}

// Failed says whether a finding is at least as severe as sev.
func (r *Report) Failed(sev Severity) bool {
	for _, p := range r.Profiles {
		if p.Worst().Rank() >= sev.Rank() {
			return true
		}
	}
	return false
}
