package apparmor

import (
	"fmt"
	"strings"
)

// classRule compiles a rule of a class evaluation does not read: it is
// kept to be named in decisions, its variables must all be declared (an
// undeclared one makes apparmor_parser refuse the profile, which then
// never loads), and change_profile rules must not conflict.
func (cc *compiler) classRule(r *Rule, via []Pos) error {
	c := cc.c
	c.others = append(c.others, ruleRef{r, via})
	if r.Model == nil {
		return nil
	}
	expanded := map[string]string{}
	for _, v := range r.Model.patterns() {
		e, err := c.expand(v, 0)
		if err != nil {
			return &Error{Pos: r.Pos, Msg: err.Error()}
		}
		if strings.Contains(v, "@{") {
			// Parsing left the pattern to be checked once its variables
			// are expanded, as apparmor_parser checks it.
			if _, err := CompileGlob(e); err != nil {
				return &Error{Pos: r.Pos, Msg: fmt.Sprintf("%s (%s once its variables are expanded)", err, v)}
			}
		}
		expanded[v] = e
	}
	cp, ok := r.Model.(*ChangeProfileRule)
	if !ok || r.Deny || cp.Exec == "" {
		return nil
	}
	// Two rules that allow the same change on exec of the same program,
	// one keeping the environment (unsafe) and one scrubbing it, leave
	// the kernel no single answer: apparmor_parser refuses the profile.
	target := "**"
	if cp.HasTarget {
		target = expanded[cp.Target]
	}
	key := expanded[cp.Exec] + "\x00" + target
	if cc.onExec == nil {
		cc.onExec = map[string]*Rule{}
	}
	if prev, ok := cc.onExec[key]; ok {
		if prev.Model.(*ChangeProfileRule).Unsafe() != cp.Unsafe() {
			return &Error{Pos: r.Pos, Msg: fmt.Sprintf(
				"change_profile to %s on exec of %s is both safe and unsafe (with %s)", target, expanded[cp.Exec], prev.Pos)}
		}
		return nil
	}
	cc.onExec[key] = r
	return nil
}

// NotEvaluated names the rule classes of the profile (with its
// includes) that evaluation does not read (ptrace rules and mount rules
// without conditionals it reads), in the order they first
// appear, and how many rules they hold: "mount, dbus rules (3 rules)";
// "" when there are none.
func (c *Compiled) NotEvaluated() string {
	var classes []string
	seen := map[string]bool{}
	n := 0
	for _, o := range c.others {
		if evaluated(o.rule) {
			continue
		}
		n++
		name := o.rule.Keyword
		if o.rule.Model != nil {
			name = o.rule.Model.Class()
		}
		if !seen[name] {
			seen[name] = true
			classes = append(classes, name)
		}
	}
	if n == 0 {
		return ""
	}
	count := "1 rule"
	if n > 1 {
		count = fmt.Sprintf("%d rules", n)
	}
	return strings.Join(classes, ", ") + " rules (" + count + ")"
}
