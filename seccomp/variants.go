package seccomp

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/internal/linuxabi"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// A profile's refusal holds only if the filter also refuses every other
// way of asking the kernel for the same thing. An attacker picks the way
// that gets through: the same call on another ABI the filter lets in
// (x86_64, x32, i386 through INT $0x80 from a 64-bit binary), i386's
// socketcall(2) and ipc(2) multiplexers, a harmless flag OR-ed into an
// argument a rule compares with ==, high bits the kernel drops from an
// int argument the filter compares whole, or a sibling syscall that
// reaches the same kernel operation. Bypasses tries each of them for each
// refusal and lets the compiled filter, run by the interpreter, decide:
// nothing is guessed from names.

// Deny is one thing a profile refuses: a deny rule, or what a refusing
// default action leaves outside a syscall's conditional allow rules
// (RuntimeDefault's socket families, clone's namespace flags).
type Deny struct {
	Syscall string
	// Rules is the deny rule, or, when Implicit, the allow rules the
	// refusal is the complement of.
	Rules    []Rule
	Implicit bool
	// Action is the profile's answer: the rule's, or the default action.
	Action string
	// Source says where the rule is: "file:line" for a JSON profile,
	// "NAME syscalls[i]" otherwise (the resolved profile's index, as
	// `rampart seccomp show` prints it).
	Source string
}

// Condition prints what the deny covers: "arg1 == 0x3", or for an
// implicit deny the allow rules it is outside of.
func (d Deny) Condition() string {
	if !d.Implicit {
		return d.Rules[0].Conditions()
	}
	var parts []string
	for i, r := range d.Rules {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("... %d more", len(d.Rules)-i))
			break
		}
		parts = append(parts, r.Conditions())
	}
	return "outside " + strings.Join(parts, " || ")
}

// Describe names the deny: "socket SCMP_ACT_ERRNO(EPERM) when arg1 ==
// 0x3", or "socket SCMP_ACT_ERRNO(EPERM) outside its 30 allow rules".
func (d Deny) Describe() string {
	if !d.Implicit && len(d.Rules[0].Args) == 0 {
		return d.Syscall + " " + d.Action
	}
	if !d.Implicit {
		return fmt.Sprintf("%s %s when %s", d.Syscall, d.Action, d.Rules[0].Conditions())
	}
	if len(d.Rules) == 1 {
		return fmt.Sprintf("%s %s unless %s", d.Syscall, d.Action, d.Rules[0].Conditions())
	}
	return fmt.Sprintf("%s %s outside its %d allow rules", d.Syscall, d.Action, len(d.Rules))
}

// Call is one system call as an ABI makes it.
type Call struct {
	Arch    string
	Syscall string
	Nr      int32
	Args    [6]uint64
	// Hidden says why the filter cannot see the real arguments (they sit
	// in memory); empty when it sees them in Args.
	Hidden string
}

func (c Call) String() string {
	if c.Syscall == "socketcall" && c.Hidden != "" {
		return fmt.Sprintf("%s socketcall(%d, &args)", c.Arch, c.Args[0])
	}
	n := 3
	for i := 5; i >= 3; i-- {
		if c.Args[i] != 0 {
			n = i + 1
			break
		}
	}
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%#x", c.Args[i])
	}
	return fmt.Sprintf("%s %s(%s)", c.Arch, c.Syscall, strings.Join(parts, ", "))
}

// Bypass is a deny that another form of the same request gets past.
type Bypass struct {
	Deny Deny
	// Refused is the call the deny refuses that the variant stands for.
	Refused Call
	// Variant is the calls that get through instead (several for a
	// route of several steps, such as the new mount API).
	Variant []Call
	// Kind is abi, multiplexer, flag, value, high-bits, sibling or
	// io_uring, or fallback (Fallbacks).
	Kind string
	Why  string
	// Action is the filter's answer to the variant's first call.
	Action string
	// Others counts further refused calls of the same deny that the same
	// form of variant gets past.
	Others int
	// Arg is the argument a flag, value or high-bits variant changes, -1
	// for the other kinds; Width is, for high-bits, how many of its bits
	// the kernel reads.
	Arg   int
	Width uint
}

