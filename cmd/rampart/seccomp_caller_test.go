//go:build linux && cgo && seccomp

package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// The property test's workload, testdata/seccompcaller.c, and the file
// it shares with the test (descriptor 3, mapped at a fixed address):
// a header, the safety net, the calls and their results. The layout is
// the C program's.
const (
	callerBase       = 0x200000000
	callerSize       = 0x100000
	callerMagic      = 0x3150525043434553 // "SECCPRP1"
	callerOffNet     = 0x200
	callerOffCalls   = 0x1000
	callerMaxCalls   = 8192
	callerOffResults = callerOffCalls + callerMaxCalls*56
	callerStackTop   = callerBase + callerSize
	// the clone flags of the worker thread: CLONE_VM|FS|FILES|SIGHAND|
	// THREAD|SYSVSEM|CHILD_CLEARTID
	callerThreadFlags = 0x250f00
)

// callerHeader is the C program's struct hdr.
type callerHeader struct {
	Magic, NCalls, Start, Mode, NetLen, Stage uint64
	SetupRet                                  int64
	Cur, Done, Children, Threads              uint64
	ForkRet, ThreadRet                        int64
	Ctid                                      uint64
	Fprog                                     [2]uint64
	Wstart                                    uint64
}

type callerCall struct {
	ABI  uint32 // callerSyscall or callerInt80
	Nr   int32
	Args [6]uint64
}

type callerResult struct {
	Ret  int64
	How  uint32
	_    uint32
	Info uint64
}

const (
	callerSyscall = 0 // SYSCALL: x86_64, and x32 with the x32 bit in the number
	callerInt80   = 2 // INT $0x80: i386
)

// Modes: the calls run in child processes (a KILL_PROCESS is seen by
// their parent) and on worker threads (a KILL_THREAD is seen by theirs).
const (
	modeChild  = 1
	modeThread = 2
)

// How a call ended (struct result's how).
const (
	howUnset = iota
	howInflight
	howReturned
	howTrapped
	howThreadKilled
	howProcessKilled
	howDied
)

const (
	stageMapped   = 1
	stageHandler  = 2
	stageRunning  = 3
	stageFinished = 4
	stageFailed   = 100
)

var callerFailSteps = map[uint64]string{1: "rt_sigaction(SIGSYS)", 2: "seccomp(the safety net)", 3: "wait4", 4: "a set-up call was trapped"}

// The set-up calls the caller makes under the profile, with the
// arguments it makes them with: the test asks the referee about each.
var (
	callerForkArgs   = [6]uint64{uint64(unix.SIGCHLD)}
	callerThreadArgs = [6]uint64{callerThreadFlags, callerStackTop, 0, callerBase + uint64(unsafe.Offsetof(callerHeader{}.Ctid))}
)

// callerNet is the safety net the worker loads on top of the profile:
// exit and exit_group on x86_64 pass (the worker ends with them), every
// other call gets SECCOMP_RET_TRACE, which, with no tracer, fails the
// call with ENOSYS before it runs. Only the profile's answers stricter
// than TRACE (ERRNO, TRAP, KILL) get past it.
func callerNet() []unix.SockFilter {
	ld := func(off uint32) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: off}
	}
	jeq := func(k uint32, jt, jf uint8) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: k, Jt: jt, Jf: jf}
	}
	ret := func(k uint32) unix.SockFilter { return unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: k} }
	return []unix.SockFilter{
		ld(4),                          // 0: arch
		jeq(bpf.ArchX86_64, 0, 3),      // 1: x86_64 or x32, else trace
		ld(0),                          // 2: nr (x32 numbers carry the x32 bit: never equal below)
		jeq(unix.SYS_EXIT, 2, 0),       // 3
		jeq(unix.SYS_EXIT_GROUP, 1, 0), // 4
		ret(bpf.RetTrace),              // 5
		ret(bpf.RetAllow),              // 6
	}
}

// callerCheckNet proves, with the interpreter, that the net lets through
// only what the caller needs to end: it is what keeps every other call
// from running.
func callerCheckNet(t *testing.T) {
	t.Helper()
	net := callerNet()
	if err := bpf.Validate(net); err != nil {
		t.Fatal(err)
	}
	for _, d := range bpf.Samples() {
		ret, _, err := bpf.Run(net, d)
		if err != nil {
			t.Fatal(err)
		}
		end := d.Arch == bpf.ArchX86_64 && (d.Nr == unix.SYS_EXIT || d.Nr == unix.SYS_EXIT_GROUP)
		if want := map[bool]uint32{true: bpf.RetAllow, false: bpf.RetTrace}[end]; ret != want {
			t.Fatalf("safety net answers %#x for nr %d arch %#x, want %#x", ret, d.Nr, d.Arch, want)
		}
	}
}

