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
	ps := &parser{stmts: lx.stmts}
	var pre, inherited []*Rule
	bools := boolSet{}
	for !ps.done() {
		st := ps.next()
		switch st.kind {
		case stmtClose:
			return nil, &Error{Pos: st.pos, Msg: "`}` closes no profile"}
		case stmtOpen:
			if err := topLevelBlock(st); err != nil {
				return nil, err
			}
			p, err := parseHeader(st, nil, false)
			if err != nil {
				return nil, err
			}
			if err := ps.body(p, &p.Rules, &p.EndComments, st.pos, "profile "+p.Name); err != nil {
				return nil, err
			}
			p.Preamble, p.inherited = pre, append([]*Rule(nil), inherited...)
			inherited = append(inherited, pre...)
			pre = nil
			d.Profiles = append(d.Profiles, p)
		default:
			r, err := parseStatement(st, false)
			if err != nil {
				return nil, err
			}
			if err := bools.add(r); err != nil {
				return nil, err
			}
			if len(d.Profiles) > 0 && (r.Kind == KindBool || r.Kind == KindVariable) {
				// apparmor_parser 3.0.8 takes assignments only before
				// the first profile.
				return nil, errAt(r.Pos, "variables are assigned before the first profile of a file, not after one")
			}
			pre = append(pre, r)
		}
	}
	d.Trailer = pre
	if err := d.checkNames(); err != nil {
		return nil, err
	}
	if err := d.checkVariables(); err != nil {
		return nil, err
	}
	d.normalize()
	return d, nil
}

// qualifierBlock reads `[audit] [allow] [owner] {` and the rules up to
// its `}`, which take its qualifiers. apparmor_parser 3.0.8 refuses a
// deny block ("deny prefix not allowed"), whatever it holds.
func (ps *parser) qualifierBlock(owner *Profile, st *stmt) (*Rule, error) {
	r := &Rule{Pos: st.pos, Kind: KindBlock, Comments: st.comments, LineComment: st.lineComment, Space: st.space}
	ws := st.words
	i := 0
	if ws[i].text == "audit" {
		r.Audit, i = true, i+1
	}
	if i < len(ws) && (ws[i].text == "allow" || ws[i].text == "deny") {
		if ws[i].text == "deny" {
			return nil, errAt(ws[i].pos, "a deny block is not allowed (apparmor_parser refuses it): write deny on each rule")
		}
		r.Allow, i = true, i+1
	}
	if i < len(ws) && ws[i].text == "owner" {
		r.Owner, i = true, i+1
	}
	if i < len(ws) {
		if isQualifier(ws[i].text) {
			return nil, errAt(ws[i].pos, "a qualifier block takes each of audit, allow, owner once, in that order: %q", joinWords(ws)+" {")
		}
		return nil, errAt(ws[i].pos, "a qualifier block is `[audit] [allow] [owner] {`, found %q", joinWords(ws)+" {")
	}
	if err := ps.body(owner, &r.Body, &r.EndComments, st.pos, "the `"+joinWords(ws)+" {` block"); err != nil {
		return nil, err
	}
	return r, nil
}

