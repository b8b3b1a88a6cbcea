package seccomp

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/internal/linuxabi"
)

func errnoName(e uint) string {
	if n := linuxabi.ErrnoName(uint64(e)); n != "" {
		return n
	}
	return strconv.FormatUint(uint64(e), 10)
}

// symbols are the constants `rampart seccomp explain` accepts for
// arguments: the values profiles condition on.
var symbols = map[string]uint64{
	// socket families, types and flags
	"AF_UNIX": linuxabi.AF_UNIX, "AF_LOCAL": linuxabi.AF_LOCAL, "AF_INET": linuxabi.AF_INET, "AF_INET6": linuxabi.AF_INET6,
	"AF_NETLINK": linuxabi.AF_NETLINK, "AF_PACKET": linuxabi.AF_PACKET, "AF_VSOCK": linuxabi.AF_VSOCK,
	"AF_ALG": linuxabi.AF_ALG, "AF_BLUETOOTH": linuxabi.AF_BLUETOOTH, "AF_KEY": linuxabi.AF_KEY,
	"SOCK_STREAM": linuxabi.SOCK_STREAM, "SOCK_DGRAM": linuxabi.SOCK_DGRAM, "SOCK_RAW": linuxabi.SOCK_RAW,
	"SOCK_SEQPACKET": linuxabi.SOCK_SEQPACKET, "SOCK_PACKET": linuxabi.SOCK_PACKET,
	"SOCK_CLOEXEC": linuxabi.SOCK_CLOEXEC, "SOCK_NONBLOCK": linuxabi.SOCK_NONBLOCK,
	"IPPROTO_IP": linuxabi.IPPROTO_IP, "IPPROTO_ICMP": linuxabi.IPPROTO_ICMP, "IPPROTO_TCP": linuxabi.IPPROTO_TCP,
	"IPPROTO_UDP": linuxabi.IPPROTO_UDP, "IPPROTO_RAW": linuxabi.IPPROTO_RAW, "IPPROTO_ICMPV6": linuxabi.IPPROTO_ICMPV6,
	"ETH_P_ALL": 0x0300, // htons(ETH_P_ALL), as socket(2) takes it
	// clone and unshare flags
	"CLONE_NEWNS": linuxabi.CLONE_NEWNS, "CLONE_NEWUTS": linuxabi.CLONE_NEWUTS, "CLONE_NEWIPC": linuxabi.CLONE_NEWIPC,
	"CLONE_NEWUSER": linuxabi.CLONE_NEWUSER, "CLONE_NEWPID": linuxabi.CLONE_NEWPID, "CLONE_NEWNET": linuxabi.CLONE_NEWNET,
	"CLONE_NEWCGROUP": linuxabi.CLONE_NEWCGROUP, "CLONE_NEWTIME": linuxabi.CLONE_NEWTIME,
	"CLONE_VM": linuxabi.CLONE_VM, "CLONE_FS": linuxabi.CLONE_FS, "CLONE_FILES": linuxabi.CLONE_FILES,
	"CLONE_SIGHAND": linuxabi.CLONE_SIGHAND, "CLONE_THREAD": linuxabi.CLONE_THREAD, "CLONE_VFORK": linuxabi.CLONE_VFORK,
	"CLONE_PARENT": linuxabi.CLONE_PARENT, "CLONE_SYSVSEM": linuxabi.CLONE_SYSVSEM, "SIGCHLD": uint64(linuxabi.SIGCHLD),
	// personality
	"PER_LINUX": 0x0000, "PER_LINUX32": 0x0008, "UNAME26": 0x0020000, "ADDR_NO_RANDOMIZE": 0x0040000,
	"READ_IMPLIES_EXEC": 0x0400000, "PER_QUERY": 0xffffffff,
	// ioctl requests
	"TIOCSTI": linuxabi.TIOCSTI, "TIOCLINUX": linuxabi.TIOCLINUX, "TIOCSCTTY": linuxabi.TIOCSCTTY, "FIONREAD": 0x541b,
	// open flags
	"O_RDONLY": linuxabi.O_RDONLY, "O_WRONLY": linuxabi.O_WRONLY, "O_RDWR": linuxabi.O_RDWR, "O_CREAT": linuxabi.O_CREAT,
	"O_TRUNC": linuxabi.O_TRUNC, "O_CLOEXEC": linuxabi.O_CLOEXEC, "O_PATH": linuxabi.O_PATH, "O_TMPFILE": linuxabi.O_TMPFILE,
	"AT_FDCWD": 0xffffff9c, // -100 as the filter sees the int
	// prctl options
	"PR_SET_NO_NEW_PRIVS": linuxabi.PR_SET_NO_NEW_PRIVS, "PR_SET_SECCOMP": linuxabi.PR_SET_SECCOMP,
	"PR_CAPBSET_DROP": linuxabi.PR_CAPBSET_DROP, "PR_SET_DUMPABLE": linuxabi.PR_SET_DUMPABLE,
	// mmap / mprotect
	"PROT_READ": linuxabi.PROT_READ, "PROT_WRITE": linuxabi.PROT_WRITE, "PROT_EXEC": linuxabi.PROT_EXEC,
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
