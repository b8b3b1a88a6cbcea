package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/agent"
	"github.com/rampart-sec/rampart/report"
)

func newFleetCmd(stdout io.Writer) *cobra.Command {
	fleet := &cobra.Command{Use: "fleet", Short: "rampart across a cluster: the node agent's manifests"}
	var o agent.ManifestOptions
	m := &cobra.Command{
		Use:   "manifests",
		Short: "Write the node agent's DaemonSet, its RBAC and the ConfigMap of profiles, for kubectl apply -f -",
		Long: `Write, as YAML: a Namespace (--namespace), the agent's ServiceAccount,
a ClusterRole that lets it get and patch nodes and nothing else, its
binding, a ConfigMap holding every file of --profiles (NAME.json seccomp
profiles, other files AppArmor policy), and the DaemonSet that runs
rampart node-agent on every node, tainted or not.

The agent's privileges, each for one job: uid 0 (the kubelet's seccomp
directory is root's), MAC_ADMIN (load AppArmor policy) and SYS_CHROOT (run
the host's apparmor_parser in the host's root) with every other capability
dropped, the host's root read-only, a hostPath for the kubelet's seccomp
directory (--seccomp-dir) and one for the parser's copies
(/run/rampart-agent), no host PID or IPC (nor network, unless
--host-network), no_new_privs,
RuntimeDefault seccomp, a read-only root filesystem; AppArmor unconfined,
for a profile that lets a task load policy confines nothing that matters.`,
		Example: `  rampart fleet manifests --image registry.example/rampart:0.4 --profiles ./profiles | kubectl apply -f -`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			objs, err := agent.Manifests(o)
			if err != nil {
				return usageError{err}
			}
			return report.Manifests(stdout, objs...)
		},
	}
	fl := m.Flags()
	fl.StringVar(&o.Image, "image", "", "the image that holds rampart at /usr/local/bin/rampart (make image builds one)")
	fl.StringVar(&o.Profiles, "profiles", "", "the directory of profiles the ConfigMap holds")
	fl.StringVar(&o.Namespace, "namespace", "rampart-system", "the agent's namespace")
	fl.StringVar(&o.SeccompDir, "seccomp-dir", "/var/lib/kubelet/seccomp", "the kubelet's seccomp root on the nodes")
	fl.StringVar(&o.APIServer, "api-server", "", "the address the agent reaches the API server at, where a host's Pods cannot reach the kubernetes Service")
	fl.BoolVar(&o.HostNetwork, "host-network", false, "run the agent in the node's network namespace, where the Pod network does not reach the API server")
	fleet.AddCommand(m)
	return fleet
}
