package record

import (
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/linuxabi"
	"github.com/rampart-sec/rampart/policy"
)

// signalCalls send a signal to a process the caller names. tgkill is
// not among them: the Go runtime and glibc's raise and abort send it to
// their own threads, which a signal scope leaves alone, so its presence
// says nothing about signalling outside.
var signalCalls = []string{"kill", "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal"}

// scopes are the Landlock scopes the workload did not need: signal when
// it made no call that signals another process, abstract-unix when it
// created no AF_UNIX socket (so it connected to no abstract name). Only
// on a kernel that has them: a policy with a scope is refused where
// Landlock has no ABI 6, and one recorded here is meant to run here.
func (g *Generated) scopes(rec *Recording) []string {
	var out, why []string
	signals := false
	for _, calls := range rec.Syscalls {
		for _, n := range signalCalls {
			signals = signals || calls[n] > 0
		}
	}
	if !signals {
		out = append(out, policy.ScopeSignal)
		why = append(why, "signal (no call that signals another process: "+strings.Join(signalCalls, ", ")+")")
	}
	if !g.unixSockets(rec) {
		out = append(out, policy.ScopeAbstractUnix)
		why = append(why, "abstract-unix (no AF_UNIX socket created)")
	}
	if len(out) == 0 {
		return nil
	}
	if err := features.HaveLandlock(features.LandlockScopeABI); err != nil {
		g.note("landlock: no scope written (%s would be): %v", strings.Join(why, ", "), err)
		return nil
	}
	slices.Sort(out)
	g.note("landlock: scope %s: the workload made no such IPC with a process outside it; the policy then needs Landlock ABI 6 (Linux 6.12) where it runs", strings.Join(why, ", "))
	return out
}

// unixSockets says whether the recording may have made an AF_UNIX
// socket: socket or socketpair with that family, or socketcall, whose
// arguments the recording cannot read.
func (g *Generated) unixSockets(rec *Recording) bool {
	for _, calls := range rec.Syscalls {
		if calls["socketcall"] > 0 {
			return true
		}
	}
	for _, a := range rec.Args {
		if (a.Syscall == "socket" || a.Syscall == "socketpair") && a.Arg == 0 && a.Value == linuxabi.AF_UNIX {
			return true
		}
	}
	for _, calls := range rec.Syscalls {
		for _, n := range []string{"socket", "socketpair"} {
			if calls[n] > 0 && !g.familiesRecorded(rec, n) {
				return true
			}
		}
	}
	return false
}

// familiesRecorded says whether the recording holds the family of every
// call of name: a recorder that kept no argument leaves it unknown.
func (g *Generated) familiesRecorded(rec *Recording, name string) bool {
	for _, a := range rec.Args {
		if a.Syscall == name && a.Arg == 0 {
			return true
		}
	}
	return false
}
