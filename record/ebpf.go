//go:build linux && (amd64 || arm64)

package record

//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -tags linux -target amd64 -type event -type spec -type arg_key -type sock_key -type seen_key -type range recorder bpf/record.c -- -mcpu=v3 -Wall -Werror -I/usr/include/x86_64-linux-gnu
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -tags linux -target arm64 -type event -type spec -type arg_key -type sock_key -type seen_key -type range recorder bpf/record.c -- -mcpu=v3 -Wall -Werror -I/usr/aarch64-linux-gnu/include

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
)

// Process states and event kinds shared with record.c.
const (
	stRecording = 2
	stSpawner   = 3

	evFile = 1
	evExec = 2
)

// Indexes of record.c's stats counters.
const (
	statLost = iota
	statArgsFull
	statProcsFull
	statSeenFull
	statBadNr
	statSocksFull
	statForks
	statNoiseUnknown
	statMemFault
	statMax
)

// drainEvery is how often the reader empties the ring buffer of the
// events the kernel side did not wake it for. At 10 ms, an 8 MiB ring
// holds a burst of over a million file events per second.
const drainEvery = 10 * time.Millisecond

// Test hooks: a small ring buffer, and a reader that does not drain it
// until CMD has exited, make losses certain, so that their accounting
// can be checked exactly; small tables (by map name) make their inserts
// fail.
var (
	testRingSize   uint32
	testHoldReader bool
	testMapSizes   map[string]uint32
	testBadProgram string // a program the verifier is made to refuse
)

// ebpfRecorder counts in the kernel (raw tracepoints on sys_enter,
// sys_exit, sched_process_fork/exec/exit and cap_capable) and reads the
// paths of successful file calls from a ring buffer.
type ebpfRecorder struct {
	objs  recorderObjects
	links []link.Link
	col   *collector
	// dedup maps a kernel-side dedup key to the accesses its first event
	// recorded; the kernel's count for the key covers the repeats.
	dedup map[recorderSeenKey][]rawAccess
	wait  bool // Options.Wait: the limit on what is left says so
	// coreCached: the CO-RE relocations came from this boot's cache
	// entry, not the kernel's BTF.
	coreCached bool
}

