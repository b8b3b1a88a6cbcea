//go:build linux

package cachedir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Dir is the sub-directory sub of rampart's cache directory
// ($RAMPART_CACHE_DIR; /var/cache/rampart for root, the user's cache
// directory otherwise), created mode 0700, and refused when it is not
// the caller's own or another user could write to it.
func Dir(sub string) (string, error) {
	dir := os.Getenv("RAMPART_CACHE_DIR")
	if dir == "" {
		if os.Geteuid() == 0 {
			dir = "/var/cache/rampart"
		} else {
			base, err := os.UserCacheDir()
			if err != nil {
				return "", err
			}
			dir = filepath.Join(base, "rampart")
		}
	}
	dir = filepath.Join(dir, sub)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return "", err
	}
	if err := ownedAlone(dir, &st, unix.S_IFDIR); err != nil {
		return "", err
	}
	return dir, nil
}

// Open opens a cache entry for reading. It refuses a symbolic link, and
// an entry that is not a plain file of the caller's writable by nobody
// else — checked on the descriptor opened, not the name, so the file
// cannot be swapped between the check and the read.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, err
	}
	if err := ownedAlone(path, &st, unix.S_IFREG); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ownedAlone refuses what another user could have written: a planted
// entry would otherwise decide a workload's layers.
func ownedAlone(path string, st *unix.Stat_t, typ uint32) error {
	switch {
	case st.Mode&unix.S_IFMT != typ:
		kind := "file"
		if typ == unix.S_IFDIR {
			kind = "directory"
		}
		return fmt.Errorf("%s is not a plain %s", path, kind)
	case int(st.Uid) != os.Geteuid():
		return fmt.Errorf("%s belongs to uid %d, not %d", path, st.Uid, os.Geteuid())
	case st.Mode&0o022 != 0:
		return fmt.Errorf("%s is writable by others (mode %o)", path, st.Mode&0o777)
	}
	return nil
}

// BootID names this boot ("" when the kernel does not say): an entry
// about the running kernel holds for one boot.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
