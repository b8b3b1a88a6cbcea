package record

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/rampart-sec/rampart/internal/linuxabi"

	"github.com/rampart-sec/rampart/seccomp"
)

// runtimeSyscalls are what the launcher calls between loading the filter
// and the workload's execve, so the profile allows them whatever the
// workload did. rampart run re-reads its status (pread64) and closes it;
// runc (1.1 to 1.5, no_new_privs on, as allowPrivilegeEscalation: false
// makes it) closes its pipes, reopens and writes the exec fifo through
// /proc (openat, openat2, fstatfs, statx, readlinkat), marks its fds
// close-on-exec (getdents64, fcntl), and its Go runtime may park or wake
// the thread (futex, nanosleep, sched_yield, signals). Checked against
// both by running a recorded profile for real (see the tests).
var runtimeSyscalls = []string{
	"execve", "exit", "exit_group",
	"close", "read", "pread64", "write", "openat", "openat2",
	"fcntl", "fstat", "newfstatat", "statx", "fstatfs", "readlinkat", "getdents64",
	"getpid", "gettid", "epoll_ctl", "epoll_pwait",
	"futex", "nanosleep", "sched_yield", "rt_sigreturn", "rt_sigprocmask", "tgkill",
	"mmap", "munmap", "madvise",
}

// nsFlags are the namespace flags of clone(2): CLONE_NEWNS, NEWCGROUP,
// NEWUTS, NEWIPC, NEWUSER, NEWPID and NEWNET, as Docker's profile masks
// them. CLONE_NEWTIME (0x80) is left out: in clone(2)'s flags those bits
// are the exit signal.
const nsFlags = linuxabi.CLONE_NEWNS | linuxabi.CLONE_NEWCGROUP | linuxabi.CLONE_NEWUTS | linuxabi.CLONE_NEWIPC |
	linuxabi.CLONE_NEWUSER | linuxabi.CLONE_NEWPID | linuxabi.CLONE_NEWNET

// valueArgs are the calls allowed only with the argument values seen:
// one option, mode or request each, which the kernel reads as a 32-bit
// int, so the filter compares the low 32 bits only (a 64-bit compare
// would refuse a value with garbage in the upper half that the kernel
// accepts as the same call).
var valueArgs = []struct {
	name string
	arg  int
}{{"personality", 0}, {"prctl", 0}, {"socketcall", 0}, {"ioctl", 1}}