// newEBPF loads and attaches the programs. An error that wraps
// features.ErrNotSupported means this kernel or this process cannot run
// them (no BPF, no privilege, no BTF, the verifier refused): the ptrace
// recorder still can.
func newEBPF(sys *sysTable, col *collector) (*ebpfRecorder, error) {
	// The programs see the kernel's global pids; rampart registers CMD
	// and reads /proc with its own. In a container's pid namespace they
	// differ, and the recording would follow the wrong processes.
	// The initial pid namespace has a fixed inode (PROC_PID_INIT_INO).
	if ns, err := os.Readlink("/proc/self/ns/pid"); err == nil && ns != "pid:[4026531836]" {
		return nil, &features.NotSupportedError{Feature: "the eBPF recorder", Reason: "rampart runs in a nested pid namespace (" + ns + ", a container): the kernel side would see other pids than rampart does"}
	}
	r := &ebpfRecorder{col: col, dedup: map[recorderSeenKey][]rawAccess{}}
	// The programs' CO-RE relocations need the kernel's BTF, a 5 MB file
	// whose decoding is the largest part of loading them in user space,
	// once a boot (core.go). When this boot's answer is not in the cache,
	// decode it while the object is parsed; the relocation waits for it
	// (btf.Cache serialises), and an error here is met again there.
	core := openCORE(_RecorderBytes)
	kernelTypes := btf.NewCache()
	if core.entry == nil {
		go kernelTypes.Kernel()
	}
	// /proc/kallsyms takes tens of milliseconds to read (once a boot,
	// ksyms.go): meanwhile, load.
	symc := make(chan [][2]uint64, 1)
	go func() {
		symc <- kernelRanges("security_vm_enough_memory_mm", "cap_vm_enough_memory", "net_ctl_permissions")
	}()
	spec, err := loadRecorder()
	if err != nil {
		return nil, fmt.Errorf("eBPF recorder: %w", err)
	}
	words := uint32(pidMax()+63) / 64
	spec.Maps["tracked"].MaxEntries = words
	spec.Maps["busy"].MaxEntries = words
	if testRingSize > 0 {
		spec.Maps["events"].MaxEntries = testRingSize
	}
	for name, n := range testMapSizes {
		spec.Maps[name].MaxEntries = n
	}
	if testBadProgram != "" {
		spec.Programs[testBadProgram].Instructions = asm.Instructions{asm.Return()} // R0 never set
	}
	// A preallocated hash map builds all its elements at creation: the
	// 32768 of the process table, the 8192 of the value table, the 65536
	// of the dedup table, most of rampart's map set-up, paid by every
	// recording however few processes, values and files it sees.
	// Allocated as they come, they cost only what is recorded. Since 6.1
	// the kernel allocates them from per-CPU caches, refilled ahead of
	// need, that are safe in tracepoints; before, a tracing program with
	// such a map is refused or warned about. An insert then fails when
	// the table is full, as before, or when the kernel has no memory left
	// at all: either way record.c counts it (STAT_*_FULL) and the
	// recording states it as a limit, never silently. A failed dedup
	// insert only sends that path without dedup.
	if features.KernelAtLeast(6, 1) {
		for _, m := range []string{"procs", "args", "socks", "seen"} {
			spec.Maps[m].Flags |= unix.BPF_F_NO_PREALLOC
		}
	}
	// What cannot be resolved here (no BTF, a field this kernel lacks)
	// is left to the loader, which says so in its own error.
	fixes, cached, coreErr := relocateCORE(spec, core, kernelTypes)
	r.coreCached = cached
	if err := loadObjects(spec, &r.objs, kernelTypes); err != nil {
		return nil, unavailable("load the BPF programs", err)
	}
	// Kept once the verifier has accepted the programs so relocated.
	if coreErr == nil && !cached {
		core.store(fixes)
	}
	for i, rg := range <-symc {
		if err := r.objs.Noise.Put(uint32(i), recorderRange{Start: rg[0], End: rg[1]}); err != nil {
			r.close()
			return nil, fmt.Errorf("eBPF recorder: %w", err)
		}
	}
	if err := r.fillSpecs(sys); err != nil {
		r.close()
		return nil, err
	}
	for _, a := range []struct {
		tp   string
		prog *ebpf.Program
	}{
		{"sys_enter", r.objs.SysEnter},
		{"sys_exit", r.objs.SysExit},
		{"sched_process_fork", r.objs.SchedProcessFork},
		{"sched_process_exec", r.objs.SchedProcessExec},
		{"sched_process_exit", r.objs.SchedProcessExit},
		{"cap_capable", r.objs.CapCapable},
	} {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: a.tp, Program: a.prog})
		if err != nil && a.tp == "cap_capable" {
			// Older kernels have no capability tracepoint: record the
			// rest, and say what is missing.
			col.limit("capabilities are not recorded: this kernel has no capability:cap_capable tracepoint to attach to (%v)", err)
			continue
		}
		if err != nil {
			r.close()
			return nil, unavailable("attach to raw tracepoint "+a.tp, err)
		}
		r.links = append(r.links, l)
	}
	return r, nil
}

// loadObjects loads the programs and maps. Kernels before 5.11 charge
// BPF maps to RLIMIT_MEMLOCK rather than to the memory cgroup: there a
// refused load is retried with the limit lifted, and the limit is put
// back right after, so that CMD inherits the limits it would have had.
// (cilium/ebpf's rlimit package probes for this with a BPF map created
// at init, in every rampart process: the launcher and the probe too.)
func loadObjects(spec *ebpf.CollectionSpec, objs *recorderObjects, kernelTypes *btf.Cache) error {
	err := loadAll(spec, objs, kernelTypes)
	if !errors.Is(err, unix.EPERM) {
		return err
	}
	var old unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_MEMLOCK, &old) != nil || old.Cur == unix.RLIM_INFINITY {
		return err
	}
	if unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}) != nil {
		return err
	}
	defer unix.Setrlimit(unix.RLIMIT_MEMLOCK, &old)
	return loadAll(spec, objs, kernelTypes)
}

