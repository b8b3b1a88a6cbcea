package k8syaml

import (
	"encoding/binary"
	"fmt"
	"testing"
	"unicode/utf16"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/internal/k8syaml/k8syamltest"
)

// TestPrepareFindsTheTag: the non-specific tag is found wherever the
// parser puts its value, as the API server's reader reads it: after
// characters of several bytes on the line, after \r\n, a lone \r or a
// byte order mark, after an anchor or a comment, in flow collections, in
// UTF-16 text; and a value without it is left alone, an empty one implied
// at the end of the text included.
func TestPrepareFindsTheTag(t *testing.T) {
	docs := []string{
		"v: ! true\n",
		"v: true\n",
		"é: ü\nv: ! yes\n",
		"{ü: é, v: ! 0x1F}\n",
		"a: [ä, ö]\r\nv: ! on\r\n",
		"a: 1\rv: ! off\r",
		"\ufeffv: ! ~\n",
		"v: &a ! 12\n",
		"v: ! &a 12\n",
		"v: &a # c\n  ! null\n",
		"v: !\n  true\n",
		"l: [! 1, 2]\nv: ! 1e3\n",
		"v: \"! true\"\n",
		"v: '!'\n",
		"v: !!str 1\n",
		"v: !<!> y\n",
		"k: &k yes\nv: *k\n",
		"v: !\n",
		"v:",
	}
	for _, d := range docs {
		check(t, fmt.Sprintf("%q", d), []byte(d))
	}
	// A document that is only a separator: its null is placed past the
	// end of the text.
	var root yaml.Node
	if err := yaml.Unmarshal([]byte("---"), &root); err != nil {
		t.Fatal(err)
	}
	if err := Prepare(&root, []byte("---")); err != nil {
		t.Errorf("an empty document: %v", err)
	}
	// UTF-16, both byte orders, as the parser decodes it.
	for _, be := range []bool{true, false} {
		u := utf16.Encode([]rune("ä: ö\nv: ! true\n"))
		b := []byte{0xff, 0xfe}
		var order binary.AppendByteOrder = binary.LittleEndian
		if be {
			b, order = []byte{0xfe, 0xff}, binary.BigEndian
		}
		for _, c := range u {
			b = order.AppendUint16(b, c)
		}
		check(t, fmt.Sprintf("UTF-16 (big-endian %v)", be), b)
	}
}

func check(t *testing.T, name string, text []byte) {
	t.Helper()
	want, err := k8syamltest.JSON(text)
	if err != nil {
		t.Fatalf("%s: the API server's reading: %v", name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(text, &root); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := Prepare(&root, text); err != nil {
		t.Fatalf("%s: Prepare: %v", name, err)
	}
	got, err := resolveScalar(Lookup(root.Content[0], "v"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", normal(want["v"])) {
		t.Errorf("%s: v read as %#v, the API server reads %#v", name, got, want["v"])
	}
}

// normal makes the oracle's numbers Scalar's: integers are int64.
func normal(v any) any {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return int64(f)
	}
	return v
}
