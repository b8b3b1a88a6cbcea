//go:build linux

package linuxabi

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// The constants are Linux's: x/sys/unix, built for this Linux, agrees.
func TestConstantsAreLinuxs(t *testing.T) {
	samePairs(t, []pair{
		{"AF_ALG", AF_ALG, uint64(unix.AF_ALG)},
		{"AF_BLUETOOTH", AF_BLUETOOTH, uint64(unix.AF_BLUETOOTH)},
		{"AF_INET", AF_INET, uint64(unix.AF_INET)},
		{"AF_INET6", AF_INET6, uint64(unix.AF_INET6)},
		{"AF_KEY", AF_KEY, uint64(unix.AF_KEY)},
		{"AF_LOCAL", AF_LOCAL, uint64(unix.AF_LOCAL)},
		{"AF_NETLINK", AF_NETLINK, uint64(unix.AF_NETLINK)},
		{"AF_PACKET", AF_PACKET, uint64(unix.AF_PACKET)},
		{"AF_UNIX", AF_UNIX, uint64(unix.AF_UNIX)},
		{"AF_VSOCK", AF_VSOCK, uint64(unix.AF_VSOCK)},
		{"AT_EMPTY_PATH", AT_EMPTY_PATH, uint64(unix.AT_EMPTY_PATH)},
		{"AT_REMOVEDIR", AT_REMOVEDIR, uint64(unix.AT_REMOVEDIR)},
		{"AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW, uint64(unix.AT_SYMLINK_NOFOLLOW)},
		{"AUDIT_ARCH_AARCH64", AUDIT_ARCH_AARCH64, uint64(unix.AUDIT_ARCH_AARCH64)},
		{"AUDIT_ARCH_ARM", AUDIT_ARCH_ARM, uint64(unix.AUDIT_ARCH_ARM)},
		{"AUDIT_ARCH_I386", AUDIT_ARCH_I386, uint64(unix.AUDIT_ARCH_I386)},
		{"AUDIT_ARCH_LOONGARCH64", AUDIT_ARCH_LOONGARCH64, uint64(unix.AUDIT_ARCH_LOONGARCH64)},
		{"AUDIT_ARCH_MIPS", AUDIT_ARCH_MIPS, uint64(unix.AUDIT_ARCH_MIPS)},
		{"AUDIT_ARCH_MIPS64", AUDIT_ARCH_MIPS64, uint64(unix.AUDIT_ARCH_MIPS64)},
		{"AUDIT_ARCH_MIPS64N32", AUDIT_ARCH_MIPS64N32, uint64(unix.AUDIT_ARCH_MIPS64N32)},
		{"AUDIT_ARCH_MIPSEL", AUDIT_ARCH_MIPSEL, uint64(unix.AUDIT_ARCH_MIPSEL)},
		{"AUDIT_ARCH_MIPSEL64", AUDIT_ARCH_MIPSEL64, uint64(unix.AUDIT_ARCH_MIPSEL64)},
		{"AUDIT_ARCH_MIPSEL64N32", AUDIT_ARCH_MIPSEL64N32, uint64(unix.AUDIT_ARCH_MIPSEL64N32)},
		{"AUDIT_ARCH_PPC", AUDIT_ARCH_PPC, uint64(unix.AUDIT_ARCH_PPC)},
		{"AUDIT_ARCH_PPC64", AUDIT_ARCH_PPC64, uint64(unix.AUDIT_ARCH_PPC64)},
		{"AUDIT_ARCH_PPC64LE", AUDIT_ARCH_PPC64LE, uint64(unix.AUDIT_ARCH_PPC64LE)},
		{"AUDIT_ARCH_RISCV64", AUDIT_ARCH_RISCV64, uint64(unix.AUDIT_ARCH_RISCV64)},
		{"AUDIT_ARCH_S390", AUDIT_ARCH_S390, uint64(unix.AUDIT_ARCH_S390)},
		{"AUDIT_ARCH_S390X", AUDIT_ARCH_S390X, uint64(unix.AUDIT_ARCH_S390X)},
		{"AUDIT_ARCH_X86_64", AUDIT_ARCH_X86_64, uint64(unix.AUDIT_ARCH_X86_64)},
		{"BPF_ABS", BPF_ABS, uint64(unix.BPF_ABS)},
		{"BPF_JA", BPF_JA, uint64(unix.BPF_JA)},
		{"BPF_JEQ", BPF_JEQ, uint64(unix.BPF_JEQ)},
		{"BPF_JMP", BPF_JMP, uint64(unix.BPF_JMP)},
		{"BPF_K", BPF_K, uint64(unix.BPF_K)},
		{"BPF_LD", BPF_LD, uint64(unix.BPF_LD)},
		{"BPF_RET", BPF_RET, uint64(unix.BPF_RET)},
		{"BPF_W", BPF_W, uint64(unix.BPF_W)},
		{"CLOCK_REALTIME", CLOCK_REALTIME, uint64(unix.CLOCK_REALTIME)},
		{"CLONE_FILES", CLONE_FILES, uint64(unix.CLONE_FILES)},
		{"CLONE_FS", CLONE_FS, uint64(unix.CLONE_FS)},
		{"CLONE_NEWCGROUP", CLONE_NEWCGROUP, uint64(unix.CLONE_NEWCGROUP)},
		{"CLONE_NEWIPC", CLONE_NEWIPC, uint64(unix.CLONE_NEWIPC)},
		{"CLONE_NEWNET", CLONE_NEWNET, uint64(unix.CLONE_NEWNET)},
		{"CLONE_NEWNS", CLONE_NEWNS, uint64(unix.CLONE_NEWNS)},
		{"CLONE_NEWPID", CLONE_NEWPID, uint64(unix.CLONE_NEWPID)},
		{"CLONE_NEWTIME", CLONE_NEWTIME, uint64(unix.CLONE_NEWTIME)},
		{"CLONE_NEWUSER", CLONE_NEWUSER, uint64(unix.CLONE_NEWUSER)},
		{"CLONE_NEWUTS", CLONE_NEWUTS, uint64(unix.CLONE_NEWUTS)},
		{"CLONE_PARENT", CLONE_PARENT, uint64(unix.CLONE_PARENT)},
		{"CLONE_SIGHAND", CLONE_SIGHAND, uint64(unix.CLONE_SIGHAND)},
		{"CLONE_SYSVSEM", CLONE_SYSVSEM, uint64(unix.CLONE_SYSVSEM)},
		{"CLONE_THREAD", CLONE_THREAD, uint64(unix.CLONE_THREAD)},
		{"CLONE_UNTRACED", CLONE_UNTRACED, uint64(unix.CLONE_UNTRACED)},
		{"CLONE_VFORK", CLONE_VFORK, uint64(unix.CLONE_VFORK)},
		{"CLONE_VM", CLONE_VM, uint64(unix.CLONE_VM)},
		{"ENOSYS", ENOSYS, uint64(unix.ENOSYS)},
		{"IPPROTO_ICMP", IPPROTO_ICMP, uint64(unix.IPPROTO_ICMP)},
		{"IPPROTO_ICMPV6", IPPROTO_ICMPV6, uint64(unix.IPPROTO_ICMPV6)},
		{"IPPROTO_IP", IPPROTO_IP, uint64(unix.IPPROTO_IP)},
		{"IPPROTO_RAW", IPPROTO_RAW, uint64(unix.IPPROTO_RAW)},
		{"IPPROTO_TCP", IPPROTO_TCP, uint64(unix.IPPROTO_TCP)},
		{"IPPROTO_UDP", IPPROTO_UDP, uint64(unix.IPPROTO_UDP)},
		{"MS_BIND", MS_BIND, uint64(unix.MS_BIND)},
		{"MS_MGC_VAL", MS_MGC_VAL, uint64(unix.MS_MGC_VAL)},
		{"MS_MOVE", MS_MOVE, uint64(unix.MS_MOVE)},
		{"MS_SILENT", MS_SILENT, uint64(unix.MS_SILENT)},
		{"O_CLOEXEC", O_CLOEXEC, uint64(unix.O_CLOEXEC)},
		{"O_CREAT", O_CREAT, uint64(unix.O_CREAT)},
		{"O_NOCTTY", O_NOCTTY, uint64(unix.O_NOCTTY)},
		{"O_NONBLOCK", O_NONBLOCK, uint64(unix.O_NONBLOCK)},
		{"O_PATH", O_PATH, uint64(unix.O_PATH)},
		{"O_RDONLY", O_RDONLY, uint64(unix.O_RDONLY)},
		{"O_RDWR", O_RDWR, uint64(unix.O_RDWR)},
		{"O_TRUNC", O_TRUNC, uint64(unix.O_TRUNC)},
		{"O_WRONLY", O_WRONLY, uint64(unix.O_WRONLY)},
		{"PROT_EXEC", PROT_EXEC, uint64(unix.PROT_EXEC)},
		{"PROT_READ", PROT_READ, uint64(unix.PROT_READ)},
		{"PROT_WRITE", PROT_WRITE, uint64(unix.PROT_WRITE)},
		{"PR_CAPBSET_DROP", PR_CAPBSET_DROP, uint64(unix.PR_CAPBSET_DROP)},
		{"PR_SET_DUMPABLE", PR_SET_DUMPABLE, uint64(unix.PR_SET_DUMPABLE)},
		{"PR_SET_NO_NEW_PRIVS", PR_SET_NO_NEW_PRIVS, uint64(unix.PR_SET_NO_NEW_PRIVS)},
		{"PR_SET_SECCOMP", PR_SET_SECCOMP, uint64(unix.PR_SET_SECCOMP)},
		{"PTRACE_ATTACH", PTRACE_ATTACH, uint64(unix.PTRACE_ATTACH)},
		{"PTRACE_PEEKDATA", PTRACE_PEEKDATA, uint64(unix.PTRACE_PEEKDATA)},
		{"PTRACE_POKEDATA", PTRACE_POKEDATA, uint64(unix.PTRACE_POKEDATA)},
		{"SIGCHLD", SIGCHLD, uint64(unix.SIGCHLD)},
		{"SOCK_CLOEXEC", SOCK_CLOEXEC, uint64(unix.SOCK_CLOEXEC)},
		{"SOCK_DGRAM", SOCK_DGRAM, uint64(unix.SOCK_DGRAM)},
		{"SOCK_NONBLOCK", SOCK_NONBLOCK, uint64(unix.SOCK_NONBLOCK)},
		{"SOCK_PACKET", SOCK_PACKET, uint64(unix.SOCK_PACKET)},
		{"SOCK_RAW", SOCK_RAW, uint64(unix.SOCK_RAW)},
		{"SOCK_SEQPACKET", SOCK_SEQPACKET, uint64(unix.SOCK_SEQPACKET)},
		{"SOCK_STREAM", SOCK_STREAM, uint64(unix.SOCK_STREAM)},
		{"TIOCLINUX", TIOCLINUX, uint64(unix.TIOCLINUX)},
		{"TIOCSCTTY", TIOCSCTTY, uint64(unix.TIOCSCTTY)},
		{"TIOCSTI", TIOCSTI, uint64(unix.TIOCSTI)},
	})
	tmpfile := uint64(O_TMPFILE)
	if runtime.GOARCH == "arm64" {
		tmpfile = O_TMPFILE_ARM64
	}
	if tmpfile != unix.O_TMPFILE {
		t.Errorf("O_TMPFILE on %s = %#x, Linux has %#x", runtime.GOARCH, tmpfile, unix.O_TMPFILE)
	}
	for e := uint64(1); e < 4096; e++ {
		if got, want := ErrnoName(e), unix.ErrnoName(unix.Errno(e)); got != want {
			t.Errorf("ErrnoName(%d) = %q, Linux has %q", e, got, want)
		}
	}
}

// pair is one constant: its name, rampart's value and x/sys/unix's.
type pair struct {
	name      string
	ours, sys uint64
}

// samePairs fails for each pair whose values differ.
func samePairs(t *testing.T, ps []pair) {
	t.Helper()
	for _, c := range ps {
		if c.ours != c.sys {
			t.Errorf("%s = %#x, Linux has %#x", c.name, c.ours, c.sys)
		}
	}
}
