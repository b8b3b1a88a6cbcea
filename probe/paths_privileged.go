//go:build linux

package probe

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// Privileged paths: what root in a container does with the capabilities
// and syscalls a runtime leaves it. Each probe makes the call with
// arguments the kernel refuses after its permission check, or does it
// where it dies with a discarded thread or child.

// badAddr is in the kernel's half of the address space: access_ok fails
// on it, so any copy from it is EFAULT, whatever it points to.
const badAddr = ^uintptr(0) &^ 0xfff

var _ = register("packet-socket", prober{
	run: func(e *env) attack.Outcome {
		return socketPath(e, unix.AF_PACKET, []int{unix.SOCK_RAW, unix.SOCK_DGRAM}, int(linuxabi.Htons(unix.ETH_P_ALL)), "packet socket")
	},
})

var _ = register("mount-tmpfs", prober{
	run: func(e *env) attack.Outcome {
		return mountPath(e, "rampart-probe", "tmpfs", "size=4k", "a 4 KiB tmpfs")
	},
})

var _ = register("cgroup-mount", prober{
	run: func(e *env) attack.Outcome {
		// A name of its own: hierarchies are global, and one of the same
		// name that another probe's mount left dying makes the kernel
		// restart the mount, which fsconfig cannot (EBUSY).
		name := fmt.Sprintf("rampart-probe-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
		return mountPath(e, "cgroup", "cgroup", "none,name="+name, "an empty named cgroup v1 hierarchy")
	},
})

const privStep = `mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL)`

// mountPath tries both ways to mount fstype, mount(2) and the new mount
// API: a filter that refuses one has not closed the path, and the
// layer that closes the path is the one that closes both.
func mountPath(e *env, source, fstype, data, what string) attack.Outcome {
	return anyVariant(e, unix.EINVAL,
		variant{name: "mount(2)", run: func(e *env) attack.Outcome { return mountSyscall(e, source, fstype, data, what) }},
		variant{name: newMountAPIName, run: func(e *env) attack.Outcome { return newMountAPI(e, fstype, data, what) }},
	)
}

// mountSyscall mounts fstype where the mount cannot outlive the probe:
// in a private mount namespace of a discarded thread (unshare) or, where
// a filter refuses unshare, of a child that exits (clone), the way an
// attacker would get past such a filter. With neither, it mounts nothing
// and decides from the mount canary.
func mountSyscall(e *env, source, fstype, data, what string) attack.Outcome {
	target := "/tmp"
	if fi, err := os.Stat(target); err != nil || !fi.IsDir() {
		target = "/"
	}
	step := fmt.Sprintf("mount(%q, %q, %q, 0, %q)", source, target, fstype, data)
	viaUnshare, inNS := unshareMount(e, source, target, fstype, data, step, what)
	if inNS {
		return viaUnshare
	}
	viaClone, inNS := cloneMount(e, source, target, fstype, data, step, what)
	if inNS {
		return viaClone
	}
	return withoutNamespace(e, step, viaUnshare, viaClone)
}

// unshareMount mounts on a discarded thread inside a mount namespace
// only that thread sees; inNS says unshare succeeded.
func unshareMount(e *env, source, target, fstype, data, step, what string) (o attack.Outcome, inNS bool) {
	o = onThread(func() attack.Outcome {
		const nsStep = "unshare(CLONE_NEWNS) on a discarded thread"
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			return stepCanary(e, refused(nsStep, err), func() syscall.Errno {
				return errnoOf(unix.Unshare(unix.CLONE_NEWNS | 0x1))
			})
		}
		inNS = true
		// A shared "/" would carry the mount below back to the host's
		// namespace: nothing is mounted unless this succeeds.
		privErr := errnoOf(mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""))
		var mntErr syscall.Errno
		if privErr == 0 {
			if mntErr = errnoOf(mount(source, target, fstype, 0, data)); mntErr == 0 {
				unix.Unmount(target, unix.MNT_DETACH)
			}
		}
		return mountOutcome(e, privErr, mntErr, step, what+" mounted in a private mount namespace of a discarded thread, then unmounted")
	})
	return o, inNS
}

// cloneMount forks a child into a new mount namespace, which makes "/"
// private and mounts with raw calls (forkRun) and exits, taking the
// namespace and the mount with it; inNS says clone succeeded.
func cloneMount(e *env, source, target, fstype, data, step, what string) (attack.Outcome, bool) {
	const nsStep = "clone(CLONE_NEWNS|SIGCHLD) for a child that mounts and exits"
	const flags = unix.CLONE_NEWNS | uintptr(unix.SIGCHLD)
	root, src, tgt, typ, dat := cstr("/"), cstr(source), cstr(target), cstr(fstype), cstr(data)
	p := func(b *byte) uintptr { return uintptr(unsafe.Pointer(b)) }
	calls := &[2]rawCall{
		{unix.SYS_MOUNT, 0, p(root), 0, unix.MS_REC | unix.MS_PRIVATE, 0, 0},
		{unix.SYS_MOUNT, p(src), p(tgt), p(typ), 0, p(dat), 0},
	}
	status, errno := forkWait(unix.SYS_CLONE, flags, nil, 0, calls, 2)
	runtime.KeepAlive([]*byte{root, src, tgt, typ, dat})
	if errno != 0 {
		return stepCanary(e, refused(nsStep, errno), cloneCanary(flags)), false
	}
	var privErr, mntErr syscall.Errno
	switch {
	case status < 0:
		return attack.Outcome{Errno: unix.ECHILD, Step: nsStep, Detail: "the child did not exit normally"}, true
	case status >= 128:
		mntErr = syscall.Errno(status - 128)
	default:
		privErr = syscall.Errno(status)
	}
	return mountOutcome(e, privErr, mntErr, step, what+" mounted in the private mount namespace of a child, which then exited"), true
}