// loadAll creates the maps, then loads the programs in two halves at
// once: the verifier's work is most of a load, and sys_exit is about
// half of it, so a second CPU takes that half. On an error nothing is
// left loaded.
func loadAll(spec *ebpf.CollectionSpec, objs *recorderObjects, kernelTypes *btf.Cache) error {
	err := spec.LoadAndAssign(&objs.recorderMaps, &ebpf.CollectionOptions{Cache: kernelTypes})
	if err == nil {
		err = loadPrograms(spec, objs, kernelTypes)
	}
	if err != nil {
		objs.Close()
		*objs = recorderObjects{}
	}
	return err
}

func loadPrograms(spec *ebpf.CollectionSpec, objs *recorderObjects, kernelTypes *btf.Cache) error {
	m := &objs.recorderMaps
	opts := &ebpf.CollectionOptions{Cache: kernelTypes, MapReplacements: map[string]*ebpf.Map{
		"args": m.Args, "busy": m.Busy, "calls": m.Calls, "caps": m.Caps, "counts": m.Counts,
		"events": m.Events, "noise": m.Noise, "procs": m.Procs, "scratch": m.Scratch,
		"seen": m.Seen, "socks": m.Socks, "stats": m.Stats, "tracked": m.Tracked,
	}}
	var exit struct {
		SysExit *ebpf.Program `ebpf:"sys_exit"`
	}
	exitSpec := spec.Copy()
	errc := make(chan error, 1)
	go func() { errc <- exitSpec.LoadAndAssign(&exit, opts) }()
	var rest struct {
		SysEnter         *ebpf.Program `ebpf:"sys_enter"`
		SchedProcessFork *ebpf.Program `ebpf:"sched_process_fork"`
		SchedProcessExec *ebpf.Program `ebpf:"sched_process_exec"`
		SchedProcessExit *ebpf.Program `ebpf:"sched_process_exit"`
		CapCapable       *ebpf.Program `ebpf:"cap_capable"`
	}
	err := spec.LoadAndAssign(&rest, opts)
	err = errors.Join(err, <-errc)
	p := &objs.recorderPrograms
	p.SysExit, p.SysEnter, p.CapCapable = exit.SysExit, rest.SysEnter, rest.CapCapable
	p.SchedProcessFork, p.SchedProcessExec, p.SchedProcessExit = rest.SchedProcessFork, rest.SchedProcessExec, rest.SchedProcessExit
	return err
}

// unavailable wraps what stopped the eBPF recorder. Refusals by the
// kernel are features.ErrNotSupported: another recorder can run.
func unavailable(step string, err error) error {
	var ve *ebpf.VerifierError
	switch {
	case errors.Is(err, ebpf.ErrNotSupported), errors.Is(err, btf.ErrNotSupported),
		errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES),
		errors.Is(err, unix.ENOSYS), errors.Is(err, unix.ENOENT), errors.As(err, &ve):
		reason := err.Error()
		if i := strings.IndexByte(reason, '\n'); i > 0 {
			reason = reason[:i] // a verifier log's first line is enough here
		}
		if errors.Is(err, unix.EPERM) && os.Geteuid() != 0 {
			reason += " (needs root, or CAP_BPF and CAP_PERFMON)"
		}
		return &features.NotSupportedError{Feature: "the eBPF recorder", Reason: "could not " + step + ": " + reason}
	}
	return fmt.Errorf("eBPF recorder: %s: %w", step, err)
}

func (r *ebpfRecorder) name() string { return RecorderEBPF }

