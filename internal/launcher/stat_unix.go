//go:build !windows

package launcher

import (
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/version"
)

// Sibling is the program name beside self, where rampart may run it: a
// regular executable file, not self, owned by self's owner or root and
// writable by no one else, reached through no link another user made,
// in a directory where no one else can swap entries. A program another
// user could have put or changed there (a world-writable directory such
// as /tmp holding rampart) would otherwise run with the caller's
// privileges; a link of theirs to a system program (a shell) would run
// that program with rampart's arguments.
func Sibling(self, name string) (string, error) {
	dir := filepath.Dir(self)
	p := filepath.Join(dir, name)
	var me, d, l, st unix.Stat_t
	if err := unix.Stat(self, &me); err != nil {
		return "", err
	}
	if err := unix.Stat(dir, &d); err != nil {
		return "", err
	}
	if err := unix.Lstat(p, &l); err != nil {
		return "", err
	}
	if err := unix.Stat(p, &st); err != nil {
		return "", err
	}
	trusted := func(uid uint32) bool { return uid == me.Uid || uid == 0 }
	switch {
	case d.Mode&0o022 != 0 && d.Mode&unix.S_ISVTX == 0:
		return "", fmt.Errorf("%s is writable by others: anyone could put %s there", dir, name)
	case !trusted(l.Uid):
		return "", fmt.Errorf("%s belongs to uid %d, not to %s's owner (%d) or root", p, l.Uid, self, me.Uid)
	case st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&0o111 == 0:
		return "", fmt.Errorf("%s is not an executable file", p)
	case st.Dev == me.Dev && st.Ino == me.Ino:
		return "", fmt.Errorf("%s is this program", p)
	case !trusted(st.Uid):
		return "", fmt.Errorf("%s belongs to uid %d, not to %s's owner (%d) or root", p, st.Uid, self, me.Uid)
	case st.Mode&0o022 != 0:
		return "", fmt.Errorf("%s is writable by others (mode %o)", p, st.Mode&0o777)
	}
	return p, nil
}

// build names the rampart that checks: the verdict is its analysis's,
// which another build may make differently. A build of a clean commit or
// a release is named by its version, which rampart and rampart-run of
// one build share; a build of a changed tree or an unversioned one also
// by its executable (device, inode, modification time), which every
// rebuild replaces.
func build() string {
	v := version.Version()
	if v != version.Devel && !strings.HasSuffix(v, "-dirty") {
		return v
	}
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return v + " exe=unknown"
	}
	return fmt.Sprintf("%s exe=%d:%d:%d", v, st.Dev, st.Ino, st.Mtim.Nano())
}
