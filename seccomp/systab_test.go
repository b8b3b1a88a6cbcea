//go:build linux && cgo && seccomp

package seccomp

import (
	"slices"
	"strings"
	"testing"
)

// A build without libseccomp (darwin, windows) decides with systab.go's
// copy of the tables: it must answer every name on every modelled ABI as
// the linked libseccomp does, or a laptop's audit would differ from a
// node's. Regenerate with `go generate -tags seccomp ./seccomp`.
func TestSyscallTableIsLibseccomps(t *testing.T) {
	if v := libseccompVersion(); v != tableLibseccomp {
		t.Skipf("systab.go is from libseccomp %s, this build links %s: the tables may differ by design", tableLibseccomp, v)
	}
	names := strings.Fields(sysKnown)
	for n := range newerSyscalls {
		names = append(names, n)
	}
	names = append(names, "no_such_call", "socketcall", "ipc")
	all := append(slices.Clone(Arches), archAArch64, archARM)
	checked := 0
	for _, arch := range all {
		for _, n := range names {
			want, wantErr := SyscallNumber(n, arch)
			nr, ok := tableNumber(n, arch)
			got, gotErr := kernelNumber(n, arch, tableKnown(n), nr, ok)
			if got != want || (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
				t.Errorf("%s on %s: tables say %d, %v; libseccomp %d, %v", n, arch.Name, got, gotErr, want, wantErr)
			}
			checked++
		}
		if got, want := sortedCopy(tableNames(arch)), sortedCopy(SyscallNames(arch)); !slices.Equal(got, want) {
			t.Errorf("%s: the tables list %d names, libseccomp %d", arch.Name, len(got), len(want))
		}
	}
	for _, n := range names {
		if (knownSyscall(n) == nil) != tableKnown(n) {
			t.Errorf("%s: libseccomp knows it: %v, the tables: %v", n, knownSyscall(n) == nil, tableKnown(n))
		}
	}
	t.Logf("%d (name, ABI) pairs agree", checked)
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
