package probe

import "testing"

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
