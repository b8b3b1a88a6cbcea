package main

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rampart-sec/rampart/internal/launcher"
	"github.com/rampart-sec/rampart/layers"
	"github.com/rampart-sec/rampart/policy/source"
	"github.com/rampart-sec/rampart/report"
	"github.com/rampart-sec/rampart/runtimes"
)

//go:embed help/layers.txt
var layersLong string

func newLayersCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		lf          layerFlags
		output      string
		only        []string
		steps       []string
		attacks     []string
		engine      string
		rootfs      string
		runtimeName string
		image       string
		kubectl     string
		policyFile  string
		node        string
		selector    map[string]string
		podTimeout  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "layers [POLICY]",
		Short: "Show which layer closes which attack path, live (the main job)",
		Long:  layersLong,
		Example: `  rampart layers
  rampart layers examples/seed/1-drop-net-raw.yaml
  rampart layers deploy.yaml#web --apparmor-dir ./apparmor -o markdown
  rampart layers --cap-drop ALL --seccomp runtime-default --deny-read /etc/shadow
  rampart layers --attack 'unshare -r -n true' --attack 'cat /etc/shadow'
  rampart layers -o svg > layers.svg
  rampart layers --engine kubernetes --node worker-1
  rampart layers examples/seed/2-seccomp.yaml --userns --steps +seccomp,+userns`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := runtimes.Named(runtimeName)
			if err != nil {
				return usageError{fmt.Errorf("--runtime: %w", err)}
			}
			defaults := rt.Caps
			if err := layers.CheckEngine(engine); err != nil {
				return usageError{err}
			}
			if err := layers.CheckPlacement(engine, node, selector); err != nil {
				return usageError{err}
			}
			if podTimeout <= 0 {
				return usageError{fmt.Errorf("--pod-timeout %s: it must be positive", podTimeout)}
			}
			if err := report.CheckFormat(report.KindLayers, output); err != nil {
				return err // before the run, whose matrix could not be written
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			in := lf.input(defaults)
			in.Policy, in.Probe, in.Seed = policyFile, self, true
			if len(args) > 0 {
				in.Manifest = args[0]
			}
			res, err := source.Resolve(in)
			if err != nil {
				return err
			}
			defer res.Close()
			if cmd.Flags().Changed("steps") {
				if _, err := layers.Select(layers.Steps(res.Policy, defaults), steps); err != nil {
					return usageError{fmt.Errorf("--steps: %w", err)}
				}
			} else {
				steps = nil
			}
			// Ctrl-C cancels the run, and the deferred Closes still delete
			// the step files and a kubernetes engine's scratch namespace.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			r, err := layers.Open(ctx, layers.EngineOptions{Name: engine, Self: self, Launcher: launcher.Program(self), Rootfs: rootfs, Image: image, Kubectl: kubectl, Defaults: defaults, SeccompDir: lf.SeccompDir, Node: node, NodeSelector: selector, PodTimeout: podTimeout})
			if err != nil {
				return err
			}
			defer r.Close()
			m, err := r.Run(ctx, res.Policy, defaults, layers.Options{Only: only, Attacks: attacks, Steps: steps})
			if err != nil {
				return err
			}
			m.Notes = append(res.Notes, m.Notes...)
			return writeLayers(stdout, m, output)
		},
	}
	fl := cmd.Flags()
	lf.register(fl, "landlock")
	fl.StringVarP(&output, "output", "o", "table", "table, json, markdown, svg or html")
	fl.StringSliceVar(&only, "only", nil, "catalog paths to run (IDs); default: all")
	fl.StringSliceVar(&steps, "steps", nil, "the steps to run, each cumulative (+seccomp holds the capabilities too): "+strings.Join(layers.StepNames, ", ")+"; default: all the policy has")
	fl.StringArrayVar(&attacks, "attack", nil, "an extra row: a shell command run with /bin/sh -c under each configuration (exit 0 = open)")
	fl.StringVar(&engine, "engine", "local", "local (children of this host), runc (a real runc container per configuration) or kubernetes (a Pod per configuration in a scratch namespace of the current kubeconfig's cluster)")
	fl.StringVar(&image, "image", layers.DefaultImage, "with --engine kubernetes: an image holding the static rampart at "+layers.RampartInImage+" (make image builds one)")
	fl.StringVar(&kubectl, "kubectl", "kubectl", "with --engine kubernetes: the kubectl to use (it reads KUBECONFIG as usual)")
	fl.StringVar(&node, "node", "", "with --engine kubernetes: run every configuration's Pod on this node (spec.nodeName; it must be Ready)")
	fl.StringToStringVar(&selector, "node-selector", nil, "with --engine kubernetes: a nodeSelector `KEY=VALUE[,...]` on every Pod; the scheduler picks among the Ready nodes it matches")
	fl.Lookup("node-selector").DefValue = "" // none, not "[]"
	fl.DurationVar(&podTimeout, "pod-timeout", layers.DefaultPodTimeout, "with --engine kubernetes: how long one configuration's Pod may take, from creation to its end (image pull included)")
	fl.StringVar(&rootfs, "rootfs", "", "with --engine runc: the root filesystem (default: a busybox one rampart assembles)")
	fl.StringVar(&policyFile, "policy", "", "take the layers from a policy `FILE` (rampart.policy/v1), or from a recording (the directory rampart record wrote, its recording.json or policy.json: the probe's own calls are added so that it can run under the recorded allow list), with the layer flags over it")
	fl.StringVar(&runtimeName, "runtime", "containerd", "the runtime whose default capabilities form the baseline: containerd (14) or cri-o (9)")
	return cmd
}

// isTerminal says whether w is a terminal: people get colour and
// indentation, pipes get what machines read fastest.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func writeLayers(w io.Writer, m *layers.Matrix, output string) error {
	colour := isTerminal(w) && os.Getenv("NO_COLOR") == ""
	return report.Layers(w, m, output, colour)
}
