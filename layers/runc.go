package layers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/runc"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/policy"
)

// Runc runs each step in a real runc container, from the OCI config
// oci.Spec writes for it. Capabilities, the user, no_new_privs and
// seccomp are runc's to apply; AppArmor too where the kernel has it.
// Landlock has no place in an OCI config, so an LSM step that needs it
// (rules or scopes) starts rampart's StepCommand inside the container,
// applying only those.
type Runc struct {
	rootfs string
	dir    string
}

// NewRunc prepares the root filesystem shared (read-only) by every
// step's container: rootfs when given, else a busybox one with rampart
// (self, which must be the static build) inside.
func NewRunc(self, rootfs, dir string) (*Runc, error) {
	if rootfs == "" {
		rootfs = filepath.Join(dir, "rootfs")
		if err := runc.Rootfs(rootfs, self); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(filepath.Join(rootfs, runc.RampartInRootfs)); err != nil {
		return nil, fmt.Errorf("--rootfs %s has no %s (copy the static rampart there)", rootfs, runc.RampartInRootfs)
	}
	abs, err := filepath.Abs(rootfs)
	if err != nil {
		return nil, err
	}
	return &Runc{rootfs: abs, dir: dir}, nil
}

func (*Runc) Name() string { return "runc" }

// containerSpec splits the step: what runc applies goes into the config,
// Landlock (own rules, or an AppArmor profile's on a kernel without
// AppArmor) into a policy the StepCommand applies inside. req is what
// the container's process does; its Command runs as the container's
// process itself when there is no such policy.
func (r *Runc) containerSpec(s Step, req StepRequest) (*specs.Spec, []string, error) {
	outer := *s.Policy
	outer.Landlock, outer.Scope, outer.LSMFallback, outer.UserNS = nil, nil, "", nil
	var inner []policy.FSRule
	var notes []string
	inner = append(inner, s.Policy.Landlock...)
	if a := s.Policy.AppArmor; a != nil && a.Kind == policy.AppArmorLocalhost {
		if err := features.HaveAppArmor(); err != nil {
			if s.Policy.LSMFallback != "landlock" || a.File == "" {
				return nil, nil, &policy.LayerError{Layer: policy.LayerAppArmor, Err: err}
			}
			prof, err := apparmor.ProfileIn(a.File, a.Name)
			if err != nil {
				return nil, nil, err
			}
			rules, err := prof.LandlockRules()
			if err != nil {
				return nil, nil, &policy.LayerError{Layer: policy.LayerAppArmor, Err: err}
			}
			inner = append(inner, rules...)
			var desc []string
			for _, r := range rules {
				desc = append(desc, r.String())
			}
			notes = append(notes, fmt.Sprintf("AppArmor is not in this kernel: profile %s is enforced by Landlock as %s, by rampart run inside the container", prof.Name, strings.Join(desc, " ")))
			outer.AppArmor = nil
		} else if a.File != "" {
			if _, err := apparmor.Load([]string{a.File}, apparmor.LoadOptions{}); err != nil {
				return nil, nil, err
			}
		}
	}
	args := req.Command
	if args == nil {
		args = req.Argv(runc.RampartInRootfs)
	}
	spec, err := oci.Spec(&outer, args, oci.Options{Rootfs: r.rootfs})
	if err != nil {
		return nil, nil, err
	}
	spec.Root.Readonly = true
	if len(inner) == 0 && len(s.Policy.Scope) == 0 && s.Policy.UserNS == nil {
		return spec, notes, nil
	}
	t := true
	host := filepath.Join(r.dir, "lsm-"+strings.TrimPrefix(s.Name, "+")+".json")
	if err := policy.WriteFile(host, &policy.Policy{Source: s.Policy.Source, Landlock: inner, Scope: s.Policy.Scope, UserNS: s.Policy.UserNS, NoNewPrivs: &t}); err != nil {
		return nil, nil, err
	}
	// /tmp is a tmpfs in the container; the file is bound over a path
	// there so the read-only rootfs needs no mount point.
	req.Policy = "/tmp/rampart-lsm.json"
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: req.Policy, Type: "bind", Source: host, Options: []string{"bind", "ro"}})
	spec.Process.Args = req.Argv(runc.RampartInRootfs)
	return spec, notes, nil
}

func (r *Runc) run(ctx context.Context, s Step, req StepRequest) (*runc.Result, []string, error) {
	spec, notes, err := r.containerSpec(s, req)
	if err != nil {
		return nil, nil, err
	}
	bundle, err := os.MkdirTemp(r.dir, "bundle-")
	if err != nil {
		return nil, nil, err
	}
	res, err := runc.Run(ctx, bundle, spec)
	return res, notes, err
}

func (r *Runc) Probe(ctx context.Context, s Step, ids []string) (*attack.Report, []string, error) {
	res, notes, err := r.run(ctx, s, StepRequest{Only: ids})
	if err != nil {
		return nil, nil, err
	}
	if res.ExitCode != 0 {
		return nil, nil, fmt.Errorf("container exit %d: %s", res.ExitCode, strings.TrimSpace(string(res.Stderr)))
	}
	var rep attack.Report
	if err := json.Unmarshal(res.Stdout, &rep); err != nil {
		return nil, nil, fmt.Errorf("probe output: %w: %s", err, res.Stderr)
	}
	return &rep, notes, nil
}

func (r *Runc) Attack(ctx context.Context, s Step, shell string) (bool, string, error) {
	res, _, err := r.run(ctx, s, StepRequest{Command: []string{"/bin/sh", "-c", shell}})
	if err != nil {
		return false, "", err
	}
	if res.ExitCode == 0 {
		return true, "exit 0", nil
	}
	return false, fmt.Sprintf("exit %d: %s", res.ExitCode, lastLine(string(res.Stdout)+string(res.Stderr))), nil
}