// mountOutcome reads the two steps made inside a private mount
// namespace: making "/" private, then the mount.
func mountOutcome(e *env, privErr, mntErr syscall.Errno, step, detail string) attack.Outcome {
	switch {
	case privErr == unix.EINVAL:
		// do_change_type runs after may_mount and the LSM hook.
		return open(privStep, "EINVAL after the CAP_SYS_ADMIN check (/ is not a mount point here, so the probe stops before mounting): permitted")
	case privErr != 0:
		return stepCanary(e, mountRefused(privStep, privErr), mountCanary(unix.MS_REC|unix.MS_PRIVATE))
	case mntErr != 0:
		return stepCanary(e, mountRefused(step, mntErr), mountCanary(0))
	}
	return open(step, detail)
}

// withoutNamespace decides a mount path where neither unshare nor clone
// made a private mount namespace, so nothing was mounted. The workload
// needs none (it mounts in its own), so the question is the mount's:
// its canary says whether the filter refuses mount; past the filter, a
// namespace step the kernel refused made the CAP_SYS_ADMIN check may_mount
// makes, over the same user namespace; only where the filter refused
// both namespace steps is the verdict inferred from CapEff.
func withoutNamespace(e *env, step string, tries ...attack.Outcome) attack.Outcome {
	if e.state.Seccomp == 2 {
		if c := mountCanary(0)(); c != 0 && c != unix.EINVAL {
			return attack.Outcome{Errno: c, CanaryErrno: &c,
				Step: "mount(NULL, \"\", <type longer than PATH_MAX>, 0, NULL), the canary of " + step +
					"; nothing mounted: neither unshare(CLONE_NEWNS) nor clone(CLONE_NEWNS) made a private namespace"}
		}
	}
	for i, o := range tries {
		if passedFilter(e, o, unix.EINVAL) {
			if i > 0 && !passedFilter(e, tries[0], unix.EINVAL) {
				o.Step += "; unshare(CLONE_NEWNS) refused by the filter"
			}
			return o
		}
	}
	held := caps.Of(caps.SYS_ADMIN).Minus(e.state.Status.CapEff) == 0
	return pastFilter(step+" not made", "the filter refused unshare(CLONE_NEWNS) and clone(CLONE_NEWNS), so the probe made no mount; "+
		"mount passes the filter (its canary got EINVAL from copy_mount_string), and path_mount then checks the LSM hook and CAP_SYS_ADMIN (may_mount)",
		unix.EINVAL, held)
}

// newMountAPIName names the new mount API's route as the model does.
const newMountAPIName = "fsopen+fsconfig+fsmount"

// newMountAPI makes fstype the new mount API's way (Linux 5.2): fsopen,
// fsconfig with data's options, FSCONFIG_CMD_CREATE, fsmount. The mount
// fsmount returns is detached: in no namespace's tree, reachable only
// through its fd, which is closed at once, and that dissolves it. No
// mount namespace of the probe's own is needed, and nothing propagates.
// fsopen and fsmount check CAP_SYS_ADMIN before anything else (may_mount),
// so no canary exists for them: a refusal is attributed by asking the
// filter (filterAnswer).
func newMountAPI(e *env, fstype, data, what string) attack.Outcome {
	return newMountAPIRetry(e, fstype, data, what, 20)
}

