package apparmor

import (
	"fmt"
	"strings"
)

// The rule classes apart from file, network and capability (signal,
// ptrace, unix, dbus, mount, umount, remount, pivot_root, change_profile,
// set rlimit) share apparmor_parser's conditional syntax:
//
//	KEYWORD [ACCESS] [NAME=VALUE | NAME=(V1 V2) | NAME in (V1 V2)]... [peer=(NAME=VALUE ...)]
//
// where ACCESS is one access word or a parenthesised list of them. The
// lexer keeps a parenthesised group in one word and may glue `=` to the
// words around it, so these rules are scanned again, character by
// character, from their words joined by single spaces.

// rscan scans the text of a rule after its keyword.
type rscan struct {
	kw   word // the rule's keyword, where errors about the whole rule point
	s    string
	i    int
	end  int
	base []int // where each word starts in s
	ws   []word
}

func newRScan(kw word, ws []word) *rscan {
	var b strings.Builder
	c := &rscan{kw: kw, ws: ws}
	for k, w := range ws {
		if k > 0 {
			b.WriteByte(' ')
		}
		c.base = append(c.base, b.Len())
		b.WriteString(w.text)
	}
	c.s = b.String()
	c.end = len(c.s)
	return c
}

// sub scans s[from:to] with the same positions.
func (c *rscan) sub(from, to int) *rscan {
	return &rscan{kw: c.kw, s: c.s, i: from, end: to, base: c.base, ws: c.ws}
}

// pos maps an offset in s back to the file.
func (c *rscan) pos(off int) Pos {
	k := 0
	for j := range c.base {
		if c.base[j] <= off {
			k = j
		}
	}
	if len(c.ws) == 0 {
		return Pos{}
	}
	p := c.ws[k].pos
	if p.Line > 0 {
		p.Col += off - c.base[k]
	}
	return p
}

func (c *rscan) errf(off int, format string, args ...any) error {
	return &Error{Pos: c.pos(off), Msg: fmt.Sprintf(format, args...)}
}

// ruleErrf is an error about the whole rule, at its keyword.
func (c *rscan) ruleErrf(format string, args ...any) error {
	return &Error{Pos: c.kw.pos, Msg: fmt.Sprintf(format, args...)}
}

func (c *rscan) skip() {
	for c.i < c.end && (isSpace(c.s[c.i]) || c.s[c.i] == ' ') {
		c.i++
	}
}

func (c *rscan) eof() bool {
	c.skip()
	return c.i >= c.end
}

// raw reads a token up to white space or a byte of stop, keeping quotes
// and escapes as written.
func (c *rscan) raw(stop string) string {
	start := c.i
	inQuote := false
	for c.i < c.end {
		ch := c.s[c.i]
		switch {
		case ch == '\\' && c.i+1 < c.end:
			c.i += 2
			continue
		case inQuote:
			inQuote = ch != '"'
		case ch == '"':
			inQuote = true
		case isSpace(ch) || strings.IndexByte(stop, ch) >= 0:
			return c.s[start:c.i]
		}
		c.i++
	}
	return c.s[start:c.i]
}

// peekRaw is raw without moving.
func (c *rscan) peekRaw(stop string) string {
	c.skip()
	i := c.i
	t := c.raw(stop)
	c.i = i
	return t
}

// paren reads a parenthesised group at the cursor and returns the
// offsets of its inside.
func (c *rscan) paren() (from, to int, err error) {
	open := c.i
	depth, inQuote := 0, false
	for c.i < c.end {
		ch := c.s[c.i]
		switch {
		case ch == '\\' && c.i+1 < c.end:
			c.i += 2
			continue
		case inQuote:
			inQuote = ch != '"'
		case ch == '"':
			inQuote = true
		case ch == '(':
			depth++
		case ch == ')':
			depth--
			if depth == 0 {
				c.i++
				return open + 1, c.i - 1, nil
			}
		}
		c.i++
	}
	return 0, 0, c.errf(open, "`(` is not closed")
}

// isCondName reports whether s is a conditional's name.
func isCondName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlpha(s[i]) && !(s[i] >= '0' && s[i] <= '9') && s[i] != '_' {
			return false
		}
	}
	return true
}

