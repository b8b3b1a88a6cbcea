package sarif

import (
	"net/url"
	"path/filepath"
	"testing"
)

// A file inside the base is a relative reference that resolves back to
// it (reserved characters escaped, no colon read as a scheme, a name
// that starts with ".." still inside); outside, an absolute file URI.
func TestBaseArtifact(t *testing.T) {
	b := NewBase("repo", "/work")
	if got := b.URIBaseIDs()[SrcRoot].URI; got != "file:///work/repo/" {
		t.Fatalf("base %q", got)
	}
	for _, c := range []struct{ path, uri, base string }{
		{"/work/repo/k8s/deploy.yaml", "k8s/deploy.yaml", SrcRoot},
		{"repo/k8s/a b#c%.yaml", "k8s/a%20b%23c%25.yaml", SrcRoot},
		{"/work/repo/a:b/c.yaml", "./a:b/c.yaml", SrcRoot},
		{"/work/repo/..hidden.yaml", "..hidden.yaml", SrcRoot},
		{"/work/other/x.yaml", "file:///work/other/x.yaml", ""},
		{"/work/repo/../repo2/x y.yaml", "file:///work/repo2/x%20y.yaml", ""},
		{"<stdin>", Stdin, SrcRoot},
		{"-", Stdin, SrcRoot},
	} {
		a := b.Artifact(c.path, "/work")
		if a.URI != c.uri || a.URIBaseID != c.base {
			t.Errorf("%q: %+v, want %q under %q", c.path, a, c.uri, c.base)
			continue
		}
		u, err := url.Parse(a.URI)
		if err != nil {
			t.Errorf("%q: %v", a.URI, err)
			continue
		}
		if a.URIBaseID != "" {
			base, _ := url.Parse(b.URIBaseIDs()[SrcRoot].URI)
			u = base.ResolveReference(u)
		}
		want := c.path
		if !filepath.IsAbs(want) {
			want = filepath.Join("/work", want)
		}
		if c.uri != Stdin && u.Path != filepath.Clean(want) {
			t.Errorf("%q resolves to %q", c.path, u.Path)
		}
	}
}
