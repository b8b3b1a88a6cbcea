package seccomp

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DumpFilter reads the classic-BPF program of a live process's seccomp
// filter through PTRACE_SECCOMP_GET_FILTER (index 0 is the most recently
// installed). It is how rampart compares the filter it loads with the one
// another runtime loads: both are read back from the kernel, not from
// either tool's own account. Needs CAP_SYS_ADMIN; the target is stopped
// for the duration and then released.
func DumpFilter(pid, index int) ([]unix.SockFilter, error) {
	// ptrace binds the tracee to the tracing thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.PtraceSeize(pid); err != nil {
		return nil, fmt.Errorf("ptrace seize %d: %w", pid, err)
	}
	defer unix.PtraceDetach(pid)
	if err := unix.PtraceInterrupt(pid); err != nil {
		return nil, fmt.Errorf("ptrace interrupt %d: %w", pid, err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil {
		return nil, fmt.Errorf("wait for %d to stop: %w", pid, err)
	}
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
