//go:build linux && cgo && seccomp

package main

// The launcher's seccomp property: for a generated profile, `rampart
// run` either refuses it (exit 125, for a reason the README lists and
// the profile has), or, for every call of the attack-path catalog on
// every ABI, the kernel's decision under the launched filter is what the
// profile's rules say for that ABI.
//
// A profile is random rules over the catalog's syscalls and their
// siblings (actions ERRNO with an errno of their own, KILL_PROCESS,
// KILL_THREAD, TRAP, LOG, ALLOW, TRACE; conditions EQ, NE, MASKED_EQ and
// the ranges on the catalog's flag arguments, with flag bits and upper
// halves), random architectures, includes and excludes on arches, caps
// and kernel versions, a random default, --cap-drop, --strict-profile,
// and a launch that compiles at exec time instead of using the cache;
// a few carry a fault the launch must refuse (a name the runtimes never
// match). The calls are each name of the catalog on each ABI that has
// it, with the catalog's argument vectors and values on both sides of
// each condition.
//
// Three voices decide each call:
//   - the kernel: testdata/seccompcaller.c issues the call under
//     `rampart run --seccomp PROFILE` and a safety net of its own that
//     keeps every call from running (see the C file); what it sees is
//     the kernel's action, up to two pairs it cannot tell apart: ALLOW
//     and LOG (and ENOSYS from runc's stub) all come back ENOSYS, and,
//     where the profile refuses the clone calls it needs, a kill of the
//     thread and of the process;
//   - the referee (seccomp_referee_test.go): the profile's rules read as
//     the engine defines them, not the compiled program;
//   - the interpreter: seccomp/bpf on the program rampart compiled, as
//     rampart's own checks (spot check, variants) see it.
// The kernel must agree with the referee on every call of an ABI this
// kernel runs (i386 only where IA32 emulation is on), and the
// interpreter with the referee exactly on every call of every ABI. A
// refusal must name a fault the referee confirms: for two rules that
// answer differently, the call it names is ambiguous to the referee; for
// a compiled program that does not do what the rules say, the referee
// gives the rules' answer the message claims.
//
// Budget: RAMPART_PROPERTY_PROFILES profiles (default propDefaultProfiles,
// about 50 s on a 2-core machine); RAMPART_PROPERTY_SEED picks the first
// seed (default 1), profile i is generated from seed+i, and a failure
// names the seed that reproduces it alone:
//
//	RAMPART_PROPERTY_SEED=S RAMPART_PROPERTY_PROFILES=1 go test -tags seccomp -run 'TestSeccompProperty$' ./cmd/rampart/

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

const (
	propDefaultProfiles = 600
	// propMaxRelaunch bounds the launches of one profile whose kills end
	// the caller
	propMaxRelaunch = 24
)

// A generated profile is written in the Docker format, as moby's reader
// (the runtimes' and rampart's) defines it.
type (
	genProfile = mobyseccomp.Seccomp
	genRule    = mobyseccomp.Syscall
	genMatch   = mobyseccomp.Filter
)

// propCompact prints a profile one syscalls[] entry a line, with its
// index.
func propCompact(g *genProfile) string {
	head := *g
	head.Syscalls = nil
	b, _ := json.Marshal(head)
	lines := []string{string(b)}
	for i, sc := range g.Syscalls {
		b, _ := json.Marshal(sc)
		lines = append(lines, fmt.Sprintf("  [%d] %s", i, b))
	}
	return strings.Join(lines, "\n")
}

// propCase is one generated launch: the profile and the flags around it.
type propCase struct {
	seed    int64
	profile genProfile
	capDrop []string // --cap-drop
	strict  bool     // --strict-profile
	// inPlace launches without the program cache, as a launch that
	// cannot read a filter back (a non-root user) does: libseccomp
	// compiles the profile at exec time
	inPlace bool
	// planted are the faults the generator put in on purpose, each a
	// refusal rampart owes: the substring its message must contain.
	planted []string
}

// The calls the caller and rampart make under the profile besides the
// tested ones: never ruled by the generator, and allowed by it under a
// refusing default, like any real profile allows its workload's calls.
var (
	// the caller's own (x86_64): the shared file, the SIGSYS handler,
	// the safety net, its children, its end
	propCallerCalls = []string{"mmap", "rt_sigaction", "seccomp", "wait4", "exit", "exit_group"}
	// what rampart needs after loading the filter (the launch refuses a
	// profile that refuses them: the generator sometimes leaves them
	// out), and what the Go runtime may do in that window (not
	// arch_prctl, which a thread makes only as it starts: its i386
	// number, 384, would lift runc's stub bound on x86 above the socket
	// calls' and hide how the stub treats them)
	propLaunchCalls  = []string{"execve", "pread64", "close"}
	propRuntimeCalls = []string{"futex", "sched_yield", "nanosleep", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
		"madvise", "munmap", "mprotect", "gettid", "getpid", "tgkill", "clock_gettime", "clock_nanosleep", "brk"}
	// syscalls newer than this machine's libseccomp, which rampart
	// installs by number
	propNewer = []string{"mseal", "statmount", "listmount"}
)

