package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/systemd"
)

// Stream audits files and directories as Files does, a document at a
// time: each workload goes to emit as soon as it is audited, in input
// order, and nothing of it is kept but the counts of the summary and what
// Failed needs. An endless stream of Pods on standard input is audited in
// bounded memory. A document over maxDoc bytes (0: no limit) is not read;
// it becomes an error naming its file, number and line. The report
// returned has no workloads; emit's first error stops the audit and is
// returned.
func (a *Auditor) Stream(args []string, maxDoc int, emit func(*Workload) error) (*Report, error) {
	r := a.newReport()
	var srcs []source
	for _, arg := range args {
		if isDockerRun(arg) {
			// a command line, not a file
			srcs = append(srcs, dataSource(fmt.Sprintf("%s%d", dockerRunSource, len(srcs)+1), []byte(arg)))
			continue
		}
		for _, f := range expand(arg, r) {
			srcs = append(srcs, fileSource(f))
		}
	}
	err := a.stream(r, srcs, maxDoc, emit)
	a.finish(r)
	return r, err
}

// source is one file to read: name is what errors outside a document
// name it by, open gives its contents, named for kube.
type source struct {
	name string
	open func() (io.ReadCloser, string, error)
}

func fileSource(f string) source {
	return source{name: f, open: func() (io.ReadCloser, string, error) {
		if f == "-" {
			return io.NopCloser(os.Stdin), "<stdin>", nil
		}
		rc, err := os.Open(f)
		return rc, f, err
	}}
}

func dataSource(name string, data []byte) source {
	return source{name: name, open: func() (io.ReadCloser, string, error) {
		return io.NopCloser(bytes.NewReader(data)), name, nil
	}}
}

// piece is one step of the audit in input order: the start of a file,
// a file that could not be read, or a document, decoded by a worker.
type piece struct {
	file  string
	start bool
	err   error
	doc   kube.Document
	done  chan struct{}
	cs    []kube.Container
	docs  int
	errs  []error
}

// stream runs the pipeline: one goroutine splits the files into
// documents, every CPU decodes them (YAML is most of an audit's time),
// and the caller's goroutine audits them in input order, so the report
// does not depend on timing. At most a few documents per CPU are in
// flight, whatever the input's size.
func (a *Auditor) stream(r *Report, srcs []source, maxDoc int, emit func(*Workload) error) error {
	cpus := runtime.GOMAXPROCS(0)
	order := make(chan *piece, 2*cpus)
	work := make(chan *piece)
	stop := make(chan struct{})
	defer close(stop)
	send := func(ch chan *piece, p *piece) bool {
		select {
		case ch <- p:
			return true
		case <-stop:
			return false
		}
	}
	for range cpus {
		go func() {
			for p := range work {
				p.cs, p.docs, p.errs = readDocument(p.doc)
				p.doc.Text = nil
				close(p.done)
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(work)
		for _, src := range srcs {
			if !send(order, &piece{file: src.name, start: true}) || !a.split(src, maxDoc, func(p *piece) bool {
				if !send(order, p) {
					return false
				}
				return p.done == nil || send(work, p)
			}) {
				return
			}
		}
	}()
	var (
		file string
		base int // documents before the piece in its file
	)
	for p := range order {
		switch {
		case p.start:
			file, base = p.file, 0
			r.Summary.Files++
		case p.err != nil:
			r.Errors = append(r.Errors, docErrors(file, p.err)...)
		default:
			<-p.done
			// Workers number a piece's documents from 0; its place in
			// the file is known only here.
			for i := range p.cs {
				p.cs[i].Doc += base
			}
			for _, e := range p.errs {
				var ke *kube.Error
				if errors.As(e, &ke) {
					ke.Doc += base
				}
			}
			base += p.docs
			if err := a.add(r, file, p.cs, errors.Join(p.errs...), emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// split opens src and hands each of its documents to put, or the error
// that ended it; it returns false when put does.
func (a *Auditor) split(src source, maxDoc int, put func(*piece) bool) bool {
	rc, name, err := src.open()
	if err != nil {
		return put(&piece{err: err})
	}
	defer rc.Close()
	if systemd.IsUnit(name) || systemd.IsQuadlet(name) || strings.HasPrefix(name, dockerRunSource) {
		// a unit (or a command line) is one document, whatever its
		// lines look like
		b, err := io.ReadAll(io.LimitReader(rc, int64(maxDoc)+1))
		if err != nil {
			return put(&piece{err: err})
		}
		d := kube.Document{File: name, Line: 1, Text: b, TooLarge: len(b) > maxDoc}
		if d.TooLarge {
			d.Text = nil
		}
		return put(&piece{doc: d, done: make(chan struct{})})
	}
	s := kube.NewSplitter(name, rc, maxDoc)
	for {
		d, err := s.Next()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return put(&piece{err: err})
		}
		if !put(&piece{doc: d, done: make(chan struct{})}) {
			return false
		}
	}
}
