//go:build linux && (amd64 || arm64)

package record

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ptraceRecorder stops CMD and its descendants at every syscall entry
// and exit. It needs nothing from the kernel beyond ptrace (and
// PTRACE_GET_SYSCALL_INFO, Linux 5.3), so it runs where BPF cannot: in
// containers, without privilege over the kernel. It sees what the
// process asks, not what the kernel checks: no capabilities.
type ptraceRecorder struct {
	col  *collector
	sys  *sysTable
	spec []map[int]callSpec // by ABI (abiNames)
	exec []map[int]bool     // execve and execveat numbers

	main     int
	mainDone bool
	ts       map[int]*tracee
	counts   [][nrSlots]uint64
	badNr    uint64
	detached map[int]bool // processes left running when CMD exited
	// wait (Options.Wait) keeps tracing after CMD exits; ended is set
	// by a signal to rampart (or ctx) to stop waiting.
	wait       bool
	waited     bool // Options.Wait, as asked
	mainExited bool
	ended      atomic.Bool
}

type tracee struct {
	started   bool     // a new child's first SIGSTOP was absorbed
	pend      *pending // a file call between its entry and exit
	exec      string   // the file an execve in progress names
	detaching bool     // CMD exited: let it go at its next stop
	stopSent  bool
}

type pending struct {
	op                fileOp
	flags             uint64
	path, path2       string // resolved; "" when unresolved
	rel, rel2         string
	dirfd, dirfd2     int32
	pathOk, path2Used bool
}

func newPtrace(col *collector) *ptraceRecorder {
	sys := col.sys
	r := &ptraceRecorder{col: col, sys: sys, spec: sys.specs(), ts: map[int]*tracee{}, detached: map[int]bool{},
		exec: make([]map[int]bool, len(abiNames)), counts: make([][nrSlots]uint64, len(abiNames))}
	for abi := range abiNames {
		r.exec[abi] = map[int]bool{}
		for _, name := range []string{"execve", "execveat"} {
			if nr, ok := sys.nrs[abi][name]; ok {
				r.exec[abi][nr] = true
			}
		}
	}
	col.limit("capabilities are not recorded: the ptrace recorder sees the calls a process makes, not the kernel's capability checks (the eBPF recorder does)")
	return r
}

func (r *ptraceRecorder) name() string { return RecorderPtrace }
func (r *ptraceRecorder) close()       {}

const (
	ptraceOptions = unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEFORK |
		unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_EXITKILL
)

func (r *ptraceRecorder) run(ctx context.Context, l *launch, col *collector) (int, error) {
	// Every ptrace request must come from the thread that is the tracer.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	std := l.stdio()
	// PTRACE_TRACEME right before execve: the child's first stop is after
	// CMD's execve, so rampart's fork-side setup is never seen.
	p, err := os.StartProcess(l.path, l.argv, &os.ProcAttr{
		Dir:   l.opts.Dir,
		Env:   l.env(),
		Files: std[:],
		Sys:   &syscall.SysProcAttr{Ptrace: true, Credential: l.opts.Credential},
	})
	if err != nil {
		return 0, &ExecError{Path: l.path, Err: err}
	}
	r.main = p.Pid
	p.Release()
	var ws unix.WaitStatus
	if _, err := wait4(r.main, &ws); err != nil {
		return 0, fmt.Errorf("ptrace recorder: wait for CMD: %w", err)
	}
	if !ws.Stopped() {
		return exitCode(syscall.WaitStatus(ws)), nil
	}
	if err := unix.PtraceSetOptions(r.main, ptraceOptions); err != nil {
		unix.Kill(r.main, unix.SIGKILL)
		return 0, fmt.Errorf("ptrace recorder: set options: %w", err)
	}
	// CMD's own execve: rampart's, but the workload needs it allowed (see
	// the eBPF recorder).
	col.syscall(abiNative, unix.SYS_EXECVE, 1)
	if abs, ok := resolveAt(uint32(r.main), uint32(r.main), atFDCWD, l.path); ok {
		r.executed(abs)
	}
	r.ts[r.main] = &tracee{started: true}

	stop := forwardSignals(r.main)
	defer stop()
	stopCtx := context.AfterFunc(ctx, func() { unix.Kill(r.main, unix.SIGKILL) })
	defer stopCtx()
	if r.wait = l.opts.Wait; r.wait {
		r.waited = true
		// The loop polls while it waits for the tree: a signal cannot
		// interrupt its wait4, and only this thread may detach.
		wctx, cancel := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer cancel()
		go func() { <-wctx.Done(); r.ended.Store(true) }()
	}

	unix.PtraceSyscall(r.main, 0)
	code, err := r.loop()
	r.flush()
	return code, err
}