// Arches are the ABIs the variant's calls use.
func (b Bypass) Arches() []string {
	var out []string
	for _, c := range b.Variant {
		if !contains(out, c.Arch) {
			out = append(out, c.Arch)
		}
	}
	return out
}

func (b Bypass) String() string {
	calls := make([]string, len(b.Variant))
	for i, c := range b.Variant {
		calls[i] = c.String()
	}
	s := fmt.Sprintf("%s gets %s where %s gets %s: %s", strings.Join(calls, " + "), b.Action, b.Refused, b.Deny.Action, b.Why)
	if b.Others > 0 {
		s += fmt.Sprintf(" (and for %d more refused calls)", b.Others)
	}
	return s
}

// ErrNoProgram is Bypasses' answer without a compiled program.
var ErrNoProgram = errors.New("no compiled program to decide with (reading a filter back needs root)")

// Bypasses returns, for each deny of p, the variants of a refused call
// that prog, p's compiled filter, lets through, in the order of p's
// rules. It needs the compiled program: the filter decides, not the
// rules, since the engine adds and drops rules of its own (socketcall
// is one).
func Bypasses(p *Profile, prog []bpf.Insn) ([]Bypass, error) {
	if len(prog) == 0 {
		return nil, ErrNoProgram
	}
	a := &analysis{p: p, prog: prog, nrs: map[string]nrResult{}}
	var out []Bypass
	for _, d := range a.denies() {
		found, err := a.bypassesOf(d)
		if err != nil {
			return nil, err
		}
		sort.SliceStable(found, func(i, j int) bool { return kindRank[found[i].Kind] < kindRank[found[j].Kind] })
		out = append(out, found...)
	}
	return out, nil
}

// Fallbacks returns, for each deny rule of p that answers ENOSYS, the
// sibling calls that prog lets through, as Bypasses finds them, with Kind
// "fallback". Bypasses leaves them out: ENOSYS is how a profile tells
// libc a call is not implemented so that it falls back to a sibling
// (clone3 to clone), and the sibling's own rules then decide. But where
// the refused call has a sibling that does the same thing and the
// profile allows it, the refusal stops nobody: an attacker, and libc
// itself, take the sibling. Calls whose arguments a filter cannot read
// (clone3, openat2) are left out, as in Bypasses: refusing those is how a
// profile sends callers to a sibling it can filter.
func Fallbacks(p *Profile, prog []bpf.Insn) ([]Bypass, error) {
	if len(prog) == 0 {
		return nil, ErrNoProgram
	}
	a := &analysis{p: p, prog: prog, nrs: map[string]nrResult{}, fallbacks: true}
	var out []Bypass
	for _, d := range a.denies() {
		if !a.enosys(d) || hiddenArgs[d.Syscall] {
			continue
		}
		found, err := a.bypassesOf(d)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// bypassesOf are the variants of d that prog lets through, from every
// witness of the rule, each once: the same bypass found from another
// witness counts in Others.
func (a *analysis) bypassesOf(d Deny) ([]Bypass, error) {
	var found []Bypass
	seen := map[string]int{}
	for _, w := range a.witnesses(d) {
		bs, err := a.variants(d, w)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			if i, ok := seen[b.key()]; ok {
				found[i].Others++
				continue
			}
			seen[b.key()] = len(found)
			found = append(found, b)
		}
	}
	return found, nil
}

// enosys says whether d is a deny rule that answers ENOSYS.
func (a *analysis) enosys(d Deny) bool {
	return !d.Implicit && d.Rules[0].Action == specs.ActErrno && d.Rules[0].ErrnoValue() == uint(linuxabi.ENOSYS)
}

// kindRank orders a deny's bypasses: the plainest first.
var kindRank = map[string]int{"flag": 0, "value": 1, "high-bits": 2, "abi": 3, "multiplexer": 4, "sibling": 5, "io_uring": 6, "fallback": 7}

// key identifies a form of variant, whatever refused call it stands for.
func (b Bypass) key() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s|%s|%s", b.Deny.Source, b.Deny.Syscall, b.Kind)
	for _, c := range b.Variant {
		fmt.Fprintf(&sb, "|%s %s", c.Arch, c.Syscall)
	}
	if b.Kind == "flag" || b.Kind == "value" || b.Kind == "high-bits" {
		sb.WriteString("|" + b.Why)
	}
	return sb.String()
}

