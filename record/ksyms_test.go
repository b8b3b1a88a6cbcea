//go:build linux && (amd64 || arm64)

package record

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rampart-sec/rampart/internal/cachedir"
)

var noiseNames = []string{"security_vm_enough_memory_mm", "cap_vm_enough_memory", "net_ctl_permissions"}

// The ranges come from /proc/kallsyms (the kernel's own answer) on the
// first call of a boot, and from the cache after; an entry of another
// boot, or one another user could have written, is not used.
func TestKernelRangesCache(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	t.Setenv("RAMPART_CACHE_DIR", dir)
	want := kernelSymbols(noiseNames...)
	if want[0] == [2]uint64{} {
		t.Skip("/proc/kallsyms does not give security_vm_enough_memory_mm's address here")
	}
	if got := kernelRanges(noiseNames...); !slices.Equal(got, want) {
		t.Fatalf("first call: %x, want /proc/kallsyms's %x", got, want)
	}
	file := filepath.Join(dir, "record", ksymsFile)
	e, err := readKsyms(file)
	if err != nil || e.Boot != cachedir.BootID() || !slices.Equal(e.Ranges, want) {
		t.Fatalf("cache entry %+v (%v), want this boot's ranges %x", e, err, want)
	}

	// Planted entries: this boot's, with ranges that would make every
	// check noise.
	plant := func(boot string, mode os.FileMode, uid int) {
		t.Helper()
		plantEntry(t, file, ksymsEntry{Boot: boot, Names: noiseNames, Ranges: [][2]uint64{{0, ^uint64(0)}, {0, ^uint64(0)}, {0, ^uint64(0)}}}, mode, uid)
	}
	plant(cachedir.BootID(), 0o600, os.Geteuid())
	if got := kernelRanges(noiseNames...); got[0] != [2]uint64{0, ^uint64(0)} {
		t.Fatalf("this user's entry for this boot was not used: %x", got)
	}
	for _, c := range []struct {
		what string
		boot string
		mode os.FileMode
		uid  int
	}{
		{"another boot's", "00000000-0000-0000-0000-000000000000", 0o600, os.Geteuid()},
		{"a world-writable", cachedir.BootID(), 0o666, os.Geteuid()},
		{"another user's", cachedir.BootID(), 0o600, 65534},
	} {
		plant(c.boot, c.mode, c.uid)
		if got := kernelRanges(noiseNames...); !slices.Equal(got, want) {
			t.Errorf("%s entry: ranges %x, want /proc/kallsyms's %x", c.what, got, want)
		}
		// Replaced by this user's own, which the next call uses.
		if e, err := readKsyms(file); err != nil || !slices.Equal(e.Ranges, want) {
			t.Errorf("after %s entry: cache %+v (%v), want this user's with %x", c.what, e, err, want)
		}
	}
}

// plantEntry writes v as the cache entry file, with mode (past the umask)
// and owner uid: what another user, or a careless one, could leave there.
func plantEntry(t *testing.T, file string, v any, mode os.FileMode, uid int) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(file)
	if err := os.WriteFile(file, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(file, uid, uid); err != nil {
		t.Fatal(err)
	}
}
