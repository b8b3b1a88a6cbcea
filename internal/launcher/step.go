package launcher

import (
	"encoding/json"
	"errors"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/layers/step"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/probe"
)

// Run is a layers step (step.Command) once fl, where s's flags are
// registered, has parsed its command line: apply the policy and become
// the rest, or probe under the layers this process holds.
func (s *StepFlags) Run(fl *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	r := step.Request{Policy: s.Policy, Only: s.Only}
	if fl.ArgsLenAtDash() == 0 {
		r.Command = args
	} else if len(args) != 1 || args[0] != "probe" {
		return UsageError{errors.New("want probe, or -- CMD")}
	}
	if r.Policy == "" {
		if r.Command != nil {
			return UsageError{errors.New("-- CMD needs --policy")}
		}
		return probeStep(stdout, r.Only)
	}
	p, err := policy.ReadInput(r.Policy)
	if err != nil {
		return err
	}
	// The probe is this program again, executed through /proc/self/exe:
	// in a user namespace of the step's own, the namespace's root may be
	// refused a directory on the program's path (a 0700 build or temp
	// directory) that the magic link does not walk.
	self := "/proc/self/exe"
	if _, err := os.Stat(self); err != nil {
		if self, err = os.Executable(); err != nil {
			return err
		}
	}
	return Launch(stderr, p, r.Next(self), Options{})
}

// probeStep probes the paths ids (nil: the whole catalog) in this
// process, under whatever layers it runs with, and writes the report as
// `rampart probe -o json` does (docs/probe-json.md). It lives here, not
// in layers, so that layers (and report, which renders its matrix) link
// no probe runner.
func probeStep(w io.Writer, ids []string) error {
	var paths []*attack.Path
	if len(ids) > 0 {
		var err error
		if paths, err = attack.Lookup(ids); err != nil {
			return err
		}
	}
	rep, err := probe.Run(paths)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
