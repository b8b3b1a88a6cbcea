// Package oci turns a policy into the OCI runtime config a container
// runtime (runc) runs, with the defaults containerd gives a Kubernetes
// container: its 14 capabilities, the masked and read-only /proc paths,
// the usual namespaces and mounts.
package oci

import (
	"fmt"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp"
)

// Options are what the policy does not say.
type Options struct {
	// DefaultCaps is the runtime's default set, the base when the policy
	// keeps "inherited" capabilities (containerd's 14 when zero).
	DefaultCaps caps.Set
	// Rootfs is the bundle-relative root filesystem path ("rootfs").
	Rootfs string
	// Env is the process environment (PATH when empty).
	Env []string
}

// Spec builds the config for running args under p. Landlock rules and
// scopes have no
// place in an OCI config, nor an AppArmor profile on a machine without
// AppArmor: Dropped says what the config leaves out.
func Spec(p *policy.Policy, args []string, o Options) (*specs.Spec, error) {
	if o.DefaultCaps == 0 {
		o.DefaultCaps = runtimes.Containerd.Caps
	}
	if o.Rootfs == "" {
		o.Rootfs = "rootfs"
	}
	if len(o.Env) == 0 {
		o.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	set := o.DefaultCaps
	if c := p.Capabilities; c != nil {
		supported, err := caps.Supported()
		if err != nil {
			return nil, err
		}
		set = c.Resolve(o.DefaultCaps, supported)
	}
	names := set.Names(caps.Cap.OCI)
	s := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: o.Rootfs},
		Process: &specs.Process{
			Args: args, Env: o.Env, Cwd: "/",
			Capabilities: &specs.LinuxCapabilities{Bounding: names, Effective: names, Permitted: names},
			// containerd sets it from allowPrivilegeEscalation: false
			NoNewPrivileges: p.WantsNoNewPrivs(),
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Hostname: "rampart",
		Mounts:   defaultMounts(),
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace},
				{Type: specs.IPCNamespace}, {Type: specs.UTSNamespace}, {Type: specs.MountNamespace}},
			MaskedPaths:   slices.Clone(runtimes.Containerd.MaskedPaths),
			ReadonlyPaths: slices.Clone(runtimes.Containerd.ReadOnlyPaths),
		},
	}
	if u := p.User; u != nil {
		s.Process.User = specs.User{UID: uint32(u.UID), GID: uint32(u.GID)}
	}
	if p.Seccomp.Enabled() {
		prof, err := seccomp.Load(p.Seccomp, set)
		if err != nil {
			return nil, fmt.Errorf("seccomp: %w", err)
		}
		// rampart installs these itself; runc, given the names, drops
		// them without a word when its libseccomp does not know them, and
		// the calls stay open in the container.
		if len(prof.ByNumber) > 0 {
			var names []string
			for _, r := range prof.ByNumber {
				names = append(names, r.Name)
			}
			return nil, fmt.Errorf("seccomp: %s: the profile denies %s, newer than this machine's libseccomp: runc would drop those rules without a word (rampart run installs them by number)", prof.Name, strings.Join(names, ", "))
		}
		s.Linux.Seccomp = prof.Spec
	}
	if a := p.AppArmor; a != nil && a.Kind == policy.AppArmorLocalhost && features.HaveAppArmor() == nil {
		s.Process.ApparmorProfile = a.Name
	}
	return s, nil
}

// Dropped says what of p the config s, made by Spec, does not carry, and
// how to get it: a container run from s would not be held by it, and
// nothing in s says so.
func Dropped(p *policy.Policy, s *specs.Spec) []string {
	var out []string
	for _, r := range p.Landlock {
		out = append(out, fmt.Sprintf("%s is a Landlock rule, which an OCI config cannot carry: run the process under `rampart run %s` inside the container", r, r))
	}
	if len(p.Scope) > 0 {
		sc := "--scope " + strings.Join(p.Scope, ",")
		out = append(out, fmt.Sprintf("%s is a Landlock scope, which an OCI config cannot carry: run the process under `rampart run %s` inside the container", sc, sc))
	}
	if p.UserNS != nil {
		out = append(out, fmt.Sprintf("--userns is a user namespace (%s) this config does not make: run the process under `rampart run --userns` inside the container", p.UserNS))
	}
	if p.AppArmor != nil && s.Process.ApparmorProfile == "" && p.AppArmor.Kind == policy.AppArmorLocalhost {
		out = append(out, fmt.Sprintf("AppArmor is not in this kernel: the config names no profile (on an AppArmor node set process.apparmorProfile to %q)", p.AppArmor.Name))
	}
	return out
}

func defaultMounts() []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777"}},
	}
}
