//go:build linux

package probe

import (
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
)

// io_uring runs an operation from a submission queue entry in memory:
// the seccomp filter sees io_uring_setup and io_uring_enter, never the
// operation, so an OPENAT or a SOCKET queued there is a variant of
// openat and socket that no syscall rule on those reaches. The kernel's
// permission checks and LSM hooks run as for the syscall. uringOp makes
// one such operation on a ring of its own and closes the ring.

// io_uring operations (include/uapi/linux/io_uring.h).
const (
	uringOpOpenat = 18 // IORING_OP_OPENAT, Linux 5.6
	uringOpSocket = 45 // IORING_OP_SOCKET, Linux 5.19

	uringOffSQRing      = 0
	uringOffSQEs        = 0x10000000
	uringEnterGetEvents = 1
)

// uringParams is struct io_uring_params with its ring offsets.
type uringParams struct {
	SQEntries, CQEntries, Flags, SQThreadCPU, SQThreadIdle, Features, WQFd uint32
	Resv                                                                   [3]uint32
	SQOff                                                                  struct {
		Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
		UserAddr                                                        uint64
	}
	CQOff struct {
		Head, Tail, RingMask, RingEntries, Overflow, CQEs, Flags, Resv1 uint32
		UserAddr                                                        uint64
	}
}

// uringSQE is struct io_uring_sqe (64 bytes), as the operations here use it.
type uringSQE struct {
	Opcode, Flags uint8
	IOPrio        uint16
	Fd            int32
	Off           uint64
	Addr          uint64
	Len           uint32
	OpFlags       uint32
	UserData      uint64
	BufIndex      uint16
	Personality   uint16
	FileIndex     uint32
	Addr3, Pad    uint64
}

// uringStep says which call of the route refused, for the outcome.
type uringStep struct {
	call  string
	errno syscall.Errno
}

// uringOp makes one operation through a fresh one-entry ring and returns
// its result: the operation's (res, an fd the caller owns, or -errno), or
// the refusal of the ring's own calls (setup, mmap, enter) in failed.
// keep holds the memory the entry points at until the operation is done.
func uringOp(sqe uringSQE, keep ...any) (res int32, failed *uringStep) {
	var p uringParams
	fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		return 0, &uringStep{"io_uring_setup(1, &params)", e}
	}
	defer unix.Close(int(fd))
	sqSize := int(p.SQOff.Array + p.SQEntries*4)
	cqSize := int(p.CQOff.CQEs + p.CQEntries*16)
	if cqSize > sqSize {
		sqSize = cqSize // IORING_FEAT_SINGLE_MMAP (5.4): one mapping holds both rings
	}
	ring, err := unix.Mmap(int(fd), uringOffSQRing, sqSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return 0, &uringStep{"mmap(io_uring rings)", errnoOf(err)}
	}
	defer unix.Munmap(ring)
	sqes, err := unix.Mmap(int(fd), uringOffSQEs, int(p.SQEntries)*int(unsafe.Sizeof(uringSQE{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return 0, &uringStep{"mmap(io_uring entries)", errnoOf(err)}
	}
	defer unix.Munmap(sqes)
	u32 := func(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&ring[off])) }

	*(*uringSQE)(unsafe.Pointer(&sqes[0])) = sqe
	tail := atomic.LoadUint32(u32(p.SQOff.Tail))
	mask := *u32(p.SQOff.RingMask)
	*(*uint32)(unsafe.Pointer(&ring[p.SQOff.Array+4*(tail&mask)])) = 0
	atomic.StoreUint32(u32(p.SQOff.Tail), tail+1)

	for {
		_, _, e = unix.Syscall6(unix.SYS_IO_URING_ENTER, fd, 1, 1, uringEnterGetEvents, 0, 0)
		if e != unix.EINTR {
			break
		}
	}
	runtime.KeepAlive(keep)
	if e != 0 {
		return 0, &uringStep{"io_uring_enter(ring, 1, 1, IORING_ENTER_GETEVENTS)", e}
	}
	head := atomic.LoadUint32(u32(p.CQOff.Head))
	if atomic.LoadUint32(u32(p.CQOff.Tail)) == head {
		return 0, &uringStep{"io_uring_enter: no completion", unix.EIO}
	}
	cqe := p.CQOff.CQEs + 16*(head&*u32(p.CQOff.RingMask))
	res = *(*int32)(unsafe.Pointer(&ring[cqe+8]))
	atomic.StoreUint32(u32(p.CQOff.Head), head+1)
	return res, nil
}

// uringRefused is the outcome of a ring call the route could not make,
// with its canary: io_uring_setup's is the io-uring path's (NULL params:
// EFAULT, past the gate), io_uring_enter's an fd of -1 (EBADF before
// anything). want is the path's canaryErrno, recorded when the canary
// shows the filter let the call through.
func uringRefused(e *env, s *uringStep, want syscall.Errno) attack.Outcome {
	o := refused(s.call+" (io_uring route)", s.errno)
	var kernel syscall.Errno
	var canary func() syscall.Errno
	switch {
	case strings.HasPrefix(s.call, "io_uring_setup"):
		if s.errno == unix.EPERM {
			if v := sysctl("kernel/io_uring_disabled"); v == "1" || v == "2" {
				o.Absent = "kernel.io_uring_disabled=" + v + ": the io_uring route is closed on this host"
				return o
			}
		}
		kernel, canary = unix.EFAULT, uringSetupCanary
	case strings.HasPrefix(s.call, "io_uring_enter"):
		kernel, canary = unix.EBADF, func() syscall.Errno {
			_, _, e := unix.Syscall6(unix.SYS_IO_URING_ENTER, ^uintptr(0), 1, 1, uringEnterGetEvents, 0, 0)
			return e
		}
	default:
		return o
	}
	if e.state.Seccomp != 2 {
		return o
	}
	if c := canary(); c != 0 {
		if c == kernel {
			c = want
		}
		o.CanaryErrno = &c
	}
	return o
}