// propUniverse is what the tested calls are made of: the catalog's
// syscalls and their siblings, and the argument values its models give.
type propUniverse struct {
	names []string
	// vectors are each name's argument vectors from the catalog (the
	// variants an attacker picks: SOCK_CLOEXEC added, ...)
	vectors map[string][][6]uint64
	// only386 names a call the catalog makes on i386 only (stime)
	only386 map[string]bool
	// values are the argument values per name and index that conditions
	// are built from; flagIdx the indexes that have any
	values  map[string]map[uint][]uint64
	flagIdx map[string][]uint
}

func newPropUniverse() *propUniverse {
	u := &propUniverse{vectors: map[string][][6]uint64{}, only386: map[string]bool{}, values: map[string]map[uint][]uint64{}, flagIdx: map[string][]uint{}}
	set := map[string]bool{}
	add := func(n string) {
		if !set[n] && !slices.Contains(propCallerCalls, n) && !slices.Contains(propLaunchCalls, n) && !slices.Contains(propRuntimeCalls, n) {
			set[n] = true
			u.names = append(u.names, n)
		}
	}
	for _, p := range attack.Catalog() {
		for _, n := range p.Syscalls {
			add(n)
		}
		for _, c := range p.Model.Calls {
			add(c.Name)
			if _, err := seccomp.SyscallNumber(c.Name, seccomp.Arches[0]); c.Compat == "i386" && err != nil {
				// only i386 has it (stime): a name x86_64 has too (socket)
				// stays on every ABI
				u.only386[c.Name] = true
			}
			if !slices.Contains(u.vectors[c.Name], c.Args) {
				u.vectors[c.Name] = append(u.vectors[c.Name], c.Args)
			}
		}
	}
	for _, n := range slices.Clone(u.names) {
		for _, s := range seccomp.Siblings(n) {
			add(s)
		}
	}
	// i386 reaches the socket calls through socketcall(2) as well
	add("socketcall")
	sort.Strings(u.names)
	for _, n := range u.names {
		u.values[n] = map[uint][]uint64{}
		for _, v := range u.vectors[n] {
			for i, a := range v {
				if a != 0 && !slices.Contains(u.values[n][uint(i)], a) {
					u.values[n][uint(i)] = append(u.values[n][uint(i)], a)
				}
			}
		}
		for i := range uint(6) {
			if len(u.values[n][i]) > 0 {
				u.flagIdx[n] = append(u.flagIdx[n], i)
			}
		}
	}
	return u
}

// propBits are flag bits conditions test and callers add: harmless flags
// (SOCK_CLOEXEC, O_CLOEXEC, CLONE_UNTRACED, MS_SILENT), namespace flags,
// bit 31, and the upper half an int argument drops (CVE-2019-10063's
// ioctl request).
var propBits = []uint64{unix.SOCK_CLOEXEC, unix.SOCK_NONBLOCK, unix.O_CLOEXEC, unix.O_NONBLOCK,
	unix.CLONE_NEWUSER, unix.CLONE_NEWNET, unix.CLONE_NEWNS, unix.CLONE_NEWPID, unix.CLONE_UNTRACED,
	unix.MS_SILENT, unix.MS_REC, 0x80000000, 1 << 32, 0xffffffff00000000}

// pick returns an element of a list by weight: pairs of (value, weight).
func pick[T any](r *rand.Rand, choices ...any) T {
	total := 0
	for i := 1; i < len(choices); i += 2 {
		total += choices[i].(int)
	}
	n := r.Intn(total)
	for i := 0; i < len(choices); i += 2 {
		if n -= choices[i+1].(int); n < 0 {
			return choices[i].(T)
		}
	}
	panic("pick")
}

func uptr(v uint) *uint { return &v }

