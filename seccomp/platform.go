package seccomp

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// Arch is a syscall ABI a filter distinguishes.
type Arch struct {
	Name   string // x86_64, x86, x32, aarch64, arm
	Audit  uint32 // AUDIT_ARCH_* in seccomp_data.arch
	X32    bool   // numbers carry the x32 bit
	Bits32 bool   // the filter sees 32-bit arguments
	scmp   string // libseccomp's name
	spec   specs.Arch
}

var (
	archX86_64  = Arch{Name: "x86_64", Audit: bpf.ArchX86_64, scmp: "amd64", spec: specs.ArchX86_64}
	archX86     = Arch{Name: "x86", Audit: bpf.ArchI386, Bits32: true, scmp: "x86", spec: specs.ArchX86}
	archX32     = Arch{Name: "x32", Audit: bpf.ArchX86_64, X32: true, scmp: "x32", spec: specs.ArchX32}
	archAArch64 = Arch{Name: "aarch64", Audit: bpf.ArchAArch64, scmp: "arm64", spec: specs.ArchAARCH64}
	// arm is AArch32 as an arm64 kernel runs it (CONFIG_COMPAT) for a
	// 32-bit process, on the cores that still execute A32 code.
	archARM = Arch{Name: "arm", Audit: bpf.ArchARM, Bits32: true, scmp: "arm", spec: specs.ArchARM}
)

// Arches are the ABIs an x86_64 host runs. The x86-only analyses (the
// i386 and x32 routes around a rule) use them; a profile's own ABIs are
// its Platform's.
var Arches = AMD64.Arches

// Low32 says whether the filter compares arguments on their low 32 bits
// on this ABI: libseccomp does on x86, and on x32 too, although the x32
// kernel passes the filter all 64 (kernel_diff_test.go shows both). A
// rule's conditions are read that way there.
func (a Arch) Low32() bool { return a.Bits32 || a.X32 }

// Platform is a machine architecture rampart predicts for: the ABIs its
// kernel runs, the native one first, and how the runtimes name it.
type Platform struct {
	// GOARCH names it as Go and the runtimes' profile readers do
	// (includes.arches compares with it).
	GOARCH string
	// Arches are its ABIs, native first.
	Arches []Arch
}

var (
	// AMD64 is x86_64, with i386 (IA32 emulation) and x32.
	AMD64 = Platform{GOARCH: "amd64", Arches: []Arch{archX86_64, archX86, archX32}}
	// ARM64 is AArch64, with AArch32 (arm) for 32-bit processes.
	ARM64 = Platform{GOARCH: "arm64", Arches: []Arch{archAArch64, archARM}}
)

// Platforms are the platforms rampart models.
var Platforms = []Platform{AMD64, ARM64}

func (p Platform) String() string { return p.GOARCH }

// Native is the platform's own ABI.
func (p Platform) Native() Arch { return p.Arches[0] }

// Compat is the ABI a compat call named by the catalog ("i386", "x86",
// "x32", "arm") takes on this platform: i386's 32-bit calls are AArch32's
// on arm64; x32 has no counterpart there (ok false: the call cannot be
// made).
func (p Platform) Compat(name string) (Arch, bool) {
	a, err := ArchByName(name)
	if err != nil {
		return Arch{}, false
	}
	if slices.Contains(p.Arches, a) {
		return a, true
	}
	if a.Bits32 {
		for _, b := range p.Arches[1:] {
			if b.Bits32 {
				return b, true
			}
		}
	}
	return Arch{}, false
}

// CallArch is the ABI a call is made through on this platform: compat's
// (Compat) when the call names one; else the native ABI, or, where that
// lacks the call, the first compat ABI that has it — AArch64 has no
// open(2) or mknod(2), but a 32-bit process on an arm64 kernel makes
// them as AArch32 calls, which a filter must cover too. ok is false when
// no ABI of the platform makes it.
func (p Platform) CallArch(name, compat string) (Arch, bool) {
	if compat != "" {
		a, ok := p.Compat(compat)
		if !ok || !makes(name, a) {
			return Arch{}, false
		}
		return a, true
	}
	for _, a := range p.Arches {
		if a.X32 {
			continue // an x32 call is named as such, never found here
		}
		if makes(name, a) {
			return a, true
		}
	}
	return Arch{}, false
}

