package apparmor

import (
	"fmt"
	"strings"
)

// The lexer splits a policy file into statements of words. AppArmor is
// line-oriented only for comments, includes and variable assignments;
// other rules end with a comma at nesting depth 0 and may span lines, and
// blocks open with a `{` that stands apart and close with a `}`.

type word struct {
	text string // as written; quotes kept, white space in (...) folded
	pos  Pos
}

type stmtKind int

const (
	stmtComma stmtKind = iota // a rule ended by ','
	stmtLine                  // an include or a variable assignment, ended by the line
	stmtOpen                  // a block header ended by '{'
	stmtClose                 // '}'
)

type stmt struct {
	kind        stmtKind
	pos         Pos
	words       []word
	comments    []string
	lineComment string
	space       bool
	endLine     int
}

type lexer struct {
	name      string
	src       string
	i         int
	line, col int

	stmts           []*stmt
	pendingComments []string
	pendingSpace    bool
	inAssign        bool  // reading the values of an assignment
	lastLine        int   // line of the last content (statement end or comment)
	last            *stmt // last statement, to take a same-line comment
	endComments     []string
	afterArrow      bool // the word being read follows `->`
	classRule       bool // the statement is a rule of a class classParsers reads
}

func lex(name string, src []byte) (*lexer, error) {
	lx := &lexer{name: name, src: string(src), line: 1, col: 1}
	if err := lx.run(); err != nil {
		return nil, err
	}
	return lx, nil
}

func (lx *lexer) pos() Pos { return Pos{lx.name, lx.line, lx.col} }