func (r *ebpfRecorder) close() {
	for _, l := range r.links {
		l.Close()
	}
	r.links = nil
	r.objs.Close()
}

// fillSpecs tells the kernel side which calls carry paths and values.
func (r *ebpfRecorder) fillSpecs(sys *sysTable) error {
	for abi, m := range sys.specs() {
		for nr, s := range m {
			slot := uint32(abi*nrSlots + nr)
			v := recorderSpec{Op: uint8(s.op), Path: s.path, Dirfd: s.dirfd, Path2: s.path2, Dirfd2: s.dirfd2, Flags: s.flags, Vals: s.vals, Mem: s.mem}
			if err := r.objs.Calls.Put(slot, v); err != nil {
				return fmt.Errorf("eBPF recorder: fill syscall table: %w", err)
			}
		}
	}
	return nil
}

func (r *ebpfRecorder) run(ctx context.Context, l *launch, col *collector) (int, error) {
	rd, err := ringbuf.NewReader(r.objs.Events)
	if err != nil {
		return 0, fmt.Errorf("eBPF recorder: ring buffer: %w", err)
	}
	defer rd.Close()
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		if testHoldReader {
			<-exited
		}
		var rec ringbuf.Record
		for {
			// Events that need no prompt handling do not wake the reader
			// (record.c): it drains them on this tick.
			rd.SetDeadline(time.Now().Add(drainEvery))
			if err := rd.ReadInto(&rec); err != nil {
				if errors.Is(err, ringbuf.ErrFlushed) || errors.Is(err, os.ErrClosed) {
					return
				}
				continue
			}
			r.event(rec.RawSample)
		}
	}()

	cmd, err := r.start(l)
	if err != nil {
		close(exited)
		rd.Flush()
		<-done
		return 0, err
	}
	stop := forwardSignals(cmd.Process.Pid)
	stopCtx := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
	cmd.Wait()
	stop()
	if r.wait = l.opts.Wait; r.wait {
		waitTree(ctx, r.alive)
	}
	close(exited)
	stopCtx()
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)

	// Stop the programs, then drain what they sent; the maps are final.
	for _, l := range r.links {
		l.Close()
	}
	r.links = nil
	rd.Flush()
	<-done
	if err := r.collect(col); err != nil {
		return 0, err
	}
	return exitCode(ws), nil
}

// start forks and execs CMD with rampart marked as its spawner, so that
// the kernel side enters the child in the recorded tree as pending at
// the fork, before it runs, and starts counting at its execve: what the
// child does in between (rampart's setup: descriptors, process group,
// user and groups) is never in the recording, and no second process is
// needed to hand over to CMD. Nothing else forks in rampart meanwhile.
func (r *ebpfRecorder) start(l *launch) (*exec.Cmd, error) {
	self := uint32(os.Getpid())
	full := r.stat(statProcsFull)
	if err := r.objs.Procs.Put(self, uint32(stSpawner)); err != nil {
		return nil, fmt.Errorf("eBPF recorder: mark rampart as CMD's spawner: %w", err)
	}
	std := l.stdio()
	cmd := &exec.Cmd{
		Path:        l.path,
		Args:        l.argv,
		Env:         l.env(),
		Dir:         l.opts.Dir,
		Stdin:       std[0],
		Stdout:      std[1],
		Stderr:      std[2],
		SysProcAttr: &syscall.SysProcAttr{Credential: l.opts.Credential},
	}
	err := cmd.Start()
	// Unmarked before anything else can fork: rampart's later children
	// (none today) stay out of the recording.
	if derr := r.objs.Procs.Delete(self); derr != nil && err == nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("eBPF recorder: unmark rampart: %w", derr)
	}
	if err != nil {
		return nil, &ExecError{Path: l.path, Err: err}
	}
	// A full process table means CMD was not entered: it must not run
	// unrecorded.
	if r.stat(statProcsFull) != full {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, errors.New("eBPF recorder: CMD could not be entered in the process table (full, or the kernel out of memory)")
	}
	return cmd, nil
}

