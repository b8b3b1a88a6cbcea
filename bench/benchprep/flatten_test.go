//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlatten(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	write := func(name, s string) {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec: {containers: [{name: c}]}\n---\n: bad: [\n--- # next\nkind: Pod\nmetadata:\n  name: p\n")
	write("b/list.yml", "kind: List\nitems:\n- kind: Pod\n  metadata: {name: p}\n")
	write("c/none.yaml", "# nothing\n")
	var out strings.Builder
	if err := flatten(src, dst, &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "f000.yaml\ta/pod.yaml\nf001.yaml\tb/list.yml\n"; got != want {
		t.Fatalf("map %q, want %q", got, want)
	}
	b, _ := os.ReadFile(filepath.Join(dst, "f000.yaml"))
	s := string(b)
	// the unparsable document is left out; the repeated Pod p gets its own
	// namespace; the pod spec is untouched
	if strings.Contains(s, "bad") || !strings.Contains(s, "metadata: {name: p, namespace: f000}") ||
		!strings.Contains(s, "namespace: f000-d3") || !strings.Contains(s, "containers: [{name: c}]") {
		t.Fatalf("f000.yaml:\n%s", s)
	}
	b, _ = os.ReadFile(filepath.Join(dst, "f001.yaml"))
	if !strings.Contains(string(b), "namespace: f001") {
		t.Fatalf("f001.yaml:\n%s", b)
	}
	var js strings.Builder
	if err := objectsJSON(dst, &js); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(js.String(), "\n"); n != 3 || !strings.Contains(js.String(), `"file":"f001.yaml","object":{"kind":"Pod","metadata":{"name":"p","namespace":"f001"}}`) {
		t.Fatalf("objects:\n%s", js.String())
	}
}

// The flattened corpus is read by the tools benchmarked as the original
// was: a value written with the non-specific tag ("! on", the string "on")
// keeps it, where yaml.v3's writer wrote on, which YAML 1.1 reads as true.
func TestFlattenKeepsTags(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "p.yaml"), []byte("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, args: [! on, ! 0x1F]}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := flatten(src, dst, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dst, "f000.yaml"))
	if !strings.Contains(string(b), "args: [! on, ! 0x1F]") {
		t.Fatalf("f000.yaml:\n%s", b)
	}
}
