package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/internal/cachedir"
	"github.com/rampart-sec/rampart/internal/procstatus"
)

// HaveIA32 reports whether the kernel runs 32-bit x86 code: i386
// programs and int 0x80 from 64-bit ones. An x86-64 kernel built with
// IA32 emulation can still have it switched off (the ia32_emulation=
// boot parameter since Linux 6.7, or a hypervisor's kernel built so):
// then both routes fault before any system call, so no seccomp filter is
// ever asked about the i386 ABI.
func HaveIA32() error { return haveIA32() }

var haveIA32 = sync.OnceValue(func() error {
	if runtime.GOARCH != "amd64" {
		return &NotSupportedError{Feature: "32-bit x86 (IA32) code", Reason: "not an x86-64 machine"}
	}
	// The answer holds for the boot (the kernel's build and its
	// ia32_emulation= parameter): kept per boot, it spares every later
	// launch a fork and an exec.
	boot := cachedir.BootID()
	if ia32, ok := readIA32(boot); ok {
		return ia32Answer(ia32)
	}
	err := probeIA32()
	var nse *NotSupportedError
	if (err == nil || errors.As(err, &nse)) && !underFilter() {
		writeIA32(boot, err == nil)
	}
	return err
})

// underFilter says whether this process runs under a seccomp filter (or
// cannot tell). Such a filter can answer the probe's execve with
// ENOEXEC, the kernel's own "no IA32" answer: kept, it would tell every
// later launch of the boot that i386 variants of a call cannot get past
// a filter. Its answer is this process's alone.
func underFilter() bool {
	st, err := procstatus.Self()
	return err != nil || st.Seccomp != 0
}

var errNoIA32 = &NotSupportedError{Feature: "32-bit x86 (IA32) code", Reason: "the kernel refuses i386 programs (IA32 emulation is off)"}

func ia32Answer(ia32 bool) error {
	if ia32 {
		return nil
	}
	return errNoIA32
}

// ia32Entry is the cache entry: the answer, and the boot it is for.
type ia32Entry struct {
	Boot string `json:"boot"`
	IA32 bool   `json:"ia32"`
}

// readIA32 reads the answer kept for this boot; an entry another user
// could have written is not read (cachedir), and one for another boot
// or in another form is not an answer.
func readIA32(boot string) (ia32, ok bool) {
	dir, err := cachedir.Dir("kernel")
	if boot == "" || err != nil {
		return false, false
	}
	var e ia32Entry
	if cachedir.ReadJSON(filepath.Join(dir, "ia32.json"), &e) != nil || e.Boot != boot {
		return false, false
	}
	return e.IA32, true
}

func writeIA32(boot string, ia32 bool) {
	if dir, err := cachedir.Dir("kernel"); boot != "" && err == nil {
		cachedir.WriteJSON(dir, filepath.Join(dir, "ia32.json"), ia32Entry{Boot: boot, IA32: ia32}) // a failed store only costs the next launch a probe
	}
}

// probeIA32 runs the smallest i386 program: it exits 42 where the kernel
// runs i386 code.
func probeIA32() error {
	fd, err := unix.MemfdCreate("rampart-ia32-probe", unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("ia32 probe: memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "rampart-ia32-probe")
	defer f.Close()
	if _, err := f.Write(i386Exit42()); err != nil {
		return fmt.Errorf("ia32 probe: %w", err)
	}
	err = exec.Command(fmt.Sprintf("/proc/self/fd/%d", fd)).Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return fmt.Errorf("ia32 probe: the i386 program exited 0, want 42")
	case errors.As(err, &ee) && ee.ExitCode() == 42:
		return nil
	case errors.Is(err, unix.ENOEXEC):
		return errNoIA32
	}
	return fmt.Errorf("ia32 probe: %w", err)
}

// i386Exit42 is the smallest i386 ELF program: exit(42) through int 0x80.
func i386Exit42() []byte {
	const base, ehsize, phsize = 0x08048000, 52, 32
	code := []byte{
		0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1 (exit)
		0xbb, 0x2a, 0x00, 0x00, 0x00, // mov ebx, 42
		0xcd, 0x80, // int 0x80
	}
	size := uint32(ehsize + phsize + len(code))
	b := make([]byte, 0, size)
	le := binary.LittleEndian
	b = append(b, 0x7f, 'E', 'L', 'F', 1 /* 32-bit */, 1 /* LE */, 1 /* version */)
	b = append(b, make([]byte, 9)...)
	b = le.AppendUint16(b, 2)                  // ET_EXEC
	b = le.AppendUint16(b, 3)                  // EM_386
	b = le.AppendUint32(b, 1)                  // EV_CURRENT
	b = le.AppendUint32(b, base+ehsize+phsize) // entry
	b = le.AppendUint32(b, ehsize)             // program headers
	b = le.AppendUint32(b, 0)                  // no sections
	b = le.AppendUint32(b, 0)                  // flags
	b = le.AppendUint16(b, ehsize)             //
	b = le.AppendUint16(b, phsize)             //
	b = le.AppendUint16(b, 1)                  // one program header
	b = append(b, 0, 0, 0, 0, 0, 0)            // no section table
	b = le.AppendUint32(b, 1)                  // PT_LOAD
	b = le.AppendUint32(b, 0)                  // from the file's start
	b = le.AppendUint32(b, base)               // vaddr
	b = le.AppendUint32(b, base)               // paddr
	b = le.AppendUint32(b, size)               // filesz
	b = le.AppendUint32(b, size)               // memsz
	b = le.AppendUint32(b, 5)                  // R+X
	b = le.AppendUint32(b, 0x1000)             // align
	return append(b, code...)
}
