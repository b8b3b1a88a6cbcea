//go:build linux

package probe

import (
	"slices"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
)

// variant is one way to make a path's call. An attacker picks the one a
// filter lets through, so a path whose model lists several calls tries
// each: a filter that refuses unshare but not clone has not closed the
// path.
type variant struct {
	name   string // short, for evidence ("clone3")
	run    func(*env) attack.Outcome
	canary func() syscall.Errno
	// ask, when set, asks the filter itself about the variant's call
	// (filterAnswer): exact where a canary's changed argument could be
	// told apart, and possible where no canary exists. The canary is the
	// fallback where the filter cannot be asked.
	ask func() (syscall.Errno, bool)
}

// anyVariant tries every variant; the first open one is the verdict.
// When all are refused, the verdict is the refusal that got furthest
// into the kernel: the first whose canary shows the seccomp filter let
// it through (a later layer refused it, and that layer closes the path),
// else the first refusal (the filter refused every variant). want is the
// errno every variant's canary gets from the kernel itself. A variant
// without a canary attributes its own refusal (sets CanaryErrno). The
// outcome names its variant and the ones the filter refused before it.
func anyVariant(e *env, want syscall.Errno, vs ...variant) attack.Outcome {
	var outs []attack.Outcome
	var filtered []string
	for _, v := range vs {
		o := v.run(e)
		o.Variant = v.name
		if o.Open {
			o.Filtered = filtered
			return o
		}
		if v.ask != nil && o.CanaryErrno == nil && o.Absent == "" && e.state.Seccomp == 2 && o.Errno != unix.ENOSYS {
			o = recordAnswer(o, want, v.ask)
		}
		if v.canary != nil && o.CanaryErrno == nil {
			o = stepCanary(e, o, v.canary)
		}
		outs = append(outs, o)
		if !passedFilter(e, o, want) {
			filtered = append(filtered, v.name)
		}
	}
	// A variant that does not exist here (no i386 code in this kernel, no
	// user namespace to join) is no way in, and no layer closed it: the
	// verdict is the existing variants', unless none exists.
	var missing []string
	for _, o := range outs {
		if o.Absent != "" {
			missing = append(missing, o.Variant+" ("+o.Absent+")")
		}
	}
	for i, o := range outs {
		if o.Absent == "" && passedFilter(e, o, want) {
			if len(filtered) > 0 {
				outs[i].Step += "; refused by the filter: " + strings.Join(filtered, ", ")
				outs[i].Filtered = filtered
			}
			return outs[i]
		}
	}
	// A variant the filter let through found the feature missing from
	// the kernel: the variants the filter refused are no more there. The
	// kernel closes every one, the filter only some. (Where the filter
	// refuses them all, none reaches the kernel: the filter decides.)
	if i := slices.IndexFunc(outs, func(o attack.Outcome) bool { return o.Unbuilt }); i >= 0 {
		o := outs[i]
		o.Filtered, o.Missing = filtered, nil
		for j, other := range outs {
			if j != i && other.Absent != "" {
				o.Missing = append(o.Missing, other.Variant+" ("+other.Absent+")")
			}
		}
		return o
	}
	first := slices.IndexFunc(outs, func(o attack.Outcome) bool { return o.Absent == "" })
	if first < 0 {
		// none exists here: the first says why, the rest are named
		o := outs[0]
		o.Missing = missing[1:]
		return o
	}
	o := outs[first]
	if len(filtered) > 1 {
		o.Step += "; every variant refused alike: " + strings.Join(filtered, ", ")
	}
	if len(filtered) > 1 || len(missing) > 0 {
		o.Filtered, o.Missing = filtered, missing
	}
	return o
}

// passedFilter says an outcome came from past the seccomp filter: the
// call worked, there is no filter, or the call's canary got an answer
// the filter did not give (Attribute's seccomp test, negated). Without a
// canary answer under a filter it is unproven.
func passedFilter(e *env, o attack.Outcome, want syscall.Errno) bool {
	if o.Open || o.Absent != "" || e.state.Seccomp != 2 {
		return true
	}
	return o.CanaryErrno != nil && (*o.CanaryErrno != o.Errno || o.Errno == want)
}

// pastFilter is the verdict on a call that no harmless argument carries
// past its permission check, inferred from the kernel's order: the
// call's canary got the kernel's own answer (canary), so the seccomp
// filter lets the call through, and the kernel's next check is the
// capability, which held says CapEff passes. Nothing is called for
// real; the result says it is inferred and why.
func pastFilter(step, why string, canary syscall.Errno, held bool) attack.Outcome {
	if held {
		o := open(step, "not called; "+why)
		o.Inferred = why
		return o
	}
	// EPERM: what the capability check returns.
	return attack.Outcome{Errno: unix.EPERM, Step: step, CanaryErrno: &canary, Inferred: why}
}

