//go:build linux && cgo && seccomp

package seccomp

import (
	"time"

	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// Implemented in kernel_diff_arm64_test.s: kdSys64 is SVC #0; AArch64 has
// no i386 entry, and kdInt80 (never called: kdIA32 is false) says so.
func kdSys64(nr, a1, a2, a3, a4, a5, a6 uint64) int64
func kdInt80(nr, a1, a2, a3, a4, a5, a6 uint64) int64

const (
	kdX86        = false
	kdNativeArch = bpf.ArchAArch64
	kdNativeName = "aarch64"
	kdMap32Bit   = 0 // the i386 socket tests do not run here
	// Under emulation (the arm64 lab's TCG) a child's calls take longer.
	kdChildTimeout = 3 * time.Minute
)

// AArch64 has no system call that bypasses the filters (uprobe and
// uretprobe are x86_64's).
var kdArchNeverIssued = map[int32]string{}
