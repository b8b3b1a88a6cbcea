package main

import (
	"errors"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/layers"
	"github.com/rampart-sec/rampart/policy/source"
	"github.com/rampart-sec/rampart/probe"
	"github.com/rampart-sec/rampart/report"
)

// newLayersStepCmd is rampart's internal entry point for one step of
// `rampart layers` in its fresh process (layers.StepCommand): hidden,
// since only rampart starts it.
func newLayersStepCmd(stdout, stderr io.Writer) *cobra.Command {
	var r layers.StepRequest
	cmd := &cobra.Command{
		Use:    layers.StepCommand + " [--policy FILE] [--only IDS] probe | --policy FILE -- CMD [ARGS...]",
		Short:  "Internal: one step of rampart layers, in its own process",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() == 0 {
				r.Command = args
			} else if len(args) != 1 || args[0] != "probe" {
				return usageError{errors.New("want probe, or -- CMD")}
			}
			if r.Policy == "" {
				if r.Command != nil {
					return usageError{errors.New("-- CMD needs --policy")}
				}
				return probeStep(stdout, r.Only)
			}
			p, err := source.ReadPolicy(r.Policy)
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			return launch(stderr, p, r.Next(self), launchOptions{})
		},
	}
	cmd.Flags().StringVar(&r.Policy, "policy", "", "the step's policy file (rampart.policy/v1), applied before the rest")
	cmd.Flags().StringSliceVar(&r.Only, "only", nil, "the catalog paths to probe (IDs)")
	return cmd
}

// probeStep probes the paths ids (nil: the whole catalog) in this
// process, under whatever layers it runs with, and writes the report as
// `rampart probe -o json` does. It lives here, not in layers, so that
// layers (and report, which renders its matrix) link no probe runner.
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
	return report.Probe(w, rep, "json")
}