// genCase generates one launch from seed.
func genCase(seed int64, u *propUniverse) *propCase {
	r := rand.New(rand.NewSource(seed))
	c := &propCase{seed: seed}
	g := &c.profile
	g.DefaultAction = pick[specs.LinuxSeccompAction](r, specs.ActAllow, 35, specs.ActLog, 12, specs.ActErrno, 30,
		specs.ActKillProcess, 8, specs.ActKill, 5, specs.ActKillThread, 3, specs.ActTrap, 7)
	if g.DefaultAction == specs.ActErrno && r.Intn(2) == 0 {
		g.DefaultErrnoRet = uptr(uint(90 + r.Intn(10)))
	}
	switch r.Intn(8) {
	case 0, 1:
		// none: the native ABI only
	case 2:
		g.Architectures = []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	case 3:
		g.Architectures = []specs.Arch{specs.ArchX86, specs.ArchX86_64}
	case 4:
		g.Architectures = []specs.Arch{specs.ArchX32} // no x86_64: libseccomp adds the native one
	case 5:
		g.Architectures = []specs.Arch{specs.ArchX86_64, specs.ArchX32, specs.ArchAARCH64}
	case 6:
		g.Architectures = []specs.Arch{specs.ArchX86}
	default:
		g.Architectures = []specs.Arch{specs.ArchX86_64}
	}
	for _, d := range []string{"SYS_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_BOOT"} {
		if r.Intn(4) == 0 {
			c.capDrop = append(c.capDrop, d)
		}
	}
	c.strict = r.Intn(5) == 0
	c.inPlace = r.Intn(5) == 0

	var used []string
	name := func() string {
		if len(used) > 0 && r.Intn(6) == 0 {
			return used[r.Intn(len(used))] // a second rule on a name: they may overlap
		}
		var n string
		switch k := r.Intn(100); {
		case k < 3:
			n = propLaunchCalls[r.Intn(len(propLaunchCalls))]
		case k < 5:
			n = propNewer[r.Intn(len(propNewer))]
		default:
			n = u.names[r.Intn(len(u.names))]
		}
		used = append(used, n)
		return n
	}
	capNames := []string{"CAP_SYS_ADMIN", "CAP_NET_RAW", "CAP_SYS_PTRACE", "CAP_SYS_BOOT", "CAP_SYS_MODULE"}
	match := func() *genMatch {
		m := &genMatch{}
		switch r.Intn(3) {
		case 0:
			m.Arches = []string{pick[string](r, "amd64", 3, "x86", 1, "x32", 1, "arm64", 1)}
		case 1:
			m.Caps = []string{capNames[r.Intn(len(capNames))]}
		default:
			m.MinKernel = pick[*mobyseccomp.KernelVersion](r, &mobyseccomp.KernelVersion{Kernel: 4, Major: 8}, 1, &mobyseccomp.KernelVersion{Kernel: 99}, 1)
		}
		return m
	}
	n := 1 + r.Intn(10)
	for i := range n {
		rule := &genRule{LinuxSyscall: specs.LinuxSyscall{Action: pick[specs.LinuxSeccompAction](r, specs.ActErrno, 35, specs.ActKillProcess, 8, specs.ActKill, 4,
			specs.ActKillThread, 6, specs.ActTrap, 12, specs.ActLog, 10, specs.ActAllow, 20, specs.ActTrace, 3)}}
		for range 1 + pick[int](r, 0, 6, 1, 3, 2, 1) {
			if nm := name(); !slices.Contains(rule.Names, nm) {
				rule.Names = append(rule.Names, nm)
			}
		}
		if (rule.Action == specs.ActErrno || rule.Action == specs.ActTrace) && r.Intn(6) > 0 {
			// each rule its own errno, so the answer names the rule
			// (ENOSYS, 38, is left out: it is what an allowed call
			// gets under the net)
			rule.ErrnoRet = uptr(uint(100 + i))
		}
		for _, o := range g.Syscalls {
			if slices.ContainsFunc(o.Names, func(n string) bool { return slices.Contains(rule.Names, n) }) && r.Intn(2) == 0 {
				// another rule on the same call with the same action,
				// which the engine merges
				rule.Action, rule.ErrnoRet = o.Action, o.ErrnoRet
			}
		}
		for range pick[int](r, 0, 4, 1, 4, 2, 2) {
			rule.Args = append(rule.Args, genCond(r, u, rule.Names[0]))
		}
		if r.Intn(7) == 0 {
			rule.Includes = match()
		}
		if r.Intn(7) == 0 {
			rule.Excludes = match()
		}
		g.Syscalls = append(g.Syscalls, rule)
	}
	if !refPermissive(refRet(g.DefaultAction, g.DefaultErrnoRet)) {
		// the workload's own calls, as a real profile allows them;
		// sometimes without one rampart needs
		need := slices.Concat(propCallerCalls, propRuntimeCalls)
		switch r.Intn(12) {
		case 0:
		case 1:
			need = append(need, "execve", "close")
		default:
			need = append(need, propLaunchCalls...)
		}
		if r.Intn(10) > 0 {
			// clone for the caller's children and threads, as Docker's
			// profile allows it: without namespace flags
			g.Syscalls = append(g.Syscalls, &genRule{LinuxSyscall: specs.LinuxSyscall{Names: []string{"clone"}, Action: specs.ActAllow,
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0x7e020000, ValueTwo: 0, Op: specs.OpMaskedEqual}}}})
		}
		g.Syscalls = append(g.Syscalls, &genRule{LinuxSyscall: specs.LinuxSyscall{Names: need, Action: specs.ActAllow}})
	}
	// Faults the launch must refuse, planted in a few profiles.
	if r.Intn(25) == 0 {
		rule := g.Syscalls[r.Intn(n)]
		switch r.Intn(4) {
		case 0:
			rule.Includes = &genMatch{Arches: []string{pick[string](r, "x86_64", 1, "i386", 1, "AMD64", 1)}}
			c.planted = append(c.planted, "unknown architecture")
		case 1:
			rule.Excludes = &genMatch{Caps: []string{"SYS_ADMIN"}}
			c.planted = append(c.planted, `write it "CAP_SYS_ADMIN"`)
		case 2:
			g.Architectures = append(g.Architectures, "SCMP_ARCH_I386")
			c.planted = append(c.planted, `unknown architecture "SCMP_ARCH_I386"`)
		default:
			rule.Excludes = &genMatch{Arches: []string{"x86_64"}}
			c.planted = append(c.planted, `unknown architecture "x86_64"`)
		}
	}
	return c
}

