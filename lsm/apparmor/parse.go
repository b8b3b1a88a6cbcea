package apparmor

import (
	"fmt"
	"os"
	"strings"

	"github.com/rampart-sec/rampart/caps"
)

// ParseFile reads the profiles in an AppArmor policy file.
func ParseFile(path string) ([]*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse reads the profiles in policy text; name is the file name used in
// positions. A file without a profile is an error.
func Parse(name string, src []byte) ([]*Profile, error) {
	d, err := ParseDocument(name, src)
	if err != nil {
		return nil, err
	}
	if len(d.Profiles) == 0 {
		return nil, fmt.Errorf("%s: no profile in file", name)
	}
	return d.Profiles, nil
}

// ParseDocument parses policy text into a Document: the subset of the
// AppArmor language that container profiles use (see the package
// documentation). Errors are *Error values, positioned at file:line:col.
func ParseDocument(name string, src []byte) (*Document, error) {
	lx, err := lex(name, src)
	if err != nil {
		return nil, err
	}
	d := &Document{Name: name, EndComments: lx.endComments}
	var pre, inherited []*Rule
	var cur *Profile
	for _, st := range lx.stmts {
		if cur == nil {
			switch st.kind {
			case stmtClose:
				return nil, &Error{Pos: st.pos, Msg: "`}` closes no profile"}
			case stmtOpen:
				p, err := parseHeader(st)
				if err != nil {
					return nil, err
				}
				p.Preamble, p.inherited = pre, append([]*Rule(nil), inherited...)
				inherited = append(inherited, pre...)
				pre, cur = nil, p
			default:
				r, err := parseStatement(st, false)
				if err != nil {
					return nil, err
				}
				pre = append(pre, r)
			}
			continue
		}
		switch st.kind {
		case stmtClose:
			cur.EndComments = st.comments
			d.Profiles = append(d.Profiles, cur)
			cur = nil
		case stmtOpen:
			return nil, &Error{Pos: st.pos, Unsupported: true, Msg: fmt.Sprintf(
				"nested blocks (hats, child profiles, qualifier blocks, conditionals) are not supported: %q", joinWords(st.words))}
		default:
			r, err := parseStatement(st, true)
			if err != nil {
				return nil, err
			}
			cur.Rules = append(cur.Rules, r)
		}
	}
	if cur != nil {
		return nil, &Error{Pos: cur.Pos(), Msg: fmt.Sprintf("profile %s is not closed with }", cur.Name)}
	}
	d.Trailer = pre
	d.normalize()
	return d, nil
}

// parseFragment parses an included file: its statements, in a profile
// body (body) or in a preamble. Profiles defined in a preamble include
// are returned apart.
func parseFragment(name string, src []byte, body bool) ([]*Rule, error) {
	lx, err := lex(name, src)
	if err != nil {
		return nil, err
	}
	var out []*Rule
	depth := 0
	for _, st := range lx.stmts {
		switch {
		case st.kind == stmtOpen && body:
			return nil, &Error{Pos: st.pos, Unsupported: true, Msg: fmt.Sprintf(
				"nested blocks (hats, child profiles, qualifier blocks, conditionals) are not supported: %q", joinWords(st.words))}
		case st.kind == stmtOpen:
			depth++ // a profile defined by a preamble include: not this profile's business
		case st.kind == stmtClose && depth == 0:
			return nil, &Error{Pos: st.pos, Msg: "`}` closes no block"}
		case st.kind == stmtClose:
			depth--
		case depth > 0:
		default:
			r, err := parseStatement(st, body)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	if depth > 0 {
		return nil, &Error{Pos: Pos{File: name}, Msg: "a block is not closed with }"}
	}
	return out, nil
}

// normalize clears the blank-line mark of the first item of the file and
// of each body, where the renderer never puts one.
func (d *Document) normalize() {
	first := true
	mark := func(space *bool) {
		if first {
			*space = false
		}
		first = false
	}
	for _, p := range d.Profiles {
		for _, r := range p.Preamble {
			mark(&r.Space)
		}
		mark(&p.Space)
		if len(p.Rules) > 0 {
			p.Rules[0].Space = false
		}
	}
	for _, r := range d.Trailer {
		mark(&r.Space)
	}
}

func joinWords(ws []word) string {
	var s []string
	for _, w := range ws {
		s = append(s, w.text)
	}
	return strings.Join(s, " ")
}

func errAt(p Pos, format string, args ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// parseHeader reads `profile NAME [ATTACH] [flags=(...)] {` or
// `/path/glob [flags=(...)] {`.
func parseHeader(st *stmt) (*Profile, error) {
	ws := st.words
	p := &Profile{File: st.pos.File, Line: st.pos.Line, Col: st.pos.Col,
		Comments: st.comments, LineComment: st.lineComment, Space: st.space}
	first := ws[0].text
	i := 0
	switch {
	case first == "profile":
		if len(ws) < 2 || isFlagsWord(ws[1].text) {
			return nil, errAt(ws[0].pos, "`profile` needs a name")
		}
		name, ok := unquote(ws[1].text)
		if !ok || name == "" {
			return nil, errAt(ws[1].pos, "bad profile name %s", ws[1].text)
		}
		p.Name, i = name, 2
		if i < len(ws) && isPathStart(ws[i].text) {
			a, ok := unquote(ws[i].text)
			if !ok || !strings.HasPrefix(a, "/") && !strings.HasPrefix(a, "@{") {
				return nil, errAt(ws[i].pos, "an attachment is a path: %s", ws[i].text)
			}
			if err := checkGlob(a, ws[i]); err != nil {
				return nil, err
			}
			p.Attach, i = a, i+1
		}
	case strings.HasPrefix(first, "^") || first == "hat":
		return nil, &Error{Pos: st.pos, Unsupported: true, Msg: "hats are not supported (and only live inside a profile)"}
	case first == "audit" || first == "allow" || first == "deny" || first == "owner":
		return nil, &Error{Pos: st.pos, Unsupported: true, Msg: "qualifier blocks are not supported (and only live inside a profile)"}
	case first == "if" || first == "else":
		return nil, &Error{Pos: st.pos, Unsupported: true, Msg: "conditional blocks are not supported"}
	case isPathStart(first):
		name, ok := unquote(first)
		if !ok || name == "" {
			return nil, errAt(ws[0].pos, "bad profile name %s", first)
		}
		if err := checkGlob(name, ws[0]); err != nil {
			return nil, err
		}
		p.Name, i = name, 1
	default:
		return nil, errAt(st.pos, "expected a profile header such as `profile NAME flags=(...) {`, found %q", joinWords(ws))
	}
	if i == len(ws) {
		return p, nil
	}
	var rest strings.Builder
	for _, w := range ws[i:] {
		rest.WriteString(w.text)
	}
	r := rest.String()
	if strings.HasPrefix(r, "xattrs") {
		return nil, &Error{Pos: ws[i].pos, Unsupported: true, Msg: "xattrs attachment conditions are not supported"}
	}
	r = strings.TrimPrefix(strings.TrimPrefix(r, "flags"), "=")
	if !strings.HasPrefix(r, "(") || !strings.HasSuffix(r, ")") {
		return nil, errAt(ws[i].pos, "expected flags=(...) and `{` in the profile header, found %q", joinWords(ws[i:]))
	}
	flags, err := parseFlags(r[1:len(r)-1], ws[i].pos)
	if err != nil {
		return nil, err
	}
	p.Flags = flags
	return p, nil
}

func isFlagsWord(s string) bool {
	return strings.HasPrefix(s, "flags") || strings.HasPrefix(s, "(") || strings.HasPrefix(s, "xattrs")
}

func isPathStart(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "@{") || strings.HasPrefix(s, `"`)
}

func parseFlags(s string, at Pos) ([]string, error) {
	var out []string
	mode := ""
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if !knownFlags[f] {
			return nil, errAt(at, "unknown profile flag %q", f)
		}
		if contains(modeFlags, f) {
			if mode != "" && mode != f {
				return nil, errAt(at, "profile flags %s and %s conflict", mode, f)
			}
			mode = f
		}
		out = append(out, f)
	}
	return out, nil
}

// parseStatement reads a statement in a profile body (body) or in a
// preamble.
func parseStatement(st *stmt, body bool) (*Rule, error) {
	r := &Rule{Pos: st.pos, Comments: st.comments, LineComment: st.lineComment, Space: st.space}
	ws := st.words
	if st.kind == stmtLine {
		if ws[0].text == "include" || strings.HasPrefix(ws[0].text, "#include") {
			return r, parseInclude(r, ws)
		}
		if body {
			return nil, errAt(st.pos, "variables are assigned before the profile, not inside it")
		}
		return r, parseVariable(r, ws)
	}
	if !body && ws[0].text != "abi" && ws[0].text != "alias" {
		return nil, errAt(st.pos, "expected a profile header such as `profile NAME flags=(...) {`, found a rule outside any profile: %q", joinWords(ws)+",")
	}
	i := 0
	if ws[i].text == "audit" {
		r.Audit, i = true, i+1
	}
	if i < len(ws) && (ws[i].text == "allow" || ws[i].text == "deny") {
		r.Allow, r.Deny, i = ws[i].text == "allow", ws[i].text == "deny", i+1
	}
	if i < len(ws) && ws[i].text == "owner" {
		r.Owner, i = true, i+1
	}
	if i < len(ws) {
		switch ws[i].text {
		case "audit", "allow", "deny", "owner":
			return nil, errAt(ws[i].pos, "qualifiers go in the order audit, allow or deny, owner: %q", joinWords(ws)+",")
		}
	}
	if i == len(ws) {
		return nil, errAt(st.pos, "qualifiers without a rule: %q", joinWords(ws)+",")
	}
	qualified := i > 0
	kw, rest := ws[i], ws[i+1:]
	var err error
	switch {
	case kw.text == "file":
		r.Kind = KindFile
		if len(rest) == 0 {
			if r.Deny {
				return nil, errAt(st.pos, "`deny file,` is not valid: bare file grants ix, and deny rules take only a bare x")
			}
			break
		}
		err = parseFileRule(r, rest)
	case kw.text == "network":
		r.Kind = KindNetwork
		err = parseNetwork(r, kw, rest)
	case kw.text == "capability":
		r.Kind = KindCapability
		err = parseCapability(r, rest)
	case kw.text == "abi":
		r.Kind = KindABI
		if qualified {
			return nil, errAt(st.pos, "abi takes no qualifiers")
		}
		if len(rest) != 1 {
			return nil, errAt(kw.pos, "want abi <abi/3.0>,")
		}
		r.Include, r.Angle, err = includePath(rest[0])
	case kw.text == "alias":
		r.Kind = KindAlias
		if body {
			return nil, errAt(st.pos, "alias rules go before the profile")
		}
		if qualified || len(rest) != 3 || rest[1].text != "->" {
			return nil, errAt(st.pos, "want alias /path/ -> /other/path/,")
		}
		var ok1, ok2 bool
		r.Path, ok1 = unquote(rest[0].text)
		r.Target, ok2 = unquote(rest[2].text)
		if !ok1 || !ok2 {
			return nil, errAt(st.pos, "bad quoting in alias rule")
		}
	case otherKeywords[kw.text]:
		r.Kind, r.Keyword = KindOther, kw.text
		for _, w := range rest {
			r.Args = append(r.Args, w.text)
		}
		if kw.text == "set" && (len(rest) == 0 || rest[0].text != "rlimit") {
			return nil, errAt(kw.pos, "want set rlimit NAME <= VALUE,")
		}
	case isPathStart(kw.text):
		r.Kind = KindFile
		err = parseFileRule(r, ws[i:])
	case len(rest) > 0 && isPathStart(rest[0].text) && looksLikePerms(kw.text):
		r.Kind = KindFile
		err = parseFileRule(r, ws[i:])
	case kw.text == "profile" || kw.text == "hat" || strings.HasPrefix(kw.text, "^"):
		return nil, errAt(kw.pos, "%q starts a block, which needs `{`", kw.text)
	default:
		return nil, errAt(kw.pos, "unknown rule %q (file rules start with / or @{; keywords: file, network, capability, ptrace, signal, mount, umount, remount, pivot_root, unix, dbus, userns, change_profile, link, set rlimit, abi)", kw.text)
	}
	if err != nil {
		return nil, err
	}
	if r.Owner && r.Kind != KindFile && r.Keyword != "link" {
		return nil, errAt(st.pos, "owner applies to file and link rules only")
	}
	return r, nil
}

func looksLikePerms(s string) bool {
	return s != "" && strings.Trim(s, "rwalkmixpuPUCc") == ""
}

// parseFileRule reads `PATH PERMS [-> TARGET]` or `PERMS PATH [-> TARGET]`.
func parseFileRule(r *Rule, ws []word) error {
	if len(ws) < 2 {
		return errAt(ws[0].pos, "file rule %q needs a path and permissions", joinWords(ws))
	}
	pathW, permW := ws[0], ws[1]
	if !isPathStart(pathW.text) {
		pathW, permW = ws[1], ws[0]
	}
	if !isPathStart(pathW.text) {
		return errAt(ws[0].pos, "file rule %q: a path starts with / or @{", joinWords(ws))
	}
	path, ok := unquote(pathW.text)
	if !ok {
		return errAt(pathW.pos, "bad quoting in %s", pathW.text)
	}
	if !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "@{") {
		return errAt(pathW.pos, "path %q must start with / or a variable", path)
	}
	if err := checkGlob(path, pathW); err != nil {
		return err
	}
	perms, exec, err := ParsePerms(permW.text)
	if err != nil {
		return errAt(permW.pos, "%v", err)
	}
	if r.Deny && exec != "" && exec != "x" {
		return errAt(permW.pos, "deny rules take a bare x, not the exec mode %s (what is denied has no transition)", exec)
	}
	if !r.Deny && exec == "x" {
		return errAt(permW.pos, "x needs an exec mode in allow rules: ix, px, Px, cx, Cx, ux, Ux, pix, ...")
	}
	r.Path, r.Perms, r.Exec = path, perms, exec
	rest := ws[2:]
	if len(rest) == 0 {
		return nil
	}
	if rest[0].text != "->" || len(rest) != 2 {
		return errAt(rest[0].pos, "unexpected %q after the permissions", joinWords(rest))
	}
	if (exec == "" || exec == "x") && (perms&PermLink == 0 || r.Deny) {
		return errAt(rest[0].pos, "`->` names the profile an exec transition goes to, or the target of a link (with l); the rule has neither")
	}
	t, ok := unquote(rest[1].text)
	if !ok || t == "" {
		return errAt(rest[1].pos, "bad exec target %s", rest[1].text)
	}
	r.Target = t
	return nil
}

// checkGlob validates glob syntax, variables aside, and positions the
// error in the word.
func checkGlob(path string, w word) error {
	masked, err := maskVariables(path)
	if err != nil {
		return errAt(w.pos, "%v", err)
	}
	if _, err := CompileGlob(masked); err != nil {
		p := w.pos
		if ge, ok := err.(*GlobError); ok {
			p.Col += ge.Offset
			if strings.HasPrefix(w.text, `"`) {
				p.Col++
			}
			return errAt(p, "%s: %s", ge.Msg, path)
		}
		return errAt(p, "%v", err)
	}
	return nil
}

// maskVariables replaces each @{NAME} with as many 'v' bytes, checking
// the names.
func maskVariables(s string) (string, error) {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' {
			i++
			continue
		}
		if b[i] != '@' || i+1 >= len(b) || b[i+1] != '{' {
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("variable at byte %d is not closed with }", i+1)
		}
		name := s[i+2 : i+end]
		if !validVarName(name) {
			return "", fmt.Errorf("bad variable name %q", name)
		}
		for j := i; j <= i+end; j++ {
			b[j] = 'v'
		}
		i += end
	}
	return string(b), nil
}

