package apparmor

import (
	"fmt"
	"slices"
	"strings"
)

// Mount and ptrace decisions. apparmor_parser marks every profile it
// compiles for a kernel that mediates mount and ptrace as mediating them
// (its policy holds the class whether or not the profile has rules of
// it), so what a profile does not allow of them is denied, as for files.
// A rule with conditionals beyond what is decided here (mount options, a
// source, a mount point or filesystem type; a pivot_root's roots) makes
// the decision an error rather than a guess, unless an unconditional
// deny rule settles it.

// evalMount decides a new mount (Op "mount"), an unmount or a
// pivot_root.
func (c *Compiled) evalMount(a Access) (Decision, error) {
	var sure []ruleRef
	var cond *ruleRef
	surelyDenied := false
	for i, o := range c.others {
		switch m := o.rule.Model.(type) {
		case *MountRule:
			if m.Op != a.Op {
				continue // remount rules do not cover a new mount
			}
		case *PivotRootRule:
			if a.Op != "pivot_root" {
				continue
			}
		default:
			continue
		}
		plain := unconditional(o.rule)
		if !plain {
			if cond == nil {
				cond = &c.others[i]
			}
			continue
		}
		sure = append(sure, o)
		surelyDenied = surelyDenied || o.rule.Deny
	}
	if cond != nil && !surelyDenied {
		return Decision{}, fmt.Errorf("%s at %s has conditionals, which rampart does not evaluate for %s", cond.rule, where(cond.rule, cond.via), a)
	}
	return c.evalOne(a, sure, func(*Rule) bool { return true }, a.String()), nil
}

// unconditional says whether a mount, umount or pivot_root rule has no
// conditionals: it covers every such operation.
func unconditional(r *Rule) bool {
	switch m := r.Model.(type) {
	case *MountRule:
		return m.Op != "remount" && len(m.Options)+len(m.OptionsIn)+len(m.FSTypes)+len(m.FSTypesIn) == 0 && !m.HasSource && !m.HasTarget
	case *PivotRootRule:
		return len(m.OldRoot) == 0 && m.NewRoot == "" && !m.HasProfile
	}
	return false
}

// evaluated says whether Eval reads a rule of a class beyond file,
// network and capability: every ptrace rule, and mount, umount and
// pivot_root rules without conditionals.
func evaluated(r *Rule) bool {
	switch r.Model.(type) {
	case *PtraceRule, *SignalRule:
		return true
	}
	return unconditional(r)
}

// evalPtrace decides a ptrace access of a task labeled a.Peer, as the
// kernel's aa_may_ptrace does: the tracer's profile (this one) must allow
// the access to the peer, and the tracee's must allow being traced or
// read by the tracer.
func (c *Compiled) evalPtrace(a Access) (Decision, error) {
	return c.evalPeers(a, peerCheck{
		rule: func(r *Rule) (uint32, string, bool) {
			p, ok := r.Model.(*PtraceRule)
			if !ok {
				return 0, "", false
			}
			return p.Access, p.Peer, true
		},
		ask:      a.Ptrace,
		answer:   a.Ptrace << 2, // PtraceRead -> PtraceReadBy, PtraceTrace -> PtraceTracedBy
		answered: "being " + map[uint32]string{PtraceRead: "read", PtraceTrace: "traced"}[a.Ptrace] + " by ",
		other:    "the tracee",
	})
}

// evalSignal decides a signal sent to a task labeled a.Peer, as the
// kernel's aa_may_signal does: the sender's profile (this one) must allow
// sending it to the peer, and the receiver's must allow receiving it
// from the sender.
func (c *Compiled) evalSignal(a Access) (Decision, error) {
	return c.evalPeers(a, peerCheck{
		rule: func(r *Rule) (uint32, string, bool) {
			sr, ok := r.Model.(*SignalRule)
			if !ok || (len(sr.Signals) > 0 && !slices.Contains(sr.Signals, a.Signal)) {
				return 0, "", false
			}
			return sr.Access, sr.Peer, true
		},
		ask:      SignalSend,
		answer:   SignalReceive,
		answered: "receiving " + a.Signal + " from ",
		other:    "the receiver",
	})
}

// peerCheck is an access the kernel asks of two tasks' profiles: ask of
// this one toward the peer, answer of the peer's toward this one.
type peerCheck struct {
	// rule reads a rule of the class: its access bits (0: all) and peer
	// pattern ("": any); false when it is of another class or does not
	// cover the access (a signal rule's set=).
	rule        func(*Rule) (uint32, string, bool)
	ask, answer uint32
	// answered names the peer's side for a reason ("being traced by "),
	// other the peer ("the tracee").
	answered, other string
}