func (lx *lexer) errf(p Pos, format string, args ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

func (lx *lexer) eof() bool { return lx.i >= len(lx.src) }

func (lx *lexer) advance() {
	if lx.src[lx.i] == '\n' {
		lx.line++
		lx.col = 1
	} else {
		lx.col++
	}
	lx.i++
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }
func isSpace(c byte) bool { return isBlank(c) || c == '\n' }

// spaceOrEnd reports whether the byte k past the cursor is white space
// or past the end.
func (lx *lexer) spaceOrEnd(k int) bool {
	return lx.i+k >= len(lx.src) || isSpace(lx.src[lx.i+k])
}

// atInclude reports whether a '#' at the cursor starts `#include`.
func (lx *lexer) atInclude() bool {
	rest := lx.src[lx.i:]
	if !strings.HasPrefix(rest, "#include") {
		return false
	}
	if len(rest) == len("#include") {
		return true
	}
	c := rest[len("#include")]
	return isSpace(c) || c == '<' || c == '"'
}

// atIncludeStatement reports whether the statement at the cursor is an
// include: `#include` and white space, `<` or `"`; or `include` and a
// blank (apparmor_parser wants its spec on the same line).
func (lx *lexer) atIncludeStatement() bool {
	rest := lx.src[lx.i:]
	if strings.HasPrefix(rest, "#include") {
		return lx.atInclude()
	}
	return strings.HasPrefix(rest, "include") && len(rest) > len("include") && isBlank(rest[len("include")])
}

// include reads an include statement as apparmor_parser's lexer does:
// the keyword, `if exists`, and one spec: <path> (blanks around the path
// dropped, "quotes" allowed around it), "path", or a bare path up to
// white space or a comma. The statement ends with the spec, and the line
// goes on (`#include <a> /foo r,` is an include and a rule).
func (lx *lexer) include(st *stmt) (*stmt, error) {
	st.kind = stmtLine
	hash := lx.src[lx.i] == '#'
	kw := word{text: "include", pos: lx.pos()}
	if hash {
		kw.text = "#include"
	}
	st.words = append(st.words, kw)
	for range kw.text {
		lx.advance()
	}
	blanks := func(newlines bool) {
		for !lx.eof() && (isBlank(lx.src[lx.i]) || newlines && lx.src[lx.i] == '\n') {
			lx.advance()
		}
	}
	blanks(hash)
	if w, ok := lx.ifExists(); ok {
		st.words = append(st.words, w...)
	}
	p := lx.pos()
	start := lx.i
	// After #include the parser's lexer skips newlines too and takes the
	// next word, whatever it is, for the file to include.
	if lx.eof() || isSpace(lx.src[lx.i]) {
		return nil, lx.errf(kw.pos, "want include [if exists] <path>, \"path\" or path after %s", kw.text)
	}
	switch lx.src[lx.i] {
	case '<':
		for !lx.eof() && lx.src[lx.i] != '>' && lx.src[lx.i] != '\n' {
			lx.advance()
		}
		if lx.eof() || lx.src[lx.i] != '>' {
			return nil, lx.errf(p, "`<` of the include is not closed with `>` on its line")
		}
		lx.advance()
	case '"':
		lx.advance()
		for !lx.eof() && lx.src[lx.i] != '"' && lx.src[lx.i] != '\n' {
			if lx.src[lx.i] == '\\' && lx.i+1 < len(lx.src) {
				lx.advance()
			}
			lx.advance()
		}
		if lx.eof() || lx.src[lx.i] != '"' {
			return nil, lx.errf(p, "quote is not closed")
		}
		lx.advance()
	default:
		for !lx.eof() && !isSpace(lx.src[lx.i]) && lx.src[lx.i] != ',' {
			lx.advance()
		}
	}
	st.words = append(st.words, word{text: lx.src[start:lx.i], pos: p})
	return st, nil
}

// ifExists reads `if exists` and the blanks after it when a spec follows
// on the same line; apparmor_parser otherwise takes `if` for a path.
func (lx *lexer) ifExists() ([]word, bool) {
	rest := lx.src[lx.i:]
	if !strings.HasPrefix(rest, "if") || len(rest) < 3 || !isBlank(rest[2]) {
		return nil, false
	}
	j := 2
	for j < len(rest) && isBlank(rest[j]) {
		j++
	}
	if !strings.HasPrefix(rest[j:], "exists") {
		return nil, false
	}
	k := j + len("exists")
	if k >= len(rest) || !isBlank(rest[k]) {
		return nil, false
	}
	for k < len(rest) && isBlank(rest[k]) {
		k++
	}
	if k >= len(rest) || isSpace(rest[k]) {
		return nil, false
	}
	ifW := word{text: "if", pos: lx.pos()}
	var existsW word
	for n := 0; n < k; n++ {
		if n == j {
			existsW = word{text: "exists", pos: lx.pos()}
		}
		lx.advance()
	}
	return []word{ifW, existsW}, true
}

// comment consumes a comment to the end of its line and returns its text
// without the '#' and trailing blanks.
func (lx *lexer) comment() string {
	start := lx.i + 1
	for !lx.eof() && lx.src[lx.i] != '\n' {
		lx.advance()
	}
	return strings.TrimRight(lx.src[start:lx.i], " \t\r\v\f")
}

func (lx *lexer) run() error {
	for {
		for !lx.eof() && isSpace(lx.src[lx.i]) {
			lx.advance()
		}
		if lx.eof() {
			lx.endComments = lx.pendingComments
			return nil
		}
		p := lx.pos()
		if lx.src[lx.i] == '#' && !lx.atInclude() {
			sameLine := lx.last != nil && lx.last.endLine == p.Line
			text := lx.comment()
			if sameLine && lx.last.lineComment == "" && len(lx.pendingComments) == 0 {
				lx.last.lineComment = text
			} else {
				if len(lx.pendingComments) == 0 {
					lx.pendingSpace = lx.lastLine > 0 && p.Line-lx.lastLine > 1
				}
				lx.pendingComments = append(lx.pendingComments, text)
			}
			lx.lastLine = p.Line
			continue
		}
		st, err := lx.statement()
		if err != nil {
			return err
		}
		if len(lx.pendingComments) > 0 {
			st.comments, st.space = lx.pendingComments, lx.pendingSpace
			lx.pendingComments = nil
		} else {
			st.space = lx.lastLine > 0 && p.Line-lx.lastLine > 1
		}
		st.endLine = lx.line
		lx.lastLine = st.endLine
		lx.last = st
		lx.stmts = append(lx.stmts, st)
	}
}

// statement reads one statement starting at the cursor.
func (lx *lexer) statement() (*stmt, error) {
	st := &stmt{pos: lx.pos()}
	if lx.src[lx.i] == '}' {
		lx.advance()
		st.kind = stmtClose
		return st, nil
	}
	if lx.atIncludeStatement() {
		return lx.include(st)
	}
	lineMode := false
	for {
		for !lx.eof() && isBlank(lx.src[lx.i]) {
			lx.advance()
		}
		if lx.eof() {
			if lineMode {
				st.kind = stmtLine
				return st, nil
			}
			return nil, lx.missingComma(st)
		}
		c := lx.src[lx.i]
		if lineMode && c == '\\' && lx.i+1 < len(lx.src) && lx.src[lx.i+1] == '\n' {
			// A variable assignment goes on past a line ending in `\`.
			lx.advance()
			lx.advance()
			continue
		}
		switch {
		case c == '\n':
			if lineMode {
				st.kind = stmtLine
				return st, nil
			}
			lx.advance()
			continue
		case c == '#' && !(len(st.words) == 0 && lx.atInclude()):
			if lineMode {
				st.kind = stmtLine
				st.lineComment = lx.comment()
				return st, nil
			}
			lx.comment() // a comment inside a multi-line rule is dropped
			continue
		case c == ',':
			if lineMode {
				return nil, lx.errf(lx.pos(), "unexpected `,` after %s", describeLine(st))
			}
			if len(st.words) == 0 && lx.last != nil && lx.last.kind == stmtLine && lx.last.endLine == lx.line {
				return nil, lx.errf(lx.pos(), "unexpected `,` after %s", describeLine(lx.last))
			}
			if len(st.words) == 0 {
				return nil, lx.errf(lx.pos(), "`,` with no rule before it")
			}
			lx.advance()
			st.kind = stmtComma
			return st, nil
		case c == '{' && (lx.spaceOrEnd(1) || !lineMode && len(st.words) > 0):
			// A `{` that begins a word opens a block, as in the parser's
			// lexer: `/p {}`, `owner {/x r,}`.
			if lineMode {
				return nil, lx.errf(lx.pos(), "unexpected `{` after %s", describeLine(st))
			}
			if len(st.words) == 0 {
				return nil, lx.errf(lx.pos(), "`{` opens a block with no header")
			}
			lx.advance()
			st.kind = stmtOpen
			return st, nil
		case c == '}':
			if lineMode {
				return nil, lx.errf(lx.pos(), "unexpected `}` after %s", describeLine(st))
			}
			return nil, lx.missingComma(st)
		}
		lx.inAssign = lineMode
		lx.afterArrow = len(st.words) > 0 && st.words[len(st.words)-1].text == "->"
		lx.classRule = isClassRule(st.words)
		w, comma, open, err := lx.word()
		lx.afterArrow, lx.classRule = false, false
		if err != nil {
			return nil, err
		}
		st.words = append(st.words, w)
		if len(st.words) == 1 {
			lineMode = w.text == "include" || strings.HasPrefix(w.text, "#include") || lx.isAssignment(w.text)
			if err := lx.varThenPlus(w); err != nil {
				return nil, err
			}
		}
		if comma || open {
			if lineMode {
				return nil, lx.errf(lx.pos(), "unexpected `%s` after %s", map[bool]string{true: ",", false: "{"}[comma], describeLine(st))
			}
			if comma {
				st.kind = stmtComma
			} else {
				st.kind = stmtOpen
			}
			return st, nil
		}
	}
}

func describeLine(st *stmt) string {
	if len(st.words) > 0 && (strings.HasPrefix(st.words[0].text, "@{") || strings.HasPrefix(st.words[0].text, "$")) {
		return "a variable assignment (it ends with the line, without a comma)"
	}
	return "an include (it takes no comma)"
}

func (lx *lexer) missingComma(st *stmt) error {
	if len(st.words) == 0 {
		return lx.errf(st.pos, "unexpected end of input")
	}
	var ws []string
	for _, w := range st.words {
		ws = append(ws, w.text)
	}
	return lx.errf(st.pos, "rule does not end with a comma: %q", strings.Join(ws, " "))
}

// varThenPlus refuses a statement that starts with @{NAME}+ without
// being a += assignment: the parser reads @{NAME} there as the start of
// an assignment, and the `+` as an unexpected character.
func (lx *lexer) varThenPlus(w word) error {
	if !strings.HasPrefix(w.text, "@{") {
		return nil
	}
	end := strings.IndexByte(w.text, '}')
	if end < 0 || !strings.HasPrefix(w.text[end+1:], "+") || strings.HasPrefix(w.text[end+1:], "+=") {
		return nil
	}
	p := w.pos
	p.Col += end + 1
	return lx.errf(p, "unexpected `+` after %s at the start of a statement (@{VAR}+=value adds to a variable)", w.text[:end+1])
}

// isAssignment reports whether a statement whose first word is w assigns
// a variable: @{NAME}=..., @{NAME}+=..., or @{NAME} followed by = or +=.
func (lx *lexer) isAssignment(w string) bool {
	var rest string
	switch {
	case strings.HasPrefix(w, "@{") || strings.HasPrefix(w, "${"):
		end := strings.IndexByte(w, '}')
		if end < 0 {
			return false
		}
		rest = w[end+1:]
	case strings.HasPrefix(w, "@") && validVarName(w[1:]):
		// @NAME = value: apparmor_parser's older spelling of @{NAME},
		// an assignment only with white space before the = or +=.
		rest = ""
	case strings.HasPrefix(w, "$"):
		// $NAME: a boolean variable.
		end := 1
		for end < len(w) && (isAlpha(w[end]) || w[end] >= '0' && w[end] <= '9' || w[end] == '_') {
			end++
		}
		rest = w[end:]
	default:
		return false
	}
	if strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, "+=") {
		return true
	}
	if rest != "" {
		return false
	}
	j := lx.i
	for j < len(lx.src) && isBlank(lx.src[j]) {
		j++
	}
	return j < len(lx.src) && (lx.src[j] == '=' || strings.HasPrefix(lx.src[j:], "+="))
}

