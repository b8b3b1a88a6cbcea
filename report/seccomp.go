package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/rampart-sec/rampart/seccomp"
)

// SeccompProfile writes `rampart seccomp show`: the profile resolved for
// its bounding set, architecture and kernel, as OCI JSON (the
// runtime-spec's LinuxSeccomp).
func SeccompProfile(w io.Writer, p *seccomp.Profile) error {
	return writeJSON(w, p.Resolved())
}

// notable are syscalls whose refusal matters for containment, with what
// an attacker would do with them (facts for the list's "denied" table).
var notable = map[string]string{
	"acct":              "switch process accounting on or off",
	"add_key":           "use the kernel keyring, which is not namespaced",
	"bpf":               "load eBPF programs into the kernel",
	"clock_adjtime":     "adjust the system clock",
	"clock_settime":     "set the system clock",
	"clone":             "create namespaces (the flags decide)",
	"clone3":            "create processes with flags a filter cannot read",
	"delete_module":     "unload kernel modules",
	"finit_module":      "load kernel modules",
	"init_module":       "load kernel modules",
	"ioperm":            "access I/O ports",
	"iopl":              "change the I/O privilege level",
	"kcmp":              "compare kernel objects of other processes",
	"kexec_file_load":   "boot another kernel",
	"kexec_load":        "boot another kernel",
	"keyctl":            "use the kernel keyring, which is not namespaced",
	"lookup_dcookie":    "kernel tracing internals",
	"mount":             "mount filesystems",
	"move_mount":        "mount filesystems (new mount API)",
	"name_to_handle_at": "file handles, with open_by_handle_at",
	"open_by_handle_at": "open any file of a filesystem by handle (the shocker breakout)",
	"perf_event_open":   "trace and profile the kernel",
	"personality":       "change the execution domain (READ_IMPLIES_EXEC)",
	"pivot_root":        "change the root filesystem",
	"process_vm_readv":  "read another process's memory",
	"process_vm_writev": "write another process's memory",
	"ptrace":            "trace and control other processes",
	"quotactl":          "manipulate disk quotas",
	"reboot":            "reboot the host",
	"request_key":       "use the kernel keyring, which is not namespaced",
	"set_mempolicy":     "change NUMA policy of memory",
	"setns":             "join other namespaces",
	"settimeofday":      "set the system clock",
	"swapoff":           "disable swap",
	"swapon":            "enable swap",
	"syslog":            "read or clear the kernel log",
	"umount2":           "unmount filesystems",
	"unshare":           "create namespaces",
	"userfaultfd":       "stall kernel page-fault handling (exploit aid)",
	"io_uring_setup":    "the io_uring interface, a frequent exploit vector",
	"fsopen":            "mount filesystems (new mount API)",
	"open_tree":         "clone mount trees",
	"vm86":              "enter virtual 8086 mode",
}