// cond is one conditional as written.
type cond struct {
	name  string
	in    bool     // NAME in (...)
	list  bool     // the value was parenthesised
	vals  []string // the values, unquoted
	from  int      // the inside of a parenthesised value
	to    int
	at    int // offset of the name
	empty bool
}

// condAhead reports whether a conditional starts at the cursor: NAME=
// or NAME in (.
func (c *rscan) condAhead() bool {
	c.skip()
	j := c.i
	for j < c.end && (isAlpha(c.s[j]) || c.s[j] >= '0' && c.s[j] <= '9' || c.s[j] == '_') {
		j++
	}
	if !isCondName(c.s[c.i:j]) {
		return false
	}
	k := j
	for k < c.end && c.s[k] == ' ' {
		k++
	}
	if k < c.end && c.s[k] == '=' {
		return true
	}
	if k > j && strings.HasPrefix(c.s[k:c.end], "in") {
		k += 2
		for k < c.end && c.s[k] == ' ' {
			k++
		}
		return k < c.end && c.s[k] == '('
	}
	return false
}

// cond reads the conditional condAhead found. In a list of conditionals
// (inList, inside peer=(...)) a value also ends at a comma.
func (c *rscan) cond(inList bool) (*cond, error) {
	c.skip()
	cd := &cond{at: c.i}
	j := c.i
	for j < c.end && (isAlpha(c.s[j]) || c.s[j] >= '0' && c.s[j] <= '9' || c.s[j] == '_') {
		j++
	}
	cd.name = c.s[c.i:j]
	c.i = j
	c.skip()
	if c.s[c.i] == '=' {
		c.i++
	} else {
		cd.in = true
		c.i += 2
	}
	c.skip()
	if c.i >= c.end || inList && (c.s[c.i] == ',' || c.s[c.i] == ')') {
		return nil, c.errf(cd.at, "%s= needs a value", cd.name)
	}
	if c.s[c.i] == '(' {
		from, to, err := c.paren()
		if err != nil {
			return nil, err
		}
		cd.list, cd.from, cd.to = true, from, to
		if cd.name == "peer" { // a list of conditionals, read by the class
			return cd, nil
		}
		vals, err := c.sub(from, to).list()
		if err != nil {
			return nil, err
		}
		cd.vals, cd.empty = vals, len(vals) == 0
		return cd, nil
	}
	stop := ""
	if inList {
		stop = ",)"
	}
	at := c.i
	v, err := c.value(c.raw(stop), at)
	if err != nil {
		return nil, err
	}
	cd.vals = []string{v}
	return cd, nil
}

// value unquotes a value written at offset at.
// An unquoted value keeps its escapes, \" among them, as written.
func (c *rscan) value(raw string, at int) (string, error) {
	if !strings.HasPrefix(raw, `"`) {
		for i := 0; i < len(raw); i++ {
			switch raw[i] {
			case '\\':
				i++
			case '"':
				return "", c.errf(at, "bad quoting in %s", raw)
			}
		}
		return raw, nil
	}
	v, ok := unquote(raw)
	if !ok {
		return "", c.errf(at, "bad quoting in %s", raw)
	}
	return v, nil
}

