//go:build linux

package cachedir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Only the caller's own entries, writable by nobody else, are trusted:
// anything another user could have planted is refused, a symbolic link
// included.
func TestOnlyOwnEntriesTrusted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test hands files to another uid")
	}
	root := t.TempDir()
	t.Setenv("RAMPART_CACHE_DIR", root)
	dir, err := Dir("sub")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("%s: %v %v, want a 0700 directory", dir, st.Mode(), err)
	}
	file := filepath.Join(dir, "entry")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Open(file)
	if err != nil {
		t.Fatalf("own entry refused: %v", err)
	}
	f.Close()

	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, want string
		prepare          func()
	}{
		{"world-writable", file, "writable by others", func() { os.Chmod(file, 0o666) }},
		{"group-writable", file, "writable by others", func() { os.Chmod(file, 0o620) }},
		{"another owner", file, "belongs to uid 65534", func() { os.Chmod(file, 0o600); os.Chown(file, 65534, 65534) }},
		{"a symbolic link", link, "too many levels of symbolic links", func() { os.Chown(file, 0, 0) }},
		{"a directory", dir, "is not a plain file", func() {}},
	} {
		c.prepare()
		if f, err := Open(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			if f != nil {
				f.Close()
			}
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}

	// A directory another user could write to is refused, and so is one
	// of another owner.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Dir("sub"); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Errorf("0777 directory: %v", err)
	}
	os.Chmod(dir, 0o700)
	os.Chown(dir, 65534, 65534)
	if _, err := Dir("sub"); err == nil || !strings.Contains(err.Error(), "belongs to uid 65534") {
		t.Errorf("another's directory: %v", err)
	}
}

// Write replaces an entry another reader would refuse (writable by
// others) with one of the caller's that Open trusts, and leaves no
// temporary file behind.
func TestWriteReplaces(t *testing.T) {
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	dir, err := Dir("w")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "entry")
	if err := os.WriteFile(file, []byte("old"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o666); err != nil {
		t.Fatal(err)
	}
	if f, err := Open(file); err == nil {
		f.Close()
		t.Fatal("an entry writable by others was opened")
	}
	if err := Write(dir, file, []byte("new")); err != nil {
		t.Fatal(err)
	}
	f, err := Open(file)
	if err != nil {
		t.Fatalf("the entry written: %v", err)
	}
	defer f.Close()
	b := make([]byte, 8)
	n, _ := f.Read(b)
	if string(b[:n]) != "new" {
		t.Errorf("entry holds %q", b[:n])
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("directory holds %d entries, want the one", len(es))
	}
}