// buildCaller compiles the workload: static, no libc, not position
// independent (its shared file sits at a fixed address).
func buildCaller(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "seccompcaller")
	out, err := exec.Command("gcc", "-O1", "-static", "-nostdlib", "-ffreestanding", "-fno-stack-protector",
		"-fno-pie", "-no-pie", "-fcf-protection=none", "-fno-asynchronous-unwind-tables", "-Wall", "-Werror",
		"-o", bin, "testdata/seccompcaller.c").CombinedOutput()
	if err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// callerObs is what the kernel did with one call, as the caller saw it.
type callerObs struct {
	How  uint32
	Ret  int64
	Info uint64
	// Threads: a worker thread issued it, so a kill of the thread and
	// one of the process are told apart.
	Threads bool
}

func (o callerObs) String() string {
	switch o.How {
	case howReturned:
		if o.Ret < 0 && o.Ret >= -4095 {
			return fmt.Sprintf("returned -%s", unix.ErrnoName(syscall.Errno(-o.Ret)))
		}
		return fmt.Sprintf("returned %d (the call ran!)", o.Ret)
	case howTrapped:
		return fmt.Sprintf("SIGSYS (si_errno %d, si_syscall %#x, si_arch %#x)", o.Info&0xffff, uint32(o.Info>>16), o.trapArch())
	case howThreadKilled:
		return "thread killed"
	case howProcessKilled:
		if o.Threads {
			return "process killed by SIGSYS"
		}
		return "killed by SIGSYS (one thread: thread or process)"
	case howDied:
		return fmt.Sprintf("died (wait status %#x)", o.Info)
	case howInflight:
		return "in flight when the caller ended"
	}
	return "not reached"
}

// trapArch is si_arch's low 16 bits, with AUDIT_ARCH's flags restored.
func (o callerObs) trapArch() uint32 {
	low := uint32(o.Info >> 48)
	for _, a := range []uint32{bpf.ArchX86_64, bpf.ArchI386} {
		if a&0xffff == low {
			return a
		}
	}
	return low
}

// callerRun is one launch series of the caller under a profile.
type callerRun struct {
	code     int // rampart's exit status of the first launch
	signal   syscall.Signal
	stderr   string
	obs      []callerObs
	launches int
	hdr      callerHeader
	err      error // the caller could not report every call
}