func wait4(pid int, ws *unix.WaitStatus) (int, error) {
	for {
		wpid, err := unix.Wait4(pid, ws, unix.WALL, nil)
		if err != unix.EINTR {
			return wpid, err
		}
	}
}

func (r *ptraceRecorder) loop() (int, error) {
	code := 0
	idle := 20 * time.Microsecond
	for len(r.ts) > 0 {
		var ws unix.WaitStatus
		var tid int
		var err error
		if r.wait && r.mainExited {
			if r.ended.Load() {
				r.wait = false
				r.letGo()
				continue
			}
			if tid, err = unix.Wait4(-1, &ws, unix.WALL|unix.WNOHANG, nil); tid == 0 || err == unix.EINTR {
				// Stops come in bursts: poll again soon after one, and
				// back off to 5 ms while the tree sleeps.
				time.Sleep(idle)
				idle = min(idle*2, 5*time.Millisecond)
				continue
			}
			idle = 20 * time.Microsecond
		} else {
			tid, err = wait4(-1, &ws)
		}
		if err == unix.ECHILD {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("ptrace recorder: wait: %w", err)
		}
		t := r.ts[tid]
		if ws.Exited() || ws.Signaled() {
			delete(r.ts, tid)
			if tid == r.main {
				code = exitCode(syscall.WaitStatus(ws))
				if r.wait {
					r.mainExited = true // the wait for the tree begins
				} else {
					r.letGo()
				}
			}
			continue
		}
		if !ws.Stopped() {
			continue
		}
		if t == nil {
			// A new child can report before its parent's fork event.
			t = &tracee{detaching: r.mainDone}
			r.ts[tid] = t
		}
		sig := ws.StopSignal()
		switch {
		case sig == unix.SIGTRAP|0x80:
			if !t.detaching {
				r.syscallStop(tid, t)
			}
			r.resume(tid, t, 0)
		case sig == unix.SIGTRAP && ws.TrapCause() > 0:
			r.eventStop(tid, t, ws.TrapCause())
			r.resume(tid, t, 0)
		case sig == unix.SIGSTOP && t.detaching && (!t.started || t.stopSent):
			// The SIGSTOP rampart sent (or a new child's first): dropped
			// by detaching with no signal.
			unix.PtraceDetach(tid)
			delete(r.ts, tid)
			if t.stopSent {
				// The stop absorbed may have been the tracee's own (a new
				// child's first, already dequeued when letGo sent its
				// SIGSTOP): rampart's would then stop it for good once
				// detached, with no tracer to resume it. SIGCONT discards a
				// pending stop and resumes one taken: the tree runs on.
				if tgid := readTgid(tid); tgid > 0 {
					unix.Tgkill(tgid, tid, unix.SIGCONT)
				}
			}
		case sig == unix.SIGSTOP && !t.started:
			t.started = true
			r.resume(tid, t, 0)
		case groupStop(tid):
			// Without PTRACE_SEIZE a group-stop cannot be kept: resume.
			r.resume(tid, t, 0)
		default:
			r.resume(tid, t, int(sig)) // the tracee's own signal
		}
	}
	return code, nil
}

func (r *ptraceRecorder) resume(tid int, t *tracee, sig int) {
	if t.detaching {
		unix.PtraceCont(tid, sig)
		return
	}
	unix.PtraceSyscall(tid, sig)
}

