package apparmor

import (
	"fmt"
	"strings"
)

// FullName is the profile's name as the kernel knows it: a child's name
// follows its parents', separated by //, "parent//child". The namespace
// is not part of it (see QualifiedName).
func (p *Profile) FullName() string {
	if p.Parent == nil {
		return p.Name
	}
	return p.Parent.FullName() + "//" + p.Name
}

// QualifiedName is FullName with the namespace, ":ns://name", when the
// profile (or its top-level ancestor) has one.
func (p *Profile) QualifiedName() string {
	if ns := p.Root().Namespace; ns != "" {
		return ":" + ns + "://" + p.FullName()
	}
	return p.FullName()
}

// Root is the top-level profile that holds p (p itself at the top).
func (p *Profile) Root() *Profile {
	for p.Parent != nil {
		p = p.Parent
	}
	return p
}

// Children lists the hats and child profiles defined in p's body, in
// order, wherever they stand in it.
func (p *Profile) Children() []*Profile {
	var out []*Profile
	walkRules(p.Rules, func(r *Rule) {
		if r.Kind == KindProfile {
			out = append(out, r.Child)
		}
	})
	return out
}

// walkRules calls f on each rule of a body, descending into the blocks
// that group rules (not into child profiles).
func walkRules(rs []*Rule, f func(*Rule)) {
	for _, r := range rs {
		f(r)
		switch r.Kind {
		case KindBlock:
			walkRules(r.Body, f)
		case KindIf:
			walkRules(r.Body, f)
			walkRules(r.Else, f)
		}
	}
}

// All lists every profile of the document, each followed by its
// children, depth first.
func (d *Document) All() []*Profile {
	var out []*Profile
	var add func(p *Profile)
	add = func(p *Profile) {
		out = append(out, p)
		for _, c := range p.Children() {
			add(c)
		}
	}
	for _, p := range d.Profiles {
		add(p)
	}
	return out
}

// Find returns the profile whose full name is name ("parent//child"),
// with or without its namespace (":ns:parent//child", ":ns://parent").
func (d *Document) Find(name string) *Profile {
	ns := ""
	if strings.HasPrefix(name, ":") {
		var err error
		if ns, name, err = splitNamespace(name); err != nil {
			return nil
		}
	}
	for _, p := range d.All() {
		if p.FullName() == name && (ns == "" || p.Root().Namespace == ns) {
			return p
		}
	}
	return nil
}

// checkNames refuses two top-level profiles with one name in one
// namespace, as apparmor_parser does (the kernel would load one over the
// other). Two children of one profile are checked by Compile, which knows
// the branches the conditionals take. A top-level `hat parent//name` is
// a profile of its own and does not clash with a child of parent.
func (d *Document) checkNames() error {
	seen := map[string]*Profile{}
	for _, p := range d.Profiles {
		key := p.Namespace + ":" + p.Name
		if q := seen[key]; q != nil {
			return errAt(p.Pos(), "profile %s is defined twice (first at %s); apparmor_parser refuses it", p.QualifiedName(), q.Pos())
		}
		seen[key] = p
	}
	return nil
}

// Children lists the hats and child profiles the profile defines: those
// in the branches its conditionals take.
func (c *Compiled) Children() []*Profile {
	var out []*Profile
	for _, k := range c.Profile.Children() {
		if c.defined[k] {
			out = append(out, k)
		}
	}
	return out
}

// header is the profile's first line.
func (p *Profile) header() string {
	var b strings.Builder
	name := quoteName(p.Name)
	if p.Namespace != "" {
		name = quoteName(":" + p.Namespace + ":" + p.Name)
	}
	switch {
	case p.Hat:
		b.WriteString("hat " + name)
	default:
		b.WriteString("profile " + name)
	}
	if p.Attach != "" {
		b.WriteString(" " + quotePath(p.Attach))
	}
	if len(p.Xattrs) > 0 {
		var xs []string
		for _, x := range p.Xattrs {
			k, v, ok := strings.Cut(x, "=")
			if ok {
				k += "=" + quoteWord(v)
			}
			xs = append(xs, k)
		}
		b.WriteString(" xattrs=(" + strings.Join(xs, " ") + ")")
	}
	if len(p.Flags) > 0 {
		b.WriteString(" flags=(" + strings.Join(p.Flags, ",") + ")")
	}
	b.WriteString(" {")
	return b.String()
}

// describe names a profile for messages: "hat p//h", "profile p".
func (p *Profile) describe() string {
	if p.Hat {
		return fmt.Sprintf("hat %s", p.FullName())
	}
	return fmt.Sprintf("profile %s", p.FullName())
}

// Transition is a rule of a parent profile by which a task enters a
// child profile: an exec rule whose transition names it (cx, Cx -> child;
// px, Px -> parent//child) or whose path a child without a target is
// named or attached by.
type Transition struct {
	Rule *Rule
	Via  []Pos // the includes that brought the rule in
}

// Where is the rule's position with the includes that brought it in.
func (t Transition) Where() string { return where(t.Rule, t.Via) }

// entries finds the exec rules of the compiled parent that lead into
// child.
func (c *Compiled) entries(child *Profile) []Transition {
	var out []Transition
	for _, fr := range c.files {
		r := fr.rule
		if r.Deny || fr.exec == "" || fr.exec == "x" || fr.all {
			continue
		}
		if leadsTo(c.Profile, fr, child) {
			out = append(out, Transition{Rule: r, Via: fr.via})
		}
	}
	return out
}

// leadsTo says whether an exec rule of parent moves a task into child.
func leadsTo(parent *Profile, fr *fileRule, child *Profile) bool {
	mode := strings.ToLower(string(fr.exec))
	target := fr.rule.Target
	switch {
	case strings.HasPrefix(mode, "c") && target != "":
		// cx -> NAME names a child of this profile; the kernel looks up
		// the name execTarget gives, so cx -> parent//child leads to
		// parent//parent//child, not here.
		return names(execTarget(parent, fr.exec, target), child)
	case strings.HasPrefix(mode, "c"):
		// cx without a target: the child named by the program's path,
		// or whose attachment matches it.
		if !fr.isExact {
			return false
		}
		if fr.exact == child.Name {
			return true
		}
		if child.Attach != "" {
			if g, err := CompileGlob(child.Attach); err == nil {
				return g.Match(fr.exact)
			}
		}
		return false
	case strings.HasPrefix(mode, "p") && target != "":
		// px -> NAME names a profile by its full name.
		return names(target, child)
	}
	return false
}

// names reports whether the profile name t, as a rule of p's family
// writes it (p//c in the rule's own namespace, or :ns:p//c, :ns://p//c),
// is p.
func names(t string, p *Profile) bool {
	if !strings.HasPrefix(t, ":") {
		return t == p.FullName()
	}
	ns, name, ok := strings.Cut(t[1:], ":")
	return ok && ns == p.Root().Namespace && strings.TrimPrefix(name, "//") == p.FullName()
}

// execTarget is the name of the profile an exec rule of p with the
// transition mode and target hands the task to, as apparmor_parser
// writes it for the kernel: a px target as written, a cx target below
// p (cx -> c is p//c, and cx -> p//c is p//p//c: the parser prefixes
// every name that does not start with a namespace).
func execTarget(p *Profile, mode ExecMode, target string) string {
	if target == "" || !strings.HasPrefix(strings.ToLower(string(mode)), "c") || strings.HasPrefix(target, ":") {
		return target
	}
	return p.FullName() + "//" + target
}