type analysis struct {
	p    *Profile
	prog []bpf.Insn
	// loaded is prog validated once for the thousands of inputs an
	// analysis decides (loadErr: why it is not a program)
	loaded  *bpf.Program
	loadErr error
	nrs     map[string]nrResult // SyscallNumber's answers: a cgo call each
	// denyRules are the profile's deny rules by syscall
	denyRules map[string][]Rule
	// fallbacks: only the sibling routes of a deny, as kind "fallback"
	// (Fallbacks)
	fallbacks bool
}

type nrResult struct {
	nr  int32
	err error
}

func (a *analysis) number(name string, arch Arch) (int32, error) {
	k := arch.Name + " " + name
	r, ok := a.nrs[k]
	if !ok {
		r.nr, r.err = SyscallNumber(name, arch)
		a.nrs[k] = r
	}
	return r.nr, r.err
}

// home is the native ABI Routes reads the sibling table for; an analysis
// starts from its profile's platform's (analysis.home).
var home = Arches[0]

// home is the profile's native ABI: the calls a deny is written against.
func (a *analysis) home() Arch { return a.p.Platform().Native() }

// compat are the profile's platform's other ABIs.
func (a *analysis) compat() []Arch { return a.p.Platform().Arches[1:] }

func passes(ret uint32) bool {
	act, _ := bpf.Action(ret)
	return act == bpf.RetAllow || act == bpf.RetLog
}

func allows(act specs.LinuxSeccompAction) bool {
	return act == specs.ActAllow || act == specs.ActLog
}

func (a *analysis) run(arch Arch, nr int32, args [6]uint64) (uint32, error) {
	if a.loaded == nil && a.loadErr == nil {
		a.loaded, a.loadErr = bpf.Load(a.prog)
	}
	if a.loadErr != nil {
		return 0, a.loadErr
	}
	return a.loaded.Decide(bpf.Data{Nr: nr, Arch: arch.Audit, Args: args}), nil
}

// denies lists the profile's refusals: its deny rules, then, under a
// refusing default action, each syscall's conditional allow rules.
func (a *analysis) denies() []Deny {
	p := a.p
	var out []Deny
	source := p.RuleSource
	rules := p.Rules()
	a.denyRules = map[string][]Rule{}
	for _, r := range rules {
		if !allows(r.Action) {
			out = append(out, Deny{Syscall: r.Name, Rules: []Rule{r},
				Action: ActionString(r.Action, r.ErrnoValue()), Source: source(r)})
			a.denyRules[r.Name] = append(a.denyRules[r.Name], r)
		}
	}
	if allows(p.Spec.DefaultAction) {
		return out
	}
	byName := map[string][]Rule{}
	var order []string
	open := map[string]bool{}
	for _, r := range rules {
		if !allows(r.Action) {
			continue
		}
		if len(r.Args) == 0 {
			open[r.Name] = true // allowed whatever the arguments
			continue
		}
		if byName[r.Name] == nil {
			order = append(order, r.Name)
		}
		byName[r.Name] = append(byName[r.Name], r)
	}
	for _, n := range order {
		if open[n] {
			continue
		}
		rs := byName[n]
		out = append(out, Deny{Syscall: n, Rules: rs, Implicit: true,
			Action: p.defaultAction(), Source: source(rs[0])})
	}
	return out
}

