//go:build linux && cgo && seccomp

package seccomp

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The kernel's own numbering, as the uapi headers (Debian's
// linux-libc-dev) print arch/x86/entry/syscalls/syscall_{32,64}.tbl.
var uapiHeaders = map[string]string{
	"x86_64": "/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
	"x86":    "/usr/include/x86_64-linux-gnu/asm/unistd_32.h",
	"x32":    "/usr/include/x86_64-linux-gnu/asm/unistd_x32.h",
}

func readUAPI(t *testing.T, path string) map[string]int32 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("the kernel's syscall numbers (Debian package linux-libc-dev): %v", err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^#define __NR_(\w+)\s+(?:\(__X32_SYSCALL_BIT \+ (\d+)\)|(\d+))$`)
	out := map[string]int32{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		m := re.FindStringSubmatch(strings.TrimSpace(s.Text()))
		if m == nil {
			continue
		}
		if m[2] != "" {
			n, _ := strconv.Atoi(m[2])
			out[m[1]] = int32(n) | 0x40000000
		} else {
			n, _ := strconv.Atoi(m[3])
			out[m[1]] = int32(n)
		}
	}
	if len(out) < 300 {
		t.Fatalf("%s: only %d syscalls read", path, len(out))
	}
	return out
}

// Every syscall of the three x86 ABIs resolves to the number the kernel
// runs it under: a name that resolved to libseccomp's pseudo-number (i386
// socket as -101) made explain decide a call no process can make.
func TestSyscallNumbersMatchKernel(t *testing.T) {
	for _, arch := range Arches {
		kernel := readUAPI(t, uapiHeaders[arch.Name])
		n := 0
		for name, want := range kernel {
			got, err := SyscallNumber(name, arch)
			if err != nil || got != want {
				t.Errorf("%s %s: rampart says %d (%v), the kernel %d", arch.Name, name, got, err, want)
			}
			n++
		}
		// and no name resolves to a number the kernel gives another call
		byNr := map[int32]string{}
		for name, nr := range kernel {
			byNr[nr] = name
		}
		for _, name := range SyscallNames(arch) {
			nr, err := SyscallNumber(name, arch)
			if err != nil {
				t.Errorf("%s %s: listed, but %v", arch.Name, name, err)
				continue
			}
			if other, ok := byNr[nr]; ok && other != name && kernel[name] != nr {
				t.Errorf("%s %s: %d, which the kernel runs as %s", arch.Name, name, nr, other)
			}
		}
		t.Logf("%s: %d syscalls agree with %s", arch.Name, n, uapiHeaders[arch.Name])
	}
}

// The calls i386 makes only through a multiplexer have no number; the
// error says which multiplexer carries them.
func TestSyscallNumberMultiplexedOnly(t *testing.T) {
	x86, _ := ArchByName("x86")
	for name, via := range map[string]string{"accept": "socketcall", "send": "socketcall", "recv": "socketcall", "semop": "ipc", "semtimedop": "ipc"} {
		nr, err := SyscallNumber(name, x86)
		if err == nil || !strings.Contains(err.Error(), via+"(2)") {
			t.Errorf("%s on x86: %d, %v; want an error naming %s(2)", name, nr, err, via)
		}
	}
	if nr, err := SyscallNumber("socketcall", Arches[0]); err == nil {
		t.Errorf("socketcall on x86_64: %d, want an error (x86_64 has no socketcall)", nr)
	}
}
