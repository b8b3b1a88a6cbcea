package main

import (
	_ "embed"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/internal/launcher"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/policy/source"
	"github.com/rampart-sec/rampart/runtimes"
)

//go:embed help/run.txt
var runLong string

const runExample = `  # the seed's three layers, one at a time
  rampart run --cap-drop NET_RAW -- python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)'
  rampart run --cap-drop SYS_ADMIN --seccomp runtime-default -- unshare -r -n true
  rampart run --deny-read /etc/shadow -- cat /etc/shadow

  # a Kubernetes container's securityContext, AppArmor enforced by Landlock here
  rampart run --from examples/seed/3-apparmor.yaml --apparmor-dir examples/seed --lsm-fallback landlock -- cat /etc/shadow

  # the least privilege of a recorded run (docs/policy-json.md)
  rampart record --out rec/ -- python3 -m http.server 8080
  rampart run --policy rec/policy.json -- python3 -m http.server 8080`

func newRunCmd(stderr io.Writer) *cobra.Command {
	// A launch from flags alone ends in launcher's entry before main runs;
	// this command takes what that entry leaves: a file to resolve, a
	// command line it could not parse, --help.
	var r launcher.RunFlags
	cmd := &cobra.Command{
		Use:     "run [flags] -- CMD [ARGS...]",
		Short:   "Run a command under capabilities, seccomp and an LSM, failing closed",
		Long:    runLong,
		Example: runExample,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return r.Run(cmd.Flags(), args, stderr, resolveRun(stderr))
		},
	}
	r.Register(cmd.Flags())
	return cmd
}

// resolveRun reads the file r names (a manifest, an OCI runtime config or
// a policy file), the layer flags over it, and says what the reading
// noted on stderr.
func resolveRun(stderr io.Writer) func(r *launcher.RunFlags) (*policy.Policy, error) {
	return func(r *launcher.RunFlags) (*policy.Policy, error) {
		in := layerInput(&r.Layers, runtimes.Containerd.Caps)
		in.Manifest, in.Policy, in.RequireLayer = r.From, r.Policy, true
		res, err := source.Resolve(in)
		if err != nil {
			return nil, err
		}
		for _, n := range res.Notes {
			fmt.Fprintln(stderr, "rampart:", n)
		}
		// No file to remove: without Seed and Probe, Resolve writes none.
		return res.Policy, nil
	}
}
