package apparmor

import (
	"fmt"
	"sort"
	"strings"
)

// The kernel runs one exec transition for a file. When rules that match
// the same file name different transitions, apparmor_parser refuses the
// profile ("conflicting x modifiers") rather than pick one; rampart
// refuses it too, so that an evaluation never reports a transition the
// kernel would not load. As the parser does: a rule without wildcards or
// classes (alternations allowed) decides over globs for the files it
// names, so two rules conflict only when both are of that kind or both
// are globs; owner rules and other rules apply to different files and
// never meet; deny rules carry no transition.

// execKey is what must agree between rules that meet on a file: the
// mode, the profile it goes to, and `unsafe` on ix (a distinct mode for
// the parser).
func execKey(r *Rule, exec ExecMode) string {
	k := string(exec) + " -> " + r.Target
	if exec == "ix" && r.ExecQual == "unsafe" {
		k = "unsafe " + k
	}
	return k
}

// hasWildcard reports whether an expanded glob has *, ?, a class or an
// escape: apparmor_parser counts an escaped byte as a pattern too
// (`/bin/\a ix` does not meet `/bin/a px`).
func hasWildcard(pat string) bool {
	return strings.ContainsAny(pat, "*?[\\")
}

// execConflicts finds two allow rules of the profile whose exec
// transitions differ on some file.
func execConflicts(p *Profile, files []*fileRule) error {
	type xr struct {
		fr  *fileRule
		key string
	}
	var plain, globs []xr
	lits := map[string]xr{}
	for _, fr := range files {
		if fr.rule.Deny || fr.exec == "" || fr.exec == "x" {
			continue
		}
		x := xr{fr, execKey(fr.rule, fr.exec)}
		switch {
		case fr.plain && fr.isExact:
			if o, ok := lits[fr.exact]; ok && o.key != x.key && meetOwners(o.fr.rule, fr.rule) {
				return execConflictError(p, o.fr, fr, fr.exact)
			}
			if _, ok := lits[fr.exact]; !ok {
				lits[fr.exact] = x
			}
			plain = append(plain, x)
		case fr.plain:
			plain = append(plain, x)
		default:
			globs = append(globs, x)
		}
	}
	for _, set := range [][]xr{plain, globs} {
		// Two globs can share a path only when the literal prefix of
		// one begins the other's: sorted by prefix, a rule meets only
		// the run of rules after it whose prefixes begin with its own.
		prefix := func(x xr) string {
			if x.fr.all {
				return ""
			}
			p, _ := x.fr.glob.Prefix()
			return p
		}
		sort.SliceStable(set, func(i, j int) bool { return prefix(set[i]) < prefix(set[j]) })
		for i, a := range set {
			pa := prefix(a)
			for _, b := range set[i+1:] {
				if !strings.HasPrefix(prefix(b), pa) {
					break
				}
				if a.key == b.key || !meetOwners(a.fr.rule, b.fr.rule) {
					continue
				}
				if a.fr.isExact && b.fr.isExact {
					continue // compared by path above
				}
				if fileRulesMeet(a.fr, b.fr) {
					return execConflictError(p, a.fr, b.fr, "")
				}
			}
		}
	}
	return nil
}

// meetOwners reports whether two rules can apply to the same file:
// not when one is owner and the other other.
func meetOwners(a, b *Rule) bool {
	return !(a.Owner && b.Other || a.Other && b.Owner)
}

func fileRulesMeet(a, b *fileRule) bool {
	switch {
	case a.all || b.all:
		return true
	case a.isExact:
		return b.glob.Match(a.exact)
	case b.isExact:
		return a.glob.Match(b.exact)
	}
	return a.glob.Intersects(b.glob)
}

func execConflictError(p *Profile, a, b *fileRule, path string) error {
	what := "some file"
	if path != "" {
		what = path
	}
	return &Error{Pos: b.rule.Pos, Msg: fmt.Sprintf(
		"profile %s: %s gives %s an exec transition (%s) that conflicts with %s (%s) at %s; apparmor_parser refuses the profile (\"conflicting x modifiers\")",
		p.Name, b.rule, what, b.exec, a.rule, a.exec, where(a.rule, a.via))}
}
