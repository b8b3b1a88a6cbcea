//go:build linux

package record

// The arm64 machine's ABIs after the native one (abiNames' order).
const (
	abiARM = 1 // AArch32: a 32-bit process (CONFIG_COMPAT)

	auditArchARM = 0x40000028
)

// entryABI is the ABI, number and arguments of the call a syscall-entry
// stop reports. PTRACE_GET_SYSCALL_INFO gives them from the kernel's own
// view of the call: the number from syscallno, argument 0 from orig_x0
// (x0 already holds the return value at exit), the ABI from the task's
// TIF_32BIT; no register layout to read here. An AArch32 call's
// arguments are 32 bits.
func entryABI(si *syscallInfo) (abi int, nr uint64, a [6]uint64) {
	abi, nr, a = abiNative, si.Nr, si.Args
	if si.Arch == auditArchARM {
		abi = abiARM
		for i := range a {
			a[i] = uint64(uint32(a[i]))
		}
	}
	return abi, nr, a
}