func newMountAPIRetry(e *env, fstype, data, what string, retry int) attack.Outcome {
	name := cstr(fstype)
	defer runtime.KeepAlive(name)
	step := fmt.Sprintf("fsopen(%q, FSOPEN_CLOEXEC)", fstype)
	fd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		o := refused(step, err)
		if o.Errno == unix.ENOSYS && !features.KernelAtLeast(5, 2) {
			return attack.Outcome{Errno: unix.ENOSYS, Step: step, Absent: "this kernel has no new mount API (fsopen: ENOSYS; Linux 5.2)"}
		}
		if o.Errno == unix.EPERM {
			o.Detail = "fsopen checks CAP_SYS_ADMIN over the mount namespace's owner (may_mount) before anything else"
		}
		return askFilter(e, o, unix.EINVAL, unix.SYS_FSOPEN, [6]uintptr{uintptr(unsafe.Pointer(name)), unix.FSOPEN_CLOEXEC})
	}
	defer unix.Close(fd)
	for _, opt := range strings.Split(data, ",") {
		if opt == "" {
			continue
		}
		k, v, isString := strings.Cut(opt, "=")
		key, val := cstr(k), cstr(v)
		cmd, step := uintptr(unix.FSCONFIG_SET_FLAG), fmt.Sprintf("fsconfig(fd, FSCONFIG_SET_FLAG, %q)", k)
		if isString {
			cmd, step = unix.FSCONFIG_SET_STRING, fmt.Sprintf("fsconfig(fd, FSCONFIG_SET_STRING, %q, %q)", k, v)
		}
		args := [6]uintptr{uintptr(fd), cmd, uintptr(unsafe.Pointer(key)), uintptr(unsafe.Pointer(val))}
		_, _, errno := unix.Syscall6(unix.SYS_FSCONFIG, args[0], args[1], args[2], args[3], 0, 0)
		runtime.KeepAlive(key)
		runtime.KeepAlive(val)
		if errno != 0 {
			return askFilter(e, refused(step, errno), unix.EINVAL, unix.SYS_FSCONFIG, args)
		}
	}
	const createStep = "fsconfig(fd, FSCONFIG_CMD_CREATE)"
	if err := unix.FsconfigCreate(fd); err != nil {
		if errors.Is(err, unix.EBUSY) && retry > 0 {
			// A filesystem that asks for a restart (cgroup v1 while a
			// hierarchy of the same name dies) fails the context, and the
			// restarted fsconfig sees EBUSY: a fresh context, as mount(2)
			// would restart. (This one is closed by the deferred Close.)
			time.Sleep(10 * time.Millisecond)
			return newMountAPIRetry(e, fstype, data, what, retry-1)
		}
		return askFilter(e, refused(createStep, err), unix.EINVAL, unix.SYS_FSCONFIG, [6]uintptr{uintptr(fd), unix.FSCONFIG_CMD_CREATE})
	}
	const mountStep = "fsmount(fd, FSMOUNT_CLOEXEC, 0)"
	mfd, err := unix.Fsmount(fd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return askFilter(e, refused(mountStep, err), unix.EINVAL, unix.SYS_FSMOUNT, [6]uintptr{uintptr(fd), unix.FSMOUNT_CLOEXEC})
	}
	unix.Close(mfd)
	return open(step+", fsconfig, "+mountStep, what+" made through the new mount API and mounted detached (fsmount); its fd closed, which dissolved it: never attached anywhere")
}

// askFilter attributes a refusal no canary can speak for by asking the
// filter itself (filterAnswer) about the same call: its answer is
// recorded as the step's canary: the refusal's errno when the filter
// gave it, want (the path's canaryErrno, the kernel's own answer) when
// it let the call through.
func askFilter(e *env, o attack.Outcome, want syscall.Errno, nr uintptr, args [6]uintptr) attack.Outcome {
	if o.Open || o.Absent != "" || e.state.Seccomp != 2 || o.CanaryErrno != nil {
		return o
	}
	if o.Errno == unix.ENOSYS {
		// The kernel has the call (the caller ruled an old kernel out):
		// the ENOSYS is a filter's, sending libc to a fallback.
		c := o.Errno
		o.CanaryErrno, o.FilterAsked = &c, "the kernel has this call, so ENOSYS is the seccomp filter's answer"
		return o
	}
	return recordAnswer(o, want, func() (syscall.Errno, bool) { return filterAnswer(nr, args) })
}

// mountRefused explains an EPERM from mount after unshare(CLONE_NEWNS)
// or clone(CLONE_NEWNS) passed, which proves CAP_SYS_ADMIN: path_mount
// calls the LSM hook (security_sb_mount) before may_mount, and a
// Landlock domain refuses every mount there.
func mountRefused(step string, err syscall.Errno) attack.Outcome {
	o := refused(step, err)
	if o.Errno == unix.EPERM {
		o.Detail = "EPERM after the new mount namespace passed the CAP_SYS_ADMIN check: an LSM's mount hook refused it " +
			"(a Landlock domain refuses every mount; AppArmor by its mount rules), unless a seccomp filter did"
	}
	return o
}

// mount is mount(2) with NULL for empty strings, as C callers pass them.
func mount(source, target, fstype string, flags uintptr, data string) error {
	src, tgt, typ, dat := cstr(source), cstr(target), cstr(fstype), cstr(data)
	_, _, e := unix.Syscall6(unix.SYS_MOUNT, uintptr(unsafe.Pointer(src)), uintptr(unsafe.Pointer(tgt)),
		uintptr(unsafe.Pointer(typ)), flags, uintptr(unsafe.Pointer(dat)), 0)
	if e != 0 {
		return e
	}
	return nil
}

func cstr(s string) *byte {
	if s == "" {
		return nil
	}
	p, err := unix.BytePtrFromString(s)
	if err != nil {
		return nil
	}
	return p
}

