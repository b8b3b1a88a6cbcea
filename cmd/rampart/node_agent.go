package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/agent"
)

func newNodeAgentCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		o         agent.Options
		node, api string
		interval  time.Duration
		once      bool
		confine   bool
	)
	cmd := &cobra.Command{
		Use:   "node-agent",
		Short: "On a node, from a DaemonSet: install a ConfigMap's seccomp and AppArmor profiles and label the node with what it holds",
		Long: `The node agent (rampart fleet manifests writes its DaemonSet). Every
--interval it reconciles the node with the profiles mounted at --profiles:

  - each NAME.json that rampart reads as a seccomp profile is written,
    whole or not at all, to --seccomp-dir/rampart/NAME.json, where Pods
    name it as Localhost rampart/NAME.json; a file there the ConfigMap no
    longer holds is removed; one rampart refuses is not installed;
  - every other file, where the kernel has AppArmor, is loaded with the
    host's apparmor_parser (chrooted into --host-root, with the host's
    /etc/apparmor.d), and the kernel's list of profiles is read back to
    verify each profile it defines is loaded, in its mode; a file that
    would replace a profile the kernel holds and the agent did not load
    (the runtime's default, a system profile) is refused;
  - the node is labelled rampart.dev/apparmor=enabled or disabled, and
    seccomp.rampart.dev/NAME and apparmor.rampart.dev/NAME with the first
    12 hex digits of each installed file's sha256, so a Pod can ask for a
    node that holds exactly its profile (a label for a profile no longer
    held is removed).

Before anything else the agent loads its own seccomp filter, on top of
the runtime's RuntimeDefault (--confine=false: not): it refuses ptrace and
reading other processes' memory, io_uring, userfaultfd, keyrings, perf
events, bpf, file handles, modules, kexec and NUMA placement, none of which
the agent or apparmor_parser calls.

Each reconcile is one JSON line on standard output; a failure is a line on
standard error, and the next interval tries again. --once reconciles once
and exits 1 if any file was refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if node == "" {
				return usageError{fmt.Errorf("--node (or NODE_NAME) names this node: the DaemonSet sets it from spec.nodeName")}
			}
			if confine && os.Getenv(agent.ConfinedEnv) == "" {
				return agent.Confine(os.Args[1:]) // returns only on failure
			}
			client, err := agent.InCluster(api)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			for {
				refused, err := reconcileOnce(ctx, o, client, node, stdout)
				if err != nil {
					fmt.Fprintln(stderr, "rampart: node-agent:", err)
				}
				if once {
					if err == nil && refused > 0 {
						err = statusError{code: 1, err: fmt.Errorf("node-agent: %d profiles refused", refused)}
					}
					return err
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(interval):
				}
			}
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Profiles, "profiles", "/etc/rampart/profiles", "the ConfigMap's mount: NAME.json seccomp profiles, other files AppArmor policy")
	fl.StringVar(&o.SeccompDir, "seccomp-dir", "/var/lib/kubelet/seccomp", "the kubelet's seccomp root, as mounted here")
	fl.StringVar(&o.HostRoot, "host-root", "", "the host's root filesystem as mounted here (\"\": the agent runs on the host)")
	fl.StringVar(&node, "node", os.Getenv("NODE_NAME"), "this node's name (default $NODE_NAME)")
	fl.StringVar(&api, "api-server", os.Getenv("RAMPART_API_SERVER"), "the API server's address (default $RAMPART_API_SERVER, else the kubernetes Service the kubelet names)")
	fl.DurationVar(&interval, "interval", 30*time.Second, "how often to reconcile")
	fl.BoolVar(&once, "once", false, "reconcile once and exit")
	fl.BoolVar(&confine, "confine", true, "load the agent's own seccomp filter first (rampart run --seccomp), on top of the runtime's")
	cmd.AddCommand(newNodeAgentProbeCmd(stdout))
	return cmd
}

// reconcileOnce installs, labels and logs one reconcile.
func reconcileOnce(ctx context.Context, o agent.Options, client *agent.API, node string, stdout io.Writer) (refused int, err error) {
	st, err := agent.Reconcile(ctx, o)
	if err != nil {
		return 0, err
	}
	patch, err := client.Label(ctx, node, st.Labels())
	line, _ := json.Marshal(map[string]any{"time": time.Now().UTC().Format(time.RFC3339), "node": node,
		"apparmor": st.AppArmor, "profiles": st.Profiles, "refused": st.Refused, "removed": st.Removed, "labelled": patch})
	fmt.Fprintln(stdout, string(line))
	return len(st.Refused), err
}
