//go:build linux

// Command aaccess performs one access and reports the kernel's decision.
// The lab's differential harness execs it under an AppArmor profile
// (an exec transition set by its parent), so that the profile confines
// it from its first instruction and no further exec is needed.
//
//	aaccess file PATH r|w|a        open(2): O_RDONLY, O_WRONLY|O_CREAT, O_WRONLY|O_APPEND|O_CREAT
//	aaccess network FAMILY TYPE [PROTO]  socket(2), e.g. "network inet raw icmp"
//	aaccess link TARGET PATH       link(2): PATH becomes a hard link to TARGET
//	aaccess ptrace read PID        kcmp(2) of itself and PID: ptrace read access to both
//	aaccess ptrace trace child     PTRACE_SEIZE of a child of its own (aaccess re-executed, so
//	                               under the same profile), then the child is killed
//	aaccess mount FSTYPE DIR       mount(2) of FSTYPE on DIR in a mount namespace of its own
//	                               thread (unshare(CLONE_NEWNS)), unmounted at once
//
// It prints one line, VERDICT<TAB>ERRNO<TAB>DETAIL<TAB>LABEL, VERDICT being
// allow, deny (EACCES or EPERM) or error (anything else: ENOENT,
// EAFNOSUPPORT, bad arguments), and exits 0, 1 or 3 accordingly (2 is the Go runtime's own failure). LABEL is
// the process's AppArmor label when the profile lets it read it, else "-".
// The access is the first thing it does; nothing is written to a file
// it opens.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

var families = map[string]int{
	"unix": unix.AF_UNIX, "local": unix.AF_UNIX, "inet": unix.AF_INET, "inet6": unix.AF_INET6,
	"netlink": unix.AF_NETLINK, "packet": unix.AF_PACKET, "key": unix.AF_KEY,
	"alg": unix.AF_ALG, "vsock": unix.AF_VSOCK, "bluetooth": unix.AF_BLUETOOTH,
	"appletalk": unix.AF_APPLETALK, "ax25": unix.AF_AX25, "x25": unix.AF_X25,
	"ipx": unix.AF_IPX, "can": unix.AF_CAN, "tipc": unix.AF_TIPC, "xdp": unix.AF_XDP,
}

var types = map[string]int{
	"stream": unix.SOCK_STREAM, "dgram": unix.SOCK_DGRAM, "raw": unix.SOCK_RAW,
	"seqpacket": unix.SOCK_SEQPACKET, "rdm": unix.SOCK_RDM, "packet": unix.SOCK_PACKET,
}

var protos = map[string]int{
	"ip": 0, "icmp": unix.IPPROTO_ICMP, "tcp": unix.IPPROTO_TCP, "udp": unix.IPPROTO_UDP,
	"icmpv6": unix.IPPROTO_ICMPV6, "sctp": unix.IPPROTO_SCTP, "udplite": unix.IPPROTO_UDPLITE,
}

// childArg makes aaccess the child a ptrace access traces: it waits to
// be killed.
const childArg = "--be-traced"

