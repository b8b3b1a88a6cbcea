package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// judgedProfile picks the profile to decide on in a policy file and
// compiles it, with two judges: rampart's parser, and apparmor_parser
// (where it is installed) on the whole file, as a node compiles it
// before loading. A profile the node's parser refuses never loads, so
// what rampart would say it allows or denies would describe nothing: it
// is refused with the parser's message. When both refuse, rampart's
// error (line and column) comes first and the parser's follows. Without
// the parser it says once, on standard error when say is set, that
// validation was rampart's alone.
func judgedProfile(cmd *cobra.Command, inc apparmor.Includes, file string, src []byte, name string, say bool) (*apparmor.Compiled, *apparmor.Validation, error) {
	check := &apparmor.Checker{Includes: &inc}
	perr := check.Check(file, src)
	v := check.Validation()
	if say && v.Note != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "rampart: %s: %s\n", cmd.CommandPath()[len("rampart "):], v.Note)
	}
	p, err := pickProfile(file, src, name)
	if ue := (usageError{}); errors.As(err, &ue) {
		return nil, nil, err // which profile to use, not whether it loads
	}
	var c *apparmor.Compiled
	if err == nil {
		c, err = apparmor.Compile(p, inc)
	}
	if err := apparmor.Refusal(err, perr); err != nil {
		return nil, nil, err
	}
	return c, v, nil
}