// letGo is called when CMD exits: descendants still running are
// detached, not killed; each gets a SIGSTOP that its next stop absorbs,
// and a SIGCONT once detached, should the stop absorbed have been
// another.
func (r *ptraceRecorder) letGo() {
	r.mainDone = true
	for tid, t := range r.ts {
		t.detaching, t.stopSent = true, true
		tgid := readTgid(tid)
		if tgid > 0 {
			r.detached[tgid] = true
		}
		unix.Tgkill(tgid, tid, unix.SIGSTOP)
	}
}

func groupStop(tid int) bool {
	var si [128]byte
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(tid), 0, uintptr(unsafe.Pointer(&si[0])), 0, 0)
	return e == unix.EINVAL
}

// syscallInfo is struct ptrace_syscall_info (include/uapi/linux/ptrace.h).
type syscallInfo struct {
	Op   uint8
	_    [3]uint8
	Arch uint32
	IP   uint64
	SP   uint64
	Nr   uint64    // entry: the number; exit: the return value
	Args [6]uint64 // exit: Args[0]'s low byte is is_error
	Data uint32
	_    uint32
}

func (r *ptraceRecorder) syscallStop(tid int, t *tracee) {
	var si syscallInfo
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(tid), unsafe.Sizeof(si), uintptr(unsafe.Pointer(&si)), 0, 0)
	if e != 0 {
		return
	}
	switch si.Op {
	case unix.PTRACE_SYSCALL_INFO_ENTRY:
		r.entry(tid, t, &si)
	case unix.PTRACE_SYSCALL_INFO_EXIT:
		p := t.pend
		t.pend = nil
		if p == nil || si.Args[0]&0xff != 0 || int64(si.Nr) < 0 {
			return // no file call, or it failed
		}
		if !p.pathOk {
			r.col.unresolvedPath(uint32(tid), p.dirfd, p.rel)
			return
		}
		if p.path2Used && p.path2 == "" {
			r.col.unresolvedPath(uint32(tid), p.dirfd2, p.rel2)
			return
		}
		r.col.file(p.op, p.flags, p.path, p.path2, 1)
	}
}

func (r *ptraceRecorder) entry(tid int, t *tracee, si *syscallInfo) {
	abi, nr, a := entryABI(si)
	if nr >= nrSlots {
		r.badNr++
		return
	}
	r.counts[abi][nr]++
	n := int(nr)
	if r.exec[abi][n] {
		path, dirfd := a[0], int32(atFDCWD)
		if r.sys.name(abi, n) == "execveat" {
			path, dirfd = a[1], int32(a[0])
		}
		if s, ok := r.readPath(tid, path); ok {
			t.exec, _ = resolveAt(uint32(tid), uint32(tid), dirfd, s)
		}
	}
	s, ok := r.spec[abi][n]
	if !ok {
		return
	}
	for i := 0; i < 6; i++ {
		if s.vals&(1<<i) != 0 {
			r.col.arg(abi, n, i, a[i], 1)
		}
	}
	switch s.mem {
	case memSocket:
		r.col.socket(abi, n, uint32(a[0]), uint32(a[1]), uint32(a[2]), 1)
	case memClone3:
		if b, ok := readMem(tid, a[0], 8); ok {
			r.col.arg(abi, n, -1, le64(b), 1)
		}
	case memSockaddr:
		if b, ok := readMem(tid, a[1], 2); ok {
			r.col.arg(abi, n, -1, uint64(b[0])|uint64(b[1])<<8, 1)
		}
	}
	if s.op == 0 {
		return
	}
	p := &pending{op: s.op, dirfd: atFDCWD, dirfd2: atFDCWD}
	if s.flags != noArg {
		p.flags = a[s.flags]
	}
	if s.mem == memOpenHow {
		if b, ok := readMem(tid, a[2], 8); ok {
			p.flags = le64(b)
		}
	}
	if s.dirfd != noArg {
		p.dirfd = int32(a[s.dirfd])
	}
	if s.dirfd2 != noArg {
		p.dirfd2 = int32(a[s.dirfd2])
	}
	// The tracee is stopped: its cwd and fds are exactly what the kernel
	// will resolve against.
	var okRead bool
	if p.rel, okRead = r.readPath(tid, a[s.path]); !okRead {
		return // the call will fail with EFAULT
	}
	p.path, p.pathOk = resolveAt(uint32(tid), uint32(tid), p.dirfd, p.rel)
	if s.path2 != noArg {
		p.path2Used = true
		if p.rel2, okRead = r.readPath(tid, a[s.path2]); !okRead {
			return
		}
		p.path2, _ = resolveAt(uint32(tid), uint32(tid), p.dirfd2, p.rel2)
	}
	t.pend = p
}

