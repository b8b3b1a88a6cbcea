//go:build linux && cgo && seccomp

package seccomp

// The differential test: the seccomp simulator (bpf.Run over the program
// Compile produced, the one the launcher loads) against the kernel, for
// every syscall number of the three x86 ABIs (on arm64: of AArch64) with
// the argument values the profiles condition on.
//
// How the kernel is asked without running anything dangerous. A child
// process (this test binary, re-executed) loads two filters on one locked
// thread, with seccomp(2) and no TSYNC, so no other thread is filtered:
//
//  1. the safety net (kdNet): ERRNO(4001) for everything except, on
//     x86_64, a few calls the Go runtime may need on that thread, and the
//     one seccomp(2) call that loads the profile;
//  2. the profile's program, as Compile returned it.
//
// The kernel runs every filter on every call and keeps the most
// restrictive action; between equal actions it keeps the newest filter's
// value (kernel/seccomp.c, seccomp_run_filters: it walks from the newest
// filter to the oldest and replaces its answer only on a strictly lower
// ACTION_ONLY). So when the profile says ERRNO(e), the call returns -e
// without running; when the profile allows, the net answers 4001, or, for
// the calls it allows, the call runs with arguments that make it fail
// harmlessly (kdSafeCalls). TestKernelDiffFacts checks those kernel rules
// one by one.
//
// The thread issues the calls from assembly (kernel_diff_amd64_test.s:
// SYSCALL for x86_64 and x32, INT $0x80 for i386; kernel_diff_arm64_test.s:
// SVC #0), writes each result
// into a shared memory file the parent prepared, and ends the child with
// exit_group. Nothing is allocated and no runtime code runs on the thread
// between loading the filters and exiting (GC off, async preemption off),
// and a crash still leaves the results up to the call that crashed.
//
// The parent computes the expected answer with the same rule over the
// simulator: bpf.Run(net) and bpf.Run(profile), combined as the kernel
// combines them (kdCombine).

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

const (
	kdChildEnv = "RAMPART_KERNEL_DIFF_CHILD"
	kdNetErrno = 4001                  // the safety net's answer; no profile here uses it
	kdMaxErrno = 4095                  // the kernel caps SECCOMP_RET_ERRNO data at MAX_ERRNO
	kdMagic    = 0x3146_4944_4b44_5052 // "RPDKDIF1"
	// kdKernelAddr is a pointer the kernel refuses (not a user address):
	// the calls the net lets through fail with EFAULT on it.
	kdKernelAddr = 1 << 63
	// kdOK: the call is expected to succeed (any non-negative result).
	kdOK = 1 << 62
)

// The ABI a call is issued with. kdX86_64 is the native 64-bit one:
// x86_64, or AArch64 on arm64 (kdNativeArch), where the other two do not
// exist.
const (
	kdX86_64 uint32 = iota
	kdX32           // SYSCALL with nr|0x40000000; the kernel has no x32 ABI, the filter still sees the number
	kdI386          // INT $0x80
)

var kdABIName = [...]string{kdX86_64: kdNativeName, kdX32: "x32", kdI386: "i386"}

// kdCall is one system call, laid out as the child reads it.
type kdCall struct {
	ABI  uint32
	Nr   int32 // as the filter sees it: x32 numbers include the x32 bit
	Args [6]uint64
}

func (c kdCall) data() bpf.Data {
	arch := kdNativeArch
	if c.ABI == kdI386 {
		arch = bpf.ArchI386
	}
	return bpf.Data{Nr: c.Nr, Arch: arch, Args: c.Args}
}

func (c kdCall) String() string {
	return fmt.Sprintf("%s nr=%d (%#x) args=%#x", kdABIName[c.ABI], c.Nr&^bpf.X32Bit, uint32(c.Nr), c.Args)
}

// issue makes the call; it runs on the filtered thread.
//
//go:nosplit
func (c *kdCall) issue() int64 {
	a := &c.Args
	if c.ABI == kdI386 {
		// the i386 return value is 32-bit
		return int64(int32(kdInt80(uint64(uint32(c.Nr)), a[0], a[1], a[2], a[3], a[4], a[5])))
	}
	return kdSys64(uint64(int64(c.Nr)), a[0], a[1], a[2], a[3], a[4], a[5])
}

// kdSafe is a call the safety net lets run, with arguments that make it
// fail harmlessly (or succeed without effect), and its known result.
type kdSafe struct {
	Nr   int32
	Args [6]uint64
	Want int64 // -errno, or kdOK
}

// kdSafeCalls are the only calls that ever run in the kernel: the safety
// net allows these numbers (x86_64 only), and the test issues them only
// with these arguments.
var kdSafeCalls = []kdSafe{
	{unix.SYS_WRITE, [6]uint64{^uint64(0), 0, 0}, -int64(unix.EBADF)},                  // fd -1
	{unix.SYS_MMAP, [6]uint64{0, 0, 0, 0, ^uint64(0), 0}, -int64(unix.EBADF)},          // file mapping of fd -1
	{unix.SYS_MUNMAP, [6]uint64{1, 4096}, -int64(unix.EINVAL)},                         // unaligned address
	{unix.SYS_RT_SIGPROCMASK, [6]uint64{0, 0, 0, 0}, -int64(unix.EINVAL)},              // sigsetsize 0
	{unix.SYS_SCHED_YIELD, [6]uint64{}, 0},                                             // harmless
	{unix.SYS_MADVISE, [6]uint64{1, 4096, 0}, -int64(unix.EINVAL)},                     // unaligned address
	{unix.SYS_NANOSLEEP, [6]uint64{kdKernelAddr, 0}, -int64(unix.EFAULT)},              // request unreadable: no sleep
	{unix.SYS_GETPID, [6]uint64{}, kdOK},                                               // harmless
	{unix.SYS_SIGALTSTACK, [6]uint64{kdKernelAddr, 0}, -int64(unix.EFAULT)},            // new stack unreadable
	{unix.SYS_GETTID, [6]uint64{}, kdOK},                                               // harmless
	{unix.SYS_FUTEX, [6]uint64{kdKernelAddr, 0 /* FUTEX_WAIT */}, -int64(unix.EFAULT)}, // no wait: the word is unreadable
	{unix.SYS_FUTEX, [6]uint64{kdKernelAddr, 1 /* FUTEX_WAKE */, 1}, -int64(unix.EFAULT)},
	{unix.SYS_CLOCK_GETTIME, [6]uint64{0, kdKernelAddr}, -int64(unix.EFAULT)}, // result unwritable
}

// kdNeverIssued are native numbers the net allows for the runtime, and
// numbers the kernel runs without consulting any filter
// (kdArchNeverIssued).
var kdNeverIssued = func() map[int32]string {
	m := map[int32]string{
		unix.SYS_RT_SIGRETURN: "allowed by the net; would return to a garbage frame",
		unix.SYS_EXIT:         "allowed by the net; would end the thread",
		unix.SYS_EXIT_GROUP:   "allowed by the net; would end the child",
	}
	for nr, why := range kdArchNeverIssued {
		m[nr] = why
	}
	return m
}()

// kdNet is the safety net: on the native ABI it allows the runtime's calls (the
// numbers of kdSafeCalls and kdNeverIssued's first three) and seccomp(2)
// when its third argument is fprog (the profile's struct sock_fprog in the
// child; anything when fprog is 0, for TestKernelDiffFacts); everything
// else, on every architecture, gets ERRNO(4001).
func kdNet(fprog uint64) []unix.SockFilter {
	var a kdAsm
	a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 4) // arch
	a.jump(unix.BPF_JEQ, kdNativeArch, "", "deny")
	a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 0)       // nr
	a.jump(unix.BPF_JGE, uint32(bpf.X32Bit), "deny", "") // x32 numbers, and negative ones
	a.jump(unix.BPF_JEQ, unix.SYS_SECCOMP, "seccomp", "")
	seen := map[int32]bool{}
	for _, s := range kdSafeCalls {
		if !seen[s.Nr] {
			seen[s.Nr] = true
			a.jump(unix.BPF_JEQ, uint32(s.Nr), "allow", "")
		}
	}
	for _, nr := range []uint32{unix.SYS_RT_SIGRETURN, unix.SYS_EXIT, unix.SYS_EXIT_GROUP} {
		a.jump(unix.BPF_JEQ, nr, "allow", "")
	}
	a.jump(unix.BPF_JA, 0, "deny", "")
	a.label("seccomp")
	if fprog != 0 {
		a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 16+2*8) // args[2], low half
		a.jump(unix.BPF_JEQ, uint32(fprog), "", "deny")
		a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 16+2*8+4) // high half
		a.jump(unix.BPF_JEQ, uint32(fprog>>32), "allow", "deny")
	}
	a.jump(unix.BPF_JA, 0, "allow", "")
	a.label("deny")
	a.stmt(unix.BPF_RET|unix.BPF_K, bpf.RetErrno|kdNetErrno)
	a.label("allow")
	a.stmt(unix.BPF_RET|unix.BPF_K, bpf.RetAllow)
	return a.done()
}

