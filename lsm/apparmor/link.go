package apparmor

import (
	"fmt"
	"strings"
)

// A hard link is a second name for a file, with the permissions the
// profile gives that name. The kernel asks the profile for l on the new
// name paired with the existing target; and when the rule that allows
// the pair asks for the subset test (every l but `link PATH -> TARGET`
// without subset), the new name may not carry a permission the profile
// does not grant on the target, nor another exec transition: otherwise
// a task allowed to write only under /tmp could link /etc/shadow there
// and write it through the link.

// applies reports whether a rule's owner or other qualifier lets it
// decide a file whose owner is (owner) or is not the task.
func (fr *fileRule) applies(owner bool) bool {
	return !(fr.rule.Owner && !owner || fr.rule.Other && owner)
}

// fileGrant is what the profile grants on one path: permissions allowed
// and not denied, and the exec transition of x.
type fileGrant struct {
	perms Perm
	exec  ExecMode
	to    string
}

func (c *Compiled) grantOn(path string, owner bool) fileGrant {
	var allow, deny Perm
	var execs []*fileRule
	for _, i := range c.index.candidates(path) {
		fr := c.files[i]
		if !fr.match(path) || !fr.applies(owner) {
			continue
		}
		if fr.rule.Deny {
			deny |= fr.perms
			continue
		}
		allow |= fr.perms
		if fr.exec != "" {
			execs = append(execs, fr)
		}
	}
	g := fileGrant{perms: allow &^ deny}
	if g.perms&PermExec != 0 && len(execs) > 0 {
		w := execWinner(execs)
		g.exec, g.to = w.exec, w.rule.Target
	}
	return g
}

// evalLink decides a hard link at a.Path to the existing a.LinkTarget.
func (c *Compiled) evalLink(a Access) Decision {
	d := Decision{Access: a}
	link, target := foldSlashes(a.Path), foldSlashes(a.LinkTarget)
	t := tally{req: PermLink}
	var allowBy, denyBy []*fileRule
	var subsetBy *fileRule
	for _, i := range c.index.candidates(link) {
		fr := c.files[i]
		if !fr.link || !fr.match(link) || !fr.applies(a.Owner) || fr.linkTo != nil && !fr.linkTo.Match(target) {
			continue
		}
		t.count(fr.rule, PermLink)
		if fr.rule.Deny {
			denyBy = append(denyBy, fr)
			continue
		}
		allowBy = append(allowBy, fr)
		if fr.subset && subsetBy == nil {
			subsetBy = fr
		}
	}
	var subsetWhy string
	if len(allowBy) > 0 && len(denyBy) == 0 && subsetBy != nil {
		lg, tg := c.grantOn(link, a.Owner), c.grantOn(target, a.Owner)
		extra := (lg.perms &^ PermLink) &^ tg.perms
		switch {
		case extra != 0:
			subsetWhy = fmt.Sprintf("the subset test fails: the profile grants %s on %s and not on %s, which a link would open to it", extra, a.Path, a.LinkTarget)
		case lg.perms&PermExec != 0 && (!execSubset(lg.exec, tg.exec) || lg.to != tg.to):
			subsetWhy = fmt.Sprintf("the subset test fails: x on %s runs %s, on %s %s", a.Path, lg.exec, a.LinkTarget, tg.exec)
		}
		if subsetWhy != "" {
			t.allow = 0
		}
	}
	_, quiet := c.settle(&d, t)
	var why []string
	switch {
	case c.Mode == Unconfined:
		why = append(why, "the profile is in unconfined mode: nothing is mediated")
	case len(denyBy) > 0:
		d.Rule, d.Via = denyBy[0].rule, denyBy[0].via
		s := fmt.Sprintf("the deny rule covers a link at %s to %s, and deny rules win over allow rules", a.Path, a.LinkTarget)
		if len(allowBy) > 0 {
			s += fmt.Sprintf(" (%s at %s allows it)", allowBy[0].rule, where(allowBy[0].rule, allowBy[0].via))
		}
		why = append(why, s)
	case len(allowBy) == 0:
		why = append(why, fmt.Sprintf("no rule allows a link at %s to %s, and what a profile does not allow is denied", a.Path, a.LinkTarget))
	case subsetWhy != "":
		d.Rule, d.Via = subsetBy.rule, subsetBy.via
		why = append(why, subsetWhy+" (the rule asks for the subset test)")
	default:
		fr := allowBy[0]
		if subsetBy != nil {
			fr = subsetBy
		}
		d.Rule, d.Via = fr.rule, fr.via
		s := fmt.Sprintf("the rule allows a link at %s to %s and no deny rule covers it", a.Path, a.LinkTarget)
		if subsetBy != nil {
			s += fmt.Sprintf("; the subset test holds: what the profile grants on %s, it grants on %s", a.Path, a.LinkTarget)
		}
		why = append(why, s)
	}
	for _, fr := range allowBy {
		if fr.rule == d.Rule && fr.alias != nil {
			why = append(why, fmt.Sprintf("the rule covers %s through %s", a.Path, strings.TrimSuffix(fr.alias.String(), ",")))
			break
		}
	}
	if note := modeNote(d, quiet, c.Mode); note != "" {
		why = append(why, note)
	}
	d.Reason = strings.Join(why, "; ")
	return d
}

// execSubset reports whether a link whose exec transition is link may
// point at a file whose transition is target, as the kernel's subset test
// decides: the same transition, where a link that scrubs the environment
// (Px) may point at one that does not (px), and not the other way round.
func execSubset(link, target ExecMode) bool {
	if !strings.EqualFold(string(link), string(target)) {
		return false
	}
	scrubs := func(m ExecMode) bool { return strings.ContainsAny(string(m), "PCU") }
	return scrubs(link) || !scrubs(target)
}
