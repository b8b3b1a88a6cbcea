package attack

import (
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// Privileged paths: what root in a container does with the capabilities
// and syscalls a runtime leaves it. Each probe makes the call with
// arguments the kernel refuses after its permission check, or does it
// where it dies with a discarded thread or child.

var _ = declare(func() *Path {
	return &Path{
		ID:       "packet-socket",
		Title:    "packet socket (AF_PACKET)",
		Gain:     "every frame on the pod's interfaces, sent and received raw: sniffing, ARP and IPv6 RA spoofing against neighbours on the node's bridge",
		Syscalls: []string{"socket"},
		Model: Model{
			UserNS:  UserNSNet,
			Caps:    caps.Of(caps.NET_RAW),
			CapNote: "in the user namespace that owns the network namespace, checked first in packet_create",
			Calls: append(socketVariantCalls(linuxabi.AF_PACKET, linuxabi.SOCK_RAW, int(linuxabi.Htons(linuxabi.ETH_P_ALL))),
				socketCalls(linuxabi.AF_PACKET, linuxabi.SOCK_DGRAM, int(linuxabi.Htons(linuxabi.ETH_P_ALL)))...),
			LSM: []Access{
				{Kind: AccessNetwork, Family: "packet", Type: "raw"},
				{Kind: AccessCapability, Cap: "net_raw"},
			},
		},
		Safety:      "creates the socket and closes it at once; nothing is sent, nothing read. " + socketSafety,
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "mount-tmpfs",
		Title:    "mount a filesystem (tmpfs)",
		Gain:     "mounts of its own: the first step of most container escapes (a host block device, procfs or sysfs mounted fresh, outside the runtime's masks)",
		Syscalls: mountSyscalls,
		Model: Model{
			UserNS:  UserNSOwn,
			Caps:    caps.Of(caps.SYS_ADMIN),
			CapNote: mountNote,
			Calls:   mountCalls(),
			LSM: []Access{
				{Kind: AccessMount, Path: "/tmp", Type: "tmpfs"},
				{Kind: AccessCapability, Cap: "sys_admin"},
			},
		},
		Safety:      privateMountSafety + " The tmpfs (4 KiB) is unmounted and dies with the namespace. " + newMountAPISafety,
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "cgroup-mount",
		Title:    "mount a cgroup v1 hierarchy (release_agent escape)",
		Gain:     "a cgroup v1 hierarchy whose release_agent the kernel runs as root in the host's namespaces when a cgroup empties: any host command as root (CVE-2022-0492)",
		Syscalls: mountSyscalls,
		Model: Model{
			UserNS:  UserNSCgroup,
			Caps:    caps.Of(caps.SYS_ADMIN),
			CapNote: mountNote + "; cgroup1_get_tree checks it again over the cgroup namespace's owner",
			Calls:   mountCalls(),
			LSM: []Access{
				{Kind: AccessMount, Path: "/tmp", Type: "cgroup"},
				{Kind: AccessCapability, Cap: "sys_admin"},
			},
		},
		Safety: privateMountSafety + " The hierarchy is named (rampart-probe-PID-NANOSECONDS, so no other mount shares it), has no controllers and no child cgroup is made, so no release_agent is ever set; " +
			"when its only mount goes, cgroup_kill_sb destroys it. While it exists (microseconds) every process lists it in /proc/PID/cgroup. " + newMountAPISafety,
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "setns-host",
		Title:    "enter pid 1's network namespace (setns)",
		Gain:     "with the host's pid namespace shared (hostPID), the host's network stack: its interfaces, services on its localhost, its firewall; nsenter into pid 1's namespaces is a full escape",
		Syscalls: []string{"openat", "setns", "pidfd_open"},
		Model: Model{
			// The target is pid 1's network namespace, which is the
			// workload's own unless hostPID (which a user namespace
			// of a Pod's own never has): the host's under rampart run
			// --userns (refused), the Pod's, made in its user
			// namespace, under hostUsers: false (passes).
			UserNS: UserNSNet,
			Caps:   caps.Of(caps.SYS_ADMIN, caps.SYS_PTRACE),
			CapNote: "CAP_SYS_ADMIN over the target namespace's owner and over our own user namespace, in netns_install; " +
				"opening /proc/1/ns/net needs ptrace read access to pid 1: CAP_SYS_PTRACE unless we share its uids and hold all its permitted capabilities",
			// Only setns: the open (or pidfd_open) that gets its fd is a step
			// before it, not another way in, and a filter that allows the open
			// but refuses setns closes the path.
			Calls: []Call{
				{Name: "setns", Args: [6]uint64{0, linuxabi.CLONE_NEWNET}},
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
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "chroot",
		Title:    "chroot",
		Gain:     "a changed root: with a directory fd kept open or a host filesystem mounted, the classic chroot escape or a shell rooted in the host's files",
		Syscalls: []string{"chroot"},
		Model: Model{
			UserNS:  UserNSOwn,
			Caps:    caps.Of(caps.SYS_CHROOT),
			CapNote: "in our own user namespace, checked by chroot after the path lookup",
			Calls:   []Call{{Name: "chroot"}},
			LSM:     []Access{{Kind: AccessCapability, Cap: "sys_chroot"}},
		},
		Safety: "chroot changes the root of the whole process, so a re-executed rampart makes the call and exits; its target is \"/\", the root it already has. " +
			"The chroot syscall resolves the path and checks search permission before CAP_SYS_CHROOT: the canary passes an unreadable address (EFAULT in getname) and cannot change anything",
		CanaryErrno: linuxabi.EFAULT,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "pivot-root",
		Title:    "pivot_root",
		Gain:     "a new root for the mount namespace: with a host filesystem mounted, the container switches into it",
		Syscalls: []string{"pivot_root"},
		Model: Model{
			UserNS:  UserNSMount,
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
		CanaryErrno: linuxabi.ENOENT,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "reboot",
		Title:    "reboot the node",
		Gain:     "the node rebooted, halted or powered off (a denial of service for every workload on it), or a new kernel kexec'd",
		Syscalls: []string{"reboot"},
		Model: Model{
			UserNS:  UserNSPID,
			Caps:    caps.Of(caps.SYS_BOOT),
			CapNote: "over the user namespace that owns our pid namespace; inside a child pid namespace, reboot only ends that namespace's init",
			Calls: []Call{
				{Name: "reboot", Args: [6]uint64{linuxabi.LINUX_REBOOT_MAGIC1, linuxabi.LINUX_REBOOT_MAGIC2, linuxabi.LINUX_REBOOT_CMD_RESTART}},
				{Name: "reboot", Args: [6]uint64{linuxabi.LINUX_REBOOT_MAGIC1, linuxabi.LINUX_REBOOT_MAGIC2, linuxabi.LINUX_REBOOT_CMD_POWER_OFF}},
				{Name: "reboot", Args: [6]uint64{linuxabi.LINUX_REBOOT_MAGIC1, linuxabi.LINUX_REBOOT_MAGIC2, linuxabi.LINUX_REBOOT_CMD_HALT}},
				{Name: "reboot", Args: [6]uint64{linuxabi.LINUX_REBOOT_MAGIC1, linuxabi.LINUX_REBOOT_MAGIC2, linuxabi.LINUX_REBOOT_CMD_KEXEC}},
				{Name: "reboot", Args: [6]uint64{linuxabi.LINUX_REBOOT_MAGIC1, linuxabi.LINUX_REBOOT_MAGIC2, linuxabi.LINUX_REBOOT_CMD_CAD_OFF}},
			},
			LSM: []Access{{Kind: AccessCapability, Cap: "sys_boot"}},
		},
		Safety: "reboot(LINUX_REBOOT_MAGIC1, 0, LINUX_REBOOT_CMD_CAD_OFF, NULL): kernel/reboot.c checks CAP_SYS_BOOT first, then the magic numbers, and 0 is no valid magic2, " +
			"so the call returns EINVAL before the command is read (and CAD_OFF is the mildest command were it ever read). " +
			"Nothing precedes the capability check, so there is no canary: a refusal is attributed by asking the filter about the same call without running it " +
			"(a filter of the probe's own answering SECCOMP_RET_TRACE, on a thread then thrown away); where it cannot be asked, holding CAP_SYS_BOOT, any answer but EINVAL is the filter's",
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "set-clock",
		Title:    "set the system clock",
		Gain:     "the node's clock, which no namespace isolates: certificates and tokens made valid or expired, Kerberos and TOTP broken, log timelines forged for every workload on the node",
		Syscalls: []string{"settimeofday", "clock_settime", "adjtimex", "clock_adjtime"},
		Model: Model{
			UserNS:  UserNSInit,
			Caps:    caps.Of(caps.SYS_TIME),
			CapNote: "in the initial user namespace, by cap_settime through security_settime64; adjtimex and clock_adjtime check it only when they change something",
			Calls: []Call{
				{Name: "settimeofday"},
				{Name: "clock_settime", Args: [6]uint64{linuxabi.CLOCK_REALTIME}},
				{Name: "adjtimex"},
				{Name: "clock_adjtime", Args: [6]uint64{linuxabi.CLOCK_REALTIME}},
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
		CanaryErrno: linuxabi.EFAULT,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "kernel-module",
		Title:    "load a kernel module",
		Gain:     "arbitrary code in the kernel: a rootkit, and every boundary gone",
		Syscalls: []string{"init_module", "finit_module"},
		Model: Model{
			UserNS:  UserNSInit,
			Caps:    caps.Of(caps.SYS_MODULE),
			CapNote: "in the initial user namespace, by may_init_module, where kernel.modules_disabled=1 refuses it even then",
			Calls: []Call{
				{Name: "init_module"},
				{Name: "finit_module", Args: [6]uint64{0, 0, 0}, Label: "finit_module"},
				// modprobe --force
				{Name: "finit_module", Args: [6]uint64{0, 0, linuxabi.MODULE_INIT_IGNORE_MODVERSIONS | linuxabi.MODULE_INIT_IGNORE_VERMAGIC}, Label: "finit_module(MODULE_INIT_IGNORE_MODVERSIONS|MODULE_INIT_IGNORE_VERMAGIC)"},
				{Name: "finit_module", Args: [6]uint64{0, 0, linuxabi.MODULE_INIT_COMPRESSED_FILE}, Label: "finit_module(MODULE_INIT_COMPRESSED_FILE)"},
			},
			LSM: []Access{{Kind: AccessCapability, Cap: "sys_module"}},
		},
		Safety: "init_module(buf, 0, \"\"): may_init_module (CAP_SYS_MODULE, then kernel.modules_disabled) runs first; copy_module_from_user then refuses an image " +
			"shorter than an ELF header with ENOEXEC before copying anything, so nothing is loaded. finit_module(-1, \"\", 0): the same may_init_module first, then the flags, " +
			"then the fd, which -1 never is (EBADF), so nothing is read or loaded. Nothing precedes the capability check, so there is no canary: a refusal is attributed " +
			"by asking the filter about the same call, on a thread then thrown away, under a filter of the probe's own that answers SECCOMP_RET_TRACE for it " +
			"(the call fails with ENOSYS without running, or gets the workload filter's refusal); where the filter cannot be asked, holding CAP_SYS_MODULE with modules enabled, an EPERM is the filter's",
		CanaryErrno: linuxabi.ENOEXEC,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "bpf-load",
		Title:    "load a BPF program",
		Gain:     "code run by the kernel: socket filters are the unprivileged start; with CAP_BPF, tracing programs and kernel memory reads, and the verifier's bug history as an exploit surface",
		Syscalls: []string{"bpf"},
		Model: Model{
			UserNS: UserNSInit,
			Caps:   caps.Of(caps.BPF),
			CapNote: "CAP_BPF or CAP_SYS_ADMIN, in the initial user namespace; only when kernel.unprivileged_bpf_disabled is 1 or 2: " +
				"at 0 anyone may load a socket filter. Other program types need CAP_BPF always, tracing ones CAP_PERFMON too",
			Calls: bpfCalls(),
			LSM:   []Access{{Kind: AccessCapability, Cap: "bpf"}},
		},
		Safety: "loads a two-instruction socket filter (r0 = 0; exit) and closes its only fd at once, which frees it: it is never attached to anything. " +
			"The load is tried with the command as a libc passes it and with bit 32 set, which the kernel drops (cmd is an int) and a rule comparing all 64 bits does not. " +
			"The canary passes an unreadable attribute: __sys_bpf fails to copy it (EFAULT) before bpf_prog_load checks the sysctl and the capability." + askSafety,
		CanaryErrno: linuxabi.EFAULT,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "perf-event-open",
		Title:    "open a performance event",
		Gain:     "hardware and software counters: cache and timing side channels, and a syscall with a long history of kernel privilege-escalation bugs",
		Syscalls: []string{"perf_event_open"},
		Model: Model{
			UserNS: UserNSInit,
			Caps:   caps.Of(caps.PERFMON),
			CapNote: "CAP_PERFMON (or CAP_SYS_ADMIN) only where kernel.perf_event_paranoid forbids the event: at -1, 0, 1 and 2 (upstream's levels) " +
				"a process may count its own user-space events (exclude_kernel=1) without it; kernel events need it from 2, CPU-wide events from 1, " +
				"and everything at 3 and above (a Debian, Ubuntu and Android patch)",
			Calls: []Call{
				{Name: "perf_event_open", Args: [6]uint64{0, 0, 0xffffffff, 0xffffffff, 0}},
				{Name: "perf_event_open", Args: [6]uint64{0, 0, 0xffffffff, 0xffffffff, linuxabi.PERF_FLAG_FD_CLOEXEC}},
				// CPU-wide: pid -1, cpu 0
				{Name: "perf_event_open", Args: [6]uint64{0, 0xffffffff, 0, 0xffffffff, linuxabi.PERF_FLAG_FD_CLOEXEC}},
			},
			LSM: []Access{{Kind: AccessCapability, Cap: "perfmon"}},
		},
		Safety: "opens a disabled software CPU-clock counter on itself (user space only) and closes it; nothing is ever counted. " +
			"It is tried with PERF_FLAG_FD_CLOEXEC and without flags, the ways a libc or runtime calls it. " +
			"The canary passes an unreadable attribute: perf_copy_attr fails with EFAULT before the paranoid and capability checks." + askSafety,
		CanaryErrno: linuxabi.EFAULT,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "setuid-root",
		Title:    "become uid 0 (setuid)",
		Gain:     "uid 0: root's files, and its capabilities back in the effective set",
		Syscalls: []string{"setuid", "setreuid", "setresuid"},
		Model: Model{
			UserNS:  UserNSOwn,
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
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "personality",
		Title:    "personality(READ_IMPLIES_EXEC)",
		Gain:     "every readable mapping executable after the next execve: data becomes code for memory-corruption exploits (and ADDR_NO_RANDOMIZE turns ASLR off)",
		Syscalls: []string{"personality"},
		Model: Model{
			CapNote: "personality() has no permission check",
			Calls: []Call{
				{Name: "personality", Args: [6]uint64{linuxabi.ReadImpliesExec}},
				{Name: "personality", Args: [6]uint64{linuxabi.ReadImpliesExec | linuxabi.PerLinux32}},
				{Name: "personality", Args: [6]uint64{linuxabi.ReadImpliesExec | linuxabi.Uname26}},
				{Name: "personality", Args: [6]uint64{linuxabi.ReadImpliesExec | linuxabi.AddrNoRandomize}},
			},
		},
		Safety: "the persona is per task: it is set on a thread that the Go runtime then terminates, and the old one is put back by the next raw syscall, " +
			"before that thread can map memory (READ_IMPLIES_EXEC acts on mmap at once, and at execve, which it never makes). " +
			"personality() never fails (it stores the value and returns the old one), so the repeated call is its own canary: any error is the filter's",
		// The kernel never refuses it.
		CanaryErrno: 0,
	}
})

var _ = declare(func() *Path {
	return &Path{
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
		CanaryErrno: linuxabi.EINVAL,
	}
})

// mountCalls are the ways to mount a filesystem: mount(2) as mount(8) and
// runtimes issue it, and the new mount API a filter on mount alone misses
// (seccomp's sibling table: fsopen, fsconfig, fsmount).
// unshare(CLONE_NEWNS) is not one: a workload mounts in its own mount
// namespace without it, and a filter that allows unshare but refuses
// mount has closed the path. (The probe still needs a namespace of its
// own to mount with mount(2) harmlessly: see privateMountSafety.)
// Built with its paths, when the catalog is first read.
func mountCalls() []Call {
	return append([]Call{
		{Name: "mount", Args: [6]uint64{0, 0, 0, linuxabi.MS_REC | linuxabi.MS_PRIVATE}, Label: "mount(2) with MS_REC|MS_PRIVATE"},
		{Name: "mount", Args: [6]uint64{0, 0, 0, linuxabi.MS_SILENT}, Label: "mount(2) with MS_SILENT"},
	}, siblingCalls(Call{Name: "mount", Label: "mount(2)"})...)
}

var mountSyscalls = []string{"unshare", "mount", "fsopen", "fsconfig", "fsmount"}

const mountNote = "over the user namespace that owns the mount namespace, by may_mount() in path_mount (after the LSM hook security_sb_mount); unshare(CLONE_NEWNS) checks the same"

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

// bpfCalls are the program load as a filter sees it, and with the
// command's bit 32 set (seccomp.ArgWidth: the kernel reads an int).
func bpfCalls() []Call {
	c := Call{Name: "bpf", Args: [6]uint64{linuxabi.BPF_PROG_LOAD}, Label: "bpf(BPF_PROG_LOAD)"}
	out := []Call{c}
	if h, ok := highBitCall(c, 0); ok {
		out = append(out, h)
	}
	return out
}

// keyCalls are the keyring calls as a filter sees them, keyctl also with
// bit 32 set in the option (seccomp.ArgWidth: the kernel reads an int).
func keyCalls() []Call {
	c := Call{Name: "keyctl", Args: [6]uint64{linuxabi.KEYCTL_GET_KEYRING_ID, linuxabi.KEY_SPEC_THREAD_KEYRING & 0xffffffff, 0}, Label: "keyctl(KEYCTL_GET_KEYRING_ID)"}
	out := []Call{c}
	if h, ok := highBitCall(c, 0); ok {
		out = append(out, h)
	}
	return append(out, Call{Name: "add_key"}, Call{Name: "request_key"})
}