// list reads the values of a parenthesised list: separated by white
// space or commas.
func (c *rscan) list() ([]string, error) {
	var out []string
	for {
		for c.i < c.end && (isSpace(c.s[c.i]) || c.s[c.i] == ',') {
			c.i++
		}
		if c.i >= c.end {
			return out, nil
		}
		at := c.i
		raw := c.raw(",")
		if raw == "" { // a stray byte the lexer let through, such as `(`
			return nil, c.errf(at, "unexpected %q in a list", c.s[at:at+1])
		}
		v, err := c.value(raw, at)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

// single is a conditional's one value; a list of one counts.
func (cd *cond) single(c *rscan, class string) (string, error) {
	if cd.in {
		return "", c.errf(cd.at, "keyword \"in\" is not allowed in %s rules", class)
	}
	if len(cd.vals) != 1 {
		return "", c.errf(cd.at, "%s conditional %q takes exactly one value", class, cd.name)
	}
	return cd.vals[0], nil
}

// accessClass names a class's access words: the single words written
// bare or in a list, and what the letters r and w stand for in a list.
type accessClass struct {
	class string
	names []string // bit i is names[i]
	alias map[string]uint32
	r, w  uint32
}

func (a *accessClass) bit(name string) (uint32, bool) {
	for i, n := range a.names {
		if n == name {
			return 1 << i, true
		}
	}
	if b, ok := a.alias[name]; ok {
		return b, true
	}
	return 0, false
}

// bare reports the access a word stands for when written without
// parentheses: r, w, rw, wr or one of the class's words.
func (a *accessClass) bare(s string) (uint32, bool) {
	switch s {
	case "r":
		return a.r, true
	case "w":
		return a.w, true
	case "rw", "wr":
		return a.r | a.w, true
	}
	return a.bit(s)
}

// access reads an optional access at the cursor: a bare word or a
// parenthesised list. Each word of a list is one of the class's words or
// a run of the letters r, w (either case), as apparmor_parser reads them.
func (c *rscan) access(a *accessClass) (uint32, error) {
	c.skip()
	if c.i >= c.end {
		return 0, nil
	}
	if c.s[c.i] == '(' {
		from, to, err := c.paren()
		if err != nil {
			return 0, err
		}
		sc := c.sub(from, to)
		var bits uint32
		for {
			for sc.i < sc.end && (isSpace(sc.s[sc.i]) || sc.s[sc.i] == ',') {
				sc.i++
			}
			if sc.i >= sc.end {
				return bits, nil
			}
			at := sc.i
			wd := sc.raw(",")
			if wd == "" {
				wd = sc.s[at : at+1]
				sc.i++
			}
			if b, ok := a.bit(wd); ok {
				bits |= b
				continue
			}
			for k := 0; k < len(wd); k++ {
				switch wd[k] {
				case 'r', 'R':
					bits |= a.r
				case 'w', 'W':
					bits |= a.w
				default:
					return 0, sc.errf(at+k, "unknown %s access %q in %q (%s)", a.class, wd[k:k+1], wd, strings.Join(a.names, ", "))
				}
			}
		}
	}
	if c.condAhead() {
		return 0, nil
	}
	i := c.i
	wd := c.raw("")
	if b, ok := a.bare(wd); ok {
		return b, nil
	}
	c.i = i
	return 0, nil
}

// formatAccess writes an access in normal form: one word, or a list in
// the class's order; nothing for 0.
func (a *accessClass) format(bits uint32) string {
	var out []string
	for i, n := range a.names {
		if bits&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	switch len(out) {
	case 0:
		return ""
	case 1:
		return " " + out[0]
	}
	return " (" + strings.Join(out, ", ") + ")"
}

// condValue writes a value so that the rule scanner reads it back: as it
// is when it is plain, else in quotes.
func condValue(s string) string {
	if plainValue(s, " \t\n\r\v\f(),\"#=") {
		return s
	}
	return quote(s)
}

// condSingle writes the value of NAME=VALUE outside a list, where a
// comma inside braces may stay: member={Get,Set}.
func condSingle(s string) string {
	if plainValue(s, " \t\n\r\v\f()\"#=") {
		return s
	}
	return quote(s)
}

// plainValue reports whether s reads back unquoted as itself: none of
// the bytes of special outside a backslash escape (`splat\ ` is plain),
// and one word to the lexer.
func plainValue(s, special string) bool {
	if s == "" || strings.HasPrefix(s, "->") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
		case s[i] == '\\' || strings.IndexByte(special, s[i]) >= 0:
			return false
		}
	}
	return lexesAsWord(s)
}

// condEq writes NAME=VALUE, or NAME=(V1 V2) for several values.
func condEq(name string, vals []string) string {
	if len(vals) == 1 {
		return name + "=" + condSingle(vals[0])
	}
	return name + "=" + condList(vals)
}

// condList writes values as a parenthesised list.
func condList(vals []string) string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = condValue(v)
	}
	return "(" + strings.Join(out, " ") + ")"
}

// checkRuleGlob validates a value that apparmor_parser compiles as a
// pattern, variables aside.
func (c *rscan) checkGlob(v string, at int) error {
	return checkGlob(v, word{text: v, pos: c.pos(at)})
}
