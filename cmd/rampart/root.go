package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/internal/launcher"
	"github.com/rampart-sec/rampart/report"
)

// Exit statuses of rampart itself (launcher's); any other status is the
// workload's.
const (
	exitUsage    = launcher.ExitUsage
	exitRefused  = launcher.ExitRefused
	exitCannot   = launcher.ExitCannot
	exitNotFound = launcher.ExitNotFound
)

// usageError marks errors in what the user typed (as
// launcher.UsageError does).
type usageError struct{ error }

func (usageError) IsUsage() {}

// statusError carries a command's own exit status (audit --fail-on: 1).
type statusError struct {
	code int
	err  error
}

func (e statusError) Error() string { return e.err.Error() }
func (e statusError) Unwrap() error { return e.err }

func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	asPlugin(root, argv0())
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "rampart:", err)
	return exitCode(err)
}

// exitCode is launcher.ExitCode with the statuses of the commands the
// launcher does not run: a command's own, and an unknown output format.
func exitCode(err error) int {
	var se statusError
	var rf *report.FormatError
	switch {
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &rf):
		return exitUsage
	}
	return launcher.ExitCode(err)
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "rampart",
		Short: "One boundary of capabilities, seccomp and an LSM around a workload, proven from the attacker's side",
		Long: `rampart makes the three Linux runtime-security layers one boundary:

  capabilities (the moat)   what the process is able to do at all
  seccomp      (the wall)   how it may use the kernel
  LSM          (the guards) whether it should be doing this at all
                            (AppArmor where the kernel has it, Landlock elsewhere)`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newLayersCmd(stdout, stderr), newRunCmd(stderr), newProbeCmd(stdout), newOCICmd(stdout, stderr), newSeccompCmd(stdout))
	root.AddCommand(newAppArmorCmd(stdout))
	root.AddCommand(newAuditCmd(stdout))
	root.AddCommand(newHardenCmd(stdout, stderr))
	root.AddCommand(newRecordCmd(stderr))
	root.AddCommand(newPolicyCmd(stdout), newLayersStepCmd(stdout, stderr))
	root.AddCommand(newVersionCmd(stdout))
	root.AddCommand(newNodeAgentCmd(stdout, stderr), newFleetCmd(stdout))
	versionFlag(root)
	root.InitDefaultCompletionCmd() // now, not in Execute: argsAreUsage covers it too
	argsAreUsage(root)
	refuseOffLinux(root, runtime.GOOS)
	return root
}

// argsAreUsage makes every argument check in the tree a usage error
// (exit 2): cobra's own errors for a missing or extra argument, and an
// unknown subcommand, would otherwise fall through to 125, and a group
// (rampart seccomp NAME) would show its help and exit 0 for a misspelt
// NAME, so a CI step with a typo in it would pass.
func argsAreUsage(c *cobra.Command) {
	for _, sub := range c.Commands() {
		argsAreUsage(sub)
	}
	if c.HasSubCommands() && !c.Runnable() {
		c.Annotations = map[string]string{groupAnnotation: "true"}
		c.Args = cobra.ArbitraryArgs
		c.SuggestionsMinimumDistance = 2 // cobra's own default
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return usageError{errors.New(msg)}
		}
	}
	if c.Args != nil {
		c.Args = usageArgs(c.Args)
	}
}

// groupAnnotation marks a command that only groups others (rampart
// seccomp), as argsAreUsage found it; a command that runs and has
// subcommands too (rampart node-agent) is no group.
const groupAnnotation = "rampart-group"

func isGroup(c *cobra.Command) bool { return c.Annotations[groupAnnotation] == "true" }
