package seccomp

import (
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// Decision is what a profile does with one call, and why.
type Decision struct {
	Syscall string
	Nr      int32
	Arch    string
	Args    [6]uint64
	// Action is the outcome: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(EPERM), ...
	Action string
	// Source says who decided: "compiled filter" (the program the launcher
	// loads, run by the interpreter) or "profile rules" (without it).
	Source string
	// Rules are the profile rules that match the call; empty when the
	// default action decided.
	Rules []Rule
	// Default is true when no rule matched.
	Default bool
	// PathLen is the number of BPF instructions the filter ran.
	PathLen int
	Notes   []string
}

// ProgramFor is the program Explain decides p's calls with: the compiled
// one, or nil (decide by the rules) in a build without libseccomp or
// where it cannot be read back.
func ProgramFor(p *Profile) ([]bpf.Insn, error) {
	if !HaveCompiler() {
		return nil, nil
	}
	f, err := Compile(p)
	if err != nil {
		return nil, err
	}
	return f.Program(), nil
}

// Explain decides name(args) on arch. With prog (the compiled program)
// the decision is the filter's; the matching rules explain it. Without,
// the rules decide as the engine installs them.
func Explain(p *Profile, prog []bpf.Insn, arch Arch, name string, args [6]uint64) (*Decision, error) {
	nr, err := SyscallNumber(name, arch)
	mux := ""
	if err != nil {
		// i386 has no accept, send, recv, semop or semtimedop of its own:
		// the multiplexer is the only way to make them, so decide that.
		if mux = multiplexer(name); mux == "" || arch.Name != "x86" {
			return nil, err
		}
		if nr, err = SyscallNumber(mux, arch); err != nil {
			return nil, err
		}
	}
	d := &Decision{Syscall: name, Nr: nr, Arch: arch.Name, Args: args}
	if arch.Bits32 {
		for i := range d.Args {
			d.Args[i] &= 0xffffffff
		}
	}
	// filterArgs are the arguments the filter sees.
	filterArgs := d.Args
	if mux != "" {
		filterArgs = multiplexed(name, d.Args)
		d.Notes = append(d.Notes, fmt.Sprintf("x86 has no %s of its own: i386 makes it as %s(%s), which is what the filter decides", name, mux, muxArgs(name, filterArgs)))
	}
	for _, r := range p.Rules() {
		if r.Name == name && r.Matches(d.Args, arch.Low32()) {
			d.Rules = append(d.Rules, r)
		}
	}
	ruleAction := p.defaultAction()
	if len(d.Rules) > 0 {
		r := d.Rules[0]
		ruleAction = ActionString(r.Action, r.ErrnoValue())
	}
	if !archListed(p, arch) {
		d.Notes = append(d.Notes, fmt.Sprintf("the profile does not list %s: the filter refuses the whole ABI", arch.Name))
	}
	if prog == nil {
		d.Action, d.Source, d.Default = ruleAction, "profile rules", len(d.Rules) == 0
		if arch.Name == "x86" && socketcallCalls[name] != 0 && mux == "" {
			d.Notes = append(d.Notes, fmt.Sprintf("i386 can also make %s through socketcall(2), whose arguments a filter cannot read: run as root to see what the compiled filter does with it", name))
		}
		return d, nil
	}
	if arch.Name == "x86_64" && (nr == 335 || nr == 336) {
		d.Notes = append(d.Notes, "the kernel runs uretprobe and uprobe (335, 336) without consulting seccomp at all: whatever the filter says, they are allowed")
	}
	if name == "socketcall" || name == "ipc" {
		d.Notes = append(d.Notes, name+"'s real arguments sit behind a pointer a filter cannot read: whatever the profile says of the multiplexed calls, this decides them all")
	}
	data := bpf.Data{Nr: nr, Arch: arch.Audit, Args: filterArgs}
	ret, path, err := bpf.Run(prog, data)
	if err != nil {
		return nil, err
	}
	if arch.Name == "x86" && socketcallCalls[name] != 0 && mux == "" {
		// The same call through the multiplexer, which i386 keeps: a
		// different answer there is a way around this one.
		sc, _ := SyscallNumber("socketcall", arch)
		viaArgs := multiplexed(name, d.Args)
		if r, _, err := bpf.Run(prog, bpf.Data{Nr: sc, Arch: arch.Audit, Args: viaArgs}); err == nil && r != ret {
			d.Notes = append(d.Notes, fmt.Sprintf("i386 also makes %s as socketcall(%s), whose arguments the filter cannot read: that call gets %s", name, muxArgs(name, viaArgs), RetString(r)))
		}
	}
	d.Source, d.PathLen = "compiled filter", len(path)
	d.Action = RetString(ret)
	// Keep only the rules whose action is what the filter did.
	var agree []Rule
	for _, r := range d.Rules {
		if Ret(r.Action, r.ErrnoValue()) == ret {
			agree = append(agree, r)
		}
	}
	d.Rules = agree
	d.Default = len(agree) == 0
	if d.Default && ret != p.defaultRet() {
		d.Notes = append(d.Notes, "no rule and not the default action: the engine's own addition (the ENOSYS stub for syscalls newer than the profile, or an architecture check)")
	}
	return d, nil
}

// isMultiplexed: an i386 process can also make name through socketcall(2)
// or ipc(2), and libseccomp places its rules on the multiplexer too.
func isMultiplexed(name string) bool {
	_, sock := socketcallCalls[name]
	_, ipc := ipcCalls[name]
	return sock || ipc || name == "socketcall" || name == "ipc"
}

// multiplexed returns the arguments of the i386 multiplexer call that
// makes name(args): socketcall(call, pointer) or ipc(call, ...). The
// pointer is a placeholder: the filter sees an address, never what it
// points at.
func multiplexed(name string, args [6]uint64) [6]uint64 {
	if c, ok := socketcallCalls[name]; ok {
		return [6]uint64{c, muxPointer}
	}
	c := ipcCalls[name]
	out := [6]uint64{c.call}
	for i, at := range c.at {
		if at > 0 {
			out[at] = args[i]
		}
	}
	return out
}

// muxPointer stands for the address of socketcall's argument block.
const muxPointer = 0x10000

func muxArgs(name string, args [6]uint64) string {
	if _, ok := socketcallCalls[name]; ok {
		return fmt.Sprintf("SYS_%s, &args", strings.ToUpper(name))
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = fmt.Sprintf("%#x", a)
	}
	return strings.Join(parts, ", ")
}

func archListed(p *Profile, a Arch) bool { return p.Covers(a) }

// Covers says whether the filter for p covers the ABI: the profile lists
// it, or it is the native one, which libseccomp always includes. Calls
// of an ABI it does not cover are refused whole.
func (p *Profile) Covers(a Arch) bool {
	return slices.Contains(filterArches(p), a.spec)
}

// RetString prints a filter's return value as a profile action.
func RetString(ret uint32) string {
	act, data := bpf.Action(ret)
	switch act {
	case bpf.RetAllow:
		return string(specs.ActAllow)
	case bpf.RetErrno:
		return ActionString(specs.ActErrno, uint(data))
	case bpf.RetKillProcess:
		return string(specs.ActKillProcess)
	case bpf.RetKillThread:
		return string(specs.ActKillThread)
	case bpf.RetTrap:
		return string(specs.ActTrap)
	case bpf.RetTrace:
		return ActionString(specs.ActTrace, uint(data))
	case bpf.RetLog:
		return string(specs.ActLog)
	case bpf.RetUserNotif:
		return string(specs.ActNotify)
	}
	return fmt.Sprintf("%#x", ret)
}

// ParseCall reads a call as a user writes it: the ABI's name and up to
// six arguments, each a number or constants joined by | (ParseArg).
// Arguments left out are zero.
func ParseCall(arch string, args []string) (Arch, [6]uint64, error) {
	var argv [6]uint64
	if len(args) > len(argv) {
		return Arch{}, argv, fmt.Errorf("a syscall has at most %d arguments", len(argv))
	}
	a, err := ArchByName(arch)
	if err != nil {
		return Arch{}, argv, err
	}
	for i, s := range args {
		if argv[i], err = ParseArg(s); err != nil {
			return Arch{}, argv, err
		}
	}
	return a, argv, nil
}
