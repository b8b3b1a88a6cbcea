package linuxabi

// Linux's values for the constants the seccomp models write into rules
// and calls (asm-generic and x86, which agree except where noted), so
// that the models mean the same numbers on every platform rampart is
// built for: x/sys/unix has other values on darwin (O_CREAT is 0x200
// there) and no package at all on windows. TestConstantsAreLinuxs holds
// them to x/sys/unix on Linux.
const (
	AF_ALG                 = 0x26
	AF_BLUETOOTH           = 0x1f
	AF_INET                = 0x2
	AF_INET6               = 0xa
	AF_KEY                 = 0xf
	AF_LOCAL               = 0x1
	AF_NETLINK             = 0x10
	AF_PACKET              = 0x11
	AF_UNIX                = 0x1
	AF_VSOCK               = 0x28
	AT_EMPTY_PATH          = 0x1000
	AT_REMOVEDIR           = 0x200
	AT_SYMLINK_NOFOLLOW    = 0x100
	AUDIT_ARCH_AARCH64     = 0xc00000b7
	AUDIT_ARCH_ARM         = 0x40000028
	AUDIT_ARCH_I386        = 0x40000003
	AUDIT_ARCH_LOONGARCH64 = 0xc0000102
	AUDIT_ARCH_MIPS        = 0x8
	AUDIT_ARCH_MIPS64      = 0x80000008
	AUDIT_ARCH_MIPS64N32   = 0xa0000008
	AUDIT_ARCH_MIPSEL      = 0x40000008
	AUDIT_ARCH_MIPSEL64    = 0xc0000008
	AUDIT_ARCH_MIPSEL64N32 = 0xe0000008
	AUDIT_ARCH_PPC         = 0x14
	AUDIT_ARCH_PPC64       = 0x80000015
	AUDIT_ARCH_PPC64LE     = 0xc0000015
	AUDIT_ARCH_RISCV64     = 0xc00000f3
	AUDIT_ARCH_S390        = 0x16
	AUDIT_ARCH_S390X       = 0x80000016
	AUDIT_ARCH_X86_64      = 0xc000003e
	BPF_ABS                = 0x20
	BPF_JA                 = 0x0
	BPF_JEQ                = 0x10
	BPF_JMP                = 0x5
	BPF_K                  = 0x0
	BPF_LD                 = 0x0
	BPF_RET                = 0x6
	BPF_W                  = 0x0
	CLOCK_REALTIME         = 0x0
	CLONE_FILES            = 0x400
	CLONE_FS               = 0x200
	CLONE_NEWCGROUP        = 0x2000000
	CLONE_NEWIPC           = 0x8000000
	CLONE_NEWNET           = 0x40000000
	CLONE_NEWNS            = 0x20000
	CLONE_NEWPID           = 0x20000000
	CLONE_NEWTIME          = 0x80
	CLONE_NEWUSER          = 0x10000000
	CLONE_NEWUTS           = 0x4000000
	CLONE_PARENT           = 0x8000
	CLONE_SIGHAND          = 0x800
	CLONE_SYSVSEM          = 0x40000
	CLONE_THREAD           = 0x10000
	CLONE_UNTRACED         = 0x800000
	CLONE_VFORK            = 0x4000
	CLONE_VM               = 0x100
	ENOSYS                 = 0x26
	IPPROTO_ICMP           = 0x1
	IPPROTO_ICMPV6         = 0x3a
	IPPROTO_IP             = 0x0
	IPPROTO_RAW            = 0xff
	IPPROTO_TCP            = 0x6
	IPPROTO_UDP            = 0x11
	MS_BIND                = 0x1000
	MS_MGC_VAL             = 0xc0ed0000
	MS_MOVE                = 0x2000
	MS_SILENT              = 0x8000
	O_CLOEXEC              = 0x80000
	O_CREAT                = 0x40
	O_NOCTTY               = 0x100
	O_NONBLOCK             = 0x800
	O_PATH                 = 0x200000
	O_RDONLY               = 0x0
	O_RDWR                 = 0x2
	O_TRUNC                = 0x200
	O_WRONLY               = 0x1
	PROT_EXEC              = 0x4
	PROT_READ              = 0x1
	PROT_WRITE             = 0x2
	PR_CAPBSET_DROP        = 0x18
	PR_SET_DUMPABLE        = 0x4
	PR_SET_NO_NEW_PRIVS    = 0x26
	PR_SET_SECCOMP         = 0x16
	PTRACE_ATTACH          = 0x10
	PTRACE_PEEKDATA        = 0x2
	PTRACE_POKEDATA        = 0x5
	SIGCHLD                = 0x11
	SOCK_CLOEXEC           = 0x80000
	SOCK_DGRAM             = 0x2
	SOCK_NONBLOCK          = 0x800
	SOCK_PACKET            = 0xa
	SOCK_RAW               = 0x3
	SOCK_SEQPACKET         = 0x5
	SOCK_STREAM            = 0x1
	TIOCLINUX              = 0x541c
	TIOCSCTTY              = 0x540e
	TIOCSTI                = 0x5412
	// O_TMPFILE is x86's (__O_TMPFILE | O_DIRECTORY); arm64's O_DIRECTORY
	// differs, so its O_TMPFILE is O_TMPFILE_ARM64.
	O_TMPFILE       = 0x410000
	O_TMPFILE_ARM64 = 0x404000
)

