package seccomp

import (
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/internal/linuxabi"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// spotCheck runs prog, the program about to be loaded for p, on the
// syscalls p names (on the native ABI all of them, on the compat ABIs the
// filter covers those with a rule that can refuse), with no arguments,
// with arguments that satisfy each rule (each condition of an ORed one)
// and with values on both sides of each condition's bound or mask, on a
// few syscalls p does not name, past the last one it names, and on the
// ABIs it does not cover, and compares every answer with what p's rules
// say. It is how a program read from the cache is held to the profile it
// is cached for: a planted entry (an allow-all program under the right
// name) answers differently for the first syscall the profile denies. It
// also holds a freshly compiled program to the rules, so that a rule the
// engine did not install, or installed wrong, is found before the
// workload runs: libseccomp 2.5.4 builds programs that match values no
// rule holds for, or miss ones a deny holds for, where several
// conditions meet on one argument (a >= on a 64-bit value beside a < on
// the same argument traps values neither holds for), and ones that never
// load the syscall number.
//
// stub says whether prog starts with runc's ENOSYS stub, which answers
// ENOSYS under a refusing default past the highest syscall the profile
// names on an ABI (libseccomp's numbers: i386's socket calls have none).
//
// Cases whose answer depends on the engine's own choices are left out:
// conditions on the upper 32 bits on x86 and x32, and on x86 the
// socketcall(2) and ipc(2) families, which libseccomp places on the
// multiplexer as well (two rules that answer differently for one call
// are refused before: see conflict).
func spotCheck(p *Profile, prog []bpf.Insn, stub bool) error {
	run, err := bpf.Load(prog)
	if err != nil {
		return err
	}
	rules := p.Rules()
	order := make([]int32, len(rules))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return strings.Compare(rules[a].Name, rules[b].Name) })
	all := make([]Rule, len(rules))
	for i, o := range order {
		all[i] = rules[o]
	}
	var groups [][]Rule // the rules of one name each, in profile order
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].Name == all[i].Name {
			j++
		}
		groups = append(groups, all[i:j])
		i = j
	}
	named := func(name string) bool {
		_, ok := slices.BinarySearchFunc(groups, name, func(g []Rule, n string) int { return strings.Compare(g[0].Name, n) })
		return ok
	}
	def := p.defaultRet()
	enosys := Ret(specs.ActErrno, uint(linuxabi.ENOSYS))
	arches := filterArches(p)
	native := p.Platform().Native()
	var samples [][6]uint64
	for _, arch := range p.Platform().Arches {
		if !slices.Contains(arches, arch.spec) {
			// An ABI the filter does not cover is refused whole (the
			// engine's bad-architecture action): an i386 or x32 call must
			// not get through a filter written for x86_64 only.
			nr, err := SyscallNumber("getpid", arch)
			if err == nil {
				if got := run.Decide(bpf.Data{Nr: nr, Arch: arch.Audit}); permissive(got) {
					return fmt.Errorf("the program answers getpid on %s, an ABI the profile does not list, with %s", arch.Name, RetString(got))
				}
			}
			continue
		}
		// runc's stub answers past bound (runc leaves it out for an ABI
		// whose highest number is 0)
		bound := stubBound(p, arch)
		stubbed := func(nr int32) bool { return stub && !permissive(def) && bound > 0 && nr&^bpf.X32Bit > bound }
		for _, rules := range groups {
			name := rules[0].Name
			// On the compat ABIs only the rules that refuse something are
			// checked: a forged program that opens a call must flip one of
			// those (or the default, probed below), and looking up every
			// allowed name again costs a launch more than the rest.
			if arch != native && !slices.ContainsFunc(rules, refuses) {
				continue
			}
			nr, err := SyscallNumber(name, arch)
			if err != nil || nr < 0 {
				continue // not a syscall of this ABI, or a multiplexed one
			}
			// libseccomp compares 32 bits on x86 and on x32 too, although
			// the x32 kernel passes 64.
			if (arch.Bits32 && isMultiplexed(name)) || (arch.Low32() && slices.ContainsFunc(rules, highBits)) {
				continue
			}
			samples = append(samples[:0], [6]uint64{})
			for _, r := range rules {
				samples = ruleSamples(samples, r)
			}
			for _, args := range samples {
				want, ok := expect(rules, args, arch.Low32(), def)
				if !ok {
					continue
				}
				if !rules[0].ByNumber && stubbed(nr) {
					want = enosys // the stub comes before the engine's rules
				}
				if arch.Bits32 {
					for i := range args {
						args[i] &= 0xffffffff
					}
				}
				if got := run.Decide(bpf.Data{Nr: nr, Arch: arch.Audit, Args: args}); got != want {
					call := name
					if n := argCount(rules); n > 0 {
						call = fmt.Sprintf("%s(%#x)", name, args[:n])
					}
					return fmt.Errorf("the program answers %s on %s with %s where the profile says %s", call, arch.Name, RetString(got), RetString(want))
				}
			}
		}
		// The default action, on syscalls the profile does not name,
		// and, past the last one it names, runc's stub's ENOSYS (so that
		// libc falls back from a call newer than the profile) where the
		// default refuses; a permissive default answers itself.
		for _, name := range defaultProbes {
			if named(name) {
				continue
			}
			nr, err := SyscallNumber(name, arch)
			if err != nil || nr < 0 {
				continue
			}
			want, what := def, "the profile's default is"
			if stubbed(nr) {
				want, what = enosys, "past the last syscall the profile names, runc's stub answers"
			}
			if got := run.Decide(bpf.Data{Nr: nr, Arch: arch.Audit}); got != want {
				return fmt.Errorf("the program answers %s on %s with %s where %s %s", name, arch.Name, RetString(got), what, RetString(want))
			}
		}
		nr := int32(1000)
		if arch.X32 {
			nr |= bpf.X32Bit
		}
		want := def
		if stubbed(nr) {
			want = enosys
		}
		if got := run.Decide(bpf.Data{Nr: nr, Arch: arch.Audit}); got != want {
			return fmt.Errorf("the program answers syscall %d on %s, newer than the profile, with %s, not %s", nr&^bpf.X32Bit, arch.Name, RetString(got), RetString(want))
		}
	}
	// An architecture this machine does not run is refused too.
	if got := run.Decide(bpf.Data{Nr: 0, Arch: linuxabi.AUDIT_ARCH_AARCH64}); permissive(got) && !slices.Contains(arches, specs.ArchAARCH64) {
		return fmt.Errorf("the program answers an aarch64 call, an architecture the profile does not list, with %s", RetString(got))
	}
	return nil
}