// overlongType is longer than PATH_MAX: copy_mount_string fails on it
// with EINVAL before the mount syscall looks at anything else. Built when
// a canary first runs: most processes that link the catalog probe nothing.
var overlongType = sync.OnceValue(func() []byte {
	return append([]byte(strings.Repeat("x", 2*unix.PathMax)), 0)
})

// mountCanary repeats a mount with the same flags onto "" with a type the
// kernel cannot copy: it can never mount anything.
func mountCanary(flags uintptr) func() syscall.Errno {
	return func() syscall.Errno {
		empty, typ := []byte{0}, overlongType()
		_, _, e := unix.Syscall6(unix.SYS_MOUNT, 0, uintptr(unsafe.Pointer(&empty[0])),
			uintptr(unsafe.Pointer(&typ[0])), flags, 0, 0)
		return e
	}
}

var _ = register("setns-host", prober{
	run: func(e *env) attack.Outcome {
		const path = "/proc/1/ns/net"
		const openStep = `openat(AT_FDCWD, "/proc/1/ns/net", O_RDONLY|O_CLOEXEC)`
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, unix.ENOENT) {
				return attack.Outcome{Errno: unix.ENOENT, Step: openStep, Absent: path + " does not exist here (no procfs or no network namespaces)"}
			}
			o := refused(openStep, err)
			o.Detail = "pid 1's namespace files need ptrace read access to pid 1"
			// Holding CAP_SYS_PTRACE in the initial user namespace passes the
			// capability part of ptrace_may_access, and the ns open turns any
			// refusal into EACCES: an LSM's ptrace rule refused it. Blaming
			// the capability setns checks later would be wrong.
			if errors.Is(err, unix.EACCES) && caps.Of(caps.SYS_PTRACE).Minus(e.state.Status.CapEff) == 0 &&
				initialUserNS() && !e.state.AppArmorConfined() {
				o.Absent = "pid 1's namespace files are closed to us (EACCES) although CapEff holds CAP_SYS_PTRACE: " +
					"an LSM's ptrace rule protects pid 1 (Landlock outside our domain, or a BPF LSM on this host)"
				return o
			}
			// The seed's open canary: __O_TMPFILE without O_DIRECTORY is
			// EINVAL in build_open_flags, before the lookup.
			return stepCanary(e, o, func() syscall.Errno {
				fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|oTmpfileBit, 0)
				if err == nil {
					unix.Close(fd)
				}
				return errnoOf(err)
			})
		}
		defer unix.Close(fd)
		const step = "setns(fd of /proc/1/ns/net, CLONE_NEWNET) on a discarded thread"
		o := onThread(func() attack.Outcome {
			if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
				return refused(step, err)
			}
			return attack.Outcome{Open: true, Step: step}
		})
		if o.Open {
			var whose string
			switch {
			case e.state.Namespaces["pid"] != "host":
				whose = "this pid namespace's init, not the host's (no escape here, but the CAP_SYS_ADMIN check passed)"
			case e.state.Namespaces["net"] == "host":
				whose = "the host's init, whose network namespace we already share"
			default:
				whose = "the host's init: the host's network namespace"
			}
			o.Detail = "a discarded thread entered the network namespace of pid 1, " + whose
			return o
		}
		return stepCanary(e, o, setnsCanary)
	},
})

// setnsCanary passes the same flags with a directory's fd: setns finds it
// is neither a namespace file nor a pidfd and returns EINVAL before
// prepare_nsset or any capability check. 0: no fd to try with.
func setnsCanary() syscall.Errno {
	fd, err := unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(fd)
	return onThread(func() attack.Outcome {
		return attack.Outcome{Errno: errnoOf(unix.Setns(fd, unix.CLONE_NEWNET))}
	}).Errno
}

var _ = register("chroot", prober{
	child: func() attack.Outcome {
		const step = `chroot("/") in a child process`
		if err := unix.Chroot("/"); err != nil {
			return refused(step, err)
		}
		return open(step, "root set to / (unchanged) in a child that then exited")
	},
	canary: func() syscall.Errno {
		_, _, e := unix.Syscall(unix.SYS_CHROOT, badAddr, 0, 0)
		return e
	},
})

var _ = register("pivot-root", prober{
	run: func(e *env) attack.Outcome {
		const step = `pivot_root("", "")`
		err := unix.PivotRoot("", "")
		switch {
		case err == nil:
			// An empty path cannot resolve; kept only so success is never hidden.
			return open(step, "pivot_root returned 0")
		case errors.Is(err, unix.ENOENT):
			return open(step, "ENOENT after the CAP_SYS_ADMIN check (may_mount): capabilities and seccomp permit it; the empty paths stopped it before the LSM hook")
		}
		return askFilter(e, heldCanary(e, refused(step, err), caps.Of(caps.SYS_ADMIN)), unix.ENOENT,
			unix.SYS_PIVOT_ROOT, [6]uintptr{uintptr(unsafe.Pointer(&emptyCString[0])), uintptr(unsafe.Pointer(&emptyCString[0]))})
	},
})

