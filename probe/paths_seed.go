//go:build linux

package probe

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// The seed article's three paths.

var _ = register("raw-socket", prober{
	run: func(e *env) attack.Outcome {
		// Python's socket.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) adds SOCK_CLOEXEC.
		return socketPath(e, unix.AF_INET, []int{unix.SOCK_RAW}, unix.IPPROTO_ICMP, "raw socket")
	},
})

var _ = register("userns-netns", prober{
	run: func(e *env) attack.Outcome {
		// A filter that refuses unshare alone leaves clone: the path is
		// open if any variant makes the namespaces.
		return anyVariant(e, unix.EINVAL,
			unshareVariant(unix.CLONE_NEWUSER|unix.CLONE_NEWNET, "unshare(CLONE_NEWUSER|CLONE_NEWNET)", "new user and network namespaces"),
			cloneVariant(unix.CLONE_NEWUSER|unix.CLONE_NEWNET, "new user and network namespaces"),
			variant{name: "clone3", run: func(*env) attack.Outcome {
				// The flags are in memory, where no filter can read them.
				const step = "clone3({flags: CLONE_NEWUSER|CLONE_NEWNET, exit_signal: SIGCHLD}), the child exiting at once"
				if errno := forkClone3(&cloneArgs{Flags: unix.CLONE_NEWUSER | unix.CLONE_NEWNET, ExitSignal: uint64(unix.SIGCHLD)}); errno != 0 {
					return refused(step, errno)
				}
				return open(step, "a child was created in new user and network namespaces, and exited")
			}, canary: func() syscall.Errno {
				// exit_signal must fit CSIGNAL: EINVAL in copy_clone_args_from_user.
				return forkClone3(&cloneArgs{Flags: unix.CLONE_NEWUSER | unix.CLONE_NEWNET, ExitSignal: 0x100})
			}},
			// A user namespace alone gives every capability in it; the
			// network namespace is then the new namespace's to grant.
			unshareVariant(unix.CLONE_NEWUSER, "unshare(CLONE_NEWUSER)", "a new user namespace, with every capability in it,"),
			cloneVariant(unix.CLONE_NEWUSER, "a new user namespace, with every capability in it"),
			// One that exists already: joined, not made.
			variant{name: "setns(CLONE_NEWUSER)", run: setnsUserns},
		)
	},
})

// cloneVariant forks a child into new namespaces (flags|SIGCHLD) that
// exits at once; its canary adds CLONE_FS (cloneCanary).
func cloneVariant(flags uintptr, what string) variant {
	call := "clone(" + attack.CloneFlags(uint64(flags|uintptr(unix.SIGCHLD))) + ")"
	return variant{name: call, run: func(*env) attack.Outcome {
		step := call + ", the child exiting at once"
		if _, errno := forkWait(unix.SYS_CLONE, flags|uintptr(unix.SIGCHLD), nil, 0, nil, 0); errno != 0 {
			return refused(step, errno)
		}
		return open(step, "a child was created in "+what+", and exited")
	}, canary: cloneCanary(flags | uintptr(unix.SIGCHLD))}
}

