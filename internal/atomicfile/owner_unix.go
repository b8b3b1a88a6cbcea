//go:build !windows

package atomicfile

import (
	"io/fs"
	"syscall"
)

// owner is the file's uid and gid.
func owner(st fs.FileInfo) (uid, gid int) {
	sys := st.Sys().(*syscall.Stat_t)
	return int(sys.Uid), int(sys.Gid)
}
