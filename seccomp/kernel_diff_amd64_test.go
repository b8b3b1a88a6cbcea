//go:build linux && cgo && seccomp

package seccomp

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// Implemented in kernel_diff_amd64_test.s.
func kdSys64(nr, a1, a2, a3, a4, a5, a6 uint64) int64
func kdInt80(nr, a1, a2, a3, a4, a5, a6 uint64) int64

const (
	kdX86        = true // the x32 and i386 ABIs exist beside the native one
	kdNativeArch = bpf.ArchX86_64
	kdNativeName = "x86_64"
	// kdMap32Bit places the i386 socket tests' scratch page below 4 GiB.
	kdMap32Bit = unix.MAP_32BIT
	// kdChildTimeout bounds one child's calls.
	kdChildTimeout = 30 * time.Second
)

// kdArchNeverIssued are the x86_64 numbers the kernel runs without
// consulting any filter (seccomp_uprobe_exception: uretprobe raises
// SIGILL outside a uretprobe trampoline; uprobe is checked in
// TestKernelDiffFacts).
var kdArchNeverIssued = map[int32]string{
	335: "uretprobe: the kernel skips the filters for it and raises SIGILL",
	336: "uprobe: the kernel skips the filters for it (TestKernelDiffFacts)",
}