func validVarName(n string) bool {
	if n == "" || !isAlpha(n[0]) {
		return false
	}
	for i := 1; i < len(n); i++ {
		if !isAlpha(n[i]) && !(n[i] >= '0' && n[i] <= '9') && n[i] != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func parseNetwork(r *Rule, kw word, ws []word) error {
	switch len(ws) {
	case 0:
		return nil
	case 1:
		if isFamily(ws[0].text) {
			r.Family = ws[0].text
		} else {
			r.Type = ws[0].text
		}
	case 2:
		r.Family, r.Type = ws[0].text, ws[1].text
	default:
		return errAt(ws[2].pos, "a network rule takes a family and a type or protocol, found %q", joinWords(ws))
	}
	if err := checkNetwork(r.Family, r.Type); err != nil {
		return errAt(kw.pos, "%v", err)
	}
	return nil
}

func parseCapability(r *Rule, ws []word) error {
	for _, w := range ws {
		c, err := caps.Parse(w.text)
		if err != nil || c.AppArmor() != w.text {
			return errAt(w.pos, "unknown capability %q (AppArmor spells them in lower case without CAP_: net_raw)", w.text)
		}
		r.Caps = append(r.Caps, w.text)
	}
	return nil
}

func includePath(w word) (string, bool, error) {
	s := w.text
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") && len(s) > 2 {
		return s[1 : len(s)-1], true, nil
	}
	if p, ok := unquote(s); ok && strings.HasPrefix(s, `"`) && p != "" {
		return p, false, nil
	}
	return "", false, errAt(w.pos, "want <relative/path> or \"path\", found %s", s)
}

func parseInclude(r *Rule, ws []word) error {
	r.Kind = KindInclude
	first := ws[0]
	r.Hash = strings.HasPrefix(first.text, "#")
	kw := strings.TrimPrefix(first.text, "#")
	args := ws[1:]
	if len(kw) > len("include") { // #include<x>
		rest := word{text: kw[len("include"):], pos: first.pos}
		rest.pos.Col += len(first.text) - len(rest.text)
		args = append([]word{rest}, args...)
	}
	if len(args) >= 2 && args[0].text == "if" && args[1].text == "exists" {
		r.IfExists, args = true, args[2:]
	}
	if len(args) != 1 {
		return errAt(first.pos, "want include [if exists] <path> or \"path\", found %q", joinWords(ws))
	}
	var err error
	r.Include, r.Angle, err = includePath(args[0])
	return err
}

func parseVariable(r *Rule, ws []word) error {
	r.Kind = KindVariable
	first := ws[0].text
	end := strings.IndexByte(first, '}')
	name := first[2:end]
	if !validVarName(name) {
		return errAt(ws[0].pos, "bad variable name %q", name)
	}
	r.Var = name
	rest := first[end+1:]
	values := ws[1:]
	if rest == "" {
		rest, values = values[0].text, values[1:]
	}
	switch {
	case strings.HasPrefix(rest, "+="):
		r.Append, rest = true, rest[2:]
	case strings.HasPrefix(rest, "="):
		rest = rest[1:]
	}
	var raw []string
	if rest != "" {
		raw = append(raw, rest)
	}
	for _, w := range values {
		raw = append(raw, w.text)
	}
	if len(raw) == 0 {
		return errAt(ws[0].pos, "@{%s} is assigned no value (write \"\" for an empty one)", name)
	}
	for _, v := range raw {
		u, ok := unquote(v)
		if !ok {
			return errAt(ws[0].pos, "bad quoting in value %s", v)
		}
		if _, err := maskVariables(u); err != nil {
			return errAt(ws[0].pos, "value %s: %v", v, err)
		}
		r.Values = append(r.Values, u)
	}
	return nil
}
