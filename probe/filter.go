//go:build linux

package probe

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
)

// Some calls check a capability before anything else (fsopen, fsmount,
// finit_module), so no argument makes a canary for them: without the
// capability, an EPERM is the filter's or the capability check's, and
// nothing in the answer tells which. The filter itself can be asked
// instead, without the call ever running.
//
// filterAnswer loads, on a thread that is thrown away afterwards, a
// filter of the probe's own that answers SECCOMP_RET_TRACE for the one
// call, then makes it. The kernel runs every filter of the thread and
// keeps the most restrictive answer (seccomp_run_filters: KILL, TRAP,
// ERRNO, USER_NOTIF, TRACE, LOG, ALLOW in that order), so a refusal by
// the workload's filter wins and comes back as its errno, while an allow
// or log meets TRACE, which with no tracer attached fails the call with
// ENOSYS before it runs (__seccomp_filter). The call never runs either
// way, so its arguments can be the attacker's own. The test suite's
// seccomp caller uses the same net.
//
// ENOSYS is also what a filter answers when it refuses a call to send
// libc to a fallback (RuntimeDefault's clone3): callers ask only about a
// call that really got another errno, which that filter cannot have
// given.
//
// A supervisor of the workload's filter (USER_NOTIF) outranks TRACE and
// may let the call continue: only calls that are harmless when made on
// the discarded thread are asked about (never clone, whose child would
// be a copy of the Go runtime), and a descriptor one returns is closed.
//
// ok is false when the net could not be loaded (no_new_privs or seccomp
// refused by the workload's filter, an old kernel) or the thread did not
// come back (a filter that kills the thread).
func filterAnswer(nr uintptr, args [6]uintptr) (errno syscall.Errno, ok bool) {
	return filterAnswerKeep(nr, args)
}

// filterAnswerKeep is filterAnswer keeping keep (the memory args point
// at) alive until the call is made.
func filterAnswerKeep(nr uintptr, args [6]uintptr, keep ...any) (errno syscall.Errno, ok bool) {
	if runtime.GOARCH != "amd64" {
		// The net below matches x86_64 calls only: elsewhere it would
		// let the call run for real, and its own errno would pass for
		// the filter's.
		return 0, false
	}
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4}, // seccomp_data.arch
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 3, K: unix.AUDIT_ARCH_X86_64},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: uint32(nr)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_TRACE},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	ch := make(chan attack.Outcome, 1)
	go func() {
		ch <- onThread(func() attack.Outcome {
			// Both are the thread's own: no_new_privs and the filter die
			// with it, and the Go runtime starts no thread from a locked
			// one.
			if _, _, e := unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); e != 0 {
				return attack.Outcome{Setup: true}
			}
			if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fprog))); e != 0 {
				return attack.Outcome{Setup: true}
			}
			r, _, e := unix.RawSyscall6(nr, args[0], args[1], args[2], args[3], args[4], args[5])
			runtime.KeepAlive(keep)
			if e == 0 && fdReturning[nr] && r > 2 {
				// It ran (a supervisor of the workload's filter let it
				// continue): its descriptor goes.
				unix.Close(int(r))
			}
			return attack.Outcome{Errno: e}
		})
	}()
	select {
	case o := <-ch:
		if o.Setup || o.Errno == 0 {
			// 0: the call ran, which the net forbids: something else is
			// going on, and nothing can be said.
			return 0, false
		}
		return o.Errno, true
	case <-time.After(5 * time.Second):
		return 0, false
	}
}

// fdReturning are the calls asked about that return a descriptor.
var fdReturning = map[uintptr]bool{
	sysOpen: true, unix.SYS_OPENAT: true, unix.SYS_OPENAT2: true, unix.SYS_OPEN_BY_HANDLE_AT: true,
	unix.SYS_FSOPEN: true, unix.SYS_FSMOUNT: true, unix.SYS_SOCKET: true, unix.SYS_BPF: true,
	unix.SYS_PERF_EVENT_OPEN: true, unix.SYS_IO_URING_SETUP: true,
}

// asking is a variant's question to the filter about its own call
// (variant.ask), for the calls that are harmless should they run on the
// discarded thread anyway (no clone: a copy of the Go runtime would run).
func asking(nr uintptr, args [6]uintptr, keep ...any) func() (syscall.Errno, bool) {
	return func() (syscall.Errno, bool) { return filterAnswerKeep(nr, args, keep...) }
}
