//go:build linux

package probe

import (
	"os"
	"testing"
)

// pid 2 is the host's kthreadd by the kernel's flag, not by a name any
// process can take.
func TestKthreadd(t *testing.T) {
	for line, want := range map[string]bool{
		"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0": true,
		"2 (kthreadd) S 1 2 2 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0": false, // a process named so
		"2 (sh) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0":       false,
		"2 (x) (kthreadd) S 0 0 0 0 -1 2129984":                            true, // the last ")" ends comm
		"2 (kthreadd) S 0":                                                 false,
		"garbage":                                                          false,
	} {
		if got := kthreadd([]byte(line)); got != want {
			t.Errorf("%q: %v, want %v", line, got, want)
		}
	}
	if b, err := os.ReadFile("/proc/2/stat"); err == nil && string(b[:13]) == "2 (kthreadd) " && !kthreadd(b) {
		t.Errorf("this host's kthreadd is not recognised: %s", b)
	}
}
