package runtimes

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
)

func TestLookupPicksTheRelease(t *testing.T) {
	newest := func(rt string) string {
		r := SeccompReleases(rt)
		return r[len(r)-1]
	}
	for _, c := range []struct{ runtime, version, want string }{
		{"containerd", "", "containerd " + newest("containerd")},
		{"", "", "containerd " + newest("containerd")},
		{"containerd", "1.6.20", "containerd 1.6.20"},
		{"containerd", "v1.6.20", "containerd 1.6.20"},
		{"containerd", "1.6.20~ds1", "containerd 1.6.20"}, // Debian's
		{"containerd", "1.6.25", "containerd 1.6.20"},     // the newest at or below
		{"containerd", "1.6", "containerd 1.6.36"},
		{"containerd", "1.7", "containerd 1.7.35"},
		{"containerd", "2.0.0-rc.1", "error"}, // below every modeled 2.0
		{"containerd", "1.5", "error"},
		{"containerd", "one", "error"},
		{"containerd", "1.6.20.1", "error"},
		{"cri-o", "", "cri-o 1.31"},
		{"crio", "1.31.3", "cri-o 1.31"},
		{"cri-o", "1.29", "error"},
		{"docker", "", dockerSeccomp.String()},
		{"docker", "27.0", "error"},
		{"podman", "", "podman 4.3.1"},
		{"podman", "4.9", "error"},
		{"rkt", "", "error"},
	} {
		got := "error"
		if r, err := Lookup(c.runtime, c.version); err == nil {
			got = r.Seccomp.String()
		}
		if got != c.want {
			t.Errorf("Lookup(%q, %q) seccomp = %s, want %s", c.runtime, c.version, got, c.want)
		}
	}
}

// A runtime's defaults do not depend on the name it is asked by, and an
// unknown one is an *UnknownError naming those modeled.
func TestLookupNames(t *testing.T) {
	for name, want := range map[string]*Runtime{"": Containerd, "containerd": Containerd, "crio": CRIO, "cri-o": CRIO, "docker": Docker, "podman": Podman} {
		r, err := Lookup(name, "")
		if err != nil || r.Runtime != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", name, r, err, want.Name)
		}
	}
	_, err := Lookup("rkt", "")
	var ue *UnknownError
	if !errors.As(err, &ue) || ue.Name != "rkt" || err.Error() != `unknown runtime "rkt": want containerd, cri-o, docker or podman` {
		t.Errorf("got %v", err)
	}
	// A version is no way past an unknown name.
	if _, err := Lookup("containerd2", "1.7"); !errors.As(err, &ue) {
		t.Errorf("got %v", err)
	}
}

func TestDefaultSets(t *testing.T) {
	if Containerd.Caps.Len() != 14 || CRIO.Caps.Len() != 9 {
		t.Fatalf("containerd %d, CRI-O %d", Containerd.Caps.Len(), CRIO.Caps.Len())
	}
	if CRIO.Caps.Minus(Containerd.Caps) != 0 {
		t.Fatal("CRI-O's set should be a subset of containerd's")
	}
	// What CRI-O leaves out is what closes raw sockets and device nodes.
	if CRIO.Caps.Has(caps.NET_RAW) || CRIO.Caps.Has(caps.MKNOD) {
		t.Fatal("CRI-O grants NET_RAW or MKNOD")
	}
}

// Every modeled release has its profile, and only Docker's is compiled in.
func TestSeccompProfiles(t *testing.T) {
	for _, r := range All {
		for _, v := range append(SeccompReleases(r.Name), "") {
			rel, err := Lookup(r.Name, v)
			if err != nil {
				t.Fatalf("%s %q: %v", r.Name, v, err)
			}
			name, body, err := rel.Seccomp.Profile()
			switch {
			case err != nil:
				t.Errorf("%s: %v", rel.Seccomp, err)
			case (body == nil) != (r == Docker):
				t.Errorf("%s: profile %q is %d bytes", rel.Seccomp, name, len(body))
			case body != nil && !strings.Contains(string(body), `"defaultAction"`):
				t.Errorf("%s: %s is no profile", rel.Seccomp, name)
			}
		}
	}
}

// Podman's RuntimeDefault is the file of the containers-common package
// Debian 12's podman reads, where that package is installed.
func TestPodmanSeccompIsContainersCommons(t *testing.T) {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "golang-github-containers-common").Output()
	if err != nil || !strings.HasPrefix(string(out), "0.50.1") {
		t.Skipf("containers-common 0.50.1 is not installed (%s): nothing to compare with", out)
	}
	want, err := os.ReadFile("/usr/share/containers/seccomp.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := seccompProfiles.ReadFile("seccomp/podman-4.3.1.json")
	if err != nil || string(got) != string(want) {
		t.Errorf("seccomp/podman-4.3.1.json is not /usr/share/containers/seccomp.json (%v)", err)
	}
}