// evalPeers decides a two-sided access. An unconfined peer allows
// anything; a peer under this same profile is decided by its rules;
// another profile's rules are not at hand, so only a refusal by this
// side is a decision.
func (c *Compiled) evalPeers(a Access, pc peerCheck) (Decision, error) {
	self := c.Profile.FullName()
	var rules []ruleRef
	for _, o := range c.others {
		if _, _, ok := pc.rule(o.rule); ok {
			rules = append(rules, o)
		}
	}
	var bad error
	covers := func(bit uint32, peer string) func(*Rule) bool {
		return func(r *Rule) bool {
			access, pattern, _ := pc.rule(r)
			if access != 0 && access&bit == 0 {
				return false
			}
			if pattern == "" {
				return true
			}
			ok, err := c.labelMatches(pattern, peer)
			if err != nil && bad == nil {
				bad = &Error{Pos: r.Pos, Msg: err.Error()}
			}
			return ok
		}
	}
	d := c.evalOne(a, rules, covers(pc.ask, a.Peer), a.String())
	if bad != nil {
		return Decision{}, bad
	}
	if !d.Allowed {
		return d, nil
	}
	switch a.Peer {
	case "unconfined":
		return d, nil
	case self:
		by := a
		if a.Class == ClassPtrace {
			by.Ptrace = pc.answer
		}
		td := c.evalOne(by, rules, covers(pc.answer, self), pc.answered+self)
		if bad != nil {
			return Decision{}, bad
		}
		if !td.Allowed {
			td.Access = a
			td.Reason = pc.other + ", under the same profile: " + td.Reason
			return td, nil
		}
		return d, nil
	}
	return Decision{}, fmt.Errorf("%s: this profile allows it, and %s's profile %s decides too, which is not at hand", a, pc.other, a.Peer)
}

// labelMatches says whether a peer= pattern (variables expanded, as
// @{profile_name}) matches a label.
func (c *Compiled) labelMatches(pattern, label string) (bool, error) {
	e, err := c.expand(pattern, 0)
	if err != nil {
		return false, err
	}
	g, err := CompileGlob(e)
	if err != nil {
		return false, err
	}
	return g.Match(label), nil
}

// parseTaskAccess reads the mount and ptrace forms of ParseAccess.
func parseTaskAccess(s string, rest []string) (Access, error) {
	var a Access
	switch rest[0] {
	case "mount":
		if len(rest) != 3 || !strings.HasPrefix(rest[2], "/") {
			return a, fmt.Errorf("access %q: want mount FSTYPE /MOUNTPOINT", s)
		}
		a.Class, a.Op, a.FSType, a.Path = ClassMount, "mount", rest[1], rest[2]
	case "umount":
		if len(rest) != 2 || !strings.HasPrefix(rest[1], "/") {
			return a, fmt.Errorf("access %q: want umount /MOUNTPOINT", s)
		}
		a.Class, a.Op, a.Path = ClassMount, "umount", rest[1]
	case "pivot_root":
		if len(rest) != 1 {
			return a, fmt.Errorf("access %q: want pivot_root", s)
		}
		a.Class, a.Op = ClassMount, "pivot_root"
	case "signal":
		if len(rest) != 4 || rest[1] != "send" {
			return a, fmt.Errorf("access %q: want signal send SIGNAL PEER (kill, term, exists for signal 0; the receiver's label)", s)
		}
		sig, ok := normalSignal(rest[2])
		if !ok {
			return a, fmt.Errorf("access %q: %q is no signal apparmor_parser knows", s, rest[2])
		}
		a.Class, a.Signal, a.Peer = ClassSignal, sig, rest[3]
	case "ptrace":
		if len(rest) != 3 || (rest[1] != "read" && rest[1] != "trace") {
			return a, fmt.Errorf("access %q: want ptrace read|trace PEER (the tracee's label: unconfined, or a profile's name)", s)
		}
		a.Class, a.Peer = ClassPtrace, rest[2]
		a.Ptrace = PtraceRead
		if rest[1] == "trace" {
			a.Ptrace = PtraceTrace
		}
	}
	return a, nil
}

// taskString is String for mount and ptrace accesses.
func (a Access) taskString() string {
	switch {
	case a.Class == ClassSignal:
		return "signal send set=" + a.Signal + " peer=" + a.Peer
	case a.Class == ClassPtrace && a.Ptrace == PtraceTrace:
		return "ptrace trace peer=" + a.Peer
	case a.Class == ClassPtrace:
		return "ptrace read peer=" + a.Peer
	case a.Op == "mount":
		return "mount fstype=" + a.FSType + " -> " + quotePath(a.Path)
	case a.Op == "umount":
		return "umount " + quotePath(a.Path)
	}
	return a.Op
}
