//go:build linux

package record

// The x86_64 machine's ABIs after the native one (abiNames' order).
const (
	abiX86 = 1 // i386: int 0x80, or a 32-bit process
	abiX32 = 2

	auditArchI386 = 0x40000003
)

// entryABI is the ABI, number and arguments of the call a syscall-entry
// stop reports: an i386 call's arguments are what the compat entry
// passes on (32 bits); an x32 call's number carries the x32 bit.
func entryABI(si *syscallInfo) (abi int, nr uint64, a [6]uint64) {
	abi, nr, a = abiNative, si.Nr, si.Args
	switch {
	case si.Arch == auditArchI386:
		abi = abiX86
		for i := range a {
			a[i] = uint64(uint32(a[i]))
		}
	case nr&x32Bit != 0:
		abi, nr = abiX32, nr&^x32Bit
	}
	return abi, nr, a
}