// rawCall is a system call a forked child makes: the number, then six
// arguments.
type rawCall [7]uintptr

// forkRun makes a fork-style call (clone or clone3: trap, a1, a2) and,
// in the child it creates, makes up to n calls in order, then exits: 0
// when all succeed, else 128*i + errno of the first that fails (errnos
// stay below 128). The parent gets the child's pid and the call's errno.
//
// The child is a copy of this multi-threaded Go process with only the
// calling thread: it must make raw system calls and nothing else, hence
// nosplit (no stack growth), norace and no allocation. forkWait blocks
// every signal first, so no Go signal handler can run in it.
//
//go:norace
//go:nosplit
func forkRun(trap, a1, a2 uintptr, calls *[2]rawCall, n int) (uintptr, syscall.Errno) {
	pid, _, errno := unix.RawSyscall(trap, a1, a2, 0)
	if errno != 0 || pid != 0 {
		return pid, errno
	}
	code := uintptr(0)
	for i := 0; i < n && i < len(calls); i++ {
		c := &calls[i]
		if _, _, e := unix.RawSyscall6(c[0], c[1], c[2], c[3], c[4], c[5], c[6]); e != 0 {
			code = uintptr(i)*128 + uintptr(e)
			break
		}
	}
	unix.RawSyscall(unix.SYS_EXIT_GROUP, code, 0, 0)
	return 0, 0
}

// forkWait runs forkRun on a discarded thread with every signal blocked
// and reaps the child. status is its exit status, -1 when the call made
// no child, the child did not exit normally or could not be reaped. arg, when set, is a1 (a
// pointer, kept as one until the call: the caller's stack may move).
func forkWait(trap, a1 uintptr, arg unsafe.Pointer, a2 uintptr, calls *[2]rawCall, n int) (status int, errno syscall.Errno) {
	status = -1
	onThread(func() attack.Outcome {
		if arg != nil {
			a1 = uintptr(arg)
		}
		var all, old unix.Sigset_t
		for i := range all.Val {
			all.Val[i] = ^uint64(0)
		}
		const setSize = 8 // the kernel's sigset_t
		unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), setSize, 0, 0)
		var pid uintptr
		pid, errno = forkRun(trap, a1, a2, calls, n)
		unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, setSize, 0, 0)
		if errno != 0 {
			return attack.Outcome{}
		}
		var ws unix.WaitStatus
		for {
			_, err := unix.Wait4(int(pid), &ws, 0, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				// A refused wait (a filter without wait4) leaves ws
				// zero, which reads as "exited 0": the call worked. The
				// child's fate is unknown, so it is no evidence at all.
				return attack.Outcome{}
			}
			break
		}
		if ws.Exited() {
			status = ws.ExitStatus()
		}
		return attack.Outcome{}
	})
	return status, errno
}

// cloneArgs is struct clone_args as first published
// (CLONE_ARGS_SIZE_VER0, 64 bytes).
type cloneArgs struct {
	Flags, Pidfd, ChildTID, ParentTID, ExitSignal, Stack, StackSize, TLS uint64
}

// forkClone3 is clone3 through forkRun, the child exiting at once.
func forkClone3(args *cloneArgs) syscall.Errno {
	_, errno := forkWait(unix.SYS_CLONE3, 0, unsafe.Pointer(args), unsafe.Sizeof(*args), nil, 0)
	return errno
}

// cloneCanary repeats clone(flags) with CLONE_FS added: copy_process
// refuses CLONE_NEWNS|CLONE_FS and CLONE_NEWUSER|CLONE_FS with EINVAL as
// its first checks, before anything is copied or any capability is
// checked. A filter that tests the namespace bits sees the same call.
func cloneCanary(flags uintptr) func() syscall.Errno {
	return func() syscall.Errno {
		_, errno := forkWait(unix.SYS_CLONE, flags|unix.CLONE_FS, nil, 0, nil, 0)
		return errno
	}
}

// recordAnswer asks the filter about a refused call (ENOSYS excepted: a
// filter's fallback answer looks like an allow to the net) and records
// the answer as the call's canary: the refusal's errno when the filter
// gave it, want (the kernel's own answer) when it let the call through.
func recordAnswer(o attack.Outcome, want syscall.Errno, ask func() (syscall.Errno, bool)) attack.Outcome {
	a, ok := ask()
	if !ok {
		return o
	}
	c := a
	o.FilterAsked = "the seccomp filter, asked about the same call without running it, refuses it with " + unix.ErrnoName(a)
	if a == unix.ENOSYS {
		c = want
		o.FilterAsked = "the seccomp filter, asked about the same call without running it, lets it through"
	}
	o.CanaryErrno = &c
	return o
}