// refuses says whether d covers args on x86_64 by the rules, and the
// filter refuses the call.
func (a *analysis) refuses(d Deny, args [6]uint64) (bool, error) {
	matched := false
	for _, r := range d.Rules {
		if r.Matches(args, false) {
			matched = true
			break
		}
	}
	if matched == d.Implicit {
		return false, nil
	}
	if d.Implicit {
		// a deny rule of the syscall that covers the call is the deny
		// to report it under
		for _, r := range a.denyRules[d.Syscall] {
			if r.Matches(args, false) {
				return false, nil
			}
		}
	}
	nr, err := a.number(d.Syscall, a.home())
	if err != nil {
		return false, nil // not a native call: nothing to start from
	}
	ret, err := a.run(a.home(), nr, args)
	return err == nil && !passes(ret), err
}

// witnesses are x86_64 argument vectors d refuses: for a deny rule, one
// that satisfies its conditions (one per condition when the engine ORs
// them); for an implicit deny, values around the allow rules' constants
// that none of them allows. Arguments the kernel reads narrower than 64
// bits are taken as the kernel reads them.
func (a *analysis) witnesses(d Deny) [][6]uint64 {
	var cands [][6]uint64
	if !d.Implicit {
		r := d.Rules[0]
		if r.ORed {
			for _, c := range r.Args {
				if w, ok := satisfy([]specs.LinuxSeccompArg{c}); ok {
					cands = append(cands, w)
				}
			}
		} else if w, ok := satisfy(r.Args); ok {
			cands = append(cands, w)
		}
	} else {
		// The refused region can need several arguments at once (CRI-O
		// refuses socket(AF_NETLINK, _, NETLINK_AUDIT) as the complement
		// of two allow rules): combine the values of every argument.
		vals := map[int][]uint64{}
		for _, r := range d.Rules {
			for _, c := range r.Args {
				i := int(c.Index)
				if vals[i] == nil {
					vals[i] = []uint64{0}
				}
				if c.Op == specs.OpMaskedEqual {
					vals[i] = append(vals[i], c.ValueTwo)
					for m := c.Value &^ c.ValueTwo; m != 0; m &= m - 1 {
						vals[i] = append(vals[i], c.ValueTwo|m&-m)
					}
				} else {
					vals[i] = append(vals[i], c.Value, c.Value+1, c.Value-1)
				}
			}
		}
		cands = [][6]uint64{{}}
		for i := 0; i < 6; i++ {
			if vals[i] == nil || len(cands)*len(vals[i]) > 1<<14 {
				continue
			}
			var next [][6]uint64
			for _, w := range cands {
				for _, v := range vals[i] {
					w[i] = v
					next = append(next, w)
				}
			}
			cands = next
		}
	}
	var out [][6]uint64
	seen := map[[6]uint64]bool{}
	for _, w := range cands {
		for i, width := range narrowArgs()[d.Syscall] {
			w[i] &= 1<<width - 1
		}
		if seen[w] {
			continue
		}
		seen[w] = true
		if ok, _ := a.refuses(d, w); ok {
			out = append(out, w)
		}
	}
	return out
}

// satisfy returns arguments that meet every condition.
func satisfy(conds []specs.LinuxSeccompArg) ([6]uint64, bool) {
	var w [6]uint64
	for _, c := range conds {
		switch c.Op {
		case specs.OpEqualTo, specs.OpLessEqual, specs.OpGreaterEqual:
			w[c.Index] = c.Value
		case specs.OpMaskedEqual:
			if c.ValueTwo&^c.Value != 0 {
				return w, false // can never match
			}
			w[c.Index] = c.ValueTwo
		case specs.OpNotEqual:
			w[c.Index] = c.Value ^ 1
		case specs.OpLessThan:
			if c.Value == 0 {
				return w, false
			}
			w[c.Index] = c.Value - 1
		case specs.OpGreaterThan:
			if c.Value == ^uint64(0) {
				return w, false
			}
			w[c.Index] = c.Value + 1
		}
	}
	for _, c := range conds {
		if !condition(c, w[c.Index], false) {
			return w, false // contradictory conditions
		}
	}
	return w, true
}

