package storage

import "golang.org/x/sys/unix"

// deviceOf is the device number of the node at p (its link itself unless
// follow), whether it is a block device, and false when p cannot be
// stat'ed.
func deviceOf(p string, follow bool) (d Device, blk, ok bool) {
	var st unix.Stat_t
	stat := unix.Lstat
	if follow {
		stat = unix.Stat
	}
	if stat(p, &st) != nil {
		return Device{}, false, false
	}
	return Device{unix.Major(st.Rdev), unix.Minor(st.Rdev)}, st.Mode&unix.S_IFMT == unix.S_IFBLK, true
}
