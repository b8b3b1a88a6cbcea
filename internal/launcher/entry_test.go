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
	os.Remove(run)
	if err := os.Link(self, run); err != nil {
		t.Fatal(err)
	}
	if got := Program(self); got != self {
		t.Errorf("rampart-run that is rampart: %s", got)
	}
}