// invalidMagic2 is none of LINUX_REBOOT_MAGIC2, 2A, 2B, 2C: reboot
// returns EINVAL on it and never reaches the command.
const invalidMagic2 = 0

var _ = register("reboot", prober{
	run: func(e *env) attack.Outcome {
		const step = "reboot(LINUX_REBOOT_MAGIC1, 0 /* invalid magic2 */, LINUX_REBOOT_CMD_CAD_OFF, NULL)"
		_, _, errno := unix.Syscall6(unix.SYS_REBOOT, unix.LINUX_REBOOT_MAGIC1, invalidMagic2, unix.LINUX_REBOOT_CMD_CAD_OFF, 0, 0, 0)
		switch errno {
		case unix.EINVAL:
			return open(step, "EINVAL after the CAP_SYS_BOOT check: permitted (the invalid magic stopped it)")
		case 0:
			return open(step, "reboot returned 0 for an invalid magic")
		}
		return askFilter(e, heldCanary(e, refused(step, errno), caps.Of(caps.SYS_BOOT)), unix.EINVAL,
			unix.SYS_REBOOT, [6]uintptr{unix.LINUX_REBOOT_MAGIC1, invalidMagic2, unix.LINUX_REBOOT_CMD_CAD_OFF})
	},
})

var _ = register("set-clock", prober{
	run: func(e *env) attack.Outcome {
		// RuntimeDefault refuses settimeofday without CAP_SYS_TIME but
		// allows adjtimex: the capability closes the path, not the filter.
		o := anyVariant(e, unix.EFAULT,
			variant{name: "settimeofday", run: func(*env) attack.Outcome {
				const step = "settimeofday(NULL, NULL)"
				if _, _, errno := unix.Syscall(unix.SYS_SETTIMEOFDAY, 0, 0, 0); errno != 0 {
					return refused(step, errno)
				}
				return open(step, "passed the CAP_SYS_TIME check; with no time given, nothing changed")
			}, canary: func() syscall.Errno {
				_, _, e := unix.Syscall(unix.SYS_SETTIMEOFDAY, badAddr, 0, 0)
				return e
			}},
			variant{name: "adjtimex", run: func(*env) attack.Outcome {
				tx := unix.Timex{Modes: unix.ADJ_TICK}
				_, err := unix.Adjtimex(&tx)
				return adjTickOutcome("adjtimex({modes: ADJ_TICK, tick: 0})", err)
			}, canary: func() syscall.Errno {
				_, _, e := unix.Syscall(unix.SYS_ADJTIMEX, badAddr, 0, 0)
				return e
			}},
			variant{name: "clock_adjtime", run: func(*env) attack.Outcome {
				tx := unix.Timex{Modes: unix.ADJ_TICK}
				_, err := unix.ClockAdjtime(unix.CLOCK_REALTIME, &tx)
				return adjTickOutcome("clock_adjtime(CLOCK_REALTIME, {modes: ADJ_TICK, tick: 0})", err)
			}, canary: func() syscall.Errno {
				_, _, e := unix.Syscall(unix.SYS_CLOCK_ADJTIME, unix.CLOCK_REALTIME, badAddr, 0)
				return e
			}},
		)
		if passedFilter(e, o, unix.EFAULT) {
			return o
		}
		// Every call above was the filter's to refuse; clock_settime may
		// still pass it.
		_, _, c := unix.Syscall(unix.SYS_CLOCK_SETTIME, unix.CLOCK_REALTIME, badAddr, 0)
		if c != unix.EFAULT {
			return o
		}
		held := caps.Of(caps.SYS_TIME).Minus(e.state.Status.CapEff) == 0 && initialUserNS()
		return pastFilter("clock_settime(CLOCK_REALTIME, ...) not called; "+o.Step,
			"clock_settime passes the filter (its canary got EFAULT from the kernel), and do_sys_settimeofday64 then checks CAP_SYS_TIME in the initial user namespace (security_settime64)",
			c, held)
	},
})

// adjTickOutcome reads adjtimex's answer to a tick of 0: EINVAL comes
// after timekeeping_validate_timex's CAP_SYS_TIME check.
func adjTickOutcome(step string, err error) attack.Outcome {
	switch {
	case errors.Is(err, unix.EINVAL):
		return open(step, "EINVAL after the CAP_SYS_TIME check: permitted (the invalid tick stopped it before anything changed)")
	case err == nil:
		// Every kernel since 1.x refuses this tick; kept so that success
		// is never hidden.
		return open(step, "returned 0 for a tick of 0")
	}
	return refused(step, err)
}

var _ = register("kernel-module", prober{
	run: func(e *env) attack.Outcome {
		empty := &emptyCString[0]
		return anyVariant(e, unix.ENOEXEC,
			variant{name: "init_module", run: initModule, ask: asking(unix.SYS_INIT_MODULE, [6]uintptr{0, 0, uintptr(unsafe.Pointer(empty))}, empty)},
			variant{name: "finit_module", run: finitModule, ask: asking(unix.SYS_FINIT_MODULE, [6]uintptr{^uintptr(0), uintptr(unsafe.Pointer(empty))}, empty)},
		)
	},
})