// word reads one word. It reports whether a ',' (consumed) or a block's
// '{' (consumed) directly ended it.
func (lx *lexer) word() (w word, comma, open bool, err error) {
	w.pos = lx.pos()
	var b strings.Builder
	parens, braces := 0, 0
	var parenAt, braceAt, quoteAt Pos
	inQuote := false
	// grouped: the word has held a (...) group, after which a `)` closes
	// nothing (name=(b)) is refused).
	grouped := false
	// A path's word keeps a comma followed by more of the word, as
	// apparmor_parser's lexer does: smb-share:server=*,share=**/ and
	// cpu,cpuacct/ are one path; `/a, r` and `/a,b,` end at the comma.
	// A `->` target too (px -> a,b names the profile a,b).
	path := lx.inAssign || lx.afterArrow || isPathStart(lx.src[lx.i:min(lx.i+2, len(lx.src))])
	for !lx.eof() {
		c := lx.src[lx.i]
		switch {
		case inQuote:
			if c == '\\' && lx.i+1 < len(lx.src) {
				b.WriteByte(c)
				lx.advance()
				b.WriteByte(lx.src[lx.i])
				lx.advance()
				continue
			}
			if c == '"' {
				inQuote = false
			}
		case c == '!':
			// The parser's lexer takes `!` in no state outside quotes and
			// comments.
			return w, false, false, lx.errf(lx.pos(), "unexpected character `!` (quote the word to use it)")
		case c == '\\' && lx.i+1 < len(lx.src) && lx.src[lx.i+1] != '\n':
			b.WriteByte(c)
			lx.advance()
			b.WriteByte(lx.src[lx.i])
			lx.advance()
			continue
		case c == '"':
			inQuote, quoteAt = true, lx.pos()
		case c == '!':
			// The parser's lexer takes `!` in no state outside quotes and
			// comments.
			return w, false, false, lx.errf(lx.pos(), "unexpected character `!` (quote the word to use it)")
		case c == '(' && parens == 0 && b.Len() > 0 && groupAfterKeyword[b.String()]:
			// signal(send) is signal (send) for apparmor_parser.
			w.text = b.String()
			return w, false, false, nil
		case c == '(' && parens == 0 && !opensGroup(b.String()):
			// Inside a word, as in name=b(c or /a(, apparmor_parser's
			// lexer takes a parenthesis for a character of the value.
		case c == ')' && parens == 0 && !grouped && b.Len() > 0 && (!lx.classRule || path || strings.Contains(b.String(), "=")):
			// ... and a `)` too, in a path or a conditional's value
			// (signal send) is refused).
		case c == '(':
			if parens == 0 {
				parenAt, grouped = lx.pos(), true
			}
			parens++
		case c == ')':
			if parens == 0 {
				return w, false, false, lx.errf(lx.pos(), "`)` closes no `(`")
			}
			parens--
			s := trimFolded(b.String())
			b.Reset()
			b.WriteString(s)
			if parens == 0 && s[0] == '(' {
				// An access list ends its word: (send)peer=x is
				// (send) peer=x.
				lx.advance()
				w.text = s + ")"
				return w, false, false, nil
			}
		case isSpace(c):
			if parens > 0 {
				s := b.String()
				if !endsUnescaped(s, ' ') && !endsUnescaped(s, '(') {
					b.WriteByte(' ')
				}
				lx.advance()
				continue
			}
			// White space ends a path or a value even inside {...}: a
			// variable's value may open an alternation its use closes
			// (@{V}={a,b then /x/@{V}}), checked once expanded. In the
			// other words (rule conditionals) it is an unclosed group,
			// which apparmor_parser refuses.
			if braces > 0 && !path {
				return w, false, false, lx.errf(braceAt, "`{` is not closed before the white space (a block's `{` stands apart)")
			}
			w.text = b.String()
			return w, false, false, nil
		case c == '#' && parens > 0:
			return w, false, false, lx.errf(parenAt, "`(` is not closed before the comment")
		case c == ',' && path && parens == 0 && braces == 0 && lx.i+1 < len(lx.src) && isIDChar(lx.src[lx.i+1]):
		case c == ',' && parens == 0 && braces == 0 && lx.classRule && lx.commaInValue(b.String()):
			// In signal, dbus, mount ... rules apparmor_parser reads on
			// through a comma followed by more of the word:
			// fstype=ext3,ext4.
		case c == ',' && parens == 0 && braces == 0:
			lx.advance()
			w.text = b.String()
			return w, true, false, nil
		case c == '{':
			// A `{` glued to a name is part of it for apparmor_parser
			// (profile x{ } names x{ and has no block), so it opens a
			// block only standing apart or right after a header's
			// flags=(...), a qualifier or a condition.
			if parens == 0 && braces == 0 && (b.Len() == 0 && lx.spaceOrEnd(1) || opensAfter(b.String())) {
				lx.advance()
				w.text = b.String()
				return w, false, true, nil
			}
			if braces == 0 {
				braceAt = lx.pos()
			}
			braces++
		case c == '}':
			if braces > 0 {
				braces--
			}
		}
		b.WriteByte(c)
		lx.advance()
	}
	switch {
	case inQuote:
		return w, false, false, lx.errf(quoteAt, "quote is not closed")
	case parens > 0:
		return w, false, false, lx.errf(parenAt, "`(` is not closed")
	case braces > 0 && !path:
		return w, false, false, lx.errf(braceAt, "`{` is not closed")
	}
	w.text = b.String()
	return w, false, false, nil
}

