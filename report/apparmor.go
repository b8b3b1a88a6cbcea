package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// appArmorFormats are the formats AppArmor writes.
var appArmorFormats = []string{"text", "json"}

// AppArmor writes `rampart apparmor eval`'s decisions under the compiled
// profile c: text, or json (a list of AppArmorDecision). v says who
// validated the profile; the text leaves it to the caller (standard
// error), JSON carries it in every decision.
func AppArmor(w io.Writer, c *apparmor.Compiled, ds []apparmor.Decision, v *apparmor.Validation, format string) error {
	switch format {
	case "text":
		appArmorText(w, c, ds)
		return nil
	case "json":
		return appArmorJSON(w, c, ds, v)
	}
	return &FormatError{Format: format, Want: appArmorFormats}
}

// appArmorText writes the profile and, per access, the verdict, the
// deciding rule at its file:line:col, the exec transition and why.
func appArmorText(w io.Writer, c *apparmor.Compiled, ds []apparmor.Decision) {
	p := c.Profile
	fmt.Fprintf(w, "profile %s (%s mode) in %s\n", p.QualifiedName(), c.Mode, p.File)
	if len(p.Xattrs) > 0 {
		fmt.Fprintf(w, "it attaches only to programs with the xattrs %s: not evaluated\n", strings.Join(p.Xattrs, " "))
	}
	switch {
	case p.Parent != nil && p.Hat:
		fmt.Fprintf(w, "a hat of %s: a task enters it by change_hat\n", p.Parent.FullName())
	case p.Parent != nil && len(c.Entries) == 0:
		fmt.Fprintf(w, "a child profile of %s: no exec rule of it leads here\n", p.Parent.FullName())
	case p.Parent != nil:
		fmt.Fprintf(w, "a child profile of %s, entered by:\n", p.Parent.FullName())
		for _, t := range c.Entries {
			fmt.Fprintf(w, "  %s   %s\n", t.Rule, t.Where())
		}
	}
	var bundled []string
	for _, s := range c.Sources {
		if strings.HasPrefix(s, apparmor.BundledPrefix) {
			bundled = append(bundled, strings.TrimPrefix(s, apparmor.BundledPrefix))
		}
	}
	if len(bundled) > 0 {
		fmt.Fprintf(w, "rampart's bundled %s stand in for the system's\n", strings.Join(bundled, " and "))
	}
	if n := c.NotEvaluated(); n != "" {
		// What these rules allow or deny is not in any decision below.
		fmt.Fprintf(w, "not evaluated: %s\n", n)
	}
	for _, d := range ds {
		fmt.Fprintf(w, "\n%s: %s\n", d.Access, d.Verdict())
		if d.Rule != nil {
			fmt.Fprintf(w, "  by   %s   %s\n", d.Rule, d.Where())
		} else {
			fmt.Fprintf(w, "  by   no rule\n")
		}
		if d.Exec != "" {
			e := string(d.Exec)
			if d.Target != "" {
				e += " -> " + d.Target
			}
			fmt.Fprintf(w, "  exec %s\n", e)
		}
		fmt.Fprintf(w, "  why  %s\n", d.Reason)
	}
}

// An AppArmorDecision is one access's decision in `rampart apparmor
// eval -o json` (schema: docs/apparmor-eval.schema.json).
type AppArmorDecision struct {
	Access  string `json:"access"`
	Verdict string `json:"verdict"`
	Allowed bool   `json:"allowed"`
	Mode    string `json:"mode"`
	Logged  bool   `json:"logged"`
	Rule    string `json:"rule,omitempty"`
	At      string `json:"at,omitempty"`
	Exec    string `json:"exec,omitempty"`
	Target  string `json:"target,omitempty"`
	Reason  string `json:"reason"`
	// NotEvaluated names the profile's rule classes the decision does
	// not read: "mount, dbus rules (3 rules)".
	NotEvaluated string `json:"not_evaluated,omitempty"`
	// ValidatedBy are the parsers that accepted the profile: rampart's,
	// and apparmor_parser when it is installed (ValidationNote then
	// says why it did not judge).
	ValidatedBy    []string `json:"validatedBy"`
	ValidationNote string   `json:"validationNote,omitempty"`
	// Profile is the full name of the profile decided under
	// (parent//child, :ns://name); Parent, for a hat or child profile,
	// its parent's; Hat says it is a hat (a task enters it by
	// change_hat).
	Profile string `json:"profile"`
	Parent  string `json:"parent,omitempty"`
	Hat     bool   `json:"hat,omitempty"`
	// Entries are, for a child profile that is not a hat, the parent's
	// exec rules by which a task enters it; empty when none does.
	Entries []AppArmorEntry `json:"entries,omitempty"`
}

// An AppArmorEntry is an exec rule of the parent profile that leads into
// a child profile, in normal form, at its file:line:col.
type AppArmorEntry struct {
	Rule string `json:"rule"`
	At   string `json:"at"`
}

// appArmorJSON writes a list of AppArmorDecision under the compiled
// profile c.
func appArmorJSON(w io.Writer, c *apparmor.Compiled, ds []apparmor.Decision, v *apparmor.Validation) error {
	if v == nil {
		v = &apparmor.Validation{By: []string{"rampart"}}
	}
	p := c.Profile
	var parent string
	var entries []AppArmorEntry
	if p.Parent != nil {
		parent = p.Parent.QualifiedName()
		for _, t := range c.Entries {
			entries = append(entries, AppArmorEntry{Rule: t.Rule.String(), At: t.Where()})
		}
	}
	out := []AppArmorDecision{}
	for _, d := range ds {
		j := AppArmorDecision{Access: d.Access.String(), Verdict: d.Verdict(), Allowed: d.Allowed, Mode: string(d.Mode),
			Logged: d.Logged, Exec: string(d.Exec), Target: d.Target, Reason: d.Reason, NotEvaluated: d.NotEvaluated,
			ValidatedBy: v.By, ValidationNote: v.Note,
			Profile: p.QualifiedName(), Parent: parent, Hat: p.Hat, Entries: entries}
		if d.Rule != nil {
			j.Rule, j.At = d.Rule.String(), d.Where()
		}
		out = append(out, j)
	}
	return writeJSON(w, out)
}
