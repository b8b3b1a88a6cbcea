package apparmor

import (
	"fmt"

	"github.com/rampart-sec/rampart/policy"
)

// includesWithoutDenials are the includes a container profile normally
// pulls in; they only allow, so they never hold a rule Landlock would miss.
var includesWithoutDenials = map[string]bool{"tunables/global": true, "abstractions/base": true}

// LandlockRules expresses the profile with Landlock filesystem rules, when
// it can be expressed exactly: a profile that allows everything (`file,`,
// `network,`, `capability,`) and denies reading or writing literal paths.
// Anything else is refused with its line, so a profile is never enforced
// as something weaker than it says.
func (p *Profile) LandlockRules() ([]policy.FSRule, error) {
	var rules []policy.FSRule
	allFiles := false
	for _, f := range p.Flags {
		if f == "complain" || f == "unconfined" || f == "kill" || f == "prompt" {
			return nil, fmt.Errorf("%s:%d: profile mode %q cannot be expressed with Landlock", p.File, p.Line, f)
		}
	}
	for _, r := range append(append([]*Rule(nil), p.inherited...), p.Preamble...) {
		// An alias gives the deny rules more paths to cover, which the
		// literal paths below would miss.
		if r.Kind == KindAlias {
			return nil, fmt.Errorf("%s:%d: %q rewrites paths, which cannot be expressed with Landlock", r.Pos.File, r.Pos.Line, r.String())
		}
	}
	for _, r := range p.Rules {
		where := fmt.Sprintf("%s:%d", r.Pos.File, r.Pos.Line)
		text := r.String()
		switch {
		case r.Kind == KindInclude:
			if !r.Angle || !includesWithoutDenials[r.Include] {
				return nil, fmt.Errorf("%s: include %q may hold rules Landlock cannot express", where, r.Include)
			}
		case r.Kind == KindABI:
			// which language version the profile is written in
		case r.Kind == KindFile && r.Path == "" && !r.Deny && !r.Owner && !r.Other:
			allFiles = true
		case r.Kind == KindNetwork && r.Family == "" && r.Type == "" && !r.Deny,
			r.Kind == KindCapability && len(r.Caps) == 0 && !r.Deny:
			// allowed wholesale; nothing for Landlock to do
		case r.Kind == KindFile && r.Deny && !r.Owner && !r.Other && r.Path != "":
			if HasGlob(r.Path) {
				return nil, fmt.Errorf("%s: %q: globs and variables cannot be expressed with Landlock", where, text)
			}
			if r.Perms&^(PermRead|PermWrite|PermAppend) != 0 {
				return nil, fmt.Errorf("%s: %q: only r, w and a permissions can be expressed with Landlock", where, text)
			}
			path := unescapeGlob(r.Path)
			if r.Perms&PermRead != 0 {
				rules = append(rules, policy.FSRule{Mode: policy.DenyRead, Path: path, Origin: where})
			}
			if r.Perms&(PermWrite|PermAppend) != 0 {
				rules = append(rules, policy.FSRule{Mode: policy.DenyWrite, Path: path, Origin: where})
			}
		default:
			return nil, fmt.Errorf("%s: %q cannot be expressed with Landlock (supported: file, network, capability, deny /literal/path r|w)", where, text)
		}
	}
	if !allFiles {
		return nil, fmt.Errorf("%s:%d: profile %s does not allow files wholesale (`file,`); its allow list cannot be expressed with Landlock", p.File, p.Line, p.Name)
	}
	return rules, nil
}

// unescapeGlob turns a glob without wildcards into the path it matches.
func unescapeGlob(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			d, next, err := unescapeAt(s, i+1)
			if err == nil {
				c, i = d, next-1
			}
		}
		if c == '/' && len(b) > 0 && b[len(b)-1] == '/' {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}
