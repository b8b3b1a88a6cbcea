//go:build linux && (amd64 || arm64)

package record

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
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

// The hash tables' elements (processes, argument values, sockets, dedup
// keys) are allocated as they come, not all when the programs load (that
// was most of a recording's fixed cost), where the kernel allows it in
// tracepoints (6.1). The flags are the kernel's, read back.
func TestHashTablesAllocatedOnDemand(t *testing.T) {
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
		if info.Flags&unix.BPF_F_NO_PREALLOC == 0 {
			t.Errorf("%s: preallocated (flags %#x), want allocated on demand", name, info.Flags)
		}
	}
}

// A process table allocated on demand still refuses a process past its
// size, and the recording says how many were not followed: with room for
// CMD and one child, the second and third children of three alive at once
// are not. The one followed is recorded (its sched_yield and getcpu); it
// stays alive while the others are forked (marker itself exits at once,
// and under load its place could be free again by then).
func TestProcessTableFullIsCounted(t *testing.T) {
	needRoot(t)
	marker := bin(t, "markerwait")
	s := script(t, marker+" & sleep 1 & sleep 1 & wait\n")
	testMapSizes = map[string]uint32{"procs": 2}
	defer func() { testMapSizes = nil }()
	rec := record(t, RecorderEBPF, []string{s}, Options{})
	if n := limitCount(rec, "process(es) were not followed"); n != 2 {
		t.Errorf("%d process(es) counted as not followed, want 2; limits %q", n, rec.Limits)
	}
	if rec.Syscalls[ABIx86_64]["getcpu"] == 0 || rec.Syscalls[ABIx86_64]["sched_yield"] == 0 {
		t.Errorf("the child that fitted was not followed: %v", rec.Syscalls[ABIx86_64])
	}
}

// A value table allocated on demand still refuses a value past its size,
// and the recording counts what it could not keep: room for two of
// three sockets' (family, type, protocol) triples.
func TestValueTablesFullAreCounted(t *testing.T) {
	needRoot(t)
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	prog := "import socket\nfor f, t in ((socket.AF_INET, socket.SOCK_STREAM), (socket.AF_INET6, socket.SOCK_DGRAM), (socket.AF_UNIX, socket.SOCK_STREAM)):\n    socket.socket(f, t).close()\n"
	testMapSizes = map[string]uint32{"socks": 2, "args": 2}
	defer func() { testMapSizes = nil }()
	rec := record(t, RecorderEBPF, []string{py, "-c", prog}, Options{})
	if len(rec.Sockets) != 2 {
		t.Errorf("%d socket triples kept, want the table's 2: %+v", len(rec.Sockets), rec.Sockets)
	}
	if len(rec.Args) != 2 {
		t.Errorf("%d argument values kept, want the table's 2: %+v", len(rec.Args), rec.Args)
	}
	// One triple and at least two argument values (the third socket's
	// family and type, and whatever else Python's start-up passes) were
	// refused.
	if n := limitCount(rec, "argument value(s) were not recorded"); n < 3 {
		t.Errorf("%d value(s) counted as not recorded, want at least 3; limits %q", n, rec.Limits)
	}
}

// limitCount is the number a limit of rec that contains what starts with.
func limitCount(rec *Recording, what string) int {
	for _, l := range rec.Limits {
		if strings.Contains(l, what) {
			n, _ := strconv.Atoi(strings.Fields(l)[0])
			return n
		}
	}
	return 0
}

// A path the dedup table cannot take (full) is sent on its own: with a
// table of 16 entries, openroot's 2000 distinct spellings of "/" are
// all recorded, none lost.
func TestDedupTableFullLosesNothing(t *testing.T) {
	needRoot(t)
	openroot := bin(t, "openroot")
	testMapSizes = map[string]uint32{"seen": 16}
	defer func() { testMapSizes = nil }()
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
