//go:build linux && amd64

package seccomp

import (
	"runtime"
	"runtime/debug"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// int80 makes an i386 system call through INT $0x80 (abi_amd64.s).
func int80(nr uint64) int64

// KernelABIs says which of Arches this kernel runs: a kernel without IA32
// emulation faults INT $0x80 before any filter runs, one without the x32
// ABI answers its numbers ENOSYS, and a variant of a call on an ABI the
// kernel does not run is no way around a filter here (it still is on a
// kernel that runs it). Known is false when rampart is itself under a
// seccomp filter: that filter might kill a probe, so nothing is tried
// and every ABI counts as run.
func KernelABIs() (abis map[string]bool, known bool) {
	kernelABIsOnce.Do(func() { kernelABIs, kernelABIsKnown = probeABIs() })
	out := make(map[string]bool, len(kernelABIs))
	for k, v := range kernelABIs {
		out[k] = v
	}
	return out, kernelABIsKnown
}

var (
	kernelABIsOnce  sync.Once
	kernelABIs      map[string]bool
	kernelABIsKnown bool
)

func probeABIs() (map[string]bool, bool) {
	all := map[string]bool{"x86_64": true, "x86": true, "x32": true}
	if st, err := procstatus.Self(); err != nil || st.Seccomp != 0 {
		return all, false
	}
	abis := map[string]bool{"x86_64": true}
	_, _, e := unix.RawSyscall(unix.SYS_GETPID|uintptr(bpf.X32Bit), 0, 0, 0)
	abis["x32"] = e != unix.ENOSYS
	abis["x86"] = i386Runs()
	return abis, true
}

// i386Runs makes an i386 getpid; without IA32 emulation the INT $0x80
// faults, which SetPanicOnFault turns into a panic recovered here.
func i386Runs() (ok bool) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return int80(20 /* i386 getpid */) > 0
}