// genCond is a condition on one of name's flag arguments, with a value
// the catalog gives or a flag bit.
func genCond(r *rand.Rand, u *propUniverse, name string) specs.LinuxSeccompArg {
	idx := uint(r.Intn(3))
	if f := u.flagIdx[name]; len(f) > 0 && r.Intn(5) > 0 {
		idx = f[r.Intn(len(f))]
	}
	var v uint64
	if vals := u.values[name][idx]; len(vals) > 0 && r.Intn(4) > 0 {
		v = vals[r.Intn(len(vals))]
	} else {
		v = uint64(r.Intn(20))
	}
	if r.Intn(3) == 0 {
		v |= propBits[r.Intn(len(propBits))]
	}
	op := pick[specs.LinuxSeccompOperator](r, specs.OpEqualTo, 30, specs.OpMaskedEqual, 25, specs.OpNotEqual, 10,
		specs.OpGreaterEqual, 9, specs.OpGreaterThan, 9, specs.OpLessThan, 9, specs.OpLessEqual, 8)
	a := specs.LinuxSeccompArg{Index: idx, Value: v, Op: op}
	if op == specs.OpMaskedEqual {
		mask := pick[uint64](r, propBits[r.Intn(len(propBits))], 3, v, 2, uint64(0xffffffff), 1, ^uint64(0), 1, uint64(0x7e020000), 1)
		a.Value, a.ValueTwo = mask, v&mask
		if r.Intn(5) == 0 {
			a.ValueTwo = 0
		}
	}
	return a
}

// propCall is one tested call: name as the rules say it, made on abi at
// nr, or, with via, i386 socketcall(via, ...) for a socket call.
type propCall struct {
	abi  seccomp.Arch
	name string
	via  uint64
	nr   int32
	args [6]uint64
}

func (c propCall) String() string {
	parts := make([]string, 6)
	for i, a := range c.args {
		parts[i] = fmt.Sprintf("%#x", a)
	}
	if c.via != 0 {
		return fmt.Sprintf("%s socketcall(%s) for %s", c.abi.Name, strings.Join(parts, ", "), c.name)
	}
	return fmt.Sprintf("%s %s(%s) [nr %d]", c.abi.Name, c.name, strings.Join(parts, ", "), c.nr&^bpf.X32Bit)
}

func (c propCall) data() bpf.Data {
	return bpf.Data{Nr: c.nr, Arch: c.abi.Audit, Args: c.args}
}

// propCalls lists the calls tested under c: every name of the universe
// (and those c's rules name) on each ABI that has it, with the catalog's
// argument vectors, all zeros, and the values around each condition of
// c's rules on that name.
func propCalls(c *propCase, u *propUniverse) []propCall {
	names := slices.Clone(u.names)
	conds := map[string][]specs.LinuxSeccompArg{}
	for _, sc := range c.profile.Syscalls {
		for _, n := range sc.Names {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
			conds[n] = append(conds[n], sc.Args...)
		}
	}
	var out []propCall
	for _, n := range names {
		vecs := [][6]uint64{{}}
		for _, v := range u.vectors[n] {
			if !slices.Contains(vecs, v) {
				vecs = append(vecs, v)
			}
		}
		bases := slices.Clone(vecs[:min(2, len(vecs))])
		for _, a := range conds[n] {
			vals := []uint64{a.Value, a.Value + 1, a.Value - 1, a.Value | 1<<32, a.Value & 0xffffffff, a.Value &^ (1 << 32)}
			if a.Op == specs.OpMaskedEqual {
				low := a.Value & -a.Value
				vals = []uint64{a.ValueTwo, a.ValueTwo ^ low, a.ValueTwo | ^a.Value&(^a.Value&-(^a.Value)), a.ValueTwo | 1<<32, a.ValueTwo ^ (a.Value & 0xffffffff00000000)}
			}
			for _, b := range bases {
				for _, v := range vals {
					w := b
					w[a.Index] = v
					if !slices.Contains(vecs, w) && len(vecs) < 40 {
						vecs = append(vecs, w)
					}
				}
			}
		}
		for _, abi := range seccomp.Arches {
			if u.only386[n] && abi.Name != "x86" {
				continue
			}
			nr, err := seccomp.SyscallNumber(n, abi)
			if err == nil {
				for _, v := range vecs {
					out = append(out, propCall{abi: abi, name: n, nr: nr, args: v})
				}
			}
			if sc, ok := seccomp.SocketcallNumber(n); ok && abi.Name == "x86" {
				// the rule's conditions at index 1 and up compare
				// socketcall's own arguments there
				for _, v := range vecs {
					v[0] = sc
					out = append(out, propCall{abi: abi, name: n, via: sc, nr: 102, args: v})
				}
			}
		}
	}
	return out
}

// propObsClass is what the kernel's answer to a call looks like to the
// caller, for the referee's answer ret: calls that pass (ALLOW, LOG,
// TRACE) and runc's stub's ERRNO(ENOSYS) all come back ENOSYS under the
// net; a kill of the thread and one of the process are told apart only
// where the caller issued the call on a worker thread.
func propMatches(ret uint32, o callerObs, c propCall) bool {
	action, data := bpf.Action(ret)
	switch action {
	case bpf.RetAllow, bpf.RetLog, bpf.RetTrace:
		return o.How == howReturned && o.Ret == -int64(unix.ENOSYS)
	case bpf.RetErrno:
		return o.How == howReturned && o.Ret == -int64(min(data, 4095))
	case bpf.RetTrap:
		want := uint32(c.abi.Audit)
		return o.How == howTrapped && o.Info&0xffff == uint64(data) && int32(o.Info>>16) == c.nr && o.trapArch() == want
	case bpf.RetKillThread:
		if o.Threads {
			return o.How == howThreadKilled
		}
		return o.How == howProcessKilled
	case bpf.RetKillProcess:
		return o.How == howProcessKilled
	}
	return false
}

