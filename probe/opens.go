//go:build linux

package probe

import (
	"errors"
	"os"
	"slices"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
)

// Opening a file by path has many doors: openat with whatever flags a
// libc adds, open, openat2 (its flags in a struct no filter reads), an
// io_uring OPENAT (no syscall rule reaches it), and a file handle
// (open_by_handle_at, with CAP_DAC_READ_SEARCH). A filter that refuses
// one has not closed the path; the permission bits, the capability and
// the LSM's file_open hook decide every one of them alike.

// opener makes one variant of an open and returns the fd, or the outcome
// of its refusal.
type opener struct {
	name   string
	open   func(path string, flags int) (int, attack.Outcome)
	canary func(path string, flags int) syscall.Errno
	// ask asks the filter about the same call (variant.ask)
	ask func(path string, flags int) func() (syscall.Errno, bool)
}

// openers are the variants, in the order they are tried.
func openers(e *env, read bool) []opener {
	out := []opener{
		{name: "openat", open: func(path string, flags int) (int, attack.Outcome) {
			step := "openat(AT_FDCWD, \"" + path + "\", " + openFlagNames(flags) + ")"
			fd, err := unix.Open(path, flags, 0)
			if err != nil {
				return -1, refused(step, err)
			}
			return fd, open(step, "")
		}, canary: tmpfileCanary, ask: func(path string, flags int) func() (syscall.Errno, bool) {
			p, _ := unix.BytePtrFromString(path)
			return asking(unix.SYS_OPENAT, [6]uintptr{atFDCWD, uintptr(unsafe.Pointer(p)), uintptr(flags)}, p)
		}},
		{name: "open", open: func(path string, flags int) (int, attack.Outcome) {
			step := "open(\"" + path + "\", " + openFlagNames(flags) + ")"
			p, err := unix.BytePtrFromString(path)
			if err != nil {
				return -1, refused(step, unix.EINVAL)
			}
			fd, _, errno := unix.Syscall(sysOpen, uintptr(unsafe.Pointer(p)), uintptr(flags), 0)
			if errno != 0 {
				return -1, refused(step, errno)
			}
			return int(fd), open(step, "")
		}, canary: func(path string, flags int) syscall.Errno {
			p, _ := unix.BytePtrFromString(path)
			fd, _, errno := unix.Syscall(sysOpen, uintptr(unsafe.Pointer(p)), uintptr(flags|oTmpfileBit), 0)
			if errno == 0 {
				unix.Close(int(fd))
			}
			return errno
		}, ask: func(path string, flags int) func() (syscall.Errno, bool) {
			p, _ := unix.BytePtrFromString(path)
			return asking(sysOpen, [6]uintptr{uintptr(unsafe.Pointer(p)), uintptr(flags)}, p)
		}},
		{name: "openat2", open: func(path string, flags int) (int, attack.Outcome) {
			step := "openat2(AT_FDCWD, \"" + path + "\", {flags: " + openFlagNames(flags) + "})"
			fd, err := unix.Openat2(unix.AT_FDCWD, path, &unix.OpenHow{Flags: uint64(flags)})
			if err != nil {
				return -1, refused(step, err)
			}
			return fd, open(step, "")
		}, canary: func(path string, flags int) syscall.Errno {
			// a size below OPEN_HOW_SIZE_VER0: EINVAL before anything is read
			p, _ := unix.BytePtrFromString(path)
			how := unix.OpenHow{Flags: uint64(flags)}
			fd, _, errno := unix.Syscall6(unix.SYS_OPENAT2, atFDCWD, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&how)), 8, 0, 0)
			if errno == 0 {
				unix.Close(int(fd))
			}
			return errno
		}, ask: func(path string, flags int) func() (syscall.Errno, bool) {
			p, _ := unix.BytePtrFromString(path)
			how := &unix.OpenHow{Flags: uint64(flags)}
			return asking(unix.SYS_OPENAT2, [6]uintptr{atFDCWD, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(how)), unsafe.Sizeof(*how)}, p, how)
		}},
		{name: "io_uring OPENAT", open: func(path string, flags int) (int, attack.Outcome) {
			step := "io_uring OPENAT(AT_FDCWD, \"" + path + "\", " + openFlagNames(flags) + ")"
			p, err := unix.BytePtrFromString(path)
			if err != nil {
				return -1, refused(step, unix.EINVAL)
			}
			res, failed := uringOp(uringSQE{Opcode: uringOpOpenat, Fd: unix.AT_FDCWD, Addr: uint64(uintptr(unsafe.Pointer(p))), OpFlags: uint32(flags)}, p)
			if failed != nil {
				return -1, uringRefused(e, failed, unix.EINVAL)
			}
			if res < 0 {
				// The ring's calls got through the filter, which never
				// sees the operation: the refusal is a later layer's.
				o := refused(step, syscall.Errno(-res))
				if e.state.Seccomp == 2 {
					c := unix.EINVAL
					o.CanaryErrno = &c
				}
				return -1, o
			}
			return int(res), open(step, "")
		}},
	}
	if sysOpen == 0 {
		// an ABI without open(2): the variant does not exist
		out = slices.DeleteFunc(out, func(o opener) bool { return o.name == "open" })
	}
	if read {
		out = append(out, opener{name: "open_by_handle_at", open: openByOwnHandle, canary: func(string, int) syscall.Errno {
			// the kernel's EBADF for mount fd -1 is not this path's EINVAL
			if c := handleCanary(); c != unix.EBADF {
				return c
			}
			return unix.EINVAL
		}, ask: func(path string, flags int) func() (syscall.Errno, bool) {
			// struct file_handle: 8 bytes of FILEID_INO32_GEN, inode 0
			h := &[16]byte{8, 0, 0, 0, forgedHandleType}
			return asking(unix.SYS_OPEN_BY_HANDLE_AT, [6]uintptr{atFDCWD, uintptr(unsafe.Pointer(h)), uintptr(flags)}, h)
		}})
	}
	return out
}