// kdAsm assembles a small cBPF program with forward labels.
type kdAsm struct {
	prog   []unix.SockFilter
	labels map[string]int
	fix    []kdFix
}

type kdFix struct {
	pc     int
	jt, jf string
}

func (a *kdAsm) stmt(code uint16, k uint32) {
	a.prog = append(a.prog, unix.SockFilter{Code: code, K: k})
}

// jump appends a conditional jump (op is BPF_JEQ, ...; "" means the next
// instruction) or, for op BPF_JA, a jump to jt.
func (a *kdAsm) jump(op uint16, k uint32, jt, jf string) {
	a.fix = append(a.fix, kdFix{len(a.prog), jt, jf})
	a.prog = append(a.prog, unix.SockFilter{Code: unix.BPF_JMP | op | unix.BPF_K, K: k})
}

func (a *kdAsm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.prog)
}

func (a *kdAsm) done() []unix.SockFilter {
	off := func(pc int, l string) int {
		if l == "" {
			return 0
		}
		to, ok := a.labels[l]
		if !ok || to <= pc || to-pc-1 > 255 {
			panic("kdAsm: bad label " + l)
		}
		return to - pc - 1
	}
	for _, f := range a.fix {
		in := &a.prog[f.pc]
		if in.Code == unix.BPF_JMP|unix.BPF_JA|unix.BPF_K {
			in.K = uint32(off(f.pc, f.jt))
			continue
		}
		in.Jt, in.Jf = uint8(off(f.pc, f.jt)), uint8(off(f.pc, f.jf))
	}
	if err := bpf.Validate(a.prog); err != nil {
		panic(err)
	}
	return a.prog
}

// kdExtraArgs add to bpf.Samples' argument sets the values on both sides
// of every condition in the test profiles.
var kdExtraArgs = [][6]uint64{
	{0x11},                        // SIGCHLD: a plain fork-like clone
	{0x10000000 | 0x11},           // CLONE_NEWUSER alone
	{0x40000000},                  // CLONE_NEWNET alone
	{0x00020000},                  // CLONE_NEWNS
	{0x20000000},                  // CLONE_NEWPID
	{1<<32 | 0x10000000},          // CLONE_NEWUSER and a bit of the upper half
	{10, 3},                       // AF_INET6, SOCK_RAW
	{10, 3 | 0x800},               // ... | SOCK_NONBLOCK
	{1, 1},                        // AF_UNIX, SOCK_STREAM
	{2, 1},                        // AF_INET, SOCK_STREAM
	{1<<32 | 2, 3},                // AF_INET with upper bits (socket(2) takes an int)
	{0x20008},                     // personality UNAME26|PER_LINUX32
	{0x20000},                     // UNAME26
	{1<<32 | 8},                   // PER_LINUX32 with upper bits
	{0, 0x5413},                   // TIOCGWINSZ
	{1, 0x5412},                   // TIOCSTI on fd 1
	{0, 1<<32 | 0x5412},           // TIOCSTI with one upper bit
	{0, 0x80005412},               // bit 31: not TIOCSTI
	{0, 0xffffffff, 0xffffffff},   // a 32-bit all-ones
	{^uint64(0), 0x5412, 1 << 40}, // fd -1
}

// kdCalls lists the calls of one run: bpf.Samples for the three x86 ABIs
// (every number from 0 to 599, the odd ones, its argument sets) plus
// kdExtraArgs, except that the numbers the net lets through are issued
// only as kdSafeCalls. On arm64 the x86_64 samples' numbers and
// arguments are issued as AArch64 calls (its numbers end below 600 too),
// and x32 and i386 have no counterpart.
func kdCalls() []kdCall {
	netAllows := map[int32]bool{}
	for _, s := range kdSafeCalls {
		netAllows[s.Nr] = true
	}
	var calls []kdCall
	add := func(d bpf.Data) {
		if !kdX86 {
			if d.Arch != bpf.ArchX86_64 && d.Arch != kdNativeArch {
				return
			}
			if d.Arch == bpf.ArchX86_64 && d.Nr&bpf.X32Bit != 0 && d.Nr > 0 && d.Nr&^bpf.X32Bit < 0x1000 {
				return // an x32 number
			}
			d.Arch = kdNativeArch
		}
		c := kdCall{Nr: d.Nr, Args: d.Args}
		switch {
		case d.Arch == bpf.ArchI386:
			if !kdIA32() {
				return // int 0x80 faults before the filter runs
			}
			c.ABI = kdI386
		case kdX86 && d.Arch == bpf.ArchX86_64 && d.Nr&bpf.X32Bit != 0 && d.Nr > 0:
			c.ABI = kdX32
		case d.Arch == kdNativeArch:
			c.ABI = kdX86_64
			if netAllows[d.Nr] || kdNeverIssued[d.Nr] != "" {
				return
			}
		default:
			return // an architecture this machine cannot issue (Samples' aarch64 on x86)
		}
		calls = append(calls, c)
	}
	maxNr := int32(0)
	for _, d := range bpf.Samples() {
		add(d)
		if d.Nr&bpf.X32Bit == 0 && d.Nr < 0x1000 {
			maxNr = max(maxNr, d.Nr)
		}
	}
	for nr := int32(0); nr <= maxNr; nr++ {
		for _, args := range kdExtraArgs {
			add(bpf.Data{Nr: nr, Arch: bpf.ArchX86_64, Args: args})
			add(bpf.Data{Nr: nr | bpf.X32Bit, Arch: bpf.ArchX86_64, Args: args})
			add(bpf.Data{Nr: nr, Arch: bpf.ArchI386, Args: args})
		}
	}
	for _, s := range kdSafeCalls {
		calls = append(calls, kdCall{ABI: kdX86_64, Nr: s.Nr, Args: s.Args})
	}
	return calls
}

// kdSafeWant returns the known result of a call the net lets run.
func kdSafeWant(c kdCall) (int64, bool) {
	if c.ABI != kdX86_64 {
		return 0, false
	}
	for _, s := range kdSafeCalls {
		if s.Nr == c.Nr && s.Args == c.Args {
			return s.Want, true
		}
	}
	return 0, false
}

// kdCombine is the kernel's rule for a stack of filters
// (seccomp_run_filters): rets[0] is the oldest filter's answer; walking
// from the newest, an answer replaces the current one only if its action
// is strictly more restrictive (a lower ACTION_ONLY, compared signed).
func kdCombine(rets ...uint32) uint32 {
	actionOnly := func(r uint32) int32 { return int32(r & 0xffff0000) }
	ret := bpf.RetAllow
	for i := len(rets) - 1; i >= 0; i-- {
		if actionOnly(rets[i]) < actionOnly(ret) {
			ret = rets[i]
		}
	}
	return ret
}

// kdResult is what the kernel returns for a final seccomp answer when the
// call does not run: -errno for ERRNO (capped at MAX_ERRNO). ok is false
// for ALLOW (the call runs) and for actions this test never expects.
func kdResult(ret uint32) (want int64, ok bool) {
	action, data := bpf.Action(ret)
	if action != bpf.RetErrno {
		return 0, false
	}
	return -int64(min(int(data), kdMaxErrno)), true
}

// Layout of the shared file: header, profile program, calls, results.
type kdHeader struct {
	Magic     uint64
	NCalls    uint64
	ProgLen   uint64 // instructions
	ProgFlags uint64 // seccomp(2) flags for the profile
	Stage     uint64 // written by the child: kdStage*
	Done      uint64 // calls completed
	SetupErr  int64  // the failed setup step's return value
	Fprog     uint64 // address of SockFprog in the child (the net allows seccomp(2) with it)
	// SockFprog is the profile's struct sock_fprog, set by the child: len
	// (unsigned short, padded) and the program's address.
	SockFprog [2]uint64
}

const (
	kdStageStarted = iota + 1
	kdStageNoNewPrivs
	kdStageNet
	kdStageProfile
	kdStageFinished
	kdStageFailed = 100 // + the stage that failed
)

const kdResultUnset = int64(-1 << 63)

type kdLayout struct{ prog, calls, results, size int }

func kdLayoutFor(progLen, nCalls int) kdLayout {
	var l kdLayout
	l.prog = int(unsafe.Sizeof(kdHeader{}))
	l.calls = l.prog + progLen*8
	l.results = l.calls + nCalls*int(unsafe.Sizeof(kdCall{}))
	l.size = l.results + nCalls*8
	return l
}

func init() {
	switch os.Getenv(kdChildEnv) {
	case "diff":
		os.Exit(kdChildDiff())
	case "facts":
		os.Exit(kdChildFacts())
	case "sockets":
		os.Exit(kdChildSockets())
	case "int80":
		os.Exit(kdChildInt80())
	}
}

