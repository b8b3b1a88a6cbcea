package landlock

import (
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/policy"
)

// Scope is a set of Landlock scopes: kinds of IPC a domain's processes
// lose with every process outside the domain (kernel
// Documentation/userspace-api/landlock.rst, "Scope flags").
type Scope uint64

const (
	// ScopeAbstractUnix refuses connect and send to an abstract UNIX
	// socket whose creator is outside the domain: the route to a
	// runtime shim or a D-Bus listening in a shared network namespace,
	// which no filesystem rule can reach (an abstract name has no file).
	ScopeAbstractUnix Scope = llsys.ScopeAbstractUnixSocket
	// ScopeSignal refuses a signal to a process outside the domain,
	// through any call that sends one (kill, tgkill, rt_sigqueueinfo,
	// pidfd_send_signal) and through F_SETOWN's SIGIO and SIGURG.
	ScopeSignal Scope = llsys.ScopeSignal
)

// ScopeABI is the Landlock ABI that brought scopes (Linux 6.12).
const ScopeABI = features.LandlockScopeABI

var scopeNames = []struct {
	s    Scope
	name string
}{{ScopeAbstractUnix, policy.ScopeAbstractUnix}, {ScopeSignal, policy.ScopeSignal}}

// ScopeOf reads the policy's scope words; policy.Validate has refused
// any other word, so one unknown here is a caller's bug and refused too.
func ScopeOf(words []string) (Scope, bool) {
	var s Scope
	for _, w := range words {
		found := false
		for _, n := range scopeNames {
			if n.name == w {
				s |= n.s
				found = true
			}
		}
		if !found {
			return 0, false
		}
	}
	return s, true
}

func (s Scope) String() string {
	var out []string
	for _, n := range scopeNames {
		if s&n.s != 0 {
			out = append(out, n.name)
		}
	}
	return joinOrNone(out)
}

// AddScope closes the plan's domain in s as well: a ruleset may handle
// no filesystem right at all and only scope.
func (p *Plan) AddScope(s Scope) {
	if s == 0 {
		return
	}
	p.Scoped |= s
	p.ABI = max(p.ABI, ScopeABI)
}
