package apparmor

import (
	"fmt"
	"math/bits"
	"strings"
)

// Glob is a compiled AppArmor file glob (an AARE, after variables are
// expanded). It matches the way apparmor_parser 3 compiles globs for the
// kernel:
//
//   - `*` matches any run of bytes without `/`; `**` any run, `/` included.
//   - A `*` or `**` that makes up a whole path component (a `/` before
//     it, and a `/` or the end of the pattern after it) must match at
//     least one byte, and that byte is not `/`: `/tmp/*` and `/tmp/**`
//     never match the directory `/tmp/` itself, and `/a/*/b` does not
//     match `/a//b`. Elsewhere stars may match nothing: `/a/**.so`
//     matches `/a/.so`, and `/a/{,*}` matches `/a/`.
//   - `?` matches one byte other than `/`.
//   - `[abc]`, `[a-c]`, `[^a-c]` match one byte of a class. A negated class
//     matches `/` unless it lists it: `[^a]` crosses path components.
//   - `{a,b}` alternates; alternatives nest and may be empty (`{,s}`).
//   - `\` makes the next byte literal.
//   - Runs of `/` count as one, in the glob (as apparmor_parser folds them)
//     and in the path being matched (the kernel never produces them).
//
// A directory's path ends with `/`, so only globs that end with `/` (or
// whose last element can match it, like `**`) match directories.
//
// Matching runs a Thompson NFA over the bytes of the path: linear time,
// and correct for names that are not UTF-8.
type Glob struct {
	pattern string
	prog    []ginst
	start   int
	literal bool
}

type gop uint8

const (
	gByte  gop = iota // consume one byte of set, then out
	gSplit            // epsilon to out and out1
	gJump             // epsilon to out
	gMatch
)

type byteSet [4]uint64

func (s *byteSet) add(b byte)      { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }
func (s *byteSet) addRange(lo, hi byte) {
	for c := int(lo); c <= int(hi); c++ {
		s.add(byte(c))
	}
}
func (s *byteSet) invert() {
	for i := range s {
		s[i] = ^s[i]
	}
}

// notSlash is every byte but `/` and NUL (which no path holds).
var notSlash, anyByte = func() (byteSet, byteSet) {
	var ns, any byteSet
	ns.addRange(1, 255)
	any = ns
	ns[0] &^= 1 << '/'
	return ns, any
}()

type ginst struct {
	op        gop
	set       *byteSet
	out, out1 int
}

// maxGlobNesting bounds `{` nesting, and maxGlobInsts the program size, so
// that hostile input cannot exhaust the stack or memory.
const (
	maxGlobNesting = 64
	maxGlobInsts   = 1 << 20
)

// GlobError is a glob syntax error; Offset is the byte offset of the
// offending character in the pattern.
type GlobError struct {
	Pattern string
	Offset  int
	Msg     string
}

func (e *GlobError) Error() string {
	return fmt.Sprintf("glob %q: %s (at byte %d)", e.Pattern, e.Msg, e.Offset+1)
}

// CompileGlob compiles a glob with no variables left in it.
func CompileGlob(pattern string) (*Glob, error) {
	c := &gcomp{src: pattern, literal: true}
	f, err := c.seq(0)
	if err != nil {
		return nil, err
	}
	if c.i < len(c.src) { // a '}' or ',' that closed nothing
		if c.src[c.i] == '}' {
			return nil, c.errf(c.i, "`}` closes no `{`")
		}
		return nil, c.errf(c.i, "unexpected %q", c.src[c.i])
	}
	m := c.emit(ginst{op: gMatch})
	c.patch(f.out, m)
	return &Glob{pattern: pattern, prog: c.prog, start: f.start, literal: c.literal}, nil
}

// MustCompileGlob is CompileGlob for patterns known to be valid.
func MustCompileGlob(pattern string) *Glob {
	g, err := CompileGlob(pattern)
	if err != nil {
		panic(err)
	}
	return g
}

// MatchGlob reports whether path matches pattern.
func MatchGlob(pattern, path string) (bool, error) {
	g, err := CompileGlob(pattern)
	if err != nil {
		return false, err
	}
	return g.Match(path), nil
}

// String returns the pattern as given.
func (g *Glob) String() string { return g.pattern }

// Literal reports whether the glob matches exactly one path: it has no
// wildcard, class or alternation. apparmor_parser lets such a rule's exec
// transition win over those of globs that match the same file.
func (g *Glob) Literal() bool { return g.literal }