// conditioned says whether d's rules test argument i.
func (d Deny) conditioned(i int) bool {
	for _, r := range d.Rules {
		for _, c := range r.Args {
			if int(c.Index) == i {
				return true
			}
		}
	}
	return false
}

// hiddenArgs are calls whose arguments a filter cannot read: a profile
// refuses them to send callers to a sibling it can filter, so their
// siblings are no way around the refusal.
var hiddenArgs = map[string]bool{"clone3": true, "openat2": true, "socketcall": true, "io_uring_enter": true}

// call places name(args) on arch: its number, or on i386 the
// multiplexer that carries it, with the arguments the filter sees.
func (a *analysis) call(arch Arch, name string, args [6]uint64) (Call, bool) {
	if arch.Bits32 {
		for i := range args {
			args[i] &= 0xffffffff
		}
	}
	c := Call{Arch: arch.Name, Syscall: name, Args: args}
	if why, ok := i386Hidden[name]; ok && arch.Name == "x86" {
		c.Args, c.Hidden = [6]uint64{muxPointer}, why
	}
	nr, err := a.number(name, arch)
	if err != nil {
		m := multiplexer(name)
		if m == "" || arch.Name != "x86" {
			return c, false
		}
		if nr, err = a.number(m, arch); err != nil {
			return c, false
		}
		c.Syscall, c.Args = m, multiplexed(name, args)
		if m == "socketcall" {
			c.Hidden = "socketcall's arguments sit behind a pointer"
		}
	}
	c.Nr = nr
	return c, true
}

func (a *analysis) decide(c Call) (uint32, error) {
	arch, _ := ArchByName(c.Arch)
	return a.run(arch, c.Nr, c.Args)
}