// kdChildDiff is the child: it maps the shared file (fd 3), loads the net
// and the profile on one locked thread and issues the calls there.
func kdChildDiff() int {
	_, hdr, prog, calls, results, err := kdShared()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernel diff child:", err)
		return 2
	}
	// The profile's sock_fprog lives in the shared mapping: its address,
	// which the net lets seccomp(2) use, is new in every child.
	hdr.SockFprog = [2]uint64{uint64(len(prog)), uint64(uintptr(unsafe.Pointer(&prog[0])))}
	profile := (*unix.SockFprog)(unsafe.Pointer(&hdr.SockFprog))
	hdr.Fprog = uint64(uintptr(unsafe.Pointer(profile)))
	net := kdNet(hdr.Fprog)
	netFprog := &unix.SockFprog{Len: uint16(len(net)), Filter: &net[0]}
	debug.SetGCPercent(-1)
	go kdWorker(hdr, netFprog, profile, calls, results)
	code := kdWaitStage(hdr)
	runtime.KeepAlive(netFprog)
	return code
}

// kdShared maps the shared file and returns its parts: the profile's
// program, the calls to issue and where their results go.
func kdShared() (mem []byte, hdr *kdHeader, prog []unix.SockFilter, calls []kdCall, results []int64, err error) {
	mem, hdr, err = kdMap()
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	l := kdLayoutFor(int(hdr.ProgLen), int(hdr.NCalls))
	prog = unsafe.Slice((*unix.SockFilter)(unsafe.Pointer(&mem[l.prog])), hdr.ProgLen)
	calls = unsafe.Slice((*kdCall)(unsafe.Pointer(&mem[l.calls])), hdr.NCalls)
	results = unsafe.Slice((*int64)(unsafe.Pointer(&mem[l.results])), hdr.NCalls)
	return mem, hdr, prog, calls, results, nil
}

func kdMap() ([]byte, *kdHeader, error) {
	var st unix.Stat_t
	if err := unix.Fstat(3, &st); err != nil {
		return nil, nil, err
	}
	mem, err := unix.Mmap(3, 0, int(st.Size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	hdr := (*kdHeader)(unsafe.Pointer(&mem[0]))
	if hdr.Magic != kdMagic {
		return nil, nil, fmt.Errorf("bad shared file")
	}
	return mem, hdr, nil
}

// kdWaitStage waits for the worker: it normally ends the process itself
// with exit_group; this is the way out if it cannot.
func kdWaitStage(hdr *kdHeader) int {
	for {
		switch s := atomic.LoadUint64(&hdr.Stage); {
		case s == kdStageFinished:
			return 0
		case s >= kdStageFailed:
			return 3
		}
		time.Sleep(time.Millisecond)
	}
}

// kdGrowStack grows the goroutine's stack once, before the filters, so
// that nothing after them needs the runtime (GC is off: it never shrinks).
//
//go:noinline
func kdGrowStack() byte {
	var b [64 << 10]byte
	b[len(b)-1] = 1
	return b[len(b)-1] + b[0]
}

// kdWorker runs on its own locked thread and never unlocks it: the
// filters bind only this thread, which ends with the process.
func kdWorker(hdr *kdHeader, net, profile *unix.SockFprog, calls []kdCall, results []int64) {
	runtime.LockOSThread()
	kdGrowStack()
	hdr.Stage = kdStageStarted
	if r := kdSys64(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); r != 0 {
		kdFail(hdr, kdStageNoNewPrivs, r)
		return
	}
	if r := kdSys64(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uint64(uintptr(unsafe.Pointer(net))), 0, 0, 0); r != 0 {
		kdFail(hdr, kdStageNet, r)
		return
	}
	hdr.Stage = kdStageNet
	if r := kdSys64(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, hdr.ProgFlags, uint64(uintptr(unsafe.Pointer(profile))), 0, 0, 0); r != 0 {
		kdFail(hdr, kdStageProfile, r)
		kdSys64(unix.SYS_EXIT_GROUP, 3, 0, 0, 0, 0, 0)
		return
	}
	hdr.Stage = kdStageProfile
	for i := range calls {
		results[i] = calls[i].issue()
		hdr.Done = uint64(i + 1)
	}
	atomic.StoreUint64(&hdr.Stage, kdStageFinished)
	kdSys64(unix.SYS_EXIT_GROUP, 0, 0, 0, 0, 0, 0)
	for { // the profile denied exit_group: kdWaitStage ends the process
		kdSys64(unix.SYS_SCHED_YIELD, 0, 0, 0, 0, 0, 0)
	}
}

func kdFail(hdr *kdHeader, stage uint64, r int64) {
	hdr.SetupErr = r
	atomic.StoreUint64(&hdr.Stage, kdStageFailed+stage)
}

// kdChild runs the test binary as a child of kind ("diff", "facts") with
// the shared file as fd 3 and returns its header and results.
func kdChild(kind string, prog []unix.SockFilter, flags uint32, calls []kdCall) (kdHeader, []int64, error) {
	l := kdLayoutFor(len(prog), len(calls))
	buf := make([]byte, l.size)
	hdr := (*kdHeader)(unsafe.Pointer(&buf[0]))
	*hdr = kdHeader{Magic: kdMagic, NCalls: uint64(len(calls)), ProgLen: uint64(len(prog)), ProgFlags: uint64(flags)}
	copy(buf[l.prog:l.calls], Bytes(prog))
	if len(calls) > 0 {
		copy(buf[l.calls:l.results], unsafe.Slice((*byte)(unsafe.Pointer(&calls[0])), l.results-l.calls))
	}
	res := unsafe.Slice((*int64)(unsafe.Pointer(&buf[l.results])), len(calls))
	for i := range res {
		res[i] = kdResultUnset
	}
	fd, err := unix.MemfdCreate("rampart-kernel-diff", unix.MFD_CLOEXEC)
	if err != nil {
		return kdHeader{}, nil, err
	}
	f := os.NewFile(uintptr(fd), "kernel-diff")
	defer f.Close()
	if _, err := f.WriteAt(buf, 0); err != nil {
		return kdHeader{}, nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return kdHeader{}, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), kdChildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), kdChildEnv+"="+kind, "GODEBUG=asyncpreemptoff=1", "GOGC=off", fmt.Sprintf("%s=%v", kdIA32Env, kdIA32()))
	cmd.ExtraFiles = []*os.File{f}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	if _, err := f.ReadAt(buf, 0); err != nil {
		return kdHeader{}, nil, err
	}
	// buf now holds what the child wrote: the results, and the calls as
	// it issued them (a child may compute arguments, see kdChildSockets)
	results := append([]int64(nil), unsafe.Slice((*int64)(unsafe.Pointer(&buf[l.results])), len(calls))...)
	if len(calls) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&calls[0])), l.results-l.calls), buf[l.calls:l.results])
	}
	h := *(*kdHeader)(unsafe.Pointer(&buf[0]))
	switch {
	case runErr != nil || h.Stage != kdStageFinished:
		err = fmt.Errorf("child: %v; stage %d, setup result %d (%v), %d of %d calls done; output: %q", runErr, h.Stage, h.SetupErr, syscall.Errno(-h.SetupErr), h.Done, h.NCalls, out.String())
	case h.Done != uint64(len(calls)):
		err = fmt.Errorf("child finished after %d of %d calls", h.Done, len(calls))
	}
	return h, results, err
}

type kdProfile struct {
	name   string
	prog   []unix.SockFilter
	flags  uint32
	denies map[int64]bool // the kernel results of the profile's ERRNO returns, but 0
}

func kdProfiles(t testing.TB) []kdProfile {
	var out []kdProfile
	add := func(name string, p *Profile, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f, err := Compile(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !f.Cached {
			t.Fatalf("%s: no compiled program to compare (%s)", name, f.Why)
		}
		kp := kdProfile{name: name, prog: f.prog.insns, flags: f.prog.flags, denies: map[int64]bool{}}
		for _, in := range kp.prog {
			if in.Code == unix.BPF_RET|unix.BPF_K {
				// ERRNO(0) returns 0, which a successful call can too
				if want, ok := kdResult(in.K); ok && want != 0 {
					kp.denies[want] = true
				}
			}
		}
		out = append(out, kp)
	}
	rd := policy.Seccomp{Kind: policy.SeccompRuntimeDefault}
	p, err := Load(rd, caps.Full)
	add("runtime-default/full", p, err)
	p, err = Load(rd, runtimes.Containerd.Caps)
	add("runtime-default/containerd", p, err)
	p, err = Narrowed(runtimes.Containerd.Caps)
	add(NarrowedName, p, err)
	for _, name := range []string{"denylist", "clone", "socket", "personality", "ioctl64", "ioctl_masked"} {
		// parse, not Parse: clone's rules overlap on purpose (a clone with
		// two namespace flags matches two of them), which Parse refuses;
		// the diff compares whatever program the engine builds
		file := "testdata/kernel_diff_" + name + ".json"
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := parse(file, body, runtimes.Containerd.Caps)
		add(name, p, err)
	}
	// Podman's and CRI-O's own profile, in containers/common's dialect
	// (errno names), as CRI-O resolves it for its default capabilities.
	body, err := os.ReadFile(containersProfile)
	if err != nil {
		t.Fatalf("%v (`make test` installs golang-github-containers-common)", err)
	}
	p, err = parse(containersProfile, body, runtimes.CRIO.Caps)
	add("containers-common", p, err)
	return out
}

// kdNeedX86 skips the tests written for the x86 ABIs (i386, x32, x86_64
// numbers) on another architecture; TestKernelDiff runs everywhere.
func kdNeedX86(t testing.TB) {
	t.Helper()
	if !kdX86 {
		t.Skipf("written for the x86 ABIs; this is %s (TestKernelDiff covers it)", kdNativeName)
	}
}

func kdNeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the kernel differential test loads filters and reads them back with PTRACE_SECCOMP_GET_FILTER, which needs root")
	}
}

