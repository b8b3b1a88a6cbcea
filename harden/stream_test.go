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

// TestTextAfterDocumentEnd: text after "..." with no separator is
// refused; it used to vanish from the hardened file (kyaml reads one
// document between separators), taking a privileged Pod with it.
func TestTextAfterDocumentEnd(t *testing.T) {
	in := "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n...\n" +
		"apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n"
	res, err := Manifest("in.yaml", []byte(in), Options{})
	if err == nil || !strings.Contains(err.Error(), "in.yaml: line 5: text after the end of a document (...)") {
		var out []byte
		if res != nil {
			out = res.Data
		}
		t.Errorf("err = %v, output:\n%s", err, out)
	}
	// An end marker followed by nothing, or by a separator, is fine.
	for _, ok := range []string{"a: 1\n...\n", "a: 1\n...\n# done\n", "a: 1\n...\n---\nb: 2\n"} {
		if _, err := Manifest("ok.yaml", []byte(ok), Options{}); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// TestSeccompProfileConflict: two workloads whose generated seccomp
// profiles land on one path with different rules are refused; the second
// used to replace the first's profile, so one workload ran under rules
// narrowed for the other's capabilities.
func TestSeccompProfileConflict(t *testing.T) {
	in := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - {name: app, image: x}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - {name: app, image: x, securityContext: {capabilities: {add: [SYS_PTRACE]}}}
`
	res, err := Manifest("in.yaml", []byte(in), Options{SeccompLocalhost: true, NoAppArmor: true})
	if err == nil || !strings.Contains(err.Error(), "seccomp profile rampart/rampart-web-app.json: generated twice with different rules") {
		t.Errorf("err = %v", err)
		if res != nil {
			t.Logf("%d seccomp profiles", len(res.Seccomp))
		}
	}
	// The same rules twice are one profile.
	same := strings.Replace(in, ", securityContext: {capabilities: {add: [SYS_PTRACE]}}", "", 1)
	if res, err := Manifest("in.yaml", []byte(same), Options{SeccompLocalhost: true, NoAppArmor: true}); err != nil || len(res.Seccomp) != 1 {
		t.Errorf("same rules twice: %v", err)
	}
}

// TestOtherLineBreaks: the YAML parser also breaks lines at a lone "\r",
// NEL, U+2028 and U+2029, and decodes UTF-16, where the splitter sees
// one document; harden wrote the first and dropped the rest, a
// privileged Pod with it. Now refused; CRLF stays fine.
func TestOtherLineBreaks(t *testing.T) {
	one := "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n"
	two := "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n"
	for name, in := range map[string]string{
		"CR":     strings.ReplaceAll(one+"---\n"+two, "\n", "\r"),
		"NEL":    one + "\u0085---\n" + two,
		"U+2028": one + "\u2028---\n" + two,
		"U+2029": one + "\u2029---\n" + two,
	} {
		res, err := Manifest("in.yaml", []byte(in), Options{})
		if err == nil || !strings.Contains(err.Error(), "holds more than one YAML document") {
			var out []byte
			if res != nil {
				out = res.Data
			}
			t.Errorf("%s: err = %v, output:\n%s", name, err, out)
		}
	}
	if _, err := Manifest("crlf.yaml", []byte(strings.ReplaceAll(one+"---\n"+two, "\n", "\r\n")), Options{}); err != nil {
		t.Errorf("CRLF: %v", err)
	}
}

// TestListsNestedTooDeep: Lists nested past the limit are refused, not
// left unhardened without a word.
func TestListsNestedTooDeep(t *testing.T) {
	n := "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: x}]}}"
	for range 9 {
		n = "{apiVersion: v1, kind: List, items: [" + n + "]}"
	}
	if _, err := Manifest("deep.yaml", []byte(n+"\n"), Options{}); err == nil || !strings.Contains(err.Error(), "Lists nested too deep") {
		t.Errorf("err = %v", err)
	}
}

// TestProfilePathsStayLocal: a profile's path is built from the
// manifest's namespace; one that climbs out ("../../tmp/x") would have
// written the profile outside the profiles directory.
func TestProfilePathsStayLocal(t *testing.T) {
	in := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: ../../../tmp/escaped}\nspec:\n  template:\n    spec:\n      containers: [{name: app, image: x}]\n"
	var written []string
	_, err := Stream("in.yaml", strings.NewReader(in), &bytes.Buffer{}, Options{SeccompLocalhost: true, SPO: true}, Sink{
		Seccomp: func(p SeccompProfile) error { written = append(written, p.Path); return nil },
	})
	if err == nil || !strings.Contains(err.Error(), "must be a lower-case DNS name") || len(written) > 0 {
		t.Errorf("err = %v, written %v", err, written)
	}
}