// propRefusals are the reasons `rampart run --help` and the README list
// for refusing a seccomp profile that the generator can produce, by
// what the message says: a name the runtimes never match (arches, caps),
// a deny that cannot be installed (by number, with conditions), a call
// the launch needs refused, --strict-profile's variants, two rules that
// answer differently for one call, and a compiled program that does not
// do what the rules say.
var propRefusals = []struct {
	reason string
	re     *regexp.Regexp
}{
	{"unknown architecture", regexp.MustCompile(`unknown architecture`)},
	{"capability spelt otherwise", regexp.MustCompile(`write it "CAP_`)},
	{"a deny on a newer syscall with conditions", regexp.MustCompile(`installs its rules by number, which it does for rules without conditions only`)},
	{"a call rampart or CMD needs", regexp.MustCompile(`the profile refuses (execve|pread64|close|exit_group) \(`)},
	{"--strict-profile: a variant gets past a deny", regexp.MustCompile(`--strict-profile: `)},
	{"rules that answer differently for one call", regexp.MustCompile(`both match .* with different actions`)},
	{"two rules on a newer syscall with different actions", regexp.MustCompile(`has two rules with different actions`)},
	{"the compiled filter does not do what the rules say", regexp.MustCompile(`the compiled filter does not do what the profile says: `)},
}

// The spot check's claims: the program's answer and the rules'.
var (
	propSpotRule     = regexp.MustCompile(`the program answers (\w+)(?:\(\[([^\]]*)\]\))? on (\w+) with (\S+) where the profile(?:'s default)? (?:says|is) (\S+)$`)
	propSpotNewer    = regexp.MustCompile(`the program answers syscall (\d+) on (\w+), newer than the profile, with (\S+), not (\S+)$`)
	propSpotUnlisted = regexp.MustCompile(`the program answers getpid on (\w+), an ABI the profile does not list, with (\S+)$`)
)

// propSpotDecide checks a spot-check refusal's claim with the referee:
// the refusal is owed only if the referee gives the rules' answer the
// message says, and the program's answer is another.
func propSpotDecide(t *testing.T, ref *referee, msg string) (string, bool) {
	if m := propSpotRule.FindStringSubmatch(msg); m != nil {
		abi, err := seccomp.ArchByName(m[3])
		if err != nil {
			return err.Error(), false
		}
		c := propCall{abi: abi, name: m[1], nr: propNr(t, m[1], abi)}
		for i, a := range strings.Fields(m[2]) {
			v, err := strconv.ParseUint(a, 0, 64)
			if err != nil || i > 5 {
				return "bad arguments " + m[2], false
			}
			c.args[i] = v
		}
		got := seccomp.RetString(ref.decide(c).ret)
		return fmt.Sprintf("%s: the referee says %s", c, got), got == m[5] && m[4] != m[5]
	}
	if m := propSpotNewer.FindStringSubmatch(msg); m != nil {
		abi, err := seccomp.ArchByName(m[2])
		if err != nil {
			return err.Error(), false
		}
		n, _ := strconv.Atoi(m[1])
		nr := int32(n)
		if abi.X32 {
			nr |= bpf.X32Bit
		}
		got := seccomp.RetString(ref.decide(propCall{abi: abi, name: "(none)", nr: nr}).ret)
		return fmt.Sprintf("%s syscall %d: the referee says %s", abi.Name, nr&^bpf.X32Bit, got), got == m[4] && m[3] != m[4]
	}
	if m := propSpotUnlisted.FindStringSubmatch(msg); m != nil {
		abi, err := seccomp.ArchByName(m[1])
		if err != nil {
			return err.Error(), false
		}
		d := ref.decide(propCall{abi: abi, name: "getpid", nr: propNr(t, "getpid", abi)})
		return fmt.Sprintf("%s getpid: the referee says %s", abi.Name, seccomp.RetString(d.ret)), !refPermissive(d.ret)
	}
	return "a claim the test does not read", false
}

// propConflictCall reads the call a conflict refusal names.
var propConflictCall = regexp.MustCompile(`both match (x86_64|x86|x32) (\w+)\(([^)]*)\)( for (\w+))? with different actions`)

// propConflictDecide asks the referee about the call msg names: a
// refusal for conflicting rules is owed only if the referee finds the
// call ambiguous too.
func propConflictDecide(ref *referee, msg string) (string, bool) {
	m := propConflictCall.FindStringSubmatch(msg)
	if m == nil {
		return "no call named", false
	}
	abi, _ := seccomp.ArchByName(m[1])
	c := propCall{abi: abi, name: m[2]}
	for i, a := range strings.Split(m[3], ", ") {
		v, err := strconv.ParseUint(a, 0, 64)
		if err != nil || i > 5 {
			return "bad arguments " + m[3], false
		}
		c.args[i] = v
	}
	if m[5] != "" {
		c.name, c.via = m[5], c.args[0]
	}
	nr, err := seccomp.SyscallNumber(m[2], abi)
	if err != nil {
		return err.Error(), false
	}
	c.nr = nr
	d := ref.decide(c)
	return c.String() + ": " + d.why, d.ambiguous
}

