package bytesize

import "testing"

func TestRoundTrip(t *testing.T) {
	for in, want := range map[string]int{"8MiB": 8 << 20, "8 mib": 8 << 20, "8M": 8 << 20, "512KiB": 512 << 10, "1g": 1 << 30, "1000": 1000, "0": 0} {
		n, err := Parse(in)
		if err != nil || n != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "1.5MiB", "8 TiB", "99999999999GiB"} {
		if n, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %d, want an error", bad, n)
		}
	}
	for n, want := range map[int]string{8 << 20: "8MiB", 1536 << 10: "1536KiB", 1000: "1000", 1 << 30: "1GiB"} {
		if got := Format(n); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
}
