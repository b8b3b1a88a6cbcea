package lint

import (
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/rampart-sec/rampart/internal/linuxabi"

	"github.com/rampart-sec/rampart/seccomp"
)

// The checks, by ID.
const (
	CheckInvalid         = "invalid"
	CheckConflict        = "conflict"
	CheckCompile         = "compile"
	CheckRefusesStart    = "refuses-start"
	CheckArgumentVariant = "argument-variant"
	CheckABIVariant      = "abi-variant"
	CheckSibling         = "sibling"
	CheckFallback        = "enosys-fallback"
	CheckENOSYS          = "enosys-refusal"
	CheckDefaultAllow    = "default-allow"
	CheckLog             = "log-not-enforcing"
	CheckArchUnused      = "arch-without-rules"
	CheckArchMissing     = "arch-missing"
	CheckNewerDeny       = "newer-syscall-deny"
	CheckNewerAllow      = "newer-syscall-allow"
	CheckDenyUnapplied   = "deny-not-applied"
)

// Check describes one kind of finding.
type Check struct {
	ID       string
	Severity Severity // the usual one; conflict is a warning in a runtime's own profile
	Title    string
	Help     string
}

// Checks lists every check, in the order of the classes a profile's
// claims fall into: what rampart run refuses, denies that do not hold,
// defaults and actions that refuse nothing, ABIs, newer syscalls.
var Checks = []Check{
	{CheckInvalid, Error, "the profile cannot be used",
		"The profile is malformed, or names something the runtimes would drop or misread without a word (an unknown syscall, architecture or capability, a key written twice, a deny rule that cannot be installed): rampart run refuses it (exit 125)."},
	{CheckConflict, Error, "two rules answer differently for one call",
		"The format does not say which rule wins, and libseccomp picks by the shape of the conditions, not by their order or the stricter action: a deny among them may not hold. rampart run refuses such a profile; a runtime's own profile is enforced as its engine builds it."},
	{CheckCompile, Error, "the compiled filter does not do what the rules say",
		"libseccomp built a program that answers a call differently from the profile's rules, or none at all: rampart run refuses it."},
	{CheckRefusesStart, Error, "the profile refuses what every workload needs",
		"The compiled filter refuses execve, or exit_group and its fallback exit: the workload could never start, or never end but by a signal (exit 126, 139 or 159 without a word about seccomp). rampart run refuses it."},
	{CheckArgumentVariant, Warning, "an argument variant gets past a deny",
		"A rule compares a flags argument with SCMP_CMP_EQ (a harmless flag added no longer matches), or all 64 bits of an argument the kernel reads as 32 (a high bit set no longer matches), or leaves out a value that asks for the same thing: the same request passes the filter. Compare the bits that matter with SCMP_CMP_MASKED_EQ."},
	{CheckABIVariant, Warning, "the same call on another ABI gets past a deny",
		"The filter lets in x32 or i386 calls (INT $0x80 works from a 64-bit program), and the deny does not hold there: i386 socketcall(2) and ipc(2) carry their calls' arguments behind a pointer no filter can read. Drop the ABI from architectures unless the workload needs it: the kernel then refuses the whole ABI."},
	{CheckSibling, Warning, "a sibling syscall does what a deny refuses",
		"The profile refuses one call but allows another that makes the kernel do the same: unshare and clone/clone3, mount and the new mount API, open and openat/openat2/io_uring, ptrace and process_vm_readv/writev, init_module and finit_module, socket and socketpair/io_uring. Refuse the siblings too."},
	{CheckFallback, Warning, "an ENOSYS refusal sends callers to a sibling the profile allows",
		"ENOSYS tells libc and programs that the kernel lacks the call, and they fall back to a sibling that does the same; an attacker does too. Where the profile allows the sibling, the refusal stops nobody."},
	{CheckENOSYS, Info, "a refusal answers ENOSYS",
		"Callers read ENOSYS as 'this kernel has no such call', not as a refusal: they report a missing feature, or take another route where they know one. ENOSYS is right for newer interfaces callers fall back from (clone3, openat2, faccessat2, ...); EPERM says refused."},
	{CheckDefaultAllow, Warning, "the default action allows",
		"A deny list refuses only the calls it names: siblings it does not name, and every syscall newer than the profile, are allowed."},
	{CheckLog, Warning, "SCMP_ACT_LOG used where it refuses nothing",
		"SCMP_ACT_LOG lets the call through and only writes an audit record: as a default, or as a rule under an allowing default, it enforces nothing."},
	{CheckArchUnused, Info, "an ABI is let in for no rule",
		"The profile lists an ABI (x32, i386) and no rule is written for it: every call allowed on x86_64 is allowed from that ABI too, whose kernel entry points few workloads use. Without it in architectures the kernel refuses the whole ABI."},
	{CheckArchMissing, Info, "rules for an ABI the profile does not list",
		"Rules name calls of an ABI (i386's socketcall, the 32-bit ID calls) or include an architecture that architectures leaves out: they never apply, and the filter refuses every call of that ABI (the process is killed)."},
	{CheckDenyUnapplied, Warning, "a deny that does not apply on this host",
		"The runtimes leave out an entry whose includes or excludes do not match the host: includes.arches is compared with the host's architecture (amd64), not with the ABI of the call, so a deny written for i386 calls (\"x86\") never applies on an x86_64 host; includes.minKernel above the running kernel drops it too. The call is allowed there. To refuse a call of another ABI, list that ABI in architectures and drop includes.arches."},
	{CheckNewerDeny, Warning, "a deny on a syscall newer than libseccomp",
		"This machine's libseccomp does not know the syscall: runc, and the runtimes built on it, drop the rule without a word and the kernel runs the call. rampart run installs it by number."},
	{CheckNewerAllow, Info, "an allow on a syscall newer than libseccomp",
		"This machine's libseccomp does not know the syscall: the rule is left out, and the call gets the default action (or runc's ENOSYS for syscalls newer than the profile)."},
}

