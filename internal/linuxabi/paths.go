package linuxabi

// Linux's values for what the attack paths' calls pass and the kernel
// answers them (x86-64's, which the generic ABI shares except where
// noted), so a path means the same call on every platform rampart is
// built for. TestPathConstantsAreLinuxs holds them to x/sys/unix on Linux.
const (
	AT_FDCWD                       = -0x64
	BPF_PROG_LOAD                  = 0x5
	ETH_P_ALL                      = 0x3
	KEYCTL_GET_KEYRING_ID          = 0x0
	KEY_SPEC_THREAD_KEYRING        = -0x1
	LINUX_REBOOT_CMD_CAD_OFF       = 0x0
	LINUX_REBOOT_CMD_HALT          = 0xcdef0123
	LINUX_REBOOT_CMD_KEXEC         = 0x45584543
	LINUX_REBOOT_CMD_POWER_OFF     = 0x4321fedc
	LINUX_REBOOT_CMD_RESTART       = 0x1234567
	LINUX_REBOOT_MAGIC1            = 0xfee1dead
	LINUX_REBOOT_MAGIC2            = 0x28121969
	MODULE_INIT_COMPRESSED_FILE    = 0x4
	MODULE_INIT_IGNORE_MODVERSIONS = 0x1
	MODULE_INIT_IGNORE_VERMAGIC    = 0x2
	MS_PRIVATE                     = 0x40000
	MS_REC                         = 0x4000
	PERF_FLAG_FD_CLOEXEC           = 0x8
	PR_SET_KEEPCAPS                = 0x8
	PTRACE_SEIZE                   = 0x4206
	S_IFBLK                        = 0x6000
	O_ACCMODE                      = 0x3
	// O_LARGEFILE is 0 on 64-bit machines (x86-64 and arm64 alike): the
	// kernel sets the flag itself there.
	O_LARGEFILE = 0x0
)

// The errno values the attack model tells apart (asm-generic/errno-base.h).
const (
	EPERM   = 0x1
	ENOENT  = 0x2
	EIO     = 0x5
	ENOEXEC = 0x8
	EBADF   = 0x9
	ECHILD  = 0xa
	EACCES  = 0xd
	EFAULT  = 0xe
	EINVAL  = 0x16
	EROFS   = 0x1e
)