// setnsUserns joins a user namespace that exists, the way to one when
// every way to make one is refused: the filter is asked first (the
// canary), then a namespace is looked for, then a forked child joins it
// and exits (userns_install wants a single-threaded caller with its own
// fs_struct: a fork is one).
func setnsUserns(e *env) attack.Outcome {
	// setns(fd, 0) joins whatever fd is: a filter comparing nstype with
	// CLONE_NEWUSER does not see it.
	nstype, nsName := unix.CLONE_NEWUSER, "CLONE_NEWUSER"
	c := setnsCanaryFlags(nstype)
	if e.state.Seccomp == 2 && c != 0 && c != unix.EINVAL {
		if c0 := setnsCanaryFlags(0); c0 == unix.EINVAL {
			nstype, nsName, c = 0, "0", c0
		} else {
			return attack.Outcome{Errno: c, CanaryErrno: &c,
				Step: `setns(fd of "/", CLONE_NEWUSER) and setns(fd of "/", 0), the canaries of setns into a user namespace; no user namespace was looked for`}
		}
	}
	ns, why := userNSToJoinHere()
	if ns == "" {
		o := attack.Outcome{Errno: unix.ENOENT, Step: "find a user namespace to join", Absent: why}
		return o
	}
	step := "setns(fd of " + ns + ", " + nsName + ") in a forked child that exits at once"
	fd, err := unix.Open(ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return refused("open "+ns, err)
	}
	defer unix.Close(fd)
	calls := &[2]rawCall{{unix.SYS_SETNS, uintptr(fd), uintptr(nstype)}}
	status, errno := forkWait(unix.SYS_CLONE, uintptr(unix.SIGCHLD), nil, 0, calls, 1)
	switch {
	case errno != 0:
		return attack.Outcome{Errno: errno, Step: "fork a child to join " + ns, Detail: "the fork itself was refused", Setup: true}
	case status == 0:
		return open(step, "a child joined an existing user namespace, with every capability its owner's uid holds there, and exited")
	case status < 0:
		return attack.Outcome{Errno: unix.ECHILD, Step: step, Detail: "the child did not exit normally"}
	}
	o := refused(step, syscall.Errno(status))
	if c != 0 {
		o.CanaryErrno = &c
	}
	return o
}

// setnsCanaryFlags is setnsCanary for another namespace type.
func setnsCanaryFlags(nstype int) syscall.Errno {
	fd, err := unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(fd)
	return onThread(func() attack.Outcome {
		return attack.Outcome{Errno: errnoOf(unix.Setns(fd, nstype))}
	}).Errno
}

// userNSToJoinHere finds another process's user namespace this process
// can open, or says why there is none.
func userNSToJoinHere() (string, string) {
	own, err := os.Readlink("/proc/self/ns/user")
	if err != nil {
		return "", "this kernel or /proc shows no user namespaces (" + err.Error() + ")"
	}
	ents, _ := os.ReadDir("/proc")
	seen, closed := 0, 0
	for _, d := range ents {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		p := "/proc/" + d.Name() + "/ns/user"
		ns, err := os.Readlink(p)
		if err != nil || ns == own {
			continue
		}
		seen++
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			closed++
			continue
		}
		unix.Close(fd)
		return p, ""
	}
	if seen == 0 {
		return "", "no process this one can see is in another user namespace: none exists to join, and every way to make one is tried as its own variant"
	}
	return "", fmt.Sprintf("the %d process(es) in another user namespace are closed to this one (their /proc/PID/ns/user needs ptrace read access)", closed)
}

// unshareVariant unshares flags in a forked child (unshare(CLONE_NEWUSER)
// needs a single-threaded caller; the child is one) that then execs
// rampart as a no-op. Its canary adds an unknown flag bit (0x1), which
// check_unshare_flags rejects with EINVAL before anything else.
func unshareVariant(flags uintptr, call, what string) variant {
	return variant{name: call, run: func(*env) attack.Outcome {
		step := call + " in a forked child"
		err := spawnNoop(&syscall.SysProcAttr{Unshareflags: flags})
		if errors.Is(err, errNoEntry) {
			return attack.Outcome{Errno: unix.ENOEXEC, Step: step, Detail: err.Error(), Setup: true}
		}
		if err != nil {
			var e syscall.Errno
			if errors.As(err, &e) {
				return refused(step, e)
			}
			return attack.Outcome{Errno: unix.ECHILD, Step: step, Detail: err.Error()}
		}
		return open(step, what+" created in a child that then exited")
	}, canary: func() syscall.Errno {
		return errnoOf(unix.Unshare(int(flags) | 0x1))
	}, ask: asking(unix.SYS_UNSHARE, [6]uintptr{flags})}
}

// oTmpfileBit is __O_TMPFILE without O_DIRECTORY: openat rejects it with
// EINVAL in build_open_flags, before any lookup or permission check.
const oTmpfileBit = unix.O_TMPFILE &^ unix.O_DIRECTORY

