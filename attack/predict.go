package attack

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// SeccompPrediction is what a filter does with a path's variants.
type SeccompPrediction struct {
	// Open: some variant gets through the filter.
	Open bool
	// Passing are the variants that get through, in the model's order.
	Passing []Variant
	// Rule names what let Passing[0] through ("default action",
	// "p.json:5"); empty when only the compiled program was asked.
	Rule string
	// Refused are the refused variants with the filter's answer
	// ("unshare(CLONE_NEWUSER): SCMP_ACT_ERRNO(EPERM)").
	Refused []string
	// Why says it in a sentence.
	Why string
}

// PredictSeccomp says, without running anything, whether a filter closes
// the path: the path stays open if any variant the model lists gets
// through on x86_64 (a variant of several steps only when every step
// does) — an attacker picks the one that gets through. It runs the
// compiled program through the interpreter.
func PredictSeccomp(p *Path, prog []bpf.Insn) (open bool, why string, err error) {
	pr, err := PredictSeccompVariants(p, nil, prog)
	return pr.Open, pr.Why, err
}

// PredictSeccompVariants is PredictSeccomp with the variants that pass.
// With prof, each call is explained by the profile (seccomp.Explain): by
// prog when it is given, else by the profile's rules, and the rule that
// let a variant through is named.
func PredictSeccompVariants(p *Path, prof *seccomp.Profile, prog []bpf.Insn) (SeccompPrediction, error) {
	var pr SeccompPrediction
	vs := p.Variants()
	if len(vs) == 0 {
		pr.Open, pr.Why = true, "the path makes no call a filter could refuse"
		return pr, nil
	}
	// With the program, the interpreter decides each call (cheap); the
	// profile explains only the variant that passes, to name its rule.
	decideWith := prof
	if len(prog) > 0 {
		decideWith = nil
	}
	plat := seccomp.DefaultPlatform()
	if prof != nil {
		plat = prof.Platform()
	}
	known := false
	for _, v := range vs {
		if !v.On(plat) {
			// a call no ABI of the platform makes: the variant cannot
			// be made there (i386's socketcall on arm64, any x32 call)
			continue
		}
		v = v.namedOn(plat)
		pass, placed, refusal, rule := true, false, "", ""
		for _, c := range v.Calls {
			d, ok, err := decideCall(plat, p, c, decideWith, prog)
			if err != nil {
				return pr, err
			}
			if !ok {
				// A call this machine's tables do not know cannot be
				// placed; the filter answers it as any unknown number.
				continue
			}
			placed = true
			if !d.pass {
				pass, refusal = false, c.String()+": "+d.action
				if c.Route != "" {
					// a route's step by its name: the route says the rest
					refusal = v.Name + " (" + c.Name + ": " + d.action + ")"
				}
				break
			}
			if rule == "" {
				rule = d.rule
			}
		}
		if !placed {
			continue
		}
		known = true
		switch {
		case pass:
			if len(pr.Passing) == 0 {
				pr.Rule = rule
			}
			pr.Passing = append(pr.Passing, v)
		case !slices.Contains(pr.Refused, refusal):
			pr.Refused = append(pr.Refused, refusal)
		}
	}
	if prof != nil && decideWith == nil && len(pr.Passing) > 0 {
		if d, ok, err := decideCall(plat, p, pr.Passing[0].Calls[0], prof, prog); err == nil && ok {
			pr.Rule = d.rule
		}
	}
	switch {
	case !known:
		pr.Open, pr.Why = true, "none of the path's calls is known here"
	case len(pr.Passing) > 0:
		pr.Open = true
		pr.Why = pr.Passing[0].Name + " is allowed"
		if len(pr.Refused) > 0 {
			pr.Why = "seccomp refuses " + strings.Join(pr.Refused, ", ") + " but allows " + pr.Passing[0].Name
		}
		if pr.Rule != "" {
			pr.Why += " (rule: " + pr.Rule + ")"
		}
	default:
		pr.Why = "every variant is refused: " + strings.Join(pr.Refused, ", ")
	}
	return pr, nil
}

