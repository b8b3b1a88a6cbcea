package kube

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// pieces splits s and returns each document as LINE:TEXT, a too large
// one as LINE:TOO LARGE, and the error that ended the stream.
func pieces(s *Splitter) ([]string, error) {
	var out []string
	for {
		d, err := s.Next()
		if err != nil {
			return out, err
		}
		text := string(d.Text)
		if d.TooLarge {
			text = "TOO LARGE"
		}
		out = append(out, fmt.Sprintf("%d:%s", d.Line, text))
	}
}

// TestSplitter: documents are cut before each line that starts one, as
// kubectl cuts them, and numbered by the line they start on.
func TestSplitter(t *testing.T) {
	got, err := pieces(NewSplitter("f", strings.NewReader("--- # first\na: 1\n---\nb: 2\n--- # c\nc: 3\n---x\n---\td\n---"), 0))
	want := []string{"1:--- # first\na: 1\n", "3:---\nb: 2\n", "5:--- # c\nc: 3\n---x\n", "8:---\td\n", "9:---"}
	if err != io.EOF || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, %v\nwant %q", got, err, want)
	}
	if got, err := pieces(NewSplitter("f", strings.NewReader(""), 0)); len(got) != 0 || err != io.EOF {
		t.Errorf("empty input: %q, %v", got, err)
	}
}

// TestSplitterLimit: a document over the limit is not kept — even one
// long line, longer than the read buffer — and is reported with its file,
// number and line; the documents after it are read.
func TestSplitterLimit(t *testing.T) {
	long := "image: " + strings.Repeat("x", 200<<10) + "\n"
	in := "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n" +
		"---\nkind: Pod\n" + long +
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, image: x}]}\n"
	s := NewSplitter("in.yaml", strings.NewReader(in), 64<<10)
	got, err := pieces(s)
	if err != io.EOF || len(got) != 3 || got[1] != "5:TOO LARGE" || !strings.HasPrefix(got[2], "8:---\n") {
		t.Fatalf("got %.80q, %v", got, err)
	}
	cs, n, errs := Document{File: "in.yaml", Line: 5, TooLarge: true, max: 64 << 10}.Read(1)
	want := "in.yaml:5: document 2: document larger than 64KiB, the most read of one document"
	if len(cs) != 0 || n != 1 || len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("Read: %d containers, %d documents, %v; want %q", len(cs), n, errs, want)
	}
}

// failing reads its text, then fails.
type failing struct{ r io.Reader }

func (f *failing) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("the disk went away")
	}
	return n, err
}

// TestSplitterReadError: the documents before a read error are returned,
// the one it cut short is not (it would decode as something else), and
// the error is.
func TestSplitterReadError(t *testing.T) {
	got, err := pieces(NewSplitter("f", &failing{strings.NewReader("a: 1\n---\nb: [1,\n")}, 0))
	if len(got) != 1 || got[0] != "1:a: 1\n" || err == nil || err.Error() != "the disk went away" {
		t.Errorf("got %q, %v", got, err)
	}
}
