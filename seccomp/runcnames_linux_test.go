package seccomp

import (
	"slices"
	"testing"

	rcseccomp "github.com/opencontainers/runc/libcontainer/seccomp"
)

// The names profiles are checked against off Linux are the linked runc's.
func TestRuncNamesAreRuncs(t *testing.T) {
	if got, want := slices.Sorted(slices.Values(runcFlagNames)), slices.Sorted(slices.Values(rcseccomp.KnownFlags())); !slices.Equal(got, want) {
		t.Errorf("flags: %v, runc has %v", got, want)
	}
	if got, want := slices.Sorted(slices.Values(runcArchNames)), slices.Sorted(slices.Values(rcseccomp.KnownArchs())); !slices.Equal(got, want) {
		t.Errorf("architectures: %v, runc has %v", got, want)
	}
}