// alive counts the processes of the recorded tree still running (the
// kernel side deletes each at its exit).
func (r *ebpfRecorder) alive() int {
	var pid, st uint32
	n := 0
	it := r.objs.Procs.Iterate()
	for it.Next(&pid, &st) {
		if st == stRecording {
			n++
		}
	}
	return n
}

// stat reads one of record.c's counters.
func (r *ebpfRecorder) stat(i int) uint64 {
	var per []uint64
	if err := r.objs.Stats.Lookup(uint32(i), &per); err != nil {
		return 0
	}
	return sum(per)
}

// Offsets in struct event (record.c); ebpf_test.go checks them against
// the generated Go type.
const (
	evOffKind   = 0
	evOffTgid   = 4
	evOffTid    = 8
	evOffAbi    = 12
	evOffNr     = 14
	evOffOp     = 16
	evOffDirfd  = 20
	evOffDirfd2 = 24
	evOffFirst  = 28
	evOffFlags  = 32
	evOffHash   = 48
	evOffLen    = 56
	evOffLen2   = 60
	evOffBlen   = 64
	evOffPath   = 72
	evOffPath2  = evOffPath + pathLen
	evOffBase   = evOffPath2 + pathLen
	baseLen     = pathLen + 256 // record.c's BASE_LEN
)

// event handles one ring buffer record, promptly: a relative path is
// resolved against /proc while its process most likely still runs.
func (r *ebpfRecorder) event(b []byte) {
	if len(b) < evOffPath2 {
		return
	}
	le := binary.LittleEndian
	c := r.col
	tgid, tid := le.Uint32(b[evOffTgid:]), le.Uint32(b[evOffTid:])
	// The directory the kernel side resolved a relative path against,
	// if it could: its names come leaf first.
	base, haveBase := "", false
	if n := int32(le.Uint32(b[evOffBlen:])); n >= 0 && int(n) <= baseLen && len(b) >= evOffBase+int(n) {
		names := strings.Split(strings.TrimSuffix(string(b[evOffBase:evOffBase+int(n)]), "\x00"), "\x00")
		slices.Reverse(names)
		base, haveBase = "/"+strings.Join(names, "/"), true
		if n == 0 {
			base = "/"
		}
	}
	// at anchors a path: absolute as it is, relative against the base
	// when it applies (dirfd is the one the kernel side resolved), else
	// against /proc.
	at := func(dirfd int32, p string) (string, bool) {
		if haveBase && !strings.HasPrefix(p, "/") && dirfd == int32(le.Uint32(b[evOffDirfd:])) {
			return filepath.Join(base, p), true
		}
		return resolveAt(tid, tgid, dirfd, p)
	}
	p1, ok1 := r.str(b, evOffPath, int32(le.Uint32(b[evOffLen:])))
	p2, ok2 := "", true
	if n := int32(le.Uint32(b[evOffLen2:])); n != 0 && len(b) >= evOffPath2+pathLen {
		p2, ok2 = r.str(b, evOffPath2, n)
	}
	switch le.Uint32(b[evOffKind:]) {
	case evExec:
		if le.Uint32(b[evOffFirst:]) == 1 {
			// CMD's own execve, made by rampart's child before the
			// kernel side started counting: the workload needs it
			// allowed all the same (runtimes load seccomp before it).
			c.syscall(abiNative, unix.SYS_EXECVE, 1)
		}
		// bprm->interp is the file itself unless a script named an
		// interpreter.
		for i, p := range []string{p1, p2} {
			if p == "" || (i == 1 && p == p1) {
				continue
			}
			if abs, ok := at(atFDCWD, p); ok {
				c.exec(abs)
			} else {
				c.unresolvedPath(tid, atFDCWD, p)
			}
		}
	case evFile:
		if !ok1 || !ok2 {
			return
		}
		op := fileOp(le.Uint32(b[evOffOp:]))
		flags := le.Uint64(b[evOffFlags:])
		a1, ok := at(int32(le.Uint32(b[evOffDirfd:])), p1)
		if !ok {
			c.unresolvedPath(tid, int32(le.Uint32(b[evOffDirfd:])), p1)
			return
		}
		a2 := ""
		if p2 != "" {
			if a2, ok = at(int32(le.Uint32(b[evOffDirfd2:])), p2); !ok {
				c.unresolvedPath(tid, int32(le.Uint32(b[evOffDirfd2:])), p2)
				return
			}
		}
		accs := c.file(op, flags, a1, a2, 1)
		if h := le.Uint64(b[evOffHash:]); h != 0 {
			r.dedup[recorderSeenKey{Hash: h, Flags: uint32(flags), Op: uint32(op)}] = accs
		}
	}
}

