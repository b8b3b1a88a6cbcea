package launcher

import (
	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

// LayerFlags are the policy flags run, layers and oci spec share: one
// definition, registered on the full command line and on the launcher's
// own, so that both read the same words the same way.
type LayerFlags struct {
	policy.Flags
	ApparmorDir, SeccompDir string
}

// Register adds the flags; fallback is --lsm-fallback's default.
func (l *LayerFlags) Register(fl *pflag.FlagSet, fallback string) {
	f := &l.Flags
	fl.StringArrayVar(&f.CapDrop, "cap-drop", nil, "capabilities to drop (NET_RAW, CAP_NET_RAW, net_raw, ALL; repeatable, comma lists)")
	fl.StringArrayVar(&f.CapAdd, "cap-add", nil, "capabilities to add back (same forms)")
	fl.StringVar(&f.User, "user", "", "run as UID[:GID] (numbers or names); supplementary groups are cleared")
	fl.StringVar(&f.Seccomp, "seccomp", "", "seccomp profile: runtime-default, unconfined, or a FILE (OCI, Docker or containers/common JSON, a bundle's config.json, an SPO SeccompProfile, the filters of a systemd NAME.service)")
	fl.StringVar(&f.AppArmor, "apparmor", "", "AppArmor profile NAME (loaded) or FILE (loaded as rampart apparmor load does)")
	fl.StringVar(&l.ApparmorDir, "apparmor-dir", "", "directory of AppArmor profile files, looked up by profile name")
	fl.StringVar(&l.SeccompDir, "seccomp-dir", runtimes.KubeletSeccompDir, "root for Localhost seccomp profiles of manifests (the kubelet's)")
	fl.StringArrayVar(&f.DenyRead, "deny-read", nil, "deny reading files at or beneath PATH (Landlock; repeatable)")
	fl.StringArrayVar(&f.DenyWrite, "deny-write", nil, "deny writing at or beneath PATH (Landlock; repeatable)")
	fl.StringArrayVar(&f.ReadOnly, "read-only", nil, "make PATH read-only (Landlock; repeatable)")
	fl.StringArrayVar(&f.Allow, "allow", nil, "allow-list PATH:ACCESS with ACCESS of r, w, x (Landlock; repeatable)")
	fl.StringArrayVar(&f.Scope, "scope", nil, "Landlock scopes (kernel 6.12+, refused on older): signal (no signal to a process outside the workload), abstract-unix (no connect to an abstract UNIX socket bound outside it); comma lists")
	fl.StringVar(&f.UserNS, "userns", "", "run in a user namespace of its own whose root is an unprivileged host id: --userns picks a free block of 65536 ids, --userns=HOSTID[:SIZE] names one (the value takes =)")
	fl.Lookup("userns").NoOptDefVal = "auto"
	fl.StringArrayVar(&f.AllowDevices, "allow-device", nil, "leave device node PATH open although it holds a denied file's filesystem (repeatable)")
	fl.StringVar(&f.LSMFallback, "lsm-fallback", fallback, "landlock: where the kernel has no AppArmor, enforce an AppArmor profile's file rules with Landlock (and say so) if apparmor_parser -Q -K accepts the profile (where it is installed); none: refuse")
}

// RunFlags are `rampart run`'s flags.
type RunFlags struct {
	Layers LayerFlags
	// From and Policy name a file to take the layers from: a manifest
	// FILE[#CONTAINER], a policy file or recording.
	From, Policy string
	PreserveFDs  int
	Verbose      bool
	Strict       bool
	noNewPrivs   bool
}

// Register adds the flags. Flags stop at CMD: its own flags stay its own.
func (r *RunFlags) Register(fl *pflag.FlagSet) {
	f := &r.Layers.Flags
	fl.SetInterspersed(false)
	r.Layers.Register(fl, "")
	fl.BoolVar(&f.CapAmbient, "cap-ambient", false, "also raise the resulting set into the ambient set, so a non-root CMD keeps it")
	fl.BoolVar(&r.noNewPrivs, "no-new-privs", false, "set no_new_privs; =false turns it off (unset: on when seccomp or Landlock is used)")
	fl.StringVar(&r.From, "from", "", "take the layers from a Kubernetes manifest FILE[#CONTAINER], a Docker Compose FILE[#SERVICE], an OCI runtime config (a bundle's config.json), a systemd service unit (NAME.service), a Podman Quadlet unit (NAME.container), or a docker run command line ('docker run --cap-drop ALL … IMAGE')")
	fl.StringVar(&r.Policy, "policy", "", "take the layers from a policy `FILE` (rampart.policy/v1, docs/policy-json.md; as rampart record writes, or the directory it wrote), the layer flags over it")
	fl.IntVar(&r.PreserveFDs, "preserve-fds", 0, "keep descriptors 3 to 3+N-1 open in CMD (every other one above 2 is closed, as runc does)")
	fl.BoolVarP(&r.Verbose, "verbose", "v", false, "print the plan and the state the kernel reports before exec")
	fl.BoolVar(&r.Strict, "strict-profile", false, "refuse (exit 125) a seccomp profile with a deny that a variant of the same call gets past on this kernel, instead of warning")
}

// NamesFile says whether the flags name a file to take the layers from:
// such an input is resolved by the full command line (policy/source).
func (r *RunFlags) NamesFile() bool { return r.From != "" || r.Policy != "" }

// StepFlags are the flags of a layers step's entry point (step.Command).
type StepFlags struct {
	Policy string
	Only   []string
}

// Register adds the flags.
func (s *StepFlags) Register(fl *pflag.FlagSet) {
	fl.StringVar(&s.Policy, "policy", "", "the step's policy file (rampart.policy/v1), applied before the rest")
	fl.StringSliceVar(&s.Only, "only", nil, "the catalog paths to probe (IDs)")
}
