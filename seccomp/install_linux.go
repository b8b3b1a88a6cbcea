//go:build linux && cgo && seccomp

package seccomp

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"syscall"

	rcseccomp "github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/seccomp/bpf"
)

var errNoCompiler = errors.New("this rampart was built without libseccomp (build with -tags seccomp and cgo, as `make` does)")

func knownSyscall(name string) error {
	_, err := libseccomp.GetSyscallFromName(name)
	return err
}

// engineNumber is libseccomp's own number for name on arch, the one runc's
// ENOSYS stub compares with: ok is false where libseccomp has none (a
// syscall it does not know, or i386's socket and IPC calls, for which it
// answers a pseudo-number).
func engineNumber(name string, arch Arch) (int32, bool) {
	a, err := libseccomp.GetArchFromString(arch.scmp)
	if err != nil {
		return 0, false
	}
	nr, err := libseccomp.GetSyscallFromNameByArch(name, a)
	if err != nil || nr < 0 {
		return 0, false
	}
	return int32(nr), true
}

// HaveCompiler says whether this build links libseccomp: it does.
func HaveCompiler() bool { return true }

// LibseccompVersion is the linked libseccomp's version ("2.5.4").
func LibseccompVersion() string { return libseccompVersion() }

func libseccompVersion() string {
	a, b, c := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", a, b, c)
}

// Filter is a profile ready to load: compiled ahead, or (where the
// program cannot be cached) compiled at load time.
type Filter struct {
	profile *Profile
	prog    *program
	// Cached says whether the program came from the cache or a helper
	// compile (true) or will be compiled in place at Install (false).
	Cached bool
	// Why says why the program is compiled in place, for -v.
	Why string
	// Details say what happened to a cache entry that was not used, for
	// -v.
	Details []string
	// numbered is the block for the rules rampart installs by number,
	// loaded as a filter of its own when the program is compiled in place.
	numbered []bpf.Insn
	flags    uint32
	// foreign: compiled for another platform, to decide calls only
	foreign bool
	// checked is, for a program compiled in place, what the spot check
	// held to the profile: libseccomp's export with the rules installed
	// by number in front, without runc's ENOSYS stub.
	checked []bpf.Insn
}

// Compile prepares p for Install. It runs before any layer is applied: a
// cache miss starts a helper process. It refuses a profile whose compiled
// program does not do what the profile's rules say.
func Compile(p *Profile) (*Filter, error) {
	if p.Platform().GOARCH != runtime.GOARCH {
		return compileForeign(p)
	}
	flags, err := kernelFlags(p)
	if err != nil {
		return nil, fmt.Errorf("seccomp profile %s: %w", p.Name, err)
	}
	prog, details, err := compile(p, flags)
	var ce *errCheck
	if errors.As(err, &ce) {
		return nil, fmt.Errorf("seccomp profile %s: %w", p.Name, err)
	}
	if err != nil {
		f := &Filter{profile: p, Why: err.Error(), Details: details, flags: flags}
		// What libseccomp will generate at exec time, checked as a
		// cached program is (without runc's stub, added at load).
		prefix, checked, err := checkedExport(p)
		if err != nil {
			return nil, err
		}
		f.checked = checked
		if len(prefix) > 0 {
			// Its own filter, loaded before the engine's (see Install):
			// it returns the rule's action for the rule's numbers and
			// allows everything else, and the kernel keeps the stricter
			// answer of the two.
			f.numbered = append(prefix, bpf.Insn{Code: unix.BPF_RET | unix.BPF_K, K: bpf.RetAllow})
		}
		return f, nil
	}
	return &Filter{profile: p, prog: prog, Cached: true, Details: details, flags: flags}, nil
}

// checkedExport is libseccomp's export of p's program as runc's engine
// builds it (EngineProgram), with the rules installed by number in front
// (prefix), held to the profile by the spot check.
func checkedExport(p *Profile) (prefix, insns []bpf.Insn, err error) {
	prefix, err = numberedPrefix(p)
	if err != nil {
		return nil, nil, fmt.Errorf("seccomp profile %s: %w", p.Name, err)
	}
	lib, err := EngineProgram(p, true)
	if err != nil {
		return nil, nil, fmt.Errorf("seccomp profile %s: %w", p.Name, err)
	}
	insns = append(slices.Clip(prefix), lib...)
	if err := spotCheck(p, insns, false); err != nil {
		return nil, nil, fmt.Errorf("seccomp profile %s: the compiled filter does not do what the profile says: %w", p.Name, err)
	}
	return prefix, insns, nil
}

// compileForeign builds the program for a profile resolved for another
// platform (audit --arch arm64 on an amd64 machine): the one runc's
// engine builds on that platform, as EngineProgram exports it, with the
// rules installed by number in front, held to the profile by the spot
// check. It decides calls; it cannot be loaded here (Install refuses),
// and it lacks runc's ENOSYS stub for syscalls newer than the profile.
func compileForeign(p *Profile) (*Filter, error) {
	_, insns, err := checkedExport(p)
	if err != nil {
		return nil, err
	}
	return &Filter{profile: p, prog: &program{insns: insns}, foreign: true,
		Why: fmt.Sprintf("compiled for %s on %s: the program runc's engine builds there, without its ENOSYS stub", p.Platform(), runtime.GOARCH)}, nil
}