func propRefusal(msg string) string {
	for _, r := range propRefusals {
		if r.re.MatchString(msg) {
			return r.reason
		}
	}
	return ""
}

// propStats counts what the runs saw.
type propStats struct {
	profiles, refused, compared, kernelCalls, launches, skipped int
	reasons                                                     map[string]int
	byAction                                                    map[string]int
	// spot are the spot check's refusals: programs the engine built
	// that do not do what the rules say
	spot []string
}

func TestSeccompProperty(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	callerCheckNet(t)
	noCoreDumps(t)
	budget := propDefaultProfiles
	if s := os.Getenv("RAMPART_PROPERTY_PROFILES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("RAMPART_PROPERTY_PROFILES=%q: want a positive number", s)
		}
		budget = n
	}
	seed := int64(1)
	if s := os.Getenv("RAMPART_PROPERTY_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			t.Fatalf("RAMPART_PROPERTY_SEED=%q: want a number", s)
		}
		seed = n
	}
	caller := buildCaller(t)
	self, err := procstatus.Self()
	if err != nil {
		t.Fatal(err)
	}
	kernel := propKernel(t)
	ia32 := features.HaveIA32() == nil
	if !ia32 {
		t.Logf("i386 calls are decided by the referee and the interpreter only: %v", features.HaveIA32())
	}
	u := newPropUniverse()
	dir := t.TempDir()
	cache := t.TempDir()
	t.Setenv("RAMPART_CACHE_DIR", cache) // the in-process compile fills the cache rampart reads
	st := propStats{reasons: map[string]int{}, byAction: map[string]int{}}
	start := time.Now()
	failed := 0
	for i := range budget {
		c := genCase(seed+int64(i), u)
		errs := propCheck(t, c, u, caller, dir, self.CapBnd, kernel, ia32, &st)
		if len(errs) > 0 {
			failed++
			t.Errorf("seed %d (--cap-drop %v, --strict-profile %v, compiled at launch %v): %d disagreement(s); reproduce with RAMPART_PROPERTY_SEED=%d RAMPART_PROPERTY_PROFILES=1\nprofile:\n%s\n%s",
				c.seed, c.capDrop, c.strict, c.inPlace, len(errs), c.seed, propCompact(&c.profile), strings.Join(errs[:min(len(errs), 12)], "\n"))
			if failed == 5 {
				t.Errorf("stopping after 5 failing profiles")
				break
			}
		}
	}
	var reasons []string
	for r, n := range st.reasons {
		reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
	}
	sort.Strings(reasons)
	var acts []string
	for a, n := range st.byAction {
		acts = append(acts, fmt.Sprintf("%s %d", a, n))
	}
	sort.Strings(acts)
	t.Logf("%d profiles (seeds %d to %d) in %v: %d refused (%s); %d calls decided by the referee and the interpreter, %d of them by the kernel too, in %d launches (%d kills left to the referee and the interpreter: the launch budget); the referee's answers: %s",
		st.profiles, seed, seed+int64(budget)-1, time.Since(start).Round(time.Millisecond), st.refused, strings.Join(reasons, ", "),
		st.compared, st.kernelCalls, st.launches, st.skipped, strings.Join(acts, ", "))
	for _, s := range st.spot {
		t.Logf("the spot check refused a program the engine built: %s", s)
	}
}

