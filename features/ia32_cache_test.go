//go:build linux

package features

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/internal/cachedir"
)

// The answer kept for a boot is the probe's, read back only for that
// boot and only from an entry nobody else could have written.
func TestIA32AnswerKeptPerBoot(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the IA32 probe is x86-64's")
	}
	boot := cachedir.BootID()
	if boot == "" {
		t.Skip("the kernel names no boot (/proc/sys/kernel/random/boot_id)")
	}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	probed := probeIA32()
	var nse *NotSupportedError
	if probed != nil && !errors.As(probed, &nse) {
		t.Fatalf("probe: %v", probed)
	}
	if _, ok := readIA32(boot); ok {
		t.Fatal("an answer before any was written")
	}
	writeIA32(boot, probed == nil)
	ia32, ok := readIA32(boot)
	if !ok || ia32 != (probed == nil) {
		t.Fatalf("read back %v, %v; the probe says IA32 %v", ia32, ok, probed == nil)
	}
	if _, ok := readIA32("another-boot"); ok {
		t.Error("the entry answered for another boot")
	}

	dir, err := cachedir.Dir("kernel")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "ia32.json")
	if err := os.Chmod(file, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, ok := readIA32(boot); ok {
		t.Error("an entry writable by others was read")
	}
	if err := os.WriteFile(file, []byte(`{"boot": "`+boot+`", "ia32": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := readIA32(boot); ok {
		t.Error("an entry in another form was read")
	}
}

// underENOEXEC, set, makes the test binary a process under a filter that
// answers execve and execveat with ENOEXEC, which then asks HaveIA32.
const underENOEXEC = "RAMPART_FEATURES_TEST_ENOEXEC"

func TestMain(m *testing.M) {
	if os.Getenv(underENOEXEC) == "1" {
		os.Exit(askUnderENOEXEC())
	}
	os.Exit(m.Run())
}

func askUnderENOEXEC() int {
	const (
		ld  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret = unix.BPF_RET | unix.BPF_K
	)
	prog := []unix.SockFilter{
		{Code: ld, K: 0}, // nr
		{Code: jeq, K: unix.SYS_EXECVE, Jt: 1},
		{Code: jeq, K: unix.SYS_EXECVEAT, Jf: 1},
		{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOEXEC)},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
	}
	fp := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Println("no_new_privs:", err)
		return 3
	}
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fp))); e != 0 {
		fmt.Println("seccomp:", e)
		return 3
	}
	fmt.Println(HaveIA32())
	return 0
}

// A process under a filter answering execve with ENOEXEC gets "no IA32"
// from the probe, which is its own answer only: kept, it would tell
// every launch of the boot that i386 variants of a call cannot get past
// a filter.
func TestIA32AnswerUnderFilterNotKept(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the IA32 probe is x86-64's")
	}
	if cachedir.BootID() == "" {
		t.Skip("the kernel names no boot (/proc/sys/kernel/random/boot_id)")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), underENOEXEC+"=1", "RAMPART_CACHE_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the filtered child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "IA32 emulation is off") {
		t.Fatalf("under the filter, HaveIA32 said %q; want the probe to read ENOEXEC as no IA32", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "kernel", "ia32.json")); err == nil {
		t.Error("the answer of a process under a seccomp filter was kept for the boot")
	}
}
