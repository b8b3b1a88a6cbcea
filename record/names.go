package record

import (
	"strconv"

	"github.com/rampart-sec/rampart/internal/linuxabi"
)

func familyName(f uint32) string {
	if int(f) < len(linuxabi.Families) {
		return linuxabi.Families[f]
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
