//go:build linux && (amd64 || arm64)

package record

import (
	"os"
	"syscall"
	"testing"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// BenchmarkSyscallCost prices one system call of this process in four
// states, in the same run:
//
//	plain     nothing attached
//	floor     programs that do nothing attached to sys_enter and sys_exit:
//	          what the kernel's syscall-tracing path costs before any
//	          recorder runs (every recorder built on these tracepoints
//	          pays it)
//	other     rampart's recorder attached, this process not recorded: what
//	          every other process on the machine pays while a recording
//	          runs
//	recorded  rampart's recorder attached and this process in the
//	          recorded tree: what the workload pays
//
// for getppid (nothing to record but the count) and open+close of one
// file (a path read and deduplicated in the kernel).
//
//	go test -tags seccomp ./record -run '^$' -bench SyscallCost
func BenchmarkSyscallCost(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("attaching raw tracepoints needs root")
	}
	path, _ := unix.BytePtrFromString("/etc/hostname")
	fdcwd := int64(unix.AT_FDCWD)
	atFDCWDArg := uintptr(fdcwd)
	loops := []struct {
		name string
		f    func()
	}{
		{"getppid", func() { syscall.RawSyscall(unix.SYS_GETPPID, 0, 0, 0) }},
		{"open+close", func() {
			fd, _, _ := syscall.Syscall6(unix.SYS_OPENAT, atFDCWDArg, uintptr(unsafe.Pointer(path)), unix.O_RDONLY, 0, 0, 0)
			syscall.RawSyscall(unix.SYS_CLOSE, fd, 0, 0)
		}},
	}
	run := func(b *testing.B, state string, setup func(b *testing.B) func()) {
		for _, l := range loops {
			b.Run(l.name+"/"+state, func(b *testing.B) {
				done := setup(b)
				defer done()
				b.ResetTimer()
				for range b.N {
					l.f()
				}
			})
		}
	}
	run(b, "plain", func(*testing.B) func() { return func() {} })
	run(b, "floor", attachNoop)
	run(b, "other", func(b *testing.B) func() { return attachRecorder(b, false) })
	run(b, "recorded", func(b *testing.B) func() { return attachRecorder(b, true) })
}

// attachNoop attaches programs that return at once to both syscall
// tracepoints.
func attachNoop(b *testing.B) func() {
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.RawTracepoint,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		b.Fatal(err)
	}
	var links []link.Link
	for _, tp := range []string{"sys_enter", "sys_exit"} {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: tp, Program: prog})
		if err != nil {
			b.Fatal(err)
		}
		links = append(links, l)
	}
	return func() {
		for _, l := range links {
			l.Close()
		}
		prog.Close()
	}
}

// attachRecorder loads and attaches rampart's programs as a recording
// does, with this process in the recorded tree or not.
func attachRecorder(b *testing.B, self bool) func() {
	sys := syscalls()
	r, err := newEBPF(sys, newCollector(sys))
	if err != nil {
		b.Fatal(err)
	}
	if self {
		tgid := uint32(os.Getpid())
		if err := r.objs.Procs.Put(tgid, uint32(stRecording)); err != nil {
			b.Fatal(err)
		}
		var word uint64
		w := tgid / 64
		r.objs.Tracked.Lookup(w, &word)
		if err := r.objs.Tracked.Put(w, word|1<<(tgid%64)); err != nil {
			b.Fatal(err)
		}
	}
	return r.close
}