// ifBlock reads `if COND {`, its rules, and the `else {` or `else if
// COND {` that follows its `}`.
func (ps *parser) ifBlock(owner *Profile, st *stmt) (*Rule, error) {
	r := &Rule{Pos: st.pos, Kind: KindIf, Comments: st.comments, LineComment: st.lineComment, Space: st.space}
	var err error
	if r.Cond, err = parseCond(st.words); err != nil {
		return nil, err
	}
	if err := ps.body(owner, &r.Body, &r.EndComments, st.pos, "the `"+joinWords(st.words)+" {` block"); err != nil {
		return nil, err
	}
	if ps.done() || ps.stmts[ps.i].kind != stmtOpen || ps.stmts[ps.i].words[0].text != "else" {
		return r, nil
	}
	el := ps.next()
	r.HasElse = true
	switch {
	case len(el.words) == 1:
		err = ps.body(owner, &r.Else, &r.ElseEnd, el.pos, "the `else {` block")
	case el.words[1].text == "if":
		inner := &stmt{kind: stmtOpen, pos: el.words[1].pos, words: el.words[1:], lineComment: el.lineComment}
		var e *Rule
		e, err = ps.ifBlock(owner, inner)
		r.Else = []*Rule{e}
	default:
		err = errAt(el.words[1].pos, "`else` is followed by `{` or by `if`, found %q", joinWords(el.words))
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// parseCond reads the condition of `if`: any number of `not`, then
// $BOOL (or ${BOOL}), `defined $BOOL` or `defined @{SET}`.
func parseCond(ws []word) (Cond, error) {
	var c Cond
	i := 1
	for i < len(ws) && ws[i].text == "not" {
		c.Not, i = !c.Not, i+1
	}
	if i < len(ws) && ws[i].text == "defined" {
		c.Defined, i = true, i+1
	}
	if i >= len(ws) {
		return c, errAt(ws[len(ws)-1].pos, "`if` needs a condition: $BOOL, defined $BOOL or defined @{VAR}")
	}
	w := ws[i]
	name, set, ok := condVar(w.text)
	switch {
	case !ok:
		return c, errAt(w.pos, "a condition tests $BOOL, defined $BOOL or defined @{VAR}, found %q", w.text)
	case set && !c.Defined:
		return c, errAt(w.pos, "a set variable is tested with `defined %s`", w.text)
	case i+1 < len(ws):
		return c, errAt(ws[i+1].pos, "unexpected %q after the condition (conditions do not combine)", joinWords(ws[i+1:]))
	}
	c.Var, c.Set = name, set
	return c, nil
}

// condVar reads $NAME, ${NAME} or @{NAME}.
func condVar(s string) (name string, set, ok bool) {
	switch {
	case strings.HasPrefix(s, "@{") && strings.HasSuffix(s, "}"):
		name, set = s[2:len(s)-1], true
	case strings.HasPrefix(s, "@"):
		// `defined @NAME`: the parser's older spelling of @{NAME}.
		name, set = s[1:], true
	case strings.HasPrefix(s, "${") && strings.HasSuffix(s, "}"):
		name = s[2 : len(s)-1]
	case strings.HasPrefix(s, "$"):
		name = s[1:]
	default:
		return "", false, false
	}
	return name, set, validVarName(name)
}

// parseBool reads `$NAME = true` or `${NAME}=false` (case aside), as
// apparmor_parser takes it: one value, no comment on the line.
func parseBool(r *Rule, st *stmt) error {
	r.Kind = KindBool
	var b strings.Builder
	for _, w := range st.words {
		b.WriteString(w.text + " ")
	}
	lhs, value, _ := strings.Cut(strings.TrimSpace(b.String()), "=")
	lhs = strings.TrimSpace(lhs)
	if strings.HasSuffix(lhs, "+") {
		return errAt(st.pos, "boolean variables are assigned with =, not +=")
	}
	name, set, ok := condVar(lhs)
	if !ok || set {
		return errAt(st.pos, "bad boolean variable name %q", lhs)
	}
	value = strings.TrimSpace(value)
	switch {
	case strings.EqualFold(value, "true"):
		r.Bool = true
	case strings.EqualFold(value, "false"):
	default:
		return errAt(st.pos, "$%s is assigned %q: a boolean is true or false", name, value)
	}
	if st.lineComment != "" {
		// apparmor_parser reads the comment as a second value.
		return errAt(st.pos, "a boolean assignment takes no comment on its line")
	}
	r.Var = name
	return nil
}

// checkVariables refuses a variable the document itself assigns twice
// (with =), as apparmor_parser does whatever its includes hold:
// otherwise a second value could be read where the kernel never loads
// the profile.
func (d *Document) checkVariables() error {
	// After the first profile apparmor_parser takes only profiles (and
	// includes): an abi or alias there is a syntax error (variables are
	// refused as the document is read).
	var late []*Rule
	for i, p := range d.Profiles {
		if i > 0 {
			late = append(late, p.Preamble...)
		}
	}
	if len(d.Profiles) > 0 {
		late = append(late, d.Trailer...)
	}
	for _, r := range late {
		if r.Kind == KindABI || r.Kind == KindAlias {
			return errAt(r.Pos, "%s comes after a profile: abi and alias rules go before the first profile of a file", r.Kind)
		}
	}
	first := map[string]Pos{}
	var stmts []*Rule
	for _, p := range d.Profiles {
		stmts = append(stmts, p.Preamble...)
	}
	for _, r := range append(stmts, d.Trailer...) {
		if r.Kind != KindVariable || r.Append {
			continue
		}
		if r.Var == "profile_name" {
			return errAt(r.Pos, "'profile_name' is already defined: apparmor_parser sets @{profile_name} to each profile's name")
		}
		if at, ok := first[r.Var]; ok {
			return errAt(r.Pos, "@{%s} is assigned again (first at %s)", r.Var, at)
		}
		first[r.Var] = r.Pos
	}
	return nil
}

// parseFragment parses an included file: its statements, in a profile
// body (body) or in a preamble. Profiles defined in a preamble include
// are not the including profile's business and are skipped.
func parseFragment(name string, src []byte, body bool) ([]*Rule, error) {
	lx, err := lex(name, src)
	if err != nil {
		return nil, err
	}
	ps := &parser{stmts: lx.stmts}
	var out []*Rule
	if body {
		var end []string
		ps.stmts = append(ps.stmts, &stmt{kind: stmtClose, pos: Pos{File: name}})
		if err := ps.body(nil, &out, &end, Pos{File: name}, name); err != nil {
			return nil, err
		}
		if !ps.done() {
			return nil, &Error{Pos: ps.stmts[ps.i-1].pos, Msg: "`}` closes no block"}
		}
		return out, nil
	}
	for !ps.done() {
		st := ps.next()
		switch st.kind {
		case stmtClose:
			return nil, &Error{Pos: st.pos, Msg: "`}` closes no block"}
		case stmtOpen:
			if err := topLevelBlock(st); err != nil {
				return nil, err
			}
			p, err := parseHeader(st, nil, false)
			if err != nil {
				return nil, err
			}
			if err := ps.body(p, &p.Rules, &p.EndComments, st.pos, "profile "+p.Name); err != nil {
				return nil, err
			}
		default:
			r, err := parseStatement(st, body)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// boolSet holds the boolean variables a file assigns, to refuse a second
// assignment as apparmor_parser does even in a file without profiles.
type boolSet map[string]*Rule

func (b boolSet) add(r *Rule) error {
	if r.Kind != KindBool {
		return nil
	}
	if first := b[r.Var]; first != nil {
		return errAt(r.Pos, "$%s is assigned again (first at %s)", r.Var, first.Pos)
	}
	b[r.Var] = r
	return nil
}

// parser walks the lexer's statements, one block level at a time.
type parser struct {
	stmts []*stmt
	i     int
}

func (ps *parser) done() bool  { return ps.i >= len(ps.stmts) }
func (ps *parser) next() *stmt { ps.i++; return ps.stmts[ps.i-1] }

// topLevelBlock refuses, at the top of a file, the blocks that only live
// in a profile body.
func topLevelBlock(st *stmt) error {
	switch w := st.words[0].text; {
	case isQualifier(w):
		return errAt(st.pos, "a qualifier block (%s {) lives inside a profile", joinWords(st.words))
	case w == "if" || w == "else":
		return errAt(st.pos, "conditionals live inside a profile, not at the top of a file: %q", joinWords(st.words))
	}
	return nil
}

// body reads the statements of a block up to its `}`: the rules go to
// *rules, the comments before the `}` to *end. owner is the profile
// whose body it is (children defined in it get it as their parent).
func (ps *parser) body(owner *Profile, rules *[]*Rule, end *[]string, open Pos, what string) error {
	for !ps.done() {
		st := ps.next()
		switch st.kind {
		case stmtClose:
			*end = st.comments
			return nil
		case stmtOpen:
			var r *Rule
			var err error
			switch st.words[0].text {
			case "if":
				r, err = ps.ifBlock(owner, st)
			case "else":
				err = errAt(st.pos, "`else` follows the `}` of an if")
			default:
				r, err = ps.block(owner, st)
			}
			if err != nil {
				return err
			}
			*rules = append(*rules, r)
		default:
			r, err := parseStatement(st, true)
			if err != nil {
				return err
			}
			*rules = append(*rules, r)
		}
	}
	return &Error{Pos: open, Msg: fmt.Sprintf("%s is not closed with }", what)}
}

// block reads a block that opens in a profile body: a hat, a child
// profile, or a qualifier block.
func (ps *parser) block(owner *Profile, st *stmt) (*Rule, error) {
	if isQualifier(st.words[0].text) {
		return ps.qualifierBlock(owner, st)
	}
	c, err := parseHeader(st, owner, true)
	if err != nil {
		return nil, err
	}
	if err := ps.body(c, &c.Rules, &c.EndComments, st.pos, "profile "+c.Name); err != nil {
		return nil, err
	}
	return &Rule{Pos: st.pos, Kind: KindProfile, Child: c}, nil
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
	}
	for _, p := range d.All() {
		firstInBody(p.Rules)
		walkRules(p.Rules, func(r *Rule) {
			if r.Kind == KindBlock || r.Kind == KindIf {
				firstInBody(r.Body)
				firstInBody(r.Else)
			}
		})
	}
	for _, r := range d.Trailer {
		mark(&r.Space)
	}
}

// firstInBody clears the blank-line mark of a body's first item: the
// renderer puts none after a `{`.
func firstInBody(rs []*Rule) {
	if len(rs) == 0 {
		return
	}
	if rs[0].Kind == KindProfile {
		rs[0].Child.Space = false
	}
	rs[0].Space = false
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

// parseHeader reads a profile header: `profile NAME [ATTACH] [xattrs=(...)]
// [flags=(...)] {`, `/path/glob ... {` or `:ns:NAME ... {`, and hats,
// `^NAME ... {` or `hat NAME ... {`. inBody says it opens in a profile
// body, parent is the profile whose body it is (nil at the top of a file
// or in an included file).
func parseHeader(st *stmt, parent *Profile, inBody bool) (*Profile, error) {
	ws := st.words
	p := &Profile{File: st.pos.File, Line: st.pos.Line, Col: st.pos.Col, Parent: parent,
		Comments: st.comments, LineComment: st.lineComment, Space: st.space}
	first := ws[0].text
	nameW, i := ws[0], 1
	switch {
	case first == "profile" || first == "hat":
		if len(ws) < 2 || isFlagsWord(ws[1].text) {
			return nil, errAt(ws[0].pos, "`%s` needs a name", first)
		}
		p.Hat, nameW, i = first == "hat", ws[1], 2
	case strings.HasPrefix(first, "^"):
		// The parser reads `^NAME` as one token: `^ NAME` is refused.
		if first == "^" {
			return nil, errAt(ws[0].pos, "a hat's name follows `^` without a space")
		}
		p.Hat = true
		nameW.text, nameW.pos.Col = first[1:], nameW.pos.Col+1
	case strings.HasPrefix(first, "@{") && !inBody:
		// `@{A}` at the start of a line assigns a variable.
		at := st.pos
		if len(ws) > 1 {
			at = ws[1].pos
		}
		return nil, errAt(at, "expected = or += after the variable %s", first)
	case isQualifier(first):
		return nil, errAt(st.pos, "expected a profile header, found the qualifier %q (a block of rules sharing qualifiers: `audit {`, `owner {`, `audit owner {`)", first)
	case !inBody && (strings.HasPrefix(first, "/") || strings.HasPrefix(first, ":") || strings.HasPrefix(first, `"/`)):
		// At the top of a file, a profile named by its path (or
		// namespace) needs no keyword.
	case inBody && isPathStart(first):
		return nil, errAt(st.pos, "a child profile in a body starts with the keyword profile (or is a hat: ^NAME, hat NAME): %q", joinWords(ws))
	default:
		return nil, errAt(st.pos, "expected a profile header such as `profile NAME flags=(...) {`: a profile name begins with /, a :namespace: or the keyword profile or hat, found %q", joinWords(ws))
	}
	name, ok := unquote(nameW.text)
	if !ok || name == "" {
		return nil, errAt(nameW.pos, "bad profile name %s", nameW.text)
	}
	if strings.HasPrefix(name, ":") {
		ns, rest, err := splitNamespace(name)
		if err != nil {
			return nil, errAt(nameW.pos, "%v", err)
		}
		p.Namespace, name = ns, rest
	}
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "@{") {
		if err := checkGlob(name, nameW); err != nil {
			return nil, err
		}
	}
	p.Name = name
	if i < len(ws) && !isFlagsWord(ws[i].text) {
		a, ok := unquote(ws[i].text)
		if !ok || !strings.HasPrefix(a, "/") && !strings.HasPrefix(a, "@{") {
			return nil, errAt(ws[i].pos, "a profile's attachment begins with / or a variable: %s", ws[i].text)
		}
		if err := checkGlob(a, ws[i]); err != nil {
			return nil, err
		}
		p.Attach, i = a, i+1
	}
	return p, parseHeaderTail(p, ws[i:])
}

// splitNamespace splits `:ns:name` (or `:ns://name`) into its namespace
// and name, refusing what apparmor_parser refuses: an empty namespace, a
// namespace not closed by ':', and no name after it.
func splitNamespace(s string) (ns, name string, err error) {
	end := strings.IndexByte(s[1:], ':')
	if end < 0 {
		return "", "", fmt.Errorf("namespace not terminated with ':' in %s", s)
	}
	ns, name = s[1:1+end], strings.TrimPrefix(s[2+end:], "//")
	if ns == "" {
		return "", "", fmt.Errorf("empty namespace in %s", s)
	}
	if strings.ContainsAny(ns, "/") {
		return "", "", fmt.Errorf("namespace not terminated with ':' in %s", s)
	}
	if name == "" {
		return "", "", fmt.Errorf("no profile name after the namespace in %s", s)
	}
	return ns, name, nil
}

// parseHeaderTail reads what follows the name and attachment: an
// optional xattrs=(...) and then optional flags=(...), as the parser
// takes them in that order.
func parseHeaderTail(p *Profile, ws []word) error {
	if len(ws) == 0 {
		return nil
	}
	at := ws[0].pos
	var rest strings.Builder
	for _, w := range ws {
		rest.WriteString(w.text)
	}
	r := rest.String()
	if strings.HasPrefix(r, "xattrs") {
		body, tail, err := parenGroup(strings.TrimPrefix(strings.TrimPrefix(r, "xattrs"), "="), "xattrs", at)
		if err != nil {
			return err
		}
		if p.Hat {
			return errAt(at, "a hat cannot have xattrs attachment conditions: a task enters it by change_hat, not by exec")
		}
		if p.Xattrs, err = parseXattrs(body, at); err != nil {
			return err
		}
		if r = tail; r == "" {
			return nil
		}
	}
	if !strings.HasPrefix(r, "(") {
		if !strings.HasPrefix(r, "flags") {
			return errAt(at, "expected xattrs=(...), flags=(...) and `{` in the profile header, found %q", joinWords(ws))
		}
		r = strings.TrimPrefix(r, "flags")
		if !strings.HasPrefix(r, "=") {
			return errAt(at, "expected flags=(...) in the profile header, found %q", joinWords(ws))
		}
		r = r[1:]
	}
	body, tail, err := parenGroup(r, "flags", at)
	if err != nil {
		return err
	}
	if tail != "" {
		return errAt(at, "unexpected %q after flags=(...) in the profile header (xattrs=(...) goes before the flags)", tail)
	}
	p.Flags, err = parseFlags(body, at)
	return err
}

// parenGroup splits "(body)tail" into body and tail.
func parenGroup(s, what string, at Pos) (body, tail string, err error) {
	end := strings.IndexByte(s, ')')
	if !strings.HasPrefix(s, "(") || end < 0 {
		return "", "", errAt(at, "expected %s=(...) in the profile header, found %q", what, s)
	}
	return s[1:end], s[end+1:], nil
}

// fieldsQuoted splits s at white space outside double quotes.
func fieldsQuoted(s string) []string {
	var out []string
	start, quoted := -1, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case isSpace(c) && !quoted:
			if start >= 0 {
				out = append(out, s[start:i])
			}
			start = -1
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// parseXattrs reads the extended-attribute conditions of an attachment:
// NAME or NAME=VALUE, separated by white space; a value may be quoted
// and may be a glob.
func parseXattrs(s string, at Pos) ([]string, error) {
	var out []string
	for _, f := range fieldsQuoted(s) {
		name, value, hasValue := strings.Cut(f, "=")
		if name == "" || strings.ContainsAny(name, `"(){}[]*?`) {
			return nil, errAt(at, "bad xattr name in %q", f)
		}
		if !hasValue {
			out = append(out, name)
			continue
		}
		v, ok := unquote(value)
		if !ok || v == "" {
			return nil, errAt(at, "bad xattr value in %q", f)
		}
		if _, err := CompileGlob(v); err != nil {
			return nil, errAt(at, "xattr %s: %v", name, err)
		}
		out = append(out, name+"="+v)
	}
	return out, nil
}

// isFlagsWord reports whether a header word starts the flags or the
// xattrs conditions rather than naming the profile or its attachment.
func isFlagsWord(s string) bool {
	return s == "flags" || s == "xattrs" || strings.HasPrefix(s, "(") ||
		strings.HasPrefix(s, "flags=") || strings.HasPrefix(s, "xattrs=")
}

// isQualifier reports whether w is a rule qualifier.
func isQualifier(w string) bool {
	return w == "audit" || w == "allow" || w == "deny" || w == "owner"
}

func isPathStart(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "@{") || strings.HasPrefix(s, `"`)
}

// flagConflicts are the pairs of profile flags apparmor_parser refuses
// together: each pair sets one switch both ways.
var flagConflicts = [][2]string{{"mediate_deleted", "delegate_deleted"}, {"attach_disconnected", "no_attach_disconnected"},
	{"chroot_attach", "chroot_no_attach"}, {"chroot_relative", "namespace_relative"}}

// parseFlags reads the flags between the parentheses, separated by commas
// or white space; an empty list is refused, as the parser does.
func parseFlags(s string, at Pos) ([]string, error) {
	var out []string
	mode := ""
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || isSpace(byte(r)) }) {
		if f == "debug" {
			return nil, errAt(at, "profile flag debug is no longer valid")
		}
		if !knownFlags[f] {
			return nil, errAt(at, "unknown profile flag %q", f)
		}
		if contains(modeFlags, f) {
			if mode != "" && mode != f {
				return nil, errAt(at, "profile flags %s and %s conflict", mode, f)
			}
			mode = f
		}
		for _, c := range flagConflicts {
			if f == c[0] && contains(out, c[1]) || f == c[1] && contains(out, c[0]) {
				return nil, errAt(at, "profile flags %s and %s conflict", c[0], c[1])
			}
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, errAt(at, "empty flags=() list: name at least one flag")
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
		if strings.HasPrefix(ws[0].text, "$") {
			if body {
				return nil, errAt(st.pos, "boolean variables are assigned before the profile, not inside it")
			}
			return r, parseBool(r, st)
		}
		if body {
			return nil, errAt(st.pos, "variables are assigned before the profile, not inside it")
		}
		return r, parseVariable(r, ws)
	}
	if !body && !isABIWord(ws[0].text) && ws[0].text != "alias" {
		return nil, errAt(st.pos, "expected a profile header such as `profile NAME flags=(...) {`, found a rule outside any profile: %q", joinWords(ws)+",")
	}
	i := 0
	if ws[i].text == "audit" {
		r.Audit, i = true, i+1
	}
	if i < len(ws) && (ws[i].text == "allow" || ws[i].text == "deny") {
		r.Allow, r.Deny, i = ws[i].text == "allow", ws[i].text == "deny", i+1
	}
	if i < len(ws) && (ws[i].text == "owner" || ws[i].text == "other") {
		r.Owner, r.Other, i = ws[i].text == "owner", ws[i].text == "other", i+1
	}
	if i < len(ws) {
		switch ws[i].text {
		case "audit", "allow", "deny", "owner", "other":
			return nil, errAt(ws[i].pos, "qualifiers go in the order audit, allow or deny, owner or other: %q", joinWords(ws)+",")
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
	case isABIWord(kw.text):
		r.Kind = KindABI
		if qualified {
			return nil, errAt(st.pos, "abi takes no qualifiers")
		}
		err = parseABI(r, kw, rest)
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
		// As apparmor_parser's lexer reads the source: not a variable,
		// not a word of permissions, and quoted only as a path.
		src := rest[0].text
		if strings.HasPrefix(src, "@{") || looksLikePerms(src) || strings.HasPrefix(src, `"`) && !strings.HasPrefix(r.Path, "/") {
			return nil, errAt(rest[0].pos, "an alias rewrites a path prefix: want alias /path -> /other/path, found %s", src)
		}
	case kw.text == "link":
		r.Kind = KindFile
		err = parseLinkRule(r, kw, rest)
	case classParsers[kw.text] != nil:
		r.Kind, r.Keyword = KindOther, kw.text
		r.Model, err = parseClassRule(r, kw, rest)
	case otherKeywords[kw.text]:
		r.Kind, r.Keyword = KindOther, kw.text
		for _, w := range rest {
			r.Args = append(r.Args, w.text)
		}
	case isPathStart(kw.text) || kw.text == "safe" || kw.text == "unsafe":
		r.Kind = KindFile
		err = parseFileRule(r, ws[i:])
	case len(rest) > 0 && isPathStart(rest[0].text) && looksLikePerms(kw.text):
		r.Kind = KindFile
		err = parseFileRule(r, ws[i:])
	case kw.text == "profile" || kw.text == "hat" || strings.HasPrefix(kw.text, "^"):
		return nil, errAt(kw.pos, "%q starts a hat or child profile, which needs `{`", kw.text)
	default:
		return nil, errAt(kw.pos, "unknown rule %q (file rules start with / or @{; keywords: file, network, capability, ptrace, signal, mount, umount, remount, pivot_root, unix, dbus, userns, change_profile, link, set rlimit, abi)", kw.text)
	}
	if err != nil {
		return nil, err
	}
	if (r.Owner || r.Other) && r.Kind != KindFile {
		return nil, errAt(st.pos, "%s applies to file and link rules only", map[bool]string{true: "owner", false: "other"}[r.Owner])
	}
	return r, nil
}

func looksLikePerms(s string) bool {
	return s != "" && strings.Trim(s, "rRwWalLkmMxXiIpPuUcC") == ""
}

// parseFileRule reads `[safe|unsafe] PATH PERMS [-> TARGET]` or
// `[safe|unsafe] PERMS PATH [-> TARGET]`.
func parseFileRule(r *Rule, ws []word) error {
	if len(ws) > 0 && (ws[0].text == "safe" || ws[0].text == "unsafe") {
		r.ExecQual = ws[0].text
		if len(ws) == 1 {
			return errAt(ws[0].pos, "%s needs a file rule with an exec mode after it", ws[0].text)
		}
		ws = ws[1:]
	}
	if len(ws) < 2 {
		return errAt(ws[0].pos, "file rule %q needs a path and permissions", joinWords(ws))
	}
	pathW, permW := ws[0], ws[1]
	leading := !isPathStart(pathW.text)
	if leading {
		pathW, permW = ws[1], ws[0]
	}
	if !isPathStart(pathW.text) {
		return errAt(ws[0].pos, "file rule %q: a path starts with / or @{", joinWords(ws))
	}
	if varThenAssign(pathW.text) {
		// apparmor_parser's lexer reads @{V}+ and @{V}= as the start of
		// an assignment, and refuses the rule; rampart must not read it
		// as a path (@{V}+/x would allow /value+/x).
		return errAt(pathW.pos, "%s: a variable followed by + or = starts an assignment, not a path (quote the path to mean it)", pathW.text)
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
	switch {
	case r.ExecQual != "" && exec == "":
		return errAt(permW.pos, "%s qualifies an exec mode, and the rule has none", r.ExecQual)
	case r.ExecQual == "unsafe" && r.Deny:
		return errAt(permW.pos, "deny rules take a bare x, which is never unsafe")
	case r.ExecQual != "":
		// safe forces a scrubbed environment (px reads as Px), unsafe
		// an unscrubbed one, whatever the letters' case says.
		exec = exec.withScrub(r.ExecQual == "safe")
	}
	r.Path, r.Perms, r.Exec = path, perms, exec
	rest := ws[2:]
	if len(rest) == 0 {
		return nil
	}
	if rest[0].text != "->" || len(rest) != 2 {
		return errAt(rest[0].pos, "unexpected %q after the permissions", joinWords(rest))
	}
	if leading && exec != "" && exec != "x" && perms&PermLink != 0 {
		return errAt(rest[0].pos, "link and exec perms conflict on a file rule using `->` (in front of the path, l with a target is a link rule)")
	}
	t, ok := unquote(rest[1].text)
	if !ok || t == "" {
		return errAt(rest[1].pos, "bad exec target %s", rest[1].text)
	}
	r.Target = t
	// Leading l with a target is a link rule (`l /a -> /b` is `link /a
	// -> /b`); trailing, apparmor_parser ignores the target.
	r.Link = leading && perms&PermLink != 0 && (exec == "" || exec == "x")
	if r.Link {
		return checkLinkTarget(t, rest[1])
	}
	return nil
}

// parseLinkRule reads `link [subset] PATH -> TARGET`.
func parseLinkRule(r *Rule, kw word, ws []word) error {
	if len(ws) > 0 && ws[0].text == "subset" {
		r.Subset, ws = true, ws[1:]
	}
	if len(ws) == 2 && strings.HasPrefix(ws[1].text, "->") && len(ws[1].text) > 2 { // `/a ->/b`
		arrow, t := ws[1], ws[1]
		arrow.text, t.text = "->", t.text[2:]
		t.pos.Col += 2
		ws = []word{ws[0], arrow, t}
	}
	if len(ws) != 3 || ws[1].text != "->" || !isPathStart(ws[0].text) {
		return errAt(kw.pos, "want link [subset] /path -> /target, found %q", joinWords(append([]word{kw}, ws...)))
	}
	path, ok := unquote(ws[0].text)
	if !ok || !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "@{") {
		return errAt(ws[0].pos, "a link's path starts with / or a variable: %s", ws[0].text)
	}
	if err := checkGlob(path, ws[0]); err != nil {
		return err
	}
	t, ok := unquote(ws[2].text)
	if !ok || t == "" {
		return errAt(ws[2].pos, "bad link target %s", ws[2].text)
	}
	r.Link, r.Path, r.Target, r.Perms = true, path, t, PermLink
	return checkLinkTarget(t, ws[2])
}

// checkLinkTarget validates a link target's glob (a target that is not
// absolute is taken, and matches no file).
func checkLinkTarget(t string, w word) error {
	if strings.HasPrefix(t, "/") || strings.HasPrefix(t, "@{") {
		return checkGlob(t, w)
	}
	return nil
}

// varThenAssign reports whether an unquoted word starts with a
// variable directly followed by + or =.
func varThenAssign(s string) bool {
	if !strings.HasPrefix(s, "@{") {
		return false
	}
	end := strings.IndexByte(s, '}')
	return end > 0 && end+1 < len(s) && (s[end+1] == '+' || s[end+1] == '=')
}

// checkGlob validates glob syntax, variables aside, and positions the
// error in the word.
func checkGlob(path string, w word) error {
	masked, err := maskVariables(path)
	if err != nil {
		return errAt(w.pos, "%v", err)
	}
	if _, err := CompileGlob(masked); err != nil {
		if strings.Contains(path, "@{") {
			// A variable's value may close what the text opens
			// (cooling_device[@{int}/, @{V},b} with @{V}={a): Compile
			// checks the glob once expanded, as apparmor_parser does.
			return nil
		}
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

// includePath reads the file an include or abi names, as
// apparmor_parser's lexer does: <path> searched in the include
// directories (spaces around the path dropped, or the path in quotes
// right inside: <"a b">), "path", or a bare path, both taken as written.
func includePath(w word) (string, bool, error) {
	s := w.text
	bad := errAt(w.pos, "want <relative/path>, \"path\" or path, found %s", s)
	switch {
	case strings.HasPrefix(s, "<"):
		if len(s) < 2 || !strings.HasSuffix(s, ">") {
			return "", false, bad
		}
		in := s[1 : len(s)-1]
		if strings.HasPrefix(in, `"`) {
			p, ok := unquote(in)
			if !ok || !strings.HasSuffix(in, `"`) || p == "" {
				return "", false, bad
			}
			return p, true, nil
		}
		p := strings.Trim(in, " ")
		if p == "" || strings.ContainsAny(p, "\"\t\n<>") {
			return "", false, bad
		}
		return p, true, nil
	case strings.HasPrefix(s, `"`):
		if p, ok := unquote(s); ok && p != "" {
			return p, false, nil
		}
		return "", false, bad
	}
	if s == "" || strings.ContainsAny(s, "\"<> \t\n") {
		return "", false, bad
	}
	return s, false, nil
}

// isABIWord reports whether a statement's first word starts an abi
// rule: `abi`, or `abi` with its spec written on (abi<abi/3.0>).
func isABIWord(s string) bool {
	return s == "abi" || strings.HasPrefix(s, "abi<") || strings.HasPrefix(s, `abi"`)
}

// parseABI reads `abi SPEC,`, where the spec may stand apart from the
// keyword or not, and spaces may pad the path inside <...>.
func parseABI(r *Rule, kw word, rest []word) error {
	spec := word{text: strings.TrimPrefix(kw.text, "abi"), pos: kw.pos}
	spec.pos.Col += len("abi")
	if spec.text == "" {
		if len(rest) == 0 {
			return errAt(kw.pos, "want abi <abi/3.0>,")
		}
		spec, rest = rest[0], rest[1:]
	}
	var more []string
	for _, w := range rest {
		more = append(more, w.text)
	}
	if len(more) > 0 {
		if !strings.HasPrefix(spec.text, "<") {
			return errAt(rest[0].pos, "want abi <abi/3.0>, found %q after the abi", strings.Join(more, " "))
		}
		spec.text += " " + strings.Join(more, " ")
	}
	var err error
	r.Include, r.Angle, err = includePath(spec)
	return err
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

// valueSegments splits one word of a variable's value where a quoted
// string starts or ends: apparmor_parser takes a"b c"d for the three
// values a, "b c" and d. An unclosed quote stays in the last segment,
// for unquote to refuse.
func valueSegments(w string) []string {
	var out []string
	for w != "" {
		end := strings.IndexByte(w, '"')
		if end == 0 {
			end = 1
			for end < len(w) && w[end] != '"' {
				if w[end] == '\\' && end+1 < len(w) {
					end++
				}
				end++
			}
			if end == len(w) {
				return append(out, w)
			}
			end++
		} else if end < 0 {
			end = len(w)
		}
		out, w = append(out, w[:end]), w[end:]
	}
	return out
}

func parseVariable(r *Rule, ws []word) error {
	r.Kind = KindVariable
	first := ws[0].text
	end := strings.IndexByte(first, '}')
	name := ""
	if !strings.HasPrefix(first, "@{") { // @NAME
		name, end = first[1:], len(first)-1
	} else {
		name = first[2:end]
	}
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
	var words []string
	if rest != "" {
		words = append(words, rest)
	}
	for _, w := range values {
		words = append(words, w.text)
	}
	var raw []string
	for _, w := range words {
		raw = append(raw, valueSegments(w)...)
	}
	if len(raw) == 0 {
		return errAt(ws[0].pos, "@{%s} is assigned no value (write \"\" for an empty one)", name)
	}
	for _, v := range raw {
		if !strings.HasPrefix(v, `"`) && strings.ContainsRune(v, '!') {
			return errAt(ws[0].pos, "value %s: apparmor_parser does not take `!` in a variable's value", v)
		}
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
