package harden

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/rampart-sec/rampart/internal/bytesize"
	"github.com/rampart-sec/rampart/internal/k8syaml"
)

// Sink takes what Stream makes besides the hardened text.
type Sink struct {
	// Profile and Seccomp take each generated profile once, before the
	// first document that references it is written, so that a reader of
	// the output never meets a reference to a profile not yet there.
	Profile func(Profile) error
	Seccomp func(SeccompProfile) error
	// Change takes each edit and finding, in input order.
	Change func(Change)
	// Collect keeps the profiles (with every image that uses them) and
	// the changes in the Result, as Manifest does; without it Stream keeps
	// only their names, whatever the input's size.
	Collect bool
	// MaxDocument is the most read of one document (0: no limit); a
	// larger one fails the file.
	MaxDocument int
	// spool holds the leading unedited documents (see output); nil:
	// unlinked temporary files.
	spool func() (spool, error)
}

// Stream hardens the manifests read from r, a document at a time, and
// writes the hardened file to out: memory does not grow with the number
// of documents. The output is byte for byte what Manifest gives: the
// input itself when nothing was edited. name is used in messages. On
// error, part of the output may have been written.
func Stream(name string, r io.Reader, out io.Writer, o Options, s Sink) (*Result, error) {
	h, err := newHardener(o, s)
	if err != nil {
		return nil, err
	}
	if s.spool == nil {
		s.spool = fileSpool
	}
	res := &Result{}
	w := &output{out: out, newSpool: s.spool}
	defer w.close()
	docs := &splitter{br: bufio.NewReaderSize(r, 64<<10), max: s.MaxDocument}
	for {
		d, err := docs.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		node, err := h.document(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := w.add(d, node, h.edited); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := w.finish(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	res.Changed = w.edited
	res.Changes, res.Seccomp = h.changes, h.seccomp
	for _, n := range h.order {
		res.Profiles = append(res.Profiles, *h.profiles[n])
	}
	return res, nil
}

// document reads one document as kyaml's reader reads it in a whole file
// (its annotations carried from the documents before), checks it and
// hardens it. It returns nil for an empty document.
func (h *hardener) document(d doc) (*yaml.RNode, error) {
	h.edited = false
	n, err := h.parse(d)
	if n == nil || err != nil {
		return nil, err
	}
	return n, h.object(n, 0)
}

// parse reads one document and checks that harden can read it as the
// API server does; nil for an empty document.
func (h *hardener) parse(d doc) (*yaml.RNode, error) {
	rd := &kio.ByteReader{Reader: strings.NewReader(d.text), PreserveSeqIndent: true, DisableUnwrapping: true, SetAnnotations: h.annotations}
	nodes, err := rd.Read()
	if err != nil {
		if d.line > 1 {
			return nil, fmt.Errorf("the document at line %d: %w", d.line, err)
		}
		return nil, err
	}
	if err := oneDocument(d); err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, nil
	}
	n := nodes[0]
	perr := k8syaml.Prepare(n.YNode(), []byte(d.text))
	shiftLines(n.YNode(), d.line-1)
	var ne *k8syaml.NodeError
	if errors.As(perr, &ne) {
		return nil, fmt.Errorf("line %d, column %d: %s", ne.Node.Line, ne.Node.Column, ne.Msg)
	}
	if err := duplicateKey(n.YNode()); err != nil {
		return nil, err
	}
	return n, nil
}

// oneDocument refuses a piece of text the YAML parser reads as more than
// one document. kyaml reads the first and drops the rest, so harden
// would write the file without them: after an end marker ("...") with
// no separator, or behind a "---" that follows a line break other than
// "\n" (a lone "\r", NEL, U+2028, U+2029), which the parser honours and
// the splitter does not; and text the parser decodes from UTF-16.
func oneDocument(d doc) error {
	end := strings.Index("\n"+d.text, "\n...")
	if end < 0 && !strings.ContainsAny(d.text, "\r\u0085\u2028\u2029\x00\ufeff") {
		return nil
	}
	dec := yaml.NewDecoder(strings.NewReader(d.text))
	var n yaml.Node
	if dec.Decode(&n) == nil && dec.Decode(&n) == io.EOF {
		return nil
	}
	if end < 0 {
		return fmt.Errorf("the document at line %d holds more than one YAML document (a --- after a line break other than \\n, or UTF-16 text): harden would drop all but the first", d.line)
	}
	return fmt.Errorf("line %d: text after the end of a document (...) without --- before it: harden would drop it", d.line+strings.Count(d.text[:end], "\n"))
}

// shiftLines makes a document's node lines count from the top of the
// file, for messages.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// doc is one document as kyaml's reader cuts a file.
type doc struct {
	raw  []byte // the input's bytes: the separator line before it, if any, and its lines
	text string // what kyaml decodes: no separator line, \r\n as \n
	line int    // the line text starts on
}

// splitter cuts a stream where kyaml's reader cuts a whole file (see
// kio.ByteReader): at a line that starts with "---", ends with a newline
// and is neither the first line nor right after another such line. The
// separator line goes with the raw bytes of the document after it. Doing
// the same cut keeps the output byte for byte what Manifest gave when it
// read the whole file.
type splitter struct {
	br      *bufio.Reader
	max     int
	line    int    // lines read
	sepPrev bool   // the line before was a separator
	held    []byte // the separator that starts the next document
	eof     bool
}

func (s *splitter) next() (doc, error) {
	if s.eof && s.held == nil {
		return doc{}, io.EOF
	}
	d := doc{raw: s.held, line: s.line + 1}
	s.held = nil
	var text strings.Builder
	for !s.eof {
		ln, err := s.readLine(len(d.raw))
		if err == errTooLarge {
			return doc{}, fmt.Errorf("line %d: document larger than %s, the most read of one document", d.line, bytesize.Format(s.max))
		}
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			return doc{}, err
		}
		if len(ln) == 0 {
			continue
		}
		s.line++
		norm := strings.ReplaceAll(string(ln), "\r\n", "\n")
		if s.line > 1 && !s.sepPrev && strings.HasPrefix(norm, "---") && strings.HasSuffix(norm, "\n") {
			if rest := strings.TrimSpace(norm[3:]); rest != "" && rest[0] != '#' {
				return doc{}, fmt.Errorf("line %d: invalid document separator: %s", s.line, strings.TrimSpace(norm))
			}
			s.sepPrev, s.held = true, ln
			break
		}
		s.sepPrev = false
		d.raw = append(d.raw, ln...)
		text.WriteString(norm)
	}
	d.text = text.String()
	return d, nil
}

var errTooLarge = errors.New("document too large")

// readLine reads one line, failing with errTooLarge once the document
// holding it (have bytes so far) is over the limit.
func (s *splitter) readLine(have int) ([]byte, error) {
	var ln []byte
	for {
		frag, err := s.br.ReadSlice('\n')
		ln = append(ln, frag...)
		if s.max > 0 && have+len(ln) > s.max {
			return nil, errTooLarge
		}
		if err != bufio.ErrBufferFull {
			return ln, err
		}
	}
}

// output writes the hardened file. Manifest gave the input itself when no
// document was edited, and otherwise every document as kyaml writes it.
// Which one is known only at the first edit: until then the documents
// wait in both forms in spools (on disk for Stream), and then the
// rewritten form goes out and the rest follows as it comes.
type output struct {
	out      io.Writer
	newSpool func() (spool, error)
	edited   bool
	verbatim spool // the input so far, while nothing is edited
	written  spool // the rewritten documents so far, while nothing is edited
	n        int   // documents rewritten
	lead     []byte
}

// spool holds text until it is copied out or dropped.
type spool interface {
	io.Writer
	copyTo(w io.Writer) error
	close()
}

func (o *output) add(d doc, node *yaml.RNode, edited bool) error {
	o.noteLead(d.raw)
	piece, err := o.rewrite(node)
	if err != nil {
		return err
	}
	switch {
	case o.edited:
		_, err = o.out.Write(piece)
	case edited:
		o.edited = true
		if o.written != nil {
			if err := o.written.copyTo(o.out); err != nil {
				return err
			}
		}
		o.close()
		_, err = o.out.Write(piece)
	default:
		if err := o.spools(); err != nil {
			return err
		}
		if _, err := o.verbatim.Write(d.raw); err != nil {
			return err
		}
		_, err = o.written.Write(piece)
	}
	return err
}

// rewrite is a document as kyaml writes it in a whole file: a separator
// before every one but the first, and before the first one too where the
// input started with one.
func (o *output) rewrite(node *yaml.RNode) ([]byte, error) {
	if node == nil {
		return nil, nil
	}
	var b bytes.Buffer
	if err := (kio.ByteWriter{Writer: &b}).Write([]*yaml.RNode{node}); err != nil {
		return nil, err
	}
	o.n++
	if o.n > 1 || bytes.HasPrefix(o.lead, []byte("---")) && !bytes.HasPrefix(b.Bytes(), []byte("---")) {
		return append([]byte("---\n"), b.Bytes()...), nil
	}
	return b.Bytes(), nil
}

// spools makes the spools, at the first document that waits in them.
func (o *output) spools() error {
	if o.verbatim != nil {
		return nil
	}
	var err error
	if o.verbatim, err = o.newSpool(); err != nil {
		return err
	}
	o.written, err = o.newSpool()
	return err
}

// noteLead keeps the first three bytes of the input after its leading
// blanks: whether it starts with a separator.
func (o *output) noteLead(raw []byte) {
	if len(o.lead) == 0 {
		raw = bytes.TrimLeft(raw, " \t\r\n")
	}
	if n := 3 - len(o.lead); n > 0 {
		o.lead = append(o.lead, raw[:min(n, len(raw))]...)
	}
}

// finish writes the input itself when nothing was edited.
func (o *output) finish() error {
	if o.edited || o.verbatim == nil {
		return nil
	}
	return o.verbatim.copyTo(o.out)
}

func (o *output) close() {
	for _, s := range []spool{o.verbatim, o.written} {
		if s != nil {
			s.close()
		}
	}
	o.verbatim, o.written = nil, nil
}

// memSpool is a spool in memory, for Manifest, whose input is there
// already.
type memSpool struct{ bytes.Buffer }

func (m *memSpool) copyTo(w io.Writer) error { _, err := m.WriteTo(w); return err }
func (m *memSpool) close()                   {}

func memorySpool() (spool, error) { return &memSpool{}, nil }

// diskSpool is an unlinked temporary file: gone when closed, or when the
// process dies.
type diskSpool struct{ f *os.File }

func fileSpool() (spool, error) {
	f, err := os.CreateTemp("", "rampart-harden-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return &diskSpool{f}, nil
}

func (d *diskSpool) Write(p []byte) (int, error) { return d.f.Write(p) }

func (d *diskSpool) copyTo(w io.Writer) error {
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, d.f)
	return err
}

func (d *diskSpool) close() { d.f.Close() }

// Manifest hardens one file's documents. name is used in messages.
func Manifest(name string, data []byte, o Options) (*Result, error) {
	var out bytes.Buffer
	res, err := Stream(name, bytes.NewReader(data), &out, o, Sink{Collect: true, spool: memorySpool})
	if err != nil {
		return nil, err
	}
	res.Data = out.Bytes()
	return res, nil
}
