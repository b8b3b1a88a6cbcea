// Package runtimes holds what a node's container runtime gives a
// container that is not privileged when nothing asks otherwise: its
// capability set, the /proc and /sys paths it masks and mounts read-only,
// its RuntimeDefault seccomp profile per release, where it listens on the
// node, and its default AppArmor profile: containerd's own per release
// (apparmor.go), rampart's stand-in for the others. Audit predicts from
// these, oci writes them into a config, sandbox and layers enforce them.
//
// The tables are facts of the runtimes' own code; runtimes_test.go holds
// them against runc's example spec and against the runtimes' sources
// (testdata/upstream, written by gen/main.go).
package runtimes

import (
	"fmt"
	"strings"

	"github.com/rampart-sec/rampart/caps"
)

// Runtime is what one container runtime gives a container that is not
// privileged: its newest modeled release's, where releases differ (Lookup
// picks an older release's seccomp profile; masked paths are said per
// runtime below).
type Runtime struct {
	// Name is containerd, cri-o, docker or podman.
	Name string
	// Caps is the capability set: bounding, effective and permitted for
	// root, bounding alone for another user.
	Caps caps.Set
	// MaskedPaths are hidden (an empty bind or /dev/null over them), and
	// ReadOnlyPaths bound read-only, in every container that is not
	// privileged: the runtime's own lists, which a Kubernetes node's
	// kubelet replaces with KubeletMaskedPaths and KubeletReadOnlyPaths.
	MaskedPaths, ReadOnlyPaths []string
	// Sockets are where the runtime listens on the node by default.
	Sockets []Socket
	aliases []string
}

// Socket is a runtime's API socket on the node. Group owns it: root
// (containerd and CRI-O chmod theirs 0660 root:root) or docker, a group
// whose number differs from node to node.
type Socket struct{ Path, Group string }

// AppArmorProfile names the profile rampart generates and loads for an
// AppArmor RuntimeDefault where it runs a container itself, and models in
// audit where the runtime's own is not modeled (CRI-O's crio-default,
// Docker's docker-default): its stand-in, made from the same kinds of
// rules. containerd's own, cri-containerd.apparmor.d, is kept per
// release (AppArmorFor).
const AppArmorProfile = "rampart-default"

// KubeletSeccompDir is the kubelet's default root for Localhost seccomp
// profiles (its --seccomp-profile-root): a manifest's localhostProfile
// is relative to it.
const KubeletSeccompDir = "/var/lib/kubelet/seccomp"

// The read-only paths of every runtime and of the kubelet: a write there
// reconfigures the host's kernel (/proc/sys, /proc/sysrq-trigger reboots
// it) or its devices (/proc/bus, /proc/irq).
var readOnly = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}

// The masked paths leak the host: its memory (/proc/kcore), the kernel's
// keyrings (/proc/keys), timing side channels (/proc/timer_list,
// /proc/sched_debug, /proc/interrupts), firmware (/sys/firmware) and the
// RAPL energy counters that leak what another process computes
// (/sys/devices/virtual/powercap).
var (
	// KubeletMaskedPaths are what the kubelet asks the runtime to mask in
	// a container whose procMount is Default (Kubernetes 1.35's static
	// list; it adds each CPU's thermal_throttle directory of the node).
	KubeletMaskedPaths = []string{"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap"}
	// KubeletReadOnlyPaths are what the kubelet asks to mount read-only.
	KubeletReadOnlyPaths = readOnly
)

