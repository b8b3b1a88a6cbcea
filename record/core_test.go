//go:build linux && (amd64 || arm64)

package record

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"

	"github.com/rampart-sec/rampart/internal/cachedir"
)

// loadedInsns loads spec's programs against maps and returns what the
// kernel made of each (its translated instructions), then unloads them.
func loadedInsns(t *testing.T, spec *ebpf.CollectionSpec, maps recorderMaps) map[string][]byte {
	t.Helper()
	o := recorderObjects{recorderMaps: maps}
	if err := loadPrograms(spec, &o, btf.NewCache()); err != nil {
		t.Fatal(err)
	}
	defer o.recorderPrograms.Close()
	p := o.recorderPrograms
	out := map[string][]byte{}
	for name, prog := range map[string]*ebpf.Program{
		"sys_enter": p.SysEnter, "sys_exit": p.SysExit, "cap_capable": p.CapCapable,
		"sched_process_fork": p.SchedProcessFork, "sched_process_exec": p.SchedProcessExec, "sched_process_exit": p.SchedProcessExit,
	} {
		info, err := prog.Info()
		if err != nil {
			t.Fatal(err)
		}
		insns, err := info.Instructions()
		if err != nil {
			t.Skipf("the kernel does not give back %s's instructions: %v", name, err)
		}
		var b bytes.Buffer
		for _, ins := range insns {
			fmt.Fprintf(&b, "%d %d %d %d %d\n", ins.OpCode, ins.Dst, ins.Src, ins.Offset, ins.Constant)
		}
		out[name] = b.Bytes()
	}
	return out
}

// The relocations resolved here, from the kernel's BTF on a boot's first
// recording and from the cache after, are the ones cilium/ebpf's loader
// makes: the kernel, given the programs relocated each way, holds the
// same instructions.
func TestCORERelocationsAreTheLoaders(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	ref, err := loadRecorder()
	if err != nil {
		t.Fatal(err)
	}
	var maps recorderMaps
	if err := ref.LoadAndAssign(&maps, nil); err != nil {
		t.Skipf("BPF maps cannot be created here: %v", err)
	}
	defer maps.Close()
	want := loadedInsns(t, ref, maps) // relocated by the loader itself

	for _, run := range []struct {
		name   string
		cached bool
	}{{"kernel BTF", false}, {"cache", true}} {
		spec, err := loadRecorder()
		if err != nil {
			t.Fatal(err)
		}
		c := openCORE(_RecorderBytes)
		fixes, cached, err := relocateCORE(spec, c, btf.NewCache())
		if err != nil {
			t.Fatalf("%s: %v", run.name, err)
		}
		if cached != run.cached {
			t.Fatalf("%s: from the cache = %v, want %v", run.name, cached, run.cached)
		}
		n := 0
		for name, p := range spec.Programs {
			n += len(fixes[name])
			for i := range p.Instructions {
				if btf.CORERelocationMetadata(&p.Instructions[i]) != nil {
					t.Errorf("%s: %s: instruction %d still has a relocation for the loader", run.name, name, i)
				}
			}
		}
		if n == 0 {
			t.Fatalf("%s: no relocation resolved; record.c reads kernel structures through CO-RE", run.name)
		}
		got := loadedInsns(t, spec, maps)
		for name := range want {
			if !bytes.Equal(got[name], want[name]) {
				t.Errorf("%s: %s: the kernel holds other instructions than the loader's relocation gives", run.name, name)
			}
		}
		c.store(fixes)
	}
}

