package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/examples"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/layers"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/report"
	"github.com/rampart-sec/rampart/runtimes"
)

const layersLong = `Run the attack-path catalog under cumulative configurations and show which
layer closed which path — the seed article's experiment, live:

  baseline       the workload as a container runtime runs it with no
                 securityContext: root, the runtime's default capabilities
                 (containerd's 14), no seccomp, no LSM
  +capabilities  the policy's capability drops and adds, and its user
  +seccomp       the policy's seccomp profile
  +lsm           the policy's AppArmor profile or Landlock rules

Each configuration is a fresh child launched by ` + "`rampart run`" + `, running
` + "`rampart probe`" + ` (--engine runc: a runc container; --engine kubernetes: a Pod
in a scratch namespace of the current kubeconfig's cluster, deleted
afterwards — a step the kubelet refuses, such as an AppArmor profile on a
node without AppArmor, is reported as not run, with the kubelet's words). With no POLICY, rampart runs its embedded default: the
seed's workload (examples/seed/3-apparmor.yaml) — drop NET_RAW,
seccompProfile RuntimeDefault, and the AppArmor profile flask-deny-shadow
(deny /etc/shadow r). On a kernel without AppArmor, Landlock enforces the
profile's rule and the output says so (--lsm-fallback none refuses
instead).

POLICY is a Kubernetes manifest (any workload kind; FILE#CONTAINER picks a
container; AppArmor profiles are found by name in --apparmor-dir), or
nothing plus the same layer flags as ` + "`rampart run`" + `, or --policy FILE: a
policy file (rampart.policy/v1, docs/policy-json.md), or a recording (the
directory ` + "`rampart record`" + ` wrote, its recording.json, or the policy.json
generated beside it, which names the recording): its policy is generated
with the probe's own system calls and file reads added, none of them an
attack's, since the probe is a program the workload's allow list knows
nothing of; the output lists them.`

func newLayersCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		lf          layerFlags
		output      string
		only        []string
		attacks     []string
		engine      string
		rootfs      string
		runtimeName string
		image       string
		kubectl     string
		policyFile  string
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
  rampart layers -o svg > layers.svg`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := runtimes.Named(runtimeName)
			if err != nil {
				return usageError{fmt.Errorf("--runtime: %w", err)}
			}
			defaults := rt.Caps
			tmp, err := os.MkdirTemp("", "rampart-layers-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)

			self, err := os.Executable()
			if err != nil {
				return err
			}
			var p *policy.Policy
			var notes []string
			if policyFile != "" {
				if len(args) > 0 {
					return usageError{fmt.Errorf("POLICY and --policy: choose one")}
				}
				rec, recPath, err := recordingOf(policyFile)
				switch {
				case err != nil:
					return err
				case rec != nil:
					p, notes, err = recordedPolicy(rec, recPath, self, tmp, &lf)
				default:
					p, err = buildPolicy(&lf, "", policyFile)
				}
				if err != nil {
					return err
				}
			} else if p, notes, err = layersPolicy(args, &lf, tmp, defaults); err != nil {
				return err
			}
			var ids []string
			if len(only) > 0 {
				ids = only
			}
			var e layers.Engine
			switch engine {
			case "local":
				e = &layers.Local{Self: self, Dir: tmp}
			case "runc":
				e, err = layers.NewRunc(self, rootfs, tmp)
				if err != nil {
					return err
				}
			case "kubernetes", "k8s":
				// Ctrl-C cancels the run, and the deferred Close still
				// deletes the scratch namespace.
				ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				cmd.SetContext(ctx)
				k, err := layers.NewKubernetes(ctx, layers.KubernetesOptions{
					Kubectl: kubectl, Image: image, Defaults: defaults, SeccompDir: lf.seccompDir})
				if err != nil {
					return err
				}
				defer k.Close()
				e = k
			default:
				return usageError{fmt.Errorf("--engine %q: want local, runc or kubernetes", engine)}
			}
			steps := layers.Steps(p, defaults)
			opts := layers.Options{Only: ids, Attacks: attacks}
			m, err := layers.Run(cmd.Context(), e, p, steps, opts)
			if err != nil {
				return err
			}
			m.Notes = append(notes, m.Notes...)
			if engine == "runc" {
				// Rows the container's own defaults decide are explained
				// against the same run on this host.
				ref, err := layers.Run(context.Background(), &layers.Local{Self: self, Dir: tmp}, p, steps, opts)
				if err != nil {
					return fmt.Errorf("local reference run: %w", err)
				}
				m.Notes = append(m.Notes, layers.Differences(m, ref)...)
			}
			return writeLayers(stdout, m, output)
		},
	}
	fl := cmd.Flags()
	lf.register(fl, "landlock")
	fl.StringVarP(&output, "output", "o", "table", "table, json, markdown, svg or html")
	fl.StringSliceVar(&only, "only", nil, "catalog paths to run (IDs); default: all")
	fl.StringArrayVar(&attacks, "attack", nil, "an extra row: a shell command run with /bin/sh -c under each configuration (exit 0 = open)")
	fl.StringVar(&engine, "engine", "local", "local (children of this host), runc (a real runc container per configuration) or kubernetes (a Pod per configuration in a scratch namespace of the current kubeconfig's cluster)")
	fl.StringVar(&image, "image", layers.DefaultImage, "with --engine kubernetes: an image holding the static rampart at "+layers.RampartInImage+" (make image builds one)")
	fl.StringVar(&kubectl, "kubectl", "kubectl", "with --engine kubernetes: the kubectl to use (it reads KUBECONFIG as usual)")
	fl.StringVar(&rootfs, "rootfs", "", "with --engine runc: the root filesystem (default: a busybox one rampart assembles)")
	fl.StringVar(&policyFile, "policy", "", "take the layers from a policy `FILE` (rampart.policy/v1), or from a recording (the directory rampart record wrote, its recording.json or policy.json: the probe's own calls are added so that it can run under the recorded allow list), with the layer flags over it")
	fl.StringVar(&runtimeName, "runtime", "containerd", "the runtime whose default capabilities form the baseline: containerd (14) or cri-o (9)")
	return cmd
}

// layersPolicy resolves POLICY (or the embedded default, or flags).
func layersPolicy(args []string, lf *layerFlags, tmp string, defaults caps.Set) (*policy.Policy, []string, error) {
	f := &lf.Flags
	var notes []string
	var p *policy.Policy
	switch {
	case len(args) == 1:
		var err error
		if p, err = lf.manifestPolicy(args[0], defaults); err != nil {
			return nil, nil, err
		}
	case f.Empty():
		// The embedded default: the seed's last manifest and its profile.
		if err := writeSeed(tmp); err != nil {
			return nil, nil, err
		}
		seedDir := *lf
		seedDir.apparmorDir = filepath.Join(tmp, "seed")
		var err error
		if p, err = seedDir.manifestPolicy(filepath.Join(tmp, examples.SeedDefault), defaults); err != nil {
			return nil, nil, err
		}
		p.Source = "the seed's workload (" + examples.SeedDefault + ", embedded)"
	}
	p, err := f.Apply(p)
	if err != nil {
		return nil, nil, err
	}
	if f.AppArmor != "" {
		if p.AppArmor, err = apparmor.Reference(f.AppArmor, lf.apparmorDir, "--apparmor"); err != nil {
			return nil, nil, &policy.LayerError{Layer: policy.LayerAppArmor, Err: err}
		}
	}
	if f.LSMFallback == "none" {
		p.LSMFallback = ""
	}
	if p.AppArmor != nil && features.HaveAppArmor() != nil && p.LSMFallback != "landlock" {
		notes = append(notes, "the kernel has no AppArmor and --lsm-fallback is none: the +lsm step will be refused")
	}
	return p, notes, nil
}

func writeSeed(dir string) error {
	return fs.WalkDir(examples.Seed, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, path)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := examples.Seed.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
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
