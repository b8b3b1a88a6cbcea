package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp"
)

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

func newSeccompCmd(stdout io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "seccomp",
		Short: "Profile tools: show, explain a decision, list, diff, lint",
		Long: `Tools for seccomp profiles: OCI / Docker / containerd JSON files, Security
Profiles Operator SeccompProfile objects, or runtime-default (Docker's and
containerd's default profile, resolved against the bounding set given by
--caps, as they resolve it).`,
	}
	var capList, capListB []string
	resolveWith := func(ref string, capList []string) (*seccomp.Profile, error) {
		bounding := runtimes.Containerd.Caps
		if len(capList) > 0 {
			supported, err := caps.Supported()
			if err != nil {
				return nil, err
			}
			s, err := caps.ParseList(capList, supported)
			if err != nil {
				return nil, usageError{fmt.Errorf("--caps: %w", err)}
			}
			bounding = s
		}
		f := policy.Flags{Seccomp: ref}
		p, err := f.Apply(nil)
		if err != nil {
			return nil, err
		}
		prof, err := seccomp.Load(p.Seccomp, bounding)
		if err != nil {
			return nil, err
		}
		if prof == nil {
			return nil, usageError{fmt.Errorf("%s: no filter (unconfined)", ref)}
		}
		return prof, nil
	}
	resolve := func(ref string) (*seccomp.Profile, error) { return resolveWith(ref, capList) }
	root.PersistentFlags().StringSliceVar(&capList, "caps", nil, "the bounding set a profile is resolved against (default: containerd's 14; ALL for full root)")

	show := &cobra.Command{
		Use:   "show PROFILE",
		Short: "Print the profile resolved for a bounding set, architecture and kernel (OCI JSON)",
		Example: `  rampart seccomp show runtime-default
  rampart seccomp show runtime-default --caps ALL`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := resolve(args[0])
			if err != nil {
				return err
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(p.Resolved())
		},
	}

	var arch string
	explain := &cobra.Command{
		Use:   "explain PROFILE SYSCALL [ARG...]",
		Short: "The action a profile takes on one call, and the rule that decided it",
		Long: `Decide one call with the program the launcher loads (run through rampart's
BPF interpreter; reading the program back needs root) and name the profile
rule that decided it. Arguments take numbers or constants joined by |:
AF_INET, SOCK_RAW|SOCK_CLOEXEC, CLONE_NEWUSER|CLONE_NEWNET, TIOCSTI,
READ_IMPLIES_EXEC, ...`,
		Example: `  rampart seccomp explain runtime-default unshare CLONE_NEWUSER|CLONE_NEWNET
  rampart seccomp explain runtime-default --caps ALL unshare CLONE_NEWUSER
  rampart seccomp explain profile.json ioctl 0 0xffffffff00005412
  rampart seccomp explain runtime-default --arch x86 socket AF_INET SOCK_RAW`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 8 {
				return usageError{fmt.Errorf("a syscall has at most 6 arguments")}
			}
			p, err := resolve(args[0])
			if err != nil {
				return err
			}
			a, err := seccomp.ArchByName(arch)
			if err != nil {
				return usageError{err}
			}
			var argv [6]uint64
			for i, s := range args[2:] {
				if argv[i], err = seccomp.ParseArg(s); err != nil {
					return usageError{err}
				}
			}
			f, err := seccomp.Compile(p)
			if err != nil {
				return err
			}
			d, err := seccomp.Explain(p, f.Program(), a, args[1], argv)
			if err != nil {
				return usageError{err}
			}
			printDecision(stdout, p, d, args[2:])
			return nil
		},
	}
	explain.Flags().StringVar(&arch, "arch", "x86_64", "ABI: x86_64, x86 (i386) or x32")

	var all bool
	list := &cobra.Command{
		Use:   "list PROFILE",
		Short: "Allowed, conditionally allowed and denied syscalls",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := resolve(args[0])
			if err != nil {
				return err
			}
			printList(stdout, p, p.Classify(seccomp.SyscallNames(seccomp.Arches[0])), all)
			return nil
		},
	}
	list.Flags().BoolVar(&all, "all", false, "list every denied syscall, not only the notable ones")

	diff := &cobra.Command{
		Use:   "diff A B",
		Short: "What one profile allows that the other does not, per syscall and condition",
		Example: `  rampart seccomp diff runtime-default my-profile.json
  rampart seccomp diff runtime-default runtime-default --caps-b ALL   # what full root's capabilities open`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := resolve(args[0])
			if err != nil {
				return err
			}
			bCaps := capList
			if len(capListB) > 0 {
				bCaps = capListB
			}
			b, err := resolveWith(args[1], bCaps)
			if err != nil {
				return err
			}
			return printDiff(stdout, args[0], args[1], a, b)
		},
	}
	diff.Flags().StringSliceVar(&capListB, "caps-b", nil, "resolve B against this bounding set instead of --caps")
	root.AddCommand(show, explain, list, diff, newSeccompLintCmd(stdout, &capList))
	return root
}

func printDecision(w io.Writer, p *seccomp.Profile, d *seccomp.Decision, rawArgs []string) {
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
	if d.Source == "compiled filter" {
		fmt.Fprintf(w, "  source: the compiled filter the launcher loads, %d BPF instructions on this path\n", d.PathLen)
	} else {
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

func printList(w io.Writer, p *seccomp.Profile, es []seccomp.Entry, all bool) {
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

func printDiff(w io.Writer, nameA, nameB string, a, b *seccomp.Profile) error {
	universe := seccomp.SyscallNames(seccomp.Arches[0])
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
