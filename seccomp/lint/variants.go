package lint

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/rampart-sec/rampart/internal/linuxabi"

	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// class is the check a kind of variant belongs to.
var class = map[string]string{
	"flag": CheckArgumentVariant, "value": CheckArgumentVariant, "high-bits": CheckArgumentVariant,
	"abi": CheckABIVariant, "multiplexer": CheckABIVariant,
	"sibling": CheckSibling, "io_uring": CheckSibling,
	"fallback": CheckFallback,
}

// Variants is the variant checks of p, decided by prog (p's compiled
// filter): for each deny and class (argument-variant, abi-variant,
// sibling, enosys-fallback), one finding with every variant of that
// class that prog lets through, in the order of p's rules. It is what
// `rampart run` warns of at launch.
func Variants(p *seccomp.Profile, prog []bpf.Insn) ([]Finding, error) {
	bs, err := seccomp.Bypasses(p, prog)
	if err != nil {
		return nil, err
	}
	fb, err := seccomp.Fallbacks(p, prog)
	if err != nil {
		return nil, err
	}
	bs = append(bs, fb...)
	runs, _ := seccomp.KernelABIs()
	if p.Platform().GOARCH != runtime.GOARCH {
		// this kernel is not the platform's: it says nothing of what
		// runs there, so every ABI of the platform counts as run
		runs = map[string]bool{}
		for _, a := range p.Platform().Arches {
			runs[a.Name] = true
		}
	}
	file := ""
	if line, _ := firstRulePos(p); line > 0 {
		file = p.Name
	}
	type key struct{ source, rule, check string }
	var order []key
	byKey := map[key]*Finding{}
	denies := map[key]seccomp.Deny{}
	for _, b := range bs {
		k := key{b.Deny.Source, b.Deny.Describe(), class[b.Kind]}
		f := byKey[k]
		if f == nil {
			c, _ := CheckByID(k.check)
			f = &Finding{Check: c.ID, Severity: c.Severity, Rule: b.Deny.Describe()}
			*f = placeRule(p, file, *f, b.Deny.Rules[0])
			byKey[k], denies[k] = f, b.Deny
			order = append(order, k)
		}
		v := Variant{Kind: b.Kind, Refused: call(b.Refused), Action: b.Action, DenyAction: b.Deny.Action, Why: b.Why, Others: b.Others, Live: true, Bypass: b}
		for _, c := range b.Variant {
			v.Calls = append(v.Calls, call(c))
		}
		for _, a := range b.Arches() {
			v.Live = v.Live && runs[a]
		}
		f.Variants = append(f.Variants, v)
	}
	out := make([]Finding, 0, len(order))
	for _, k := range order {
		f := byKey[k]
		d := denies[k]
		f.Message = message(f.Check, d, f.Variants)
		f.Fix = fix(p, f.Check, d, f.Variants)
		out = append(out, *f)
	}
	return out, nil
}

func firstRulePos(p *seccomp.Profile) (int, int) {
	for _, r := range p.Rules() {
		if l, c := p.RulePos(r); l > 0 {
			return l, c
		}
	}
	return 0, 0
}

// First is the variant to name first: the plainest one this kernel
// runs, else the plainest.
func First(vs []Variant) Variant {
	for _, v := range vs {
		if v.Live {
			return v
		}
	}
	return vs[0]
}

// CallString prints a variant's calls, " + " between the steps of a route.
func (v Variant) CallString() string {
	parts := make([]string, len(v.Bypass.Variant))
	for i, c := range v.Bypass.Variant {
		parts[i] = c.String()
	}
	return strings.Join(parts, " + ")
}

func message(check string, d seccomp.Deny, vs []Variant) string {
	v := First(vs)
	var b strings.Builder
	fmt.Fprintf(&b, "%s does not hold: %s gets %s where %s gets %s (%s)", d.Describe(), v.CallString(), v.Action, v.Bypass.Refused, d.Action, v.Why)
	if check == CheckFallback {
		fmt.Fprintf(&b, "; ENOSYS tells callers the kernel lacks %s, and they fall back to the sibling", d.Syscall)
	}
	if n := len(vs) - 1; n > 0 {
		fmt.Fprintf(&b, "; %d more way(s)", n)
	}
	if !v.Live {
		fmt.Fprintf(&b, "; this kernel runs no %s code, so the deny holds here, not on a kernel that does", strings.Join(v.Bypass.Arches(), " or "))
	}
	return b.String()
}

// fix says how to make the deny hold against the class's variants.
func fix(p *seccomp.Profile, check string, d seccomp.Deny, vs []Variant) string {
	switch check {
	case CheckArgumentVariant:
		return argumentFix(d, vs)
	case CheckABIVariant:
		return abiFix(vs)
	}
	s := siblingFix(p, d, vs)
	if check == CheckFallback {
		s += "; ENOSYS is right only where the fallback is refused for the same request"
	}
	return s
}