// openVariants opens path every way an attacker can, until one opens
// it, then hands the fd to use (which closes it). what says what use
// does, for the evidence.
func openVariants(e *env, path string, flags int, use func(fd int, step string) attack.Outcome) attack.Outcome {
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return attack.Outcome{Errno: unix.ENOENT, Step: "openat(AT_FDCWD, \"" + path + "\", " + openFlagNames(flags) + ")", Absent: path + " does not exist here"}
	}
	var vs []variant
	for _, op := range openers(e, flags&unix.O_ACCMODE == unix.O_RDONLY) {
		op := op
		v := variant{name: op.name, run: func(*env) attack.Outcome {
			fd, o := op.open(path, flags)
			if fd >= 0 {
				return use(fd, o.Step)
			}
			if o.Absent != "" {
				return o
			}
			if o.Errno == unix.ENOENT {
				o.Absent = path + " does not exist here"
				return o
			}
			if permissionErrno(o.Errno) {
				mode := uint32(unix.R_OK)
				if flags&unix.O_ACCMODE != unix.O_RDONLY {
					mode = unix.W_OK
				}
				dac := unix.Faccessat(unix.AT_FDCWD, path, mode, unix.AT_EACCESS) == nil
				o.DACAllows = &dac
			}
			return o
		}}
		if op.canary != nil {
			v.canary = func() syscall.Errno { return op.canary(path, flags) }
		}
		if op.ask != nil {
			v.ask = op.ask(path, flags)
		}
		vs = append(vs, v)
	}
	return anyVariant(e, unix.EINVAL, vs...)
}

// readOneByte opens path read-only, reads one byte and throws it away.
func readOneByte(e *env, path string) attack.Outcome {
	return openVariants(e, path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, func(fd int, step string) attack.Outcome {
		var b [1]byte
		_, err := unix.Read(fd, b[:])
		unix.Close(fd)
		b[0] = 0
		if err != nil {
			return refused("read(1 byte)", err)
		}
		return open(step, "opened and read one byte (discarded)")
	})
}

// openForWriteOnly opens path for writing and closes it: never a write,
// never O_TRUNC or O_CREAT.
func openForWriteOnly(e *env, path string) attack.Outcome {
	return openVariants(e, path, unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOCTTY, func(fd int, step string) attack.Outcome {
		unix.Close(fd)
		return open(step+", closed unwritten", "opened for writing and closed; nothing written")
	})
}

// tmpfileCanary adds __O_TMPFILE without O_DIRECTORY, which
// build_open_flags rejects (EINVAL) before the lookup.
func tmpfileCanary(path string, flags int) syscall.Errno {
	fd, err := unix.Open(path, flags|oTmpfileBit, 0)
	if err == nil {
		unix.Close(fd)
	}
	return errnoOf(err)
}

// openByOwnHandle opens path by the handle name_to_handle_at gives it,
// through the mount of "/": the shocker route to a file, which skips
// the path walk's permission checks and needs CAP_DAC_READ_SEARCH.
func openByOwnHandle(path string, flags int) (int, attack.Outcome) {
	step := "open_by_handle_at(fd of \"/\", handle of \"" + path + "\", " + openFlagNames(flags) + ")"
	h, _, err := unix.NameToHandleAt(unix.AT_FDCWD, path, 0)
	if err != nil {
		o := refused("name_to_handle_at(\""+path+"\")", err)
		o.Absent = "no file handle for " + path + " (" + err.Error() + "): its filesystem encodes none here, so this door does not exist"
		return -1, o
	}
	mfd, err := unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		mfd = unix.AT_FDCWD
	} else {
		defer unix.Close(mfd)
	}
	fd, err := unix.OpenByHandleAt(mfd, h, flags)
	if err != nil {
		o := refused(step, err)
		o.NeedCaps = caps.Of(caps.DAC_READ_SEARCH)
		return -1, o
	}
	return fd, open(step, "")
}

// openFlagNames spells the open flags the probes use.
func openFlagNames(flags int) string {
	s := "O_RDONLY"
	switch flags & unix.O_ACCMODE {
	case unix.O_WRONLY:
		s = "O_WRONLY"
	case unix.O_RDWR:
		s = "O_RDWR"
	}
	for _, f := range []struct {
		bit  int
		name string
	}{{unix.O_CLOEXEC, "O_CLOEXEC"}, {unix.O_NOCTTY, "O_NOCTTY"}, {unix.O_NONBLOCK, "O_NONBLOCK"}} {
		if flags&f.bit != 0 {
			s += "|" + f.name
		}
	}
	return s
}

// atFDCWD is AT_FDCWD as a raw syscall argument.
var atFDCWD = func() uintptr { fd := unix.AT_FDCWD; return uintptr(fd) }()