// Prefix is what every path the glob matches begins with (after runs of
// '/' are folded), read off the compiled program; whole reports that the
// glob matches that path and no other. Evaluators index rules by it, so
// that a profile of tens of thousands of rules (a recorded allow list)
// does not run every glob on every path.
func (g *Glob) Prefix() (prefix string, whole bool) {
	var b []byte
	for pc, steps := g.start, 0; steps < len(g.prog); steps++ {
		in := &g.prog[pc]
		switch in.op {
		case gJump:
			pc = in.out
		case gMatch:
			return string(b), true
		case gByte:
			c, ok := in.set.single()
			if !ok {
				return string(b), false
			}
			b, pc = append(b, c), in.out
		default: // a split: the paths part here
			return string(b), false
		}
	}
	return string(b), false
}

// single reports the set's byte when it holds exactly one.
func (s *byteSet) single() (byte, bool) {
	n, at := 0, -1
	for i, w := range s {
		if w != 0 {
			n += bits.OnesCount64(w)
			at = i*64 + bits.TrailingZeros64(w)
		}
	}
	return byte(at), n == 1
}

// Match reports whether path matches the glob.
func (g *Glob) Match(path string) bool {
	path = foldSlashes(path)
	n := len(g.prog)
	cur, next := newSparse(n), newSparse(n)
	stack := make([]int, 0, 16)
	g.addClosure(cur, g.start, &stack)
	for i := 0; i < len(path) && len(cur.dense) > 0; i++ {
		b := path[i]
		next.clear()
		for _, pc := range cur.dense {
			in := &g.prog[pc]
			if in.op == gByte && in.set.has(b) {
				g.addClosure(next, in.out, &stack)
			}
		}
		cur, next = next, cur
	}
	for _, pc := range cur.dense {
		if g.prog[pc].op == gMatch {
			return true
		}
	}
	return false
}

func (g *Glob) addClosure(s *sparse, pc int, stack *[]int) {
	*stack = append((*stack)[:0], pc)
	for len(*stack) > 0 {
		pc := (*stack)[len(*stack)-1]
		*stack = (*stack)[:len(*stack)-1]
		if s.has(pc) {
			continue
		}
		s.add(pc)
		switch in := &g.prog[pc]; in.op {
		case gJump:
			*stack = append(*stack, in.out)
		case gSplit:
			*stack = append(*stack, in.out1, in.out)
		}
	}
}

// sparse is a set of instruction indexes with O(1) clear.
type sparse struct {
	sparse []int
	dense  []int
}

func newSparse(n int) *sparse { return &sparse{sparse: make([]int, n), dense: make([]int, 0, n)} }
func (s *sparse) has(i int) bool {
	j := s.sparse[i]
	return j < len(s.dense) && s.dense[j] == i
}
func (s *sparse) add(i int) { s.sparse[i] = len(s.dense); s.dense = append(s.dense, i) }
func (s *sparse) clear()    { s.dense = s.dense[:0] }