// variants tries every other form of d's refused call w.
func (a *analysis) variants(d Deny, w [6]uint64) ([]Bypass, error) {
	refused, _ := a.call(a.home(), d.Syscall, w)
	var out []Bypass
	try := func(kind, why string, from Call, calls ...Call) error {
		var first uint32
		for i, c := range calls {
			ret, err := a.decide(c)
			if err != nil {
				return err
			}
			if !passes(ret) {
				return nil
			}
			if i == 0 {
				first = ret
			}
		}
		out = append(out, Bypass{Deny: d, Refused: from, Variant: calls, Kind: kind, Why: why, Action: RetString(first), Arg: -1})
		return nil
	}
	if a.fallbacks {
		err := a.siblingRoutes(d, w, refused, func(_, why string, from Call, calls ...Call) error {
			return try("fallback", why, from, calls...)
		})
		return out, err
	}
	// The same call on each ABI, and i386's multiplexers.
	for _, arch := range a.compat() {
		c, ok := a.call(arch, d.Syscall, w)
		if !ok {
			continue
		}
		kind, why := "abi", fmt.Sprintf("the same call on %s", arch.Name)
		if c.Syscall != d.Syscall {
			kind, why = "multiplexer", fmt.Sprintf("i386 makes %s through %s(2)", d.Syscall, c.Syscall)
		} else if c.Hidden != "" {
			why = c.Hidden
		}
		if err := try(kind, why, refused, c); err != nil {
			return nil, err
		}
		if m := multiplexer(d.Syscall); m != "" && arch.Name == "x86" && c.Syscall == d.Syscall {
			sc, _ := a.number(m, arch)
			mc := Call{Arch: arch.Name, Syscall: m, Nr: sc, Args: multiplexed(d.Syscall, c.Args)}
			if m == "socketcall" {
				mc.Hidden = "socketcall's arguments sit behind a pointer"
			}
			if err := try("multiplexer", fmt.Sprintf("i386 also makes %s through %s(2)", d.Syscall, m), refused, mc); err != nil {
				return nil, err
			}
		}
	}
	// The same call with an argument changed the kernel does not mind,
	// on every ABI that has it.
	type change struct {
		kind, why string
		args      [6]uint64
		arches    []Arch
		arg       int
		width     uint
	}
	var changes []change
	for i := 0; i < 6; i++ {
		if !d.conditioned(i) {
			continue
		}
		for _, f := range flagArgs()[d.Syscall][i] {
			if w[i]&f.bit != 0 || w[i]&f.clear != 0 {
				continue
			}
			x := w
			x[i] |= f.bit
			changes = append(changes, change{"flag", fmt.Sprintf("%s added to arg%d: the kernel does the same", f.name, i), x, a.p.Platform().Arches, i, 0})
		}
		if e, ok := equivalents()[d.Syscall][i]; ok && w[i] != e.value {
			x := w
			x[i] = e.value
			changes = append(changes, change{"value", fmt.Sprintf("arg%d %#x: %s", i, e.value, e.why), x, a.p.Platform().Arches, i, 0})
		}
		if width, ok := narrowArgs()[d.Syscall][i]; ok {
			// the 64-bit ABIs read the argument narrower; a 16-bit
			// argument drops bit 16 on the 32-bit ones too
			var arches []Arch
			for _, arch := range a.p.Platform().Arches {
				if !arch.Bits32 || width < 32 {
					arches = append(arches, arch)
				}
			}
			x := w
			x[i] |= 1 << width
			changes = append(changes, change{"high-bits", fmt.Sprintf("bit %d set in arg%d, which the kernel reads as %d bits", width, i, width), x, arches, i, width})
		}
		// INT $0x80 from 64-bit code shows the filter whole 64-bit
		// registers; the i386 kernel reads their low halves. (An
		// AArch32 process has 32-bit registers: nothing to set.)
		if slices.Contains(a.p.Platform().Arches, archX86) {
			x := w
			x[i] |= 1 << 32
			changes = append(changes, change{"high-bits", fmt.Sprintf("bit 32 set in arg%d, which i386 reads as 32 bits", i), x, []Arch{archX86}, i, 32})
		}
	}
	for _, ch := range changes {
		for _, arch := range ch.arches {
			c, ok := a.call(arch, d.Syscall, ch.args)
			if !ok || c.Hidden != "" {
				continue
			}
			if arch.Bits32 {
				c.Args = ch.args // the registers as loaded, before the kernel truncates
			}
			n := len(out)
			if err := try(ch.kind, ch.why, refused, c); err != nil {
				return nil, err
			}
			if len(out) > n {
				out[n].Arg, out[n].Width = ch.arg, ch.width
			}
		}
	}
	// Sibling calls that reach the same operation.
	if hiddenArgs[d.Syscall] || a.enosys(d) {
		// ENOSYS is how a profile tells libc to fall back to a sibling
		// (see Fallbacks)
		return out, nil
	}
	err := a.siblingRoutes(d, w, refused, try)
	return out, err
}

