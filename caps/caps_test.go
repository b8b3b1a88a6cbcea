package caps

import (
	"strings"
	"testing"

	"github.com/moby/sys/capability"
)

func TestParseSpellings(t *testing.T) {
	for _, in := range []string{"NET_RAW", "CAP_NET_RAW", "net_raw", "cap_net_raw", " Net_Raw "} {
		c, err := Parse(in)
		if err != nil || c != NET_RAW {
			t.Errorf("Parse(%q) = %v, %v; want NET_RAW", in, c, err)
		}
	}
	for _, in := range []string{"", "ALL", "NET_RAWR", "CAP_", "13"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
}

func TestSpellingsPerEcosystem(t *testing.T) {
	if NET_RAW.String() != "NET_RAW" || NET_RAW.OCI() != "CAP_NET_RAW" || NET_RAW.AppArmor() != "net_raw" {
		t.Fatalf("got %s %s %s", NET_RAW, NET_RAW.OCI(), NET_RAW.AppArmor())
	}
}

// The table must agree with the kernel's numbering; the capability
// library runc uses carries the same numbers, so a shifted name shows.
func TestNumbersAgreeWithRuncLibrary(t *testing.T) {
	for _, c := range capability.ListKnown() {
		if int(c) > int(Last) {
			continue
		}
		if got := Cap(c).AppArmor(); got != c.String() {
			t.Errorf("capability %d: ours %q, library %q", int(c), got, c.String())
		}
	}
}

func TestKernelKnowsOurLast(t *testing.T) {
	last, err := LastSupported()
	if err != nil {
		t.Fatal(err)
	}
	if last < BPF {
		t.Logf("kernel knows up to %s only", last)
	}
	s, err := Supported()
	if err != nil {
		t.Fatal(err)
	}
	if !s.Has(CHOWN) || s.Has(Last+1) {
		t.Fatalf("Supported() = %s", s)
	}
}

func TestParseListALL(t *testing.T) {
	within := Of(CHOWN, NET_RAW, KILL)
	s, err := ParseList([]string{"all", "NET_RAW"}, within)
	if err != nil || s != within {
		t.Fatalf("got %s, %v", s, err)
	}
	if _, err := ParseList([]string{"CHOWN", "BOGUS"}, 0); err == nil || !strings.Contains(err.Error(), "BOGUS") {
		t.Fatalf("want error naming BOGUS, got %v", err)
	}
}

func TestSetString(t *testing.T) {
	if got := Of(NET_RAW, CHOWN).String(); got != "CHOWN,NET_RAW" {
		t.Fatalf("String() = %q", got)
	}
	if Set(0).String() != "none" {
		t.Fatal("empty set")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"NET_RAW", "cap_sys_admin", "ALL", "", "CAP_CAP_NET_RAW"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		// Whatever parses must print back to something that parses to it.
		for _, spelled := range []string{c.String(), c.OCI(), c.AppArmor()} {
			if c2, err := Parse(spelled); err != nil || c2 != c {
				t.Fatalf("%q -> %v -> %q -> %v, %v", s, c, spelled, c2, err)
			}
		}
	})
}
