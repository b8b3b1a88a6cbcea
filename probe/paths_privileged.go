package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
)

// Privileged paths: what root in a container does with the capabilities
// and syscalls a runtime leaves it. Each probe makes the call with
// arguments the kernel refuses after its permission check, or does it
// where it dies with a discarded thread or child.

// badAddr is in the kernel's half of the address space: access_ok fails
// on it, so any copy from it is EFAULT, whatever it points to.
const badAddr = ^uintptr(0) &^ 0xfff

var _ = register(&Path{
	ID:       "packet-socket",
	Title:    "packet socket (AF_PACKET)",
	Gain:     "every frame on the pod's interfaces, sent and received raw: sniffing, ARP and IPv6 RA spoofing against neighbours on the node's bridge",
	Syscalls: []string{"socket"},
	Model: Model{
		Caps:    caps.Of(caps.NET_RAW),
		CapNote: "in the user namespace that owns the network namespace, checked first in packet_create",
		Calls: append(socketVariantCalls(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL))),
			socketCalls(unix.AF_PACKET, unix.SOCK_DGRAM, int(htons(unix.ETH_P_ALL)))...),
		LSM: []Access{
			{Kind: AccessNetwork, Family: "packet", Type: "raw"},
			{Kind: AccessCapability, Cap: "net_raw"},
		},
	},
	Safety: "creates the socket and closes it at once; nothing is sent, nothing read. " + socketSafety,
	run: func(e *env) Outcome {
		return socketPath(e, unix.AF_PACKET, []int{unix.SOCK_RAW, unix.SOCK_DGRAM}, int(htons(unix.ETH_P_ALL)), "packet socket")
	},
	canaryErrno: unix.EINVAL,
})

// mountCalls are the ways to mount a filesystem: mount(2) as mount(8) and
// runtimes issue it, and the new mount API a filter on mount alone misses
// (seccomp's sibling table: fsopen, fsconfig, fsmount).
// unshare(CLONE_NEWNS) is not one: a workload mounts in its own mount
// namespace without it, and a filter that allows unshare but refuses
// mount has closed the path. (The probe still needs a namespace of its
// own to mount with mount(2) harmlessly: see privateMountSafety.)
var mountCalls = append([]Call{
	{Name: "mount", Args: [6]uint64{0, 0, 0, unix.MS_REC | unix.MS_PRIVATE}, Label: "mount(2) with MS_REC|MS_PRIVATE"},
	{Name: "mount", Args: [6]uint64{0, 0, 0, unix.MS_SILENT}, Label: "mount(2) with MS_SILENT"},
}, siblingCalls(Call{Name: "mount", Label: "mount(2)"})...)

var mountSyscalls = []string{"unshare", "mount", "fsopen", "fsconfig", "fsmount"}

const mountNote = "over the user namespace that owns the mount namespace, by may_mount() in path_mount (after the LSM hook security_sb_mount); unshare(CLONE_NEWNS) checks the same"

var _ = register(&Path{
	ID:       "mount-tmpfs",
	Title:    "mount a filesystem (tmpfs)",
	Gain:     "mounts of its own: the first step of most container escapes (a host block device, procfs or sysfs mounted fresh, outside the runtime's masks)",
	Syscalls: mountSyscalls,
	Model: Model{
		Caps:    caps.Of(caps.SYS_ADMIN),
		CapNote: mountNote,
		Calls:   mountCalls,
		LSM: []Access{
			{Kind: AccessMount, Path: "/tmp", Type: "tmpfs"},
			{Kind: AccessCapability, Cap: "sys_admin"},
		},
	},
	Safety: privateMountSafety + " The tmpfs (4 KiB) is unmounted and dies with the namespace. " + newMountAPISafety,
	run: func(e *env) Outcome {
		return mountPath(e, "rampart-probe", "tmpfs", "size=4k", "a 4 KiB tmpfs")
	},
	canaryErrno: unix.EINVAL,
})

