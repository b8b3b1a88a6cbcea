package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// decideHelp is how a profile decides, for the help texts.
const decideHelp = `How a profile decides (AppArmor's rules):
  - an access is allowed only if allow rules grant every permission asked
    for and no deny rule covers any of them: deny wins over allow;
  - what no rule allows is denied (enforce mode), or allowed and logged
    (complain mode); an explicit deny rule without audit denies, quietly,
    even in complain mode;
  - owner rules apply only to files whose owner is the task's fsuid;
  - w implies a; an x is granted with an exec transition (ix, px, cx, ux,
    ...), and a rule with a literal path wins over globs for it;
  - globs: * stays within a path component, ** crosses '/', ? is one
    character, [a-c] [^a-c] classes ([^...] matches '/' too), {a,b}
    alternatives; a directory's path ends with '/'.`

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
		Short: "Profile tools: decide accesses, generate a container profile, parse and normalise",
		Long: `Tools for AppArmor profiles, without an AppArmor kernel: rampart reads the
profile language container profiles use, decides accesses the way the kernel
does, and writes profiles that apparmor_parser accepts.

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

  PATH PERMS          a file and the permissions asked for, letters of
                      r w a l k m x: '/etc/shadow r', '/proc/sys/kernel/core_pattern w'
  PATH PERMS owner    ... of a file the task owns (owner rules apply; or --owner)
  PATH x              executing it: the decision names the exec transition
  network [FAMILY] [TYPE]
                      creating a socket: 'network inet raw', 'network inet tcp';
                      a family or type left out stands for all of them, and
                      all must be allowed: 'network packet'
  capability NAME     using a capability: 'capability net_raw' (any spelling)

The exit status is 0 whether accesses are allowed or denied.

` + decideHelp,
		Example: `  rampart apparmor eval examples/seed/flask-deny-shadow '/etc/shadow r' 'network inet raw' 'capability net_raw'
  rampart apparmor eval profile '/home/u/.ssh/id_rsa r owner' '/usr/bin/curl x'
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
			if output != "text" && output != "json" {
				return usageError{fmt.Errorf("-o %q: want text or json", output)}
			}
			p, err := readProfile(cmd, args[0], profileName)
			if err != nil {
				return err
			}
			c, err := apparmor.Compile(p, includes())
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
			if output == "json" {
				return writeDecisionsJSON(stdout, ds)
			}
			writeDecisions(stdout, c, ds)
			return nil
		},
	}
	eval.Flags().BoolVar(&owner, "owner", false, "the task owns the files (its fsuid is their owner): owner rules apply")
	eval.Flags().StringVar(&profileName, "profile", "", "the profile to use, in a file that defines several")
	eval.Flags().StringVarP(&output, "output", "o", "text", "text or json")

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

--check compiles the result with apparmor_parser -Q -K (no kernel load, no
cache) before printing it.`,
		Example: `  rampart apparmor generate --name flask-deny-shadow --deny-read /etc/shadow
  rampart apparmor generate --name web --deny-write /srv/www/ --container-default --check > /etc/apparmor.d/web`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := apparmor.Generate(opts)
			if err != nil {
				return usageError{err}
			}
			text := d.Render()
			if check {
				if err := apparmor.CheckCompile(d.Name, []byte(text), includeList(includeDirs)...); err != nil {
					return err
				}
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
	gf.BoolVar(&check, "check", false, "compile the profile with apparmor_parser -Q -K first")

	var checkParse bool
	parse := &cobra.Command{
		Use:   "parse PROFILE",
		Short: "Print a profile file in normal form, or its first error at file:line:col",
		Long: `Parse the policy file PROFILE (- reads standard input) and print it in
rampart's normal form: one statement a line, canonical qualifier and
permission order, comments above statements kept. Errors name file:line:col.
Hats, child profiles and qualifier blocks are refused as not supported.
--check also compiles the file with apparmor_parser -Q -K.`,
		Example: `  rampart apparmor parse examples/seed/flask-deny-shadow
  rampart apparmor parse --check /etc/apparmor.d/containers/web`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, src, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			d, err := apparmor.ParseDocument(name, src)
			if err != nil {
				return err
			}
			if checkParse {
				if err := apparmor.CheckCompile(name, src, includeList(includeDirs)...); err != nil {
					return err
				}
			}
			_, err = io.WriteString(stdout, d.Render())
			return err
		},
	}
	parse.Flags().BoolVar(&checkParse, "check", false, "also compile it with apparmor_parser -Q -K")

	root.AddCommand(eval, generate, parse)
	return root
}

