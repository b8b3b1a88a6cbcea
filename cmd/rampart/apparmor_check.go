package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
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

// judgeFile has apparmor_parser judge a policy file a command prints or
// writes for a node to load (one rampart's parser has judged already),
// with the include directories inc. Without the parser it says so on
// standard error, or, when require is set, refuses: the user asked for
// the node's verdict and would otherwise take rampart's for it.
func judgeFile(cmd *cobra.Command, inc apparmor.Includes, file string, src []byte, require bool) error {
	check := &apparmor.Checker{Includes: &inc}
	if err := check.Check(file, src); err != nil {
		return err
	}
	return sayAlone(cmd, check, require)
}

// sayAlone says once, on standard error, that the profiles check judged
// were validated by rampart's parser alone, when no apparmor_parser ran;
// with require it is an error instead.
func sayAlone(cmd *cobra.Command, check *apparmor.Checker, require bool) error {
	v := check.Validation()
	if v == nil || v.Note == "" {
		return nil
	}
	if require {
		return fmt.Errorf("--check: %s", v.Note)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "rampart: %s: %s\n", cmd.CommandPath()[len("rampart "):], v.Note)
	return nil
}

// judgeReference judges the profile file a policy names for a node to
// load (a Localhost profile with its source): rampart's parser parses and
// compiles the profile with the system's includes, and check, the second
// judge, compiles the whole file. A profile either refuses never loads,
// so a config or verdict naming it would describe nothing.
func judgeReference(check *apparmor.Checker, a *policy.AppArmor) error {
	if a == nil || a.Kind != policy.AppArmorLocalhost || a.File == "" {
		return nil
	}
	perr := check.CheckFile(a.File)
	p, err := apparmor.ProfileIn(a.File, a.Name)
	if err == nil {
		_, err = apparmor.Compile(p, apparmor.SystemIncludes)
	}
	return apparmor.Refusal(err, perr)
}