// makes says whether arch has name as a system call of its own or
// through its multiplexer; a name no table knows counts as made (it is
// decided as an unknown number).
func makes(name string, arch Arch) bool {
	k := arch.Name + " " + name
	if v, ok := madeBy.Load(k); ok {
		return v.(bool)
	}
	ok := !Known(name)
	if !ok {
		_, err := SyscallNumber(name, arch)
		ok = err == nil || Multiplexed(name, arch)
	}
	madeBy.Store(k, ok)
	return ok
}

// madeBy keeps makes' answers: a prediction asks about the same few
// calls for every variant, and each lookup walks libseccomp's table.
var madeBy sync.Map

// PlatformOf is the platform whose ABI a is (the default platform for
// none).
func PlatformOf(a Arch) Platform {
	for _, p := range Platforms {
		if slices.Contains(p.Arches, a) {
			return p
		}
	}
	return DefaultPlatform()
}

// PlatformByName accepts amd64/x86_64 and arm64/aarch64; "" is
// DefaultPlatform.
func PlatformByName(s string) (Platform, error) {
	switch strings.ToLower(s) {
	case "":
		return DefaultPlatform(), nil
	case "amd64", "x86_64", "x86-64":
		return AMD64, nil
	case "arm64", "aarch64":
		return ARM64, nil
	}
	return Platform{}, fmt.Errorf("unknown architecture %q (amd64 or arm64)", s)
}

// DefaultPlatform is what rampart predicts for unless told otherwise:
// this machine's on Linux arm64, amd64 everywhere else. A laptop is not
// the node: on darwin/arm64 the workloads audited still mostly run on
// amd64 nodes, so the architecture is given with --arch there.
func DefaultPlatform() Platform {
	if runtime.GOOS == "linux" && runtime.GOARCH == "arm64" {
		return ARM64
	}
	return AMD64
}

// ArchByName accepts x86_64/amd64, x86/i386/i686, x32, aarch64/arm64 and
// arm; "" is the default platform's native ABI.
func ArchByName(s string) (Arch, error) {
	switch strings.ToLower(s) {
	case "":
		return DefaultPlatform().Native(), nil
	case "x86_64", "amd64", "scmp_arch_x86_64":
		return archX86_64, nil
	case "x86", "i386", "i686", "scmp_arch_x86":
		return archX86, nil
	case "x32", "scmp_arch_x32":
		return archX32, nil
	case "aarch64", "arm64", "scmp_arch_aarch64":
		return archAArch64, nil
	case "arm", "aarch32", "scmp_arch_arm":
		return archARM, nil
	}
	return Arch{}, fmt.Errorf("unknown architecture %q (x86_64, x86, x32, aarch64 or arm)", s)
}

// ProgramDigest names a program by its length and the SHA-256 of its
// instructions as the kernel lays them out: two machines' builds of a
// filter compare by it.
type ProgramDigest struct {
	Len    int    `json:"len"`
	SHA256 string `json:"sha256"`
}

// DigestProgram is prog's ProgramDigest.
func DigestProgram(prog []bpf.Insn) ProgramDigest {
	h := sha256.New()
	var b [8]byte
	for _, in := range prog {
		binary.LittleEndian.PutUint16(b[0:], in.Code)
		b[2], b[3] = in.Jt, in.Jf
		binary.LittleEndian.PutUint32(b[4:], in.K)
		h.Write(b[:])
	}
	return ProgramDigest{Len: len(prog), SHA256: hex.EncodeToString(h.Sum(nil))}
}
