// Package linuxabi holds the Linux ABI values that the attack model
// (package attack) writes into a path's calls and the probe runner
// (package probe) passes to the kernel, where golang.org/x/sys/unix has
// no name for them. One definition keeps the call the model predicts
// and the call the probe makes the same.
package linuxabi

import "encoding/binary"

// SocketcallSocket is socketcall(2)'s SYS_SOCKET (linux/net.h), the
// multiplexer's call number for socket(2).
const SocketcallSocket = 1

// UffdUserModeOnly is UFFD_USER_MODE_ONLY (5.11): faults in user mode
// only, which userfaultfd_syscall_allowed always permits.
const UffdUserModeOnly = 1

// Personality flags (linux/personality.h).
const (
	PerLinux32      = 0x0008
	AddrNoRandomize = 0x0040000
	ReadImpliesExec = 0x0400000
	Uname26         = 0x0020000
)

// TIOCSTIHigh is TIOCSTI with the upper 32 bits set: sys_ioctl takes cmd
// as an unsigned int, so the kernel sees TIOCSTI, while a seccomp filter
// that compares all 64 bits sees another number (CVE-2019-10063).
const TIOCSTIHigh = 0xffffffff<<32 | TIOCSTI

// Htons converts to network byte order, as socket() wants the protocol.
func Htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

// Families are the address families by number (include/linux/socket.h),
// named as AppArmor's, seccomp's and systemd's users write them.
var Families = [...]string{
	"AF_UNSPEC", "AF_UNIX", "AF_INET", "AF_AX25", "AF_IPX", "AF_APPLETALK",
	"AF_NETROM", "AF_BRIDGE", "AF_ATMPVC", "AF_X25", "AF_INET6", "AF_ROSE",
	"AF_DECnet", "AF_NETBEUI", "AF_SECURITY", "AF_KEY", "AF_NETLINK",
	"AF_PACKET", "AF_ASH", "AF_ECONET", "AF_ATMSVC", "AF_RDS", "AF_SNA",
	"AF_IRDA", "AF_PPPOX", "AF_WANPIPE", "AF_LLC", "AF_IB", "AF_MPLS",
	"AF_CAN", "AF_TIPC", "AF_BLUETOOTH", "AF_IUCV", "AF_RXRPC", "AF_ISDN",
	"AF_PHONET", "AF_IEEE802154", "AF_CAIF", "AF_ALG", "AF_NFC", "AF_VSOCK",
	"AF_KCM", "AF_QIPCRTR", "AF_SMC", "AF_XDP", "AF_MCTP",
}