// str is the path at off, read by bpf_probe_read_*_str with result n.
func (r *ebpfRecorder) str(b []byte, off int, n int32) (string, bool) {
	switch {
	case n <= 0:
		r.col.unreadable++
		return "", false
	case int(n) >= pathLen:
		r.col.truncated++
		n = pathLen
	}
	s := b[off : off+int(n)]
	if i := strings.IndexByte(string(s), 0); i >= 0 {
		s = s[:i]
	}
	return string(s), true
}

// collect reads the kernel's counters into the collector and states what
// was lost.
func (r *ebpfRecorder) collect(c *collector) error {
	if err := eachPerCPU(r.objs.Counts, func(slot uint32, n uint64) {
		c.syscall(int(slot/nrSlots), int(slot%nrSlots), n)
	}); err != nil {
		return fmt.Errorf("eBPF recorder: read syscall counts: %w", err)
	}
	if err := eachPerCPU(r.objs.Caps, func(slot uint32, n uint64) {
		c.capability(int(slot/2), slot%2 == 1, n)
	}); err != nil {
		return fmt.Errorf("eBPF recorder: read capability checks: %w", err)
	}
	var ak recorderArgKey
	var n uint64
	it := r.objs.Args.Iterate()
	for it.Next(&ak, &n) {
		c.arg(int(ak.Abi), int(ak.Nr), int(ak.Arg), ak.Value, n)
	}
	var sk recorderSockKey
	it = r.objs.Socks.Iterate()
	for it.Next(&sk, &n) {
		c.socket(int(sk.Abi), int(sk.Nr), sk.Family, sk.Type, sk.Protocol, n)
	}
	if err := eachSeen(r.objs.Seen, func(k recorderSeenKey, n uint64) {
		for _, a := range r.dedup[k] {
			c.files[a] += n - 1 // the first was its event
		}
	}); err != nil {
		return fmt.Errorf("eBPF recorder: read repeated file accesses: %w", err)
	}
	alive := r.alive()

	stats := make([]uint64, statMax)
	for i := range stats {
		stats[i] = r.stat(i)
	}
	if n := stats[statLost]; n > 0 {
		c.limit("%d file or exec event(s) were lost (the ring buffer was full): those files are missing", n)
	}
	if n := stats[statMemFault]; n > 0 {
		c.limit("%d argument value(s) in the process's memory (clone3 flags, socket address family, openat2 flags) could not be read", n)
	}
	if n := stats[statArgsFull] + stats[statSocksFull]; n > 0 {
		c.limit("%d argument value(s) were not recorded (the value table was full, or the kernel out of memory)", n)
	}
	if n := stats[statProcsFull]; n > 0 {
		c.limit("%d process(es) were not followed (the process table was full, or the kernel out of memory): their calls are missing", n)
	}
	if n := stats[statBadNr]; n > 0 {
		c.limit("%d call(s) with a syscall number beyond %d were counted nowhere", n, nrSlots-1)
	}
	if n := stats[statNoiseUnknown]; n > 0 {
		c.limit("SYS_ADMIN: %d check(s) could not be told apart from the kernel's memory-accounting probe (security_vm_enough_memory_mm, not a privilege use): /proc/kallsyms did not give its address", n)
	}
	if alive > 0 {
		c.limit(leftMsg(r.wait), alive)
	}
	return nil
}

