package probe

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/caps"
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
	var denied []string
	for _, c := range p.Model.Calls {
		// A compat call is decided on its own ABI: its number there, and
		// the filter's branch for that architecture.
		arch := seccomp.Arches[0]
		if c.Compat != "" {
			a, err := seccomp.ArchByName(c.Compat)
			if err != nil {
				return false, "", fmt.Errorf("%s: call %s: %w", p.ID, c.Name, err)
			}
			arch = a
		}
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
			return true, fmt.Sprintf("%s%s(%#x) is allowed", compatPrefix(c), c.Name, c.Args[:3]), nil
		}
		denied = append(denied, fmt.Sprintf("%s%s: %s", compatPrefix(c), c.Name, seccomp.RetString(ret)))
	}
	if len(denied) == 0 {
		return true, "none of the path's calls is known here", nil
	}
	return false, "every variant is refused: " + strings.Join(dedupe(denied), ", "), nil
}

func compatPrefix(c Call) string {
	if c.Compat == "" {
		return ""
	}
	return c.Compat + " "
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

// Context is what a prediction knows about a process besides its layers:
// facts that decide whether the kernel checks a path's capabilities at
// all, which a Model's Caps alone cannot say.
type Context struct {
	// Root: the process runs as uid 0.
	Root bool
	// ForeignPID1: pid 1 is not the process's own first process (the
	// host's init with hostPID, the pod's pause with a shared process
	// namespace), so reaching it needs ptrace access.
	ForeignPID1 bool
	// Sysctls are the node's, by dotted name; a missing one has the
	// upstream kernel's default.
	Sysctls map[string]string
}

// sysAdminSplit are the capabilities split from CAP_SYS_ADMIN in 5.8 and
// 5.9: the kernel's bpf_capable, perfmon_capable and
// checkpoint_restore_ns_capable still accept CAP_SYS_ADMIN for each.
var sysAdminSplit = caps.Of(caps.BPF, caps.PERFMON, caps.CHECKPOINT_RESTORE)

// MissingCaps is what of the path's capability check effective lacks in
// ctx: empty when the check passes or the kernel does not make it.
func MissingCaps(p *Path, effective caps.Set, ctx Context) caps.Set {
	need := p.Model.Caps
	switch p.ID {
	case "setuid-root":
		// Already uid 0: nothing to become.
		if ctx.Root {
			need = 0
		}
	case "setns-host":
		// pid 1 is our own first process, with our credentials:
		// ptrace_may_access passes without CAP_SYS_PTRACE.
		if !ctx.ForeignPID1 {
			need = need.Remove(caps.SYS_PTRACE)
		}
	case "perf-event-open":
		// Counting one's own user-space events needs no capability up to
		// perf_event_paranoid 2, the upstream default; 3 and above are
		// Debian's and Ubuntu's patch.
		if level, err := strconv.Atoi(ctx.Sysctls["kernel.perf_event_paranoid"]); err != nil || level <= 2 {
			need = 0
		}
	case "bpf-load":
		// At 0 anyone may load a socket filter; 1 and 2 (the default
		// since 5.16) want CAP_BPF, and an unknown value is taken as 2.
		if ctx.Sysctls["kernel.unprivileged_bpf_disabled"] == "0" {
			need = 0
		}
	}
	missing := need.Minus(effective)
	if effective.Has(caps.SYS_ADMIN) {
		missing = missing.Minus(sysAdminSplit)
	}
	return missing
}
