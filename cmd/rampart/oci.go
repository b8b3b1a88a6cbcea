package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/policy/source"
	"github.com/rampart-sec/rampart/runtimes"
)

func newOCICmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{Use: "oci", Short: "OCI runtime configs from a policy"}
	var lf layerFlags
	spec := &cobra.Command{
		Use:   "spec [POLICY] [-- ARGS...]",
		Short: "Print the config.json runc runs for a policy (containerd's defaults for the rest)",
		Long: `Print the OCI runtime config (config.json) that runs ARGS (default: sh)
under POLICY — a Kubernetes manifest FILE[#CONTAINER], the layer flags of
rampart run, or nothing for the seed's workload — with containerd's
defaults for what the policy does not say: its 14 capabilities, the masked
and read-only /proc paths, pid/net/ipc/uts/mount namespaces. The seccomp
profile is resolved against the container's bounding set, as runtimes do.
Landlock rules have no place in an OCI config; they are reported, not
silently dropped.

An AppArmor profile file the policy names is judged as for rampart apparmor
eval: by rampart's parser, and by apparmor_parser -Q -K where that is
installed (what either refuses exits 125; without the parser, rampart says
that validation was its parser's alone).`,
		Example: `  rampart oci spec examples/seed/2-seccomp.yaml > bundle/config.json
  rampart oci spec --cap-drop ALL --seccomp runtime-default -- /app/server`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var pol []string
			argv := []string{"sh"}
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				pol, argv = args[:dash], args[dash:]
			} else {
				pol = args
			}
			if len(pol) > 1 {
				return usageError{fmt.Errorf("one POLICY at most, got %q", pol)}
			}
			in := lf.input(runtimes.Containerd.Caps)
			in.Seed = true
			if len(pol) > 0 {
				in.Manifest = pol[0]
			}
			res, err := source.Resolve(in)
			if err != nil {
				return err
			}
			defer res.Close()
			p := res.Policy
			// The config names the profile for the node to load: judge
			// its file as the node's parser would.
			var check apparmor.Checker
			if err := judgeReference(&check, p.AppArmor); err != nil {
				return err
			}
			if err := sayAlone(cmd, &check, false); err != nil {
				return err
			}
			// A policy that keeps the inherited capabilities keeps
			// containerd's, Options' default base.
			s, err := oci.Spec(p, argv, oci.Options{})
			if err != nil {
				return err
			}
			for _, d := range oci.Dropped(p, s) {
				fmt.Fprintln(stderr, "rampart:", d)
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(s)
		},
	}
	lf.register(spec.Flags(), "")
	root.AddCommand(spec)
	return root
}