func main() {
	if len(os.Args) == 2 && os.Args[1] == childArg {
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	args := os.Args[1:]
	if len(args) == 1 {
		args = strings.Fields(args[0]) // the access as one word, as the manifest has it
	}
	err := access(args)
	label := "-"
	if b, rerr := os.ReadFile("/proc/self/attr/apparmor/current"); rerr == nil {
		label = strings.TrimSpace(strings.TrimRight(string(b), "\x00\n"))
	}
	verdict, code, name := "allow", 0, "-"
	var detail string
	var errno unix.Errno
	switch {
	case err == nil:
		detail = "-"
	case errors.As(err, &errno) && (errno == unix.EACCES || errno == unix.EPERM):
		verdict, code, name, detail = "deny", 1, unix.ErrnoName(errno), err.Error()
	case errors.As(err, &errno):
		verdict, code, name, detail = "error", 3, unix.ErrnoName(errno), err.Error()
	default:
		verdict, code, detail = "error", 3, err.Error()
	}
	fmt.Printf("%s\t%s\t%s\t%s\n", verdict, name, strings.ReplaceAll(detail, "\t", " "), label)
	os.Exit(code)
}

type usage string

func (u usage) Error() string { return "usage: " + string(u) }

func access(a []string) error {
	if len(a) == 0 {
		return usage("aaccess file PATH r|w|a | network FAMILY TYPE [PROTO] | link TARGET PATH | ptrace read PID | ptrace trace child | mount FSTYPE DIR")
	}
	switch a[0] {
	case "file":
		if len(a) != 3 {
			return usage("aaccess file PATH r|w|a")
		}
		var flags int
		switch a[2] {
		case "r":
			flags = unix.O_RDONLY
		case "w":
			flags = unix.O_WRONLY | unix.O_CREAT
		case "a":
			flags = unix.O_WRONLY | unix.O_APPEND | unix.O_CREAT
		default:
			return usage("file access is r, w or a, not " + a[2])
		}
		fd, err := unix.Open(a[1], flags|unix.O_CLOEXEC|unix.O_NOCTTY, 0o644)
		if err != nil {
			return fmt.Errorf("open %s: %w", a[1], err)
		}
		return unix.Close(fd)
	case "network":
		if len(a) != 3 && len(a) != 4 {
			return usage("aaccess network FAMILY TYPE [PROTO]")
		}
		fam, ok := families[a[1]]
		if !ok {
			return usage("unknown family " + a[1])
		}
		typ, ok := types[a[2]]
		if !ok {
			return usage("unknown type " + a[2])
		}
		proto := 0
		if len(a) == 4 {
			if p, ok := protos[a[3]]; ok {
				proto = p
			} else if n, err := strconv.Atoi(a[3]); err == nil {
				proto = n
			} else {
				return usage("unknown protocol " + a[3])
			}
		}
		fd, err := unix.Socket(fam, typ|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return fmt.Errorf("socket(%s, %s, %d): %w", a[1], a[2], proto, err)
		}
		return unix.Close(fd)
	case "link":
		if len(a) != 3 {
			return usage("aaccess link TARGET PATH")
		}
		if err := unix.Link(a[1], a[2]); err != nil {
			return fmt.Errorf("link %s %s: %w", a[1], a[2], err)
		}
		return nil
	case "ptrace":
		if len(a) != 3 {
			return usage("aaccess ptrace read PID | ptrace trace child")
		}
		return ptraceAccess(a[1], a[2])
	case "mount":
		if len(a) != 3 {
			return usage("aaccess mount FSTYPE DIR")
		}
		return mountAccess(a[1], a[2])
	}
	return usage("unknown access kind " + a[0] + " (file, network, link, ptrace, mount)")
}

// ptraceAccess asks for ptrace read access to a task (kcmp compares
// nothing until ptrace_may_access allows both tasks, PTRACE_MODE_READ)
// or traces a child of its own, which runs under the same profile.
func ptraceAccess(mode, who string) error {
	switch mode {
	case "read":
		pid, err := strconv.Atoi(who)
		if err != nil {
			return usage("ptrace read takes a pid, not " + who)
		}
		const kcmpFile = 0
		_, _, e := unix.Syscall6(unix.SYS_KCMP, uintptr(os.Getpid()), uintptr(pid), kcmpFile, 0, 0, 0)
		if e != 0 && e != unix.EBADF { // EBADF: allowed, and no such descriptor to compare
			return fmt.Errorf("kcmp(%d, %d): %w", os.Getpid(), pid, e)
		}
		return nil
	case "trace":
		if who != "child" {
			return usage("ptrace trace takes child")
		}
		self, err := os.Executable()
		if err != nil {
			return err
		}
		child := exec.Command(self, childArg)
		if err := child.Start(); err != nil {
			return fmt.Errorf("start the child: %v", err) // not the decision asked for: a harness error
		}
		defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		const ptraceSeize = 0x4206
		if _, _, e := unix.Syscall6(unix.SYS_PTRACE, ptraceSeize, uintptr(child.Process.Pid), 0, 0, 0, 0); e != 0 {
			return fmt.Errorf("PTRACE_SEIZE %d: %w", child.Process.Pid, e)
		}
		return nil
	}
	return usage("ptrace access is read or trace, not " + mode)
}

// mountAccess mounts fstype on dir where only this thread sees it, and
// unmounts it again.
func mountAccess(fstype, dir string) error {
	runtime.LockOSThread() // the thread's namespace dies with the process
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare(CLONE_NEWNS): %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("aaccess", dir, fstype, 0, ""); err != nil {
		return fmt.Errorf("mount %s on %s: %w", fstype, dir, err)
	}
	return unix.Unmount(dir, unix.MNT_DETACH)
}
