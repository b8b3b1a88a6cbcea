package bpf

import (
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// haveKernel: the kernel's own checker is the oracle here.
const haveKernel = true

// kernelAccepts loads prog in SECCOMP_SET_MODE_FILTER's validation path
// only: SO_ATTACH_FILTER on a socket runs the same classic checker
// without confining anything. Seccomp's extra rules (data loads) make it
// stricter, so only rejections are meaningful here.
func kernelAccepts(prog []Insn) error {
	if len(prog) == 0 {
		return unix.EINVAL
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	seccompOnly := false
	for _, in := range prog {
		if in.Code == ldAbs && (in.K >= 64 || in.K&3 != 0) {
			seccompOnly = true
		}
		if in.Code == linuxabi.BPF_LD|linuxabi.BPF_B|linuxabi.BPF_ABS {
			seccompOnly = true
		}
	}
	if seccompOnly {
		return unix.EINVAL // a socket filter may load packet bytes; seccomp may not
	}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]})
}
