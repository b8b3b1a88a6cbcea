package layers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/policy"
)

// EngineOptions choose and configure the engine a Runner uses.
type EngineOptions struct {
	// Name is local, runc or kubernetes (k8s).
	Name string
	// Self is the rampart executable: the local engine re-executes it
	// for each step, the runc engine copies it into its root filesystem
	// (it must then be the static build).
	Self string
	// Launcher is the program the local engine runs each step in ("":
	// Self): rampart-run, which takes the same step command line and
	// starts faster.
	Launcher string
	// Rootfs is the runc engine's root filesystem ("": a busybox one
	// with Self inside).
	Rootfs string
	// Image and Kubectl configure the kubernetes engine (see
	// KubernetesOptions).
	Image, Kubectl string
	// Defaults is the node runtime's default capability set.
	Defaults caps.Set
	// SeccompDir is the kubelet's seccomp directory.
	SeccompDir string
	// Node and NodeSelector place the kubernetes engine's Pods (see
	// KubernetesOptions and CheckPlacement).
	Node         string
	NodeSelector map[string]string
	// PodTimeout bounds each kubernetes Pod (0: DefaultPodTimeout).
	PodTimeout time.Duration
}

// CheckEngine says whether name is an engine Open knows.
func CheckEngine(name string) error {
	switch name {
	case "local", "runc", "kubernetes", "k8s":
		return nil
	}
	return fmt.Errorf("--engine %q: want local, runc or kubernetes", name)
}

// Runner is an engine ready to run a policy's steps, with what it holds
// (its directory of step files, a scratch namespace).
type Runner struct {
	Engine Engine
	// reference is the local engine a container engine's matrix is
	// compared with.
	reference Engine
	dir       string
	close     func() error
}

// Open prepares the engine o names. Close releases it.
func Open(ctx context.Context, o EngineOptions) (*Runner, error) {
	if err := CheckEngine(o.Name); err != nil {
		return nil, err
	}
	if err := CheckPlacement(o.Name, o.Node, o.NodeSelector); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "rampart-layers-")
	if err != nil {
		return nil, err
	}
	r := &Runner{dir: dir}
	switch o.Name {
	case "local":
		r.Engine = &Local{Self: cmp.Or(o.Launcher, o.Self), Dir: dir}
		r.close = closer(bindOutside())
	case "runc":
		r.Engine, err = NewRunc(o.Self, o.Rootfs, dir)
		// Rows the container's own defaults decide are explained
		// against the same run on this host.
		r.reference = &Local{Self: cmp.Or(o.Launcher, o.Self), Dir: dir}
		r.close = closer(bindOutside())
	default:
		var k *Kubernetes
		k, err = NewKubernetes(ctx, KubernetesOptions{Kubectl: o.Kubectl, Image: o.Image, Defaults: o.Defaults, SeccompDir: o.SeccompDir, Node: o.Node, NodeSelector: o.NodeSelector, Timeout: o.PodTimeout})
		if err == nil {
			r.Engine, r.close = k, k.Close
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

func closer(f func()) func() error { return func() error { f(); return nil } }

// Close deletes what Open made: the step files, the kubernetes engine's
// scratch namespace, the abstract socket bound outside the local steps.
func (r *Runner) Close() error {
	var err error
	if r.close != nil {
		err = r.close()
	}
	return errors.Join(err, os.RemoveAll(r.dir))
}

// Run runs p's steps (Steps, with the runtime's defaults) and builds the
// matrix; on a container engine, rows that differ from the same run on
// this host are explained in its notes.
func (r *Runner) Run(ctx context.Context, p *policy.Policy, defaults caps.Set, o Options) (*Matrix, error) {
	var notes []string
	steps := Steps(p, defaults)
	if o.Steps != nil {
		var err error
		if steps, err = Select(steps, o.Steps); err != nil {
			return nil, err
		}
	}
	if k, ok := r.Engine.(*Kubernetes); ok {
		// The nodes' kernels decide there, not this one's.
		notes = append(notes, k.Place(ctx, steps)...)
	} else if p.AppArmor != nil && features.HaveAppArmor() != nil && p.LSMFallback != "landlock" {
		notes = append(notes, "the kernel has no AppArmor and --lsm-fallback is none: the +lsm step will be refused")
	}
	m, err := Run(ctx, r.Engine, p, steps, o)
	if err != nil {
		return nil, err
	}
	m.Notes = append(notes, m.Notes...)
	if r.reference != nil {
		ref, err := Run(ctx, r.reference, p, steps, o)
		if err != nil {
			return nil, fmt.Errorf("local reference run: %w", err)
		}
		m.Notes = append(m.Notes, Differences(m, ref)...)
	}
	return m, nil
}