var (
	// Containerd is containerd's defaults, its newest modeled release's
	// (pkg/oci's default spec; 2.4 also masks each CPU's thermal_throttle
	// directory of the host): the capabilities most Kubernetes nodes
	// grant. Older releases mask fewer paths: 1.6.36 and 1.7.35 not
	// /proc/interrupts, 1.6.20 and before not powercap either.
	Containerd = &Runtime{
		Name: "containerd",
		Caps: caps.Of(caps.CHOWN, caps.DAC_OVERRIDE, caps.FSETID, caps.FOWNER, caps.MKNOD, caps.NET_RAW,
			caps.SETGID, caps.SETUID, caps.SETFCAP, caps.SETPCAP, caps.NET_BIND_SERVICE, caps.SYS_CHROOT, caps.KILL, caps.AUDIT_WRITE),
		MaskedPaths: []string{"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
			"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/sys/devices/virtual/powercap", "/proc/scsi"},
		ReadOnlyPaths: readOnly,
		Sockets:       []Socket{{"/run/containerd/containerd.sock", "root"}},
		aliases:       []string{""}, // a node's runtime unless said otherwise
	}
	// CRIO is CRI-O's defaults: since 1.18 containerd's capabilities
	// without MKNOD, NET_RAW, SYS_CHROOT, SETFCAP and AUDIT_WRITE
	// (crio.conf's default_capabilities). CRI-O runs under a kubelet
	// only, and masks and mounts read-only what it asks.
	CRIO = &Runtime{
		Name: "cri-o",
		Caps: caps.Of(caps.CHOWN, caps.DAC_OVERRIDE, caps.FSETID, caps.FOWNER, caps.SETGID, caps.SETUID,
			caps.SETPCAP, caps.NET_BIND_SERVICE, caps.KILL),
		MaskedPaths:   KubeletMaskedPaths,
		ReadOnlyPaths: readOnly,
		Sockets:       []Socket{{"/run/crio/crio.sock", "root"}},
		aliases:       []string{"crio"},
	}
	// Docker is dockerd's defaults (moby 28's oci package, which also
	// masks each CPU's thermal_throttle directory; the kubelet keeps its
	// lists in step with moby's): containerd's capabilities. It listens on its own socket, group docker, and runs
	// on a containerd, whose socket is the node's too.
	Docker = &Runtime{
		Name:          "docker",
		Caps:          Containerd.Caps,
		MaskedPaths:   KubeletMaskedPaths,
		ReadOnlyPaths: readOnly,
		Sockets:       []Socket{{"/run/docker.sock", "docker"}, {"/run/containerd/containerd.sock", "root"}},
	}
)

// Podman is a rootful podman run's defaults, as Debian 12's podman 4.3.1
// reads them from containers-common 0.50.1's containers.conf: its 11
// default_capabilities (containers/common's compiled-in set since 4.5
// too), containers/common's masked paths (/proc/asound is read-only, not
// masked) and its seccomp.json as RuntimeDefault (seccomp/podman-*.json,
// that package's file). Quadlet's .container units run on it.
var Podman = &Runtime{
	Name: "podman",
	Caps: caps.Of(caps.CHOWN, caps.DAC_OVERRIDE, caps.FOWNER, caps.FSETID, caps.KILL, caps.NET_BIND_SERVICE,
		caps.SETFCAP, caps.SETGID, caps.SETPCAP, caps.SETUID, caps.SYS_CHROOT),
	MaskedPaths: []string{"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/sched_debug",
		"/proc/scsi", "/proc/timer_list", "/proc/timer_stats", "/sys/dev/block", "/sys/devices/virtual/powercap",
		"/sys/firmware", "/sys/fs/selinux"},
	ReadOnlyPaths: append([]string{"/proc/asound"}, readOnly...),
	Sockets:       []Socket{{"/run/podman/podman.sock", "root"}},
}

// All are the runtimes modeled.
var All = []*Runtime{Containerd, CRIO, Docker, Podman}

// Release is a runtime at the release a node runs: Lookup's answer.
type Release struct {
	*Runtime
	// Version is the version asked for; "" for the newest modeled.
	Version string
	// Seccomp is the release's RuntimeDefault seccomp profile.
	Seccomp Seccomp
	// AppArmor is the release's default AppArmor profile.
	AppArmor AppArmor
}

// UnknownError is a runtime rampart does not model.
type UnknownError struct{ Name string }

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown runtime %q: want %s", e.Name, names())
}

// names is "containerd, cri-o, docker or podman".
func names() string {
	var n []string
	for _, r := range All {
		n = append(n, r.Name)
	}
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}

// Named is the runtime of a name ("crio" is CRI-O; "" containerd).
func Named(name string) (*Runtime, error) {
	for _, r := range All {
		if r.Name == name {
			return r, nil
		}
		for _, a := range r.aliases {
			if a == name {
				return r, nil
			}
		}
	}
	return nil, &UnknownError{Name: name}
}

// Lookup is a runtime at a release. version is "" for the newest modeled
// release, a line ("1.7", "2") for the newest of that line, or a release
// ("1.6.20", "v1.6.20", "1.6.20~ds1") for the newest modeled at or below
// it in its line; it picks the RuntimeDefault seccomp profile and the
// default AppArmor profile. Docker has one seccomp profile, so no
// version. An unknown name is an *UnknownError.
func Lookup(name, version string) (*Release, error) {
	r, err := Named(name)
	if err != nil {
		return nil, err
	}
	s, err := seccompFor(r.Name, version)
	if err != nil {
		return nil, err
	}
	a, err := AppArmorFor(r.Name, version)
	if err != nil {
		return nil, err
	}
	return &Release{Runtime: r, Version: version, Seccomp: s, AppArmor: a}, nil
}