var _ = register("read-shadow", prober{
	run: func(e *env) attack.Outcome {
		return readOneByte(e, "/etc/shadow")
	},
})

// sockTypeNames spells socket types and flags for evidence.
func sockTypeName(t int) string {
	s := map[int]string{unix.SOCK_RAW: "SOCK_RAW", unix.SOCK_DGRAM: "SOCK_DGRAM", unix.SOCK_STREAM: "SOCK_STREAM", unix.SOCK_PACKET: "SOCK_PACKET"}[t&0xf]
	if t&unix.SOCK_CLOEXEC != 0 {
		s += "|SOCK_CLOEXEC"
	}
	if t&unix.SOCK_NONBLOCK != 0 {
		s += "|SOCK_NONBLOCK"
	}
	return s
}

var familyNames = map[int]string{unix.AF_INET: "AF_INET", unix.AF_INET6: "AF_INET6", unix.AF_PACKET: "AF_PACKET", unix.AF_UNIX: "AF_UNIX"}

// socketPath makes socket(family, type, proto) every way an attacker can,
// for each of types, until one makes it.
func socketPath(e *env, family int, types []int, proto int, what string) attack.Outcome {
	type try struct{ family, typ int }
	var tries []try
	for _, t := range types {
		for _, f := range []int{unix.SOCK_CLOEXEC, 0, unix.SOCK_NONBLOCK, unix.SOCK_CLOEXEC | unix.SOCK_NONBLOCK} {
			tries = append(tries, try{family, t | f})
		}
	}
	if family == unix.AF_PACKET {
		// __sock_create turns (AF_INET, SOCK_PACKET) into AF_PACKET.
		tries = append(tries, try{unix.AF_INET, unix.SOCK_PACKET | unix.SOCK_CLOEXEC})
	}
	var vs []variant
	for _, t := range tries {
		name := fmt.Sprintf("socket(%s, %s)", familyNames[t.family], sockTypeName(t.typ))
		step := fmt.Sprintf("socket(%s, %s, %#x)", familyNames[t.family], sockTypeName(t.typ), proto)
		vs = append(vs, variant{name: name, run: func(*env) attack.Outcome {
			fd, err := unix.Socket(t.family, t.typ, proto)
			if err != nil {
				return refused(step, err)
			}
			unix.Close(fd)
			return open(step, what+" created and closed; nothing sent")
		}, canary: func() syscall.Errno {
			// an unknown flag bit: EINVAL in __sys_socket_create, before
			// the family's create; family and SOCK_TYPE_MASK unchanged
			fd, err := unix.Socket(t.family, t.typ|1<<30, proto)
			if err == nil {
				unix.Close(fd)
			}
			return errnoOf(err)
		}, ask: asking(unix.SYS_SOCKET, [6]uintptr{uintptr(t.family), uintptr(t.typ), uintptr(proto)})})
	}
	t0 := types[0]
	if haveInt80 {
		vs = append(vs, i386SocketVariant(true, family, t0|unix.SOCK_CLOEXEC, proto, what), i386SocketVariant(false, family, t0|unix.SOCK_CLOEXEC, proto, what))
	}
	vs = append(vs, variant{name: "io_uring SOCKET", run: func(e *env) attack.Outcome {
		step := fmt.Sprintf("io_uring SOCKET(%s, %s, %#x)", familyNames[family], sockTypeName(t0|unix.SOCK_CLOEXEC), proto)
		if !features.KernelAtLeast(5, 19) {
			return attack.Outcome{Errno: unix.EINVAL, Step: step, Absent: "this kernel's io_uring has no SOCKET operation (Linux 5.19)"}
		}
		res, failed := uringOp(uringSQE{Opcode: uringOpSocket, Fd: int32(family), Off: uint64(t0 | unix.SOCK_CLOEXEC), Len: uint32(proto)})
		if failed != nil {
			return uringRefused(e, failed, unix.EINVAL)
		}
		if res < 0 {
			// The ring's calls got through the filter, which never sees
			// the operation: the refusal is a later layer's.
			o := refused(step, syscall.Errno(-res))
			if e.state.Seccomp == 2 {
				c := unix.EINVAL
				o.CanaryErrno = &c
			}
			return o
		}
		unix.Close(int(res))
		return open(step, what+" created through io_uring and closed; nothing sent")
	}})
	return anyVariant(e, unix.EINVAL, vs...)
}

