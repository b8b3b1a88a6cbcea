package policy

import (
	"strconv"
	"testing"
)

// No spelling of --userns reaches a map the launcher must not make: the
// host's root mapped (host id 0, picked or not), a block past the last
// id, or an empty one; and what is accepted says the numbers it was
// given, nothing else.
func FuzzParseUserNS(f *testing.F) {
	for _, s := range []string{"auto", "100000", "100000:65536", "0", "0:1", "4294967294", "4294967294:1", "4294967294:2", "1:4294967294", "+1", "1e5", " 1", "1:", ":1", "1:0", "0x10", "65536:65536:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUserNS(s)
		if err != nil {
			return
		}
		if s == "auto" {
			if *u != (UserNS{}) {
				t.Fatalf("auto: %+v", u)
			}
			return
		}
		if u.HostID == 0 {
			t.Fatalf("%q: host id 0 accepted", s)
		}
		if last := uint64(u.HostID) + uint64(u.Ids()) - 1; last > maxMapped {
			t.Fatalf("%q: map reaches %d", s, last)
		}
		want := strconv.FormatUint(uint64(u.HostID), 10)
		if u.Size != 0 {
			want += ":" + strconv.FormatUint(uint64(u.Size), 10)
		}
		if want != s {
			t.Fatalf("%q read as %q", s, want)
		}
		if (&Policy{UserNS: u}).Validate() != nil {
			t.Fatalf("%q accepted by the flag, refused by Validate", s)
		}
	})
}