// callerLaunch runs `rampart run ARGS... --preserve-fds 1 -- CALLER`
// with the calls, as many times as kills that end the caller require,
// each launch starting at the call after the one that killed it. It
// stops at the first launch rampart refuses (exit 125) or that fails
// otherwise.
func callerLaunch(t *testing.T, caller string, env []string, args []string, calls []callerCall, mode uint64) callerRun {
	t.Helper()
	if len(calls) > callerMaxCalls {
		t.Fatalf("%d calls, the caller takes %d", len(calls), callerMaxCalls)
	}
	fd, err := unix.MemfdCreate("rampart-property", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "property")
	defer f.Close()
	buf := make([]byte, callerSize)
	hdr := (*callerHeader)(unsafe.Pointer(&buf[0]))
	*hdr = callerHeader{Magic: callerMagic, NCalls: uint64(len(calls)), Mode: mode}
	net := callerNet()
	hdr.NetLen = uint64(len(net))
	copy(buf[callerOffNet:], seccomp.Bytes(net))
	hdr.Fprog = [2]uint64{uint64(len(net)), callerBase + callerOffNet}
	for i, c := range calls {
		off := callerOffCalls + 56*i
		binary.LittleEndian.PutUint32(buf[off:], c.ABI)
		binary.LittleEndian.PutUint32(buf[off+4:], uint32(c.Nr))
		for j, a := range c.Args {
			binary.LittleEndian.PutUint64(buf[off+8+8*j:], a)
		}
	}
	results := unsafe.Slice((*callerResult)(unsafe.Pointer(&buf[callerOffResults])), len(calls))
	run := callerRun{obs: make([]callerObs, len(calls))}
	argv := append(append([]string{"run", "--preserve-fds", "1"}, args...), "--", caller)
	for start := 0; start < len(calls); {
		hdr.Start, hdr.Stage, hdr.Done, hdr.Cur = uint64(start), 0, 0, 0
		if _, err := f.WriteAt(buf, 0); err != nil {
			t.Fatal(err)
		}
		// a launch that hangs (a caller that cannot end) is killed
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, os.Args[0], argv...)
		cmd.Env = append(append(os.Environ(), env...), asRampart+"=1")
		cmd.ExtraFiles = []*os.File{f}
		r := runAsRampart(t, cmd)
		timedOut := ctx.Err() != nil
		cancel()
		run.launches++
		if _, err := f.ReadAt(buf, 0); err != nil {
			t.Fatal(err)
		}
		if timedOut {
			run.err = fmt.Errorf("launch %d: killed after 30 s (caller stage %d, call %d in flight)", run.launches, hdr.Stage, hdr.Cur)
			return run
		}
		run.hdr = *hdr
		if run.launches == 1 {
			run.code, run.signal, run.stderr = r.code, r.signal, r.stderr
		}
		threads := mode&modeThread != 0 && hdr.ThreadRet == 0
		for i := start; i < len(calls); i++ {
			run.obs[i] = callerObs{How: results[i].How, Ret: results[i].Ret, Info: results[i].Info, Threads: threads}
		}
		switch {
		case hdr.Stage == stageFinished && hdr.Done == 1 && r.code == 0:
			return run
		case hdr.Stage == 0 || hdr.Stage >= stageFailed:
			// CMD never ran, or its set-up failed
			if r.code == exitRefused && hdr.Stage == 0 && run.launches == 1 {
				return run
			}
			run.err = fmt.Errorf("launch %d: exit %d, signal %v, caller stage %d (%s, result %d); stderr: %s",
				run.launches, r.code, r.signal, hdr.Stage, callerFailSteps[hdr.Stage-stageFailed], hdr.SetupRet, r.stderr)
			return run
		case r.signal == syscall.SIGSYS && hdr.Stage == stageRunning && results[hdr.Cur].How == howInflight:
			// the call in flight killed the caller itself
			c := int(hdr.Cur)
			run.obs[c] = callerObs{How: howProcessKilled, Info: uint64(syscall.SIGSYS), Threads: threads}
			results[c].How = howProcessKilled
			start = c + 1
		default:
			run.err = fmt.Errorf("launch %d: exit %d, signal %v, caller stage %d, call %d of %d in flight (%s); stderr: %s",
				run.launches, r.code, r.signal, hdr.Stage, hdr.Cur, len(calls), run.obs[hdr.Cur], r.stderr)
			return run
		}
	}
	return run
}

// summary says how the run went: launches, children, threads, failed clones.
func (r callerRun) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d launch(es), %d child process(es), %d worker thread(s)", r.launches, r.hdr.Children, r.hdr.Threads)
	if r.hdr.ForkRet != 0 {
		fmt.Fprintf(&b, "; clone for a child failed: %d", r.hdr.ForkRet)
	}
	if r.hdr.ThreadRet != 0 {
		fmt.Fprintf(&b, "; clone for a thread failed: %d", r.hdr.ThreadRet)
	}
	return b.String()
}

