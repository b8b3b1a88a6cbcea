package kube

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/internal/bytesize"
	"github.com/rampart-sec/rampart/internal/k8syaml"
)

// DefaultMaxDocument is the most a stream's reader takes of one document
// by default: far above what the API server stores for one object (etcd
// refuses a request over 1.5 MiB), and small enough that decoding it
// stays within a few hundred megabytes.
const DefaultMaxDocument = 8 << 20

// Splitter cuts a stream of manifests into documents, before every line
// that starts one ("---" alone or followed by blanks, a comment or
// content), as kubectl does, so that a syntax error in one document does
// not hide the others. It holds one document at a time, never the
// stream: an endless stream of Pods is read in bounded memory.
type Splitter struct {
	name    string
	br      *bufio.Reader
	max     int
	line    int  // the number of the line being read
	atStart bool // at the start of a line
	cur     Document
	size    int   // bytes of cur, kept or not
	err     error // the reader's, returned after the documents before it
}

// NewSplitter reads the stream r, named name in positions and messages.
// A document over max bytes (0: no limit) is not kept: it comes back
// TooLarge, and its Read says so.
func NewSplitter(name string, r io.Reader, max int) *Splitter {
	s := &Splitter{name: name, br: bufio.NewReaderSize(r, 64<<10), max: max, line: 1, atStart: true}
	s.cur = Document{File: name, Line: 1, max: max}
	return s
}

// Document is one piece of a stream: the text from a line that starts a
// document to the next such line. It usually holds one YAML document;
// one ended by "..." may be followed by more.
type Document struct {
	File string
	Line int // the line it starts on, from 1
	Text []byte
	// TooLarge is set when the document was over the splitter's limit;
	// Text is then nil.
	TooLarge bool
	max      int
}

// Next returns the next document; io.EOF after the last, or the
// reader's error (the document it cut short is dropped).
func (s *Splitter) Next() (Document, error) {
	for s.err == nil {
		frag, err := s.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			s.err = err
		}
		if len(frag) == 0 {
			continue
		}
		// A fragment at the start of a line holds the whole line or at
		// least the buffer's 64 KiB: enough to see "---".
		split := s.atStart && s.size > 0 && isDocStart(frag)
		var d Document
		if split {
			d = s.cur
			s.cur, s.size = Document{File: s.name, Line: s.line, max: s.max}, 0
		}
		s.add(frag)
		if split {
			return d, nil
		}
	}
	if s.err == io.EOF && s.size > 0 {
		d := s.cur
		s.cur, s.size = Document{}, 0
		return d, nil
	}
	return Document{}, s.err
}

// add appends a fragment of a line to the current document, or only
// counts it once the document is over the limit.
func (s *Splitter) add(frag []byte) {
	s.size += len(frag)
	switch {
	case s.cur.TooLarge:
	case s.max > 0 && s.size > s.max:
		s.cur.TooLarge, s.cur.Text = true, nil
	default:
		s.cur.Text = append(s.cur.Text, frag...)
	}
	s.atStart = frag[len(frag)-1] == '\n'
	if s.atStart {
		s.line++
	}
}

func isDocStart(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	return len(line) == 3 || bytes.IndexByte([]byte(" \t\r\n"), line[3]) >= 0
}

// Read decodes the containers of d's documents, numbering them from
// first (0-based), and returns how many documents it held and an *Error
// for each one it could not read.
func (d Document) Read(first int) (cs []Container, docs int, errs []error) {
	if d.TooLarge {
		return nil, 1, []error{&Error{File: d.File, Line: d.Line, Doc: first + 1,
			Msg: fmt.Sprintf("document larger than %s, the most read of one document", bytesize.Format(d.max))}}
	}
	r := reader{file: d.File}
	c := chunk{d.Text, d.Line}
	dec := yaml.NewDecoder(bytes.NewReader(c.text))
	doc := first
	for {
		var root yaml.Node
		err := safeDecode(dec, &root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			r.errs = append(r.errs, syntaxError(d.File, doc, c, err))
			doc++
			break // the parser cannot resync inside a chunk
		}
		perr := k8syaml.Prepare(&root, c.text)
		shiftLines(&root, c.line-1)
		var ne *k8syaml.NodeError
		if errors.As(perr, &ne) {
			r.errs = append(r.errs, r.errAt(ne.Node, doc, "", "", ne.Msg))
		} else if len(root.Content) > 0 {
			r.budget = 10*len(c.text) + 10000
			r.object(root.Content[0], doc, "", 0)
		}
		doc++
	}
	return r.out, doc - first, r.errs
}

// chunk is the text of one or more YAML documents and the line it starts
// on in the file.
type chunk struct {
	text []byte
	line int
}

// shiftLines makes a chunk's node lines count from the top of the file.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`) })

// syntaxError places a yaml.v3 parse error in the file. The parser gives a
// line but no column.
func syntaxError(file string, doc int, c chunk, err error) *Error {
	msg, line := err.Error(), c.line
	if m := yamlLineRE().FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		line, msg = c.line+n-1, m[2]
		// Tabs are the usual culprit when a manifest is pasted from a web
		// page, and the parser's message does not say so.
		lines := bytes.Split(c.text, []byte("\n"))
		if n >= 1 && n <= len(lines) {
			indent := lines[n-1][:len(lines[n-1])-len(bytes.TrimLeft(lines[n-1], " \t"))]
			if bytes.IndexByte(indent, '\t') >= 0 {
				msg += " (this line is indented with a tab; YAML indents with spaces only)"
			}
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &Error{File: file, Line: line, Doc: doc + 1, Msg: "invalid YAML: " + msg}
}
