package seccomp

import (
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// Need is a syscall the launch itself makes after the filter is loaded,
// or that the workload cannot do without: execve to start it, exit_group
// to end it. A profile that refuses one would make the workload die with
// SIGSYS or SIGSEGV (exit 159, 139) or fail to start, with no word about
// seccomp; rampart refuses such a profile before anything is applied.
type Need struct {
	Name string
	Arch Arch
	// Args are the argument values to decide it for: every one must be
	// allowed. Pointers the launch cannot know in advance are sampled.
	Args [][6]uint64
	// Why completes "the profile refuses NAME (ACTION on ARCH), ...".
	Why string
	// ErrnoHarmless accepts a failure with an errno: only an action that
	// stops the caller (kill, trap) refuses the need.
	ErrnoHarmless bool
	// Fallback is the call the caller makes when this one fails with an
	// errno (libc's _exit calls exit(2) when exit_group fails): an errno
	// is accepted when the filter allows the fallback.
	Fallback string
}

// refusedNeed decides each need with prog, the program that will be
// loaded (run by the interpreter, so argument conditions and the default
// action count as the kernel counts them), or, when the program is
// compiled in place and rampart never sees it, with p's rules.
func refusedNeed(p *Profile, prog []bpf.Insn, needs []Need) error {
	// Explain's decision, for many calls at a time: the program is
	// validated once, the rules expanded once.
	var run *bpf.Program
	var rules []Rule
	if prog != nil {
		var err error
		if run, err = bpf.Load(prog); err != nil {
			return fmt.Errorf("seccomp profile %s: %w", p.Name, err)
		}
	} else {
		rules = p.Rules()
	}
	allowed := func(name string, arch Arch, args [6]uint64) (string, bool, error) {
		nr, err := SyscallNumber(name, arch)
		if err != nil {
			return "", false, fmt.Errorf("seccomp profile %s: deciding %s on %s: %w", p.Name, name, arch.Name, err)
		}
		if arch.Bits32 {
			for i := range args {
				args[i] &= 0xffffffff
			}
		}
		ret := p.defaultRet()
		if run != nil {
			ret = run.Decide(bpf.Data{Nr: nr, Arch: arch.Audit, Args: args})
		} else if i := slices.IndexFunc(rules, func(r Rule) bool { return r.Name == name && r.Matches(args, arch.Low32()) }); i >= 0 {
			ret = Ret(rules[i].Action, rules[i].ErrnoValue()) // the first rule that matches, as Explain
		}
		action, _ := bpf.Action(ret)
		return RetString(ret), action == bpf.RetAllow || action == bpf.RetLog, nil
	}
	for _, n := range needs {
		for _, args := range n.Args {
			action, ok, err := allowed(n.Name, n.Arch, args)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
			if strings.HasPrefix(action, string(specs.ActErrno)) {
				if n.ErrnoHarmless {
					continue
				}
				if n.Fallback != "" {
					fallback, ok, err := allowed(n.Fallback, n.Arch, args)
					if err != nil {
						return err
					}
					if ok {
						continue
					}
					return fmt.Errorf("%s: the profile refuses %s (%s on %s) and %s, its fallback (%s), %s", p.Name, n.Name, action, n.Arch.Name, n.Fallback, fallback, n.Why)
				}
			}
			return fmt.Errorf("%s: the profile refuses %s (%s on %s), %s", p.Name, n.Name, action, n.Arch.Name, n.Why)
		}
	}
	return nil
}
