package seccomp

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DumpFilter reads the classic-BPF program of a live process's seccomp
// filter through PTRACE_SECCOMP_GET_FILTER. Index 0 is the oldest filter
// of the stack: the kernel counts from the first one loaded (ptrace(2)
// says the opposite; TestDumpFiltersKeepsOrderAndLog holds the kernel's
// word). It is how rampart compares the filter it loads with the one
// another runtime loads: both are read back from the kernel, not from
// either tool's own account. Needs CAP_SYS_ADMIN; the target is stopped
// for the duration and then released.
func DumpFilter(pid, index int) ([]unix.SockFilter, error) {
	var prog []unix.SockFilter
	err := stopped(pid, func() (err error) {
		prog, err = getFilter(pid, index)
		return err
	})
	return prog, err
}

// Dumped is one filter of a live process's stack.
type Dumped struct {
	Prog []unix.SockFilter
	// Log: the filter was loaded with SECCOMP_FILTER_FLAG_LOG, the one
	// flag the kernel reports back (PTRACE_SECCOMP_GET_METADATA).
	Log bool
}

// DumpFilters reads a live process's whole filter stack in one stop,
// oldest first: the order to load it in again. Needs CAP_SYS_ADMIN and
// no filter on the caller (the kernel refuses a filtered reader).
func DumpFilters(pid int) ([]Dumped, error) {
	var out []Dumped
	err := stopped(pid, func() error {
		for i := 0; ; i++ {
			prog, err := getFilter(pid, i)
			if errors.Is(err, unix.ENOENT) {
				// past the oldest; a process without filters answers
				// EINVAL at index 0 (seccomp mode 0), which is an error.
				break
			}
			if err != nil {
				return err
			}
			md := struct{ FilterOff, Flags uint64 }{FilterOff: uint64(i)}
			if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_METADATA, uintptr(pid), unsafe.Sizeof(md), uintptr(unsafe.Pointer(&md)), 0, 0); e != 0 {
				return fmt.Errorf("PTRACE_SECCOMP_GET_METADATA %d[%d]: %w", pid, i, e)
			}
			out = append(out, Dumped{Prog: prog, Log: md.Flags&unix.SECCOMP_FILTER_FLAG_LOG != 0})
		}
		return nil
	})
	return out, err
}

// stopped runs f while pid is stopped under ptrace (seized, so no signal
// is sent that the process could see), and releases it afterwards.
func stopped(pid int, f func() error) error {
	// ptrace binds the tracee to the tracing thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.PtraceSeize(pid); err != nil {
		return fmt.Errorf("ptrace seize %d: %w", pid, err)
	}
	defer unix.PtraceDetach(pid)
	if err := unix.PtraceInterrupt(pid); err != nil {
		return fmt.Errorf("ptrace interrupt %d: %w", pid, err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil {
		return fmt.Errorf("wait for %d to stop: %w", pid, err)
	}
	return f()
}

func getFilter(pid, index int) ([]unix.SockFilter, error) {
	n, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), uintptr(index), 0, 0, 0)
	if e != 0 {
		return nil, fmt.Errorf("PTRACE_SECCOMP_GET_FILTER %d[%d]: %w", pid, index, e)
	}
	prog := make([]unix.SockFilter, n)
	if n > 0 {
		if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), uintptr(index), uintptr(unsafe.Pointer(&prog[0])), 0, 0); e != 0 {
			return nil, fmt.Errorf("PTRACE_SECCOMP_GET_FILTER %d[%d]: %w", pid, index, e)
		}
	}
	return prog, nil
}

// Bytes encodes a program as struct sock_filter[] in host byte order,
// the form bwrap --seccomp and SECCOMP_SET_MODE_FILTER take.
func Bytes(prog []unix.SockFilter) []byte {
	if len(prog) == 0 {
		return nil
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&prog[0])), len(prog)*int(unsafe.Sizeof(prog[0])))
	return append([]byte(nil), b...)
}
