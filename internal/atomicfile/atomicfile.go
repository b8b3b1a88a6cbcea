// Package atomicfile replaces a user's file so that whoever reads it next
// — a person, kubectl, the kubelet, rampart itself after a crash or a
// full disk — finds the old content or the new one, never a cut one.
//
// The new content goes to a temporary file in the same directory (so the
// rename stays on one filesystem), which is synced and then renamed over
// the path; the directory is synced so the rename survives a crash. An
// existing file's permission bits and owner are carried over. On any
// failure before the rename the path is untouched and the temporary file
// is removed.
//
// The path itself is replaced: a symbolic link there is replaced by the
// file, not followed (a link planted where rampart writes cannot redirect
// the write), and other hard links to an existing file keep the old
// content. Extended attributes and ACLs are not carried over.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// File is the new content of a path, written to a temporary file beside
// it until Commit puts it in place.
type File struct {
	f    *os.File
	path string
	done bool
}

// Create starts replacing path (created when missing). A new file gets
// perm less the umask; an existing one keeps its mode and owner. path must
// be absent, a regular file or a symbolic link.
func Create(path string, perm fs.FileMode) (*File, error) {
	mode, uid, gid, exists, err := existing(path)
	if err != nil {
		return nil, err
	}
	createPerm := perm
	if exists {
		// Private until the owner and mode are the old file's: nobody
		// reads the new content under wider rights than the old had.
		createPerm = 0o600
	}
	f, err := createTemp(path, createPerm)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: cannot create a temporary file beside it: %w", path, err)
	}
	a := &File{f: f, path: path}
	if exists {
		if err := a.keep(mode, uid, gid); err != nil {
			a.Abort()
			return nil, err
		}
	}
	return a, nil
}

// existing describes what is at path now.
func existing(path string) (mode fs.FileMode, uid, gid int, exists bool, err error) {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, 0, false, err
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		return 0, 0, 0, false, nil // replaced, as a new file
	case !st.Mode().IsRegular():
		// A device, FIFO or socket cannot be replaced by a file without
		// changing what the path is.
		return 0, 0, 0, false, fmt.Errorf("%s: not a regular file", path)
	}
	u, g := owner(st)
	return st.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky), u, g, true, nil
}

// createTemp makes a new file beside path, with O_EXCL so that nothing
// already there (a link planted under a guessed name) is opened.
func createTemp(path string, perm fs.FileMode) (*os.File, error) {
	dir, base := filepath.Split(path)
	for range 100 {
		var r [6]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, err
		}
		tmp := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(r[:]))
		f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("%s: no free temporary name", path)
}

// keep gives the temporary file the mode and owner of the file it
// replaces. The owner goes first: chown clears the set-id bits.
func (a *File) keep(mode fs.FileMode, uid, gid int) error {
	st, err := a.f.Stat()
	if err != nil {
		return err
	}
	if u, g := owner(st); u != uid || g != gid {
		if err := a.f.Chown(uid, gid); err != nil {
			return fmt.Errorf("%s: cannot keep its owner %d:%d: %w", a.path, uid, gid, err)
		}
	}
	return a.f.Chmod(mode)
}

// Write appends to the new content.
func (a *File) Write(p []byte) (int, error) {
	n, err := a.f.Write(p)
	return n, a.named(err)
}

// named words an error on the temporary file as one on the path: the
// temporary name means nothing to the user and is gone after Abort.
func (a *File) named(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &le) && errors.Is(le.Err, syscall.EBUSY):
		return fmt.Errorf("%s: it is a mount point (a file bind-mounted there), which cannot be replaced: write the result elsewhere and copy it: %w", a.path, le.Err)
	case errors.As(err, &le):
		return fmt.Errorf("%s: put in place: %w", a.path, le.Err)
	case errors.As(err, &pe):
		return fmt.Errorf("%s: %s: %w", a.path, pe.Op, pe.Err)
	}
	return err
}

// Commit puts the new content in place: sync, rename over the path, sync
// the directory. On error before the rename the path is untouched and the
// temporary file removed.
func (a *File) Commit() error {
	if err := a.commit(); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(a.path)); err != nil {
		return fmt.Errorf("%s written, but its directory could not be synced: %w", a.path, err)
	}
	return nil
}

// commit syncs the file and renames it over the path.
func (a *File) commit() error {
	if a.done {
		return fmt.Errorf("%s: already committed or aborted", a.path)
	}
	tmp := a.f.Name()
	err := a.f.Sync()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, a.path)
	}
	a.done = true
	if err != nil {
		os.Remove(tmp)
		return a.named(err)
	}
	return nil
}

// Abort discards the new content; after Commit it does nothing, so it can
// be deferred.
func (a *File) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	os.Remove(a.f.Name())
}

// MkdirAll makes dir and any missing parents, as os.MkdirAll does, and
// syncs the parent of each directory it makes: a file committed inside
// then survives a crash together with the directory that names it.
func MkdirAll(dir string, perm fs.FileMode) error {
	var made []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		made = append(made, d)
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	for _, d := range made {
		if err := syncDir(filepath.Dir(d)); err != nil {
			return fmt.Errorf("%s made, but its directory could not be synced: %w", d, err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteFile replaces path's content with data (see Create).
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	a, err := write(path, data, perm)
	if err != nil {
		return err
	}
	return a.Commit()
}

func write(path string, data []byte, perm fs.FileMode) (*File, error) {
	a, err := Create(path, perm)
	if err != nil {
		return nil, err
	}
	if _, err := a.Write(data); err != nil {
		a.Abort()
		return nil, err
	}
	return a, nil
}

// Batch writes many files, each whole or not at all as WriteFile writes
// it, but syncs each directory once, in Sync, rather than once per file:
// a directory sync costs as much as a file's. Until Sync returns, a crash
// may lose a file's rename (the old content stays), never cut it.
type Batch struct{ dirs map[string]bool }

// WriteFile replaces path's content with data, leaving its directory's
// sync to Sync.
func (b *Batch) WriteFile(path string, data []byte, perm fs.FileMode) error {
	a, err := write(path, data, perm)
	if err != nil {
		return err
	}
	if err := a.commit(); err != nil {
		return err
	}
	if b.dirs == nil {
		b.dirs = map[string]bool{}
	}
	b.dirs[filepath.Dir(path)] = true
	return nil
}

// Sync syncs the directories of the files written since the last Sync.
func (b *Batch) Sync() error {
	for d := range b.dirs {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		delete(b.dirs, d)
	}
	return nil
}
