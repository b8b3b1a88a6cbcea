package fromnode

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// sealedSelf is a sealed memfd copy of this binary, the file the child
// and the probe run as. The probe runs in the container as the
// container's user, dumpable: a process of the container may open
// /proc/PID/exe, keep the descriptor, and once no process executes the
// file any more reopen it for writing (runc's CVE-2019-5736). On the
// node's own binary that is root's file a container's root may write:
// the next `rampart` run as root on the node would be the container's.
// A memfd sealed against every write is a file nobody can change.
var sealedSelf = sync.OnceValues(func() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("rampart", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("a sealed copy of rampart: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:rampart")
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("a sealed copy of rampart: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal the copy of rampart: %w", err)
	}
	return f, nil
})
