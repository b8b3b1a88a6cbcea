package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/probe/fromnode"
)

func newNodeAgentProbeCmd(stdout io.Writer) *cobra.Command {
	var only []string
	cmd := &cobra.Command{
		Use:   "probe CONTAINER-ID...",
		Short: "On a node, in a probe Pod: probe containers from the node, one JSON line each",
		Long: `Probes each container, named by its runtime ID (containerd://…, as in a
Pod's status.containerStatuses[].containerID), from this node: rampart
finds the container's first process, reads the layers it holds from the
kernel (capability sets, user and groups, no_new_privs, its seccomp
filters, AppArmor label, resource limits, environment), enters its
namespaces and cgroups, takes on those layers, runs the probe there, and
checks the probe's own account of its state against them.

rampart probe --pod and --all run it in a short-lived privileged Pod of
the node agent's namespace, on the container's node, for containers that
kubectl exec cannot reach (no shell, no directory to write); on a node,
as root, rampart probe --enter ID does the same for one container.

Each container is one line on standard output:
  {"container": ID, "report": {…rampart.probe/v1…}}   or
  {"container": ID, "error": "why it was not measured"}
with "warnings" holding what the probe said on its standard error, which
is never written out as lines of its own: it comes from a process in the
container, and a line of its own could pass for another container's.
The exit status is 0 when every line was written, whatever they say.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, ids []string) error {
			if len(only) > 0 {
				if _, err := attack.Lookup(only); err != nil {
					return usageError{err}
				}
			}
			enc := json.NewEncoder(stdout)
			for _, id := range ids {
				line := map[string]any{"container": id}
				// The probe's warnings come from a process of the
				// container: on the log's own lines a container could
				// write a line that reads as another container's report.
				var warnings bytes.Buffer
				rep, err := fromnode.Probe(cmd.Context(), id, only, &warnings)
				if warnings.Len() > 0 {
					line["warnings"] = warnings.String()
				}
				if err != nil {
					line["error"] = err.Error()
				} else {
					line["report"] = rep
				}
				if err := enc.Encode(line); err != nil {
					return fmt.Errorf("node-agent probe: %w", err)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&only, "only", nil, "probe only these paths (IDs, comma-separated)")
	return cmd
}