// kdOutcome is one profile's comparison.
type kdOutcome struct {
	compared   int
	byAction   map[string]int
	mismatches []string
	err        error
	results    []int64
}

func TestKernelDiff(t *testing.T) {
	kdNeedRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	start := time.Now()
	profiles := kdProfiles(t)
	calls := kdCalls()
	if err := features.HaveIA32(); err != nil {
		t.Logf("no i386 calls: %v", err)
	}

	outcomes := make([]kdOutcome, len(profiles))
	var wg sync.WaitGroup
	for i := range profiles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcomes[i] = kdCompare(profiles[i], calls)
		}()
	}
	wg.Wait()

	total := 0
	for i, o := range outcomes {
		p := profiles[i]
		if o.err != nil {
			t.Errorf("%s: %v", p.name, o.err)
			continue
		}
		total += o.compared
		t.Logf("%-27s %5d insns, %6d calls compared, %d mismatches (%s)", p.name, len(p.prog), o.compared, len(o.mismatches), kdCounts(o.byAction))
		for j, m := range o.mismatches {
			if j == 20 {
				t.Errorf("%s: %d more mismatches", p.name, len(o.mismatches)-j)
				break
			}
			t.Errorf("%s: %s", p.name, m)
		}
	}
	t.Logf("%d calls compared across %d profiles in %v (ABIs: %s)", total, len(profiles), time.Since(start).Round(time.Millisecond), kdABIs())
	if total < 100000 {
		t.Errorf("only %d calls compared, want at least 100000", total)
	}
	if t.Failed() {
		return
	}

	// CVE-2019-10063, as the kernel decided it: on x86_64 a 64-bit
	// comparison lets TIOCSTI with upper bits through (the net's 4001 means
	// the profile allowed it, and ioctl(2) takes an unsigned int: the
	// kernel would have run TIOCSTI), the masked 32-bit one does not. On
	// i386 and x32 both hold: libseccomp treats both as 32-bit ABIs and
	// compares the low half only. x32's ioctl is its own number, 514
	// (compat_sys_ioctl); x32 16 is no system call, and the rules do not
	// cover it.
	for _, c := range []struct {
		profile string
		abi     uint32
		nr      int32
		req     uint64
		want    int64
	}{
		{"ioctl64", kdX86_64, unix.SYS_IOCTL, 0x5412, -2602},
		{"ioctl64", kdX86_64, unix.SYS_IOCTL, 0xffffffff00005412, -kdNetErrno},
		{"ioctl64", kdX32, 514 | bpf.X32Bit, 0x5412, -2602},
		{"ioctl64", kdX32, 514 | bpf.X32Bit, 0xffffffff00005412, -2602},
		{"ioctl64", kdI386, 54, 0x5412, -2602},
		{"ioctl64", kdI386, 54, 0xffffffff00005412, -2602},
		{"ioctl_masked", kdX86_64, unix.SYS_IOCTL, 0x5412, -2601},
		{"ioctl_masked", kdX86_64, unix.SYS_IOCTL, 0xffffffff00005412, -2601},
		{"ioctl_masked", kdX32, 514 | bpf.X32Bit, 0xffffffff00005412, -2601},
		{"ioctl_masked", kdX32, unix.SYS_IOCTL | bpf.X32Bit, 0xffffffff00005412, -kdNetErrno},
		{"ioctl_masked", kdI386, 54, 0xffffffff00005412, -2601},
		// Narrowed's 32 rules: TIOCSTI refused on every ABI, upper bits
		// or not; its neighbours (bit 31 set, TIOCGWINSZ) allowed.
		{NarrowedName, kdX86_64, unix.SYS_IOCTL, 0x5412, -int64(unix.EPERM)},
		{NarrowedName, kdX86_64, unix.SYS_IOCTL, 1<<32 | 0x5412, -int64(unix.EPERM)},
		{NarrowedName, kdX86_64, unix.SYS_IOCTL, 0xffffffff00005412, -int64(unix.EPERM)},
		{NarrowedName, kdX86_64, unix.SYS_IOCTL, 0x80005412, -kdNetErrno},
		{NarrowedName, kdX86_64, unix.SYS_IOCTL, 0x5413, -kdNetErrno},
		{NarrowedName, kdX32, 514 | bpf.X32Bit, 0xffffffff00005412, -int64(unix.EPERM)},
		{NarrowedName, kdI386, 54, 0x5412, -int64(unix.EPERM)},
		{NarrowedName, kdI386, 54, 0xffffffff00005412, -int64(unix.EPERM)},
	} {
		if c.abi == kdI386 && !kdIA32() || c.abi != kdX86_64 && !kdX86 {
			continue
		}
		got, found := kdLookup(profiles, outcomes, calls, c.profile, kdCall{ABI: c.abi, Nr: c.nr, Args: [6]uint64{0, c.req}})
		if !found || got != c.want {
			t.Errorf("%s: %s ioctl (nr %#x) (0, %#x): kernel returned %d (found %v), want %d", c.profile, kdABIName[c.abi], c.nr, c.req, got, found, c.want)
		}
	}
	// The seed's second step, as the kernel decided it: RuntimeDefault,
	// for containerd's capabilities (no SYS_ADMIN), refuses unshare of a
	// user namespace with EPERM.
	newUser := kdCall{ABI: kdX86_64, Nr: unix.SYS_UNSHARE, Args: [6]uint64{0x10000000 | 0x40000000}}
	if got, found := kdLookup(profiles, outcomes, calls, "runtime-default/containerd", newUser); !found || got != -int64(unix.EPERM) {
		t.Errorf("runtime-default/containerd: %v (CLONE_NEWUSER|CLONE_NEWNET): kernel returned %d (found %v), want EPERM", newUser, got, found)
	}
}

// kdABIs names the ABIs the calls were made in.
func kdABIs() string {
	abis := []string{kdABIName[kdX86_64]}
	if kdX86 {
		abis = append(abis, kdABIName[kdX32])
		if kdIA32() {
			abis = append(abis, kdABIName[kdI386])
		}
	}
	return strings.Join(abis, ", ")
}

func kdLookup(profiles []kdProfile, outcomes []kdOutcome, calls []kdCall, profile string, want kdCall) (int64, bool) {
	for i, p := range profiles {
		if p.name != profile {
			continue
		}
		for j, c := range calls {
			if c == want {
				return outcomes[i].results[j], true
			}
		}
	}
	return 0, false
}

