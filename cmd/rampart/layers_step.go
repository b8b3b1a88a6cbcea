package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/internal/launcher"
	"github.com/rampart-sec/rampart/layers/step"
)

// newLayersStepCmd is rampart's internal entry point for one step of
// `rampart layers` in its fresh process (step.Command): hidden, since
// only rampart starts it. A well-formed step ends in launcher's entry
// before main runs; this command says what is wrong with the others.
func newLayersStepCmd(stdout, stderr io.Writer) *cobra.Command {
	var s launcher.StepFlags
	cmd := &cobra.Command{
		Use:    step.Command + " [--policy FILE] [--only IDS] probe | --policy FILE -- CMD [ARGS...]",
		Short:  "Internal: one step of rampart layers, in its own process",
		Hidden: true,
		Args:   cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return s.Run(cmd.Flags(), args, stdout, stderr)
		},
	}
	s.Register(cmd.Flags())
	return cmd
}