// emptyCString is "" for C: package-level, so its address never moves.
var emptyCString = [1]byte{}

// noModules says, for an ENOSYS from a module call, whether the kernel
// has no module support rather than a filter's fallback answer.
func noModules(step string, err error) (attack.Outcome, bool) {
	return unbuilt(step, err, "/proc/modules", "loadable module support")
}

// unbuilt says, for an ENOSYS, whether the kernel was built without the
// feature (procFile, which the feature makes, is missing) rather than a
// filter answering ENOSYS to send callers to a fallback.
func unbuilt(step string, err error, procFile, feature string) (attack.Outcome, bool) {
	if !errors.Is(err, unix.ENOSYS) {
		return attack.Outcome{}, false
	}
	if _, serr := os.Stat(procFile); serr == nil {
		return attack.Outcome{}, false
	}
	return attack.Outcome{Errno: unix.ENOSYS, Step: step, Unbuilt: true,
		Absent: "this kernel has no " + feature + " (" + step + ": ENOSYS, no " + procFile + ")"}, true
}

func initModule(e *env) attack.Outcome {
	const step = `init_module(buf, 0, "")`
	err := unix.InitModule(nil, "")
	switch {
	case err == nil:
		return open(step, "init_module returned 0 for an empty image")
	case errors.Is(err, unix.ENOEXEC), errors.Is(err, unix.EINVAL), errors.Is(err, unix.EFAULT):
		return open(step, unix.ErrnoName(errnoOf(err))+" after the CAP_SYS_MODULE check (may_init_module): permitted; the empty image was refused")
	}
	if o, ok := noModules(step, err); ok {
		return o
	}
	return moduleRefused(e, refused(step, err))
}

func finitModule(e *env) attack.Outcome {
	const step = `finit_module(-1, "", 0)`
	_, _, errno := unix.Syscall(unix.SYS_FINIT_MODULE, ^uintptr(0), uintptr(unsafe.Pointer(&emptyCString[0])), 0)
	switch errno {
	case unix.EBADF:
		return open(step, "EBADF after the CAP_SYS_MODULE check (may_init_module): permitted; fd -1 was refused, nothing read")
	case 0:
		return open(step, "finit_module returned 0 for fd -1")
	}
	if o, ok := noModules(step, errno); ok {
		return o
	}
	return moduleRefused(e, refused(step, errno))
}

// moduleRefused explains a module call's refusal: the sysctl that closes
// loading until reboot, else the call as its own canary where the
// capability is held (heldCanary).
func moduleRefused(e *env, o attack.Outcome) attack.Outcome {
	if e.state.Sysctls["kernel.modules_disabled"] == "1" {
		o.Detail = "kernel.modules_disabled=1: no module loads until reboot"
		return o
	}
	return heldCanary(e, o, caps.Of(caps.SYS_MODULE))
}

// bpfInsn is struct bpf_insn; the register nibbles are both 0 here.
type bpfInsn struct {
	Code uint8
	Regs uint8
	Off  int16
	Imm  int32
}

// bpfProgLoad is the head of union bpf_attr for BPF_PROG_LOAD; the kernel
// zero-fills the fields after it.
type bpfProgLoad struct {
	ProgType    uint32
	InsnCnt     uint32
	Insns       uint64
	License     uint64
	LogLevel    uint32
	LogSize     uint32
	LogBuf      uint64
	KernVersion uint32
	ProgFlags   uint32
}

// r0 = 0; exit: a socket filter that drops everything. Package-level, so
// the addresses stored in the attribute never move.
var (
	bpfReturn0 = [2]bpfInsn{
		{Code: unix.BPF_ALU64 | unix.BPF_MOV | unix.BPF_K},
		{Code: unix.BPF_JMP | unix.BPF_EXIT},
	}
	bpfLicense = [4]byte{'G', 'P', 'L', 0}
)

