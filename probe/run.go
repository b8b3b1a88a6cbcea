package probe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
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

func init() {
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

// inChild runs p's child function in a re-executed rampart.
func inChild(p *attack.Path) attack.Outcome {
	self, err := os.Executable()
	if err != nil {
		return attack.Outcome{Errno: unix.ENOEXEC, Step: "locate own executable", Detail: err.Error(), Setup: true}
	}
	cmd := exec.Command(self)
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
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), childEnv+"=noop")
	cmd.SysProcAttr = attr
	return cmd.Run()
}
