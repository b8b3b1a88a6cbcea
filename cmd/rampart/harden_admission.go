package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/admission"
	"github.com/rampart-sec/rampart/report"
)

// admissionFlags are harden --admission's: the policies that hold Pods
// to the layers at the API server.
type admissionFlags struct {
	on, mutate, warn bool
	target, name     string
	exclude          []string
	nsLabels         map[string]string
}

func (a *admissionFlags) add(fl *pflag.FlagSet) {
	fl.BoolVar(&a.on, "admission", false, "write admission policies instead of hardening files: a ValidatingAdmissionPolicy (and binding) that refuses Pods and templates short of --target")
	fl.StringVar(&a.target, "target", "layers", "with --admission: the layers every container must have: a list of capabilities (NET_RAW out), seccomp (a profile), apparmor (a profile asked for), or layers for all three")
	fl.BoolVar(&a.mutate, "mutate", false, "with --admission: also a MutatingAdmissionPolicy that applies harden's defaults first (drop ALL, RuntimeDefault seccomp, allowPrivilegeEscalation: false; RuntimeDefault AppArmor when the target has apparmor)")
	fl.BoolVar(&a.warn, "warn", false, "with --admission: the binding warns and audits instead of denying (a rollout's first step)")
	fl.StringVar(&a.name, "name", admission.DefaultName, "with --admission: the policies' name")
	fl.StringSliceVar(&a.exclude, "exclude-namespace", []string{"kube-system", "rampart-system"}, "with --admission: namespaces the bindings leave alone (rampart-system: the node agent and its probe Pods)")
	fl.StringToStringVar(&a.nsLabels, "namespace-label", nil, "with --admission: bind only namespaces with this label, KEY=VALUE; repeatable")
}

// admissionOnly are the flags that mean something with --admission
// only; harden's others are for files, and mean nothing with it.
var admissionOnly = []string{"target", "mutate", "warn", "name", "exclude-namespace", "namespace-label"}

func (a *admissionFlags) check(fl *pflag.FlagSet, args []string) error {
	if !a.on {
		for _, f := range admissionOnly {
			if fl.Changed(f) {
				return fmt.Errorf("--%s is for --admission's policies", f)
			}
		}
		if len(args) == 0 {
			return fmt.Errorf("no FILES given: name manifests or a directory to harden, or write admission policies with --admission")
		}
		return nil
	}
	if len(args) > 0 {
		return fmt.Errorf("--admission writes policies for the API server; it reads no files (%s)", args[0])
	}
	var err error
	fl.Visit(func(f *pflag.Flag) {
		if err == nil && f.Name != "admission" && !slices.Contains(admissionOnly, f.Name) {
			err = fmt.Errorf("--%s hardens files; --admission writes policies: give one or the other", f.Name)
		}
	})
	return err
}

// write writes the policies as multi-document YAML, ready for
// kubectl apply -f -.
func (a *admissionFlags) write(stdout io.Writer) error {
	t, err := admission.ParseTarget(a.target)
	if err != nil {
		return usageError{fmt.Errorf("--target: %w", err)}
	}
	return report.Manifests(stdout, admission.Manifests(admission.Options{Target: t, Name: a.name, Warn: a.warn, Exclude: a.exclude, NamespaceLabels: a.nsLabels}, a.mutate)...)
}