// ruleSamples appends to samples argument vectors around r's
// conditions: ones that satisfy it (each condition alone where the
// engine ORs them), and, from there and from none, each condition's
// argument set to values on both sides of its bound, mask or upper half.
func ruleSamples(samples [][6]uint64, r Rule) [][6]uint64 {
	bases := [][6]uint64{{}}
	if a, ok := satisfying(r); ok {
		bases = append(bases, a)
	}
	if r.ORed {
		for _, c := range r.Args[1:] {
			if v, ok := solve(c); ok {
				var a [6]uint64
				a[c.Index] = v
				bases = append(bases, a)
			}
		}
	}
	add := func(a [6]uint64) {
		if !slices.Contains(samples, a) {
			samples = append(samples, a)
		}
	}
	for _, b := range bases {
		add(b)
	}
	for _, c := range r.Args {
		vals := []uint64{c.Value - 1, c.Value, c.Value + 1, c.Value | 1<<32, c.Value & 0xffffffff}
		if c.Op == specs.OpMaskedEqual {
			free := ^c.Value
			vals = append(vals, c.ValueTwo, c.ValueTwo^(c.Value&-c.Value), c.ValueTwo|free&-free)
		}
		for _, b := range bases {
			for _, v := range vals {
				b[c.Index] = v
				add(b)
			}
		}
	}
	return samples
}

// permissive says whether ret lets the call run (runc's ENOSYS stub
// counts TRACE as permissive too).
func permissive(ret uint32) bool {
	switch ret & 0xffff0000 {
	case bpf.RetAllow, bpf.RetLog, bpf.RetTrace:
		return true
	}
	return false
}

// stubBound is the highest number on arch of a syscall the resolved
// profile names, as runc's stub computes it: libseccomp's numbers, rules
// equal to the default included, 0 for none.
func stubBound(p *Profile, arch Arch) int32 {
	m := int32(0)
	for _, sc := range p.Spec.Syscalls {
		for _, n := range sc.Names {
			if nr, ok := engineNumber(n, arch); ok {
				m = max(m, nr&^bpf.X32Bit)
			}
		}
	}
	return m
}

// defaultProbes are syscalls of every x86 ABI, none of them multiplexed.
var defaultProbes = []string{"read", "write", "close", "getpid", "kill", "chdir", "mkdir",
	"ptrace", "reboot", "mount", "umount2", "unshare", "setns", "kexec_load",
	"init_module", "delete_module", "acct", "swapon", "bpf", "perf_event_open",
	"keyctl", "add_key", "pivot_root", "chroot", "personality", "userfaultfd"}

// refuses says whether a rule can refuse a call: a conditional rule or
// an action that does not let it run.
func refuses(r Rule) bool {
	return len(r.Args) > 0 || !permissive(Ret(r.Action, r.ErrnoValue()))
}

// highBits says whether a rule compares bits a 32-bit ABI does not have.
func highBits(r Rule) bool {
	for _, a := range r.Args {
		if a.Value>>32 != 0 || (a.Op == specs.OpMaskedEqual && a.ValueTwo>>32 != 0) {
			return true
		}
	}
	return false
}

// expect is what the rules answer for args: the one action of the rules
// that match, or the default when none does; ok is false when matching
// rules disagree.
func expect(rules []Rule, args [6]uint64, bits32 bool, def uint32) (uint32, bool) {
	want, matched := def, false
	for _, r := range rules {
		if !r.Matches(args, bits32) {
			continue
		}
		ret := Ret(r.Action, r.ErrnoValue())
		if matched && ret != want {
			return 0, false
		}
		want, matched = ret, true
	}
	return want, true
}

// satisfying finds arguments that meet the rule's conditions.
func satisfying(r Rule) ([6]uint64, bool) {
	var args [6]uint64
	if len(r.Args) == 0 {
		return args, false // the zero sample covers it
	}
	conds := r.Args
	if r.ORed {
		conds = conds[:1] // any one condition matches
	}
	for _, c := range conds {
		v, ok := solve(c)
		if !ok {
			return args, false
		}
		args[c.Index] = v
	}
	return args, r.Matches(args, false)
}

func solve(c specs.LinuxSeccompArg) (uint64, bool) {
	v := c.Value
	switch c.Op {
	case specs.OpEqualTo, specs.OpLessEqual, specs.OpGreaterEqual:
		return v, true
	case specs.OpNotEqual:
		return v ^ 1, true
	case specs.OpLessThan:
		return v - 1, v > 0
	case specs.OpGreaterThan:
		return v + 1, v < ^uint64(0)
	case specs.OpMaskedEqual:
		return c.ValueTwo, c.ValueTwo&^v == 0
	}
	return 0, false
}

// argCount is how many arguments the rules look at, for messages.
func argCount(rules []Rule) int {
	n := 0
	for _, r := range rules {
		for _, a := range r.Args {
			n = max(n, int(a.Index)+1)
		}
	}
	return n
}
