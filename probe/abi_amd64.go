//go:build linux && amd64

package probe

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
)

// int80 makes an i386 system call through INT $0x80 (abi_amd64.s).
func int80(nr, a1, a2, a3 uintptr) uintptr

// i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl).
const (
	i386Socketcall = 102
	i386Socket     = 359
)

// i386Outcome is what an i386 call made in a forked child came to.
type i386Outcome struct {
	errno syscall.Errno // the call's refusal; 0 when it worked
	// signal killed the child: SIGSEGV where the kernel runs no i386 code
	// (INT $0x80 faults), SIGSYS where a filter kills the call.
	signal syscall.Signal
	// reapErr is why the child could not be waited for: its outcome is
	// unknown.
	reapErr error
}

// i386Call makes the i386 call nr(a1, a2, a3) in a child forked from a
// discarded thread, every signal blocked: the child makes that one call
// and exits with its errno (a descriptor it made goes with it), so a
// fault or a filter's kill ends the child, never this process.
func i386Call(nr, a1, a2, a3 uintptr) (i386Outcome, syscall.Errno) {
	var out i386Outcome
	var forkErr syscall.Errno
	onThread(func() attack.Outcome {
		var all, old unix.Sigset_t
		for i := range all.Val {
			all.Val[i] = ^uint64(0)
		}
		const setSize = 8
		unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), setSize, 0, 0)
		pid, errno := forkInt80(nr, a1, a2, a3)
		unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, setSize, 0, 0)
		if errno != 0 {
			forkErr = errno
			return attack.Outcome{}
		}
		var ws unix.WaitStatus
		for {
			_, err := unix.Wait4(int(pid), &ws, 0, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				// ws stays zero, which reads as "exited 0": the socket
				// was made. A refused wait is no evidence either way.
				out.reapErr = err
				return attack.Outcome{}
			}
			break
		}
		switch {
		case ws.Exited():
			out.errno = syscall.Errno(ws.ExitStatus())
		case ws.Signaled():
			out.signal = ws.Signal()
		}
		return attack.Outcome{}
	})
	return out, forkErr
}

// forkInt80 forks (clone(SIGCHLD)); the child makes the i386 call and
// exits with its errno. The child is a copy of this multi-threaded Go
// process with only the calling thread: raw calls only, no stack growth,
// no allocation.
//
//go:norace
//go:nosplit
func forkInt80(nr, a1, a2, a3 uintptr) (uintptr, syscall.Errno) {
	pid, _, errno := unix.RawSyscall(unix.SYS_CLONE, uintptr(unix.SIGCHLD), 0, 0)
	if errno != 0 || pid != 0 {
		return pid, errno
	}
	// Not dumpable: a fault (no IA32 emulation) or a filter's kill
	// (SIGSYS) ends the child without a core file.
	unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_SET_DUMPABLE, 0, 0, 0, 0, 0)
	code := uintptr(0)
	if r := int32(int80(nr, a1, a2, a3)); r < 0 && r > -4096 {
		code = uintptr(-r)
	}
	unix.RawSyscall(unix.SYS_EXIT_GROUP, code, 0, 0)
	return 0, 0
}

// low32Page maps a page below 4 GiB, where an i386 call's pointer
// argument can reach (the kernel reads 32 bits of it).
func low32Page() ([]byte, error) {
	return unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_32BIT)
}

const haveInt80 = true

// sysOpen is open(2), which x86-64 keeps beside openat.
const sysOpen = unix.SYS_OPEN
