//go:build linux

package landlock

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// OSFS.Resolve names what an open would reach: dangling links are
// followed to where the file would be created, and what cannot be known
// at launch is refused.
func TestOSFSResolve(t *testing.T) {
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(p string) { os.MkdirAll(filepath.Join(d, p), 0o755) }
	ln := func(target, p string) {
		if err := os.Symlink(target, filepath.Join(d, p)); err != nil {
			t.Fatal(err)
		}
	}
	mk("real/sub")
	os.WriteFile(filepath.Join(d, "file"), nil, 0o644)
	ln(filepath.Join(d, "other/secret"), "dangling-abs")
	ln("other/secret", "dangling-rel")
	ln("real", "dirlink")
	ln("dirlink/sub/../sub", "chain")
	ln(filepath.Join(d, "real/sub"), "deep")
	ln("loop-b", "loop-a")
	ln("loop-a", "loop-b")
	for _, c := range []struct{ in, want, err string }{
		{"dangling-abs", "other/secret", ""},
		{"dangling-rel", "other/secret", ""},
		{"dirlink/sub/x", "real/sub/x", ""},
		{"chain/y", "real/sub/y", ""},
		{"real/sub/../missing/z", "real/missing/z", ""},
		// ".." after a link is the parent of its target, not a lexical step
		{"deep/../t", "real/t", ""},
		{"loop-a", "", "too many levels of symbolic links"},
		{"file/x", "", "is not a directory"},
		{"missing/../x", "", `".." beneath`},
	} {
		got, err := OSFS{}.Resolve(d + "/" + c.in)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: got %q, %v; want an error with %q", c.in, got, err, c.err)
			}
		case err != nil || got != filepath.Join(d, c.want):
			t.Errorf("%s: got %q, %v; want %s", c.in, got, err, filepath.Join(d, c.want))
		}
	}
	if _, err := (OSFS{}).Resolve("/proc/self/fd/0"); err == nil || !strings.Contains(err.Error(), "/proc link") {
		t.Errorf("/proc/self/fd/0: %v, want a refusal of the magic link", err)
	}
	if got, err := (OSFS{}).Resolve("/proc/self/status"); err != nil || !strings.HasSuffix(got, "/status") || strings.Contains(got, "self") {
		t.Errorf("/proc/self/status: %q, %v", got, err)
	}
}