// seccompProfile builds the allow list: every syscall the recording
// made, on the ABIs it made them, plus runtimeSyscalls; arguments
// conditioned where the recording saw their values and the condition
// can be expressed safely. Everything else fails with EPERM.
func (g *Generated) seccompProfile(rec *Recording, ioctlMax int) (*seccomp.Profile, error) {
	// The profile is for the machine the recording was made on: its
	// native ABI always, each compat one the recording used.
	plat := recordingPlatform(rec)
	native := plat.Native()
	if _, err := seccomp.SyscallNumber("read", native); err != nil {
		return nil, fmt.Errorf("a seccomp profile needs libseccomp's syscall tables: %w", err)
	}
	nativeSpec, _ := specArch(native.Name)
	eperm := uint(linuxabi.EPERM)
	spec := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: &eperm, Architectures: []specs.Arch{nativeSpec}}
	allow := map[string]bool{}
	var unknown []string
	for _, abi := range slices.Sorted(maps.Keys(rec.Syscalls)) {
		sa, err := seccomp.ArchByName(abi)
		if err != nil || !slices.Contains(plat.Arches, sa) {
			g.note("seccomp: syscalls of ABI %q left out: not an ABI of %s (%s)", abi, plat, archList(plat))
			continue
		}
		arch, _ := specArch(sa.Name)
		used := false
		for _, name := range slices.Sorted(maps.Keys(rec.Syscalls[abi])) {
			if rec.Syscalls[abi][name] == 0 {
				continue
			}
			if _, err := seccomp.SyscallNumber(name, sa); err != nil {
				unknown = append(unknown, abi+":"+name)
				continue
			}
			allow[name], used = true, true
		}
		if used && arch != nativeSpec {
			spec.Architectures = append(spec.Architectures, arch)
		}
	}
	if len(unknown) > 0 {
		g.note("seccomp: syscalls libseccomp cannot name, left out (they fail with EPERM): %s", strings.Join(unknown, ", "))
	}
	g.archNotes(plat, spec.Architectures)
	for _, n := range runtimeSyscalls {
		allow[n] = true
	}

	vals := argValues(rec)
	var rules []specs.LinuxSyscall
	cond := func(name string, args ...specs.LinuxSeccompArg) {
		rules = append(rules, specs.LinuxSyscall{Names: []string{name}, Action: specs.ActAllow, Args: args})
	}
	low32 := func(idx int, v uint64) specs.LinuxSeccompArg {
		return specs.LinuxSeccompArg{Index: uint(idx), Value: 0xffffffff, ValueTwo: v & 0xffffffff, Op: specs.OpMaskedEqual}
	}

	for _, va := range valueArgs {
		if !allow[va.name] {
			continue
		}
		vs := uniqueLow32(vals[argKey{va.name, va.arg}])
		switch {
		case len(vs) == 0:
			g.note("seccomp: %s allowed with any argument: the recording has no values for it", va.name)
			continue
		case va.name == "ioctl" && ioctlMax < 0:
			g.note("seccomp: ioctl allowed with any request (conditioning it is turned off)")
			continue
		case va.name == "ioctl" && len(vs) > ioctlMaxOr(ioctlMax):
			g.note("seccomp: ioctl allowed with any request: %d distinct requests seen, more than %d", len(vs), ioctlMaxOr(ioctlMax))
			continue
		}
		delete(allow, va.name)
		for _, v := range vs {
			cond(va.name, low32(va.arg, v))
		}
		g.note("seccomp: %s only with arg%d (low 32 bits) in %s", va.name, va.arg, hexList(vs))
	}

	socketRules := false
	for _, call := range []string{"socket", "socketpair"} {
		if !allow[call] {
			continue
		}
		kinds, ok := socketKinds(rec, call, vals)
		if !ok {
			g.note("seccomp: %s allowed with any family and type: the recording does not say which", call)
			continue
		}
		delete(allow, call)
		socketRules = true
		var desc []string
		for _, k := range kinds {
			cond(call, low32(0, k.family), specs.LinuxSeccompArg{Index: 1, Value: 0xf, ValueTwo: k.typ, Op: specs.OpMaskedEqual})
			desc = append(desc, familyName(uint32(k.family))+"/"+sockTypeName(uint32(k.typ)))
		}
		g.note("seccomp: %s only as %s", call, strings.Join(desc, ", "))
	}
	if socketRules && slices.Contains(spec.Architectures, specs.ArchX86) {
		g.note("seccomp: on x86 (i386), socket calls made through socketcall(2) hide their arguments behind a pointer the filter cannot read: there, the family and type conditions do not hold")
	}

	// clone and clone3: no namespaces unless the recording created some.
	if allow["clone"] || allow["clone3"] {
		var seen uint64
		for _, v := range vals[argKey{"clone", 0}] {
			seen |= v & nsFlags
		}
		var seen3 uint64
		for _, v := range vals[argKey{"clone3", -1}] {
			seen3 |= v & nsFlags
		}
		if allow["clone3"] && seen3 == 0 {
			// Its flags are in memory, out of the filter's reach: ENOSYS
			// makes libc fall back to clone(2), whose flags it can check.
			delete(allow, "clone3")
			enosys := uint(linuxabi.ENOSYS)
			rules = append(rules, specs.LinuxSyscall{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: &enosys})
			allow["clone"] = true
			g.note("seccomp: clone3 fails with ENOSYS (its flags are out of the filter's reach), so libc falls back to clone, whose flags it checks")
		} else if allow["clone3"] {
			g.note("seccomp: clone3 allowed with any flags: the recording saw it create namespaces (%#x), and its flags are out of the filter's reach", seen3)
		}
		if mask := nsFlags &^ (seen | seen3); allow["clone"] && mask != 0 {
			delete(allow, "clone")
			cond("clone", specs.LinuxSeccompArg{Index: 0, Value: mask, ValueTwo: 0, Op: specs.OpMaskedEqual})
			g.note("seccomp: clone only without the namespace flags the recording did not use (arg0 & %#x == 0)", mask)
		}
	}

	names := slices.Sorted(maps.Keys(allow))
	spec.Syscalls = append([]specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}}, rules...)
	body, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	p, err := seccomp.ParseOn(plat, g.Name+".json", body, g.Caps)
	if err != nil {
		return nil, fmt.Errorf("generated seccomp profile: %w", err) // a bug: the fuzz target looks for it
	}
	for _, n := range p.Notes {
		g.note("seccomp: %s", n)
	}
	return p, nil
}