// includeList is --includes for apparmor_parser: none for "bundled" (its
// check then uses /etc/apparmor.d or the bundled files).
func includeList(dirs []string) []string {
	if len(dirs) == 1 && dirs[0] == "bundled" {
		return nil
	}
	var out []string
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			out = append(out, d)
		}
	}
	return out
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

func readProfile(cmd *cobra.Command, arg, name string) (*apparmor.Profile, error) {
	file, src, err := readInput(cmd, arg)
	if err != nil {
		return nil, err
	}
	d, err := apparmor.ParseDocument(file, src)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range d.Profiles {
		if name == "" && len(d.Profiles) == 1 || p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	switch {
	case len(d.Profiles) == 0:
		return nil, fmt.Errorf("%s: no profile in file", file)
	case name == "":
		return nil, usageError{fmt.Errorf("%s defines %d profiles (%s): name one with --profile", file, len(names), strings.Join(names, ", "))}
	}
	return nil, usageError{fmt.Errorf("%s does not define profile %q (it has %s)", file, name, strings.Join(names, ", "))}
}

func writeDecisions(w io.Writer, c *apparmor.Compiled, ds []apparmor.Decision) {
	p := c.Profile
	fmt.Fprintf(w, "profile %s (%s mode) in %s\n", p.Name, c.Mode, p.File)
	var bundled []string
	for _, s := range c.Sources {
		if strings.HasPrefix(s, apparmor.BundledPrefix) {
			bundled = append(bundled, strings.TrimPrefix(s, apparmor.BundledPrefix))
		}
	}
	if len(bundled) > 0 {
		fmt.Fprintf(w, "rampart's bundled %s stand in for the system's\n", strings.Join(bundled, " and "))
	}
	for _, d := range ds {
		fmt.Fprintf(w, "\n%s: %s\n", d.Access, d.Verdict())
		if d.Rule != nil {
			fmt.Fprintf(w, "  by   %s   %s\n", d.Rule, d.Where())
		} else {
			fmt.Fprintf(w, "  by   no rule\n")
		}
		if d.Exec != "" {
			e := string(d.Exec)
			if d.Target != "" {
				e += " -> " + d.Target
			}
			fmt.Fprintf(w, "  exec %s\n", e)
		}
		fmt.Fprintf(w, "  why  %s\n", d.Reason)
	}
}

type jsonDecision struct {
	Access  string `json:"access"`
	Verdict string `json:"verdict"`
	Allowed bool   `json:"allowed"`
	Mode    string `json:"mode"`
	Logged  bool   `json:"logged"`
	Rule    string `json:"rule,omitempty"`
	At      string `json:"at,omitempty"`
	Exec    string `json:"exec,omitempty"`
	Target  string `json:"target,omitempty"`
	Reason  string `json:"reason"`
}

func writeDecisionsJSON(w io.Writer, ds []apparmor.Decision) error {
	out := []jsonDecision{}
	for _, d := range ds {
		j := jsonDecision{Access: d.Access.String(), Verdict: d.Verdict(), Allowed: d.Allowed, Mode: string(d.Mode),
			Logged: d.Logged, Exec: string(d.Exec), Target: d.Target, Reason: d.Reason}
		if d.Rule != nil {
			j.Rule, j.At = d.Rule.String(), d.Where()
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