// i386SocketVariant makes the socket on the i386 ABI, the way a 64-bit
// program reaches it with INT $0x80: through socketcall(SYS_SOCKET, args),
// whose arguments sit in memory where no filter reads them, or through
// i386's own socket. A kernel without IA32 emulation faults the
// instruction: the variant does not exist there.
func i386SocketVariant(viaSocketcall bool, family, typ, proto int, what string) variant {
	name := "i386 socket"
	step := fmt.Sprintf("i386 socket(%s, %s, %#x) through INT $0x80, in a forked child", familyNames[family], sockTypeName(typ), proto)
	if viaSocketcall {
		name = "i386 socketcall(SYS_SOCKET)"
		step = fmt.Sprintf("i386 socketcall(SYS_SOCKET, {%s, %s, %#x}) through INT $0x80, in a forked child", familyNames[family], sockTypeName(typ), proto)
	}
	call := func(typ int) (i386Outcome, attack.Outcome, bool) {
		page, err := low32Page()
		if err != nil {
			return i386Outcome{}, attack.Outcome{Errno: errnoOf(err), Step: "mmap a page below 4 GiB for " + name, Detail: err.Error(), Setup: true}, false
		}
		defer unix.Munmap(page)
		args := (*[3]uint32)(unsafe.Pointer(&page[0]))
		*args = [3]uint32{uint32(family), uint32(typ), uint32(proto)}
		var o i386Outcome
		var ferr syscall.Errno
		if viaSocketcall {
			o, ferr = i386Call(i386Socketcall, linuxabi.SocketcallSocket, uintptr(unsafe.Pointer(&page[0])), 0)
		} else {
			o, ferr = i386Call(i386Socket, uintptr(family), uintptr(typ), uintptr(proto))
		}
		if ferr != 0 {
			return o, attack.Outcome{Errno: ferr, Step: "fork a child for " + name, Detail: "the fork itself was refused", Setup: true}, false
		}
		return o, attack.Outcome{}, true
	}
	return variant{name: name, run: func(e *env) attack.Outcome {
		o, setup, ok := call(typ)
		switch {
		case !ok:
			return setup
		case o.reapErr != nil:
			return attack.Outcome{Errno: errnoOf(o.reapErr), Step: "wait for the child of " + name, Detail: o.reapErr.Error(), Setup: true}
		case o.signal == unix.SIGSEGV:
			return attack.Outcome{Errno: unix.ENOSYS, Step: step, Absent: "this kernel runs no i386 code (IA32 emulation is off: INT $0x80 faults), so the i386 ABI is no way in here"}
		case o.signal == unix.SIGSYS:
			c := unix.EPERM
			return attack.Outcome{Errno: c, CanaryErrno: &c, Step: step, FilterAsked: "the seccomp filter killed the child at the call (SIGSYS)"}
		case o.signal != 0:
			return attack.Outcome{Errno: unix.ECHILD, Step: step, Detail: "the child was killed by " + o.signal.String()}
		case o.errno == 0:
			return open(step, what+" created on the i386 ABI by a child that then exited")
		}
		return refused(step, o.errno)
	}, canary: func() syscall.Errno {
		// an unknown type flag bit: EINVAL before the family's create;
		// socketcall's filter sees the same (SYS_SOCKET, pointer)
		o, _, ok := call(typ | 1<<30)
		if !ok || o.signal != 0 {
			return 0
		}
		return o.errno
	}}
}
