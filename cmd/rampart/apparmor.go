package main

import (
	"errors"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/report"
)

// usageArgs makes an argument-count error a usage error (exit 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

func newAppArmorCmd(stdout io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "apparmor",
		Short: "Profile tools: decide accesses, generate a container profile, parse and normalise, load",
		Long: `Tools for AppArmor profiles, without an AppArmor kernel: rampart reads the
profile language container profiles use, decides accesses the way the kernel
does, and writes profiles that apparmor_parser accepts. On a machine with
AppArmor, load puts profiles into the kernel and verifies it holds them.

` + decideHelp + `

Includes (#include <tunables/global>, <abstractions/base>) are read from
--includes; rampart's own minimal tunables/global and abstractions/base
stand in for what is missing there.`,
	}
	var includeDirs []string
	root.PersistentFlags().StringSliceVar(&includeDirs, "includes", []string{"/etc/apparmor.d"},
		"directories #include <...> reads, in order (like apparmor_parser -I); rampart's bundled tunables/global and abstractions/base fill in; \"bundled\" uses only those")
	includes := func() apparmor.Includes {
		if len(includeDirs) == 1 && includeDirs[0] == "bundled" {
			return apparmor.BundledIncludes
		}
		return apparmor.Includes{Dirs: includeDirs}
	}

	var owner bool
	var profileName, output string
	eval := &cobra.Command{
		Use:   "eval PROFILE ACCESS...",
		Short: "Decide accesses under a profile, and name the rule that decided each",
		Long: `Decide each ACCESS under the profile in the file PROFILE (- reads standard
input) and name the deciding rule with its file:line:col. ACCESS is one
argument (quote it):

` + accessHelp + `

--profile names the profile in a file that defines several; a hat or
child profile by its full name, parent//child. For a child profile the
answer also lists the parent's exec rules (cx -> child, px -> parent//child;
a cx target is always below the parent) that lead into it, with their
positions.

Rule classes eval does not decide are named ("not evaluated: mount, dbus
rules (3 rules)"); the exit status is 0 whether accesses are allowed or
denied, 125 when the profile cannot be read or apparmor_parser refuses it.

` + judgeHelp + "\n\n" + decideHelp,
		Example: `  rampart apparmor eval examples/seed/flask-deny-shadow '/etc/shadow r' 'network inet raw' 'capability net_raw'
  rampart apparmor eval profile '/home/u/.ssh/id_rsa r owner' '/usr/bin/curl x' 'link /tmp/l -> /etc/shadow'
  rampart apparmor generate --container-default | rampart apparmor eval - '/proc/sys/kernel/core_pattern w'`,
		Args: usageArgs(cobra.MinimumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var accesses []apparmor.Access
			for _, s := range args[1:] {
				a, err := apparmor.ParseAccess(s)
				if err != nil {
					return usageError{err}
				}
				if owner && a.Class == apparmor.ClassFile {
					a.Owner = true
				}
				accesses = append(accesses, a)
			}
			if err := report.CheckFormat(report.KindAppArmor, output); err != nil {
				return err
			}
			file, src, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			c, v, err := judgedProfile(cmd, includes(), file, src, profileName, output == "text")
			if err != nil {
				return err
			}
			var ds []apparmor.Decision
			for _, a := range accesses {
				d, err := c.Eval(a)
				if err != nil {
					return err
				}
				ds = append(ds, d)
			}
			return report.AppArmor(stdout, c, ds, v, output)
		},
	}
	eval.Flags().BoolVar(&owner, "owner", false, "the task owns the files (its fsuid is their owner): owner rules apply")
	eval.Flags().StringVar(&profileName, "profile", "", "the profile to use, in a file that defines several; parent//child for a hat or child profile")
	eval.Flags().StringVarP(&output, "output", "o", "text", "text or json (schema: docs/apparmor-eval.schema.json)")

	root.AddCommand(eval, newAppArmorGenerateCmd(stdout, includes), newAppArmorParseCmd(stdout, includes), newAppArmorLoadCmd(stdout, &includeDirs))
	return root
}

func readInput(cmd *cobra.Command, arg string) (string, []byte, error) {
	if arg == "-" {
		b, err := io.ReadAll(cmd.InOrStdin())
		return "<stdin>", b, err
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return "", nil, err
	}
	return arg, b, nil
}

// pickProfile parses a policy file and picks the profile to use.
func pickProfile(file string, src []byte, name string) (*apparmor.Profile, error) {
	d, err := apparmor.ParseDocument(file, src)
	if err != nil {
		return nil, err
	}
	p, err := d.Pick(name)
	if ce := (*apparmor.ChoiceError)(nil); errors.As(err, &ce) && len(ce.Have) > 0 {
		return nil, usageError{err}
	}
	return p, err
}
