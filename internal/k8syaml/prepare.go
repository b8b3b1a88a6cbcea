package k8syaml

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// nonSpecific is the tag Prepare gives a plain scalar written with the
// non-specific tag "!". yaml.v3 writes it back as it was written.
const nonSpecific = "!"

// Prepare restores in the tree yaml.v3 parsed from text what the parser
// dropped and the API server's reader keeps: a plain scalar written with
// the non-specific tag ("privileged: ! true") is a string to go-yaml v2,
// while yaml.v3 resolves it as if it had no tag, a boolean here, and
// writes it back without the tag. Such a scalar gets the tag "!", which
// the reading here takes as a string and yaml.v3 writes back as written.
// Call it before the tree's lines are moved or its nodes edited. It fails
// where a value's position is not in text, since the value could then
// not be read as the API server reads it.
func Prepare(root *yaml.Node, text []byte) error {
	var loc *locator
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n == nil || n.Kind == yaml.AliasNode {
			return nil
		}
		// Every plain scalar: one yaml.v3 resolves to a string is marked
		// too, or a writer would drop the tag and "! on" (the string
		// "on") would come back as on (true). A merge key stays one.
		const written = yaml.TaggedStyle | yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle
		if n.Kind == yaml.ScalarNode && n.Style&written == 0 && n.Line > 0 && n.Tag != "!!merge" && n.Tag != nonSpecific {
			if loc == nil {
				loc = newLocator(text)
			}
			off, ok := loc.offset(n.Line, n.Column)
			switch {
			case !ok && n.Value == "":
				// An empty value implied at the end of the text ("---"
				// and nothing after it): no tag there.
			case !ok:
				return &NodeError{Node: n, Msg: fmt.Sprintf("cannot find %q in the text at line %d, column %d: it cannot be read as the API server would", n.Value, n.Line, n.Column)}
			case hasNonSpecificTag(loc.text[off:]):
				n.Tag = nonSpecific
			}
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root)
}

// hasNonSpecificTag says whether the node properties at the start of s
// (an anchor, a tag, in either order, with blanks or comments between)
// hold a tag. On a node yaml.v3 reports untagged, that tag is "!" (or
// "!<!>").
func hasNonSpecificTag(s []byte) bool {
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '!':
			return true
		case c == '&':
			for i < len(s) && !isBlank(s[i]) {
				i++
			}
		case isBlank(c):
			i++
		case c == '#':
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
		default:
			return false
		}
	}
	return false
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// locator maps yaml.v3's positions (1-based lines and columns, in
// characters, after any byte order mark) to offsets in the text the
// parser read, decoded to UTF-8 as the parser decodes it.
type locator struct {
	text   []byte
	starts []int // byte offset of each line's start
}

func newLocator(text []byte) *locator {
	switch {
	case bytes.HasPrefix(text, []byte{0xef, 0xbb, 0xbf}):
		text = text[3:]
	case bytes.HasPrefix(text, []byte{0xfe, 0xff}):
		text = fromUTF16(text[2:], true)
	case bytes.HasPrefix(text, []byte{0xff, 0xfe}):
		text = fromUTF16(text[2:], false)
	}
	l := &locator{text: text, starts: []int{0}}
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRune(text[i:])
		switch {
		case r == '\r' && i+1 < len(text) && text[i+1] == '\n':
			w = 2
			fallthrough
		case r == '\r' || r == '\n' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			// The line breaks of YAML 1.1, which yaml.v3's scanner
			// counts.
			l.starts = append(l.starts, i+w)
		}
		i += w
	}
	return l
}

// offset is the byte offset of line and column, counted in characters.
func (l *locator) offset(line, col int) (int, bool) {
	if line < 1 || line > len(l.starts) || col < 1 {
		return 0, false
	}
	off := l.starts[line-1]
	for range col - 1 {
		if off >= len(l.text) {
			return 0, false
		}
		_, w := utf8.DecodeRune(l.text[off:])
		off += w
	}
	return off, true
}

func fromUTF16(b []byte, bigEndian bool) []byte {
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return []byte(string(utf16.Decode(u)))
}
