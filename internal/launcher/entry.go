// Package launcher is rampart's launch path: `rampart run` from its
// flags, a layers step, and the processes rampart re-executes itself as
// (the probe's children, the seccomp compile helper). Its flags are
// defined here once, for this path and for the full command line.
//
// Two programs enter it. rampart enters it from an init (package
// initentry), before its own main and cobra. rampart-run, a program
// that links this path and nothing of the rest of the command line,
// enters it from main: it does not pay at start for what it does not
// link (the Kubernetes types, the YAML and protobuf registries, eBPF,
// the renderers), which rampart initialises before any init of its own
// can run: Go initialises every linked package, a package that sorts
// earlier by import path as soon as it is ready.
//
// What this path does not fully handle (a manifest or a policy file to
// resolve, a flag it cannot parse, --help) it leaves to the full
// command line, which parses the same flags from the same definitions
// and says what is wrong: both paths refuse the same inputs with the
// same words and exit statuses.
package launcher

import (
	"io"
	"os"
	"runtime"

	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/layers/step"
	"github.com/rampart-sec/rampart/probe"
	"github.com/rampart-sec/rampart/seccomp"
)

// FullCLIEnv, set to 1, leaves every command line to main: the full
// path, which the tests hold this one to.
const FullCLIEnv = "RAMPART_FULL_CLI"

// Program is the program to start a launch in: rampart-run where it is
// installed beside rampart (self), which starts faster, else self.
func Program(self string) string {
	if run, err := Sibling(self, "rampart-run"); err == nil {
		return run
	}
	return self
}

// Children turns this process into the child rampart re-executed
// itself as (a probe's child, the seccomp compile helper), which ends
// there; it returns in any other process. It must run before anything
// else a program does.
func Children() {
	userNSChild()
	probe.ChildMain()
	seccomp.HelperMain()
}

// Enter handles command cmd (run or step.Command) with its arguments
// args when this path can do it alone, and then never returns: it execs
// the workload or exits. It returns when the command line is for the
// full command line (another command, a file to resolve, a flag it
// cannot parse, --help), having changed nothing.
func Enter(cmd string, args []string) {
	if runtime.GOOS != "linux" {
		return // main refuses both, naming what the platform can do
	}
	switch cmd {
	case "run":
		var r RunFlags
		fl := newFlagSet("run", r.Register)
		if fl.Parse(args) != nil || fl.NArg() == 0 || r.NamesFile() {
			return
		}
		// Run returns only when the launch was refused.
		os.Exit(Fail(os.Stderr, r.Run(fl, fl.Args(), os.Stderr, nil)))
	case step.Command:
		var s StepFlags
		fl := newFlagSet(step.Command, s.Register)
		if fl.Parse(args) != nil || fl.NArg() == 0 {
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
