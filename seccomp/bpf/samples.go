package bpf

// Samples enumerates seccomp_data values that exercise a container
// profile: every syscall number up to past the highest one (x86_64, i386
// and x32 numbering), with argument values that profiles condition on —
// namespace clone flags, socket families and types with their flag bits,
// personality values, ioctl requests with high bits set — and zeros.
func Samples() []Data {
	argSets := [][6]uint64{
		{},
		{0x10000000 | 0x40000000}, // CLONE_NEWUSER|CLONE_NEWNET
		{0x7e020000},              // every namespace flag
		{2, 3, 1},                 // AF_INET, SOCK_RAW, IPPROTO_ICMP
		{2, 3 | 0x80000, 1},       // ... | SOCK_CLOEXEC
		{16, 3, 0},                // AF_NETLINK raw
		{40, 1},                   // AF_VSOCK
		{17, 3},                   // AF_PACKET
		{0x0008},                  // personality PER_LINUX32
		{0x400000},                // READ_IMPLIES_EXEC
		{0xffffffff},              // personality query
		{0, 0x5412},               // TIOCSTI
		{0, 0xffffffff00005412},   // TIOCSTI with high bits
		{0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff},
	}
	var out []Data
	for nr := int32(0); nr < 600; nr++ {
		for _, args := range argSets {
			out = append(out,
				Data{Nr: nr, Arch: ArchX86_64, Args: args},
				Data{Nr: nr, Arch: ArchI386, Args: args},
				Data{Nr: nr | X32Bit, Arch: ArchX86_64, Args: args},
			)
		}
	}
	for _, nr := range []int32{-1, 0x3fffffff, 0x7fffffff} {
		out = append(out, Data{Nr: nr, Arch: ArchX86_64}, Data{Nr: nr, Arch: ArchI386})
	}
	// an architecture the profile does not list
	out = append(out, Data{Nr: 0, Arch: 0xc00000b7}) // aarch64
	return out
}
