package record

import (
	"strconv"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/seccomp"
)

// recPlatform is the machine the recorders run on: its ABIs, native
// first, are the ones they tell apart, in the order of its Arches.
var recPlatform = seccomp.DefaultPlatform()

// abiNames are the ABIs by the index both recorders use (and the BPF
// program's ABI_* constants): recPlatform.Arches' order.
var abiNames = func() []string {
	var out []string
	for _, a := range recPlatform.Arches {
		out = append(out, a.Name)
	}
	return out
}()

// specArch is the profile's name of the ABI a recording names:
// SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64, ... (ok false for a name no
// platform has).
func specArch(abi string) (specs.Arch, bool) {
	for _, p := range seccomp.Platforms {
		for _, a := range p.Arches {
			if a.Name == abi {
				return specs.Arch("SCMP_ARCH_" + strings.ToUpper(abi)), true
			}
		}
	}
	return "", false
}

// recordingPlatform is the platform a recording was made on, known by
// its ABIs: a recording made on an arm64 machine generates and checks
// an arm64 profile wherever it is read. One with no calls is the
// default platform's. (A merge of recordings from both kinds of machine
// is this machine's, else the first platform's; the other's ABIs are
// left out with a note.)
func recordingPlatform(rec *Recording) seccomp.Platform {
	// The native ABI decides (every recording has CMD's execve there);
	// a compat one only when no native one is present. This machine's
	// platform first: a merge with the probe's frame (recorded on
	// x86_64) stays the recording's own.
	for _, p := range append([]seccomp.Platform{seccomp.DefaultPlatform()}, seccomp.Platforms...) {
		if _, ok := rec.Syscalls[p.Native().Name]; ok {
			return p
		}
	}
	for _, p := range seccomp.Platforms {
		for _, a := range p.Arches {
			if _, ok := rec.Syscalls[a.Name]; ok {
				return p
			}
		}
	}
	return seccomp.DefaultPlatform()
}

const (
	abiNative = 0 // the platform's own ABI: x86_64, aarch64

	x32Bit  = 0x40000000
	nrSlots = 1024 // syscall numbers per ABI in the tables
	noArg   = 0xff
	atFDCWD = -100
	pathLen = 512 // bytes of a path the BPF recorder reads (record.c's PATH_LEN)
)

// fileOp says how a syscall touches the path it names; mode turns it into
// AppArmor's letters.
type fileOp uint8

const (
	opOpen     fileOp = iota + 1 // open, openat, openat2: the flags decide
	opCreat                      // creat
	opTruncate                   // truncate
	opMkdir                      // mkdir, mkdirat
	opRmdir                      // rmdir
	opUnlink                     // unlink, unlinkat (AT_REMOVEDIR: a directory)
	opRename                     // rename*: the source, then the target
	opLink                       // link, linkat: the new name
	opSymlink                    // symlink, symlinkat: the new name
	opSetattr                    // chmod, chown and their variants
	opMknod                      // mknod, mknodat
)

// What a syscall's spec reads from user memory (record.c's MEM_*).
const (
	memClone3   = 1 // clone_args.flags
	memSockaddr = 2 // the address family of connect and bind
	memOpenHow  = 3 // open_how.flags of openat2
	memSocket   = 4 // (family, type, protocol) of socket and socketpair
)

// callSpec is what to record of one syscall beyond its count. Argument
// indexes are noArg when absent; a missing dirfd means AT_FDCWD.
type callSpec struct {
	op                         fileOp
	path, dirfd, path2, dirfd2 uint8
	flags                      uint8 // open flags, or unlinkat's flags
	vals                       uint8 // bit i: argument i's values
	mem                        uint8
}

func fileSpec(op fileOp, path, dirfd, flags uint8) callSpec {
	return callSpec{op: op, path: path, dirfd: dirfd, path2: noArg, dirfd2: noArg, flags: flags}
}

func valSpec(vals, mem uint8) callSpec {
	return callSpec{path: noArg, dirfd: noArg, path2: noArg, dirfd2: noArg, flags: noArg, vals: vals, mem: mem}
}

// na marks an absent argument in the table below.
const na = noArg

