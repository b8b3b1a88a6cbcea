package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/probe"
	"github.com/rampart-sec/rampart/probe/fromnode"
	"github.com/rampart-sec/rampart/probe/inpod"
	"github.com/rampart-sec/rampart/report"
)

func newProbeCmd(stdout io.Writer) *cobra.Command {
	var (
		only   []string
		output string
		list   bool
		target inpod.Target
		enter  string
		node   fromNodeFlags
		all    probeAll
	)
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Which attack paths are open here, and which layer closed the others",
		Long:  probeLong,
		Example: `  rampart probe
  rampart probe --only raw-socket,userns-netns,read-shadow -o json
  rampart run --cap-drop NET_RAW -- rampart probe --only raw-socket
  rampart probe --pod web-7d9f8 -c app -n shop
  rampart probe --all -A --profiles ./profiles`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if enter != "" && (target.Pod != "" || all.on || list) {
				return usageError{fmt.Errorf("--enter probes one container from its node: drop --pod, --all and --list")}
			}
			if err := all.check(cmd.Flags(), target.Pod); err != nil {
				return usageError{err}
			}
			if all.on && !list {
				return all.run(cmd.Context(), cmd.Flags(), target, node.of(target), only, output, stdout, cmd.ErrOrStderr())
			}
			if target.Pod == "" && !all.on {
				for _, f := range []string{"container", "namespace", "context", "kubectl", "agent-namespace", "from-node"} {
					if cmd.Flags().Changed(f) {
						return usageError{fmt.Errorf("--%s says where --pod is; it needs --pod", f)}
					}
				}
			} else if list {
				return usageError{fmt.Errorf("--list describes the catalog, it probes nothing: drop --pod and --all")}
			}
			var paths []*attack.Path
			if len(only) > 0 {
				var err error
				if paths, err = attack.Lookup(only); err != nil {
					return usageError{err}
				}
			}
			if list {
				if paths == nil {
					paths = attack.Catalog()
				}
				if output != "json" {
					output = "table" // --list prints its table for any -o but json
				}
				return report.Catalog(stdout, paths, output)
			}
			if err := report.CheckFormat(report.KindProbe, output); err != nil {
				return err
			}
			var rep *attack.Report
			var err error
			switch {
			case enter != "":
				rep, err = fromnode.Probe(cmd.Context(), enter, only, cmd.ErrOrStderr())
			case target.Pod != "":
				rep, err = inpod.Run(cmd.Context(), target, only, node.of(target), cmd.ErrOrStderr())
			default:
				rep, err = probe.Run(paths)
			}
			if err != nil {
				return err
			}
			return report.Probe(stdout, rep, output)
		},
	}
	cmd.Flags().StringSliceVar(&only, "only", nil, "probe only these paths (IDs, comma-separated)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	cmd.Flags().BoolVar(&list, "list", false, "describe the catalog instead of probing")
	all.add(cmd.Flags())
	node.add(cmd.Flags())
	cmd.Flags().StringVar(&target.Pod, "pod", "", "probe inside this running Pod (through kubectl exec; its image need not hold rampart)")
	cmd.Flags().StringVar(&enter, "enter", "", "on a node, as root: probe the container with this runtime ID (containerd://…) from the node, under its own layers")
	cmd.Flags().StringVarP(&target.Container, "container", "c", "", "with --pod: the container (default: the Pod's default container, as kubectl picks it)")
	cmd.Flags().StringVarP(&target.Namespace, "namespace", "n", "", "with --pod or --all: the namespace (default: the kubeconfig context's)")
	cmd.Flags().StringVar(&target.Context, "context", "", "with --pod or --all: the kubeconfig context (default: the current one)")
	cmd.Flags().StringVar(&target.Kubectl, "kubectl", "kubectl", "with --pod or --all: the kubectl to use (it reads KUBECONFIG as usual)")
	return cmd
}