// SeccompDecision writes `rampart seccomp explain`'s answer: the action
// the profile takes on one call (rawArgs as the user typed them), the
// rule that decided it, and what decided it (the compiled filter or the
// profile's rules).
func SeccompDecision(w io.Writer, p *seccomp.Profile, d *seccomp.Decision, rawArgs []string) {
	fmt.Fprintf(w, "%s(%s) on %s (nr %d) under %s:\n", d.Syscall, strings.Join(rawArgs, ", "), d.Arch, d.Nr&^0x40000000, p.Name)
	fmt.Fprintf(w, "  %s\n", d.Action)
	switch {
	case d.Default:
		fmt.Fprintf(w, "  decided by: the default action (no rule matches %s with these arguments)\n", d.Syscall)
	default:
		for _, r := range d.Rules {
			fmt.Fprintf(w, "  decided by: syscalls[%d] %s when %s\n", r.Index, seccomp.ActionString(r.Action, r.ErrnoValue()), r.Conditions())
			if r.ORed {
				fmt.Fprintf(w, "  note: this rule has several conditions on one argument; the engine ORs them, so it matches more than it seems to\n")
			}
		}
	}
	switch {
	case d.Source == "compiled filter" && p.Platform().GOARCH != seccomp.DefaultPlatform().GOARCH:
		fmt.Fprintf(w, "  source: the filter runc's engine builds on %s, compiled here, %d BPF instructions on this path\n", p.Platform(), d.PathLen)
	case d.Source == "compiled filter":
		fmt.Fprintf(w, "  source: the compiled filter the launcher loads, %d BPF instructions on this path\n", d.PathLen)
	case !seccomp.HaveCompiler():
		fmt.Fprintf(w, "  source: the profile's rules as the engine installs them (this build has no libseccomp to compile the filter)\n")
	default:
		fmt.Fprintf(w, "  source: the profile's rules as the engine installs them (run as root to decide with the compiled filter)\n")
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func derefErrno(e *uint, p *seccomp.Profile) uint {
	if e != nil {
		return *e
	}
	if p.Spec.DefaultErrnoRet != nil {
		return *p.Spec.DefaultErrnoRet
	}
	return 1
}

// SeccompList writes `rampart seccomp list`: the syscalls the profile
// allows, allows on conditions, and denies (the notable ones with what
// an attacker does with them; all of them with all).
func SeccompList(w io.Writer, p *seccomp.Profile, es []seccomp.Entry, all bool) {
	var allowed, denied []string
	var cond []seccomp.Entry
	for _, e := range es {
		switch e.Class {
		case seccomp.Allowed:
			allowed = append(allowed, e.Name)
		case seccomp.Conditional:
			cond = append(cond, e)
		default:
			denied = append(denied, e.Name)
		}
	}
	fmt.Fprintf(w, "%s: default %s; architectures %v\n\n", p.Name, seccomp.ActionString(p.Spec.DefaultAction, derefErrno(p.Spec.DefaultErrnoRet, p)), p.Spec.Architectures)
	fmt.Fprintf(w, "ALLOWED (%d)\n%s\n\n", len(allowed), wrapWords(allowed, 100, "  "))
	fmt.Fprintf(w, "CONDITIONALLY ALLOWED (%d)\n", len(cond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, e := range cond {
		for i, r := range e.Rules {
			name := e.Name
			if i > 0 {
				name = ""
			}
			fmt.Fprintf(tw, "  %s\t%s\twhen %s\n", name, seccomp.ActionString(r.Action, r.ErrnoValue()), r.Conditions())
		}
		fmt.Fprintf(tw, "  \t%s\totherwise\n", e.Action)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nDENIED (%d)\n", len(denied))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var rest []string
	for _, n := range denied {
		if why, ok := notable[n]; ok {
			fmt.Fprintf(tw, "  %s\t%s\n", n, why)
		} else {
			rest = append(rest, n)
		}
	}
	tw.Flush()
	if all {
		fmt.Fprintf(w, "%s\n", wrapWords(rest, 100, "  "))
	} else if len(rest) > 0 {
		fmt.Fprintf(w, "  ... and %d more (--all lists them)\n", len(rest))
	}
}

func wrapWords(words []string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, wd := range words {
		if len(line)+len(wd)+1 > width && line != indent {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += wd + " "
	}
	b.WriteString(strings.TrimRight(line, " "))
	return b.String()
}

func entryWords(e seccomp.Entry, p *seccomp.Profile) string {
	if e.Class != seccomp.Conditional {
		return e.Action
	}
	var parts []string
	for _, r := range e.Rules {
		parts = append(parts, seccomp.ActionString(r.Action, r.ErrnoValue())+" when "+r.Conditions())
	}
	return strings.Join(parts, "; ") + "; otherwise " + e.Action
}

// SeccompDiff writes `rampart seccomp diff`: each syscall the two
// profiles decide differently, per syscall and condition, in words.
func SeccompDiff(w io.Writer, nameA, nameB string, a, b *seccomp.Profile) error {
	universe := seccomp.SyscallNames(a.Platform().Native())
	for _, p := range []*seccomp.Profile{a, b} {
		for _, r := range p.Rules() {
			universe = append(universe, r.Name)
		}
	}
	ea, eb := map[string]seccomp.Entry{}, map[string]seccomp.Entry{}
	for _, e := range a.Classify(universe) {
		ea[e.Name] = e
	}
	for _, e := range b.Classify(universe) {
		eb[e.Name] = e
	}
	var names []string
	for n := range ea {
		names = append(names, n)
	}
	for n := range eb {
		if _, ok := ea[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "SYSCALL\t%s\t%s\n", nameA, nameB)
	n := 0
	for _, name := range names {
		x, y := entryWords(ea[name], a), entryWords(eb[name], b)
		if x == y {
			continue
		}
		n++
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, x, y)
	}
	tw.Flush()
	if n == 0 {
		fmt.Fprintln(w, "the two profiles decide every syscall the same way")
	} else {
		fmt.Fprintf(w, "\n%d syscall(s) differ\n", n)
	}
	return nil
}