var _ = register("bpf-load", prober{
	run: func(e *env) attack.Outcome {
		var vs []variant
		for _, cmd := range []uintptr{unix.BPF_PROG_LOAD, 1<<32 | unix.BPF_PROG_LOAD} {
			name, step := "bpf(BPF_PROG_LOAD)", "bpf(BPF_PROG_LOAD, {SOCKET_FILTER, r0 = 0; exit, \"GPL\"})"
			if cmd>>32 != 0 {
				name, step = "bpf(BPF_PROG_LOAD with bit 32 set)", "bpf(1<<32|BPF_PROG_LOAD, {SOCKET_FILTER, r0 = 0; exit, \"GPL\"})"
			}
			attr := &bpfProgLoad{
				ProgType: unix.BPF_PROG_TYPE_SOCKET_FILTER,
				InsnCnt:  uint32(len(bpfReturn0)),
				Insns:    uint64(uintptr(unsafe.Pointer(&bpfReturn0[0]))),
				License:  uint64(uintptr(unsafe.Pointer(&bpfLicense[0]))),
			}
			vs = append(vs, variant{name: name, run: func(*env) attack.Outcome {
				fd, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(unsafe.Pointer(attr)), unsafe.Sizeof(*attr))
				if errno != 0 {
					return refused(step, errno)
				}
				unix.Close(int(fd))
				return open(step, "socket filter loaded and its fd closed; never attached")
			}, canary: func() syscall.Errno {
				fd, _, e := unix.Syscall(unix.SYS_BPF, cmd, badAddr, unsafe.Sizeof(bpfProgLoad{}))
				if e == 0 {
					unix.Close(int(fd))
				}
				return e
			}, ask: asking(unix.SYS_BPF, [6]uintptr{cmd, uintptr(unsafe.Pointer(attr)), unsafe.Sizeof(*attr)}, attr)})
		}
		return anyVariant(e, unix.EFAULT, vs...)
	},
})

var _ = register("perf-event-open", prober{
	run: func(e *env) attack.Outcome {
		var vs []variant
		attr := &unix.PerfEventAttr{
			Type:   unix.PERF_TYPE_SOFTWARE,
			Config: unix.PERF_COUNT_SW_CPU_CLOCK,
			Size:   uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
			Bits:   unix.PerfBitDisabled | unix.PerfBitExcludeKernel,
		}
		for _, flags := range []int{unix.PERF_FLAG_FD_CLOEXEC, 0} {
			name, step := "perf_event_open(PERF_FLAG_FD_CLOEXEC)", "perf_event_open({SOFTWARE, CPU_CLOCK, disabled, exclude_kernel}, 0, -1, -1, PERF_FLAG_FD_CLOEXEC)"
			if flags == 0 {
				name, step = "perf_event_open(0)", "perf_event_open({SOFTWARE, CPU_CLOCK, disabled, exclude_kernel}, 0, -1, -1, 0)"
			}
			vs = append(vs, variant{name: name, run: func(*env) attack.Outcome {
				fd, err := unix.PerfEventOpen(attr, 0, -1, -1, flags)
				if err != nil {
					o := refused(step, err)
					if p, ok := e.state.Sysctls["kernel.perf_event_paranoid"]; ok {
						o.Detail = "kernel.perf_event_paranoid=" + p
					}
					return o
				}
				unix.Close(fd)
				return open(step, "disabled counter on itself opened and closed")
			}, canary: func() syscall.Errno {
				fd, _, e := unix.Syscall6(unix.SYS_PERF_EVENT_OPEN, badAddr, 0, ^uintptr(0), ^uintptr(0), uintptr(flags), 0)
				if e == 0 {
					unix.Close(int(fd))
				}
				return e
			}, ask: asking(unix.SYS_PERF_EVENT_OPEN, [6]uintptr{uintptr(unsafe.Pointer(attr)), 0, ^uintptr(0), ^uintptr(0), uintptr(flags)}, attr)})
		}
		return anyVariant(e, unix.EFAULT, vs...)
	},
})

var _ = register("setuid-root", prober{
	run: func(*env) attack.Outcome {
		const step = "setuid(0) on a discarded thread"
		if unix.Geteuid() == 0 {
			return open("geteuid()", "already uid 0")
		}
		return onThread(func() attack.Outcome {
			if _, _, errno := unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0); errno != 0 {
				return refused(step, errno)
			}
			return open(step, "a discarded thread became uid 0")
		})
	},
	canary: func() syscall.Errno {
		return onThread(func() attack.Outcome {
			_, _, errno := unix.RawSyscall(unix.SYS_SETUID, uintptr(^uint32(0)), 0, 0)
			return attack.Outcome{Errno: errno}
		}).Errno
	},
})

var _ = register("personality", prober{
	run: func(*env) attack.Outcome {
		const step = "personality(READ_IMPLIES_EXEC) on a discarded thread"
		if errno := setPersonalityOnThread(linuxabi.ReadImpliesExec); errno != 0 {
			return refused(step, errno)
		}
		return open(step, "a discarded thread set READ_IMPLIES_EXEC (and put its old persona back)")
	},
	canary: func() syscall.Errno {
		return setPersonalityOnThread(linuxabi.ReadImpliesExec)
	},
})

// setPersonalityOnThread sets persona on a discarded thread and puts the
// old one back at once: READ_IMPLIES_EXEC applies to the thread's next
// mmap (do_mmap adds PROT_EXEC), and memory the Go runtime maps there
// before the thread ends would be executable for the whole process.
func setPersonalityOnThread(persona uintptr) syscall.Errno {
	return onThread(func() attack.Outcome {
		old, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, persona, 0, 0)
		if errno == 0 {
			unix.RawSyscall(unix.SYS_PERSONALITY, old, 0, 0)
		}
		return attack.Outcome{Errno: errno}
	}).Errno
}

