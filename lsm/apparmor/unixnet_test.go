package apparmor

import (
	"strings"
	"testing"
)

// Unix rules reach a kernel without AppArmor's unix mediation as network
// rules: the cases are the lab's (internal/lab, TestLabDifferential),
// where Debian's 6.1 kernel decided each one.
func TestEvalUnixRulesCompileToNetwork(t *testing.T) {
	for _, c := range []struct {
		body, access string
		allowed      bool
		reason       string
	}{
		{"  /etc/passwd r,\n", "network unix stream", false, "no rule allows"},
		{"  unix (create),\n", "network unix stream", true, "compiles it to `network unix`"},
		{"  unix (send) peer=(label=foo),\n", "network unix stream", true, "whatever its permissions and conditions"},
		{"  unix (create) type=dgram,\n", "network unix stream", false, "no rule allows"},
		{"  unix (create) type=dgram,\n", "network unix dgram", true, "type=dgram"},
		{"  network unix,\n  deny unix (create),\n", "network unix stream", true, "is not enforced"},
		{"  audit unix,\n", "network unix seqpacket", true, "logged"},
		// a unix rule says nothing of other families
		{"  unix,\n", "network inet stream", false, "no rule allows"},
	} {
		src := "profile p {\n" + c.body + "}\n"
		ps, err := Parse("p", []byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		a, err := ParseAccess(c.access)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Eval(ps[0], a)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if d.Allowed != c.allowed || !strings.Contains(d.Reason+" "+whereOf(d), c.reason) {
			t.Errorf("%s under %q: allowed=%v (%s), want allowed=%v and %q", c.access, c.body, d.Allowed, d.Reason, c.allowed, c.reason)
		}
	}
}

func whereOf(d Decision) string {
	if d.Rule == nil {
		return ""
	}
	return d.Rule.String()
}
