package seccomp

import (
	"fmt"
	"math/bits"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Two rules on one syscall with different actions whose conditions can
// hold for the same call leave the profile without an answer for that
// call: the format does not say which rule wins, and the engine follows
// neither the profile's order nor the stricter action. libseccomp builds
// one decision tree per syscall, in which an unconditional rule replaces
// the conditional ones whatever their actions ("socket: ALLOW" beside
// "socket: ERRNO when arg0 == AF_PACKET" lets AF_PACKET sockets through),
// a condition on a higher argument is tested before one on a lower, and
// "== v" wins over a range that holds v. A deny written beside an
// overlapping rule may thus not hold, and nothing says so. rampart
// refuses such a profile (Parse), naming both rules and a call both
// match; a runtime's own default profile is modeled as the runtime
// enforces it, with a note (RuntimeDefault.Load). A rule whose action is
// the default's is left out: the engine drops it, and the other rules
// then decide.
//
// The check is made where the engine compares: on every ABI the filter
// covers, on the low 32 bits on x86 and x32 (two rules apart in the
// upper half overlap there), and, on x86, on socketcall(2) and ipc(2),
// where libseccomp puts each socket and SysV IPC rule too, with the
// condition on arg0 replaced by the call's number and the others left
// at their index.

// conflict is two rules that answer differently for a call both match.
type conflict struct {
	arch  Arch
	name  string
	a, b  Rule
	args  [6]uint64
	muxed bool // the call is the x86 multiplexer's, for name
}

// conflict returns the first pair of p's rules that answer differently
// for a call both match, nil when there is none.
func (p *Profile) conflict() *conflict {
	type conj struct {
		r    *Rule
		args []specs.LinuxSeccompArg
	}
	// the engine's rules: one per condition where runc ORs them
	rules := p.Rules()
	byName := make(map[string][]conj, len(rules))
	var names []string
	for i := range rules {
		r := &rules[i]
		if r.ByNumber {
			continue // one per syscall: finish refuses two that differ
		}
		if byName[r.Name] == nil {
			names = append(names, r.Name)
		}
		if r.ORed {
			for _, a := range r.Args {
				byName[r.Name] = append(byName[r.Name], conj{r, []specs.LinuxSeccompArg{a}})
			}
			continue
		}
		byName[r.Name] = append(byName[r.Name], conj{r, r.Args})
	}
	check := func(arch Arch, call string, cands []conj, fixed0 *uint64) *conflict {
		for j := range cands {
			for i := range cands[:j] {
				a, b := cands[i], cands[j]
				ra, rb := Ret(a.r.Action, a.r.ErrnoValue()), Ret(b.r.Action, b.r.ErrnoValue())
				if ra == rb {
					continue
				}
				args, ok := overlap(a.args, b.args, arch.Low32(), fixed0)
				if !ok {
					continue
				}
				return &conflict{arch, call, *a.r, *b.r, args, fixed0 != nil}
			}
		}
		return nil
	}
	for _, arch := range p.Platform().Arches {
		if !p.Covers(arch) {
			continue
		}
		for _, n := range names {
			if len(byName[n]) < 2 {
				continue // one rule cannot disagree with itself; asking the engine for the number costs a table walk
			}
			if _, err := SyscallNumber(n, arch); err != nil {
				continue // not a call of this ABI (x86's socket calls are checked below)
			}
			if c := check(arch, n, byName[n], nil); c != nil {
				return c
			}
		}
		if arch.Name != "x86" {
			continue
		}
		// socketcall(2) and ipc(2): each multiplexed call's rules, with
		// the multiplexer's own, at its call number
		for _, mux := range []string{"socketcall", "ipc"} {
			for _, n := range names {
				if multiplexer(n) != mux {
					continue
				}
				call := socketcallCalls[n]
				if mux == "ipc" {
					call = ipcCalls[n].call & 0xffff
				}
				var cands []conj
				for _, c := range byName[n] {
					var kept []specs.LinuxSeccompArg
					for _, a := range c.args {
						if a.Index != 0 {
							kept = append(kept, a)
						}
					}
					cands = append(cands, conj{c.r, kept})
				}
				cands = append(cands, byName[mux]...)
				if c := check(arch, n, cands, &call); c != nil {
					return c
				}
			}
		}
	}
	return nil
}

// conflictError is the refusal of a profile with c.
func (p *Profile) conflictError(c *conflict) error {
	e := &Error{File: p.Name, Field: fmt.Sprintf("syscalls[%d]", c.b.Index),
		Err: fmt.Errorf("the rules at %s and %s both match %s with different actions: %s; write their conditions so that they exclude each other",
			p.describeRule(c.a), p.describeRule(c.b), c.call(), c.how())}
	if l, _ := p.RulePos(c.b); l > 0 {
		e.Line, e.Col = l, 1
	}
	return e
}

// noteConflict notes the first conflict of a runtime's own default
// profile: the runtime enforces it as its engine builds it, and so does
// rampart, but what the rules say there is not what the filter does.
func (p *Profile) noteConflict(d *RuntimeDefault) {
	if c := p.conflict(); c != nil {
		p.Notes = append(p.Notes, fmt.Sprintf("%s: the rules at %s and %s both match %s with different actions: %s; the compiled filter, which %s enforces too, says which one holds (rampart seccomp explain)",
			d, p.describeRule(c.a), p.describeRule(c.b), c.call(), c.how(), d.Runtime))
	}
}

func (p *Profile) describeRule(r Rule) string {
	s := fmt.Sprintf("%s %s", r.Name, ActionString(r.Action, r.ErrnoValue()))
	if len(r.Args) > 0 {
		s += " when " + r.Conditions()
	}
	return fmt.Sprintf("%s (%s)", p.RuleSource(r), s)
}

func (c *conflict) call() string {
	if c.muxed {
		return fmt.Sprintf("x86 %s(%s) for %s", multiplexer(c.name), hexArgs(c.args), c.name)
	}
	return fmt.Sprintf("%s %s(%s)", c.arch.Name, c.name, hexArgs(c.args))
}

func (c *conflict) how() string {
	how := "the profile does not say which one wins, and libseccomp picks by the shape of the conditions, not by their order or the stricter action (an unconditional rule replaces conditional ones, a higher argument is tested first), so a deny among them may not hold"
	if c.muxed {
		mux := multiplexer(c.name)
		how = fmt.Sprintf("on x86 libseccomp puts %s's rules on %s(2) too, with the condition on arg0 replaced by the call's number; there %s", c.name, mux, how)
	}
	return how
}

func hexArgs(args [6]uint64) string {
	n := 3
	for i := 5; i >= 3; i-- {
		if args[i] != 0 {
			n = i + 1
			break
		}
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%#x", args[i])
	}
	return strings.Join(parts, ", ")
}

// overlap finds arguments both conjunctions hold for, comparing the low
// 32 bits when bits32 (as libseccomp does on x86 and x32); fixed0, when
// set, is arg0's value (a multiplexer's call number).
func overlap(a, b []specs.LinuxSeccompArg, bits32 bool, fixed0 *uint64) ([6]uint64, bool) {
	var args [6]uint64
	for i := range uint(6) {
		var conds []specs.LinuxSeccompArg
		for _, c := range append(append([]specs.LinuxSeccompArg(nil), a...), b...) {
			if c.Index == i {
				conds = append(conds, c)
			}
		}
		if i == 0 && fixed0 != nil {
			conds = append(conds, specs.LinuxSeccompArg{Index: 0, Value: *fixed0, Op: specs.OpEqualTo})
		}
		v, ok := solveArg(conds, bits32)
		if !ok {
			return args, false
		}
		args[i] = v
	}
	return args, true
}

// solveArg returns the least value that meets every condition (all on
// one argument), or false when none does. With bits32 the conditions
// and the value are the low 32 bits.
func solveArg(conds []specs.LinuxSeccompArg, bits32 bool) (uint64, bool) {
	dm := ^uint64(0)
	if bits32 {
		dm = 0xffffffff
	}
	lo, hi := uint64(0), dm
	var mask, want uint64 // x & mask == want
	var eq *uint64
	var ne []uint64
	for _, c := range conds {
		v, v2 := c.Value&dm, c.ValueTwo&dm
		switch c.Op {
		case specs.OpEqualTo:
			if eq != nil && *eq != v {
				return 0, false
			}
			eq = &v
		case specs.OpNotEqual:
			ne = append(ne, v)
		case specs.OpLessThan:
			if v == 0 {
				return 0, false
			}
			hi = min(hi, v-1)
		case specs.OpLessEqual:
			hi = min(hi, v)
		case specs.OpGreaterThan:
			if v == dm {
				return 0, false
			}
			lo = max(lo, v+1)
		case specs.OpGreaterEqual:
			lo = max(lo, v)
		case specs.OpMaskedEqual:
			if v2&^v != 0 || (want^v2)&mask&v != 0 {
				return 0, false // never holds, or contradicts another mask
			}
			mask, want = mask|v, want|v2
		default:
			return 0, false
		}
	}
	if lo > hi {
		return 0, false
	}
	if eq != nil {
		x := *eq
		for _, n := range ne {
			if x == n {
				return 0, false
			}
		}
		return x, x >= lo && x <= hi && x&mask == want
	}
	x, ok := nextMasked(lo, mask, want, dm)
	for ok {
		taken := false
		for _, n := range ne {
			taken = taken || x == n
		}
		if !taken {
			break
		}
		if x == dm {
			return 0, false
		}
		x, ok = nextMasked(x+1, mask, want, dm)
	}
	return x, ok && x <= hi
}

// nextMasked is the least x >= lo within dm with x & mask == want (want
// within mask). x is want plus y, a subset of the free bits (^mask): the
// least such y >= t = lo - want is t itself when t has no bit outside
// the free ones; otherwise it keeps t's bits above a position p, sets p
// and clears the rest, where p is the lowest free bit, clear in t, above
// t's highest bit outside the free ones.
func nextMasked(lo, mask, want, dm uint64) (uint64, bool) {
	if lo <= want {
		return want, true
	}
	free := ^mask & dm
	t := lo - want
	bad := t &^ free
	if bad == 0 {
		return want | t, true
	}
	above := ^(uint64(2)<<(bits.Len64(bad)-1) - 1) // the bits above the highest bad one
	cands := free &^ t & above
	if cands == 0 {
		return 0, false // past the top of the domain
	}
	p := cands & -cands
	y := t&^(p<<1-1) | p
	return want | y, true
}