func kdCounts(m map[string]int) string {
	var parts []string
	for _, k := range []string{"errno", "allow: net 4001", "allow: ran"} {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// kdCompare runs the calls under p in a child and compares each result
// with the simulator's answer.
func kdCompare(p kdProfile, calls []kdCall) kdOutcome {
	o := kdOutcome{byAction: map[string]int{}}
	// Before issuing anything: the net lets through only kdSafeCalls (a
	// placeholder stands for the child's fprog address, which is in a
	// mapping ASLR places anew in every child), and the profile answers
	// only ALLOW or ERRNO (never a kill, which would end the child
	// mid-way).
	placeholder := kdNet(0xc0ffee_0000_0000)
	sim := make([]uint32, len(calls))
	for i, c := range calls {
		ret, _, err := bpf.Run(placeholder, c.data())
		if err != nil {
			o.err = err
			return o
		}
		if _, safe := kdSafeWant(c); ret == bpf.RetAllow && !safe {
			o.err = fmt.Errorf("the safety net would let %v run (test bug)", c)
			return o
		}
		if ret, _, err = bpf.Run(p.prog, c.data()); err != nil {
			o.err = err
			return o
		}
		if a, _ := bpf.Action(ret); a != bpf.RetAllow && a != bpf.RetErrno {
			o.err = fmt.Errorf("the simulator says %#x for %v: this test issues only calls a profile allows or fails with an errno", ret, c)
			return o
		}
		sim[i] = ret
	}
	hdr, results, err := kdChild("diff", p.prog, p.flags, calls)
	if err != nil && results == nil {
		o.err = err
		return o
	}
	o.results = results
	// the net as the child built it, around its fprog's address
	net := kdNet(hdr.Fprog)
	for i, c := range calls {
		if results[i] == kdResultUnset {
			break // the child stopped here; err says why
		}
		netRet, _, err := bpf.Run(net, c.data())
		if err != nil {
			o.err = err
			return o
		}
		final := kdCombine(netRet, sim[i])
		got := results[i]
		want, denied := kdResult(final)
		ok := false
		switch {
		case denied:
			ok = got == want
			if a, _ := bpf.Action(sim[i]); a == bpf.RetErrno {
				o.byAction["errno"]++
			} else {
				o.byAction["allow: net 4001"]++
			}
		default: // both filters allow: the call ran
			o.byAction["allow: ran"]++
			w, safe := kdSafeWant(c)
			want = w
			switch {
			case !safe:
				o.err = fmt.Errorf("%v ran in the kernel: not a safe call (test bug)", c)
				return o
			case w == kdOK:
				ok = got >= 0
			default:
				ok = got == w
			}
			// and in any case not an errno the profile denies with,
			// unless the call's own answer is that errno (munmap's
			// EINVAL under containers/common's profile, which denies
			// audit sockets with EINVAL): the kernel's answer cannot tell
			// the two apart, and the call is counted as such
			if p.denies[got] {
				ok = ok && got == w
				o.byAction["allow: ran, answer also a deny errno"]++
			}
		}
		o.compared++
		if !ok {
			_, path, _ := bpf.Run(p.prog, c.data())
			o.mismatches = append(o.mismatches, fmt.Sprintf("%v: kernel returned %d (%v), want %d; simulator: profile %s, net %s, combined %s; profile path %v",
				c, got, kdErrnoName(got), want, kdRetName(sim[i]), kdRetName(netRet), kdRetName(final), kdPath(path)))
		}
	}
	if err != nil {
		o.err = err
	}
	return o
}

func kdErrnoName(r int64) string {
	if r < 0 && r >= -kdMaxErrno {
		return syscall.Errno(-r).Error()
	}
	return "no error"
}

func kdRetName(ret uint32) string {
	a, d := bpf.Action(ret)
	switch a {
	case bpf.RetAllow:
		return "ALLOW"
	case bpf.RetErrno:
		return fmt.Sprintf("ERRNO(%d)", d)
	}
	return fmt.Sprintf("%#x", ret)
}

func kdPath(path []int) string {
	if len(path) > 40 {
		return fmt.Sprintf("%v … (%d instructions) … %v", path[:20], len(path), path[len(path)-10:])
	}
	return fmt.Sprint(path)
}

// FuzzKernelDiff is the differential test on calls the fuzzer makes up:
// each input is a batch of up to 64 calls (52 bytes each: ABI, number,
// arguments) run under one of the compiled profiles, in one child. Calls
// the safety net would let run become safe calls; numbers never issued
// are dropped. Without -fuzz it runs its seeds: three children.
func FuzzKernelDiff(f *testing.F) {
	kdNeedX86(f)
	kdNeedRoot(f)
	dir, err := os.MkdirTemp("", "rampart-kernel-diff-")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	f.Setenv("RAMPART_CACHE_DIR", dir)
	profiles := kdProfiles(f)
	seed := func(calls ...kdCall) []byte {
		var b []byte
		for _, c := range calls {
			b = append(b, byte(c.ABI), byte(c.Nr), byte(c.Nr>>8), byte(c.Nr>>16)&0x3f)
			for _, a := range c.Args {
				b = binary.LittleEndian.AppendUint64(b, a)
			}
		}
		return b
	}
	f.Add(byte(0), seed(kdCall{ABI: kdX86_64, Nr: unix.SYS_UNSHARE, Args: [6]uint64{0x50000000}}, kdCall{ABI: kdI386, Nr: 310}))
	f.Add(byte(4), seed(kdCall{ABI: kdX86_64, Nr: unix.SYS_SOCKET, Args: [6]uint64{10, 3 | 0x80000}}, kdCall{ABI: kdX32, Nr: 41}))
	f.Add(byte(6), seed(kdCall{ABI: kdX86_64, Nr: unix.SYS_IOCTL, Args: [6]uint64{0, 0xffff_0000_0000_5412}}))
	f.Fuzz(func(t *testing.T, which byte, b []byte) {
		p := profiles[int(which)%len(profiles)]
		calls := kdDecode(b)
		if len(calls) == 0 {
			return
		}
		kdCompareT(t, p.name, p, calls)
	})
}

// kdCompareT runs calls under p, failing t on an error and reporting
// every call where the interpreter and the kernel disagree.
func kdCompareT(t *testing.T, name string, p kdProfile, calls []kdCall) kdOutcome {
	t.Helper()
	o := kdCompare(p, calls)
	if o.err != nil {
		t.Fatalf("%s: %v", name, o.err)
	}
	for _, m := range o.mismatches {
		t.Errorf("%s: %s", name, m)
	}
	return o
}

// kdDecode turns fuzz input into calls.
func kdDecode(b []byte) []kdCall {
	var calls []kdCall
	for len(b) >= 52 && len(calls) < 64 {
		c := kdCall{ABI: uint32(b[0]) % 3, Nr: int32(b[1]) | int32(b[2])<<8 | int32(b[3]&0x3f)<<16}
		for i := range c.Args {
			c.Args[i] = binary.LittleEndian.Uint64(b[4+8*i:])
		}
		b = b[52:]
		if c.ABI == kdI386 && !kdIA32() {
			continue
		}
		if c.ABI == kdX32 {
			c.Nr |= bpf.X32Bit
		}
		if c.ABI == kdX86_64 {
			if kdNeverIssued[c.Nr] != "" {
				continue
			}
			if s, ok := kdSafeFor(c.Nr); ok {
				c.Args = s.Args
			}
			if c.Nr == unix.SYS_SECCOMP {
				c.Args[2] = 0 // never the child's fprog (see kdCompare)
			}
		}
		calls = append(calls, c)
	}
	return calls
}

// kdSafeFor returns the safe call for an x86_64 number the net allows.
func kdSafeFor(nr int32) (kdSafe, bool) {
	for _, s := range kdSafeCalls {
		if s.Nr == nr {
			return s, true
		}
	}
	return kdSafe{}, false
}

// The kernel rules the differential test relies on, and two facts a
// simulator user must know, checked one at a time with hand-written
// filters stacked on one thread:
//
//   - the most restrictive action wins; between two ERRNOs, the newest
//     filter's errno, whatever its value;
//   - SECCOMP_RET_ERRNO data above MAX_ERRNO comes back as 4095;
//   - INT $0x80 from 64-bit code shows the filter the full 64-bit
//     registers as arguments: an i386 seccomp_data can have upper halves;
//   - x86_64 uprobe (336) never reaches the filters (Linux 6.18,
//     seccomp_uprobe_exception; likewise uretprobe, 335, which raises
//     SIGILL outside its trampoline and so is never issued here).
func TestKernelDiffFacts(t *testing.T) {
	kdNeedX86(t)
	kdNeedRoot(t)
	steps := kdFactsScript()
	var calls []kdCall
	for _, s := range steps {
		if s.filter == nil {
			calls = append(calls, s.call)
		}
	}
	_, results, err := kdChild("facts", nil, 0, calls)
	if err != nil {
		t.Fatal(err)
	}
	var installed [][]unix.SockFilter
	i := 0
	for _, s := range steps {
		if s.filter != nil {
			installed = append(installed, s.filter)
			continue
		}
		got := results[i]
		i++
		// the simulator's prediction for the whole stack
		rets := make([]uint32, len(installed))
		for j, p := range installed {
			r, _, err := bpf.Run(p, s.call.data())
			if err != nil {
				t.Fatal(err)
			}
			rets[j] = r
		}
		model, _ := kdResult(kdCombine(rets...))
		if model != s.want && s.exempt == "" {
			t.Errorf("%s: the simulator's stack model gives %d, the script says %d (test bug)", s.what, model, s.want)
		}
		want := s.want
		if s.exempt != "" {
			// The kernel does not run the filters for this call.
			if !kdKernelAtLeast(6, 18) {
				want = model
			}
		}
		if got != want {
			t.Errorf("%s: %v: kernel returned %d (%v), want %d", s.what, s.call, got, kdErrnoName(got), want)
		} else {
			t.Logf("%s: %d (%v)%s", s.what, got, kdErrnoName(got), map[bool]string{true: "; the filters' answer was " + fmt.Sprint(model) + ": " + s.exempt}[s.exempt != ""])
		}
	}
}

type kdStep struct {
	filter []unix.SockFilter // install this filter, or
	call   kdCall            // issue this call
	want   int64
	what   string
	exempt string // why the kernel does not consult the filters
}

// kdOnly returns a filter giving ret for (arch, nr) and ALLOW otherwise.
func kdOnly(arch uint32, nr int32, ret uint32) []unix.SockFilter {
	var a kdAsm
	a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 4)
	a.jump(unix.BPF_JEQ, arch, "", "allow")
	a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 0)
	a.jump(unix.BPF_JEQ, uint32(nr), "", "allow")
	a.stmt(unix.BPF_RET|unix.BPF_K, ret)
	a.label("allow")
	a.stmt(unix.BPF_RET|unix.BPF_K, bpf.RetAllow)
	return a.done()
}

const (
	kdGetppid64  = unix.SYS_GETPPID // 110
	kdGetppid32  = 64
	kdUprobe     = 336
	kdGetuid64   = unix.SYS_GETUID
	kdArgHighBit = 1 << 32
)

func kdFactsScript() []kdStep {
	steps := kdFactsSteps()
	if !kdIA32() {
		// int 0x80 faults before any filter runs: the i386 facts
		// cannot be asked of this kernel.
		steps = slices.DeleteFunc(steps, func(s kdStep) bool { return s.call.ABI == kdI386 && s.filter == nil })
	}
	return steps
}