// The socket type's bits (SOCK_TYPE_MASK): the flags SOCK_CLOEXEC and
// SOCK_NONBLOCK sit above them.
const sockTypeMask = 0xf

// fieldMask is, per syscall and argument, the bits the kernel reads as
// one field beside flags: a rule on the field must compare those and
// nothing else.
var fieldMask = map[string]map[uint]struct {
	mask uint64
	name string
}{
	"socket":     {1: {sockTypeMask, "SOCK_TYPE_MASK, the type whatever flags come with it"}},
	"socketpair": {1: {sockTypeMask, "SOCK_TYPE_MASK, the type whatever flags come with it"}},
	"open":       {1: {linuxabi.O_ACCMODE, "O_ACCMODE with the flags the rule names"}},
	"openat":     {2: {linuxabi.O_ACCMODE, "O_ACCMODE with the flags the rule names"}},
}

func argumentFix(d seccomp.Deny, vs []Variant) string {
	var parts []string
	done := map[int]bool{}
	for _, v := range vs {
		i := v.Bypass.Arg
		if i < 0 || done[i] {
			continue
		}
		done[i] = true
		width := uint(64)
		kinds := map[string]bool{}
		for _, w := range vs {
			if w.Bypass.Arg == i {
				kinds[w.Kind] = true
				if w.Kind == "high-bits" && w.Bypass.Width < width {
					width = w.Bypass.Width
				}
			}
		}
		if d.Implicit {
			parts = append(parts, implicitArgFix(d, i, kinds))
			continue
		}
		parts = append(parts, denyArgFix(d, i, width, kinds))
	}
	if len(parts) == 0 {
		return "compare the bits that matter with SCMP_CMP_MASKED_EQ"
	}
	return strings.Join(parts, "; ")
}

// denyArgFix rewrites a deny rule's condition on argument i.
func denyArgFix(d seccomp.Deny, i int, width uint, kinds map[string]bool) string {
	r := d.Rules[0]
	var conds []specs.LinuxSeccompArg
	for _, c := range r.Args {
		if int(c.Index) == i {
			conds = append(conds, c)
		}
	}
	if kinds["value"] && len(kinds) == 1 {
		var vals []string
		for _, v := range []uint64{0} { // setns: nstype 0 takes any type
			vals = append(vals, fmt.Sprintf(`{"index": %d, "value": %d, "op": "SCMP_CMP_EQ"}`, i, v))
		}
		return fmt.Sprintf("refuse %s as well, in a rule of its own with the same action", strings.Join(vals, ", "))
	}
	if len(conds) != 1 || (conds[0].Op != specs.OpEqualTo && conds[0].Op != specs.OpMaskedEqual) {
		return fmt.Sprintf("write the condition on arg%d with SCMP_CMP_MASKED_EQ on the bits the kernel reads (the low %d), so that no other value of those bits asks for the same thing", i, min(width, 32))
	}
	c := conds[0]
	mask := ^uint64(0)
	want := c.Value
	if c.Op == specs.OpMaskedEqual {
		mask, want = c.Value, c.ValueTwo
	}
	why := "the bits that matter, whatever else is set"
	if kinds["flag"] {
		m, ok := fieldMask[d.Syscall][uint(i)]
		switch {
		case ok:
			mask, why = m.mask|want&^m.mask, m.name
			if d.Syscall == "socket" || d.Syscall == "socketpair" {
				mask = m.mask
			}
		case want != 0:
			mask = want
		default:
			return fmt.Sprintf("arg%d == 0 matches only the call without any flag: refuse the flag bits that matter, each with SCMP_CMP_MASKED_EQ (value and valueTwo the bit)", i)
		}
	}
	if width < 64 {
		mask &= 1<<width - 1
		if !kinds["flag"] {
			why = fmt.Sprintf("the low %d bits, all the kernel reads", width)
		}
	}
	old := fmt.Sprintf(`{"index": %d, "value": %d, "op": "SCMP_CMP_EQ"}`, i, c.Value)
	if c.Op == specs.OpMaskedEqual {
		old = fmt.Sprintf(`{"index": %d, "value": %d, "valueTwo": %d, "op": "SCMP_CMP_MASKED_EQ"}`, i, c.Value, c.ValueTwo)
	}
	return fmt.Sprintf(`replace %s with {"index": %d, "value": %d, "valueTwo": %d, "op": "SCMP_CMP_MASKED_EQ"} (%s)`, old, i, mask, want&mask, why)
}