// propCheck runs one case and returns its disagreements.
func propCheck(t *testing.T, c *propCase, u *propUniverse, caller, dir string, capBnd caps.Set, kernel [2]int, ia32 bool, st *propStats) []string {
	t.Helper()
	st.profiles++
	body, err := json.MarshalIndent(c.profile, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, fmt.Sprintf("seed-%d.json", c.seed))
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	bounding := capBnd
	for _, d := range c.capDrop {
		cp, err := caps.Parse(d)
		if err != nil {
			t.Fatal(err)
		}
		bounding = bounding.Remove(cp)
	}
	ref := newReferee(&c.profile, bounding, kernel)
	calls := propCalls(c, u)
	var errs []string

	// What the launch must refuse, as far as the referee knows: planted
	// faults, denies it cannot install, calls it needs refused, and
	// ambiguous calls.
	owed := slices.Clone(c.planted)
	owed = append(owed, ref.refusals...)
	native := seccomp.Arches[0]
	for _, n := range propNeeds {
		lets := func(name string, args [6]uint64) (bool, uint32) {
			ret := ref.decide(propCall{abi: native, name: name, nr: propNr(t, name, native), args: args}).ret
			a, _ := bpf.Action(ret)
			return a == bpf.RetAllow || a == bpf.RetLog, a
		}
		for _, args := range n.args {
			ok, a := lets(n.name, args)
			if !ok && a == bpf.RetErrno && n.errnoOK {
				ok = true
			}
			if !ok && a == bpf.RetErrno && n.fallback != "" {
				ok, _ = lets(n.fallback, args)
			}
			if !ok {
				owed = append(owed, "the profile refuses "+n.name)
				break
			}
		}
	}
	var ambiguous []string
	for _, call := range calls {
		if d := ref.decide(call); d.ambiguous {
			ambiguous = append(ambiguous, fmt.Sprintf("%s: %s", call, d.why))
		}
	}

	// The in-process reading and compile: the program rampart loads
	// (the launch below reads the same cache entry).
	var prog []bpf.Insn
	p, perr := seccomp.Parse(file, body, bounding)
	if perr == nil {
		f, cerr := seccomp.Compile(p)
		if cerr != nil {
			perr = cerr
		} else {
			prog = f.Program()
		}
	}

	flags := []string{"--seccomp", file}
	for _, d := range c.capDrop {
		flags = append(flags, "--cap-drop", d)
	}
	if c.strict {
		flags = append(flags, "--strict-profile")
	}
	// The caller's set-up clones, where the referee says they run.
	var mode uint64
	runs := func(args [6]uint64) bool {
		a, _ := bpf.Action(ref.decide(propCall{abi: native, name: "clone", nr: unix.SYS_CLONE, args: args}).ret)
		return a == bpf.RetAllow || a == bpf.RetLog
	}
	if runs(callerForkArgs) {
		mode |= modeChild
	}
	if runs(callerThreadArgs) {
		mode |= modeThread
	}
	// Which calls the kernel is asked: all, but for two budgets. On an
	// ABI the profile does not list every call gets the same answer
	// (the filter's first instructions decide on the ABI alone): a few
	// are asked. And where the profile refuses the clone of a worker
	// process, each kill ends the caller, which is then launched again:
	// up to propMaxRelaunch of those calls are asked, spread over the
	// list. The referee and the interpreter decide every call.
	var kcalls []callerCall
	var kidx []int
	uncovered := map[string]int{}
	var ask, kills []int
	for i, call := range calls {
		switch {
		case call.abi.Name == "x86" && !ia32:
		case call.abi.Name == "x86_64" && (call.nr == unix.SYS_EXIT || call.nr == unix.SYS_EXIT_GROUP):
			// the net lets these run: the caller ends with them
		case !ref.covered[call.abi.Name] && uncovered[call.abi.Name] >= 4:
		default:
			if !ref.covered[call.abi.Name] {
				uncovered[call.abi.Name]++
			}
			ask = append(ask, i)
			a, _ := bpf.Action(ref.decide(call).ret)
			if mode&modeChild == 0 && (a == bpf.RetKillProcess || a == bpf.RetKillThread && mode&modeThread == 0) {
				kills = append(kills, i)
			}
		}
	}
	skip := map[int]bool{}
	if len(kills) > propMaxRelaunch {
		for j, i := range kills {
			if j*propMaxRelaunch/len(kills) == (j+1)*propMaxRelaunch/len(kills) {
				skip[i] = true
			}
		}
		st.skipped += len(skip)
	}
	for _, i := range ask {
		call := calls[i]
		if !skip[i] {
			abi := uint32(callerSyscall)
			if call.abi.Name == "x86" {
				abi = callerInt80
			}
			kcalls = append(kcalls, callerCall{ABI: abi, Nr: call.nr, Args: call.args})
			kidx = append(kidx, i)
		}
	}
	var env []string
	if c.inPlace {
		env = append(env, "RAMPART_SECCOMP_CACHE=off")
	}
	run := callerLaunch(t, caller, env, flags, kcalls, mode)
	st.launches += run.launches
	refused := run.code == exitRefused && run.hdr.Stage == 0
	lines := strings.Split(strings.TrimSpace(run.stderr), "\n")
	msg := strings.TrimPrefix(lines[len(lines)-1], "rampart: ")
	if refused {
		st.refused++
		reason := propRefusal(msg)
		st.reasons[reason]++
		switch {
		case reason == "":
			errs = append(errs, "refused for a reason the README does not list: "+msg)
		case reason == "--strict-profile: a variant gets past a deny" && !c.strict:
			errs = append(errs, "refused as --strict-profile without it: "+msg)
		case reason == "rules that answer differently for one call":
			if why, ok := propConflictDecide(ref, msg); !ok {
				errs = append(errs, fmt.Sprintf("refused for conflicting rules, but the referee does not find the call ambiguous (%s): %s", why, msg))
			}
		case reason == "the compiled filter does not do what the rules say":
			// the engine built a program that does not hold (libseccomp
			// bugs do that): refusing is right if the referee agrees
			// with what the check says the rules say
			st.spot = append(st.spot, fmt.Sprintf("seed %d: %s", c.seed, msg))
			if why, ok := propSpotDecide(t, ref, msg); !ok {
				errs = append(errs, fmt.Sprintf("refused by the spot check, but the referee does not back its claim (%s): %s", why, msg))
			}
		case reason != "--strict-profile: a variant gets past a deny" && !slices.ContainsFunc(owed, func(o string) bool { return propOwes(o, reason, msg) }):
			errs = append(errs, fmt.Sprintf("refused (%s), but the profile has no such fault (owed: %q): %s", reason, owed, msg))
		}
		if perr == nil && reason != "--strict-profile: a variant gets past a deny" && reason != "a call rampart or CMD needs" {
			errs = append(errs, "the launch refused what the in-process reading accepts: "+msg)
		}
	} else {
		if len(owed) > 0 {
			errs = append(errs, fmt.Sprintf("not refused (exit %d, signal %v), but the profile has: %q", run.code, run.signal, owed))
		}
		if len(ambiguous) > 0 {
			errs = append(errs, fmt.Sprintf("not refused (exit %d, signal %v), but rules that answer differently match %d call(s)", run.code, run.signal, len(ambiguous)))
		}
		for _, a := range ambiguous[:min(3, len(ambiguous))] {
			errs = append(errs, "not refused, but rules that answer differently match the same call: "+a)
		}
		if len(ambiguous) > 3 {
			errs = append(errs, fmt.Sprintf("... and %d more ambiguous calls", len(ambiguous)-3))
		}
		if run.err != nil {
			errs = append(errs, fmt.Sprintf("the caller did not report every call (%s): %v", run.summary(), run.err))
		}
		// the set-up clones are calls the referee decided too
		if mode&modeChild != 0 && run.hdr.ForkRet != 0 {
			errs = append(errs, fmt.Sprintf("x86_64 clone(%#x) for a worker process: kernel returned %d, the referee lets it run", callerForkArgs[0], run.hdr.ForkRet))
		}
		if mode&modeThread != 0 && run.hdr.ThreadRet != 0 {
			errs = append(errs, fmt.Sprintf("x86_64 clone(%#x, ...) for a worker thread: kernel returned %d, the referee lets it run", callerThreadArgs[0], run.hdr.ThreadRet))
		}
		if perr != nil {
			errs = append(errs, "the launch ran what the in-process reading refuses: "+perr.Error())
		}
	}
	if refused || run.err != nil {
		return errs
	}

	// The voices, call by call.
	kernelObs := map[int]callerObs{}
	if !refused {
		for j, i := range kidx {
			kernelObs[i] = run.obs[j]
		}
	}
	for i, call := range calls {
		d := ref.decide(call)
		if d.ambiguous {
			continue // reported above
		}
		st.compared++
		st.byAction[seccomp.RetString(d.ret&0xffff0000|min(d.ret&0xffff, 1))]++
		var bad []string
		var interp uint32
		if prog != nil {
			ret, _, err := bpf.Run(prog, call.data())
			if err != nil {
				t.Fatal(err)
			}
			interp = ret
			if ret != d.ret {
				bad = append(bad, "interpreter")
			}
		}
		o, issued := kernelObs[i]
		if issued {
			st.kernelCalls++
			if !propMatches(d.ret, o, call) {
				bad = append(bad, "kernel")
			}
		}
		if len(bad) > 0 {
			k := "not issued"
			if issued {
				k = o.String()
			}
			in := "no program"
			if prog != nil {
				in = seccomp.RetString(interp)
			}
			errs = append(errs, fmt.Sprintf("%s: %s disagree(s) with the referee: referee %s (%s), interpreter %s, kernel %s",
				call, strings.Join(bad, " and "), seccomp.RetString(d.ret), d.why, in, k))
		}
	}
	return errs
}

