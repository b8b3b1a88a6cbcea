package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/lsm/apparmor"
)

func newAppArmorGenerateCmd(stdout io.Writer, includes func() apparmor.Includes) *cobra.Command {
	var opts apparmor.Options
	var check bool
	generate := &cobra.Command{
		Use:   "generate",
		Short: "Write a container profile that allows what it does not deny",
		Long: `Print a profile in the shape of the seed article's flask-deny-shadow: the
system's tunables and base abstraction, file, network and capability allowed
wholesale, then deny rules. --deny-read and --deny-write take AppArmor paths
and globs as written (@{HOME}/.ssh/**, /etc/shadow); a path ending in / is
the directory and everything beneath it.

--container-default adds rampart's container defaults, rules in the spirit of
the default profiles container runtimes load: no writes to the kernel's
controls in /proc (sysrq-trigger, /proc/sys outside the IPC namespace's shm*
limits) and /sys (outside /sys/fs/cgroup), no access to kcore, /dev/mem and
firmware tables, no mounting. Each rule carries a comment saying why.

The profile is compiled by rampart's own parser with --includes before it
is printed, and by apparmor_parser -Q -K (no kernel load, no cache) where
that is installed; what either refuses is not printed (exit 2 for a flag's
value rampart refuses, 125 for the parser's refusal). Without the parser,
rampart says that validation was its parser's alone; --check makes the
parser required (exit 125 without it).`,
		Example: `  rampart apparmor generate --name flask-deny-shadow --deny-read /etc/shadow
  rampart apparmor generate --name web --deny-write /srv/www/ --container-default --check > /etc/apparmor.d/web`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			inc := includes()
			opts.Includes = &inc
			d, err := apparmor.Generate(opts)
			if err != nil {
				return usageError{err}
			}
			text := d.Render()
			if err := judgeFile(cmd, inc, d.Name, []byte(text), check); err != nil {
				return err
			}
			_, err = io.WriteString(stdout, text)
			return err
		},
	}
	gf := generate.Flags()
	gf.StringVar(&opts.Name, "name", "rampart", "profile name")
	gf.StringArrayVar(&opts.DenyRead, "deny-read", nil, "deny reading PATH (an AppArmor glob; PATH/ is the directory and all beneath; repeatable)")
	gf.StringArrayVar(&opts.DenyWrite, "deny-write", nil, "deny writing PATH (same forms; repeatable)")
	gf.BoolVar(&opts.ContainerDefault, "container-default", false, "add rampart's container defaults (/proc, /sys, kcore, mounts)")
	gf.BoolVar(&opts.Complain, "complain", false, "complain mode: log what would be denied instead of denying it")
	gf.BoolVar(&check, "check", false, "require apparmor_parser: without it, refuse rather than say validation was rampart's alone")
	return generate
}

func newAppArmorParseCmd(stdout io.Writer, includes func() apparmor.Includes) *cobra.Command {
	var checkParse bool
	parse := &cobra.Command{
		Use:   "parse PROFILE",
		Short: "Print a profile file in normal form, or its first error at file:line:col",
		Long: `Parse the policy file PROFILE (- reads standard input) and print it in
rampart's normal form: one statement a line, canonical qualifier and
permission order, comments above statements kept. Errors name file:line:col.
Hats and child profiles are printed in place, one level deeper.

The file is also compiled by apparmor_parser -Q -K where that is
installed, and what it refuses is not printed (exit 125); without it,
rampart says that validation was its parser's alone. --check makes the
parser required (exit 125 without it).`,
		Example: `  rampart apparmor parse examples/seed/flask-deny-shadow
  rampart apparmor parse --check /etc/apparmor.d/containers/web`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, src, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			// Both judge, as for eval: rampart's error (line and
			// column) first, the parser's after it.
			inc := includes()
			check := &apparmor.Checker{Includes: &inc}
			perr := check.Check(name, src)
			if err := sayAlone(cmd, check, checkParse); err != nil {
				return err
			}
			d, err := apparmor.ParseDocument(name, src)
			if err := apparmor.Refusal(err, perr); err != nil {
				return err
			}
			_, err = io.WriteString(stdout, d.Render())
			return err
		},
	}
	parse.Flags().BoolVar(&checkParse, "check", false, "require apparmor_parser: without it, refuse rather than say validation was rampart's alone")
	return parse
}
