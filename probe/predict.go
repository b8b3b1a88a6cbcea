package probe

import (
	"fmt"
	"strings"

	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// PredictSeccomp says, without running anything, whether a filter closes
// the path: the path stays open if any of its calls, in any variant the
// model lists, is allowed on x86_64 — an attacker picks the one that gets
// through. It runs the compiled program through the interpreter.
func PredictSeccomp(p *Path, prog []bpf.Insn) (open bool, why string, err error) {
	if len(p.Model.Calls) == 0 {
		return true, "the path makes no call a filter could refuse", nil
	}
	arch := seccomp.Arches[0]
	var denied []string
	for _, c := range p.Model.Calls {
		nr, err := seccomp.SyscallNumber(c.Name, arch)
		if err != nil {
			// A call this machine's tables do not know cannot be placed;
			// the filter answers it as any unknown number.
			continue
		}
		ret, _, err := bpf.Run(prog, bpf.Data{Nr: nr, Arch: arch.Audit, Args: c.Args})
		if err != nil {
			return false, "", err
		}
		if act, _ := bpf.Action(ret); act == bpf.RetAllow || act == bpf.RetLog {
			return true, fmt.Sprintf("%s(%#x) is allowed", c.Name, c.Args[:3]), nil
		}
		denied = append(denied, fmt.Sprintf("%s: %s", c.Name, seccomp.RetString(ret)))
	}
	if len(denied) == 0 {
		return true, "none of the path's calls is known here", nil
	}
	return false, "every variant is refused: " + strings.Join(dedupe(denied), ", "), nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
