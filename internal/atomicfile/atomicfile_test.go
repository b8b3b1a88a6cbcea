//go:build linux

package atomicfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/internal/tmpfstest"
)

// TestFullDisk: on a full filesystem the old content stays whole and no
// temporary file is left (os.WriteFile truncates first, and leaves the
// file cut at the last page that fitted).
func TestFullDisk(t *testing.T) {
	dir := tmpfstest.Mount(t, 64<<10)
	p := filepath.Join(dir, "pod.yaml")
	old := bytes.Repeat([]byte("a: b\n"), 790) // 3,950 bytes: one page
	if err := os.WriteFile(p, old, 0o644); err != nil {
		t.Fatal(err)
	}
	tmpfstest.Fill(t, dir)
	err := WriteFile(p, bytes.Repeat([]byte("a: c\n"), 1000), 0o644)
	if !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("WriteFile on a full disk: %v, want ENOSPC", err)
	}
	if !strings.HasPrefix(err.Error(), p+": ") {
		t.Errorf("error %q does not name %s", err, p)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, old) {
		t.Errorf("the old content was changed: %d bytes, ending %q", len(got), got[max(0, len(got)-20):])
	}
	if es := tmpfstest.Entries(t, dir); len(es) != 2 {
		t.Errorf("left in the directory: %v, want filler and pod.yaml", es)
	}
}

// TestKeepsModeAndOwner: the replaced file keeps the old one's mode
// (set-id bits too) and owner, not the new-file defaults.
func TestKeepsModeAndOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("giving a file another owner needs root")
	}
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 1234, 5678); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640|fs.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if sys.Uid != 1234 || sys.Gid != 5678 || st.Mode() != 0o640|fs.ModeSetgid {
		t.Errorf("after WriteFile: %d:%d %v, want 1234:5678 %v", sys.Uid, sys.Gid, st.Mode(), 0o640|fs.ModeSetgid)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q", b)
	}
}

// TestNewFileUmask: a new file gets perm less the umask, as os.WriteFile
// gives it.
func TestNewFileUmask(t *testing.T) {
	dir := t.TempDir()
	old := unix.Umask(0o027)
	defer unix.Umask(old)
	if err := WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode())
	}
}

// TestSymlinkReplaced: a link where rampart writes is replaced, not
// followed, so it cannot send the write elsewhere.
func TestSymlinkReplaced(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "out.yaml")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the link's target was written: %q", b)
	}
	if st, err := os.Lstat(link); err != nil || !st.Mode().IsRegular() {
		t.Errorf("%s is not a regular file: %v %v", link, st, err)
	}
}

// TestNotRegular: a FIFO is refused, and left as it is.
func TestNotRegular(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("WriteFile on a FIFO: %v", err)
	}
	if st, err := os.Lstat(p); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", st, err)
	}
}

// TestAbort: an aborted file leaves the old content and no temporary
// file.
func TestAbort(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte("half")); err != nil {
		t.Fatal(err)
	}
	a.Abort()
	if err := a.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("content %q", b)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("left: %v", es)
	}
}

// A file bind-mounted over the path cannot be renamed over: the error
// names the path and says why, and leaves nothing behind.
func TestCommitOverMountPoint(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("bind mounts need root")
	}
	dir := t.TempDir()
	path, src := filepath.Join(dir, "x.yaml"), filepath.Join(dir, "src.yaml")
	os.WriteFile(path, []byte("old\n"), 0o644)
	os.WriteFile(src, []byte("mounted\n"), 0o644)
	if out, err := exec.Command("mount", "--bind", src, path).CombinedOutput(); err != nil {
		t.Skipf("mount --bind: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", path).Run() })
	err := WriteFile(path, []byte("new\n"), 0o644)
	if err == nil || !strings.Contains(err.Error(), path+": it is a mount point") || strings.Contains(err.Error(), ".tmp-") {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "mounted\n" {
		t.Errorf("the mounted file now holds %q", b)
	}
}

// MkdirAll syncs what it makes, and refuses nothing os.MkdirAll allows.
func TestMkdirAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "c")
	if err := MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("%s: %v", dir, err)
	}
	if err := MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("again: %v", err)
	}
}