// kdIA32Env passes the parent's IA32 probe to the children, which must
// build the same list of calls without forking a probe of their own.
const kdIA32Env = "RAMPART_KERNEL_DIFF_IA32"

// kdIA32 reports whether i386 calls can be issued (int 0x80 works).
func kdIA32() bool {
	if !kdX86 {
		return false
	}
	if v := os.Getenv(kdIA32Env); v != "" {
		return v == "true"
	}
	return features.HaveIA32() == nil
}

func kdFactsSteps() []kdStep {
	// i386 getppid: ERRNO(99) if the upper half of args[0] is not zero,
	// ERRNO(88) if it is.
	var upper kdAsm
	upper.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 4)
	upper.jump(unix.BPF_JEQ, bpf.ArchI386, "", "allow")
	upper.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 0)
	upper.jump(unix.BPF_JEQ, kdGetppid32, "", "allow")
	upper.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 16+4) // args[0], upper half
	upper.jump(unix.BPF_JEQ, 0, "", "high")
	upper.stmt(unix.BPF_RET|unix.BPF_K, bpf.RetErrno|88)
	upper.label("high")
	upper.stmt(unix.BPF_RET|unix.BPF_K, bpf.RetErrno|99)
	upper.label("allow")
	upper.stmt(unix.BPF_RET|unix.BPF_K, bpf.RetAllow)

	getppid := kdCall{ABI: kdX86_64, Nr: kdGetppid64}
	both := func(ret uint32) []unix.SockFilter {
		// x86_64 and i386 getppid get ret
		p := kdOnly(bpf.ArchX86_64, kdGetppid64, ret)
		q := kdOnly(bpf.ArchI386, kdGetppid32, ret)
		// chain: p's ALLOW falls into q
		out := append([]unix.SockFilter(nil), p[:len(p)-1]...)
		return append(out, q...)
	}
	return []kdStep{
		{filter: kdNet(0)}, // net; seccomp(2) allowed for the next filters
		{call: getppid, want: -kdNetErrno, what: "net alone"},
		{filter: both(bpf.RetErrno | 1234)},
		{call: getppid, want: -1234, what: "ERRNO vs older ERRNO: the newest filter's errno"},
		{call: kdCall{ABI: kdI386, Nr: kdGetppid32}, want: -1234, what: "same through INT $0x80"},
		{call: kdCall{ABI: kdX32, Nr: kdGetppid64 | bpf.X32Bit}, want: -kdNetErrno, what: "x32 number: the new filter allows, the net denies"},
		{call: kdCall{ABI: kdX86_64, Nr: kdGetuid64}, want: -kdNetErrno, what: "newer ALLOW vs older ERRNO: ERRNO"},
		{filter: kdOnly(bpf.ArchX86_64, kdGetppid64, bpf.RetErrno|77)},
		{call: getppid, want: -77, what: "a newer, lower errno still wins: data is not compared"},
		{filter: kdOnly(bpf.ArchX86_64, kdGetppid64, bpf.RetErrno|5000)},
		{call: getppid, want: -kdMaxErrno, what: "ERRNO(5000) is capped at MAX_ERRNO"},
		{filter: upper.done()},
		{call: kdCall{ABI: kdI386, Nr: kdGetppid32, Args: [6]uint64{1}}, want: -88, what: "i386 args[0] = 1: upper half 0"},
		{call: kdCall{ABI: kdI386, Nr: kdGetppid32, Args: [6]uint64{kdArgHighBit | 1}}, want: -99, what: "i386 args[0] from RBX = 1<<32|1: the filter sees the upper half"},
		{call: kdCall{ABI: kdX86_64, Nr: kdUprobe}, want: -int64(unix.ENXIO), what: "x86_64 uprobe outside a uprobe trampoline",
			exempt: "seccomp_uprobe_exception"},
	}
}

// kdChildFacts runs kdFactsScript on one locked thread.
func kdChildFacts() int {
	mem, hdr, err := kdMap()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernel facts child:", err)
		return 2
	}
	l := kdLayoutFor(int(hdr.ProgLen), int(hdr.NCalls))
	results := unsafe.Slice((*int64)(unsafe.Pointer(&mem[l.results])), hdr.NCalls)
	steps := kdFactsScript()
	fprogs := make([]*unix.SockFprog, len(steps))
	for i, s := range steps {
		if s.filter != nil {
			fprogs[i] = &unix.SockFprog{Len: uint16(len(s.filter)), Filter: &s.filter[0]}
		}
	}
	debug.SetGCPercent(-1)
	go func() {
		runtime.LockOSThread()
		kdGrowStack()
		if r := kdSys64(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); r != 0 {
			kdFail(hdr, kdStageNoNewPrivs, r)
			return
		}
		n := 0
		for i := range steps {
			if fprogs[i] != nil {
				if r := kdSys64(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uint64(uintptr(unsafe.Pointer(fprogs[i]))), 0, 0, 0); r != 0 {
					kdFail(hdr, kdStageNet, r)
					kdSys64(unix.SYS_EXIT_GROUP, 3, 0, 0, 0, 0, 0)
					return
				}
				continue
			}
			results[n] = steps[i].call.issue()
			n++
			hdr.Done = uint64(n)
		}
		atomic.StoreUint64(&hdr.Stage, kdStageFinished)
		kdSys64(unix.SYS_EXIT_GROUP, 0, 0, 0, 0, 0, 0)
	}()
	code := kdWaitStage(hdr)
	runtime.KeepAlive(fprogs)
	runtime.KeepAlive(steps)
	return code
}

func kdKernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false
	}
	var a, b int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &a, &b)
	return a > major || a == major && b >= minor
}

// TestKernelDiffSocketCalls makes the i386 socket and SysV IPC calls by
// name: each name resolves with SyscallNumber (what `rampart seccomp
// explain --arch x86` decides) and the call goes through INT $0x80 under
// the profile, with real arguments (a UDP socket on the loopback that
// talks to itself, a socket pair, IPC calls that fail before creating
// anything). The kernel's answer must be the simulator's, the profile's
// rules must decide the name as the filter decides its number, and where
// the filter allows, the kernel must have run the call the name says.
// On i386 these calls have numbers of their own since Linux 4.3 (sockets)
// and 5.1 (IPC) besides the socketcall(2) and ipc(2) multiplexers; a
// lookup that answers the multiplexers' pseudo-numbers decides a call no
// process makes.
func TestKernelDiffSocketCalls(t *testing.T) {
	kdNeedX86(t)
	kdNeedRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	x86, _ := ArchByName("x86")
	rd := policy.Seccomp{Kind: policy.SeccompRuntimeDefault}
	for _, c := range []struct {
		name string
		ref  policy.Seccomp
	}{
		{"runtime-default/containerd", rd},
		{"socket", policy.Seccomp{Kind: policy.SeccompFile, Path: "testdata/kernel_diff_socket.json"}},
	} {
		t.Run(strings.ReplaceAll(c.name, "/", "-"), func(t *testing.T) {
			p, err := Load(c.ref, runtimes.Containerd.Caps)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Compile(p)
			if err != nil || !f.Cached {
				t.Fatalf("%v (%s)", err, f.Why)
			}
			prog := f.Program()
			steps := kdSockScript()
			calls := make([]kdCall, len(steps))
			for i, s := range steps {
				nr, err := SyscallNumber(s.name, x86)
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				calls[i] = kdCall{ABI: kdI386, Nr: nr}
			}
			// First without the kernel, with the arguments a scratch page
			// here gives: explain, the simulator and the rules agree.
			scratch, err := unix.Mmap(-1, 0, kdsSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|kdMap32Bit)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Munmap(scratch)
			env := &kdSockEnv{mem: scratch, steps: steps, results: make([]int64, len(steps))}
			env.setup()
			for i, s := range steps {
				c := calls[i]
				c.Args = s.args(env)
				kdSockDecide(t, p, prog, s, c)
			}
			if t.Failed() {
				return
			}
			kdNeedI386(t)
			_, results, err := kdChild("sockets", prog, f.prog.flags, calls)
			if err != nil {
				t.Fatal(err)
			}
			denies := map[int64]bool{-int64(unix.ENOSYS): true}
			for _, in := range prog {
				if want, ok := kdResult(in.K); in.Code == unix.BPF_RET|unix.BPF_K && ok && want != 0 {
					denies[want] = true
				}
			}
			for i, s := range steps {
				// calls[i] holds the arguments the child computed and issued
				call, got := calls[i], results[i]
				action, ret := kdSockDecide(t, p, prog, s, call)
				want, denied := kdResult(ret)
				ok := got == want
				switch {
				case denied:
				case s.want == kdOK:
					want, ok = kdOK, got >= 0
				case s.want == kdRan:
					want, ok = kdRan, !denies[got]
				default:
					want, ok = s.want, got == s.want
				}
				if !ok {
					t.Errorf("%s: %v: kernel returned %d (%v), want %s; filter %s", s.what, call, got, kdErrnoName(got), kdWantString(want), action)
				} else {
					t.Logf("%-58s %-24s %d", s.what, action, got)
				}
			}
		})
	}
}

