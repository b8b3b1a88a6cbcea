// Package strictjson checks a document a user wrote against the Go type
// it will be decoded into, so that it is read the way its author reads
// it: every key spelt exactly as the field it fills, and written once.
//
// encoding/json matches a key to a struct field case-insensitively
// ("DefaultAction" fills defaultAction) and lets a later duplicate key
// replace an earlier one, in a struct field or a map. Either makes a file
// mean something other than what a reviewer sees: a second
// "defaultAction" at the end of a long seccomp profile quietly turns a
// deny-by-default profile into an allow-by-default one. Check refuses
// both, with the position of the key, before the document is decoded.
// The same rules apply to YAML documents decoded through JSON
// (CheckYAML), such as Kubernetes objects.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Options say what else to refuse.
type Options struct {
	// DisallowUnknown refuses keys that name no field of the target
	// struct (encoding/json ignores them).
	DisallowUnknown bool
	// Locate keeps where each value starts, for Doc.Pos.
	Locate bool
}

// Error is a refused document, with the position of the offending key or
// value (Line 0 when unknown).
type Error struct {
	// File is set by the caller that knows it (InFile).
	File      string
	Line, Col int
	// Path names the value: "syscalls[2].action"; "" for the document.
	Path string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(":")
		}
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", e.Line, e.Col)
	}
	if p := e.Path; p != "" {
		if len(p) > 120 {
			p = p[:60] + "…" + p[len(p)-60:]
		}
		b.WriteString(p + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// InFile names the file of err when it is an *Error.
func InFile(err error, file string) error {
	var e *Error
	if errors.As(err, &e) {
		e.File = file
	}
	return err
}

// ErrEmpty is the error for a document with no value at all.
var ErrEmpty = errors.New("the document is empty")

// Doc is a checked document: where each value starts.
type Doc struct {
	body []byte
	offs map[string]int    // JSON: byte offsets
	pos  map[string][2]int // YAML: lines and columns
}

// Pos returns the line and column where the value at path starts
// ("syscalls[0].names[1]"), or 0, 0 when there is none (or the document
// was checked without Locate).
func (d *Doc) Pos(path string) (int, int) {
	if p, ok := d.pos[path]; ok {
		return p[0], p[1]
	}
	off, ok := d.offs[path]
	if !ok {
		return 0, 0
	}
	return LineCol(d.body, off)
}

// LineCol converts a byte offset into a 1-based line and column (in
// bytes).
func LineCol(body []byte, off int) (int, int) {
	off = min(max(off, 0), len(body))
	line := 1 + bytes.Count(body[:off], []byte("\n"))
	col := off + 1
	if i := bytes.LastIndexByte(body[:off], '\n'); i >= 0 {
		col = off - i
	}
	return line, col
}

// Check reads one JSON value from body and refuses, for a value of type
// t: keys that match a field of a struct only when case is ignored, keys
// written twice in one object, unknown keys (with DisallowUnknown),
// syntax errors, an empty document, and anything but white space after
// the value. With Locate, the Doc says where each value starts.
func Check(body []byte, t reflect.Type, o Options) (*Doc, error) {
	w := &jsonWalker{body: body, dec: json.NewDecoder(bytes.NewReader(body)), o: o, doc: &Doc{body: body}}
	if o.Locate {
		w.doc.offs = map[string]int{}
	}
	w.dec.UseNumber()
	off := w.next(0)
	if off >= len(body) {
		return nil, &Error{Err: ErrEmpty}
	}
	if err := w.value(t, "", 0); err != nil {
		return nil, err
	}
	off = int(w.dec.InputOffset())
	for off < len(body) && strings.IndexByte(" \t\r\n", body[off]) >= 0 {
		off++
	}
	if off < len(body) {
		return nil, w.errAt(off, "", errors.New("data after the end of the document"))
	}
	return w.doc, nil
}

type jsonWalker struct {
	body []byte
	dec  *json.Decoder
	o    Options
	doc  *Doc
}

// next skips white space and the separators the decoder consumes
// between tokens, to the offset where the next token starts.
func (w *jsonWalker) next(off int) int {
	for off < len(w.body) && strings.IndexByte(" \t\r\n:,", w.body[off]) >= 0 {
		off++
	}
	return off
}

func (w *jsonWalker) errAt(off int, path string, err error) error {
	l, c := LineCol(w.body, off)
	return &Error{Line: l, Col: c, Path: path, Err: err}
}

// token reads the next token and the offset where it starts.
func (w *jsonWalker) token(path string) (json.Token, int, error) {
	off := w.next(int(w.dec.InputOffset()))
	tok, err := w.dec.Token()
	if err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.As(err, &syn):
			// Token's offset is the offending byte's own.
			return nil, 0, w.errAt(int(syn.Offset), "", err)
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return nil, 0, w.errAt(len(w.body), "", errors.New("unexpected end of the document"))
		}
		return nil, 0, w.errAt(off, path, err)
	}
	return tok, off, nil
}

