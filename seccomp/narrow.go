package seccomp

import (
	"encoding/json"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/linuxabi"
	"github.com/rampart-sec/rampart/policy"
)

// NarrowedName names the profile Narrowed returns.
const NarrowedName = "runtime-default-narrowed"

// memorySyscalls read or write another process's memory. RuntimeDefault
// allows them to everyone (they are harmless to a process that cannot
// see others); a workload that has no debugger inside has no use for
// them, and they are how an attacker in the container reads secrets out
// of a sibling process.
var memorySyscalls = []string{"ptrace", "process_vm_readv", "process_vm_writev"}

// Narrowed is RuntimeDefault resolved for bounding, less what the attack
// catalog finds it leaving open to workloads that do not need it:
//
//   - ptrace, process_vm_readv and process_vm_writev, unless bounding
//     holds SYS_PTRACE (then the workload asked for debugging);
//   - ioctl(fd, TIOCSTI, ...): pushing characters into a terminal's input,
//     the way out of a container through a shared tty.
//
// TIOCSTI is refused on the low 32 bits of the request only: the kernel
// truncates the request to an unsigned int, so a filter comparing all 64
// bits would let 0x1_0000_5412 through as TIOCSTI. seccomp cannot say
// "masked value differs", so ioctl is allowed by 32 rules that together
// match exactly every low half other than TIOCSTI: rule i matches values
// that agree with TIOCSTI above bit i and differ at bit i.
func Narrowed(bounding caps.Set) (*Profile, error) {
	p, err := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, bounding)
	if err != nil {
		return nil, err
	}
	s := *p.Spec
	drop := []string{"ioctl"}
	if !bounding.Has(caps.SYS_PTRACE) {
		drop = append(drop, memorySyscalls...)
	}
	s.Syscalls = nil
	for _, r := range p.Spec.Syscalls {
		if r.Action == specs.ActAllow && len(r.Args) == 0 {
			r.Names = slices.DeleteFunc(slices.Clone(r.Names), func(n string) bool { return slices.Contains(drop, n) })
			if len(r.Names) == 0 {
				continue
			}
		}
		s.Syscalls = append(s.Syscalls, r)
	}
	s.Syscalls = append(s.Syscalls, ioctlExcept(linuxabi.TIOCSTI)...)
	body, err := json.Marshal(&s)
	if err != nil {
		return nil, err
	}
	n, err := Parse(NarrowedName, body, bounding)
	if n != nil {
		n.loc = nil // generated: no lines to point at
	}
	return n, err
}

// ioctlExcept allows ioctl for every request whose low 32 bits differ from
// req (see Narrowed).
func ioctlExcept(req uint32) []specs.LinuxSyscall {
	var out []specs.LinuxSyscall
	for i := 31; i >= 0; i-- {
		mask := uint64(0xffffffff) >> i << i
		out = append(out, specs.LinuxSyscall{
			Names:  []string{"ioctl"},
			Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{
				Index: 1, Value: mask, ValueTwo: (uint64(req) ^ 1<<i) & mask, Op: specs.OpMaskedEqual,
			}},
		})
	}
	return out
}

// JSON is the profile in the OCI / Docker JSON form that a kubelet's
// Localhost profile, `rampart run --seccomp FILE` and runc all read.
func (p *Profile) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(p.Spec, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
