package version

import "testing"

// A stamped `git describe` is the version without its "v", and a
// semantic version only when it is one: an untagged tree's describe is a
// bare hash, which SARIF's semanticVersion must not carry.
func TestStampedVersion(t *testing.T) {
	defer func(s string) { stamped = s }(stamped)
	for _, c := range []struct{ stamp, version, semantic string }{
		{"v1.2.3", "1.2.3", "1.2.3"},
		{"v1.2.3-4-gabc1234-dirty", "1.2.3-4-gabc1234-dirty", "1.2.3-4-gabc1234-dirty"},
		{"c1d2ebd", "c1d2ebd", ""},
		{"c1d2ebd-dirty", "c1d2ebd-dirty", ""},
		{"v01.2.3", "01.2.3", ""},
	} {
		stamped = c.stamp
		if v, s := Version(), Semantic(); v != c.version || s != c.semantic {
			t.Errorf("stamped %q: Version %q Semantic %q, want %q %q", c.stamp, v, s, c.version, c.semantic)
		}
	}
	stamped = ""
	if v := Version(); v != Devel { // a test binary records no module version
		t.Errorf("unstamped test binary: Version %q, want %q", v, Devel)
	}
}
