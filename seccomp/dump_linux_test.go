package seccomp

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stackEnv makes the test binary loadStackAndWait.
const stackEnv = "RAMPART_TEST_SECCOMP_STACK"

// stack is the filter stack loadStackAndWait loads, oldest first: two
// programs that allow everything, told apart by their return value's
// unused data bits, the older one loaded with SECCOMP_FILTER_FLAG_LOG.
var stack = []Dumped{
	{Prog: []unix.SockFilter{{Code: 0x06, K: unix.SECCOMP_RET_ALLOW | 1}}, Log: true},
	{Prog: []unix.SockFilter{{Code: 0x06, K: unix.SECCOMP_RET_ALLOW | 2}}},
}

// stackHook turns the test binary into loadStackAndWait's process when
// it is re-executed as one (TestMain).
func stackHook() {
	if os.Getenv(stackEnv) == "1" {
		os.Exit(loadStackAndWait())
	}
}

// loadStackAndWait loads stack into every thread (TSYNC) and waits for
// stdin to close.
func loadStackAndWait() int {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, f := range stack {
		flags := uintptr(unix.SECCOMP_FILTER_FLAG_TSYNC)
		if f.Log {
			flags |= unix.SECCOMP_FILTER_FLAG_LOG
		}
		prog := unix.SockFprog{Len: uint16(len(f.Prog)), Filter: &f.Prog[0]}
		if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog))); e != 0 {
			fmt.Fprintln(os.Stderr, e)
			return 1
		}
	}
	os.Stdout.WriteString("loaded\n")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// DumpFilters reads a live process's stack back oldest first, each
// program whole and with the LOG flag it was loaded with: what a probe
// from the node loads again to take the process's place.
func TestDumpFiltersKeepsOrderAndLog(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN: run as root")
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), stackEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	buf := make([]byte, 7)
	if _, err := io.ReadFull(out, buf); err != nil || string(buf) != "loaded\n" {
		t.Fatalf("the child did not load its stack: %q %v", buf, err)
	}
	got, err := DumpFilters(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, stack) {
		t.Errorf("read back %+v, loaded %+v", got, stack)
	}
}
