// Package launcher is rampart's launch path: `rampart run` from its
// flags, a layers step, and the processes rampart re-executes itself as
// (the probe's children, the seccomp compile helper). Its flags are
// defined here once, for this entry and for the full command line.
//
// The entry is this package's init. Go initialises a program's packages
// before main, each after the packages it imports, the next one always
// the first by import path among those ready; a package that imports
// only what a launch needs is therefore ready, and initialised, before
// the Kubernetes types, the YAML and protobuf registries, the renderers
// and cobra, which only the rest of the command line uses. A launch
// handled here ends here (execve, or exit), and never pays for them.
// What it does not fully handle (a manifest or a policy file to
// resolve, a flag it cannot parse, --help) it leaves to main, which
// parses the same flags from the same definitions and says what is
// wrong: both paths refuse the same inputs with the same words and exit
// statuses.
package launcher

import (
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/layers/step"
	"github.com/rampart-sec/rampart/probe"
	"github.com/rampart-sec/rampart/seccomp"
)

// FullCLIEnv, set to 1, leaves every command line to main: the full
// path, which the tests hold this one to.
const FullCLIEnv = "RAMPART_FULL_CLI"

func init() {
	// rampart re-executes itself as the probe's children (a call that
	// affects the whole process, a process to trace) and as the seccomp
	// compile helper: such a process is that child and ends in here.
	probe.ChildMain()
	seccomp.HelperMain()
	if len(os.Args) < 2 || os.Getenv(FullCLIEnv) == "1" {
		return
	}
	switch os.Args[1] {
	case "run":
		var r RunFlags
		fl := newFlagSet("run", r.Register)
		if fl.Parse(os.Args[2:]) != nil || fl.NArg() == 0 || r.NamesFile() {
			return
		}
		// Run returns only when the launch was refused.
		os.Exit(Fail(os.Stderr, r.Run(fl, fl.Args(), os.Stderr, nil)))
	case step.Command:
		var s StepFlags
		fl := newFlagSet(step.Command, s.Register)
		if fl.Parse(os.Args[2:]) != nil || fl.NArg() == 0 {
			return
		}
		if err := s.Run(fl, fl.Args(), os.Stdout, os.Stderr); err != nil {
			os.Exit(Fail(os.Stderr, err))
		}
		os.Exit(0)
	}
}

// newFlagSet is a flag set holding the flags register adds, and no
// others: a flag it does not know (--help among them) fails the parse,
// and main takes the command line.
func newFlagSet(name string, register func(*pflag.FlagSet)) *pflag.FlagSet {
	fl := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fl.SetOutput(io.Discard)
	register(fl)
	return fl
}