// callSpecs by syscall name; a name an ABI lacks is skipped there. Files
// are what AppArmor mediates by path: opens (read, write, append,
// create), creation and removal of names, renames, links and attribute
// changes. Executions come from the exec event instead, where the kernel
// has already found the file. stat, access and readlink are not
// recorded: no path rule is needed for them.
var callSpecs = map[string]callSpec{
	"open":     fileSpec(opOpen, 0, na, 1),
	"openat":   fileSpec(opOpen, 1, 0, 2),
	"openat2":  {op: opOpen, path: 1, dirfd: 0, path2: na, dirfd2: na, flags: na, mem: memOpenHow},
	"creat":    fileSpec(opCreat, 0, na, na),
	"truncate": fileSpec(opTruncate, 0, na, na),
	// i386 only: the 64-bit-length truncate.
	"truncate64": fileSpec(opTruncate, 0, na, na),
	"mkdir":      fileSpec(opMkdir, 0, na, na),
	"mkdirat":    fileSpec(opMkdir, 1, 0, na),
	"rmdir":      fileSpec(opRmdir, 0, na, na),
	"unlink":     fileSpec(opUnlink, 0, na, na),
	"unlinkat":   fileSpec(opUnlink, 1, 0, 2),
	"rename":     {op: opRename, path: 0, dirfd: na, path2: 1, dirfd2: na, flags: na},
	"renameat":   {op: opRename, path: 1, dirfd: 0, path2: 3, dirfd2: 2, flags: na},
	"renameat2":  {op: opRename, path: 1, dirfd: 0, path2: 3, dirfd2: 2, flags: na},
	"link":       fileSpec(opLink, 1, na, na),
	"linkat":     fileSpec(opLink, 3, 2, na),
	"symlink":    fileSpec(opSymlink, 1, na, na),
	"symlinkat":  fileSpec(opSymlink, 2, 1, na),
	"chmod":      fileSpec(opSetattr, 0, na, na),
	"fchmodat":   fileSpec(opSetattr, 1, 0, na),
	"fchmodat2":  fileSpec(opSetattr, 1, 0, na),
	"chown":      fileSpec(opSetattr, 0, na, na),
	"lchown":     fileSpec(opSetattr, 0, na, na),
	"chown32":    fileSpec(opSetattr, 0, na, na),
	"lchown32":   fileSpec(opSetattr, 0, na, na),
	"fchownat":   fileSpec(opSetattr, 1, 0, na),
	"mknod":      fileSpec(opMknod, 0, na, na),
	"mknodat":    fileSpec(opMknod, 1, 0, na),

	// The argument values seccomp profiles condition on.
	"socket":      valSpec(0b11, memSocket), // family, type (with SOCK_NONBLOCK|SOCK_CLOEXEC)
	"socketpair":  valSpec(0b11, memSocket),
	"socketcall":  valSpec(0b1, 0), // i386: which socket call
	"clone":       valSpec(0b1, 0), // flags
	"clone3":      valSpec(0, memClone3),
	"personality": valSpec(0b1, 0),
	"ioctl":       valSpec(0b10, 0), // request
	"prctl":       valSpec(0b1, 0),  // option
	"connect":     valSpec(0, memSockaddr),
	"bind":        valSpec(0, memSockaddr),
}

// sysTable maps syscall numbers to names per ABI, from libseccomp's
// tables (the ones the seccomp layer compiles with, so names agree).
type sysTable struct {
	names []map[int]string
	nrs   []map[string]int
}

var syscalls = sync.OnceValue(func() *sysTable {
	t := &sysTable{names: make([]map[int]string, len(abiNames)), nrs: make([]map[string]int, len(abiNames))}
	for abi := range abiNames {
		t.names[abi] = map[int]string{}
		t.nrs[abi] = map[string]int{}
		arch := recPlatform.Arches[abi]
		for _, name := range seccomp.SyscallNames(arch) {
			nr, err := seccomp.SyscallNumber(name, arch)
			if err != nil || nr < 0 {
				continue // libseccomp's pseudo-syscalls for other arches
			}
			if arch.X32 {
				nr &^= x32Bit
			}
			if nr >= nrSlots {
				continue
			}
			if _, dup := t.names[abi][int(nr)]; !dup {
				t.names[abi][int(nr)] = name
			}
			t.nrs[abi][name] = int(nr)
		}
	}
	return t
})

// name is the syscall's name on abi, or nr_N when this machine's tables
// do not know it.
func (t *sysTable) name(abi, nr int) string {
	if abi < len(t.names) {
		if s, ok := t.names[abi][nr]; ok {
			return s
		}
	}
	return "nr_" + strconv.Itoa(nr)
}

// known says whether the tables could be loaded at all (they need a
// build with libseccomp).
func (t *sysTable) known() bool { return len(t.names) > 0 && len(t.names[abiNative]) > 0 }

// specs lists, per ABI, the numbers with something to record.
func (t *sysTable) specs() []map[int]callSpec {
	out := make([]map[int]callSpec, len(abiNames))
	for abi := range abiNames {
		out[abi] = map[int]callSpec{}
		for name, s := range callSpecs {
			if nr, ok := t.nrs[abi][name]; ok {
				out[abi][nr] = s
			}
		}
	}
	return out
}
