package main

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/report"
)

func newAppArmorLoadCmd(stdout io.Writer, includeDirs *[]string) *cobra.Command {
	var remove, check bool
	var output string
	load := &cobra.Command{
		Use:   "load [flags] FILE...",
		Short: "Load AppArmor profiles into this machine's kernel, and verify the kernel holds them",
		Long: `Load the profiles of each policy FILE into the kernel with apparmor_parser,
then read the kernel's list of loaded profiles back and verify that every
profile each file defines is there, in the mode the file asks for: what a
node needs before Pods name them as Localhost profiles. Needs root and a
kernel with AppArmor.

What it runs, per FILE, all files read before any is loaded:
  1. rampart parses the file and lists the profiles it defines: each
     top-level profile, and its hats and child profiles by the names the
     kernel gives them (parent//child; those in the branches the file's
     conditionals take), each with its mode (flags=(complain) or enforce;
     a child does not take its parent's mode);
  2. apparmor_parser -N must list the same profiles (else a profile
     rampart missed would load unverified); with several FILEs, each is
     also compiled with apparmor_parser -Q -K, so that a file the parser
     refuses stops the command before the first one loads;
  3. apparmor_parser -r -K loads the bytes rampart read (a private copy:
     a file changed meanwhile cannot slip past step 1), replacing the
     profiles loaded under the same names; -K: no profile cache is read
     (a stale cached compile could load instead of the file) or written;
  4. the kernel's list, /sys/kernel/security/apparmor/profiles, must show
     every profile of step 1 in its mode.

Output: one line per profile: its name, its mode, its file ("removed" in
place of the mode with --remove).

A failure stops at the file that failed; the files before it stay loaded
(and verified), and the error names them: they are not rolled back, since
the kernel replaced any earlier version of their profiles, which cannot be
put back. Profiles in a namespace (:ns:name) are refused: rampart verifies
the root namespace's list. securityfs is not mounted by rampart: without
it apparmor_parser cannot load either, and the command refuses.

--includes gives apparmor_parser's -I directories (default /etc/apparmor.d);
rampart's bundled stand-ins never fill in for a node's own files.
RAMPART_APPARMOR_PARSER names the parser to run.

Exit status: 0 every profile loaded (removed) and verified; 2 bad usage;
125 refused: no AppArmor in this kernel, securityfs not mounted, no
apparmor_parser, a FILE rampart or the parser refuses (its message, the
file named), or a profile the kernel does not list as the file says.`,
		Example: `  rampart apparmor load /etc/apparmor.d/flask-deny-shadow
  rampart apparmor load --check profiles/*       # parse and compile, load nothing
  rampart apparmor load --remove /etc/apparmor.d/flask-deny-shadow
  rampart apparmor load -o json web worker`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if remove && check {
				return usageError{errors.New("--remove and --check exclude each other")}
			}
			if slices.Contains(*includeDirs, "bundled") {
				return usageError{errors.New("--includes bundled: a profile loads with the node's own include files; name their directories")}
			}
			if err := report.CheckFormat(report.KindAppArmor, output); err != nil {
				return err
			}
			opt := apparmor.LoadOptions{Includes: *includeDirs}
			action, do := "load", apparmor.Load
			switch {
			case remove:
				action, do = "remove", apparmor.Remove
			case check:
				action, do = "check", apparmor.CheckLoad
			}
			done, err := do(args, opt)
			// What loaded before a failure is printed: it stays loaded.
			if len(done) > 0 || err == nil {
				if rerr := report.AppArmorLoad(stdout, action, done, output); rerr != nil && err == nil {
					err = rerr
				}
			}
			if err == nil && check {
				fmt.Fprintln(cmd.ErrOrStderr(), "rampart: apparmor load: --check: nothing was loaded")
			}
			return err
		},
	}
	f := load.Flags()
	f.BoolVar(&remove, "remove", false, "unload the files' profiles (apparmor_parser -R) and verify the kernel lists none of them")
	f.BoolVar(&check, "check", false, "dry run: steps 1 and 2 with apparmor_parser -Q -K; load nothing (no AppArmor kernel needed)")
	f.StringVarP(&output, "output", "o", "text", "text or json (schema: docs/apparmor-load.schema.json)")
	return load
}