// foldSlashes replaces runs of '/' with one.
func foldSlashes(p string) string {
	if !strings.Contains(p, "//") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// unescapeAt decodes the escape whose letter is at src[i] (the byte after
// a backslash) as apparmor_parser's pattern lexer does, and returns the
// byte and the index after the escape: \a \e \f \n \r \t are control
// bytes, \xH[H] (hex), \dD[D[D]] (decimal) and \O[O[O]] (octal) name a
// byte, anything else is itself. Reading `\x73` as the letters x73 would
// let `deny /etc/\x73hadow r,` look like it protects /etc/x73hadow while
// the kernel denies /etc/shadow, and the other way round.
func unescapeAt(src string, i int) (byte, int, error) {
	digits := func(from, max, base int) (int, int) {
		v, j := 0, from
		for ; j < len(src) && j-from < max; j++ {
			d := strings.IndexByte("0123456789abcdef", lower(src[j]))
			if d < 0 || d >= base {
				break
			}
			v = v*base + d
		}
		return v, j
	}
	switch c := src[i]; c {
	case 'a':
		return 7, i + 1, nil
	case 'e':
		return 27, i + 1, nil
	case 'f':
		return 12, i + 1, nil
	case 'n':
		return 10, i + 1, nil
	case 'r':
		return 13, i + 1, nil
	case 't':
		return 9, i + 1, nil
	case 'x', 'd':
		base := map[byte]int{'x': 16, 'd': 10}[c]
		v, j := digits(i+1, map[byte]int{'x': 2, 'd': 3}[c], base)
		if j == i+1 {
			return c, i + 1, nil
		}
		if v > 255 {
			return 0, 0, fmt.Errorf("escape \\%s names no byte", src[i:j])
		}
		return byte(v), j, nil
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v, j := digits(i, 3, 8)
		if v > 255 {
			return 0, 0, fmt.Errorf("escape \\%s names no byte", src[i:j])
		}
		return byte(v), j, nil
	default:
		return c, i + 1, nil
	}
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// QuoteGlob escapes the glob and variable syntax in a literal path, so
// that the result matches exactly that path.
func QuoteGlob(path string) string {
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		if strings.IndexByte(`\*?[]{},@"`, path[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(path[i])
	}
	return b.String()
}

// HasGlob reports whether a rule's path uses glob syntax or variables
// (anything but literal bytes and escapes).
func HasGlob(pattern string) bool {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			i++
		case '*', '?', '[', ']', '{', '}', '@':
			return true
		}
	}
	return false
}

// gcomp compiles a glob by recursive descent, emitting NFA fragments.
type gcomp struct {
	src     string
	i       int
	prog    []ginst
	literal bool
}

type gpatch struct {
	pc     int
	second bool
}

type gfrag struct {
	start int
	out   []gpatch
}

func (c *gcomp) errf(at int, format string, args ...any) error {
	return &GlobError{Pattern: c.src, Offset: at, Msg: fmt.Sprintf(format, args...)}
}

func (c *gcomp) emit(in ginst) int {
	c.prog = append(c.prog, in)
	return len(c.prog) - 1
}

func (c *gcomp) patch(l []gpatch, to int) {
	for _, p := range l {
		if p.second {
			c.prog[p.pc].out1 = to
		} else {
			c.prog[p.pc].out = to
		}
	}
}

func (c *gcomp) byteFrag(set *byteSet) gfrag {
	pc := c.emit(ginst{op: gByte, set: set})
	return gfrag{start: pc, out: []gpatch{{pc, false}}}
}

// starFrag is set*: zero or more bytes of set.
func (c *gcomp) starFrag(set *byteSet) gfrag {
	s := c.emit(ginst{op: gSplit})
	b := c.emit(ginst{op: gByte, set: set, out: s})
	c.prog[s].out = b
	return gfrag{start: s, out: []gpatch{{s, true}}}
}

func (c *gcomp) emptyFrag() gfrag {
	pc := c.emit(ginst{op: gJump})
	return gfrag{start: pc, out: []gpatch{{pc, false}}}
}

func (c *gcomp) concat(a, b gfrag) gfrag {
	c.patch(a.out, b.start)
	return gfrag{start: a.start, out: b.out}
}

// seq compiles a sequence until the end of the pattern, or, inside an
// alternation (depth > 0), until an unescaped ',' or '}'.
func (c *gcomp) seq(depth int) (gfrag, error) {
	var f gfrag
	have := false
	add := func(g gfrag) {
		if !have {
			f, have = g, true
			return
		}
		f = c.concat(f, g)
	}
	afterSlash := false // the last element was a literal '/'
	for c.i < len(c.src) {
		if len(c.prog) > maxGlobInsts {
			return f, c.errf(c.i, "pattern too large")
		}
		ch := c.src[c.i]
		switch ch {
		case '\\':
			if c.i+1 >= len(c.src) {
				return f, c.errf(c.i, "`\\` at the end escapes nothing")
			}
			b, next, err := unescapeAt(c.src, c.i+1)
			if err != nil {
				return f, c.errf(c.i, "%v", err)
			}
			if b != c.src[c.i+1] {
				c.literal = false // a control or numbered byte: apparmor_parser counts it a pattern
			}
			c.i = next
			if b == '/' && afterSlash {
				continue
			}
			var s byteSet
			s.add(b)
			add(c.byteFrag(&s))
			afterSlash = b == '/'
			continue
		case '*':
			c.literal = false
			double := c.i+1 < len(c.src) && c.src[c.i+1] == '*'
			c.i++
			set := &notSlash
			if double {
				c.i++
				set = &anyByte
			}
			if afterSlash && (c.i == len(c.src) || c.src[c.i] == '/' || c.src[c.i] == '*') {
				// apparmor_parser: a star that is a whole path
				// component matches at least one byte, and not a '/'.
				add(c.byteFrag(&notSlash))
			}
			add(c.starFrag(set))
			afterSlash = false
			continue
		case '?':
			c.literal = false
			c.i++
			add(c.byteFrag(&notSlash))
			afterSlash = false
			continue
		case '[':
			c.literal = false
			s, err := c.class()
			if err != nil {
				return f, err
			}
			add(c.byteFrag(s))
			afterSlash = false
			continue
		case '{':
			c.literal = false
			if depth+1 > maxGlobNesting {
				return f, c.errf(c.i, "alternations nested too deep")
			}
			g, err := c.alt(depth + 1)
			if err != nil {
				return f, err
			}
			add(g)
			afterSlash = false
			continue
		case ',', '}':
			if depth > 0 {
				if !have {
					return c.emptyFrag(), nil
				}
				return f, nil
			}
			if ch == '}' {
				return f, c.errf(c.i, "`}` closes no `{`")
			}
		case ']':
			return f, c.errf(c.i, "`]` closes no `[`")
		}
		// a literal byte
		c.i++
		if ch == '/' && afterSlash {
			continue
		}
		var s byteSet
		s.add(ch)
		add(c.byteFrag(&s))
		afterSlash = ch == '/'
	}
	if depth > 0 {
		return f, c.errf(len(c.src)-1, "`{` is not closed")
	}
	if !have {
		return c.emptyFrag(), nil
	}
	return f, nil
}

// alt compiles {a,b,...} with c.i on the '{'.
func (c *gcomp) alt(depth int) (gfrag, error) {
	open := c.i
	c.i++
	var alts []gfrag
	for {
		g, err := c.seq(depth)
		if err != nil {
			return g, err
		}
		alts = append(alts, g)
		if c.i >= len(c.src) {
			return g, c.errf(open, "`{` is not closed")
		}
		if c.src[c.i] == '}' {
			c.i++
			break
		}
		c.i++ // ','
	}
	if len(alts) == 1 && c.src[open+1] == '}' {
		return gfrag{}, c.errf(open, "empty alternation `{}`")
	}
	if len(alts) == 1 {
		// apparmor_parser refuses `{}` and `{one}` ("Invalid number of
		// items between {}"): a profile written with one would not load,
		// so no path may be judged by it.
		return gfrag{}, c.errf(open, "an alternation needs two or more items, separated by commas: `{a,b}` or `{,a}`")
	}
	// Chain the alternatives with splits.
	f := alts[len(alts)-1]
	out := append([]gpatch(nil), f.out...)
	start := f.start
	for i := len(alts) - 2; i >= 0; i-- {
		s := c.emit(ginst{op: gSplit, out: alts[i].start, out1: start})
		start = s
		out = append(out, alts[i].out...)
	}
	return gfrag{start: start, out: out}, nil
}

// class parses [...] with c.i on the '['.
func (c *gcomp) class() (*byteSet, error) {
	open := c.i
	c.i++
	var s byteSet
	neg := false
	if c.i < len(c.src) && c.src[c.i] == '^' {
		neg = true
		c.i++
	}
	n := 0
	for {
		if c.i >= len(c.src) {
			return nil, c.errf(open, "`[` is not closed")
		}
		ch := c.src[c.i]
		if ch == ']' {
			if n == 0 {
				return nil, c.errf(open, "empty character class")
			}
			c.i++
			break
		}
		lo, err := c.classByte()
		if err != nil {
			return nil, err
		}
		hi := lo
		if c.i+1 < len(c.src) && c.src[c.i] == '-' {
			if c.src[c.i+1] == ']' {
				return nil, c.errf(c.i, "range in `[...]` has no end")
			}
			c.i++
			if hi, err = c.classByte(); err != nil {
				return nil, err
			}
			if hi < lo { // apparmor_parser takes [z-a] as [a-z]
				lo, hi = hi, lo
			}
		}
		s.addRange(lo, hi)
		n++
	}
	if neg {
		s.invert()
		s[0] &^= 1 // never NUL
	}
	return &s, nil
}

func (c *gcomp) classByte() (byte, error) {
	ch := c.src[c.i]
	if ch == '\\' {
		if c.i+1 >= len(c.src) {
			return 0, c.errf(c.i, "`\\` at the end escapes nothing")
		}
		b, next, err := unescapeAt(c.src, c.i+1)
		if err != nil {
			return 0, c.errf(c.i, "%v", err)
		}
		c.i = next
		return b, nil
	}
	c.i++
	return ch, nil
}