// Require refuses the filter when it does not allow every need (see
// Need).
func (f *Filter) Require(needs ...Need) error {
	return refusedNeed(f.profile, f.Program(), needs)
}

// Digest names what the program was compiled from (the resolved profile,
// the bounding set, the flags, the architecture and the engine's
// versions): what is derived from the program alone can be kept under
// it. ok is false for a program compiled in place.
func (f *Filter) Digest() (d [32]byte, ok bool) {
	if f.prog == nil || f.prog.digest == ([32]byte{}) {
		return d, false
	}
	return f.prog.digest, true
}

// Filters is the number of filters Install loads.
func (f *Filter) Filters() int {
	if f.numbered != nil {
		return 2
	}
	return 1
}

// Len is the program's length in BPF instructions, 0 when not known yet.
func (f *Filter) Len() int {
	if f.prog == nil {
		return 0
	}
	return len(f.prog.insns)
}

// Install loads the filter into the calling thread. The caller must be on
// a locked OS thread that will execve next: a seccomp filter without TSYNC
// binds only the calling thread. Without no_new_privs the caller needs
// CAP_SYS_ADMIN, as for runc.
func (f *Filter) Install() error {
	if f.foreign {
		return fmt.Errorf("seccomp profile %s: compiled for %s, this machine is %s", f.profile.Name, f.profile.Platform(), runtime.GOARCH)
	}
	if f.prog != nil {
		if err := loadProgram(f.prog); err != nil {
			return fmt.Errorf("seccomp profile %s: load: %w", f.profile.Name, err)
		}
		return nil
	}
	// The rules installed by number go first: the engine's filter may
	// refuse seccomp(2) itself (a profile may deny it), and a later load
	// would then fail. The order changes no answer: the kernel keeps the
	// stricter of the two, and a numbered rule under a refusing default
	// is KILL or TRAP, which outranks any ERRNO.
	if f.numbered != nil {
		if err := loadProgram(&program{flags: f.flags, insns: f.numbered}); err != nil {
			return fmt.Errorf("seccomp profile %s: load the rules installed by number: %w", f.profile.Name, err)
		}
	}
	return installDirect(f.profile)
}

// installDirect compiles p and loads it into the calling thread with the
// engine runc uses (libseccomp, binary-tree rules for long profiles, and
// the ENOSYS stub for syscalls newer than the profile).
func installDirect(p *Profile) error {
	cfg, err := specconv.SetupSeccomp(p.Spec)
	if err != nil {
		return fmt.Errorf("seccomp profile %s: %w", p.Name, err)
	}
	if cfg == nil {
		return fmt.Errorf("seccomp profile %s resolves to no filter", p.Name)
	}
	fd, err := rcseccomp.InitSeccomp(cfg)
	if errors.Is(err, syscall.EEXIST) {
		return fmt.Errorf("seccomp profile %s: %w (libseccomp refuses rules on one syscall that differ only in action; on x86 socket rules also land on socketcall, whose arguments it cannot see, so socket rules there must share an action)", p.Name, err)
	}
	if err != nil {
		return fmt.Errorf("seccomp profile %s: %w", p.Name, err)
	}
	if fd >= 0 {
		// SCMP_ACT_NOTIFY: nobody listens; a notifying syscall would block
		// forever. Refuse rather than hang the workload.
		unix.Close(fd)
		return fmt.Errorf("seccomp profile %s uses SCMP_ACT_NOTIFY, which needs a listener rampart does not provide", p.Name)
	}
	return nil
}

// SyscallNumber resolves a syscall name on arch, with the x32 bit for x32:
// the number the kernel sees when a process makes that call.
func SyscallNumber(name string, arch Arch) (int32, error) {
	a, err := libseccomp.GetArchFromString(arch.scmp)
	if err != nil {
		return 0, err
	}
	nr, err := libseccomp.GetSyscallFromNameByArch(name, a)
	return kernelNumber(name, arch, err == nil, int32(nr), err == nil)
}

// SyscallNames lists every syscall libseccomp knows on arch.
func SyscallNames(arch Arch) []string {
	a, err := libseccomp.GetArchFromString(arch.scmp)
	if err != nil {
		return nil
	}
	var out []string
	numbers := func(from, to int) {
		for nr := from; nr < to; nr++ {
			n := libseccomp.ScmpSyscall(nr)
			if arch.X32 {
				n = libseccomp.ScmpSyscall(nr | 0x40000000)
			}
			if name, err := n.GetNameByArch(a); err == nil && name != "" {
				out = append(out, name)
			}
		}
	}
	numbers(0, 1024)
	if arch.spec == specs.ArchARM {
		// ARM's private calls (cacheflush, set_tls…) from __ARM_NR_BASE
		numbers(0xf0000, 0xf0000+16)
	}
	return out
}

// Program returns the compiled program, when it could be read back.
func (f *Filter) Program() []bpf.Insn {
	if f == nil || f.prog == nil {
		return nil
	}
	return f.prog.insns
}

// Analysed returns the program to decide calls with: the compiled one
// when it could be read back (Program), else the one libseccomp builds
// for runc's engine, as Compile checked it, which lacks only runc's
// ENOSYS stub for syscalls newer than the profile. exact says which.
func (f *Filter) Analysed() (prog []bpf.Insn, exact bool) {
	if p := f.Program(); p != nil {
		return p, true
	}
	if f == nil {
		return nil, false
	}
	return f.checked, false
}
