package seccomp

import (
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/internal/linuxabi"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// A syscall newer than the linked libseccomp cannot be named to it: runc
// skips such a name without a word. For an allow rule that only costs the
// workload the call (it gets the filter's ENOSYS or default action). For
// a rule that denies more than the default it means the call stays open:
// a profile that denies mseal under an allow-all default would let mseal
// run. rampart therefore installs those rules itself, by number, in a
// short block of classic BPF in front of the engine's program (the way
// runc puts its ENOSYS stub in front of libseccomp's), and refuses the
// profile where it cannot.

// newSyscall is a syscall of a recent kernel that an older libseccomp
// may not know.
type newSyscall struct {
	since string // the Linux release that added it
	// nr is its number. Since Linux 5.1 a new syscall gets one number on
	// every architecture: mips adds its ABI's base, x32 its bit.
	nr int32
	// only is the one architecture it exists on, "" for every one.
	only specs.Arch
	// noX32 is set for the x86_64 syscalls that x32 does not have.
	noX32 bool
}

// newerSyscalls are checked against golang.org/x/sys's tables (every
// architecture it has) and the kernel (x86_64, i386) by the tests.
var newerSyscalls = map[string]newSyscall{
	"riscv_hwprobe":     {"6.4", 258, specs.ArchRISCV64, false},
	"cachestat":         {"6.5", 451, "", false},
	"fchmodat2":         {"6.6", 452, "", false},
	"map_shadow_stack":  {"6.6", 453, "", true},
	"futex_wake":        {"6.7", 454, "", false},
	"futex_wait":        {"6.7", 455, "", false},
	"futex_requeue":     {"6.7", 456, "", false},
	"statmount":         {"6.8", 457, "", false},
	"listmount":         {"6.8", 458, "", false},
	"lsm_get_self_attr": {"6.8", 459, "", false},
	"lsm_set_self_attr": {"6.8", 460, "", false},
	"lsm_list_modules":  {"6.8", 461, "", false},
	"mseal":             {"6.10", 462, "", false},
	"uretprobe":         {"6.11", 335, specs.ArchX86_64, false},
	"setxattrat":        {"6.13", 463, "", false},
	"getxattrat":        {"6.13", 464, "", false},
	"listxattrat":       {"6.13", 465, "", false},
	"removexattrat":     {"6.13", 466, "", false},
	"open_tree_attr":    {"6.15", 467, "", false},
	"file_getattr":      {"6.17", 468, "", false},
	"file_setattr":      {"6.17", 469, "", false},
}

// NewerSince is the Linux release that added name, for a syscall rampart
// knows to be newer than some libseccomp releases; "" for the others.
func NewerSince(name string) string { return newerSyscalls[name].since }

// archABI is how a filter tells an architecture's calls apart: the
// AUDIT_ARCH_* value in seccomp_data.arch, and what its syscall numbers
// add to the common number.
type archABI struct {
	audit uint32
	base  int32
}

// archABIs covers every architecture runc accepts in a profile.
var archABIs = map[specs.Arch]archABI{
	specs.ArchX86:         {linuxabi.AUDIT_ARCH_I386, 0},
	specs.ArchX86_64:      {linuxabi.AUDIT_ARCH_X86_64, 0},
	specs.ArchX32:         {linuxabi.AUDIT_ARCH_X86_64, bpf.X32Bit},
	specs.ArchARM:         {linuxabi.AUDIT_ARCH_ARM, 0},
	specs.ArchAARCH64:     {linuxabi.AUDIT_ARCH_AARCH64, 0},
	specs.ArchMIPS:        {linuxabi.AUDIT_ARCH_MIPS, 4000},
	specs.ArchMIPSEL:      {linuxabi.AUDIT_ARCH_MIPSEL, 4000},
	specs.ArchMIPS64:      {linuxabi.AUDIT_ARCH_MIPS64, 5000},
	specs.ArchMIPSEL64:    {linuxabi.AUDIT_ARCH_MIPSEL64, 5000},
	specs.ArchMIPS64N32:   {linuxabi.AUDIT_ARCH_MIPS64N32, 6000},
	specs.ArchMIPSEL64N32: {linuxabi.AUDIT_ARCH_MIPSEL64N32, 6000},
	specs.ArchPPC:         {linuxabi.AUDIT_ARCH_PPC, 0},
	specs.ArchPPC64:       {linuxabi.AUDIT_ARCH_PPC64, 0},
	specs.ArchPPC64LE:     {linuxabi.AUDIT_ARCH_PPC64LE, 0},
	specs.ArchS390:        {linuxabi.AUDIT_ARCH_S390, 0},
	specs.ArchS390X:       {linuxabi.AUDIT_ARCH_S390X, 0},
	specs.ArchRISCV64:     {linuxabi.AUDIT_ARCH_RISCV64, 0},
	specs.ArchLOONGARCH64: {linuxabi.AUDIT_ARCH_LOONGARCH64, 0},
}

// newSyscallNumber is name's number on arch as the filter sees it;
// exists is false where the syscall is not part of that architecture.
func newSyscallNumber(name string, arch specs.Arch) (nr int32, exists bool, err error) {
	s, ok := newerSyscalls[name]
	if !ok {
		return 0, false, fmt.Errorf("no number known for %s", name)
	}
	abi, ok := archABIs[arch]
	if !ok {
		return 0, false, fmt.Errorf("no number known for %s on %s", name, arch)
	}
	if (s.only != "" && s.only != arch) || (s.noX32 && arch == specs.ArchX32) {
		return 0, false, nil
	}
	if abi.base == bpf.X32Bit {
		return s.nr | bpf.X32Bit, true, nil
	}
	return s.nr + abi.base, true, nil
}

// NumberedRule is a rule on a syscall the linked libseccomp does not
// know, which rampart installs itself by number (see numberedPrefix).
type NumberedRule struct {
	// Index is the entry in the resolved profile's syscalls[] (-1 when
	// the entry named only such syscalls and was dropped).
	Index  int
	Name   string
	Action specs.LinuxSeccompAction
	Errno  *uint
}

// filterArches are the architectures a filter for p covers: the native
// one of its platform, which libseccomp always includes, and the
// profile's.
func filterArches(p *Profile) []specs.Arch {
	out := []specs.Arch{p.Platform().Native().spec}
	for _, a := range p.Spec.Architectures {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// numberedPrefix assembles p.ByNumber into classic BPF that goes in front
// of the engine's program. For each architecture the filter covers it
// returns the rule's action for the rule's number and otherwise falls
// through to the engine's program, which starts by checking the
// architecture itself, as runc's ENOSYS stub does:
//
//	ld [4]; jeq AUDIT_ARCH, 0, next      the architecture
//	ld [0]; jeq NR, 0, 1; ret ACTION     one pair per rule
//	...; ja end
//	next: ...
//	end: (the engine's program)
func numberedPrefix(p *Profile) ([]bpf.Insn, error) {
	if len(p.ByNumber) == 0 {
		return nil, nil
	}
	type check struct {
		nr  int32
		ret uint32
	}
	byAudit := map[uint32][]check{}
	var audits []uint32
	for _, a := range filterArches(p) {
		abi, ok := archABIs[a]
		if !ok {
			return nil, fmt.Errorf("no syscall numbers known for %s", a)
		}
		if !slices.Contains(audits, abi.audit) {
			audits = append(audits, abi.audit)
		}
		for _, r := range p.ByNumber {
			nr, exists, err := newSyscallNumber(r.Name, a)
			if err != nil {
				return nil, err
			}
			if exists {
				byAudit[abi.audit] = append(byAudit[abi.audit], check{nr, Ret(r.Action, ruleErrno(r.Errno, r.Action))})
			}
		}
	}
	var prog []bpf.Insn
	var toEnd []int // the ja instructions that jump to the end
	for _, audit := range audits {
		checks := byAudit[audit]
		if len(checks) == 0 {
			continue
		}
		block := 2 + 2*len(checks) + 1 // after the jeq on the architecture
		if block > 255 {
			return nil, fmt.Errorf("too many rules installed by number (%d)", len(checks))
		}
		prog = append(prog,
			bpf.Insn{Code: linuxabi.BPF_LD | linuxabi.BPF_W | linuxabi.BPF_ABS, K: 4},
			bpf.Insn{Code: linuxabi.BPF_JMP | linuxabi.BPF_JEQ | linuxabi.BPF_K, K: audit, Jf: uint8(block - 1)},
			bpf.Insn{Code: linuxabi.BPF_LD | linuxabi.BPF_W | linuxabi.BPF_ABS, K: 0})
		for _, c := range checks {
			prog = append(prog,
				bpf.Insn{Code: linuxabi.BPF_JMP | linuxabi.BPF_JEQ | linuxabi.BPF_K, K: uint32(c.nr), Jf: 1},
				bpf.Insn{Code: linuxabi.BPF_RET | linuxabi.BPF_K, K: c.ret})
		}
		toEnd = append(toEnd, len(prog))
		prog = append(prog, bpf.Insn{Code: linuxabi.BPF_JMP | linuxabi.BPF_JA})
	}
	for _, pc := range toEnd {
		prog[pc].K = uint32(len(prog) - pc - 1)
	}
	return prog, nil
}

// Resolved is the resolved profile as a runtime reads it: Spec, with the
// rules on syscalls newer than this machine's libseccomp put back as
// entries of their own. Spec leaves them out because rampart installs
// them itself; a profile printed without them would lose those denies in
// a runtime whose libseccomp knows the syscalls.
func (p *Profile) Resolved() *specs.LinuxSeccomp {
	if len(p.ByNumber) == 0 && len(p.Dropped) == 0 {
		return p.Spec
	}
	s := *p.Spec
	s.Syscalls = slices.Clone(p.Spec.Syscalls)
	for _, r := range slices.Concat(p.ByNumber, p.Dropped) {
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{r.Name}, Action: r.Action, ErrnoRet: r.Errno})
	}
	return &s
}