var _ = register(&Path{
	ID:       "cgroup-mount",
	Title:    "mount a cgroup v1 hierarchy (release_agent escape)",
	Gain:     "a cgroup v1 hierarchy whose release_agent the kernel runs as root in the host's namespaces when a cgroup empties: any host command as root (CVE-2022-0492)",
	Syscalls: mountSyscalls,
	Model: Model{
		Caps:    caps.Of(caps.SYS_ADMIN),
		CapNote: mountNote + "; cgroup1_get_tree checks it again over the cgroup namespace's owner",
		Calls:   mountCalls,
		LSM: []Access{
			{Kind: AccessMount, Path: "/tmp", Type: "cgroup"},
			{Kind: AccessCapability, Cap: "sys_admin"},
		},
	},
	Safety: privateMountSafety + " The hierarchy is named (rampart-probe-PID-NANOSECONDS, so no other mount shares it), has no controllers and no child cgroup is made, so no release_agent is ever set; " +
		"when its only mount goes, cgroup_kill_sb destroys it. While it exists (microseconds) every process lists it in /proc/PID/cgroup. " + newMountAPISafety,
	run: func(e *env) Outcome {
		// A name of its own: hierarchies are global, and one of the same
		// name that another probe's mount left dying makes the kernel
		// restart the mount, which fsconfig cannot (EBUSY).
		name := fmt.Sprintf("rampart-probe-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
		return mountPath(e, "cgroup", "cgroup", "none,name="+name, "an empty named cgroup v1 hierarchy")
	},
	canaryErrno: unix.EINVAL,
})

const privateMountSafety = "The mount is made only in a mount namespace of the probe's own that dies at once: unshare(CLONE_NEWNS) on a thread that the Go runtime then terminates or, " +
	"where a filter refuses unshare, clone(CLONE_NEWNS|SIGCHLD) for a child that, every signal blocked, makes the two mount calls below as raw system calls and exits. " +
	"There, mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE) first cuts propagation so no mount can reach the original namespace, and if that fails nothing is mounted. " +
	"Where neither namespace can be made, nothing is mounted: the mount canary says whether the filter lets mount through, and past the filter the verdict is " +
	"inferred from CapEff (path_mount calls security_sb_mount, then may_mount checks CAP_SYS_ADMIN) and marked inferred. " +
	"Canaries: unshare with an unknown flag bit (EINVAL in check_unshare_flags), clone with CLONE_FS added (EINVAL: copy_process refuses CLONE_NEWNS|CLONE_FS first, " +
	"before copying anything), and mount with a type string longer than PATH_MAX onto \"\" " +
	"(EINVAL in copy_mount_string, the first thing the mount syscall does; the empty target could not resolve anyway)."

const newMountAPISafety = "Where mount(2) does not mount it, the new mount API is tried: fsopen, fsconfig with the same options and FSCONFIG_CMD_CREATE, then fsmount, whose mount is detached " +
	"(in no namespace's tree, so nothing can propagate) and reachable only through its fd, which is closed at once and dissolves it; nothing is ever attached with move_mount. " +
	"fsopen and fsmount check CAP_SYS_ADMIN first, so no canary exists for them: a refusal is attributed by asking the filter, on a thread then thrown away, " +
	"under a filter of the probe's own that answers SECCOMP_RET_TRACE for that call: the call fails with ENOSYS without running, or gets the workload filter's refusal."

const privStep = `mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL)`

// mountPath tries both ways to mount fstype, mount(2) and the new mount
// API: a filter that refuses one has not closed the path, and the
// layer that closes the path is the one that closes both.
func mountPath(e *env, source, fstype, data, what string) Outcome {
	return anyVariant(e, unix.EINVAL,
		variant{name: "mount(2)", run: func(e *env) Outcome { return mountSyscall(e, source, fstype, data, what) }},
		variant{name: newMountAPIName, run: func(e *env) Outcome { return newMountAPI(e, fstype, data, what) }},
	)
}

// mountSyscall mounts fstype where the mount cannot outlive the probe:
// in a private mount namespace of a discarded thread (unshare) or, where
// a filter refuses unshare, of a child that exits (clone), the way an
// attacker would get past such a filter. With neither, it mounts nothing
// and decides from the mount canary.
func mountSyscall(e *env, source, fstype, data, what string) Outcome {
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
func unshareMount(e *env, source, target, fstype, data, step, what string) (o Outcome, inNS bool) {
	o = onThread(func() Outcome {
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
func cloneMount(e *env, source, target, fstype, data, step, what string) (Outcome, bool) {
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
		return Outcome{Errno: unix.ECHILD, Step: nsStep, Detail: "the child did not exit normally"}, true
	case status >= 128:
		mntErr = syscall.Errno(status - 128)
	default:
		privErr = syscall.Errno(status)
	}
	return mountOutcome(e, privErr, mntErr, step, what+" mounted in the private mount namespace of a child, which then exited"), true
}

// mountOutcome reads the two steps made inside a private mount
// namespace: making "/" private, then the mount.
func mountOutcome(e *env, privErr, mntErr syscall.Errno, step, detail string) Outcome {
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
func withoutNamespace(e *env, step string, tries ...Outcome) Outcome {
	if e.state.Seccomp == 2 {
		if c := mountCanary(0)(); c != 0 && c != unix.EINVAL {
			return Outcome{Errno: c, CanaryErrno: &c,
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
func newMountAPI(e *env, fstype, data, what string) Outcome {
	return newMountAPIRetry(e, fstype, data, what, 20)
}

func newMountAPIRetry(e *env, fstype, data, what string, retry int) Outcome {
	name := cstr(fstype)
	defer runtime.KeepAlive(name)
	step := fmt.Sprintf("fsopen(%q, FSOPEN_CLOEXEC)", fstype)
	fd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		o := refused(step, err)
		if o.Errno == unix.ENOSYS && !features.KernelAtLeast(5, 2) {
			return Outcome{Errno: unix.ENOSYS, Step: step, Absent: "this kernel has no new mount API (fsopen: ENOSYS; Linux 5.2)"}
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
func askFilter(e *env, o Outcome, want syscall.Errno, nr uintptr, args [6]uintptr) Outcome {
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
func mountRefused(step string, err syscall.Errno) Outcome {
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
// with EINVAL before the mount syscall looks at anything else.
var overlongType = append([]byte(strings.Repeat("x", 2*unix.PathMax)), 0)

// mountCanary repeats a mount with the same flags onto "" with a type the
// kernel cannot copy: it can never mount anything.
func mountCanary(flags uintptr) func() syscall.Errno {
	return func() syscall.Errno {
		empty := []byte{0}
		_, _, e := unix.Syscall6(unix.SYS_MOUNT, 0, uintptr(unsafe.Pointer(&empty[0])),
			uintptr(unsafe.Pointer(&overlongType[0])), flags, 0, 0)
		return e
	}
}

var _ = register(&Path{
	ID:       "setns-host",
	Title:    "enter pid 1's network namespace (setns)",
	Gain:     "with the host's pid namespace shared (hostPID), the host's network stack: its interfaces, services on its localhost, its firewall; nsenter into pid 1's namespaces is a full escape",
	Syscalls: []string{"openat", "setns", "pidfd_open"},
	Model: Model{
		Caps: caps.Of(caps.SYS_ADMIN, caps.SYS_PTRACE),
		CapNote: "CAP_SYS_ADMIN over the target namespace's owner and over our own user namespace, in netns_install; " +
			"opening /proc/1/ns/net needs ptrace read access to pid 1: CAP_SYS_PTRACE unless we share its uids and hold all its permitted capabilities",
		// Only setns: the open (or pidfd_open) that gets its fd is a step
		// before it, not another way in, and a filter that allows the open
		// but refuses setns closes the path.
		Calls: []Call{
			{Name: "setns", Args: [6]uint64{0, unix.CLONE_NEWNET}},
			{Name: "setns", Args: [6]uint64{0, 0}},
		},
		LSM: []Access{
			{Kind: AccessPtrace, Path: "/proc/1", Mode: "read"},
			{Kind: AccessFile, Path: "/proc/1/ns/net", Mode: "r"},
			{Kind: AccessCapability, Cap: "sys_admin"},
			{Kind: AccessCapability, Cap: "sys_ptrace"},
		},
	},
	Safety: "opens /proc/1/ns/net read-only and calls setns on a thread that the Go runtime then terminates: only that thread ever enters the namespace, " +
		"and Go starts new threads from a clean template thread, never from a locked one. Canaries (EINVAL, before any permission check): " +
		"the open with __O_TMPFILE and no O_DIRECTORY (build_open_flags), and setns(fd of \"/\", CLONE_NEWNET), which is neither a namespace nor a pidfd",
	run: func(e *env) Outcome {
		const path = "/proc/1/ns/net"
		const openStep = `openat(AT_FDCWD, "/proc/1/ns/net", O_RDONLY|O_CLOEXEC)`
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, unix.ENOENT) {
				return Outcome{Errno: unix.ENOENT, Step: openStep, Absent: path + " does not exist here (no procfs or no network namespaces)"}
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
		o := onThread(func() Outcome {
			if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
				return refused(step, err)
			}
			return Outcome{Open: true, Step: step}
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
	canaryErrno: unix.EINVAL,
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
	return onThread(func() Outcome {
		return Outcome{Errno: errnoOf(unix.Setns(fd, unix.CLONE_NEWNET))}
	}).Errno
}

var _ = register(&Path{
	ID:       "chroot",
	Title:    "chroot",
	Gain:     "a changed root: with a directory fd kept open or a host filesystem mounted, the classic chroot escape or a shell rooted in the host's files",
	Syscalls: []string{"chroot"},
	Model: Model{
		Caps:    caps.Of(caps.SYS_CHROOT),
		CapNote: "in our own user namespace, checked by chroot after the path lookup",
		Calls:   []Call{{Name: "chroot"}},
		LSM:     []Access{{Kind: AccessCapability, Cap: "sys_chroot"}},
	},
	Safety: "chroot changes the root of the whole process, so a re-executed rampart makes the call and exits; its target is \"/\", the root it already has. " +
		"The chroot syscall resolves the path and checks search permission before CAP_SYS_CHROOT: the canary passes an unreadable address (EFAULT in getname) and cannot change anything",
	child: func() Outcome {
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
	canaryErrno: unix.EFAULT,
})

var _ = register(&Path{
	ID:       "pivot-root",
	Title:    "pivot_root",
	Gain:     "a new root for the mount namespace: with a host filesystem mounted, the container switches into it",
	Syscalls: []string{"pivot_root"},
	Model: Model{
		Caps:    caps.Of(caps.SYS_ADMIN),
		CapNote: "over the user namespace that owns the mount namespace, in may_mount",
		Calls:   []Call{{Name: "pivot_root"}},
		LSM: []Access{
			{Kind: AccessMount, Type: "pivot_root"},
			{Kind: AccessCapability, Cap: "sys_admin"},
		},
	},
	Safety: "pivot_root(\"\", \"\"): the syscall's first statement is may_mount() (CAP_SYS_ADMIN); only then does user_path_at resolve new_root, " +
		"and an empty path never resolves (ENOENT in getname), so nothing can move. A named path was not used: anyone able to create it as a mount point " +
		"would turn the probe into a real pivot of the caller's mount namespace. The LSM hook (security_sb_pivotroot) comes after the lookups and is not reached. " +
		"No argument is checked before the capability, so there is no canary: a refusal is attributed by asking the filter about the same call without running it " +
		"(a filter of the probe's own answering SECCOMP_RET_TRACE, on a thread then thrown away); where it cannot be asked, holding CAP_SYS_ADMIN, any answer but ENOENT is the filter's",
	run: func(e *env) Outcome {
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
	canaryErrno: unix.ENOENT,
})

// invalidMagic2 is none of LINUX_REBOOT_MAGIC2, 2A, 2B, 2C: reboot
// returns EINVAL on it and never reaches the command.
const invalidMagic2 = 0

var _ = register(&Path{
	ID:       "reboot",
	Title:    "reboot the node",
	Gain:     "the node rebooted, halted or powered off (a denial of service for every workload on it), or a new kernel kexec'd",
	Syscalls: []string{"reboot"},
	Model: Model{
		Caps:    caps.Of(caps.SYS_BOOT),
		CapNote: "over the user namespace that owns our pid namespace; inside a child pid namespace, reboot only ends that namespace's init",
		Calls: []Call{
			{Name: "reboot", Args: [6]uint64{unix.LINUX_REBOOT_MAGIC1, unix.LINUX_REBOOT_MAGIC2, unix.LINUX_REBOOT_CMD_RESTART}},
			{Name: "reboot", Args: [6]uint64{unix.LINUX_REBOOT_MAGIC1, unix.LINUX_REBOOT_MAGIC2, unix.LINUX_REBOOT_CMD_POWER_OFF}},
			{Name: "reboot", Args: [6]uint64{unix.LINUX_REBOOT_MAGIC1, unix.LINUX_REBOOT_MAGIC2, unix.LINUX_REBOOT_CMD_HALT}},
			{Name: "reboot", Args: [6]uint64{unix.LINUX_REBOOT_MAGIC1, unix.LINUX_REBOOT_MAGIC2, unix.LINUX_REBOOT_CMD_KEXEC}},
			{Name: "reboot", Args: [6]uint64{unix.LINUX_REBOOT_MAGIC1, unix.LINUX_REBOOT_MAGIC2, unix.LINUX_REBOOT_CMD_CAD_OFF}},
		},
		LSM: []Access{{Kind: AccessCapability, Cap: "sys_boot"}},
	},
	Safety: "reboot(LINUX_REBOOT_MAGIC1, 0, LINUX_REBOOT_CMD_CAD_OFF, NULL): kernel/reboot.c checks CAP_SYS_BOOT first, then the magic numbers, and 0 is no valid magic2, " +
		"so the call returns EINVAL before the command is read (and CAD_OFF is the mildest command were it ever read). " +
		"Nothing precedes the capability check, so there is no canary: a refusal is attributed by asking the filter about the same call without running it " +
		"(a filter of the probe's own answering SECCOMP_RET_TRACE, on a thread then thrown away); where it cannot be asked, holding CAP_SYS_BOOT, any answer but EINVAL is the filter's",
	run: func(e *env) Outcome {
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
	canaryErrno: unix.EINVAL,
})

var _ = register(&Path{
	ID:       "set-clock",
	Title:    "set the system clock",
	Gain:     "the node's clock, which no namespace isolates: certificates and tokens made valid or expired, Kerberos and TOTP broken, log timelines forged for every workload on the node",
	Syscalls: []string{"settimeofday", "clock_settime", "adjtimex", "clock_adjtime"},
	Model: Model{
		Caps:    caps.Of(caps.SYS_TIME),
		CapNote: "in the initial user namespace, by cap_settime through security_settime64; adjtimex and clock_adjtime check it only when they change something",
		Calls: []Call{
			{Name: "settimeofday"},
			{Name: "clock_settime", Args: [6]uint64{unix.CLOCK_REALTIME}},
			{Name: "adjtimex"},
			{Name: "clock_adjtime", Args: [6]uint64{unix.CLOCK_REALTIME}},
			{Name: "stime", Compat: "i386"},
		},
		LSM: []Access{{Kind: AccessCapability, Cap: "sys_time"}},
	},
	Safety: "settimeofday(NULL, NULL): do_sys_settimeofday64 calls security_settime64 (cap_settime: CAP_SYS_TIME) and then, with neither a time nor a timezone, changes nothing and returns 0. " +
		"adjtimex and clock_adjtime(CLOCK_REALTIME) with modes ADJ_TICK and tick 0: do_adjtimex's first step, timekeeping_validate_timex, refuses any mode without CAP_SYS_TIME (EPERM), " +
		"then a tick outside 900000/USER_HZ..1100000/USER_HZ (EINVAL), before anything is changed (the same order in ntp_validate_timex on older kernels). " +
		"clock_settime is never called: do_sys_settimeofday64 validates the time before the capability check, so no argument stops it after that check; " +
		"its canary alone says whether the filter lets it through, and past the filter the verdict is inferred from CapEff. " +
		"Canaries pass an unreadable address: get_user or copy_from_user fails with EFAULT before any check, so the clock cannot change",
	run: func(e *env) Outcome {
		// RuntimeDefault refuses settimeofday without CAP_SYS_TIME but
		// allows adjtimex: the capability closes the path, not the filter.
		o := anyVariant(e, unix.EFAULT,
			variant{name: "settimeofday", run: func(*env) Outcome {
				const step = "settimeofday(NULL, NULL)"
				if _, _, errno := unix.Syscall(unix.SYS_SETTIMEOFDAY, 0, 0, 0); errno != 0 {
					return refused(step, errno)
				}
				return open(step, "passed the CAP_SYS_TIME check; with no time given, nothing changed")
			}, canary: func() syscall.Errno {
				_, _, e := unix.Syscall(unix.SYS_SETTIMEOFDAY, badAddr, 0, 0)
				return e
			}},
			variant{name: "adjtimex", run: func(*env) Outcome {
				tx := unix.Timex{Modes: unix.ADJ_TICK}
				_, err := unix.Adjtimex(&tx)
				return adjTickOutcome("adjtimex({modes: ADJ_TICK, tick: 0})", err)
			}, canary: func() syscall.Errno {
				_, _, e := unix.Syscall(unix.SYS_ADJTIMEX, badAddr, 0, 0)
				return e
			}},
			variant{name: "clock_adjtime", run: func(*env) Outcome {
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
	canaryErrno: unix.EFAULT,
})

// adjTickOutcome reads adjtimex's answer to a tick of 0: EINVAL comes
// after timekeeping_validate_timex's CAP_SYS_TIME check.
func adjTickOutcome(step string, err error) Outcome {
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

var _ = register(&Path{
	ID:       "kernel-module",
	Title:    "load a kernel module",
	Gain:     "arbitrary code in the kernel: a rootkit, and every boundary gone",
	Syscalls: []string{"init_module", "finit_module"},
	Model: Model{
		Caps:    caps.Of(caps.SYS_MODULE),
		CapNote: "in the initial user namespace, by may_init_module, where kernel.modules_disabled=1 refuses it even then",
		Calls: []Call{
			{Name: "init_module"},
			{Name: "finit_module", Args: [6]uint64{0, 0, 0}, Label: "finit_module"},
			// modprobe --force
			{Name: "finit_module", Args: [6]uint64{0, 0, unix.MODULE_INIT_IGNORE_MODVERSIONS | unix.MODULE_INIT_IGNORE_VERMAGIC}, Label: "finit_module(MODULE_INIT_IGNORE_MODVERSIONS|MODULE_INIT_IGNORE_VERMAGIC)"},
			{Name: "finit_module", Args: [6]uint64{0, 0, unix.MODULE_INIT_COMPRESSED_FILE}, Label: "finit_module(MODULE_INIT_COMPRESSED_FILE)"},
		},
		LSM: []Access{{Kind: AccessCapability, Cap: "sys_module"}},
	},
	Safety: "init_module(buf, 0, \"\"): may_init_module (CAP_SYS_MODULE, then kernel.modules_disabled) runs first; copy_module_from_user then refuses an image " +
		"shorter than an ELF header with ENOEXEC before copying anything, so nothing is loaded. finit_module(-1, \"\", 0): the same may_init_module first, then the flags, " +
		"then the fd, which -1 never is (EBADF), so nothing is read or loaded. Nothing precedes the capability check, so there is no canary: a refusal is attributed " +
		"by asking the filter about the same call, on a thread then thrown away, under a filter of the probe's own that answers SECCOMP_RET_TRACE for it " +
		"(the call fails with ENOSYS without running, or gets the workload filter's refusal); where the filter cannot be asked, holding CAP_SYS_MODULE with modules enabled, an EPERM is the filter's",
	run: func(e *env) Outcome {
		empty := &emptyCString[0]
		return anyVariant(e, unix.ENOEXEC,
			variant{name: "init_module", run: initModule, ask: asking(unix.SYS_INIT_MODULE, [6]uintptr{0, 0, uintptr(unsafe.Pointer(empty))}, empty)},
			variant{name: "finit_module", run: finitModule, ask: asking(unix.SYS_FINIT_MODULE, [6]uintptr{^uintptr(0), uintptr(unsafe.Pointer(empty))}, empty)},
		)
	},
	canaryErrno: unix.ENOEXEC,
})

// emptyCString is "" for C: package-level, so its address never moves.
var emptyCString = [1]byte{}

// noModules says, for an ENOSYS from a module call, whether the kernel
// has no module support rather than a filter's fallback answer.
func noModules(step string, err error) (Outcome, bool) {
	return unbuilt(step, err, "/proc/modules", "loadable module support")
}

// unbuilt says, for an ENOSYS, whether the kernel was built without the
// feature (procFile, which the feature makes, is missing) rather than a
// filter answering ENOSYS to send callers to a fallback.
func unbuilt(step string, err error, procFile, feature string) (Outcome, bool) {
	if !errors.Is(err, unix.ENOSYS) {
		return Outcome{}, false
	}
	if _, serr := os.Stat(procFile); serr == nil {
		return Outcome{}, false
	}
	return Outcome{Errno: unix.ENOSYS, Step: step, Unbuilt: true,
		Absent: "this kernel has no " + feature + " (" + step + ": ENOSYS, no " + procFile + ")"}, true
}

func initModule(e *env) Outcome {
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

func finitModule(e *env) Outcome {
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
func moduleRefused(e *env, o Outcome) Outcome {
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

var _ = register(&Path{
	ID:       "bpf-load",
	Title:    "load a BPF program",
	Gain:     "code run by the kernel: socket filters are the unprivileged start; with CAP_BPF, tracing programs and kernel memory reads, and the verifier's bug history as an exploit surface",
	Syscalls: []string{"bpf"},
	Model: Model{
		Caps: caps.Of(caps.BPF),
		CapNote: "CAP_BPF or CAP_SYS_ADMIN, in the initial user namespace; only when kernel.unprivileged_bpf_disabled is 1 or 2: " +
			"at 0 anyone may load a socket filter. Other program types need CAP_BPF always, tracing ones CAP_PERFMON too",
		Calls: bpfCalls(),
		LSM:   []Access{{Kind: AccessCapability, Cap: "bpf"}},
	},
	Safety: "loads a two-instruction socket filter (r0 = 0; exit) and closes its only fd at once, which frees it: it is never attached to anything. " +
		"The load is tried with the command as a libc passes it and with bit 32 set, which the kernel drops (cmd is an int) and a rule comparing all 64 bits does not. " +
		"The canary passes an unreadable attribute: __sys_bpf fails to copy it (EFAULT) before bpf_prog_load checks the sysctl and the capability." + askSafety,
	run: func(e *env) Outcome {
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
			vs = append(vs, variant{name: name, run: func(*env) Outcome {
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
	canaryErrno: unix.EFAULT,
})

// bpfCalls are the program load as a filter sees it, and with the
// command's bit 32 set (seccomp.ArgWidth: the kernel reads an int).
func bpfCalls() []Call {
	c := Call{Name: "bpf", Args: [6]uint64{unix.BPF_PROG_LOAD}, Label: "bpf(BPF_PROG_LOAD)"}
	out := []Call{c}
	if h, ok := highBitCall(c, 0); ok {
		out = append(out, h)
	}
	return out
}

var _ = register(&Path{
	ID:       "perf-event-open",
	Title:    "open a performance event",
	Gain:     "hardware and software counters: cache and timing side channels, and a syscall with a long history of kernel privilege-escalation bugs",
	Syscalls: []string{"perf_event_open"},
	Model: Model{
		Caps: caps.Of(caps.PERFMON),
		CapNote: "CAP_PERFMON (or CAP_SYS_ADMIN) only where kernel.perf_event_paranoid forbids the event: at -1, 0, 1 and 2 (upstream's levels) " +
			"a process may count its own user-space events (exclude_kernel=1) without it; kernel events need it from 2, CPU-wide events from 1, " +
			"and everything at 3 and above (a Debian, Ubuntu and Android patch)",
		Calls: []Call{
			{Name: "perf_event_open", Args: [6]uint64{0, 0, 0xffffffff, 0xffffffff, 0}},
			{Name: "perf_event_open", Args: [6]uint64{0, 0, 0xffffffff, 0xffffffff, unix.PERF_FLAG_FD_CLOEXEC}},
			// CPU-wide: pid -1, cpu 0
			{Name: "perf_event_open", Args: [6]uint64{0, 0xffffffff, 0, 0xffffffff, unix.PERF_FLAG_FD_CLOEXEC}},
		},
		LSM: []Access{{Kind: AccessCapability, Cap: "perfmon"}},
	},
	Safety: "opens a disabled software CPU-clock counter on itself (user space only) and closes it; nothing is ever counted. " +
		"It is tried with PERF_FLAG_FD_CLOEXEC and without flags, the ways a libc or runtime calls it. " +
		"The canary passes an unreadable attribute: perf_copy_attr fails with EFAULT before the paranoid and capability checks." + askSafety,
	run: func(e *env) Outcome {
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
			vs = append(vs, variant{name: name, run: func(*env) Outcome {
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
	canaryErrno: unix.EFAULT,
})

var _ = register(&Path{
	ID:       "setuid-root",
	Title:    "become uid 0 (setuid)",
	Gain:     "uid 0: root's files, and its capabilities back in the effective set",
	Syscalls: []string{"setuid", "setreuid", "setresuid"},
	Model: Model{
		Caps:    caps.Of(caps.SETUID),
		CapNote: "in our user namespace, by ns_capable_setid; not needed when the real or saved uid is already 0",
		Calls: []Call{
			{Name: "setuid", Args: [6]uint64{0}},
			{Name: "setreuid", Args: [6]uint64{0, 0}},
			{Name: "setresuid", Args: [6]uint64{0, 0, 0}},
		},
		LSM: []Access{{Kind: AccessCapability, Cap: "setuid"}},
	},
	Safety: "as uid 0 nothing is called. Otherwise the raw setuid syscall runs on a thread that the Go runtime then terminates: credentials are per thread " +
		"in the kernel, and unix.Setuid (which changes every thread) is not used. The canary is setuid(-1), which __sys_setuid rejects as an invalid uid (EINVAL) " +
		"before the capability check; a filter that tests the uid itself sees it differently",
	run: func(*env) Outcome {
		const step = "setuid(0) on a discarded thread"
		if unix.Geteuid() == 0 {
			return open("geteuid()", "already uid 0")
		}
		return onThread(func() Outcome {
			if _, _, errno := unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0); errno != 0 {
				return refused(step, errno)
			}
			return open(step, "a discarded thread became uid 0")
		})
	},
	canary: func() syscall.Errno {
		return onThread(func() Outcome {
			_, _, errno := unix.RawSyscall(unix.SYS_SETUID, uintptr(^uint32(0)), 0, 0)
			return Outcome{Errno: errno}
		}).Errno
	},
	canaryErrno: unix.EINVAL,
})

// Personality flags (linux/personality.h).
const (
	perLinux32      = 0x0008
	addrNoRandomize = 0x0040000
	readImpliesExec = 0x0400000
	uname26         = 0x0020000
)

var _ = register(&Path{
	ID:       "personality",
	Title:    "personality(READ_IMPLIES_EXEC)",
	Gain:     "every readable mapping executable after the next execve: data becomes code for memory-corruption exploits (and ADDR_NO_RANDOMIZE turns ASLR off)",
	Syscalls: []string{"personality"},
	Model: Model{
		CapNote: "personality() has no permission check",
		Calls: []Call{
			{Name: "personality", Args: [6]uint64{readImpliesExec}},
			{Name: "personality", Args: [6]uint64{readImpliesExec | perLinux32}},
			{Name: "personality", Args: [6]uint64{readImpliesExec | uname26}},
			{Name: "personality", Args: [6]uint64{readImpliesExec | addrNoRandomize}},
		},
	},
	Safety: "the persona is per task: it is set on a thread that the Go runtime then terminates, and the old one is put back by the next raw syscall, " +
		"before that thread can map memory (READ_IMPLIES_EXEC acts on mmap at once, and at execve, which it never makes). " +
		"personality() never fails (it stores the value and returns the old one), so the repeated call is its own canary: any error is the filter's",
	run: func(*env) Outcome {
		const step = "personality(READ_IMPLIES_EXEC) on a discarded thread"
		if errno := setPersonalityOnThread(readImpliesExec); errno != 0 {
			return refused(step, errno)
		}
		return open(step, "a discarded thread set READ_IMPLIES_EXEC (and put its old persona back)")
	},
	canary: func() syscall.Errno {
		return setPersonalityOnThread(readImpliesExec)
	},
	// The kernel never refuses it.
	canaryErrno: 0,
})

// setPersonalityOnThread sets persona on a discarded thread and puts the
// old one back at once: READ_IMPLIES_EXEC applies to the thread's next
// mmap (do_mmap adds PROT_EXEC), and memory the Go runtime maps there
// before the thread ends would be executable for the whole process.
func setPersonalityOnThread(persona uintptr) syscall.Errno {
	return onThread(func() Outcome {
		old, _, errno := unix.RawSyscall(unix.SYS_PERSONALITY, persona, 0, 0)
		if errno == 0 {
			unix.RawSyscall(unix.SYS_PERSONALITY, old, 0, 0)
		}
		return Outcome{Errno: errno}
	}).Errno
}

var _ = register(&Path{
	ID:       "keyctl",
	Title:    "kernel keyring (keyctl)",
	Gain:     "the kernel keyring, which no namespace isolates: keys the same uid cached elsewhere on the node, and a kernel attack surface with a history of bugs",
	Syscalls: []string{"keyctl", "add_key", "request_key"},
	Model: Model{
		CapNote: "a process reads its own keyrings without a capability",
		Calls:   keyCalls(),
	},
	Safety: "keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0) only looks the thread keyring up and, with create 0, never makes one: ENOKEY or an id; " +
		"it is also tried with bit 32 set in the option, which the kernel drops (an int). " +
		"add_key(\"user\", \"rampart-probe\", \"x\", 1, 0) copies its arguments in and then finds no keyring 0 (EINVAL in lookup_user_key): nothing is added. " +
		"request_key(\"user\", \"rampart-probe\", NULL, 0) searches the process's keyrings and, with no callout, makes nothing and runs no helper: ENOKEY. " +
		"The keyctl canary asks for keyring id 0, which lookup_user_key rejects with EINVAL; add_key's and request_key's answers are the kernel's own (EINVAL, ENOKEY), " +
		"and the filter is asked about a refusal of them without running the call (a filter of the probe's own answering SECCOMP_RET_TRACE, on a thread then thrown away)",
	run: func(e *env) Outcome {
		typ, desc, payload := cstr("user"), cstr("rampart-probe"), cstr("x")
		return anyVariant(e, unix.EINVAL,
			keyctlVariant(0),
			keyctlVariant(1<<32),
			variant{name: "add_key", run: func(*env) Outcome {
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
			variant{name: "request_key", run: func(*env) Outcome {
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
	canaryErrno: unix.EINVAL,
})

// keyCalls are the keyring calls as a filter sees them, keyctl also with
// bit 32 set in the option (seccomp.ArgWidth: the kernel reads an int).
func keyCalls() []Call {
	c := Call{Name: "keyctl", Args: [6]uint64{unix.KEYCTL_GET_KEYRING_ID, unix.KEY_SPEC_THREAD_KEYRING & 0xffffffff, 0}, Label: "keyctl(KEYCTL_GET_KEYRING_ID)"}
	out := []Call{c}
	if h, ok := highBitCall(c, 0); ok {
		out = append(out, h)
	}
	return append(out, Call{Name: "add_key"}, Call{Name: "request_key"})
}

// keyctlVariant looks the thread keyring up, with high (bits above the
// option's 32) set in the option.
func keyctlVariant(high uintptr) variant {
	name, step := "keyctl(KEYCTL_GET_KEYRING_ID)", "keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0)"
	if high != 0 {
		name, step = "keyctl(KEYCTL_GET_KEYRING_ID with bit 32 set)", "keyctl(1<<32|KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0)"
	}
	thread := uintptr(unix.KEY_SPEC_THREAD_KEYRING & 0xffffffff)
	return variant{name: name, run: func(*env) Outcome {
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
func stepCanary(e *env, o Outcome, c func() syscall.Errno) Outcome {
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
func heldCanary(e *env, o Outcome, need caps.Set) Outcome {
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

// htons converts to network byte order, as socket() wants the protocol.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}