// CheckByID returns the check with id.
func CheckByID(id string) (Check, bool) {
	i := slices.IndexFunc(Checks, func(c Check) bool { return c.ID == id })
	if i < 0 {
		return Check{}, false
	}
	return Checks[i], true
}

// start reports a filter that refuses what every workload needs to start
// and end (the checks rampart run makes, less those of its own calls).
func (l *linter) start(f *seccomp.Filter) {
	native := l.p.Platform().Native()
	needs := []seccomp.Need{
		{Name: "execve", Arch: native, Why: "so the workload can never start", Args: [][6]uint64{{}, {0xc000100000, 0xc000100100, 0xc000100200}}},
		{Name: "exit_group", Arch: native, Fallback: "exit", Why: "so the workload cannot end but by a signal", Args: [][6]uint64{{0}, {1}}},
	}
	for _, n := range needs {
		if err := f.Require(n); err != nil {
			fd := Finding{Check: CheckRefusesStart, Severity: Error, File: l.file, Syscall: n.Name,
				Message: fmt.Sprintf("rampart run refuses this profile: %v", err),
				Fix:     fmt.Sprintf("allow %s", n.Name)}
			if n.Fallback != "" {
				fd.Fix += " (or at least " + n.Fallback + ")"
			}
			for _, r := range l.p.Rules() {
				if r.Name == n.Name {
					fd = l.atRule(fd, r)
					break
				}
			}
			if fd.Line == 0 && fd.Field == "" {
				fd = l.at(fd, "defaultAction")
			}
			l.add(fd)
		}
	}
}

// fallsBack are calls that libc and programs retry another way when they
// answer ENOSYS: a newer interface beside an older one. Refusing them
// with ENOSYS is the intended use (the older call's rules then decide).
var fallsBack = map[string]bool{
	"clone3": true, "openat2": true, "faccessat2": true, "fchmodat2": true, "statx": true,
	"close_range": true, "epoll_pwait2": true, "pidfd_open": true, "pidfd_send_signal": true,
	"pidfd_getfd": true, "copy_file_range": true, "rseq": true, "membarrier": true,
	"getrandom": true, "memfd_create": true, "renameat2": true, "preadv2": true, "pwritev2": true,
	"execveat": true, "io_uring_setup": true, "io_uring_enter": true, "io_uring_register": true,
	"fsopen": true, "fsconfig": true, "fsmount": true, "fspick": true, "open_tree": true,
	"move_mount": true, "mount_setattr": true, "futex_waitv": true, "process_madvise": true,
	"landlock_create_ruleset": true, "landlock_add_rule": true, "landlock_restrict_self": true,
	"cachestat": true, "map_shadow_stack": true, "futex_wake": true, "futex_wait": true,
	"futex_requeue": true, "statmount": true, "listmount": true, "mseal": true,
	"lsm_get_self_attr": true, "lsm_set_self_attr": true, "lsm_list_modules": true,
	"setxattrat": true, "getxattrat": true, "listxattrat": true, "removexattrat": true,
	"open_tree_attr": true, "file_getattr": true, "file_setattr": true, "set_mempolicy_home_node": true,
	"sched_setattr": true, "sched_getattr": true, "pkey_alloc": true, "pkey_free": true, "pkey_mprotect": true,
	"userfaultfd": true, "seccomp": true, "kcmp": true, "name_to_handle_at": true,
}

