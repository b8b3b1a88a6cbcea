package probe

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
)

// The seed article's three paths.

var _ = register(&Path{
	ID:       "raw-socket",
	Title:    "raw ICMP socket",
	Gain:     "crafted packets on the pod network: ping sweeps, spoofing, ICMP tunnels",
	Syscalls: []string{"socket"},
	Model: Model{
		Caps:    caps.Of(caps.NET_RAW),
		CapNote: "in the user namespace that owns the network namespace (inet_create)",
		Calls:   socketCalls(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP),
		LSM: []Access{
			{Kind: AccessNetwork, Family: "inet", Type: "raw"},
			{Kind: AccessCapability, Cap: "net_raw"},
		},
	},
	Safety: "creates the socket and closes it; nothing is sent",
	run: func(*env) Outcome {
		// Python's socket.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) adds SOCK_CLOEXEC.
		const step = "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP)"
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		if err != nil {
			return refused(step, err)
		}
		unix.Close(fd)
		return open(step, "raw socket created and closed; nothing sent")
	},
	// inet_create rejects protocol -1 before it checks CAP_NET_RAW.
	canary: func() syscall.Errno {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, -1)
		if err == nil {
			unix.Close(fd)
		}
		return errnoOf(err)
	},
	canaryErrno: unix.EINVAL,
})

