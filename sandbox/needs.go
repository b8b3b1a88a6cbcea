package sandbox

import (
	"encoding/binary"
	"io"
	"os"
	"slices"

	"github.com/rampart-sec/rampart/internal/linuxabi"

	"github.com/rampart-sec/rampart/seccomp"
)

// seccompNeeds are the calls made under the filter before the workload's
// first instruction, and the one it needs to end: a profile that refuses
// one of them would kill rampart or the workload with SIGSYS, or leave it
// no way to exit but a crash (exit 159 or 139), with no word about
// seccomp. They are decided on the compiled program (Filter.Require), so
// argument conditions and the default action count. Calls the Go runtime
// may make in the same window (futex, sched_yield) depend on timing and
// are not among them.
func (pl *Plan) seccompNeeds(cmdABI seccomp.Arch) []seccomp.Need {
	native := pl.Seccomp.Platform().Native()
	var needs []seccomp.Need
	if !pl.NoNewPrivs {
		// Without no_new_privs the filter is loaded before the
		// capability and user steps (Exec), which then run under it.
		const why = "which rampart needs after loading the filter (without no_new_privs the filter comes before the capability and user steps)"
		needs = append(needs,
			seccomp.Need{Name: "prctl", Arch: native, Why: why, Args: [][6]uint64{{linuxabi.PR_CAPBSET_DROP}, {linuxabi.PR_SET_KEEPCAPS, 1}, {linuxabi.PR_SET_KEEPCAPS, 0}}},
			seccomp.Need{Name: "capget", Arch: native, Why: why, Args: [][6]uint64{{}}},
			seccomp.Need{Name: "capset", Arch: native, Why: why, Args: [][6]uint64{{}}})
		if pl.User != nil {
			needs = append(needs,
				seccomp.Need{Name: "setgroups", Arch: native, Why: why, Args: [][6]uint64{{}}},
				seccomp.Need{Name: "setresgid", Arch: native, Why: why, Args: [][6]uint64{{uint64(pl.User.GID), uint64(pl.User.GID), uint64(pl.User.GID)}}},
				seccomp.Need{Name: "setresuid", Arch: native, Why: why, Args: [][6]uint64{{uint64(pl.User.UID), uint64(pl.User.UID), uint64(pl.User.UID)}}})
		}
	}
	// Exec reads /proc/thread-self/status through a descriptor opened
	// before any layer, to verify the filter is in place, then closes it
	// (an error there is ignored, a kill is not) and execs. The
	// descriptor and the pointers are not known yet: typical values are
	// decided. (The -v report's write is left out: refused, the report is
	// lost, not the launch.)
	const verify = "which rampart needs after loading the filter, to verify it before exec"
	needs = append(needs,
		seccomp.Need{Name: "pread64", Arch: native, Why: verify, Args: [][6]uint64{{}, {3, 0xc000100000, 4096}}},
		seccomp.Need{Name: "close", Arch: native, Why: verify, Args: [][6]uint64{{}, {3}}, ErrnoHarmless: true},
		seccomp.Need{Name: "execve", Arch: native, Why: "so CMD can never start", Args: [][6]uint64{{}, {0xc000100000, 0xc000100100, 0xc000100200}}},
	)
	// CMD ends with exit_group on its own ABI; libc falls back to exit(2)
	// when that fails with an errno (a Go program crashes instead). A
	// profile that does not cover CMD's ABI at all refuses it whole, by
	// design: that is said in Prepare, and the kernel kills CMD at its
	// first call.
	if pl.Seccomp.Covers(cmdABI) {
		needs = append(needs, seccomp.Need{Name: "exit_group", Arch: cmdABI, Fallback: "exit",
			Why: "so CMD cannot end but by a signal", Args: [][6]uint64{{0}, {1}}})
	}
	return needs
}

// The ELF header fields cmdArch reads (elf(5)). Not debug/elf: the launch
// path would initialise its decompressors and DWARF tables for five
// constants.
const (
	elfMagic   = "\x7fELF"
	elfClass   = 4 // e_ident[EI_CLASS]
	elfClass32 = 1
	emI386     = 3
	emARM      = 40
	emX86_64   = 62
)

// cmdArch is the ABI the executable makes its calls in, from its ELF
// header: i386 or x32 for such files on amd64, AArch32 for a 32-bit ARM
// file on arm64, the native one otherwise (scripts run a native
// interpreter).
func cmdArch(path string) seccomp.Arch {
	plat := seccomp.DefaultPlatform()
	native := plat.Native()
	var h [20]byte // e_ident, e_type, e_machine
	f, err := os.Open(path)
	if err != nil {
		return native
	}
	defer f.Close()
	if _, err := io.ReadFull(f, h[:]); err != nil || string(h[:4]) != elfMagic || h[elfClass] != elfClass32 {
		return native
	}
	abi := ""
	switch binary.LittleEndian.Uint16(h[18:]) {
	case emI386:
		abi = "x86"
	case emX86_64:
		abi = "x32"
	case emARM:
		abi = "arm"
	}
	if a, err := seccomp.ArchByName(abi); abi != "" && err == nil && slices.Contains(plat.Arches, a) {
		return a
	}
	return native
}