func (g *Generated) archNotes(plat seccomp.Platform, arches []specs.Arch) {
	native := plat.Native().Name
	if len(arches) == 1 {
		unused := "32-bit (x86, int 0x80) or x32 calls"
		if plat.GOARCH == seccomp.ARM64.GOARCH {
			unused = "32-bit (arm, AArch32) calls"
		}
		g.note("seccomp: architectures %s only: the recording made no %s, so the filter refuses those ABIs wholesale (a process is killed with SIGSYS at its first such call), and the per-syscall rules cannot be sidestepped through them", native, unused)
		return
	}
	var extra []string
	for _, a := range arches[1:] {
		extra = append(extra, strings.ToLower(strings.TrimPrefix(string(a), "SCMP_ARCH_")))
	}
	g.note("seccomp: architectures %s and %s, because the recording used them; the allow list applies to each", native, strings.Join(extra, ", "))
}

// archList names plat's ABIs: "x86_64, x86, x32".
func archList(plat seccomp.Platform) string {
	var names []string
	for _, a := range plat.Arches {
		names = append(names, a.Name)
	}
	return strings.Join(names, ", ")
}

func ioctlMaxOr(n int) int {
	if n == 0 {
		return DefaultIoctlMax
	}
	return n
}

type argKey struct {
	syscall string
	arg     int
}

// argValues gathers the values per call and argument over every ABI: an
// allow list's rules apply to each architecture it lists.
func argValues(rec *Recording) map[argKey][]uint64 {
	m := map[argKey][]uint64{}
	for _, a := range rec.Args {
		k := argKey{a.Syscall, a.Arg}
		m[k] = append(m[k], a.Value)
	}
	return m
}

func uniqueLow32(vs []uint64) []uint64 {
	set := map[uint64]bool{}
	for _, v := range vs {
		set[v&0xffffffff] = true
	}
	out := make([]uint64, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func hexList(vs []uint64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprintf("%#x", v)
	}
	return "{" + strings.Join(s, ", ") + "}"
}

// sockKind is a socket's family and type (without SOCK_NONBLOCK and
// SOCK_CLOEXEC).
type sockKind struct{ family, typ uint64 }

// socketKinds are the kinds of sockets call created: the recorded pairs,
// or, where the recorder kept only the argument values, every pairing of
// the families and types seen. ok is false when it cannot tell.
func socketKinds(rec *Recording, call string, vals map[argKey][]uint64) ([]sockKind, bool) {
	set := map[sockKind]bool{}
	for _, s := range rec.Sockets {
		if s.Syscall != call {
			continue
		}
		f, ok1 := parseFamily(s.Family)
		t, ok2 := parseSockType(s.Type)
		if !ok1 || !ok2 {
			return nil, false
		}
		set[sockKind{f, t}] = true
	}
	if len(set) == 0 {
		for _, f := range uniqueLow32(vals[argKey{call, 0}]) {
			for _, t := range vals[argKey{call, 1}] {
				set[sockKind{f, t & 0xf}] = true
			}
		}
	}
	out := make([]sockKind, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].family < out[j].family || out[i].family == out[j].family && out[i].typ < out[j].typ
	})
	return out, len(out) > 0
}

// parseFamily reads a family as the recorder spells it: AF_INET, AF_42.
func parseFamily(s string) (uint64, bool) {
	if n, err := strconv.ParseUint(strings.TrimPrefix(s, "AF_"), 10, 8); err == nil && strings.HasPrefix(s, "AF_") {
		return n, true
	}
	for f := uint32(0); f < 64; f++ {
		if familyName(f) == s {
			return uint64(f), true
		}
	}
	return 0, false
}

// parseSockType reads a type as the recorder spells it, flags and all
// (SOCK_STREAM|SOCK_CLOEXEC), and returns the type alone.
func parseSockType(s string) (uint64, bool) {
	base, _, _ := strings.Cut(s, "|")
	if n, err := strconv.ParseUint(strings.TrimPrefix(base, "SOCK_"), 10, 4); err == nil && strings.HasPrefix(base, "SOCK_") {
		return n, true
	}
	for t := uint32(0); t < 16; t++ {
		if sockTypeName(t) == base {
			return uint64(t), true
		}
	}
	return 0, false
}