// value checks the value at path, depth levels down, to be decoded into
// t (nil: anything).
func (w *jsonWalker) value(t reflect.Type, path string, depth int) error {
	tok, off, err := w.token(path)
	if err != nil {
		return err
	}
	if depth > maxDepth {
		// Each level costs a path as long as the levels above it: a
		// file of nothing but "[" would take minutes and the stack.
		return w.errAt(off, path, errors.New("nested too deep"))
	}
	if w.doc.offs != nil {
		w.doc.offs[path] = off
	}
	d, ok := tok.(json.Delim)
	if tt := Target(t); depth == 0 && tt != nil && (tt.Kind() == reflect.Struct || tt.Kind() == reflect.Map) && d != '{' {
		// A document that is only null decodes into nothing, without an
		// error: a policy file holding it would say nothing, silently.
		return w.errAt(off, path, fmt.Errorf("want a JSON object, found %v", tok))
	}
	if !ok {
		return nil // a scalar: its type is the decoder's business
	}
	t = Target(t)
	switch d {
	case '[':
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i := 0; w.dec.More(); i++ {
			if err := w.value(et, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
	case '{':
		seen := map[string]int{}
		for w.dec.More() {
			tok, koff, err := w.token(path)
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			kpath := join(path, key)
			if first, dup := seen[key]; dup {
				l, c := LineCol(w.body, first)
				return w.errAt(koff, kpath, fmt.Errorf("key %q written twice (first at %d:%d); a decoder keeps only the last", key, l, c))
			}
			seen[key] = koff
			vt, err := member(t, key, w.o)
			if err != nil {
				return w.errAt(koff, kpath, err)
			}
			if err := w.value(vt, kpath, depth+1); err != nil {
				return err
			}
		}
	}
	_, _, err = w.token(path) // the closing delimiter
	return err
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// member decides a key of an object decoded into t: the type of its
// value, or why the key is refused.
func member(t reflect.Type, key string, o Options) (reflect.Type, error) {
	if t == nil {
		return nil, nil
	}
	switch t.Kind() {
	case reflect.Map:
		return t.Elem(), nil
	case reflect.Struct:
		fields := Fields(t)
		if ft, ok := fields[key]; ok {
			return ft, nil
		}
		for name := range fields {
			if strings.EqualFold(name, key) {
				// encoding/json would fill the field: a reader of the
				// file sees another key than the decoder does.
				return nil, fmt.Errorf("key %q differs from %q only in case: Go's JSON decoder ignores case and would read it as %s, so the spelling must match exactly", key, name, name)
			}
		}
		if o.DisallowUnknown {
			return nil, errors.New("unknown field")
		}
	}
	return nil, nil
}

// CheckYAML is Check for a YAML document (a yaml.v3 node) that will be
// converted to JSON and decoded into t: the same keys are refused, at
// the position the YAML gives. Merge keys (<<) are refused: they hide
// which entry wins. Aliases are followed.
func CheckYAML(n *yaml.Node, t reflect.Type, o Options) (*Doc, error) {
	if n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, &Error{Err: ErrEmpty}
		}
		n = n.Content[0]
	}
	if n == nil {
		return nil, &Error{Err: ErrEmpty}
	}
	doc := &Doc{}
	if o.Locate {
		doc.pos = map[string][2]int{}
	}
	w := &yamlWalker{o: o, doc: doc, budget: 1 << 20}
	if err := w.value(n, t, "", 0, false); err != nil {
		return nil, err
	}
	return doc, nil
}

type yamlWalker struct {
	o      Options
	doc    *Doc
	budget int // nodes left: aliases can make a small document expand a lot
}

// maxDepth bounds nesting, as encoding/json's decoder does.
const maxDepth = 1000

// value checks n, to be decoded into t; aliased says n was reached
// through an alias, whose expansion gets no positions of its own.
func (w *yamlWalker) value(n *yaml.Node, t reflect.Type, path string, depth int, aliased bool) error {
	o, doc, budget := w.o, w.doc, &w.budget
	at := n
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		aliased = true
		if i > 100 {
			return &Error{Line: at.Line, Col: at.Column, Path: path, Err: errors.New("aliases nested too deep")}
		}
		n = n.Alias
	}
	if *budget--; n == nil || *budget < 0 {
		return &Error{Path: path, Err: errors.New("document too large after expanding aliases")}
	}
	if depth > maxDepth {
		// also an alias that holds itself ("&a {m: *a}")
		return &Error{Line: at.Line, Col: at.Column, Path: path, Err: errors.New("nested too deep")}
	}
	if doc.pos != nil && !aliased {
		if _, seen := doc.pos[path]; !seen {
			doc.pos[path] = [2]int{n.Line, n.Column}
		}
	}
	t = Target(t)
	switch n.Kind {
	case yaml.SequenceNode:
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i, c := range n.Content {
			if err := w.value(c, et, path+"["+strconv.Itoa(i)+"]", depth+1, aliased); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return &Error{Line: k.Line, Col: k.Column, Path: path, Err: errors.New("a mapping key must be a scalar")}
			}
			if k.ShortTag() == "!!merge" {
				return &Error{Line: k.Line, Col: k.Column, Path: path, Err: errors.New("merge keys (<<) are not accepted here: write the entries out")}
			}
			kpath := join(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				return &Error{Line: k.Line, Col: k.Column, Path: kpath, Err: fmt.Errorf("key %q written twice (first at %d:%d); a decoder keeps only the last", k.Value, first.Line, first.Column)}
			}
			seen[k.Value] = k
			vt, err := member(t, k.Value, o)
			if err != nil {
				return &Error{Line: k.Line, Col: k.Column, Path: kpath, Err: err}
			}
			if err := w.value(v, vt, kpath, depth+1, aliased); err != nil {
				return err
			}
		}
	}
	return nil
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// Target is the type whose fields name the keys of a value decoded into
// t, or nil when any key goes (interfaces, types that decode
// themselves).
func Target(t reflect.Type) reflect.Type {
	for t != nil {
		pt := reflect.PointerTo(t)
		if pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Interface:
			return nil
		default:
			return t
		}
	}
	return nil
}

type field struct {
	t     reflect.Type
	depth int
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// Fields maps the JSON names of a struct's fields (embedded structs'
// promoted, the shallower winning) to their types, as encoding/json
// names them.
func Fields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]field{}
	var walk func(t reflect.Type, depth int)
	walk = func(t reflect.Type, depth int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				walk(ft, depth+1)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if old, ok := m[name]; !ok || depth < old.depth {
				m[name] = field{f.Type, depth}
			}
		}
	}
	walk(t, 0)
	out := make(map[string]reflect.Type, len(m))
	for k, f := range m {
		out[k] = f.t
	}
	fieldCache.Store(t, out)
	return out
}

// HasKey says whether body is a JSON object with key at its top level,
// spelled exactly. Only the top level is walked: a key of that name in a
// nested object, or inside a string, does not count.
func HasKey(body []byte, key string) bool {
	t := bytes.TrimSpace(body)
	if !bytes.HasPrefix(t, []byte("{")) || !bytes.Contains(t, []byte(`"`+key+`"`)) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if tok == key {
			return true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return false
}