// On says whether the variant can be made on plat: each of its calls is
// made by one of that platform's ABIs (seccomp.Platform.CallArch).
func (v Variant) On(plat seccomp.Platform) bool {
	for _, c := range v.Calls {
		if _, ok := plat.CallArch(c.Name, c.Compat); !ok {
			return false
		}
	}
	return true
}

// namedOn names the variant by the ABI it takes on plat where that is
// not the one its calls name: on arm64, open(2) is "arm open", an
// AArch32 call.
func (v Variant) namedOn(plat seccomp.Platform) Variant {
	if len(v.Calls) != 1 || v.Calls[0].Compat != "" || v.Calls[0].Route != "" {
		return v
	}
	if a, ok := plat.CallArch(v.Calls[0].Name, ""); ok && a != plat.Native() {
		v.Name = a.Name + " " + v.Name
	}
	return v
}

// callDecision is the filter's answer to one call.
type callDecision struct {
	pass         bool
	action, rule string
}

// decideCall asks the program, or the profile, about one call on plat.
// A compat call is decided on its own ABI: its number there, and the
// filter's branch for that architecture (or the profile's coverage of
// it); on arm64 an i386 call is AArch32's, a call AArch64 lacks (open)
// is made as AArch32's, and an x32 call cannot be made at all. A call
// plat has no ABI for is not placed (ok false).
func decideCall(plat seccomp.Platform, p *Path, c Call, prof *seccomp.Profile, prog []bpf.Insn) (callDecision, bool, error) {
	if c.Compat != "" {
		if _, err := seccomp.ArchByName(c.Compat); err != nil {
			return callDecision{}, false, fmt.Errorf("%s: call %s: %w", p.ID, c.Name, err)
		}
	}
	arch, ok := plat.CallArch(c.Name, c.Compat)
	if !ok {
		return callDecision{}, false, nil
	}
	if prof == nil {
		nr, err := seccomp.SyscallNumber(c.Name, arch)
		if err != nil {
			return callDecision{}, false, nil
		}
		ret, _, err := bpf.Run(prog, bpf.Data{Nr: nr, Arch: arch.Audit, Args: c.Args})
		if err != nil {
			return callDecision{}, false, err
		}
		act, _ := bpf.Action(ret)
		return callDecision{pass: act == bpf.RetAllow || act == bpf.RetLog, action: seccomp.RetString(ret)}, true, nil
	}
	d, err := seccomp.Explain(prof, prog, arch, c.Name, c.Args)
	if err != nil {
		return callDecision{}, false, nil
	}
	action := d.Action
	if prog == nil && !prof.Covers(arch) {
		action = "refused: the profile does not list " + arch.Name
	}
	pass := strings.HasPrefix(action, "SCMP_ACT_ALLOW") || strings.HasPrefix(action, "SCMP_ACT_LOG")
	rule := "default action"
	if len(d.Rules) > 0 {
		rule = prof.RuleSource(d.Rules[0])
	}
	return callDecision{pass: pass, action: action, rule: rule}, true, nil
}

// Context is what a prediction knows about a process besides its layers:
// facts that decide whether the kernel checks a path's capabilities at
// all, which a Model's Caps alone cannot say.
type Context struct {
	// Root: the process runs as uid 0.
	Root bool
	// UserNS: in a user namespace of its own, whose uid 0 is not the
	// host's (Root then owns nothing of the host's).
	UserNS bool
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
	return MissingCapsFor(p, 0, effective, ctx)
}

// MissingCapsFor is MissingCaps for a variant whose kernel path checks
// extra besides the path's capabilities (a Variant's Caps).
func MissingCapsFor(p *Path, extra, effective caps.Set, ctx Context) caps.Set {
	need := p.Model.Caps | extra
	switch p.ID {
	case "setuid-root":
		// Already uid 0: nothing to become.
		if ctx.Root {
			need = 0
		}
	case "signal-outside":
		// The host's init is root's: a sender whose uid is 0 passes
		// kill_ok_by_cred by its uid, before CAP_KILL is asked.
		if ctx.Root && !ctx.UserNS {
			need = need.Remove(caps.KILL)
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