// The caller's way of seeing the kernel's decisions, checked against a
// profile with one rule per action in each mode: the kernel rules the
// property test relies on (the safety net's TRACE stops an allowed
// call with ENOSYS before it runs; the profile's ERRNO, TRAP and kills
// win over it; a killed thread is seen by its parent thread, a killed
// process by its parent process or by the test).
func TestSeccompPropertyCalibration(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	callerCheckNet(t)
	caller := buildCaller(t)
	dir := t.TempDir()
	profile := filepath.Join(dir, "calibration.json")
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW",
 "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
 "syscalls":[
  {"names":["personality"],"action":"SCMP_ACT_ERRNO","errnoRet":77},
  {"names":["chroot"],"action":"SCMP_ACT_TRAP"},
  {"names":["keyctl"],"action":"SCMP_ACT_KILL"},
  {"names":["add_key"],"action":"SCMP_ACT_KILL_PROCESS"},
  {"names":["reboot"],"action":"SCMP_ACT_LOG"},
  {"names":["ptrace"],"action":"SCMP_ACT_ERRNO","errnoRet":78,"args":[{"index":0,"value":16,"op":"SCMP_CMP_EQ"}]}]}`), 0o644)
	x32 := int32(bpf.X32Bit)
	type want struct {
		how uint32
		ret int64
	}
	enosys := want{howReturned, -int64(unix.ENOSYS)}
	calls := []struct {
		c    callerCall
		what string
		w    want
	}{
		{callerCall{callerSyscall, unix.SYS_PERSONALITY, [6]uint64{}}, "personality: ERRNO(77)", want{howReturned, -77}},
		{callerCall{callerSyscall, unix.SYS_CHROOT, [6]uint64{}}, "chroot: TRAP", want{howTrapped, 0}},
		{callerCall{callerSyscall, unix.SYS_KEYCTL, [6]uint64{}}, "keyctl: KILL (thread)", want{howThreadKilled, 0}},
		{callerCall{callerSyscall, unix.SYS_ADD_KEY, [6]uint64{}}, "add_key: KILL_PROCESS", want{howProcessKilled, 0}},
		{callerCall{callerSyscall, unix.SYS_REBOOT, [6]uint64{}}, "reboot: LOG, the net's TRACE", enosys},
		{callerCall{callerSyscall, unix.SYS_PTRACE, [6]uint64{16}}, "ptrace(PTRACE_ATTACH): ERRNO(78)", want{howReturned, -78}},
		{callerCall{callerSyscall, unix.SYS_PTRACE, [6]uint64{0x4206}}, "ptrace(PTRACE_SEIZE): ALLOW, the net's TRACE", enosys},
		{callerCall{callerSyscall, unix.SYS_GETPID, [6]uint64{}}, "getpid: ALLOW, the net's TRACE (a pid if it ran)", enosys},
		{callerCall{callerSyscall, 135 | x32, [6]uint64{}}, "x32 personality: ERRNO(77)", want{howReturned, -77}},
		{callerCall{callerSyscall, 161 | x32, [6]uint64{}}, "x32 chroot: TRAP", want{howTrapped, 0}},
		{callerCall{callerSyscall, 250 | x32, [6]uint64{}}, "x32 keyctl: KILL (thread)", want{howThreadKilled, 0}},
		{callerCall{callerSyscall, 39 | x32, [6]uint64{}}, "x32 getpid: the net's TRACE", enosys},
		{callerCall{callerSyscall, unix.SYS_GETPPID, [6]uint64{}}, "getppid, after the kills: the net's TRACE", enosys},
	}
	if features.HaveIA32() == nil {
		calls = append(calls,
			struct {
				c    callerCall
				what string
				w    want
			}{callerCall{callerInt80, 136, [6]uint64{}}, "i386 personality: ERRNO(77)", want{howReturned, -77}},
			struct {
				c    callerCall
				what string
				w    want
			}{callerCall{callerInt80, 20, [6]uint64{}}, "i386 getpid: the net's TRACE", enosys})
	} else {
		t.Logf("no i386 calls: %v", features.HaveIA32())
	}
	var cc []callerCall
	for _, c := range calls {
		cc = append(cc, c.c)
	}
	env := []string{"RAMPART_CACHE_DIR=" + t.TempDir()}
	for _, m := range []struct {
		mode     uint64
		launches int
	}{{modeChild | modeThread, 1}, {modeThread, 2}, {modeChild, 1}, {0, 4}} {
		t.Run(fmt.Sprintf("mode-%d", m.mode), func(t *testing.T) {
			run := callerLaunch(t, caller, env, []string{"--seccomp", profile}, cc, m.mode)
			if run.err != nil {
				t.Fatal(run.err)
			}
			for i, c := range calls {
				o := run.obs[i]
				w := c.w
				if w.how == howThreadKilled && m.mode&modeThread == 0 {
					w.how = howProcessKilled // one thread: the kill takes the process
				}
				ok := o.How == w.how && (w.how != howReturned || o.Ret == w.ret)
				if w.how == howTrapped {
					ok = ok && o.Info&0xffff == 0 && int32(o.Info>>16) == c.c.Nr && o.trapArch() == bpf.ArchX86_64
					if c.c.ABI == callerInt80 {
						ok = o.How == w.how && o.trapArch() == bpf.ArchI386
					}
				}
				if !ok {
					t.Errorf("%s: %s", c.what, o)
				}
			}
			if run.launches != m.launches {
				t.Errorf("%d launches, want %d (%s)", run.launches, m.launches, run.summary())
			}
			t.Logf("%s", run.summary())
		})
	}
}
