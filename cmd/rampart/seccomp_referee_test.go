//go:build linux && cgo && seccomp

package main

import (
	"fmt"
	"slices"
	"strings"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// The referee of the seccomp property test says what a generated
// profile's rules answer for one call on one ABI. It reads the profile
// as the test wrote it, not the program the engine compiled from it:
// comparing the kernel with the program it runs would prove nothing
// about the compilation (seccomp/kernel_diff_test.go does that). It
// applies the rules the way the runtimes' engine defines them, each
// point a documented behaviour of moby's reader, runc or libseccomp:
//
//   - includes and excludes are decided as moby's reader decides them:
//     arches against the native name ("amd64"), includes.caps all in the
//     bounding set, excludes.caps none, minKernel against this kernel;
//   - runc's actions: SCMP_ACT_KILL is KILL_THREAD, a rule's errno is its
//     own or EPERM, the default's is defaultErrnoRet or EPERM; a rule
//     whose action is the default's is dropped (runc skips it), so the
//     other rules on the call decide;
//   - conditions on one argument twice are ORed (runc adds one rule per
//     condition), the others ANDed;
//   - on x86 and x32 libseccomp compares the low 32 bits of an argument;
//   - an ABI the filter does not cover (the native one always is) gets
//     libseccomp's bad-architecture action, KILL_THREAD;
//   - runc's ENOSYS stub: under a default that refuses, a call numbered
//     past the highest syscall the profile names on its ABI (libseccomp's
//     numbers, where i386 socket calls have none) gets ERRNO(ENOSYS);
//   - a rule on a syscall newer than libseccomp: rampart installs a deny
//     stricter than the default by number, in front of everything, and
//     drops the others with a note; one with conditions is refused;
//   - i386 socketcall(2): libseccomp puts each socket-family rule on it
//     too, with the condition on arg0 replaced by the call's SYS_* number
//     and the others kept at their index (there they compare socketcall's
//     own arguments, a pointer among them: what that does to the
//     profile's intent is what seccomp.Bypasses reports), beside
//     socketcall's own rules.
//
// Where two matching rules answer differently the profile does not say
// what happens (the engine picks by the shape of the conditions): the
// call is ambiguous, and rampart must refuse the profile.
type referee struct {
	def      uint32
	stub     bool
	covered  map[string]bool            // ABI names: x86_64, x86, x32
	rules    map[string][]refRule       // by syscall name
	numbered map[string]uint32          // newer syscalls' denies, installed by number
	largest  map[string]uint32          // the stub's bound per ABI, 0 for none
	refusals []string                   // what rampart must refuse the profile for
	byNumber map[string]refNumberedRule // for messages
}

// refRule is one rule as the engine installs it: one conjunction.
type refRule struct {
	entry int // the generated profile's syscalls[] index
	name  string
	ret   uint32
	args  []specs.LinuxSeccompArg
}

type refNumberedRule struct {
	entry int
	ret   uint32
}

// refDecision is the referee's answer.
type refDecision struct {
	ret       uint32
	ambiguous bool
	rules     []refRule // the rules that matched
	why       string
}

// refRet is the value the engine gives an action (runc's getAction): a
// rule's errno is its own or EPERM.
func refRet(action specs.LinuxSeccompAction, errno *uint) uint32 {
	e := uint(unix.EPERM)
	if errno != nil {
		e = *errno
	}
	return seccomp.Ret(action, e)
}

// refPermissive: runc's ENOSYS stub is left out under such a default.
func refPermissive(ret uint32) bool {
	a, _ := bpf.Action(ret)
	return a == bpf.RetAllow || a == bpf.RetLog || a == bpf.RetTrace
}

// newReferee reads g for a workload with the bounding set on a kernel of
// the given version.
func newReferee(g *genProfile, bounding caps.Set, kernel [2]int) *referee {
	r := &referee{
		def:      refRet(g.DefaultAction, g.DefaultErrnoRet),
		covered:  map[string]bool{"x86_64": true},
		rules:    map[string][]refRule{},
		numbered: map[string]uint32{},
		largest:  map[string]uint32{},
		byNumber: map[string]refNumberedRule{},
	}
	r.stub = !refPermissive(r.def)
	for _, a := range g.Architectures {
		switch a {
		case specs.ArchX86:
			r.covered["x86"] = true
		case specs.ArchX32:
			r.covered["x32"] = true
		}
	}
	names := bounding.Names(caps.Cap.OCI)
	for i, sc := range g.Syscalls {
		if !refApplies(sc, names, kernel) {
			continue
		}
		ret := refRet(sc.Action, sc.ErrnoRet)
		// runc splits conditions on one argument into rules of their own
		conj := [][]specs.LinuxSeccompArg{sc.Args}
		seen := map[uint]bool{}
		for _, a := range sc.Args {
			if seen[a.Index] {
				conj = nil
				for _, a := range sc.Args {
					conj = append(conj, []specs.LinuxSeccompArg{a})
				}
				break
			}
			seen[a.Index] = true
		}
		for _, n := range sc.Names {
			// runc's stub bound counts every resolved name libseccomp
			// knows, rules equal to the default included
			for _, abi := range seccomp.Arches {
				if nr, ok := refLibseccompNr(n, abi); ok && r.covered[abi.Name] {
					r.largest[abi.Name] = max(r.largest[abi.Name], nr)
				}
			}
			if _, err := libseccomp.GetSyscallFromName(n); err != nil {
				// newer than libseccomp
				switch {
				case !refStricter(ret, r.def):
					// dropped, with a note
				case len(sc.Args) > 0:
					r.refusals = append(r.refusals, fmt.Sprintf("syscalls[%d]: %s is newer than libseccomp, and a deny on it with conditions cannot be installed by number", i, n))
				default:
					if o, ok := r.byNumber[n]; ok && o.ret != ret {
						r.refusals = append(r.refusals, fmt.Sprintf("syscalls[%d] and [%d]: two rules on %s, newer than libseccomp, with different actions", o.entry, i, n))
					} else if !ok {
						r.byNumber[n] = refNumberedRule{i, ret}
						r.numbered[n] = ret
					}
				}
				continue
			}
			if ret == r.def {
				continue // runc's matchCall skips it
			}
			for _, c := range conj {
				r.rules[n] = append(r.rules[n], refRule{entry: i, name: n, ret: ret, args: c})
			}
		}
	}
	return r
}

// refStricter: a lower signed action value wins (kernel/seccomp.c).
func refStricter(a, b uint32) bool { return int32(a&0xffff0000) < int32(b&0xffff0000) }

// refApplies decides includes and excludes as moby's reader does.
func refApplies(sc *genRule, bounding []string, kernel [2]int) bool {
	const native = "amd64"
	if e := sc.Excludes; e != nil {
		if slices.Contains(e.Arches, native) {
			return false
		}
		for _, c := range e.Caps {
			if slices.Contains(bounding, c) {
				return false
			}
		}
		if e.MinKernel != nil && refKernelAtLeast(kernel, e.MinKernel) {
			return false
		}
	}
	if i := sc.Includes; i != nil {
		if len(i.Arches) > 0 && !slices.Contains(i.Arches, native) {
			return false
		}
		for _, c := range i.Caps {
			if !slices.Contains(bounding, c) {
				return false
			}
		}
		if i.MinKernel != nil && !refKernelAtLeast(kernel, i.MinKernel) {
			return false
		}
	}
	return true
}

func refKernelAtLeast(k [2]int, v *mobyseccomp.KernelVersion) bool {
	return uint64(k[0]) > v.Kernel || uint64(k[0]) == v.Kernel && uint64(k[1]) >= v.Major
}

// refLibseccompNr is libseccomp's number for name on abi, what runc's
// stub compares with: ok is false for names it does not know there and
// for its pseudo-numbers (i386 socket calls).
func refLibseccompNr(name string, abi seccomp.Arch) (uint32, bool) {
	a := map[string]libseccomp.ScmpArch{"x86_64": libseccomp.ArchAMD64, "x86": libseccomp.ArchX86, "x32": libseccomp.ArchX32}[abi.Name]
	nr, err := libseccomp.GetSyscallFromNameByArch(name, a)
	if err != nil || nr < 0 {
		return 0, false
	}
	return uint32(nr), true
}

// refSocketcallName is the socket-family call socketcall(2) makes for
// its call number n (SYS_SOCKET: socket), "" for none.
func refSocketcallName(n uint64) string {
	for _, name := range []string{"socket", "bind", "connect", "listen", "accept", "getsockname", "getpeername", "socketpair",
		"send", "recv", "sendto", "recvfrom", "shutdown", "setsockopt", "getsockopt", "sendmsg", "recvmsg", "accept4", "recvmmsg", "sendmmsg"} {
		if k, ok := seccomp.SocketcallNumber(name); ok && k == n {
			return name
		}
	}
	return ""
}

// decide is the referee's answer for c.
func (r *referee) decide(c propCall) refDecision {
	abi := c.abi
	if !r.covered[abi.Name] {
		return refDecision{ret: bpf.RetKillThread, why: "an ABI the profile does not list: libseccomp's bad-architecture action"}
	}
	if ret, ok := r.numbered[c.name]; ok && c.via == 0 {
		return refDecision{ret: ret, why: fmt.Sprintf("syscalls[%d], installed by number", r.byNumber[c.name].entry)}
	}
	if l := r.largest[abi.Name]; r.stub && l != 0 && uint32(c.nr) > l && (abi.Name != "x86_64" || c.nr&bpf.X32Bit == 0) {
		return refDecision{ret: bpf.RetErrno | uint32(unix.ENOSYS), why: fmt.Sprintf("runc's ENOSYS stub: past %d, the highest syscall the profile names on %s", l&^uint32(bpf.X32Bit), abi.Name)}
	}
	if c.name == "socketcall" && c.via == 0 && abi.Name == "x86" {
		// socketcall(SYS_*, args) made directly is that socket-family call
		// multiplexed: libseccomp put the call's rules on it too.
		if n := refSocketcallName(c.args[0] & 0xffffffff); n != "" {
			c.name, c.via = n, c.args[0]
		}
	}
	bits32 := abi.Bits32 || abi.X32
	var cands []refRule
	if c.via != 0 {
		cands = append(cands, r.rules["socketcall"]...)
		for _, rr := range r.rules[c.name] {
			placed := rr
			placed.args = slices.DeleteFunc(slices.Clone(rr.args), func(a specs.LinuxSeccompArg) bool { return a.Index == 0 })
			cands = append(cands, placed)
		}
	} else {
		cands = r.rules[c.name]
	}
	d := refDecision{ret: r.def, why: "the default action"}
	for _, rr := range cands {
		if !(seccomp.Rule{Args: rr.args}).Matches(c.args, bits32) {
			continue
		}
		if len(d.rules) > 0 && d.rules[0].ret != rr.ret {
			d.ambiguous = true
		}
		d.rules = append(d.rules, rr)
		d.ret = d.rules[0].ret
	}
	if len(d.rules) > 0 {
		var s []string
		for _, rr := range d.rules {
			s = append(s, fmt.Sprintf("syscalls[%d] (%s)", rr.entry, seccomp.RetString(rr.ret)))
		}
		d.why = "matched by " + strings.Join(s, ", ")
		if d.ambiguous {
			d.why = "AMBIGUOUS: " + d.why
		}
	}
	return d
}
