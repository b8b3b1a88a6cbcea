package seccomp

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

func errnoName(e uint) string {
	if n := unix.ErrnoName(unix.Errno(e)); n != "" {
		return n
	}
	return strconv.FormatUint(uint64(e), 10)
}

// symbols are the constants `rampart seccomp explain` accepts for
// arguments: the values profiles condition on.
var symbols = map[string]uint64{
	// socket families, types and flags
	"AF_UNIX": unix.AF_UNIX, "AF_LOCAL": unix.AF_LOCAL, "AF_INET": unix.AF_INET, "AF_INET6": unix.AF_INET6,
	"AF_NETLINK": unix.AF_NETLINK, "AF_PACKET": unix.AF_PACKET, "AF_VSOCK": unix.AF_VSOCK,
	"AF_ALG": unix.AF_ALG, "AF_BLUETOOTH": unix.AF_BLUETOOTH, "AF_KEY": unix.AF_KEY,
	"SOCK_STREAM": unix.SOCK_STREAM, "SOCK_DGRAM": unix.SOCK_DGRAM, "SOCK_RAW": unix.SOCK_RAW,
	"SOCK_SEQPACKET": unix.SOCK_SEQPACKET, "SOCK_PACKET": unix.SOCK_PACKET,
	"SOCK_CLOEXEC": unix.SOCK_CLOEXEC, "SOCK_NONBLOCK": unix.SOCK_NONBLOCK,
	"IPPROTO_IP": unix.IPPROTO_IP, "IPPROTO_ICMP": unix.IPPROTO_ICMP, "IPPROTO_TCP": unix.IPPROTO_TCP,
	"IPPROTO_UDP": unix.IPPROTO_UDP, "IPPROTO_RAW": unix.IPPROTO_RAW, "IPPROTO_ICMPV6": unix.IPPROTO_ICMPV6,
	"ETH_P_ALL": 0x0300, // htons(ETH_P_ALL), as socket(2) takes it
	// clone and unshare flags
	"CLONE_NEWNS": unix.CLONE_NEWNS, "CLONE_NEWUTS": unix.CLONE_NEWUTS, "CLONE_NEWIPC": unix.CLONE_NEWIPC,
	"CLONE_NEWUSER": unix.CLONE_NEWUSER, "CLONE_NEWPID": unix.CLONE_NEWPID, "CLONE_NEWNET": unix.CLONE_NEWNET,
	"CLONE_NEWCGROUP": unix.CLONE_NEWCGROUP, "CLONE_NEWTIME": unix.CLONE_NEWTIME,
	"CLONE_VM": unix.CLONE_VM, "CLONE_FS": unix.CLONE_FS, "CLONE_FILES": unix.CLONE_FILES,
	"CLONE_SIGHAND": unix.CLONE_SIGHAND, "CLONE_THREAD": unix.CLONE_THREAD, "CLONE_VFORK": unix.CLONE_VFORK,
	"CLONE_PARENT": unix.CLONE_PARENT, "CLONE_SYSVSEM": unix.CLONE_SYSVSEM, "SIGCHLD": uint64(unix.SIGCHLD),
	// personality
	"PER_LINUX": 0x0000, "PER_LINUX32": 0x0008, "UNAME26": 0x0020000, "ADDR_NO_RANDOMIZE": 0x0040000,
	"READ_IMPLIES_EXEC": 0x0400000, "PER_QUERY": 0xffffffff,
	// ioctl requests
	"TIOCSTI": unix.TIOCSTI, "TIOCLINUX": unix.TIOCLINUX, "TIOCSCTTY": unix.TIOCSCTTY, "FIONREAD": 0x541b,
	// open flags
	"O_RDONLY": unix.O_RDONLY, "O_WRONLY": unix.O_WRONLY, "O_RDWR": unix.O_RDWR, "O_CREAT": unix.O_CREAT,
	"O_TRUNC": unix.O_TRUNC, "O_CLOEXEC": unix.O_CLOEXEC, "O_PATH": unix.O_PATH, "O_TMPFILE": unix.O_TMPFILE,
	"AT_FDCWD": 0xffffff9c, // -100 as the filter sees the int
	// prctl options
	"PR_SET_NO_NEW_PRIVS": unix.PR_SET_NO_NEW_PRIVS, "PR_SET_SECCOMP": unix.PR_SET_SECCOMP,
	"PR_CAPBSET_DROP": unix.PR_CAPBSET_DROP, "PR_SET_DUMPABLE": unix.PR_SET_DUMPABLE,
	// mmap / mprotect
	"PROT_READ": unix.PROT_READ, "PROT_WRITE": unix.PROT_WRITE, "PROT_EXEC": unix.PROT_EXEC,
}

// ParseArg reads an argument: a number (decimal, 0x hex, 0o/0 octal, or
// negative, as two's complement) or constants joined by |.
func ParseArg(s string) (uint64, error) {
	var v uint64
	for _, part := range strings.Split(s, "|") {
		part = strings.TrimSpace(part)
		if n, ok := symbols[strings.ToUpper(part)]; ok {
			v |= n
			continue
		}
		if n, err := strconv.ParseUint(part, 0, 64); err == nil {
			v |= n
			continue
		}
		if n, err := strconv.ParseInt(part, 0, 64); err == nil {
			v |= uint64(n)
			continue
		}
		return 0, fmt.Errorf("argument %q: %q is neither a number nor a known constant (AF_INET, SOCK_RAW, CLONE_NEWUSER, TIOCSTI, ...)", s, part)
	}
	return v, nil
}