func (r *ptraceRecorder) eventStop(tid int, t *tracee, cause int) {
	switch cause {
	case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK, unix.PTRACE_EVENT_CLONE:
		msg, err := unix.PtraceGetEventMsg(tid)
		if err == nil && r.ts[int(msg)] == nil {
			r.ts[int(msg)] = &tracee{detaching: r.mainDone}
		}
	case unix.PTRACE_EVENT_EXEC:
		// A thread other than the leader that execs takes the leader's
		// tid; its own tid is gone.
		src := t
		if msg, err := unix.PtraceGetEventMsg(tid); err == nil && int(msg) != tid {
			if f := r.ts[int(msg)]; f != nil {
				src = f
				delete(r.ts, int(msg))
			}
		}
		path := src.exec
		t.exec, t.pend, src.exec = "", nil, ""
		if path == "" {
			path, _ = os.Readlink("/proc/" + strconv.Itoa(tid) + "/exe")
		}
		if path != "" && !t.detaching {
			r.executed(path)
		}
	}
}

// executed records an exec of path and, for a script, of its
// interpreter (what the kernel's bprm->interp names).
func (r *ptraceRecorder) executed(path string) {
	r.col.exec(path)
	if in := interpreter(path); in != "" && in != path {
		r.col.exec(in)
	}
}

// interpreter reads a script's #! line.
func interpreter(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b := make([]byte, 256)
	n, _ := f.Read(b)
	b = b[:n]
	if !bytes.HasPrefix(b, []byte("#!")) {
		return ""
	}
	line, _, _ := bytes.Cut(b[2:], []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}

func (r *ptraceRecorder) readPath(tid int, addr uint64) (string, bool) {
	var out []byte
	for len(out) < 4096 {
		// Never cross a 256-byte boundary, so never an unmapped page.
		chunk := 256 - int(addr%256)
		b, ok := readMem(tid, addr, chunk)
		if !ok {
			r.col.unreadable++
			return "", false
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return string(append(out, b[:i]...)), true
		}
		out = append(out, b...)
		addr += uint64(len(b))
	}
	r.col.truncated++
	return string(out), true
}

func readMem(tid int, addr uint64, n int) ([]byte, bool) {
	if addr == 0 {
		return nil, false
	}
	b := make([]byte, n)
	got, err := unix.ProcessVMReadv(tid,
		[]unix.Iovec{{Base: &b[0], Len: uint64(n)}},
		[]unix.RemoteIovec{{Base: uintptr(addr), Len: n}}, 0)
	if err != nil || got != n {
		return nil, false
	}
	return b, true
}

func le64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func readTgid(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// flush hands the counts to the collector and states the limits.
func (r *ptraceRecorder) flush() {
	for abi := range r.counts {
		for nr, n := range r.counts[abi] {
			r.col.syscall(abi, nr, n)
		}
	}
	if r.badNr > 0 {
		r.col.limit("%d call(s) with a syscall number beyond %d were counted nowhere", r.badNr, nrSlots-1)
	}
	if len(r.detached) > 0 {
		r.col.limit(leftMsg(r.waited), len(r.detached))
	}
	if r.counts[abiNative][unix.SYS_PTRACE] > 0 {
		r.col.limit("the workload calls ptrace, which fails on a process that is already traced: under the ptrace recorder it may have behaved differently")
	}
}