// kdSockDecide checks that explain decides the step's call as the
// simulator does at the number the call is made with, and, for a named
// call, as the profile's rules do; it returns the filter's answer.
func kdSockDecide(t *testing.T, p *Profile, prog []unix.SockFilter, s kdSockStep, call kdCall) (string, uint32) {
	t.Helper()
	x86, _ := ArchByName("x86")
	d, err := Explain(p, prog, x86, s.name, call.Args)
	if err != nil {
		t.Fatalf("%s: %v", s.what, err)
	}
	if d.Nr != call.Nr {
		t.Errorf("%s: explain decides nr %d, the call is %d", s.what, d.Nr, call.Nr)
	}
	ret, _, err := bpf.Run(prog, call.data())
	if err != nil {
		t.Fatal(err)
	}
	if RetString(ret) != d.Action {
		t.Errorf("%s: explain says %s, the simulator %s", s.what, d.Action, RetString(ret))
	}
	if s.name != "socketcall" && s.name != "ipc" {
		// The multiplexers get rules the engine adds on its own; a named
		// call is decided by the profile's rules.
		r, err := Explain(p, nil, x86, s.name, call.Args)
		if err != nil {
			t.Fatal(err)
		}
		if r.Action != d.Action {
			t.Errorf("%s: the profile's rules say %s, the filter at nr %d %s", s.what, r.Action, call.Nr, d.Action)
		}
	}
	return d.Action, ret
}

// kdNeedI386 skips when this kernel has no i386 entry (IA32 emulation
// off: INT $0x80 faults before any filter runs).
func kdNeedI386(t *testing.T) {
	t.Helper()
	out, err := kdRunKind("int80")
	if err != nil {
		t.Skipf("this kernel runs no i386 system calls (INT $0x80 from a child: %v, %q): the i386 calls cannot be made here", err, out)
	}
}

func kdRunKind(kind string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), kdChildEnv+"="+kind)
	out, err := cmd.CombinedOutput()
	first, _, _ := strings.Cut(string(out), "\n")
	return first, err
}

// kdChildInt80 makes one i386 getpid.
func kdChildInt80() int {
	runtime.LockOSThread()
	if r := kdInt80(20, 0, 0, 0, 0, 0, 0); r <= 0 {
		fmt.Fprintln(os.Stderr, "i386 getpid:", r)
		return 1
	}
	return 0
}

// kdRan: the call ran, whatever it returned, as long as it is not an
// answer the filter gives.
const kdRan = 1 << 61

func kdWantString(w int64) string {
	switch w {
	case kdOK:
		return "success (>= 0)"
	case kdRan:
		return "the call to run"
	}
	return fmt.Sprintf("%d (%v)", w, kdErrnoName(w))
}

// kdSockStep is one call of TestKernelDiffSocketCalls.
type kdSockStep struct {
	label string
	name  string // the i386 syscall, by name
	what  string
	// args computes the arguments in the child, from the scratch page and
	// earlier results; it runs on the filtered thread, so it must not
	// allocate or call into the runtime.
	args func(e *kdSockEnv) [6]uint64
	// want is the result when the filter lets the call run: -errno,
	// kdOK or kdRan, or an exact value.
	want int64
}

// kdSockEnv is what a step's arguments come from: a scratch page below 4
// GiB (i386 pointers are 32-bit) and the results so far.
type kdSockEnv struct {
	mem     []byte
	steps   []kdSockStep
	results []int64
}

// Scratch page layout: compat (i386) structures, 32-bit pointers.
const (
	kdsSin     = 0   // struct sockaddr_in 127.0.0.1:0
	kdsSinGot  = 16  // getsockname's answer: the bound port
	kdsLenA    = 32  // socklen_t 16
	kdsLenB    = 36  // socklen_t 16
	kdsSinPeer = 40  // getpeername's answer
	kdsTimeval = 56  // struct old_timeval32 {1, 0}: SO_RCVTIMEO
	kdsOptOut  = 64  // getsockopt's int
	kdsOptLen  = 68  // socklen_t 4
	kdsBuf     = 72  // "abc"
	kdsRbuf    = 88  // 64 bytes
	kdsIov     = 152 // struct compat_iovec {buf, 3}
	kdsRiov    = 160 // {rbuf, 64}
	kdsMsg     = 168 // struct compat_msghdr, 28 bytes, iov
	kdsRmsg    = 196 // ... riov
	kdsMmsg    = 224 // struct compat_mmsghdr, 32 bytes
	kdsRmmsg   = 256
	kdsSv      = 288 // int[2] for socketpair
	kdsScArgs  = 296 // socketcall's argument block, u32[6]
	kdsSize    = 4096
	kdIPCKey   = 0x5250_4b44 // a SysV key nothing on this host uses
)

func (e *kdSockEnv) addr(off int) uint64 { return uint64(uintptr(unsafe.Pointer(&e.mem[off]))) }

func (e *kdSockEnv) put32(off int, v uint64) {
	binary.LittleEndian.PutUint32(e.mem[off:off+4], uint32(v))
}

// fd is an earlier step's result (a descriptor).
func (e *kdSockEnv) fd(label string) uint64 {
	for i := range e.steps {
		if e.steps[i].label == label {
			return uint64(uint32(e.results[i]))
		}
	}
	return ^uint64(0)
}

// socketcall writes the argument block and returns socketcall's args.
func (e *kdSockEnv) socketcall(call uint64, args ...uint64) [6]uint64 {
	for i, a := range args {
		e.put32(kdsScArgs+4*i, a)
	}
	return [6]uint64{call, e.addr(kdsScArgs)}
}

// setup lays out the scratch page, before the filter.
func (e *kdSockEnv) setup() {
	sin := []byte{2, 0, 0, 0, 127, 0, 0, 1}
	copy(e.mem[kdsSin:], sin)
	e.put32(kdsLenA, 16)
	e.put32(kdsLenB, 16)
	e.put32(kdsTimeval, 1)
	e.put32(kdsOptLen, 4)
	copy(e.mem[kdsBuf:], "abc")
	for _, m := range []struct{ iov, buf, n, msg, mmsg int }{{kdsIov, kdsBuf, 3, kdsMsg, kdsMmsg}, {kdsRiov, kdsRbuf, 64, kdsRmsg, kdsRmmsg}} {
		e.put32(m.iov, e.addr(m.buf))
		e.put32(m.iov+4, uint64(m.n))
		for _, at := range []int{m.msg, m.mmsg} {
			e.put32(at+8, e.addr(m.iov)) // msg_iov
			e.put32(at+12, 1)            // msg_iovlen
		}
	}
}

