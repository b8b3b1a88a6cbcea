package seccomp

import (
	"fmt"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// Rule is one syscall's rule as the engine installs it: the profile's
// syscalls[] entries expanded per name. The engine (runc) skips rules
// whose action equals the default, and a rule with several conditions on
// the same argument becomes one rule per condition: they are ORed, not
// ANDed — a trap for profile authors that Conditions records.
type Rule struct {
	// Index is the entry in the resolved profile's syscalls[].
	Index  int
	Name   string
	Action specs.LinuxSeccompAction
	Errno  *uint
	Args   []specs.LinuxSeccompArg
	// ORed is true when conditions share an argument and the engine
	// therefore matches any one of them.
	ORed bool
	// ByNumber is true for a rule on a syscall the linked libseccomp
	// does not know, which rampart installs by number.
	ByNumber bool
}

// Rules expands the resolved profile per syscall name, in profile order,
// without the rules the engine drops; the rules rampart installs by
// number (Profile.ByNumber) come first, as their program does.
func (p *Profile) Rules() []Rule {
	n := len(p.ByNumber)
	for _, sc := range p.Spec.Syscalls {
		n += len(sc.Names)
	}
	out := make([]Rule, 0, n)
	for _, r := range p.ByNumber {
		out = append(out, Rule{Index: r.Index, Name: r.Name, Action: r.Action, Errno: r.Errno, ByNumber: true})
	}
	def := p.defaultRet()
	for i, sc := range p.Spec.Syscalls {
		// runc compares the libseccomp actions: KILL is KILL_THREAD, and
		// a rule's errno is its own (EPERM when not given), never the
		// default's.
		if Ret(sc.Action, ruleErrno(sc.ErrnoRet, sc.Action)) == def {
			continue
		}
		ored := false
		for j, a := range sc.Args {
			for _, b := range sc.Args[:j] {
				ored = ored || a.Index == b.Index
			}
		}
		for _, n := range sc.Names {
			out = append(out, Rule{Index: i, Name: n, Action: sc.Action, Errno: sc.ErrnoRet, Args: sc.Args, ORed: ored})
		}
	}
	return out
}

// defaultRet is what the filter returns when no rule matches.
func (p *Profile) defaultRet() uint32 {
	return Ret(p.Spec.DefaultAction, errnoOf(p.Spec.DefaultErrnoRet, p.Spec.DefaultAction))
}

// ErrnoValue is the errno the rule's action returns (ERRNO, TRACE): its
// errnoRet, or EPERM when it has none, as the engine installs it.
func (r Rule) ErrnoValue() uint { return ruleErrno(r.Errno, r.Action) }

// ruleErrno is the errno the engine gives a rule: its own errnoRet, else
// EPERM (runc does not fall back to defaultErrnoRet for rules).
func ruleErrno(e *uint, act specs.LinuxSeccompAction) uint {
	return errnoOf(e, act)
}

func errnoOf(e *uint, act specs.LinuxSeccompAction) uint {
	if act != specs.ActErrno && act != specs.ActTrace {
		return 0
	}
	if e != nil {
		return *e
	}
	return 1 // EPERM: the engine's default errno
}

// defaultAction names the profile's default action as ActionString does.
func (p *Profile) defaultAction() string {
	return ActionString(p.Spec.DefaultAction, errnoOf(p.Spec.DefaultErrnoRet, p.Spec.DefaultAction))
}

// Matches reports whether args satisfy the rule's conditions. On a 32-bit
// ABI the filter sees only the low 32 bits of each argument.
func (r Rule) Matches(args [6]uint64, bits32 bool) bool {
	if len(r.Args) == 0 {
		return true
	}
	for _, a := range r.Args {
		ok := condition(a, args[a.Index], bits32)
		if r.ORed && ok {
			return true
		}
		if !r.ORed && !ok {
			return false
		}
	}
	return !r.ORed
}

func condition(a specs.LinuxSeccompArg, v uint64, bits32 bool) bool {
	val, two := a.Value, a.ValueTwo
	if bits32 {
		v, val, two = v&0xffffffff, val&0xffffffff, two&0xffffffff
	}
	switch a.Op {
	case specs.OpEqualTo:
		return v == val
	case specs.OpNotEqual:
		return v != val
	case specs.OpLessThan:
		return v < val
	case specs.OpLessEqual:
		return v <= val
	case specs.OpGreaterThan:
		return v > val
	case specs.OpGreaterEqual:
		return v >= val
	case specs.OpMaskedEqual:
		// OCI: value is the mask, valueTwo the expected result.
		return v&val == two
	}
	return false
}

// ActionString prints an action with its errno: SCMP_ACT_ERRNO(EPERM).
func ActionString(act specs.LinuxSeccompAction, errno uint) string {
	if act == specs.ActErrno || act == specs.ActTrace {
		return fmt.Sprintf("%s(%s)", act, errnoName(errno))
	}
	return string(act)
}

// Conditions prints a rule's conditions: "arg0 & 0x7e020000 == 0".
func (r Rule) Conditions() string {
	if len(r.Args) == 0 {
		return "any arguments"
	}
	var parts []string
	for _, a := range r.Args {
		parts = append(parts, ConditionString(a))
	}
	sep := " && "
	if r.ORed {
		sep = " || "
	}
	return strings.Join(parts, sep)
}

// ConditionString prints one condition.
func ConditionString(a specs.LinuxSeccompArg) string {
	op := map[specs.LinuxSeccompOperator]string{
		specs.OpEqualTo: "==", specs.OpNotEqual: "!=", specs.OpLessThan: "<",
		specs.OpLessEqual: "<=", specs.OpGreaterThan: ">", specs.OpGreaterEqual: ">=",
	}[a.Op]
	if a.Op == specs.OpMaskedEqual {
		return fmt.Sprintf("arg%d & %#x == %#x", a.Index, a.Value, a.ValueTwo)
	}
	return fmt.Sprintf("arg%d %s %#x", a.Index, op, a.Value)
}

// Class is how a profile treats one syscall.
type Class string

const (
	Allowed     Class = "allowed"
	Conditional Class = "conditional"
	Denied      Class = "denied"
)

// Entry is one syscall's treatment.
type Entry struct {
	Name  string
	Class Class
	// Action is the outcome when no conditional rule matches.
	Action string
	// Rules are the conditional rules (Class conditional).
	Rules []Rule
}

// Classify says, per syscall name, what the profile does with it: names
// is the universe to classify (the profile's names plus any others, such
// as every syscall of the architecture).
func (p *Profile) Classify(names []string) []Entry {
	byName := map[string][]Rule{}
	for _, r := range p.Rules() {
		byName[r.Name] = append(byName[r.Name], r)
	}
	all := map[string]bool{}
	for _, n := range names {
		all[n] = true
	}
	for n := range byName {
		all[n] = true
	}
	defAct := p.defaultAction()
	var out []Entry
	for n := range all {
		e := Entry{Name: n}
		rules := byName[n]
		var cond []Rule
		uncond := ""
		for _, r := range rules {
			if len(r.Args) == 0 && uncond == "" {
				uncond = ActionString(r.Action, r.ErrnoValue())
			} else if len(r.Args) > 0 {
				cond = append(cond, r)
			}
		}
		e.Action = defAct
		if uncond != "" {
			e.Action = uncond
		}
		switch {
		case len(cond) > 0:
			e.Class, e.Rules = Conditional, cond
		case e.Action == string(specs.ActAllow) || e.Action == string(specs.ActLog):
			e.Class = Allowed
		default:
			e.Class = Denied
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Ret is the value a filter returns for an action: what the kernel acts
// on. runc installs SCMP_ACT_KILL as KILL_THREAD.
func Ret(act specs.LinuxSeccompAction, errno uint) uint32 {
	switch act {
	case specs.ActKill, specs.ActKillThread:
		return bpf.RetKillThread
	case specs.ActKillProcess:
		return bpf.RetKillProcess
	case specs.ActTrap:
		return bpf.RetTrap
	case specs.ActErrno:
		return bpf.RetErrno | uint32(errno&0xffff)
	case specs.ActTrace:
		return bpf.RetTrace | uint32(errno&0xffff)
	case specs.ActLog:
		return bpf.RetLog
	case specs.ActNotify:
		return bpf.RetUserNotif
	}
	return bpf.RetAllow
}

// stricter says whether the kernel ranks ret a above b: a lower signed
// action value wins when filters or rules disagree (kernel/seccomp.c).
func stricter(a, b uint32) bool {
	return int32(a&0xffff0000) < int32(b&0xffff0000)
}
