package attack

import (
	"testing"

	"github.com/rampart-sec/rampart/caps"
)

// Where the runtime-socket probe looks for a socket a mount brings in:
// what package audit predicts with.
func TestSocketInMount(t *testing.T) {
	for _, c := range []struct {
		mount, rel string
		want       bool
	}{
		// the socket itself, at its usual path or under a runtime
		// socket's name anywhere
		{"/var/run/docker.sock", "", true},
		{"/run/containerd/containerd.sock", "", true},
		{"/host/containerd.sock", "", true},
		{"/sock/api.sock", "", false},
		// a directory above it
		{"/run", "containerd/containerd.sock", true},
		{"/var/run", "containerd/containerd.sock", true}, // /var/run need not be a link in the image
		{"/run/containerd", "containerd.sock", true},
		{"/host/run", "containerd/containerd.sock", true},
		{"/host", "run/containerd/containerd.sock", true},
		{"/host/var/run/containerd", "containerd.sock", true},
		// brought in where no tail of a well-known path is
		{"/host", "var/lib/rancher/containerd.sock.d/x", false},
		{"/data", "lab/run/containerd.sock", false},
		// the mount of the container's root is not a mount the attack
		// looks below (the well-known paths are tried there)
		{"/", "containerd.sock", false},
	} {
		if got := SocketInMount(c.mount, c.rel); got != c.want {
			t.Errorf("SocketInMount(%q, %q) = %v, want %v", c.mount, c.rel, got, c.want)
		}
	}
	for _, p := range []string{"/var/run/containerd/containerd.sock", "/run/docker.sock", "/var/run/crio/crio.sock"} {
		if !WellKnownSocket(p) {
			t.Errorf("%s is not tried", p)
		}
	}
}

// The sysctls that turn a capability check on or off decide it in
// MissingCaps, for the probe's attribution and audit's prediction alike.
func TestMissingCapsSysctls(t *testing.T) {
	paths, err := Lookup([]string{"perf-event-open", "bpf-load"})
	if err != nil {
		t.Fatal(err)
	}
	perf, bpf := paths[0], paths[1]
	for _, c := range []struct {
		p      *Path
		sysctl map[string]string
		want   caps.Set
	}{
		{perf, nil, 0},
		{perf, map[string]string{"kernel.perf_event_paranoid": "2"}, 0},
		{perf, map[string]string{"kernel.perf_event_paranoid": "3"}, caps.Of(caps.PERFMON)},
		{bpf, nil, caps.Of(caps.BPF)},
		{bpf, map[string]string{"kernel.unprivileged_bpf_disabled": "1"}, caps.Of(caps.BPF)},
		{bpf, map[string]string{"kernel.unprivileged_bpf_disabled": "0"}, 0},
	} {
		if got := MissingCaps(c.p, 0, Context{Sysctls: c.sysctl}); got != c.want {
			t.Errorf("%s with %v: missing %v, want %v", c.p.ID, c.sysctl, got, c.want)
		}
	}
}

// A socket reached through a process's root link is reached only with
// ptrace read access to that process; one at its own path is not.
func TestSocketAccessesThroughProcRoot(t *testing.T) {
	for p, want := range map[string]string{
		"/proc/1/root/run/containerd/containerd.sock": "/proc/1",
		"/proc/42/root/var/run/docker.sock":           "/proc/42",
		"/run/containerd/containerd.sock":             "",
		"/proc/self/root/run/docker.sock":             "", // its own root: no other process
		"/proc/1/rootfs/run/docker.sock":              "",
	} {
		got := ""
		for _, a := range SocketAccesses(p) {
			if a.Route != p {
				t.Errorf("%s: access %+v outside its route", p, a)
			}
			if a.Kind == AccessPtrace && a.Mode == "read" {
				got = a.Path
			}
		}
		if got != want {
			t.Errorf("%s: ptrace read of %q, want %q", p, got, want)
		}
	}
}
