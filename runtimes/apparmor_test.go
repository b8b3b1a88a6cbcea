package runtimes

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestAppArmorForPicksTheRelease(t *testing.T) {
	for _, c := range []struct{ runtime, version, want string }{
		{"containerd", "1.6.20", "containerd 1.6.20's cri-containerd.apparmor.d"},
		{"containerd", "1.6.20~ds1", "containerd 1.6.20's cri-containerd.apparmor.d"}, // Debian 12's
		{"containerd", "1.6.25", "containerd 1.6.20's cri-containerd.apparmor.d"},
		{"containerd", "1.6.19", "containerd 1.6.1's cri-containerd.apparmor.d"},
		{"containerd", "1.6", "containerd 1.6.36's cri-containerd.apparmor.d"},
		{"containerd", "1.7.30", "containerd 1.7.18's cri-containerd.apparmor.d"},
		{"containerd", "2.2.3", "containerd 2.2.2's cri-containerd.apparmor.d"},
		{"containerd", "", "containerd 2.4.2's cri-containerd.apparmor.d"},
		{"", "", "containerd 2.4.2's cri-containerd.apparmor.d"},
		{"containerd", "1.5", "error"},
		{"containerd", "2.0.0-rc.1", "error"},
		{"cri-o", "", "rampart-default (standing in for cri-o's own, which rampart does not model)"},
		{"docker", "", "rampart-default (standing in for docker's own, which rampart does not model)"},
		{"podman", "", "rampart-default (standing in for podman's own, which rampart does not model)"},
		{"rkt", "", "error"},
	} {
		got := "error"
		if a, err := AppArmorFor(c.runtime, c.version); err == nil {
			got = a.String()
		}
		if got != c.want {
			t.Errorf("AppArmorFor(%q, %q) = %s, want %s", c.runtime, c.version, got, c.want)
		}
	}
	// Lookup carries it, and refuses a release without one.
	r, err := Lookup("containerd", "1.6.20")
	if err != nil || r.AppArmor.Release != "1.6.20" || !r.AppArmor.Modeled() {
		t.Errorf("Lookup(containerd, 1.6.20).AppArmor = %+v, %v", r, err)
	}
	name, body, err := AppArmorDefault("containerd", "1.6.20")
	if err != nil || name != CRIContainerdProfile || !bytes.Contains(body, []byte("profile cri-containerd.apparmor.d ")) {
		t.Errorf("AppArmorDefault = %q, %d bytes, %v", name, len(body), err)
	}
	if name, body, err := AppArmorDefault("cri-o", ""); err != nil || name != AppArmorProfile || body != nil {
		t.Errorf("AppArmorDefault(cri-o) = %q, %d bytes, %v", name, len(body), err)
	}
}

// Every seccomp-modeled containerd release has its AppArmor profile too:
// a node is described by one release.
func TestAppArmorCoversTheSeccompReleases(t *testing.T) {
	for _, v := range SeccompReleases("containerd") {
		if _, err := AppArmorFor("containerd", v); err != nil {
			t.Errorf("containerd %s: %v", v, err)
		}
	}
}

// The kept profiles are what containerd's own template renders: gen is
// run again, from the module proxy's copy of each release, and must
// write the same bytes. It needs the go tool and the module proxy (or
// the module cache).
func TestAppArmorProfilesAreContainerds(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads containerd's releases")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool on PATH")
	}
	if err := exec.Command("go", "mod", "download", "github.com/containerd/containerd@v1.6.20").Run(); err != nil {
		t.Skipf("the module proxy does not serve containerd: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "run", "apparmor/gen/main.go", "-o", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gen: %v\n%s", err, stderr.String())
	}
	want, _ := filepath.Glob(filepath.Join(dir, "containerd-*"))
	have := AppArmorReleases("containerd")
	if len(want) != len(have) {
		t.Errorf("gen writes %d profiles, %d are kept", len(want), len(have))
	}
	for _, f := range want {
		w, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v := strings.TrimPrefix(filepath.Base(f), "containerd-")
		a, err := AppArmorFor("containerd", v)
		if err != nil || a.Release != v {
			t.Errorf("containerd %s: not kept (%v)", v, err)
			continue
		}
		if !bytes.Equal(a.Profile, w) {
			t.Errorf("containerd %s: the kept profile is not what its template renders now; run gen (cd runtimes && go run apparmor/gen/main.go)", v)
		}
	}
}