var _ = register(&Path{
	ID:       "userns-netns",
	Title:    "user + network namespace (unshare -r -n)",
	Gain:     "full capabilities inside a new user namespace: the kernel's namespaced attack surface (netfilter, mount, ...) opens up",
	Syscalls: []string{"unshare", "clone", "clone3"},
	Model: Model{
		CapNote: "none: creating a user namespace needs no capability, and CLONE_NEWNET is checked in the new one; kernel.unprivileged_userns_clone, user.max_user_namespaces and AppArmor's userns restriction can refuse it",
		Calls: []Call{
			{Name: "unshare", Args: [6]uint64{unix.CLONE_NEWUSER | unix.CLONE_NEWNET}},
			{Name: "unshare", Args: [6]uint64{unix.CLONE_NEWUSER}},
			{Name: "clone", Args: [6]uint64{unix.CLONE_NEWUSER | unix.CLONE_NEWNET | uint64(unix.SIGCHLD)}},
			// clone3 passes flags in memory a filter cannot read.
			{Name: "clone3"},
		},
	},
	Safety: "every variant the model lists is tried, each in a child that exits at once, taking its namespaces with it: " +
		"unshare(CLONE_NEWUSER|CLONE_NEWNET) and unshare(CLONE_NEWUSER) in a forked child that then execs rampart as a no-op; " +
		"clone(CLONE_NEWUSER|CLONE_NEWNET|SIGCHLD) and clone3 with those flags fork a copy of this process that, every signal blocked, makes no call but exit_group. " +
		"Canaries (EINVAL before any namespace exists or any check runs): unshare with an unknown flag bit (check_unshare_flags), " +
		"clone with CLONE_FS added (copy_process refuses CLONE_NEWUSER|CLONE_FS first), clone3 with an exit signal above CSIGNAL (copy_clone_args_from_user)",
	run: func(e *env) Outcome {
		// A filter that refuses unshare alone leaves clone: the path is
		// open if any variant makes the namespaces.
		return anyVariant(e, unix.EINVAL,
			unshareVariant(unix.CLONE_NEWUSER|unix.CLONE_NEWNET, "unshare(CLONE_NEWUSER|CLONE_NEWNET)", "new user and network namespaces"),
			variant{name: "clone(CLONE_NEWUSER|CLONE_NEWNET)", run: func(*env) Outcome {
				const step = "clone(CLONE_NEWUSER|CLONE_NEWNET|SIGCHLD), the child exiting at once"
				if _, errno := forkWait(unix.SYS_CLONE, unix.CLONE_NEWUSER|unix.CLONE_NEWNET|uintptr(unix.SIGCHLD), nil, 0, nil, 0); errno != 0 {
					return refused(step, errno)
				}
				return open(step, "a child was created in new user and network namespaces, and exited")
			}, canary: cloneCanary(unix.CLONE_NEWUSER | unix.CLONE_NEWNET | uintptr(unix.SIGCHLD))},
			variant{name: "clone3", run: func(*env) Outcome {
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
		)
	},
	canaryErrno: unix.EINVAL,
})

// unshareVariant unshares flags in a forked child (unshare(CLONE_NEWUSER)
// needs a single-threaded caller; the child is one) that then execs
// rampart as a no-op. Its canary adds an unknown flag bit (0x1), which
// check_unshare_flags rejects with EINVAL before anything else.
func unshareVariant(flags uintptr, call, what string) variant {
	return variant{name: call, run: func(*env) Outcome {
		step := call + " in a forked child"
		err := spawnNoop(&syscall.SysProcAttr{Unshareflags: flags})
		if err != nil {
			var e syscall.Errno
			if errors.As(err, &e) {
				return refused(step, e)
			}
			return Outcome{Errno: unix.ECHILD, Step: step, Detail: err.Error()}
		}
		return open(step, what+" created in a child that then exited")
	}, canary: func() syscall.Errno {
		return errnoOf(unix.Unshare(int(flags) | 0x1))
	}}
}

// oTmpfileBit is __O_TMPFILE without O_DIRECTORY: openat rejects it with
// EINVAL in build_open_flags, before any lookup or permission check.
const oTmpfileBit = unix.O_TMPFILE &^ unix.O_DIRECTORY

var _ = register(&Path{
	ID:       "read-shadow",
	Title:    "read /etc/shadow",
	Gain:     "password hashes to crack offline",
	Syscalls: []string{"openat", "read"},
	Model: Model{
		CapNote: "none for root, which owns the file; another uid needs CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE",
		Calls:   readOnlyOpens(),
		LSM:     []Access{{Kind: AccessFile, Path: "/etc/shadow", Mode: "r"}},
	},
	Safety: "opens the file, reads one byte into a buffer that is discarded, closes it; nothing is printed",
	run: func(*env) Outcome {
		return readOneByte("/etc/shadow")
	},
	canary: func() syscall.Errno {
		fd, err := unix.Open("/etc/shadow", unix.O_RDONLY|unix.O_CLOEXEC|oTmpfileBit, 0)
		if err == nil {
			unix.Close(fd)
		}
		return errnoOf(err)
	},
	canaryErrno: unix.EINVAL,
})

// readOneByte's calls, as a filter sees them: openat with and without
// O_CLOEXEC, open, and openat2 (whose flags are in memory).
func readOnlyOpens() []Call {
	return []Call{
		{Name: "openat", Args: [6]uint64{unix.AT_FDCWD & 0xffffffff, 0, unix.O_RDONLY}},
		{Name: "openat", Args: [6]uint64{unix.AT_FDCWD & 0xffffffff, 0, unix.O_RDONLY | unix.O_CLOEXEC}},
		{Name: "open", Args: [6]uint64{0, unix.O_RDONLY}},
		{Name: "openat2"},
	}
}

// readOneByte opens path read-only, reads one byte and throws it away.
func readOneByte(path string) Outcome {
	step := "openat(AT_FDCWD, \"" + path + "\", O_RDONLY|O_CLOEXEC)"
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return Outcome{Errno: unix.ENOENT, Step: step, Absent: path + " does not exist here"}
		}
		o := refused(step, err)
		dac := unix.Faccessat(unix.AT_FDCWD, path, unix.R_OK, unix.AT_EACCESS) == nil
		o.DACAllows = &dac
		return o
	}
	var b [1]byte
	_, err = unix.Read(fd, b[:])
	unix.Close(fd)
	b[0] = 0
	if err != nil {
		return refused("read(1 byte)", err)
	}
	return open(step, "opened and read one byte (discarded)")
}

// socketCalls lists the variants of socket(family, type, proto) an
// attacker's libc or runtime may issue: plain, and with SOCK_CLOEXEC and
// SOCK_NONBLOCK, which some filters compare exactly.
func socketCalls(family, typ, proto int) []Call {
	var out []Call
	for _, flags := range []int{0, unix.SOCK_CLOEXEC, unix.SOCK_NONBLOCK, unix.SOCK_CLOEXEC | unix.SOCK_NONBLOCK} {
		out = append(out, Call{Name: "socket", Args: [6]uint64{uint64(family), uint64(typ | flags), uint64(proto)}})
	}
	return out
}