// enosys reports refusals that answer ENOSYS where callers do not fall
// back: the profile means a refusal and says "not implemented".
func (l *linter) enosys() {
	enosys := uint(linuxabi.ENOSYS)
	for _, r := range l.p.Rules() {
		if r.Action != specs.ActErrno || r.ErrnoValue() != enosys || fallsBack[r.Name] {
			continue
		}
		l.add(l.atRule(Finding{Check: CheckENOSYS, Severity: Info,
			Message: fmt.Sprintf("%s is refused with ENOSYS, which callers read as a kernel without %s, not as a refusal: they report a missing feature, or take another route where they know one", r.Name, r.Name),
			Fix:     `say refused with "errnoRet": 1 (EPERM); keep ENOSYS for newer interfaces callers fall back from (clone3, openat2, faccessat2, ...)`}, r))
	}
	if l.p.Spec.DefaultAction == specs.ActErrno && l.p.Spec.DefaultErrnoRet != nil && *l.p.Spec.DefaultErrnoRet == enosys {
		l.add(l.at(Finding{Check: CheckENOSYS, Severity: Info,
			Message: "defaultErrnoRet 38: every call the profile does not allow answers ENOSYS, which suits syscalls newer than the profile (callers fall back to older ones) and misleads for the others (a refused mount or ptrace reads as a kernel without it)",
			Fix:     `answer EPERM by default ("defaultErrnoRet": 1) and ENOSYS by rule for the newer interfaces callers fall back from`}, "defaultErrnoRet"))
	}
}

// unapplied reports the deny entries resolution left out on this host.
func (l *linter) unapplied() {
	for _, u := range l.p.Unapplied {
		l.add(l.at(Finding{Check: CheckDenyUnapplied, Severity: Warning, Syscall: strings.Join(u.Names, ","),
			Message: fmt.Sprintf("%s %s does not apply on this host: %s", strings.Join(u.Names, ", "), l.p.Written()[u.Entry].Action, u.Why),
			Fix:     "drop the condition, or write the deny without it in a profile for this host"}, fmt.Sprintf("syscalls[%d].%s", u.Entry, u.Field)))
	}
}

// arches reports ABIs the filter lets in without a rule written for
// them, and rules for ABIs it does not let in.
func (l *linter) arches() {
	p := l.p
	written := p.Written()
	for _, arch := range p.Platform().Arches[1:] {
		// rules written for the ABI: an entry that includes it, or a
		// syscall only that ABI has
		var own []string
		for i, e := range written {
			if slices.Contains(e.Arches, scmpName(arch)) && !slices.ContainsFunc(p.Unapplied, func(u seccomp.Unapplied) bool { return u.Entry == i }) {
				own = append(own, e.Names...)
			}
		}
		for _, r := range p.Rules() {
			if onlyOn(p.Platform(), r.Name, arch) && !slices.Contains(own, r.Name) {
				own = append(own, r.Name)
			}
		}
		listed := p.Covers(arch)
		switch {
		case listed && len(own) == 0:
			path, spec := l.archPath(arch)
			how := "a 64-bit program makes i386 calls with INT $0x80"
			switch {
			case arch.X32:
				how = "a 64-bit program makes x32 calls with the x32 bit in the syscall number, on a kernel built with x32"
			case arch.Name == "arm":
				how = "a 32-bit ARM program runs on an arm64 kernel with COMPAT, on cores that run AArch32"
			}
			native := p.Platform().Native().Name
			l.add(l.at(Finding{Check: CheckArchUnused, Severity: Info,
				Message: fmt.Sprintf("%s lets %s calls in and no rule is written for that ABI: every call allowed on %s is allowed from %s code too (%s)", spec, arch.Name, native, arch.Name, how),
				Fix:     fmt.Sprintf("remove %s from the architectures unless the workload runs %s code: the kernel then refuses the whole ABI", spec, arch.Name)}, path))
		case !listed && len(own) > 0:
			f := Finding{Check: CheckArchMissing, Severity: Info,
				Message: fmt.Sprintf("rules are written for %s (%s), but the architectures leave it out: they never apply, and the filter refuses every %s call (the process is killed)", arch.Name, strings.Join(own, ", "), arch.Name),
				Fix:     fmt.Sprintf("add %s to the architectures if the workload runs %s code, or drop the rules", specArch(arch), arch.Name)}
			if i := slices.IndexFunc(p.Rules(), func(r seccomp.Rule) bool { return r.Name == own[0] }); i >= 0 {
				f = l.atRule(f, p.Rules()[i])
			} else {
				f = l.at(f, "architectures")
			}
			l.add(f)
		}
	}
}