var _ = register("keyctl", prober{
	run: func(e *env) attack.Outcome {
		typ, desc, payload := cstr("user"), cstr("rampart-probe"), cstr("x")
		return anyVariant(e, unix.EINVAL,
			keyctlVariant(0),
			keyctlVariant(1<<32),
			variant{name: "add_key", run: func(*env) attack.Outcome {
				const step = `add_key("user", "rampart-probe", "x", 1, 0)`
				_, _, errno := unix.Syscall6(unix.SYS_ADD_KEY, uintptr(unsafe.Pointer(typ)), uintptr(unsafe.Pointer(desc)), uintptr(unsafe.Pointer(payload)), 1, 0, 0)
				runtime.KeepAlive(typ)
				switch errno {
				case unix.EINVAL:
					return open(step, "the kernel copied the key in and answered EINVAL for keyring 0: the keyring API is reachable; nothing added")
				case unix.ENOSYS:
					if o, ok := unbuilt(step, errno, "/proc/keys", "key management"); ok {
						return o
					}
				}
				return refused(step, errno)
			}, ask: asking(unix.SYS_ADD_KEY, [6]uintptr{uintptr(unsafe.Pointer(typ)), uintptr(unsafe.Pointer(desc)), uintptr(unsafe.Pointer(payload)), 1}, typ, desc, payload)},
			variant{name: "request_key", run: func(*env) attack.Outcome {
				const step = `request_key("user", "rampart-probe", NULL, 0)`
				_, _, errno := unix.Syscall6(unix.SYS_REQUEST_KEY, uintptr(unsafe.Pointer(typ)), uintptr(unsafe.Pointer(desc)), 0, 0, 0, 0)
				runtime.KeepAlive(desc)
				switch errno {
				case 0, unix.ENOKEY:
					return open(step, "the kernel searched the keyrings (ENOKEY, no callout): the keyring API is reachable; nothing made")
				case unix.ENOSYS:
					if o, ok := unbuilt(step, errno, "/proc/keys", "key management"); ok {
						return o
					}
				}
				return refused(step, errno)
			}, ask: asking(unix.SYS_REQUEST_KEY, [6]uintptr{uintptr(unsafe.Pointer(typ)), uintptr(unsafe.Pointer(desc))}, typ, desc)},
		)
	},
})

// keyctlVariant looks the thread keyring up, with high (bits above the
// option's 32) set in the option.
func keyctlVariant(high uintptr) variant {
	name, step := "keyctl(KEYCTL_GET_KEYRING_ID)", "keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0)"
	if high != 0 {
		name, step = "keyctl(KEYCTL_GET_KEYRING_ID with bit 32 set)", "keyctl(1<<32|KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0)"
	}
	thread := uintptr(unix.KEY_SPEC_THREAD_KEYRING & 0xffffffff)
	return variant{name: name, run: func(*env) attack.Outcome {
		_, _, errno := unix.Syscall6(unix.SYS_KEYCTL, high|unix.KEYCTL_GET_KEYRING_ID, thread, 0, 0, 0, 0)
		switch errno {
		case 0:
			return open(step, "the kernel answered with the thread keyring's id")
		case unix.ENOKEY:
			return open(step, "the kernel answered ENOKEY (no thread keyring): the keyring API is reachable")
		case unix.ENOSYS:
			if o, ok := unbuilt(step, errno, "/proc/keys", "key management"); ok {
				return o
			}
		}
		return refused(step, errno)
	}, canary: func() syscall.Errno {
		_, _, errno := unix.Syscall6(unix.SYS_KEYCTL, high|unix.KEYCTL_GET_KEYRING_ID, 0, 0, 0, 0, 0)
		return errno
	}, ask: asking(unix.SYS_KEYCTL, [6]uintptr{high | unix.KEYCTL_GET_KEYRING_ID, thread})}
}

// stepCanary runs a multi-step probe's canary for the step that failed,
// under the same conditions runOne applies to Path.canary (which cannot
// know the step).
func stepCanary(e *env, o attack.Outcome, c func() syscall.Errno) attack.Outcome {
	if o.Open || o.Absent != "" || e.state.Seccomp != 2 {
		return o
	}
	// 0: the canary could not tell (runOne's convention)
	if got := c(); got != 0 {
		o.CanaryErrno = &got
	}
	return o
}

// heldCanary covers calls whose first check is the capability, so that
// no argument makes a canary. Holding the capability in the initial user
// namespace (where it satisfies every namespace's check), the kernel
// would have passed it and answered the path's canaryErrno: under a
// filter, the call was its own canary.
func heldCanary(e *env, o attack.Outcome, need caps.Set) attack.Outcome {
	if o.Open || o.Absent != "" || e.state.Seccomp != 2 || need.Minus(e.state.Status.CapEff) != 0 || !initialUserNS() {
		return o
	}
	got := o.Errno
	o.CanaryErrno = &got
	return o
}

// initialUserNS reports whether we are in the initial user namespace,
// whose uid map is the identity over all 2^32-1 ids.
func initialUserNS() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295"
}
