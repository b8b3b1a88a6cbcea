package attack

import (
	"slices"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// The seed article's three paths.

var _ = declare(func() *Path {
	return &Path{
		ID:       "raw-socket",
		Title:    "raw ICMP socket",
		Gain:     "crafted packets on the pod network: ping sweeps, spoofing, ICMP tunnels",
		Syscalls: []string{"socket"},
		Model: Model{
			UserNS:  UserNSNet,
			Caps:    caps.Of(caps.NET_RAW),
			CapNote: "in the user namespace that owns the network namespace (inet_create)",
			Calls:   socketVariantCalls(linuxabi.AF_INET, linuxabi.SOCK_RAW, linuxabi.IPPROTO_ICMP),
			LSM: []Access{
				{Kind: AccessNetwork, Family: "inet", Type: "raw"},
				{Kind: AccessCapability, Cap: "net_raw"},
			},
		},
		Safety:      "creates the socket and closes it; nothing is sent. " + socketSafety,
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "userns-netns",
		Title:    "user + network namespace (unshare -r -n)",
		Gain:     "full capabilities inside a new user namespace: the kernel's namespaced attack surface (netfilter, mount, ...) opens up",
		Syscalls: []string{"unshare", "clone", "clone3", "setns"},
		Model: Model{
			CapNote: "none: creating a user namespace needs no capability, and CLONE_NEWNET is checked in the new one; kernel.unprivileged_userns_clone, user.max_user_namespaces and AppArmor's userns restriction can refuse it. " +
				"Joining one that exists needs CAP_SYS_ADMIN in it, which its owner's uid holds",
			Calls: usernsCalls(),
		},
		Safety: "every variant the model lists is tried, each in a child that exits at once, taking its namespaces with it: " +
			"unshare(CLONE_NEWUSER|CLONE_NEWNET) and unshare(CLONE_NEWUSER) in a forked child that then execs rampart as a no-op; " +
			"clone(CLONE_NEWUSER|CLONE_NEWNET|SIGCHLD), clone(CLONE_NEWUSER|SIGCHLD) and clone3 with the first flags fork a copy of this process that, every signal blocked, makes no call but exit_group; " +
			"setns(CLONE_NEWUSER) joins a user namespace that already exists (another process's, found through /proc/PID/ns/user; none is ever made for it) from a forked child that, every signal blocked, makes that one raw call and exits. " +
			"Canaries (EINVAL before any namespace exists or any check runs): unshare with an unknown flag bit (check_unshare_flags), " +
			"clone with CLONE_FS added (copy_process refuses CLONE_NEWUSER|CLONE_FS first), clone3 with an exit signal above CSIGNAL (copy_clone_args_from_user), " +
			"setns with the fd of \"/\" (neither a namespace nor a pidfd)." + askSafety,
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "read-shadow",
		Title:    "read /etc/shadow",
		Gain:     "password hashes to crack offline",
		Syscalls: []string{"openat", "read"},
		Model: Model{
			UserNS:  UserNSFile,
			CapNote: "none for root, which owns the file; another uid needs CAP_DAC_READ_SEARCH or CAP_DAC_OVERRIDE",
			Calls:   readOnlyOpens(),
			LSM:     []Access{{Kind: AccessFile, Path: "/etc/shadow", Mode: "r"}},
		},
		Safety:      "opens the file, reads one byte into a buffer that is discarded, closes it; nothing is printed. " + readOpensSafety,
		CanaryErrno: linuxabi.EINVAL,
	}
})

// usernsCalls are the ways to a user namespace: unshare, and the
// siblings seccomp's table knows (clone, clone3) for each flag set, the
// clone a libc makes (with SIGCHLD), and setns into one that exists.
func usernsCalls() []Call {
	var out []Call
	for _, flags := range []uint64{linuxabi.CLONE_NEWUSER | linuxabi.CLONE_NEWNET, linuxabi.CLONE_NEWUSER} {
		for _, c := range siblingCalls(Call{Name: "unshare", Args: [6]uint64{flags}, Label: "unshare(" + CloneFlags(flags) + ")"}) {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	flags := linuxabi.CLONE_NEWUSER | linuxabi.CLONE_NEWNET | uint64(linuxabi.SIGCHLD)
	return append(out,
		Call{Name: "clone", Args: [6]uint64{flags}, Label: "clone(" + CloneFlags(flags) + ")"},
		Call{Name: "setns", Args: [6]uint64{0, linuxabi.CLONE_NEWUSER}, Label: "setns(CLONE_NEWUSER)", Needs: UserNSToJoin},
		Call{Name: "setns", Args: [6]uint64{0, 0}, Label: "setns(fd, 0)", Needs: UserNSToJoin},
	)
}

// UserNSToJoin is what the setns variants need besides the layers.
const UserNSToJoin = "a user namespace to join: another process's, whose /proc/PID/ns/user this one can open"

// socketCalls lists the variants of socket(family, type, proto) an
// attacker's libc or runtime may issue: plain, and with SOCK_CLOEXEC and
// SOCK_NONBLOCK, which some filters compare exactly.
func socketCalls(family, typ, proto int) []Call {
	var out []Call
	for _, flags := range []int{0, linuxabi.SOCK_CLOEXEC, linuxabi.SOCK_NONBLOCK, linuxabi.SOCK_CLOEXEC | linuxabi.SOCK_NONBLOCK} {
		out = append(out, Call{Name: "socket", Args: [6]uint64{uint64(family), uint64(typ | flags), uint64(proto)}})
	}
	return out
}

// socketVariantCalls are socketCalls, the same call on i386 (through
// socketcall(2), whose arguments a filter cannot read, and directly),
// and the siblings seccomp's table knows for the socket: (AF_INET,
// SOCK_PACKET) for a packet socket, and an io_uring SOCKET. socketpair
// is none: its sockets are AF_UNIX, and connected to each other.
func socketVariantCalls(family, typ, proto int) []Call {
	out := append(socketCalls(family, typ, proto),
		Call{Name: "socketcall", Args: [6]uint64{linuxabi.SocketcallSocket, 0x10000}, Compat: "i386", Label: "i386 socketcall(SYS_SOCKET)"},
		Call{Name: "socket", Args: [6]uint64{uint64(family), uint64(typ), uint64(proto)}, Compat: "i386", Label: "i386 socket"})
	for _, c := range siblingCalls(Call{Name: "socket", Args: [6]uint64{uint64(family), uint64(typ), uint64(proto)}})[1:] {
		if c.Name == "socketpair" {
			continue
		}
		if c.Name == "socket" {
			c.Label = "socket(AF_INET, SOCK_PACKET)"
		}
		out = append(out, c)
	}
	return out
}

const socketSafety = "Each way to make the socket is tried in turn until one makes it, each closed at once: socket() with and without SOCK_CLOEXEC and SOCK_NONBLOCK, " +
	"the same call on i386 (socketcall(SYS_SOCKET) and socket through INT $0x80, made by a child forked from a discarded thread, every signal blocked, " +
	"that makes itself not dumpable, makes the one call and exits, so its socket goes with it and a fault or a filter's kill ends only the child, without a core file; " +
	"its arguments sit in a page mapped below 4 GiB), " +
	"the siblings seccomp's table knows (for AF_PACKET, (AF_INET, SOCK_PACKET), which the kernel turns into a packet socket), and an io_uring SOCKET " +
	"(a one-entry ring of the probe's own, closed with its maps once the single entry completes). " +
	"Canaries add an unknown type flag bit, which __sys_socket_create rejects with EINVAL before the family's create and its capability check." + askSafety
