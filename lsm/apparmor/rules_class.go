package apparmor

// classParsers read the rules whose model is a ClassRule, by keyword.
var classParsers = map[string]func(kw word, ws []word) (ClassRule, error){
	"signal":         parseSignal,
	"ptrace":         parsePtrace,
	"unix":           parseUnix,
	"dbus":           parseDBus,
	"mount":          func(kw word, ws []word) (ClassRule, error) { return parseMount("mount", kw, ws) },
	"remount":        func(kw word, ws []word) (ClassRule, error) { return parseMount("remount", kw, ws) },
	"umount":         func(kw word, ws []word) (ClassRule, error) { return parseMount("umount", kw, ws) },
	"unmount":        func(kw word, ws []word) (ClassRule, error) { return parseMount("umount", kw, ws) },
	"pivot_root":     parsePivotRoot,
	"change_profile": parseChangeProfile,
	"set":            parseRlimit,
}

// parseClassRule reads the rule after its keyword kw.
func parseClassRule(r *Rule, kw word, rest []word) (ClassRule, error) {
	if kw.text == "set" && (r.Audit || r.Allow || r.Deny || r.Owner) {
		return nil, errAt(r.Pos, "set rlimit takes no qualifiers (audit, allow, deny, owner)")
	}
	if kw.text == "set" && (len(rest) == 0 || rest[0].text != "rlimit") {
		return nil, errAt(kw.pos, "want set rlimit NAME <= VALUE,")
	}
	return classParsers[kw.text](kw, rest)
}
