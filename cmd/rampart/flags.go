package main

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/bytesize"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/policy"
)

// layerFlags are the policy flags run, layers and oci spec share.
type layerFlags struct {
	policy.Flags
	apparmorDir, seccompDir string
}

// register adds the flags; fallback is --lsm-fallback's default.
func (l *layerFlags) register(fl *pflag.FlagSet, fallback string) {
	f := &l.Flags
	fl.StringArrayVar(&f.CapDrop, "cap-drop", nil, "capabilities to drop (NET_RAW, CAP_NET_RAW, net_raw, ALL; repeatable, comma lists)")
	fl.StringArrayVar(&f.CapAdd, "cap-add", nil, "capabilities to add back (same forms)")
	fl.StringVar(&f.User, "user", "", "run as UID[:GID] (numbers or names); supplementary groups are cleared")
	fl.StringVar(&f.Seccomp, "seccomp", "", "seccomp profile: runtime-default, unconfined, or an OCI / Docker JSON FILE")
	fl.StringVar(&f.AppArmor, "apparmor", "", "AppArmor profile NAME (loaded) or FILE (loaded with apparmor_parser -r)")
	fl.StringVar(&l.apparmorDir, "apparmor-dir", "", "directory of AppArmor profile files, looked up by profile name")
	fl.StringVar(&l.seccompDir, "seccomp-dir", kube.DefaultSeccompDir, "root for Localhost seccomp profiles of manifests (the kubelet's)")
	fl.StringArrayVar(&f.DenyRead, "deny-read", nil, "deny reading files at or beneath PATH (Landlock; repeatable)")
	fl.StringArrayVar(&f.DenyWrite, "deny-write", nil, "deny writing at or beneath PATH (Landlock; repeatable)")
	fl.StringArrayVar(&f.ReadOnly, "read-only", nil, "make PATH read-only (Landlock; repeatable)")
	fl.StringArrayVar(&f.Allow, "allow", nil, "allow-list PATH:ACCESS with ACCESS of r, w, x (Landlock; repeatable)")
	fl.StringArrayVar(&f.AllowDevices, "allow-device", nil, "leave device node PATH open although it holds a denied file's filesystem (repeatable)")
	fl.StringVar(&f.LSMFallback, "lsm-fallback", fallback, "landlock: where the kernel has no AppArmor, enforce an AppArmor profile's file rules with Landlock (and say so); none: refuse")
}

// manifestPolicy reads FILE[#CONTAINER] and builds its container's policy.
func (l *layerFlags) manifestPolicy(ref string, defaults caps.Set) (*policy.Policy, error) {
	file, name := ref, ""
	if i := strings.LastIndexByte(ref, '#'); i >= 0 {
		file, name = ref[:i], ref[i+1:]
	}
	cs, err := kube.ReadFile(file)
	if err != nil && len(cs) == 0 {
		return nil, &policy.LayerError{Layer: policy.LayerManifest, Err: err}
	}
	c, err := kube.Select(cs, name)
	if err != nil {
		return nil, &policy.LayerError{Layer: policy.LayerManifest, Err: err}
	}
	p, err := c.Policy(kube.Options{ApparmorDir: l.apparmorDir, SeccompDir: l.seccompDir, DefaultCaps: defaults})
	if err != nil {
		return nil, &policy.LayerError{Layer: policy.LayerManifest, Err: err}
	}
	return p, nil
}

// byteSize is a size flag: 8MiB, 512KiB, 1000.
type byteSize int

func (b *byteSize) String() string { return bytesize.Format(int(*b)) }
func (b *byteSize) Type() string   { return "size" }
func (b *byteSize) Set(s string) error {
	n, err := bytesize.Parse(s)
	*b = byteSize(n)
	return err
}
