package record

import "strconv"

// Address families by number (include/linux/socket.h), as AppArmor's and
// seccomp's users read them.
var families = [...]string{
	"AF_UNSPEC", "AF_UNIX", "AF_INET", "AF_AX25", "AF_IPX", "AF_APPLETALK",
	"AF_NETROM", "AF_BRIDGE", "AF_ATMPVC", "AF_X25", "AF_INET6", "AF_ROSE",
	"AF_DECnet", "AF_NETBEUI", "AF_SECURITY", "AF_KEY", "AF_NETLINK",
	"AF_PACKET", "AF_ASH", "AF_ECONET", "AF_ATMSVC", "AF_RDS", "AF_SNA",
	"AF_IRDA", "AF_PPPOX", "AF_WANPIPE", "AF_LLC", "AF_IB", "AF_MPLS",
	"AF_CAN", "AF_TIPC", "AF_BLUETOOTH", "AF_IUCV", "AF_RXRPC", "AF_ISDN",
	"AF_PHONET", "AF_IEEE802154", "AF_CAIF", "AF_ALG", "AF_NFC", "AF_VSOCK",
	"AF_KCM", "AF_QIPCRTR", "AF_SMC", "AF_XDP", "AF_MCTP",
}

func familyName(f uint32) string {
	if int(f) < len(families) {
		return families[f]
	}
	return "AF_" + strconv.Itoa(int(f))
}

var sockTypes = map[uint32]string{
	1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM",
	5: "SOCK_SEQPACKET", 6: "SOCK_DCCP", 10: "SOCK_PACKET",
}

const (
	sockNonblock = 0o4000
	sockCloexec  = 0o2000000
)

// sockTypeName spells a socket type with its flags, as passed:
// SOCK_STREAM|SOCK_NONBLOCK.
func sockTypeName(t uint32) string {
	base := t &^ (sockNonblock | sockCloexec)
	s, ok := sockTypes[base]
	if !ok {
		s = "SOCK_" + strconv.Itoa(int(base))
	}
	if t&sockNonblock != 0 {
		s += "|SOCK_NONBLOCK"
	}
	if t&sockCloexec != 0 {
		s += "|SOCK_CLOEXEC"
	}
	return s
}
