package pathtree

import "testing"

func TestWithinRel(t *testing.T) {
	for _, c := range []struct {
		p, dir, rel string
		in          bool
	}{
		{"/etc/shadow", "/etc", "shadow", true},
		{"/etc", "/etc", "", true},
		{"/etcetera", "/etc", "", false},
		{"/etc/shadow", "/", "etc/shadow", true},
		{"/", "/", "", true},
		{"/a/b/c", "/a", "b/c", true},
		{"/a", "/a/b", "", false},
	} {
		if Within(c.p, c.dir) != c.in {
			t.Errorf("Within(%q, %q) = %t", c.p, c.dir, !c.in)
		}
		if rel, in := Rel(c.dir, c.p); rel != c.rel || in != c.in {
			t.Errorf("Rel(%q, %q) = %q, %t; want %q, %t", c.dir, c.p, rel, in, c.rel, c.in)
		}
	}
}
