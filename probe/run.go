//go:build linux

package probe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
)

func open(step, detail string) attack.Outcome {
	return attack.Outcome{Open: true, Step: step, Detail: detail}
}

func refused(step string, err error) attack.Outcome {
	var e syscall.Errno
	if !errors.As(err, &e) {
		e = unix.EIO
	}
	return attack.Outcome{Errno: e, Step: step}
}

// onThread runs f on a fresh OS thread that is thrown away afterwards:
// the goroutine locks it and exits without unlocking, so the Go runtime
// terminates the thread. Per-thread changes a probe makes (namespaces,
// credentials, personality) die with it and never reach the rest of the
// process.
func onThread(f func() attack.Outcome) attack.Outcome {
	ch := make(chan attack.Outcome, 1)
	go func() {
		runtime.LockOSThread()
		ch <- f()
	}()
	return <-ch
}

// Child processes: a probe whose call would affect the whole process
// (chroot changes the root shared by all threads) runs in a re-executed
// rampart that makes the one call and reports. The child inherits every
// layer: capabilities, no_new_privs, seccomp and Landlock survive execve.
const childEnv = "RAMPART_PROBE_CHILD"

// entered says ChildMain ran in this process: only a program that calls
// it turns into the child it is re-executed as, so only such a program
// may be re-executed. Any other would start its own main a second time
// (a server, a test binary running its tests again).
var entered atomic.Bool

// errNoEntry is the set-up failure of a probe that needs a child in a
// program that does not call ChildMain.
var errNoEntry = errors.New("this program does not call probe.ChildMain first thing in main, so it cannot be re-executed as a probe child")

// ChildMain turns this process into the probe child it was re-executed
// as, if it is one, and exits when the child is done; otherwise it
// returns at once. A program that runs probes calls it first thing in
// main (a test binary in TestMain), the way runc's main enters its init:
// the probes whose call affects the whole process, and the process the
// ptrace probes attach to, are this program re-executed (os.Executable)
// with a variable naming the child. Without the call the runner
// re-executes nothing, and those probes report that their set-up failed.
// Importing the package diverts nothing.
func ChildMain() {
	entered.Store(true)
	if os.Getenv(traceeEnv) == "1" {
		traceeMain()
	}
	id, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	if id == "noop" {
		os.Exit(0)
	}
	p := probers[id]
	if p == nil || p.child == nil {
		fmt.Fprintln(os.Stderr, "rampart probe child: unknown path", id)
		os.Exit(2)
	}
	runtime.LockOSThread()
	out := p.child()
	json.NewEncoder(os.Stdout).Encode(out)
	os.Exit(0)
}

// self is this program, to re-execute as a probe child.
func self() (string, error) {
	if !entered.Load() {
		return "", errNoEntry
	}
	// /proc/self/exe execs this very file even where its path names
	// nothing: a probe from the node runs a binary of the node's in a
	// container's mount namespace (package fromnode).
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe", nil
	}
	return os.Executable()
}

// inChild runs p's child function in a re-executed rampart.
func inChild(p *attack.Path) attack.Outcome {
	exe, err := self()
	if err != nil {
		return attack.Outcome{Errno: unix.ENOEXEC, Step: "locate own executable", Detail: err.Error(), Setup: true}
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+p.ID)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return attack.Outcome{Errno: unix.ECHILD, Step: "probe child", Detail: fmt.Sprintf("%v: %s", err, bytes.TrimSpace(stderr.Bytes())), Setup: true}
	}
	var out attack.Outcome
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return attack.Outcome{Errno: unix.ECHILD, Step: "probe child", Detail: "unreadable report: " + err.Error(), Setup: true}
	}
	return out
}

// spawnNoop forks a child that applies attr (namespaces to unshare)
// between fork and exec, then execs rampart as a no-op. Go's runtime is
// multi-threaded, and unshare(CLONE_NEWUSER) needs a single-threaded
// caller: the forked child is one.
func spawnNoop(attr *syscall.SysProcAttr) error {
	exe, err := self()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=noop")
	cmd.SysProcAttr = attr
	return cmd.Run()
}
