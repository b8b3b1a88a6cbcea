//go:build linux && amd64

package record

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
)

// The ring buffer decoder reads struct event at fixed offsets; they must
// be the C layout bpf2go saw.
func TestEventLayout(t *testing.T) {
	var e recorderEvent
	for name, c := range map[string][2]uintptr{
		"kind":   {unsafe.Offsetof(e.Kind), evOffKind},
		"tgid":   {unsafe.Offsetof(e.Tgid), evOffTgid},
		"tid":    {unsafe.Offsetof(e.Tid), evOffTid},
		"abi":    {unsafe.Offsetof(e.Abi), evOffAbi},
		"nr":     {unsafe.Offsetof(e.Nr), evOffNr},
		"op":     {unsafe.Offsetof(e.Op), evOffOp},
		"dirfd":  {unsafe.Offsetof(e.Dirfd), evOffDirfd},
		"dirfd2": {unsafe.Offsetof(e.Dirfd2), evOffDirfd2},
		"first":  {unsafe.Offsetof(e.First), evOffFirst},
		"flags":  {unsafe.Offsetof(e.Flags), evOffFlags},
		"hash":   {unsafe.Offsetof(e.Hash), evOffHash},
		"len":    {unsafe.Offsetof(e.Len), evOffLen},
		"len2":   {unsafe.Offsetof(e.Len2), evOffLen2},
		"blen":   {unsafe.Offsetof(e.Blen), evOffBlen},
		"path":   {unsafe.Offsetof(e.Path), evOffPath},
		"path2":  {unsafe.Offsetof(e.Path2), evOffPath2},
		"base":   {unsafe.Offsetof(e.Base), evOffBase},
	} {
		if c[0] != c[1] {
			t.Errorf("struct event.%s at %d, decoder reads %d", name, c[0], c[1])
		}
	}
	if len(e.Path) != pathLen || len(e.Base) != baseLen || unsafe.Sizeof(e) != evOffBase+baseLen {
		t.Errorf("path buffers %d and %d bytes, event %d bytes; decoder expects %d, %d and %d", len(e.Path), len(e.Base), unsafe.Sizeof(e), pathLen, baseLen, evOffBase+baseLen)
	}
}

// The dedup table's elements are allocated as paths come, not all when
// the programs load (that was most of a recording's fixed cost), where
// the kernel allows it in tracepoints (6.1); the process and value
// tables, where a failed insert would lose something, stay
// preallocated. The flags are the kernel's, read back.
func TestDedupTableAllocatedOnDemand(t *testing.T) {
	needRoot(t)
	if !features.KernelAtLeast(6, 1) {
		t.Skip("kernel before 6.1: every table is preallocated")
	}
	sys := syscalls()
	r, err := newEBPF(sys, newCollector(sys))
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	for name, m := range map[string]*ebpf.Map{"seen": r.objs.Seen, "procs": r.objs.Procs, "args": r.objs.Args, "socks": r.objs.Socks} {
		info, err := m.Info()
		if err != nil {
			t.Fatal(err)
		}
		onDemand := info.Flags&unix.BPF_F_NO_PREALLOC != 0
		if onDemand != (name == "seen") {
			t.Errorf("%s: allocated on demand = %v, want %v", name, onDemand, name == "seen")
		}
	}
}

// A path the dedup table cannot take (full) is sent on its own: with a
// table of 16 entries, openroot's 2000 distinct spellings of "/" are
// all recorded, none lost.
func TestDedupTableFullLosesNothing(t *testing.T) {
	needRoot(t)
	openroot := bin(t, "openroot")
	testSeenSize = 16
	defer func() { testSeenSize = 0 }()
	rec := record(t, RecorderEBPF, []string{openroot}, Options{})
	var n uint64
	for _, f := range rec.Files {
		if f.Path == "/" {
			n = f.Count
		}
	}
	if n != 2000 {
		t.Errorf("recorded %d opens of /, want 2000; limits %q", n, rec.Limits)
	}
}

// The programs load in two halves at once; when either is refused, the
// recorder is reported unavailable (so auto falls back to ptrace) and
// nothing of the load is left open in rampart.
func TestRefusedLoadLeavesNothing(t *testing.T) {
	needRoot(t)
	bpfFDs := func() int {
		n := 0
		ents, _ := os.ReadDir("/proc/self/fd")
		for _, e := range ents {
			if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "anon_inode:bpf") {
				n++
			}
		}
		return n
	}
	sys := syscalls()
	for _, prog := range []string{"sys_exit", "sys_enter"} {
		t.Run(prog, func(t *testing.T) {
			before := bpfFDs()
			testBadProgram = prog
			defer func() { testBadProgram = "" }()
			r, err := newEBPF(sys, newCollector(sys))
			if err == nil {
				r.close()
				t.Fatal("loaded with a program the verifier must refuse")
			}
			if !errors.Is(err, features.ErrNotSupported) {
				t.Errorf("error %v, want one that says the recorder is not supported here", err)
			}
			if after := bpfFDs(); after != before {
				t.Errorf("%d BPF descriptors open after the refused load, %d before", after, before)
			}
		})
	}
}