// groupAfterKeyword are the rule keywords apparmor_parser lets an
// access list follow without a space (signal(send)); after mount and the
// others it refuses the `(`.
var groupAfterKeyword = map[string]bool{"signal": true, "dbus": true, "ptrace": true, "unix": true}

// opensGroup reports whether a `(` right after the text s opens a
// parenthesised group: at the start of a word (signal (send)) or of a
// value (peer=(label=x)).
func opensGroup(s string) bool { return s == "" || endsUnescaped(s, '=') }

// opensAfter reports whether a `{` right after the text s opens a block
// whatever follows it, as after `flags=(...)`, a qualifier or `if $B`.
func opensAfter(s string) bool {
	if strings.HasSuffix(s, ")") || isQualifier(s) || s == "else" {
		return true
	}
	_, set, ok := condVar(s)
	return ok && !set && strings.HasPrefix(s, "$")
}

// isIDChar reports whether c may continue a word after a comma in a
// path, as the parser's lexer takes it: not white space, a quote, `!` or
// another comma.
func isIDChar(c byte) bool { return !isSpace(c) && c != '"' && c != '!' && c != ',' }

// trimFolded removes the white space folded before a `)`, but not an
// escaped blank (`label=splat\ `), which is part of the value.
func trimFolded(s string) string {
	for strings.HasSuffix(s, " ") {
		n := 0
		for i := len(s) - 2; i >= 0 && s[i] == '\\'; i-- {
			n++
		}
		if n%2 == 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

// isClassRule reports whether a statement whose words so far are ws is a
// rule of the classes classParsers reads, set rlimit aside.
func isClassRule(ws []word) bool {
	for _, w := range ws {
		switch w.text {
		case "audit", "allow", "deny", "owner":
			continue
		}
		return w.text != "set" && classParsers[w.text] != nil
	}
	return false
}

// commaInValue reports whether the comma at the cursor belongs to a
// class rule's word so far: one that goes on right after it, not after a
// group's `)`, and not with white space, another comma, a quote or `!`.
func (lx *lexer) commaInValue(sofar string) bool {
	if sofar == "" || endsUnescaped(sofar, ')') || lx.i+1 >= len(lx.src) {
		return false
	}
	return isIDChar(lx.src[lx.i+1])
}

// endsUnescaped reports whether s ends with c that no backslash escapes:
// a space the folding of white space wrote, or a group's `(`, and not
// `\ ` or `\(`, which are part of a value.
func endsUnescaped(s string, c byte) bool {
	if s == "" || s[len(s)-1] != c {
		return false
	}
	n := 0
	for i := len(s) - 2; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 0
}

// unquote removes the quotes of a word written "...", resolving \" and
// \\; other words are returned as they are.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		if strings.ContainsRune(s, '"') {
			return s, false
		}
		return s, true
	}
	in := s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c == '\\' && i+1 < len(in) && (in[i+1] == '"' || in[i+1] == '\\') {
			i++
			c = in[i]
		} else if c == '"' {
			return s, false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// lexesAsWord reports whether s, written unquoted, reads back as exactly
// one word with the same text.
func lexesAsWord(s string) bool {
	if s == "" || strings.ContainsRune(s, '"') || s[0] == '#' || s[0] == '}' || s[0] == ',' {
		return false
	}
	lx := &lexer{src: s, line: 1, col: 1}
	w, comma, open, err := lx.word()
	return err == nil && !comma && !open && lx.eof() && w.text == s
}
