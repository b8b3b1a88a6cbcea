package harden

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"sigs.k8s.io/kustomize/kyaml/kio"
)

// wholeFile hardens data the way harden did before it streamed: every
// document read at once by kyaml, hardened, and written back at once, or
// the input itself when nothing was edited. It is the reference Stream's
// output must equal byte for byte.
func wholeFile(t *testing.T, data []byte, o Options) []byte {
	t.Helper()
	h, err := newHardener(o, Sink{Collect: true})
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), PreserveSeqIndent: true, DisableUnwrapping: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	edited := false
	for _, n := range nodes {
		h.edited = false
		if err := h.object(n, 0); err != nil {
			t.Fatal(err)
		}
		edited = edited || h.edited
	}
	if !edited {
		return data
	}
	var b bytes.Buffer
	if err := (kio.ByteWriter{Writer: &b}).Write(nodes); err != nil {
		t.Fatal(err)
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); bytes.HasPrefix(t, []byte("---")) && !bytes.HasPrefix(b.Bytes(), []byte("---")) {
		return append([]byte("---\n"), b.Bytes()...)
	}
	return b.Bytes()
}

// TestStreamEqualsWholeFile: hardening a document at a time writes what
// hardening the whole file at once wrote — separators with comments,
// CRLF, leading and trailing separators, unedited documents before the
// first edit (held on disk until then), files with nothing to change —
// for the testdata (read a byte at a time, so no document arrives in one
// piece) and, when it is there, a sample of the shared corpus.
func TestStreamEqualsWholeFile(t *testing.T) {
	files, _ := filepath.Glob("testdata/stream/*.yaml")
	all, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "manifests", "*", "*.yaml"))
	step := 4 // as TestCorpus, a sample
	if testing.Short() {
		step = 25
	}
	var corpus []string
	for i := 0; i < len(all); i += step {
		corpus = append(corpus, all[i])
	}
	if len(files) < 10 {
		t.Fatalf("%d files in testdata/stream", len(files))
	}
	o := Options{AssumeNonRoot: true}
	for _, f := range append(files, corpus...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := wholeFile(t, data, o)
		var in io.Reader = bytes.NewReader(data)
		if strings.HasPrefix(f, "testdata") {
			in = iotest.OneByteReader(in)
		}
		var got bytes.Buffer
		if _, err := Stream(f, in, &got, o, Sink{}); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: streamed output differs from the whole file's:\n%s\nwant:\n%s", f, got.Bytes(), want)
		}
	}
	t.Logf("%d files, %d from the corpus", len(files)+len(corpus), len(corpus))
}

// TestStreamDocumentLimit: a document over the limit fails the file,
// naming the line it starts on, and nothing of the document is kept.
func TestStreamDocumentLimit(t *testing.T) {
	in := "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n---\nkind: ConfigMap\ndata:\n  big: " + strings.Repeat("x", 100<<10) + "\n"
	_, err := Stream("in.yaml", strings.NewReader(in), &bytes.Buffer{}, Options{}, Sink{MaxDocument: 64 << 10})
	if err == nil || !strings.Contains(err.Error(), "in.yaml: line 6: document larger than 64KiB") {
		t.Errorf("err = %v", err)
	}
}