// propOwes says whether a refusal for reason, with msg, is one the
// owed fault o explains.
func propOwes(o, reason, msg string) bool {
	switch {
	case strings.HasPrefix(o, "the profile refuses "):
		return reason == "a call rampart or CMD needs" && strings.Contains(msg, o)
	case strings.Contains(o, "cannot be installed by number"):
		return reason == "a deny on a newer syscall with conditions"
	case strings.Contains(o, "newer than libseccomp, with different actions"):
		return reason == "two rules on a newer syscall with different actions"
	}
	return strings.Contains(msg, o)
}

// propNeeds are the calls the launch needs under the filter, decided
// with the argument values rampart decides them with (sandbox/needs.go):
// refused by anything but ALLOW or LOG, or, where errnoOK, by a kill or
// a trap; an errno on exit_group is fine when exit is allowed.
var propNeeds = []struct {
	name     string
	args     [][6]uint64
	errnoOK  bool
	fallback string
}{
	{"pread64", [][6]uint64{{}, {3, 0xc000100000, 4096}}, false, ""},
	{"close", [][6]uint64{{}, {3}}, true, ""},
	{"execve", [][6]uint64{{}, {0xc000100000, 0xc000100100, 0xc000100200}}, false, ""},
	{"exit_group", [][6]uint64{{0}, {1}}, false, "exit"},
}

func propNr(t *testing.T, name string, abi seccomp.Arch) int32 {
	nr, err := seccomp.SyscallNumber(name, abi)
	if err != nil {
		t.Fatal(err)
	}
	return nr
}

func propKernel(t *testing.T) [2]int {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	var k [2]int
	fmt.Sscanf(unix.ByteSliceToString(uts.Release[:]), "%d.%d", &k[0], &k[1])
	return k
}

// noCoreDumps keeps the kills from writing core files: RLIMIT_CORE 1 is
// below any core's size, and the kernel reads it as "no dump" for a
// core_pattern pipe too (fs/coredump.c).
func noCoreDumps(t *testing.T) {
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &old); err != nil {
		t.Fatal(err)
	}
	lim := unix.Rlimit{Cur: min(1, old.Max), Max: old.Max}
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_CORE, &old) })
}