// archPath is where an ABI is let in: its architectures entry, or the
// archMap it comes from.
func (l *linter) archPath(arch seccomp.Arch) (string, string) {
	spec := specArch(arch)
	for i, a := range l.p.Spec.Architectures {
		if string(a) != spec {
			continue
		}
		path := fmt.Sprintf("architectures[%d]", i)
		if line, _ := l.p.FieldPos(path); line > 0 || l.file == "" {
			return path, spec
		}
		if line, _ := l.p.FieldPos("archMap"); line > 0 {
			return "archMap", spec
		}
		return path, spec
	}
	return "architectures", spec
}

func specArch(a seccomp.Arch) string {
	switch a.Name {
	case "x86":
		return string(specs.ArchX86)
	case "x32":
		return string(specs.ArchX32)
	case "aarch64":
		return string(specs.ArchAARCH64)
	case "arm":
		return string(specs.ArchARM)
	}
	return string(specs.ArchX86_64)
}

// scmpName is the name includes.arches uses.
func scmpName(a seccomp.Arch) string {
	if a.Name == "x86_64" {
		return "amd64"
	}
	return a.Name
}

// onlyOn says whether name is a syscall of arch that the native ABI of
// plat has not.
func onlyOn(plat seccomp.Platform, name string, arch seccomp.Arch) bool {
	if _, err := seccomp.SyscallNumber(name, plat.Native()); err == nil {
		return false
	}
	_, err := seccomp.SyscallNumber(name, arch)
	return err == nil
}

// newer reports rules on syscalls this machine's libseccomp does not
// know: runc drops them.
func (l *linter) newer() {
	p := l.p
	for _, r := range p.ByNumber {
		rule := seccomp.Rule{Index: r.Index, Name: r.Name, Action: r.Action, Errno: r.Errno, ByNumber: true}
		l.add(l.atRule(Finding{Check: CheckNewerDeny, Severity: Warning,
			Message: fmt.Sprintf("libseccomp %s does not know %s (Linux %s): runc, and the runtimes built on it, drop this rule without a word, and the kernel runs %s; rampart run installs the rule by number", seccomp.LibseccompVersion(), r.Name, seccomp.NewerSince(r.Name), r.Name),
			Fix:     fmt.Sprintf("refuse by default, so that %s is refused where libseccomp does not know it, or give the nodes a libseccomp that knows it", r.Name)}, rule))
	}
	// allow rules, one finding per entry; a syscall of another
	// architecture (riscv_hwprobe) is no call of this one
	var order []int
	byEntry := map[int][]seccomp.NumberedRule{}
	for _, r := range p.Dropped {
		if _, err := seccomp.SyscallNumber(r.Name, p.Platform().Native()); err != nil {
			continue
		}
		if byEntry[r.Index] == nil {
			order = append(order, r.Index)
		}
		byEntry[r.Index] = append(byEntry[r.Index], r)
	}
	for _, i := range order {
		rs := byEntry[i]
		var names []string
		for _, r := range rs {
			names = append(names, fmt.Sprintf("%s (Linux %s)", r.Name, seccomp.NewerSince(r.Name)))
		}
		r := rs[0]
		rule := seccomp.Rule{Index: r.Index, Name: r.Name, Action: r.Action, Errno: r.Errno, ByNumber: true}
		l.add(l.atRule(Finding{Check: CheckNewerAllow, Severity: Info,
			Message: fmt.Sprintf("libseccomp %s does not know %s: the rule is left out of the filter for them, and they get %s (or runc's ENOSYS for syscalls newer than the profile)", seccomp.LibseccompVersion(), strings.Join(names, ", "), seccomp.ActionString(p.Spec.DefaultAction, derefErrno(p.Spec.DefaultErrnoRet))),
			Fix:     "nothing, unless the workload uses them: then a libseccomp that knows them"}, rule))
	}
}

func derefErrno(e *uint) uint {
	if e == nil {
		return 1
	}
	return *e
}