// A cache entry is used only when it is this user's, for this boot and
// this object, and answers exactly the object's relocations with values
// their instructions can hold; anything else is resolved again from the
// kernel's BTF.
func TestCORECacheTrusted(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	t.Setenv("RAMPART_CACHE_DIR", dir)
	spec, err := loadRecorder()
	if err != nil {
		t.Fatal(err)
	}
	kernel := btf.NewCache()
	want, err := resolveCORE(spec, kernel)
	if err != nil {
		t.Skipf("no kernel BTF here: %v", err)
	}
	// A real answer with one offset moved: the field next door.
	var prog string
	for name, fs := range want {
		if len(fs) > 0 {
			prog = name
		}
	}
	moved := func() map[string][]coreFix {
		m := map[string][]coreFix{}
		for name, fs := range want {
			m[name] = append([]coreFix(nil), fs...)
		}
		m[prog][0].Value += 8
		return m
	}
	file := filepath.Join(dir, "record", coreFile)
	sum := openCORE(_RecorderBytes).object
	plant := func(e coreEntry, mode os.FileMode, uid int) {
		t.Helper()
		plantEntry(t, file, e, mode, uid)
	}
	relocate := func() (map[string][]coreFix, bool) {
		t.Helper()
		spec, err := loadRecorder()
		if err != nil {
			t.Fatal(err)
		}
		fixes, cached, err := relocateCORE(spec, openCORE(_RecorderBytes), kernel)
		if err != nil {
			t.Fatal(err)
		}
		return fixes, cached
	}

	plant(coreEntry{Boot: cachedir.BootID(), Object: sum, Fixes: moved()}, 0o600, os.Geteuid())
	if got, cached := relocate(); !cached || got[prog][0] != moved()[prog][0] {
		t.Fatalf("this user's entry for this boot and object was not used: cached %v, %s %+v", cached, prog, got[prog][0])
	}

	short := moved()
	short[prog] = short[prog][1:]
	outOfRange := moved()
	outOfRange[prog][0].Value = 1 << 40
	gone := moved()
	delete(gone, prog)
	for _, c := range []struct {
		what  string
		entry coreEntry
		mode  os.FileMode
		uid   int
	}{
		{"another boot's", coreEntry{Boot: "00000000-0000-0000-0000-000000000000", Object: sum, Fixes: moved()}, 0o600, os.Geteuid()},
		{"another object's", coreEntry{Boot: cachedir.BootID(), Object: "00", Fixes: moved()}, 0o600, os.Geteuid()},
		{"a world-writable", coreEntry{Boot: cachedir.BootID(), Object: sum, Fixes: moved()}, 0o666, os.Geteuid()},
		{"another user's", coreEntry{Boot: cachedir.BootID(), Object: sum, Fixes: moved()}, 0o600, 65534},
		{"a relocation short", coreEntry{Boot: cachedir.BootID(), Object: sum, Fixes: short}, 0o600, os.Geteuid()},
		{"an out-of-range", coreEntry{Boot: cachedir.BootID(), Object: sum, Fixes: outOfRange}, 0o600, os.Geteuid()},
		{"a program short", coreEntry{Boot: cachedir.BootID(), Object: sum, Fixes: gone}, 0o600, os.Geteuid()},
	} {
		plant(c.entry, c.mode, c.uid)
		got, cached := relocate()
		if cached || got[prog][0] != want[prog][0] {
			t.Errorf("%s entry: cached %v, %s %+v; want the kernel's %+v", c.what, cached, prog, got[prog][0], want[prog][0])
		}
	}
}

// A boot's first recording resolves the relocations from the kernel's
// BTF and keeps them; the next ones load from the cache and record what
// the relocated reads find: relative paths anchored by the programs'
// walk of the caller's cwd and dirfd (dentries, mounts, the fd table),
// with a reader held back so that /proc cannot stand in.
func TestCORECacheRecords(t *testing.T) {
	needRoot(t)
	relative := bin(t, "relative")
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	sys := syscalls()
	for i, want := range []bool{false, true} {
		r, err := newEBPF(sys, newCollector(sys))
		if err != nil {
			t.Fatal(err)
		}
		r.close()
		if r.coreCached != want {
			t.Fatalf("load %d: relocations from the cache = %v, want %v", i+1, r.coreCached, want)
		}
	}
	testHoldReader = true
	defer func() { testHoldReader = false }()
	checkRelativeReads(t, record(t, RecorderEBPF, []string{relative}, Options{}))
}