// errnoNames are the kernel's errno names (asm-generic/errno*.h, which
// x86 and arm64 share).
var errnoNames = [...]string{
	1:   "EPERM",
	2:   "ENOENT",
	3:   "ESRCH",
	4:   "EINTR",
	5:   "EIO",
	6:   "ENXIO",
	7:   "E2BIG",
	8:   "ENOEXEC",
	9:   "EBADF",
	10:  "ECHILD",
	11:  "EAGAIN",
	12:  "ENOMEM",
	13:  "EACCES",
	14:  "EFAULT",
	15:  "ENOTBLK",
	16:  "EBUSY",
	17:  "EEXIST",
	18:  "EXDEV",
	19:  "ENODEV",
	20:  "ENOTDIR",
	21:  "EISDIR",
	22:  "EINVAL",
	23:  "ENFILE",
	24:  "EMFILE",
	25:  "ENOTTY",
	26:  "ETXTBSY",
	27:  "EFBIG",
	28:  "ENOSPC",
	29:  "ESPIPE",
	30:  "EROFS",
	31:  "EMLINK",
	32:  "EPIPE",
	33:  "EDOM",
	34:  "ERANGE",
	35:  "EDEADLK",
	36:  "ENAMETOOLONG",
	37:  "ENOLCK",
	38:  "ENOSYS",
	39:  "ENOTEMPTY",
	40:  "ELOOP",
	42:  "ENOMSG",
	43:  "EIDRM",
	44:  "ECHRNG",
	45:  "EL2NSYNC",
	46:  "EL3HLT",
	47:  "EL3RST",
	48:  "ELNRNG",
	49:  "EUNATCH",
	50:  "ENOCSI",
	51:  "EL2HLT",
	52:  "EBADE",
	53:  "EBADR",
	54:  "EXFULL",
	55:  "ENOANO",
	56:  "EBADRQC",
	57:  "EBADSLT",
	59:  "EBFONT",
	60:  "ENOSTR",
	61:  "ENODATA",
	62:  "ETIME",
	63:  "ENOSR",
	64:  "ENONET",
	65:  "ENOPKG",
	66:  "EREMOTE",
	67:  "ENOLINK",
	68:  "EADV",
	69:  "ESRMNT",
	70:  "ECOMM",
	71:  "EPROTO",
	72:  "EMULTIHOP",
	73:  "EDOTDOT",
	74:  "EBADMSG",
	75:  "EOVERFLOW",
	76:  "ENOTUNIQ",
	77:  "EBADFD",
	78:  "EREMCHG",
	79:  "ELIBACC",
	80:  "ELIBBAD",
	81:  "ELIBSCN",
	82:  "ELIBMAX",
	83:  "ELIBEXEC",
	84:  "EILSEQ",
	85:  "ERESTART",
	86:  "ESTRPIPE",
	87:  "EUSERS",
	88:  "ENOTSOCK",
	89:  "EDESTADDRREQ",
	90:  "EMSGSIZE",
	91:  "EPROTOTYPE",
	92:  "ENOPROTOOPT",
	93:  "EPROTONOSUPPORT",
	94:  "ESOCKTNOSUPPORT",
	95:  "ENOTSUP",
	96:  "EPFNOSUPPORT",
	97:  "EAFNOSUPPORT",
	98:  "EADDRINUSE",
	99:  "EADDRNOTAVAIL",
	100: "ENETDOWN",
	101: "ENETUNREACH",
	102: "ENETRESET",
	103: "ECONNABORTED",
	104: "ECONNRESET",
	105: "ENOBUFS",
	106: "EISCONN",
	107: "ENOTCONN",
	108: "ESHUTDOWN",
	109: "ETOOMANYREFS",
	110: "ETIMEDOUT",
	111: "ECONNREFUSED",
	112: "EHOSTDOWN",
	113: "EHOSTUNREACH",
	114: "EALREADY",
	115: "EINPROGRESS",
	116: "ESTALE",
	117: "EFSCORRUPTED",
	118: "ENOTNAM",
	119: "ENAVAIL",
	120: "EISNAM",
	121: "EREMOTEIO",
	122: "EDQUOT",
	123: "ENOMEDIUM",
	124: "EMEDIUMTYPE",
	125: "ECANCELED",
	126: "ENOKEY",
	127: "EKEYEXPIRED",
	128: "EKEYREVOKED",
	129: "EKEYREJECTED",
	130: "EOWNERDEAD",
	131: "ENOTRECOVERABLE",
	132: "ERFKILL",
	133: "EHWPOISON",
	134: "EFTYPE",
}

// ErrnoName is the name of errno e ("EPERM"), "" for a number without
// one.
func ErrnoName(e uint64) string {
	if e < uint64(len(errnoNames)) {
		return errnoNames[e]
	}
	return ""
}
