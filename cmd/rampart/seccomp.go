package main

import (
	"cmp"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/report"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp"
)

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
	var platform string
	resolveWith := func(ref string, capList []string) (*seccomp.Profile, error) {
		plat, err := platformFlag(platform)
		bounding, set, cerr := capsFlag(capList)
		if err = cmp.Or(err, cerr); err != nil {
			return nil, err
		} else if !set {
			bounding = runtimes.Containerd.Caps
		}
		f := policy.Flags{Seccomp: ref}
		p, err := f.Apply(nil)
		if err != nil {
			return nil, err
		}
		prof, err := seccomp.LoadOn(plat, p.Seccomp, bounding)
		if err != nil {
			return nil, err
		}
		if prof == nil {
			return nil, usageError{fmt.Errorf("%s: no filter (unconfined)", ref)}
		}
		return prof, nil
	}
	resolve := func(ref string) (*seccomp.Profile, error) { return resolveWith(ref, capList) }
	root.PersistentFlags().StringVar(&platform, "platform", "", "the machine the profile is resolved and compiled for, amd64 or arm64 (default: this machine's on Linux, amd64 elsewhere; explain --arch aarch64 or arm implies arm64)")
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
			return report.SeccompProfile(stdout, p)
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
  rampart seccomp explain runtime-default --arch x86 socket AF_INET SOCK_RAW
  rampart seccomp explain runtime-default --arch aarch64 unshare CLONE_NEWUSER`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, argv, err := seccomp.ParseCall(arch, args[2:])
			if err != nil {
				return usageError{err}
			}
			if !cmd.Flags().Changed("platform") {
				platform = seccomp.PlatformOf(a).GOARCH // aarch64 is an arm64 call
			}
			p, err := resolve(args[0])
			if err != nil {
				return err
			}
			prog, err := seccomp.ProgramFor(p)
			if err != nil {
				return err
			}
			d, err := seccomp.Explain(p, prog, a, args[1], argv)
			if err != nil {
				return usageError{err}
			}
			report.SeccompDecision(stdout, p, d, args[2:])
			return nil
		},
	}
	explain.Flags().StringVar(&arch, "arch", "", "ABI: x86_64, x86 (i386) or x32 on amd64; aarch64 or arm (AArch32) on arm64 (default: the platform's native ABI)")

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
			report.SeccompList(stdout, p, p.Classify(seccomp.SyscallNames(p.Platform().Native())), all)
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
			return report.SeccompDiff(stdout, args[0], args[1], a, b)
		},
	}
	diff.Flags().StringSliceVar(&capListB, "caps-b", nil, "resolve B against this bounding set instead of --caps")
	root.AddCommand(show, explain, list, diff, newSeccompLintCmd(stdout, &capList, &platform))
	return root
}
