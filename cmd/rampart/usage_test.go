//go:build linux

package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// What the user typed wrong exits 2 wherever cobra catches it: a
// missing or extra argument and an unknown subcommand are usage, not a
// refused layer (125), and not help with success (0).
func TestUsageStatus(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "requires at least 1 arg"},
		{[]string{"policy", "convert"}, "accepts 1 arg"},
		{[]string{"audit"}, "no FILES given: name manifests, a directory or - for standard input, or audit a live cluster with --cluster"},
		{[]string{"harden"}, "no FILES given: name manifests or a directory to harden, or write admission policies with --admission"},
		{[]string{"record"}, "requires at least 1 arg"},
		{[]string{"layers", "a.yaml", "b.yaml"}, "accepts at most 1 arg"},
		{[]string{"probe", "raw-socket"}, `unknown command "raw-socket"`},
		{[]string{"seccomp", "show"}, "accepts 1 arg"},
		{[]string{"seccomp", "explain", "runtime-default"}, "requires at least 2 arg"},
		{[]string{"seccomp", "list"}, "accepts 1 arg"},
		{[]string{"seccomp", "diff", "runtime-default"}, "accepts 2 arg"},
		{[]string{"seccomp", "lint"}, "requires at least 1 arg"},
		{[]string{"apparmor", "parse"}, "accepts 1 arg"},
		{[]string{"nosuchcmd"}, `unknown command "nosuchcmd" for "rampart"`},
		{[]string{"seccomp", "shwo", "runtime-default"}, `unknown command "shwo" for "rampart seccomp"`},
		{[]string{"apparmor", "nosuchcmd"}, `unknown command "nosuchcmd" for "rampart apparmor"`},
		{[]string{"oci", "nosuchcmd"}, `unknown command "nosuchcmd" for "rampart oci"`},
		{[]string{"policy", "nosuchcmd"}, `unknown command "nosuchcmd" for "rampart policy"`},
		{[]string{"completion", "tcsh"}, `unknown command "tcsh" for "rampart completion"`},
		{[]string{"completion", "bash", "extra"}, `unknown command "extra" for "rampart completion bash"`},
	} {
		r := rampart(t, "", c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("rampart %q: exit %d, want %d with %q; stderr:\n%s", c.args, r.code, exitUsage, c.want, r.stderr)
		}
	}
	// A misspelt subcommand is answered with the one meant.
	if r := rampart(t, "", "seccomp", "shwo", "x"); !strings.Contains(r.stderr, "show") {
		t.Errorf("no suggestion for shwo:\n%s", r.stderr)
	}
	// A command group on its own still shows its help, and succeeds.
	for _, args := range [][]string{nil, {"seccomp"}, {"apparmor"}, {"oci"}, {"policy"}, {"seccomp", "--help"}} {
		if r := rampart(t, "", args...); r.code != 0 || !strings.Contains(r.stdout, "Available Commands") {
			t.Errorf("rampart %q: exit %d, want 0 and the help; stdout:\n%s", args, r.code, r.stdout)
		}
	}
}

// Every command's argument check answers with a usage error, so a
// command added later cannot fall back to 125 on a missing argument.
func TestArgsAreUsageErrors(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c.Args == nil {
			return
		}
		// A hundred arguments is too many for a command that takes a
		// fixed number, none is too few for one that needs some.
		for _, args := range [][]string{nil, make([]string, 100)} {
			if err := c.Args(c, args); err != nil && exitCode(err) != exitUsage {
				t.Errorf("%s with %d args: %v exits %d, want %d", c.CommandPath(), len(args), err, exitCode(err), exitUsage)
			}
		}
	}
	walk(newRoot(io.Discard, io.Discard))
}
