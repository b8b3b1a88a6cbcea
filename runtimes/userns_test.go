package runtimes

import "testing"

func TestUserNamespaces(t *testing.T) {
	for _, c := range []struct {
		name, version string
		want          bool
	}{
		{"containerd", "1.6.20", false}, {"containerd", "1.7.35", false}, {"containerd", "2.0.13", true}, {"containerd", "2.4.2", true},
		{"containerd", "", true}, {"cri-o", "1.24", false}, {"cri-o", "1.25", true}, {"docker", "", false}, {"podman", "", false},
	} {
		r, err := Named(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if got, why := (&Release{Runtime: r, Version: c.version}).UserNamespaces(); got != c.want || got == (why != "") {
			t.Errorf("%s %q: %v (%q), want %v", c.name, c.version, got, why, c.want)
		}
	}
}
