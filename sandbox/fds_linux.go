package sandbox

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/internal/pathtree"
	"github.com/rampart-sec/rampart/lsm/landlock"
)

// Descriptors cross execve: a file opened before the launch is open in
// CMD whatever a Landlock rule says, because Landlock checks opens, not
// reads. A shell that runs `rampart run --deny-read /etc/shadow -- cmd
// 3</etc/shadow` hands CMD the denied file. So, as runc does, every
// descriptor above the first 3+PreserveFDs is closed at exec, and the
// ones that stay (stdin, stdout, stderr and the preserved) are checked
// against the denials: one that already reaches a denied file refuses
// the launch.

// closeExtraFDs marks every descriptor from first upwards close-on-exec.
func closeExtraFDs(first int) error {
	err := unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("close_range: %w", err)
	}
	// Kernels before 5.11: one fcntl per open descriptor.
	fds, err := openFDs()
	if err != nil {
		return err
	}
	for _, fd := range fds {
		if fd < first {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && !errors.Is(err, unix.EBADF) {
			return fmt.Errorf("fd %d: close-on-exec: %w", fd, err)
		}
	}
	return nil
}

// openFDs lists the process's open descriptors.
func openFDs() ([]int, error) {
	des, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, d := range des {
		if n, err := strconv.Atoi(d.Name()); err == nil {
			out = append(out, n)
		}
	}
	return out, nil
}

// checkKeptFDs refuses when a descriptor CMD inherits (0 to last) is open
// on what a Landlock denial covers, with the access the denial takes
// away: the same file (by inode: another name or a bind mount of it is
// the same file), a file beneath a denied directory, or a device whose
// number a denied device node has.
func checkKeptFDs(last int, denials []landlock.Denial) error {
	if len(denials) == 0 {
		return nil
	}
	type target struct {
		d        landlock.Denial
		st       unix.Stat_t
		exists   bool
		isDevice bool
	}
	var targets []target
	for _, d := range denials {
		t := target{d: d}
		if unix.Stat(d.Path, &t.st) == nil {
			t.exists = true
			f := t.st.Mode & unix.S_IFMT
			t.isDevice = f == unix.S_IFBLK || f == unix.S_IFCHR
		}
		targets = append(targets, t)
	}
	fds, err := openFDs()
	if err != nil {
		return err
	}
	for _, fd := range fds {
		if fd > last {
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			continue // not open
		}
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil {
			return fmt.Errorf("fd %d: %w", fd, err)
		}
		if fl&unix.O_PATH != 0 {
			// An O_PATH descriptor reads and writes nothing; reopening
			// it goes through Landlock like any open.
			continue
		}
		var can landlock.Access
		switch fl & unix.O_ACCMODE {
		case unix.O_RDONLY:
			can = landlock.ReadFile
		case unix.O_WRONLY:
			can = landlock.WriteFile
		case unix.O_RDWR:
			can = landlock.ReadFile | landlock.WriteFile
		}
		where, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		for _, t := range targets {
			lost := can & t.d.Access
			if lost == 0 {
				continue
			}
			sameFile := t.exists && st.Dev == t.st.Dev && st.Ino == t.st.Ino
			sameDevice := t.isDevice && st.Mode&unix.S_IFMT == t.st.Mode&unix.S_IFMT && st.Rdev == t.st.Rdev
			beneath := where != "" && where != t.d.Path && pathtree.Within(where, t.d.Path)
			if sameFile || sameDevice || beneath {
				return refuse(LayerLandlock, "fd %d is open on %s with %s, which %s denies: CMD would inherit it (close it before rampart runs)", fd, where, lost, ruleName(t.d))
			}
		}
	}
	return nil
}

func ruleName(d landlock.Denial) string {
	if d.Rule.Origin != "" {
		return d.Rule.Origin
	}
	return d.Rule.String()
}
