package apparmor

import (
	"strings"
)

// Render writes the document in rampart's normal form: one statement a
// line, two-space indentation in bodies, qualifiers and permissions in
// canonical order (audit allow|deny owner; mrwalk then the exec mode),
// the trailing form of file rules (`/path perms`), `profile NAME` headers,
// and at most one blank line where the source had any. Comment lines
// above a statement and comments at the end of its line are kept; other
// comments (inside a multi-line rule, after a `}`) are dropped. Rendering
// is stable: parsing the output and rendering again yields the same text.
func (d *Document) Render() string {
	var w renderer
	for _, p := range d.Profiles {
		w.profile(p)
	}
	for _, r := range d.Trailer {
		w.rule(r, "")
	}
	if len(d.EndComments) > 0 {
		if w.b.Len() > 0 {
			w.b.WriteByte('\n')
		}
		w.comments(d.EndComments, "")
	}
	return w.b.String()
}

// Render writes the profile with its own preamble (not those of the
// profiles before it in its file), as Document.Render does.
func (p *Profile) Render() string {
	var w renderer
	w.profile(p)
	return w.b.String()
}

type renderer struct {
	b     strings.Builder
	fresh bool // just after a `{`: no blank line
}

func (w *renderer) space(s bool) {
	if s && !w.fresh && w.b.Len() > 0 {
		w.b.WriteByte('\n')
	}
	w.fresh = false
}

func (w *renderer) comments(cs []string, indent string) {
	for _, c := range cs {
		for _, line := range strings.Split(c, "\n") {
			w.b.WriteString(indent + "#" + safeComment(line) + "\n")
		}
	}
}

// safeComment keeps a comment from reading back as an #include.
func safeComment(c string) string {
	c = strings.TrimRight(c, " \t\r\v\f")
	if strings.HasPrefix(c, "include") && (len(c) == len("include") || strings.IndexByte(" \t<\"", c[len("include")]) >= 0) {
		return " " + c
	}
	return c
}

func (w *renderer) line(indent, text, lineComment string) {
	w.b.WriteString(indent + text)
	if lineComment != "" {
		w.b.WriteString(" #" + safeComment(lineComment))
	}
	w.b.WriteByte('\n')
}

func (w *renderer) rule(r *Rule, indent string) {
	if r.Kind == KindProfile {
		w.body(r.Child, indent)
		return
	}
	w.space(r.Space)
	if r.Kind == KindIf {
		w.comments(r.Comments, indent)
		w.ifBlock(r, indent, "")
		return
	}
	if r.Kind == KindBlock {
		w.comments(r.Comments, indent)
		w.line(indent, r.String(), strings.ReplaceAll(r.LineComment, "\n", " "))
		w.block(r.Body, r.EndComments, indent)
		return
	}
	w.comments(r.Comments, indent)
	w.line(indent, r.String(), strings.ReplaceAll(r.LineComment, "\n", " "))
}

func (w *renderer) profile(p *Profile) {
	for _, r := range p.Preamble {
		w.rule(r, "")
	}
	w.body(p, "")
}

// body writes a profile's header, its rules (hats and child profiles in
// their place, one level deeper) and its `}`.
func (w *renderer) body(p *Profile, indent string) {
	w.space(p.Space)
	w.comments(p.Comments, indent)
	w.line(indent, p.header(), strings.ReplaceAll(p.LineComment, "\n", " "))
	w.block(p.Rules, p.EndComments, indent)
}

// block writes the rules of a block opened on the line before, its end
// comments and its `}`.
func (w *renderer) block(rs []*Rule, end []string, indent string) {
	w.fresh = true
	for _, r := range rs {
		w.rule(r, indent+"  ")
	}
	w.fresh = false
	w.comments(end, indent+"  ")
	w.b.WriteString(indent + "}\n")
}

// ifBlock writes a conditional: `if ... {`, its rules, and its else
// branch, `} else if ... {` when that is all the branch holds.
func (w *renderer) ifBlock(r *Rule, indent, lead string) {
	w.line(indent, lead+r.String(), strings.ReplaceAll(r.LineComment, "\n", " "))
	if !r.HasElse {
		w.block(r.Body, r.EndComments, indent)
		return
	}
	w.fresh = true
	for _, in := range r.Body {
		w.rule(in, indent+"  ")
	}
	w.fresh = false
	w.comments(r.EndComments, indent+"  ")
	if elseIf(r) {
		w.ifBlock(r.Else[0], indent, "} else ")
		return
	}
	w.line(indent, "} else {", "")
	w.block(r.Else, r.ElseEnd, indent)
}

// elseIf reports whether an if's else branch is one if, written
// `else if`.
func elseIf(r *Rule) bool {
	if len(r.Else) != 1 || len(r.ElseEnd) > 0 {
		return false
	}
	e := r.Else[0]
	return e.Kind == KindIf && len(e.Comments) == 0 && !e.Space
}
