package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/internal/podexec"
	"github.com/rampart-sec/rampart/probe"
	"github.com/rampart-sec/rampart/report"
)

const probeLong = `From inside any process or container: which attack paths are open now,
and for each closed one, which layer closed it and the evidence.

Every probe is harmless as full root on a production host: nothing
persistent is written, nothing is mounted outside a private namespace of a
thread or child that exits, no clock is changed, nothing is loaded, and no
secret is printed (/etc/shadow: one byte read and discarded). Calls that
would change the system use arguments the kernel rejects after its
permission check (reboot with a bad magic, init_module with an empty
image). ` + "`rampart probe --list`" + ` says, for each path, why it is safe.

Each path is tried every way an attacker has to it (mount(2) and the new
mount API, unshare, clone, clone3 and setns, socket flag bits, i386
socketcall and io_uring, openat, open, openat2 and file handles, ...), and
a layer closes it only by closing every way; the evidence names the way
that got past a layer. Layers are attributed in the kernel's order:
seccomp (a canary call the kernel would reject with a known errno gets the
filter's errno instead; where there is no canary, the filter itself is
asked about the call without it running), capabilities (CapEff lacks what
the kernel checks), LSM (a refusal the permission bits and capabilities do
not explain: AppArmor by its label, Landlock when it is the only path
LSM), else other (a sysctl, a read-only mount, an absent target). Evidence
that fits more than one layer is reported as ambiguous, never guessed.

With --pod, the probe runs in a container of a running Pod of the
kubeconfig's cluster instead, and the image need not hold rampart: this
binary (static, so it runs in any image) is streamed in over
` + "`kubectl exec -i`" + `, placed in the first of /tmp, /var/tmp, /run, /dev/shm, /dev
where the container may write and execute, run, and removed again. A
process started by kubectl exec gets the container's capabilities, seccomp
filter, AppArmor profile, user and no_new_privs, so the report measures
the live workload without rebuilding its image. The image needs /bin/sh
with cat, chmod and rm. In /dev/shm or /dev the binary's size counts
against the container's memory limit while it runs.

The JSON form (-o json) is documented in docs/probe-json.md; that of
--list -o json has a schema, docs/catalog.schema.json.`

func newProbeCmd(stdout io.Writer) *cobra.Command {
	var (
		only   []string
		output string
		list   bool
		target podexec.Target
	)
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Which attack paths are open here, and which layer closed the others",
		Long:  probeLong,
		Example: `  rampart probe
  rampart probe --only raw-socket,userns-netns,read-shadow -o json
  rampart run --cap-drop NET_RAW -- rampart probe --only raw-socket
  rampart probe --pod web-7d9f8 -c app -n shop`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if target.Pod == "" {
				for _, f := range []string{"container", "namespace", "context", "kubectl"} {
					if cmd.Flags().Changed(f) {
						return usageError{fmt.Errorf("--%s says where --pod is; it needs --pod", f)}
					}
				}
			} else if list {
				return usageError{fmt.Errorf("--list describes the catalog, it probes nothing: drop --pod")}
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
			if output != "json" && output != "table" && output != "" {
				return usageError{fmt.Errorf("-o %q: want table or json", output)}
			}
			var rep *attack.Report
			var err error
			if target.Pod != "" {
				rep, err = probePod(cmd.Context(), target, only, cmd.ErrOrStderr())
			} else {
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
	cmd.Flags().StringVar(&target.Pod, "pod", "", "probe inside this running Pod (through kubectl exec; its image need not hold rampart)")
	cmd.Flags().StringVarP(&target.Container, "container", "c", "", "with --pod: the container (default: the Pod's default container, as kubectl picks it)")
	cmd.Flags().StringVarP(&target.Namespace, "namespace", "n", "", "with --pod: the Pod's namespace (default: the kubeconfig context's)")
	cmd.Flags().StringVar(&target.Context, "context", "", "with --pod: the kubeconfig context (default: the current one)")
	cmd.Flags().StringVar(&target.Kubectl, "kubectl", "kubectl", "with --pod: the kubectl to use (it reads KUBECONFIG as usual)")
	return cmd
}

// probePod runs this binary's probe in the target container and returns
// its report, marked with where it ran.
func probePod(ctx context.Context, t podexec.Target, only []string, stderr io.Writer) (*attack.Report, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if err := podexec.Static(self); err != nil {
		return nil, fmt.Errorf("--pod: %w (make build writes a static bin/rampart)", err)
	}
	// Ctrl-C ends the run through ctx, so the binary is still removed.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := []string{"probe", "-o", "json"}
	if len(only) > 0 {
		args = append(args, "--only", strings.Join(only, ","))
	}
	res, err := podexec.Run(ctx, t, self, args)
	if err != nil {
		return nil, err
	}
	stderr.Write(res.Stderr) // the probe's own warnings
	var rep attack.Report
	if err := json.Unmarshal(res.Stdout, &rep); err != nil {
		return nil, fmt.Errorf("container %s of pod %s/%s: the probe printed no report: %w", res.Container, res.Namespace, res.Pod, err)
	}
	rep.Pod = &attack.PodRef{Namespace: res.Namespace, Pod: res.Pod, Container: res.Container, Node: res.Node}
	return &rep, nil
}
