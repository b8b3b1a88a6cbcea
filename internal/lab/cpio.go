//go:build linux

package lab

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// image is an in-memory tree of the files an initramfs holds, written as
// a "newc" cpio archive (the format the kernel unpacks, the one
// `cpio -o -H newc` writes). Building it here rather than with cpio(1)
// from a staging directory lets the image hold root-owned files and a
// device node without root, and makes the archive deterministic (fixed
// owners, modes and mtimes, sorted entries).
type image struct {
	entries map[string]*entry
}

type entry struct {
	mode   uint32 // type and permission bits, as in struct stat
	data   []byte // regular file contents
	target string // symlink target
	rdev   [2]uint32
}

const (
	sIFMT  = 0o170000
	sIFDIR = 0o040000
	sIFREG = 0o100000
	sIFLNK = 0o120000
	sIFCHR = 0o020000
)

func newImage() *image { return &image{entries: map[string]*entry{}} }

// clean makes p a relative archive path ("usr/bin/sh") and refuses paths
// that leave the image.
func clean(p string) (string, error) {
	c := path.Clean("/" + p)
	if c == "/" {
		return "", fmt.Errorf("lab: image path %q names the root", p)
	}
	if strings.ContainsAny(c, "\x00\n") {
		return "", fmt.Errorf("lab: image path %q has a NUL or newline", p)
	}
	return c[1:], nil
}

// mkdirAll adds dir and its parents (0755) where they are missing.
func (im *image) mkdirAll(dir string) error {
	if dir == "." || dir == "" {
		return nil
	}
	if e, ok := im.entries[dir]; ok {
		if e.mode&sIFMT != sIFDIR {
			return fmt.Errorf("lab: image path /%s is not a directory", dir)
		}
		return nil
	}
	if err := im.mkdirAll(path.Dir(dir)); err != nil {
		return err
	}
	im.entries[dir] = &entry{mode: sIFDIR | 0o755}
	return nil
}

func (im *image) add(p string, e *entry) error {
	c, err := clean(p)
	if err != nil {
		return err
	}
	if err := im.mkdirAll(path.Dir(c)); err != nil {
		return err
	}
	if old, ok := im.entries[c]; ok && old.mode&sIFMT == sIFDIR && e.mode&sIFMT == sIFDIR {
		old.mode = e.mode
		return nil
	}
	im.entries[c] = e
	return nil
}

// unixPerm turns a FileMode into the permission bits of st_mode,
// setuid, setgid and sticky included.
func unixPerm(m fs.FileMode) uint32 {
	p := uint32(m.Perm()) | uint32(m)&0o7000 // 0o1777 written as a literal
	if m&fs.ModeSetuid != 0 {
		p |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		p |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		p |= 0o1000
	}
	return p
}

func (im *image) dir(p string, perm fs.FileMode) error {
	return im.add(p, &entry{mode: sIFDIR | unixPerm(perm)})
}

func (im *image) file(p string, data []byte, perm fs.FileMode) error {
	return im.add(p, &entry{mode: sIFREG | unixPerm(perm), data: data})
}

func (im *image) symlink(p, target string) error {
	return im.add(p, &entry{mode: sIFLNK | 0o777, target: target})
}

func (im *image) chardev(p string, perm fs.FileMode, major, minor uint32) error {
	return im.add(p, &entry{mode: sIFCHR | unixPerm(perm), rdev: [2]uint32{major, minor}})
}

// has reports whether the image holds p.
func (im *image) has(p string) bool {
	c, err := clean(p)
	if err != nil {
		return false
	}
	_, ok := im.entries[c]
	return ok
}

// writeTo writes the archive: parents before children (a sorted order
// has that property), owner root, mtime 0, then the trailer.
func (im *image) writeTo(w io.Writer) error {
	names := make([]string, 0, len(im.entries))
	for n := range im.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	cw := &cpioWriter{w: w}
	for i, n := range names {
		e := im.entries[n]
		body := e.data
		if e.mode&sIFMT == sIFLNK {
			body = []byte(e.target)
		}
		nlink := uint32(1)
		if e.mode&sIFMT == sIFDIR {
			nlink = 2
		}
		if err := cw.header(n, uint32(i+1), e.mode, nlink, uint32(len(body)), e.rdev); err != nil {
			return err
		}
		if err := cw.body(body); err != nil {
			return err
		}
	}
	if err := cw.header("TRAILER!!!", 0, 0, 1, 0, [2]uint32{}); err != nil {
		return err
	}
	return cw.err
}

type cpioWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *cpioWriter) write(b []byte) {
	if c.err != nil {
		return
	}
	var n int
	n, c.err = c.w.Write(b)
	c.n += int64(n)
}

func (c *cpioWriter) pad() {
	if r := c.n % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

func (c *cpioWriter) header(name string, ino, mode, nlink, size uint32, rdev [2]uint32) error {
	// magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
	// devminor, rdevmajor, rdevminor, namesize (with its NUL), check
	h := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(name)+1, 0)
	c.write([]byte(h))
	c.write(append([]byte(name), 0))
	c.pad()
	return c.err
}

func (c *cpioWriter) body(b []byte) error {
	c.write(b)
	c.pad()
	return c.err
}
