package attack

import (
	"path"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// Paths from a workload to the host: another process's memory, files by
// handle, kernel attack surface (io_uring, userfaultfd), devices, the
// crash handler, the magic SysRq key, the container runtime's socket and
// the terminal's input queue.

var _ = declare(func() *Path {
	return &Path{
		ID:       "ptrace-child",
		Title:    "ptrace a process (attach to one's own child)",
		Gain:     "control of another process of the workload: read and write its memory and registers, inject code, steal its secrets and file descriptors",
		Syscalls: []string{"ptrace"},
		Model: Model{
			CapNote: "none for a process with the same uids and gids, dumpable, whose permitted capabilities are a subset of ours (own child); CAP_SYS_PTRACE for any other; kernel.yama.ptrace_scope 1 allows descendants only, 2 needs CAP_SYS_PTRACE, 3 refuses all",
			Calls: []Call{
				{Name: "ptrace", Args: [6]uint64{linuxabi.PTRACE_ATTACH}},
				{Name: "ptrace", Args: [6]uint64{linuxabi.PTRACE_SEIZE}},
			},
			LSM: []Access{{Kind: AccessPtrace, Mode: "trace"}},
		},
		Safety:      "attaches to rampart's own freshly started child (rampart re-executed, blocked reading stdin) with PTRACE_SEIZE and no options, stops it with PTRACE_INTERRUPT, detaches at once with no signal; nothing of the child is read or changed; then the child's stdin is closed and it exits and is reaped. Done on a throw-away thread: if anything fails the kernel detaches when the thread exits, and the child is killed",
		CanaryErrno: linuxabi.EIO,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "process-vm-readv",
		Title:    "read another process's memory (process_vm_readv)",
		Gain:     "secrets in the memory of the workload's other processes (keys, tokens, passwords), without attaching",
		Syscalls: []string{"process_vm_readv"},
		Model: Model{
			CapNote: "none for a process with the same credentials (ptrace_may_access with PTRACE_MODE_ATTACH_REALCREDS, as for ptrace); CAP_SYS_PTRACE for any other; Yama's ptrace_scope applies",
			Calls: []Call{
				{Name: "process_vm_readv", Args: [6]uint64{0, 0, 1, 0, 1, 0}},
			},
			LSM: []Access{{Kind: AccessPtrace, Mode: "trace"}},
		},
		Safety:      "reads one byte from rampart's own freshly started child, at the address of a constant marker the child printed itself, into a buffer that is discarded; nothing is written. process_vm_rw_core calls mm_access (ptrace_may_access, PTRACE_MODE_ATTACH_REALCREDS) before it touches any page, so EFAULT or ENOMEM from the copy still means the read was permitted",
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "open-by-handle",
		Title:    "open a file by handle (open_by_handle_at, the \"shocker\" breakout)",
		Gain:     "any file of a filesystem the container has one file of (a bind-mounted /etc/hosts is enough): handles are forged by guessing inode numbers, bypassing the mount namespace and path checks; reads the host's /etc/shadow",
		Syscalls: []string{"open_by_handle_at", "name_to_handle_at"},
		Model: Model{
			UserNS:  UserNSInit,
			Caps:    caps.Of(caps.DAC_READ_SEARCH),
			CapNote: "in the initial user namespace (handle_to_path, before the handle is read); since the 2024 relaxation (6.10 or 6.11) a directory opened with O_DIRECTORY may instead pass with CAP_SYS_ADMIN over the filesystem or mount plus CAP_DAC_READ_SEARCH in the caller's user namespace",
			Calls: []Call{
				{Name: "open_by_handle_at", Args: [6]uint64{0, 0, linuxabi.O_RDONLY}},
				{Name: "open_by_handle_at", Args: [6]uint64{0, 0, linuxabi.O_RDONLY | linuxabi.O_CLOEXEC}},
				{Name: "open_by_handle_at", Args: [6]uint64{0, 0, linuxabi.O_RDONLY | linuxabi.O_LARGEFILE}},
			},
			LSM: []Access{
				{Kind: AccessCapability, Cap: "dac_read_search"},
				{Kind: AccessFile, Path: "/", Mode: "r"},
			},
		},
		Safety:      "opens \"/\" by its own handle read-only and closes it; nothing is read. Without O_DIRECTORY only CAP_DAC_READ_SEARCH lets handle_to_path through. If name_to_handle_at is refused (an overlayfs root cannot encode handles) the probe sends a forged handle instead (inode 0, generation 0), which no filesystem decodes: ESTALE after the capability check, and nothing opened",
		CanaryErrno: linuxabi.EBADF,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "io-uring",
		Title:    "io_uring instance",
		Gain:     "a large, fast-moving kernel attack surface (a steady source of privilege-escalation bugs), and I/O that syscall filters never see: io_uring operations bypass seccomp",
		Syscalls: []string{"io_uring_setup", "io_uring_enter", "io_uring_register"},
		Model: Model{
			UserNS:  UserNSInit,
			CapNote: "none while kernel.io_uring_disabled=0; 1 allows only CAP_SYS_ADMIN or members of kernel.io_uring_group; 2 refuses all (io_uring_allowed, before anything else)",
			Calls:   []Call{{Name: "io_uring_setup", Args: [6]uint64{1}}},
		},
		Safety:      "creates a one-entry ring and closes its fd; nothing is mapped or submitted",
		CanaryErrno: linuxabi.EFAULT,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "userfaultfd",
		Title:    "userfaultfd",
		Gain:     "page faults handled in user space: an exploit stalls the kernel mid-copy_from_user to win a race (the classic use-after-free enabler); the kernel-mode variant is what exploits need",
		Syscalls: []string{"userfaultfd"},
		Model: Model{
			UserNS:  UserNSInit,
			CapNote: "none with UFFD_USER_MODE_ONLY; faults in kernel mode (what exploits use) need CAP_SYS_PTRACE unless vm.unprivileged_userfaultfd=1; /dev/userfaultfd (6.1) is gated by its file mode instead",
			Calls: []Call{
				{Name: "userfaultfd", Args: [6]uint64{linuxabi.O_CLOEXEC | linuxabi.UffdUserModeOnly}},
				{Name: "userfaultfd", Args: [6]uint64{linuxabi.O_CLOEXEC | linuxabi.O_NONBLOCK | linuxabi.UffdUserModeOnly}},
				{Name: "userfaultfd", Args: [6]uint64{linuxabi.O_CLOEXEC}},
				{Name: "userfaultfd", Args: [6]uint64{linuxabi.O_CLOEXEC | linuxabi.O_NONBLOCK}},
				{Name: "userfaultfd", Args: [6]uint64{0}},
			},
		},
		Safety:      "creates a userfaultfd and closes it; no memory range is registered, so no fault is ever handled by it",
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "mknod-block",
		Title:    "create a block device node",
		Gain:     "raw access to the host's disks through a node of their device number (e.g. 8:0), bypassing every file permission, where the device cgroup allows it",
		Syscalls: []string{"mknodat", "mknod"},
		Model: Model{
			UserNS:  UserNSInit,
			Caps:    caps.Of(caps.MKNOD),
			CapNote: "in the initial user namespace (vfs_mknod); the device cgroup decides next, then the device's open",
			Calls: []Call{
				{Name: "mknodat", Args: [6]uint64{linuxabi.AT_FDCWD & 0xffffffff, 0, linuxabi.S_IFBLK | 0o666, 0x800}},
				{Name: "mknodat", Args: [6]uint64{linuxabi.AT_FDCWD & 0xffffffff, 0, linuxabi.S_IFBLK | 0o600, 0x800}},
				{Name: "mknod", Args: [6]uint64{0, linuxabi.S_IFBLK | 0o666, 0x800}},
			},
			LSM: []Access{
				{Kind: AccessCapability, Cap: "mknod"},
				{Kind: AccessFile, Path: "/dev/shm/rampart-probe-*/b", Mode: "w"},
			},
		},
		Safety:      "creates a fresh directory on tmpfs (/dev/shm, else the temporary directory), makes a block node of device 0:0 in it (no device behind it; it is never opened), and removes the node and the directory at once, also on failure; nothing survives, and nothing reaches a disk",
		CanaryErrno: linuxabi.EBADF,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "core-pattern",
		Title:    "open /proc/sys/kernel/core_pattern for writing",
		Gain:     "host root: a core_pattern of \"|/path\" makes the kernel run that program as full root in the host's namespaces at the next crash of any process",
		Syscalls: []string{"openat", "open", "write"},
		Model: Model{
			UserNS:  UserNSHostOwner,
			CapNote: "none: proc_sys_permission compares the file mode (0644, root) with the euid, so root of the initial user namespace passes without any capability; root of a user namespace is refused. Containers mount /proc/sys read-only (EROFS)",
			Calls:   writeOpenCalls(),
			LSM:     []Access{{Kind: AccessFile, Path: "/proc/sys/kernel/core_pattern", Mode: "w"}},
		},
		Safety:      "opens the file write-only without O_TRUNC and closes it without writing: opening a sysctl file runs only the permission checks (proc_sys_permission, then the mount's read-only check, then the LSM's file_open); only write() would change the pattern. " + writeOpensSafety,
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "sysrq-trigger",
		Title:    "open /proc/sysrq-trigger for writing",
		Gain:     "the host's magic SysRq key: one byte crashes (c), reboots (b) or powers off (o) the host, kills every process (i), remounts filesystems read-only (u); kernel.sysrq does not restrict this file",
		Syscalls: []string{"openat", "open", "write"},
		Model: Model{
			UserNS:  UserNSHostOwner,
			CapNote: "none for uid 0, the owner (mode 0200); another uid needs CAP_DAC_OVERRIDE. Container runtimes mount it read-only (EROFS)",
			Calls:   writeOpenCalls(),
			LSM:     []Access{{Kind: AccessFile, Path: "/proc/sysrq-trigger", Mode: "w"}},
		},
		Safety:      "opens the file write-only and closes it without writing: the file has no open handler, only write_sysrq_trigger acts, and it is never called. " + writeOpensSafety,
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "runtime-socket",
		Title:    "connect to the container runtime's socket",
		Gain:     "host root: the runtime's API starts a privileged container with the host's / mounted (docker run --privileged -v /:/host)",
		Syscalls: []string{"socket", "connect"},
		Model: Model{
			UserNS:  UserNSHostOwner,
			CapNote: "none: connect needs write permission on the socket file (root, or the docker group; CAP_DAC_OVERRIDE for another uid); the socket is reachable only where a mount brings it in (a hostPath volume) or pid 1's root is the node's (hostPID, with ptrace read access to pid 1: CAP_SYS_PTRACE)",
			Calls:   append(socketCalls(linuxabi.AF_UNIX, linuxabi.SOCK_STREAM, 0), Call{Name: "connect"}),
			LSM:     runtimeSocketLSM(),
		},
		Safety:      "looks for the sockets with stat alone (the well-known paths, their tails below each mount point other than network and FUSE filesystems, the well-known paths under /proc/1/root), connects to each runtime socket that exists and closes the connection at once without sending a byte: the runtime sees a client come and go, no request",
		CanaryErrno: linuxabi.EINVAL,
	}
})

var _ = declare(func() *Path {
	return &Path{
		ID:       "tiocsti",
		Title:    "inject input into a terminal (TIOCSTI)",
		Gain:     "commands typed into the terminal of whoever reads it next: a workload sharing the controlling terminal of a privileged shell (rampart run, su, sudo, kubectl exec -t) runs commands as that user once it exits",
		Syscalls: []string{"ioctl"},
		Model: Model{
			UserNS:  UserNSInit,
			CapNote: "none on the caller's own controlling terminal while dev.tty.legacy_tiocsti=1; CAP_SYS_ADMIN when it is 0 (EIO; 6.2+) and for any other terminal (EPERM)",
			Calls: []Call{
				{Name: "ioctl", Args: [6]uint64{0, linuxabi.TIOCSTI}},
				{Name: "ioctl", Args: [6]uint64{0, linuxabi.TIOCSTIHigh}},
			},
			LSM: []Access{
				{Kind: AccessFile, Path: "/dev/ptmx", Mode: "rw"},
				{Kind: AccessFile, Path: "/dev/pts/*", Mode: "rw"},
			},
		},
		Safety:      "in a re-executed rampart (setsid is process-wide) that ignores SIGHUP: a new session, a fresh pseudo-terminal from /dev/ptmx made its controlling terminal, one character pushed into that terminal's own input queue, both ends closed; nobody reads it. The user's terminal is never touched: the child has no descriptor of it (stdin is /dev/null, stdout and stderr are pipes) and its new session has no link to it",
		CanaryErrno: linuxabi.EBADF,
	}
})

// runtimeSockets are the container runtimes' API sockets, in the order
// attackers try them, each under /run and under /var/run: most images
// link /var/run to /run, but in one that does not, a mount of the node's
// /run at /var/run brings the sockets in below /var/run.
var runtimeSockets = underBothRuns(wellKnownSockets...)

var wellKnownSockets = []string{
	"/var/run/docker.sock", "/run/containerd/containerd.sock", "/run/crio/crio.sock",
	"/run/podman/podman.sock", "/var/run/cri-dockerd.sock", "/run/k3s/containerd/containerd.sock",
}

// underBothRuns lists each path as given and then under the other of
// /run and /var/run.
func underBothRuns(paths ...string) []string {
	var out []string
	for _, p := range paths {
		twin := "/var" + p
		if rest, ok := strings.CutPrefix(p, "/var/run/"); ok {
			twin = "/run/" + rest
		}
		out = append(out, p, twin)
	}
	return out
}

// WellKnownSocket says whether p, a path in the container, is one where
// the runtime-socket probe looks for a runtime's socket.
func WellKnownSocket(p string) bool { return slices.Contains(runtimeSockets, path.Clean(p)) }

// RuntimeSockets are the paths where the runtime-socket probe looks for
// a runtime's socket first (WellKnownSockets, each under /run and
// /var/run), in the order attackers try them.
func RuntimeSockets() []string { return slices.Clone(runtimeSockets) }

// WellKnownSockets are the container runtimes' API sockets as they are
// usually named, before RuntimeSockets adds the other of /run and
// /var/run.
func WellKnownSockets() []string { return slices.Clone(wellKnownSockets) }

// SocketTails are the trailing parts of RuntimeSockets that the probe
// looks for below every mount point (see SocketInMount).
func SocketTails() []string { return slices.Clone(socketTails) }

// socketTails are the well-known socket paths' trailing parts
// ("containerd/containerd.sock", "containerd.sock"), and the whole paths
// without their leading slash: what a mount of one of their directories
// (or of the node's root) brings in below its mount point.
var socketTails = func() []string {
	var out []string
	for _, p := range runtimeSockets {
		parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
		for i := range parts {
			if t := strings.Join(parts[i:], "/"); !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}()

// SocketInMount says whether the probe finds a runtime socket that a
// mount at mountPoint brings in at rel below it ("" when the mount is the
// socket itself): at a well-known path, at a well-known path's tail
// below the mount point, or as the mount point itself when it bears a
// runtime socket's name. A socket a mount brings in elsewhere is not
// looked for, so prediction (package audit) asks this too.
func SocketInMount(mountPoint, rel string) bool {
	at := path.Join(mountPoint, rel)
	if WellKnownSocket(at) {
		return true
	}
	if rel == "" {
		rel = path.Base(at)
	}
	return path.Clean(mountPoint) != "/" && slices.Contains(socketTails, path.Clean(rel))
}

// runtimeSocketLSM are the LSM's checks on each socket the attack may
// find: each socket is a way in of its own.
func runtimeSocketLSM() []Access { return SocketAccesses(runtimeSockets...) }

// SocketAccesses are the LSM's checks on connecting to each of the
// sockets at paths, each one way in (Access.Route). A socket reached
// through another process's root (/proc/1/root/..., with hostPID) is
// reached only with ptrace read access to that process: the kernel asks
// it (ptrace_may_access, PTRACE_MODE_READ_FSCREDS) to follow the link,
// and an LSM that refuses ptrace of the host's init closes that way.
func SocketAccesses(paths ...string) []Access {
	var out []Access
	for _, p := range paths {
		if pid, ok := procRoot(p); ok {
			out = append(out, Access{Kind: AccessPtrace, Path: pid, Mode: "read", Route: p})
		}
		out = append(out,
			Access{Kind: AccessUnix, Path: p, Type: "stream", Mode: "connect", Route: p},
			Access{Kind: AccessFile, Path: p, Mode: "w", Route: p})
	}
	return out
}

// procRoot says whether p is under a process's root link, /proc/PID/root,
// and names /proc/PID.
func procRoot(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/proc/")
	if !ok {
		return "", false
	}
	pid, below, ok := strings.Cut(rest, "/")
	if !ok || pid == "" || strings.Trim(pid, "0123456789") != "" || (below != "root" && !strings.HasPrefix(below, "root/")) {
		return "", false
	}
	return "/proc/" + pid, true
}
