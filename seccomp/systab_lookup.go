package seccomp

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rampart-sec/rampart/seccomp/bpf"
)

//go:generate go run -tags seccomp gen_systab.go

// The tables of systab.go answer what libseccomp answers where rampart
// is built without it (darwin, windows, CGO_ENABLED=0): profiles are
// read, named and decided there as on a Linux build.

var sysIndex = sync.OnceValue(func() map[string]map[string]int32 {
	out := make(map[string]map[string]int32, len(sysTables))
	for arch, list := range sysTables {
		t := map[string]int32{}
		for _, f := range strings.Fields(list) {
			name, nr, _ := strings.Cut(f, ":")
			n, err := strconv.ParseInt(nr, 10, 32)
			if err != nil {
				panic("systab.go: " + f)
			}
			t[name] = int32(n)
		}
		out[arch] = t
	}
	return out
})

var sysKnownSet = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, n := range strings.Fields(sysKnown) {
		out[n] = true
	}
	return out
})

// tableKnown says whether the tables know name on some architecture:
// what libseccomp's name lookup accepts.
func tableKnown(name string) bool { return sysKnownSet()[name] }

// tableNumber is name's number on arch in the tables, with the x32 bit
// on x32; ok is false where arch has no such call.
func tableNumber(name string, arch Arch) (int32, bool) {
	nr, ok := sysIndex()[arch.Name][name]
	if ok && arch.X32 {
		nr |= bpf.X32Bit
	}
	return nr, ok
}

// tableNames lists the names the tables hold for arch, by number.
func tableNames(arch Arch) []string {
	t := sysIndex()[arch.Name]
	out := make([]string, 0, len(t))
	for n := range t {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return t[out[i]] < t[out[j]] })
	return out
}

// kernelNumber turns a table's answer for name on arch into the number
// the kernel sees: known says the name is known at all, nr (with ok) is
// its number on arch. Both builds decide the same way after their
// lookup.
func kernelNumber(name string, arch Arch, known bool, nr int32, ok bool) (int32, error) {
	if !known {
		// rampart's own numbers for syscalls newer than libseccomp
		if n, ok, err := newSyscallNumber(name, arch.spec); err == nil && ok {
			return n, nil
		}
		return 0, fmt.Errorf("unknown syscall %q on %s", name, arch.Name)
	}
	if ok && nr >= 0 {
		return nr, nil
	}
	// No number, or libseccomp's negative pseudo-number for a call this
	// ABI makes through a multiplexer, or not at all: never what the
	// kernel sees.
	if arch.Name == "x86" {
		if d, ok := i386Direct[name]; ok {
			return d, nil
		}
		if m := multiplexer(name); m != "" {
			return 0, fmt.Errorf("%s has no number of its own on x86: i386 makes it only through %s(2)", name, m)
		}
	}
	return 0, fmt.Errorf("%s is not a system call on %s", name, arch.Name)
}

// Known says whether name is a system call rampart can number on some
// architecture: in libseccomp's tables, or one of the newer calls it
// numbers itself.
func Known(name string) bool {
	if _, ok := newerSyscalls[name]; ok {
		return true
	}
	return knownSyscall(name) == nil
}

// Multiplexed says whether arch makes name only through a multiplexer
// (i386's accept through socketcall(2)): a call with no number of its
// own that still exists there.
func Multiplexed(name string, arch Arch) bool {
	return arch.Name == "x86" && multiplexer(name) != ""
}
