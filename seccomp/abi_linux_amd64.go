//go:build linux && amd64

package seccomp

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

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
	abis["x86"] = features.HaveIA32() == nil
	return abis, true
}