// eachPerCPU reads a per-CPU array of counters, summed over the CPUs,
// in one bpf(2) call where the kernel has batch lookups: the syscall
// table has 3072 slots, and a call per slot cost a recording
// milliseconds.
func eachPerCPU(m *ebpf.Map, f func(uint32, uint64)) error {
	n := int(m.MaxEntries())
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		return err
	}
	keys, vals := make([]uint32, n), make([]uint64, n*cpus)
	var cursor ebpf.MapBatchCursor
	for {
		got, err := m.BatchLookup(&cursor, keys, vals, nil)
		for i := range got {
			f(keys[i], sum(vals[i*cpus:(i+1)*cpus]))
		}
		switch {
		case errors.Is(err, ebpf.ErrKeyNotExist):
			return nil
		case err == nil && got > 0:
			continue
		case err == nil:
			return nil
		case got > 0 || !errors.Is(err, ebpf.ErrNotSupported):
			return err
		}
		break
	}
	var (
		slot uint32
		per  []uint64
	)
	it := m.Iterate()
	for it.Next(&slot, &per) {
		f(slot, sum(per))
	}
	return it.Err()
}

// eachSeen reads the dedup table, which can hold tens of thousands of
// entries, in batches (one bpf(2) call per 4096) where the kernel has
// batch lookups, else entry by entry.
func eachSeen(m *ebpf.Map, f func(recorderSeenKey, uint64)) error {
	keys := make([]recorderSeenKey, 4096)
	vals := make([]uint64, 4096)
	var cursor ebpf.MapBatchCursor
	for {
		n, err := m.BatchLookup(&cursor, keys, vals, nil)
		for i := 0; i < n; i++ {
			f(keys[i], vals[i])
		}
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return nil
		}
		if err == nil {
			continue
		}
		if n == 0 && errors.Is(err, ebpf.ErrNotSupported) {
			break
		}
		return err
	}
	var k recorderSeenKey
	var n uint64
	it := m.Iterate()
	for it.Next(&k, &n) {
		f(k, n)
	}
	return it.Err()
}

// kernelSymbols finds kernel functions' text ranges in /proc/kallsyms,
// from each one's address to the next symbol's; a function not found, or
// hidden addresses (kptr_restrict), give an empty range.
func kernelSymbols(names ...string) [][2]uint64 {
	out := make([][2]uint64, len(names))
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	open, left := -1, len(names)
	for sc.Scan() && (left > 0 || open >= 0) {
		line := sc.Bytes() // "ffffffff81a82c90 T cap_vm_enough_memory"
		if len(line) < 20 {
			continue
		}
		addr, err := strconv.ParseUint(string(line[:16]), 16, 64)
		if err != nil || addr == 0 {
			continue
		}
		if open >= 0 && addr > out[open][0] {
			out[open][1] = addr
			open = -1
		}
		name := string(line[19:])
		if i := strings.IndexAny(name, " \t"); i >= 0 {
			name = name[:i]
		}
		for i, n := range names {
			if n == name && out[i][0] == 0 {
				out[i][0], open = addr, i
				left--
			}
		}
	}
	for i := range out {
		if out[i][1] == 0 {
			out[i] = [2]uint64{}
		}
	}
	return out
}

// pidMax is the kernel's pid limit, which sizes the bitmap of recorded
// processes (a pid beyond it is still found, more slowly).
func pidMax() int {
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 && n <= 1<<22 {
			return n
		}
	}
	return 1 << 22 // the kernel's own maximum (PID_MAX_LIMIT on 64-bit)
}

func sum(v []uint64) uint64 {
	var s uint64
	for _, x := range v {
		s += x
	}
	return s
}