// siblingRoutes tries each sibling route of d's refused call w with try.
func (a *analysis) siblingRoutes(d Deny, w [6]uint64, refused Call, try func(kind, why string, from Call, calls ...Call) error) error {
	for _, rt := range siblings()[d.Syscall] {
		x := w
		for _, c := range rt.when {
			x = c.apply(x)
		}
		from := refused
		if x != w {
			// the route does the same thing only for these arguments:
			// is that call refused too?
			ok, err := a.refuses(d, x)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			from, _ = a.call(a.home(), d.Syscall, x)
		}
		for _, arch := range a.p.Platform().Arches {
			// a route the table writes for i386 (its 32-bit-id
			// calls, mmap2, stime) is one for every 32-bit ABI that has
			// the calls: the number lookup below decides
			if rt.arches != nil && !contains(rt.arches, arch.Name) && !(arch.Bits32 && contains(rt.arches, "x86")) {
				continue
			}
			why := rt.why
			if arch.Name != "x86" {
				why = strings.Replace(why, "i386 ", arch.Name+" ", 1)
			}
			var calls []Call
			for _, s := range rt.steps {
				var args [6]uint64
				hidden := ""
				for i, f := range s.args {
					switch f.kind {
					case argWitness:
						args[i] = x[f.index]
					case argValue:
						args[i] = f.value
					case argMasked:
						args[i] = x[f.index] & f.value
					case argPointer:
						args[i] = muxPointer
						hidden = "its real arguments sit in memory"
					}
				}
				c, ok := a.call(arch, s.name, args)
				if !ok {
					calls = nil
					break
				}
				if c.Hidden == "" {
					c.Hidden = hidden
				}
				calls = append(calls, c)
			}
			if calls == nil {
				continue
			}
			if err := try(rt.kind, why, from, calls...); err != nil {
				return err
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Siblings lists the other syscalls that reach the kernel operation name
// reaches (the sibling and io_uring routes Bypasses tries), each once, in
// the table's order: the calls a rule on name must be read together with.
func Siblings(name string) []string {
	var out []string
	for _, rt := range siblings()[name] {
		for _, s := range rt.steps {
			if s.name != name && !contains(out, s.name) {
				out = append(out, s.name)
			}
		}
	}
	return out
}

// Route is another way to what a call asks the kernel for, as the
// sibling table knows it (the sibling and io_uring routes Bypasses
// tries), on x86_64: calls that must all get through a filter. The
// probe catalog models its paths' variants with it, so that the probe,
// audit and Bypasses name the same ways around a refusal.
type Route struct {
	// Kind is sibling or io_uring.
	Kind string
	// Op is an io_uring route's operation ("openat", "socket").
	Op  string
	Why string
	// Calls are the route's steps with the arguments a filter sees.
	Calls []RouteCall
}

// RouteCall is one step of a Route.
type RouteCall struct {
	Name string
	Args [6]uint64
	// Hidden: the call's real arguments sit in memory, where no filter
	// reads them (Args holds a stand-in address there).
	Hidden bool
}

// Routes lists the routes to name(args) on x86_64 whose conditions args
// meet, in the table's order: what an attacker calls instead when a
// filter refuses name(args).
func Routes(name string, args [6]uint64) []Route {
	var out []Route
	for _, rt := range siblings()[name] {
		if rt.arches != nil && !contains(rt.arches, home.Name) {
			continue
		}
		holds := true
		for _, c := range rt.when {
			holds = holds && c.holds(args)
		}
		if !holds {
			continue
		}
		r := Route{Kind: rt.kind, Op: rt.op, Why: rt.why}
		for _, s := range rt.steps {
			c := RouteCall{Name: s.name}
			for i, f := range s.args {
				switch f.kind {
				case argWitness:
					c.Args[i] = args[f.index]
				case argValue:
					c.Args[i] = f.value
				case argMasked:
					c.Args[i] = args[f.index] & f.value
				case argPointer:
					c.Args[i], c.Hidden = muxPointer, true
				}
			}
			r.Calls = append(r.Calls, c)
		}
		out = append(out, r)
	}
	return out
}

// ArgWidth is how many bits of argument i of name the kernel reads on
// x86_64 (an int is 32): a rule comparing all 64 bits with == misses the
// same value with a bit above them set, which the kernel drops. 64 when
// the kernel reads the whole register.
func ArgWidth(name string, i int) uint {
	if w, ok := narrowArgs()[name][i]; ok {
		return w
	}
	return 64
}
