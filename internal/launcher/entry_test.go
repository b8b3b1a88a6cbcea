package launcher

import (
	"os"
	"path/filepath"
	"testing"
)

// A launch is started in the rampart-run beside rampart only where no
// other user could have put or changed it there.
func TestProgram(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "rampart")
	run := filepath.Join(dir, "rampart-run")
	write := func(p string, mode os.FileMode) {
		t.Helper()
		os.Remove(p)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write(self, 0o755)
	if got := Program(self); got != self {
		t.Errorf("no rampart-run: %s", got)
	}
	write(run, 0o755)
	if got := Program(self); got != run {
		t.Errorf("rampart-run beside rampart: %s", got)
	}
	write(run, 0o644)
	if got := Program(self); got != self {
		t.Errorf("rampart-run not executable: %s", got)
	}
	write(run, 0o777)
	if got := Program(self); got != self {
		t.Errorf("rampart-run writable by others: %s", got)
	}
	if os.Getuid() == 0 {
		write(run, 0o755)
		if err := os.Chown(run, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if got := Program(self); got != self {
			t.Errorf("rampart-run of another user: %s", got)
		}
	}
	if os.Getuid() == 0 {
		// another user's link to a program of root's
		os.Remove(run)
		if err := os.Symlink("/bin/sh", run); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(run, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if got := Program(self); got != self {
			t.Errorf("another user's link to /bin/sh: %s", got)
		}
		// a directory anyone can write without the sticky bit
		write(run, 0o755)
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if got := Program(self); got != self {
			t.Errorf("in a directory anyone can write: %s", got)
		}
		if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
			t.Fatal(err)
		}
		if got := Program(self); got != run {
			t.Errorf("root's rampart-run in a sticky directory: %s", got)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(run)
	if err := os.Link(self, run); err != nil {
		t.Fatal(err)
	}
	if got := Program(self); got != self {
		t.Errorf("rampart-run that is rampart: %s", got)
	}
}