func kdSockScript() []kdSockStep {
	const (
		afUnix, afInet, afVsock = 1, 2, 40
		sockStream, sockDgram   = 1, 2
		sockRaw, ipprotoICMP    = 3, 1
		solSocket, soType       = 1, 3
		soRcvtimeo              = 20
		ipcRmid                 = 0
	)
	u := func(e *kdSockEnv) uint64 { return e.fd("udp") }
	eopnotsupp, enoent, einval := -int64(unix.EOPNOTSUPP), -int64(unix.ENOENT), -int64(unix.EINVAL)
	neg1 := uint64(0xffffffff)
	return []kdSockStep{
		{"udp", "socket", "socket(AF_INET, SOCK_DGRAM, 0)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{afInet, sockDgram} }, kdOK},
		{"", "bind", "bind(udp, 127.0.0.1:0)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), e.addr(kdsSin), 16} }, 0},
		{"", "getsockname", "getsockname(udp)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), e.addr(kdsSinGot), e.addr(kdsLenA)} }, 0},
		{"", "connect", "connect(udp, its own address)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), e.addr(kdsSinGot), 16} }, 0},
		{"", "getpeername", "getpeername(udp)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), e.addr(kdsSinPeer), e.addr(kdsLenB)} }, 0},
		{"", "setsockopt", "setsockopt(udp, SO_RCVTIMEO, 1 s)", func(e *kdSockEnv) [6]uint64 {
			return [6]uint64{u(e), solSocket, soRcvtimeo, e.addr(kdsTimeval), 8}
		}, 0},
		{"", "getsockopt", "getsockopt(udp, SO_TYPE)", func(e *kdSockEnv) [6]uint64 {
			return [6]uint64{u(e), solSocket, soType, e.addr(kdsOptOut), e.addr(kdsOptLen)}
		}, 0},
		{"", "sendto", "sendto(udp, \"abc\")", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), e.addr(kdsBuf), 3} }, 3},
		{"", "recvfrom", "recvfrom(udp)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), e.addr(kdsRbuf), 64} }, 3},
		{"", "sendmsg", "sendmsg(udp, \"abc\")", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), e.addr(kdsMsg)} }, 3},
		{"", "recvmsg", "recvmsg(udp)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), e.addr(kdsRmsg)} }, 3},
		{"", "sendmmsg", "sendmmsg(udp, one message)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), e.addr(kdsMmsg), 1} }, 1},
		{"", "recvmmsg", "recvmmsg(udp, one message)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), e.addr(kdsRmmsg), 1} }, 1},
		{"", "listen", "listen(udp): datagram sockets do not listen", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), 1} }, eopnotsupp},
		{"", "accept4", "accept4(udp): nor accept", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e)} }, eopnotsupp},
		{"", "shutdown", "shutdown(udp, SHUT_RDWR)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{u(e), 2} }, 0},
		{"", "socketpair", "socketpair(AF_UNIX, SOCK_STREAM)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{afUnix, sockStream, 0, e.addr(kdsSv)} }, 0},
		{"", "socketpair", "socketpair(AF_INET, SOCK_STREAM): inet has no pairs", func(e *kdSockEnv) [6]uint64 { return [6]uint64{afInet, sockStream, 0, e.addr(kdsSv)} }, eopnotsupp},
		{"", "socket", "socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{afInet, sockRaw, ipprotoICMP} }, kdOK},
		{"", "socket", "socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP)", func(e *kdSockEnv) [6]uint64 {
			return [6]uint64{afInet, sockRaw | unix.SOCK_CLOEXEC, ipprotoICMP}
		}, kdOK},
		{"", "socket", "socket(AF_VSOCK, SOCK_STREAM, 0)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{afVsock, sockStream} }, kdRan},
		{"", "socketcall", "socketcall(SYS_SOCKET, AF_INET, SOCK_RAW, IPPROTO_ICMP)", func(e *kdSockEnv) [6]uint64 {
			return e.socketcall(1, afInet, sockRaw, ipprotoICMP)
		}, kdOK},
		{"", "socketcall", "socketcall(SYS_SOCKET, AF_VSOCK, SOCK_STREAM, 0)", func(e *kdSockEnv) [6]uint64 {
			return e.socketcall(1, afVsock, sockStream, 0)
		}, kdRan},
		{"", "socketcall", "socketcall(SYS_SOCKETPAIR, AF_UNIX, SOCK_STREAM)", func(e *kdSockEnv) [6]uint64 {
			return e.socketcall(8, afUnix, sockStream, 0, e.addr(kdsSv))
		}, 0},
		{"", "semget", "semget(unused key, 0, 0)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{kdIPCKey} }, enoent},
		{"", "shmget", "shmget(unused key, 0, 0)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{kdIPCKey} }, enoent},
		{"", "msgget", "msgget(unused key, 0)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{kdIPCKey} }, enoent},
		{"", "semctl", "semctl(-1, 0, IPC_RMID)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{neg1, 0, ipcRmid} }, einval},
		{"", "shmctl", "shmctl(-1, IPC_RMID)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{neg1, ipcRmid} }, einval},
		{"", "msgctl", "msgctl(-1, IPC_RMID)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{neg1, ipcRmid} }, einval},
		{"", "shmat", "shmat(-1)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{neg1} }, einval},
		{"", "shmdt", "shmdt(the scratch page: nothing attached)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{e.addr(0)} }, einval},
		{"", "msgsnd", "msgsnd(-1)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{neg1, e.addr(kdsBuf)} }, einval},
		{"", "msgrcv", "msgrcv(-1)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{neg1, e.addr(kdsRbuf)} }, einval},
		{"", "ipc", "ipc(SEMGET, unused key, 0, 0)", func(e *kdSockEnv) [6]uint64 { return [6]uint64{2, kdIPCKey} }, enoent},
	}
}

// kdChildSockets runs kdSockScript under the profile on one locked
// thread: no safety net, since every call is one of the script's.
func kdChildSockets() int {
	_, hdr, prog, calls, results, err := kdShared()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernel sockets child:", err)
		return 2
	}
	scratch, err := unix.Mmap(-1, 0, kdsSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|kdMap32Bit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernel sockets child: scratch page below 4 GiB:", err)
		return 2
	}
	env := &kdSockEnv{mem: scratch, steps: kdSockScript(), results: results}
	if len(env.steps) != len(calls) {
		fmt.Fprintln(os.Stderr, "kernel sockets child: the script and the calls differ")
		return 2
	}
	env.setup()
	fprog := &unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	debug.SetGCPercent(-1)
	go func() {
		runtime.LockOSThread()
		kdGrowStack()
		if r := kdSys64(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); r != 0 {
			kdFail(hdr, kdStageNoNewPrivs, r)
			return
		}
		if r := kdSys64(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, hdr.ProgFlags, uint64(uintptr(unsafe.Pointer(fprog))), 0, 0, 0); r != 0 {
			kdFail(hdr, kdStageProfile, r)
			return
		}
		hdr.Stage = kdStageProfile
		for i := range calls {
			calls[i].Args = env.steps[i].args(env)
			results[i] = calls[i].issue()
			hdr.Done = uint64(i + 1)
		}
		atomic.StoreUint64(&hdr.Stage, kdStageFinished)
		kdSys64(unix.SYS_EXIT_GROUP, 0, 0, 0, 0, 0, 0)
	}()
	code := kdWaitStage(hdr)
	runtime.KeepAlive(fprog)
	return code
}

// TestKernelDiffBypasses asks the kernel about every bypass Bypasses
// finds: under the safety net and the profile, each refused call must
// come back with the profile's errno and each call of its variant with
// the net's 4001, which means the profile let it through (the call never
// runs). i386 calls are made only where the kernel has an i386 entry.
func TestKernelDiffBypasses(t *testing.T) {
	kdNeedX86(t)
	kdNeedRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	_, i386Err := kdRunKind("int80")
	type named struct {
		name string
		p    *Profile
		err  error
	}
	var profiles []named
	for _, f := range []string{"variants-socket-raw", "variants-chmod-setuid", "kernel_diff_socket", "kernel_diff_ioctl64", "deny-unshare", "kernel_diff_denylist"} {
		p, err := Load(policy.Seccomp{Kind: policy.SeccompFile, Path: "testdata/" + f + ".json"}, runtimes.Containerd.Caps)
		profiles = append(profiles, named{f, p, err})
	}
	p, err := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
	profiles = append(profiles, named{"runtime-default", p, err})
	rd, err := RuntimeDefaultFor("containerd", "2.2.1")
	if err != nil {
		t.Fatal(err)
	}
	p, err = rd.Load(runtimes.Containerd.Caps)
	profiles = append(profiles, named{"containerd-2.2.1", p, err})
	if rd, err = RuntimeDefaultFor("cri-o", "1.31"); err != nil {
		t.Fatal(err)
	}
	p, err = rd.Load(runtimes.Containerd.Caps.Remove(caps.AUDIT_WRITE))
	profiles = append(profiles, named{"cri-o-1.31/no-AUDIT_WRITE", p, err})

	abi := map[string]uint32{"x86_64": kdX86_64, "x32": kdX32, "x86": kdI386}
	total := 0
	for _, np := range profiles {
		if np.err != nil {
			t.Fatalf("%s: %v", np.name, np.err)
		}
		f, err := Compile(np.p)
		if err != nil || !f.Cached {
			t.Fatalf("%s: %v (%s)", np.name, err, f.Why)
		}
		bs, err := Bypasses(np.p, f.Program())
		if err != nil {
			t.Fatal(err)
		}
		kp := kdProfile{name: np.name, prog: f.prog.insns, flags: f.prog.flags, denies: map[int64]bool{}}
		var calls []kdCall
		var want []int64
		var what []string
		add := func(c Call, w int64, s string) {
			k := kdCall{ABI: abi[c.Arch], Nr: c.Nr, Args: c.Args}
			if k.ABI == kdI386 && i386Err != nil {
				return
			}
			if k.ABI == kdX86_64 {
				if _, safe := kdSafeFor(k.Nr); safe || kdNeverIssued[k.Nr] != "" {
					t.Fatalf("%s: %v is a call the net lets run", np.name, k)
				}
			}
			calls, want, what = append(calls, k), append(want, w), append(what, s)
		}
		for _, b := range bs {
			ret, _, err := bpf.Run(kp.prog, bpf.Data{Nr: b.Refused.Nr, Arch: bpf.ArchX86_64, Args: b.Refused.Args})
			if err != nil {
				t.Fatal(err)
			}
			refused, ok := kdResult(ret)
			if !ok {
				t.Fatalf("%s: the refused call %s gets %#x", np.name, b.Refused, ret)
			}
			add(b.Refused, refused, "refused: "+b.Refused.String())
			for _, c := range b.Variant {
				add(c, -kdNetErrno, fmt.Sprintf("variant (%s): %s", b.Kind, c))
			}
		}
		if len(calls) == 0 {
			t.Errorf("%s: no bypass to ask the kernel about", np.name)
			continue
		}
		o := kdCompareT(t, np.name, kp, calls)
		for i, got := range o.results {
			if got != want[i] {
				t.Errorf("%s: %s: kernel returned %d (%v), want %d", np.name, what[i], got, kdErrnoName(got), want[i])
			}
		}
		total += len(calls)
		t.Logf("%s: %d bypasses, %d calls: the kernel agrees", np.name, len(bs), len(calls))
	}
	if i386Err != nil {
		t.Logf("i386 calls left out: this kernel runs none (%v)", i386Err)
	}
	if total < 50 {
		t.Errorf("only %d calls asked", total)
	}
}