// implicitArgFix rewrites the allow rules a refusal is the complement of.
func implicitArgFix(d seccomp.Deny, i int, kinds map[string]bool) string {
	switch {
	case kinds["high-bits"] && !kinds["flag"]:
		return fmt.Sprintf("the allow rules compare all 64 bits of arg%d, which the kernel reads as 32, with !=, < or >: a refused value with a high bit set matches them. Allow the values meant with == (conditions on one argument are ORed), so that a value with high bits set matches no allow rule and is refused", i)
	case kinds["flag"]:
		return fmt.Sprintf("the allow rules match a refused value of arg%d with a harmless flag added: allow what is meant with == or SCMP_CMP_MASKED_EQ on the bits the kernel reads as the request (a socket's type: SOCK_TYPE_MASK, 15), never with != or ranges", i)
	}
	return fmt.Sprintf("the allow rules match a value of arg%d that asks the kernel for what they leave out: allow what is meant with ==", i)
}

func abiFix(vs []Variant) string {
	var parts []string
	seen := map[string]bool{}
	for _, v := range vs {
		for _, a := range v.Bypass.Arches() {
			if a == "x86_64" || seen[v.Kind+a] {
				continue
			}
			seen[v.Kind+a] = true
			spec := specArch(mustArch(a))
			if v.Kind == "multiplexer" {
				mux := v.Bypass.Variant[0].Syscall
				parts = append(parts, fmt.Sprintf("remove %s from the architectures unless the workload runs i386 code (the kernel then refuses every i386 call), or refuse %s(2) as a whole: its calls' arguments sit behind a pointer no filter can read", spec, mux))
				continue
			}
			parts = append(parts, fmt.Sprintf("remove %s from the architectures unless the workload runs %s code (the kernel then refuses the whole ABI), or make the rule hold there: a rule's includes.arches must name every ABI the filter lets in, and a condition on a 64-bit value compares only its low 32 bits on %s", spec, a, a))
		}
	}
	return strings.Join(parts, "; ")
}

func mustArch(name string) seccomp.Arch {
	a, _ := seccomp.ArchByName(name)
	return a
}

// hidden are calls whose arguments no filter can read: the way to
// refuse them is ENOSYS, so that callers fall back to a call it can.
var hidden = map[string]string{"clone3": "clone", "openat2": "openat"}

// newMountAPI are the new mount API's calls (Linux 5.2).
var newMountAPI = []string{"fsopen", "fsconfig", "fsmount", "move_mount", "open_tree", "fspick", "mount_setattr"}

func siblingFix(p *seccomp.Profile, d seccomp.Deny, vs []Variant) string {
	var names []string
	uring := false
	for _, v := range vs {
		for _, c := range v.Bypass.Variant {
			switch {
			case strings.HasPrefix(c.Syscall, "io_uring_"):
				uring = true
			case !slices.Contains(names, c.Syscall):
				names = append(names, c.Syscall)
			}
		}
	}
	var parts []string
	var plain []string
	for _, n := range names {
		switch {
		case n == d.Syscall:
			parts = append(parts, fmt.Sprintf("refuse the other form of %s too: %s", n, firstOf(vs, n)))
		case hidden[n] != "":
			parts = append(parts, fmt.Sprintf(`refuse %s with "errnoRet": 38 (ENOSYS): its arguments sit in memory no filter reads, and callers fall back to %s, whose rules can be written`, n, hidden[n]))
		case n == "clone" && (d.Syscall == "unshare" || d.Syscall == "setns"):
			parts = append(parts, "refuse clone when it asks for a namespace: a rule per CLONE_NEW* flag with SCMP_CMP_MASKED_EQ (value and valueTwo the flag), or, under a refusing default, allow clone only when (flags & 0x7e020000) == 0, as Docker's profile does")
		case n == "unshare" && d.Syscall == "clone":
			parts = append(parts, "refuse unshare with the same namespace flags")
		case slices.Contains(newMountAPI, n):
			if api := "the new mount API (" + strings.Join(newMountAPI, ", ") + ")"; !slices.Contains(plain, api) {
				plain = append(plain, api)
			}
		default:
			plain = append(plain, n)
		}
	}
	if len(plain) > 0 {
		s := fmt.Sprintf("refuse %s too: add to this rule's names", strings.Join(plain, ", "))
		if !d.Implicit && len(d.Rules[0].Args) > 0 {
			s = fmt.Sprintf("refuse %s too, with the condition on the argument that carries the same value there", strings.Join(plain, ", "))
		}
		parts = append(parts, s)
	}
	if uring {
		parts = append(parts, "refuse io_uring_setup, io_uring_enter and io_uring_register: io_uring runs the operation from a queue entry no filter sees")
	}
	return strings.Join(parts, "; ")
}

func firstOf(vs []Variant, name string) string {
	for _, v := range vs {
		for _, c := range v.Bypass.Variant {
			if c.Syscall == name {
				return c.String()
			}
		}
	}
	return name
}
