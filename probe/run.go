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

	"github.com/rampart-sec/rampart/caps"
)

// Outcome is what running one probe observed.
type Outcome struct {
	// Open: the attacker's call succeeded (or reached the kernel's own
	// argument checks, past every permission check).
	Open bool
	// Errno is the refusal, when not Open.
	Errno syscall.Errno
	// Step names the call that failed or succeeded ("socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_ICMP)").
	Step string
	// Detail is a short observation ("created and closed", "EINVAL after
	// the capability check: permitted").
	Detail string
	// Absent says the target does not exist here (no runtime socket, no
	// /etc/shadow): the path is closed, but by no layer.
	Absent string
	// Unbuilt: Absent because the kernel was built without the feature
	// the whole path needs (module loading, key management), so every
	// variant is gone, not only this one (unlike an ABI or a namespace
	// to join that one variant lacks).
	Unbuilt bool
	// CanaryErrno is the seccomp canary's result, when one ran.
	CanaryErrno *syscall.Errno
	// DACAllows reports, for file paths, whether permission bits and
	// capabilities alone would allow the access (faccessat with
	// AT_EACCESS, which LSMs do not mediate): a refusal despite it is an
	// LSM's.
	DACAllows *bool
	// Inferred is set when no harmless call could reach the check that
	// decides (a mount without a private namespace, clock_settime): the
	// verdict follows from a canary, CapEff and the kernel's order, and
	// Inferred says how.
	Inferred string `json:",omitempty"`
	// FilterAsked is set when the seccomp filter itself was asked about
	// the call (filterAnswer) instead of a canary: what it answered.
	FilterAsked string `json:",omitempty"`
	// NeedCaps are capabilities the kernel checks on the variant that
	// decided besides the path's (Call.Caps).
	NeedCaps caps.Set `json:",omitempty"`
	// Variant names the variant the outcome is about, when the path has
	// several; Filtered are the variants the seccomp filter refused.
	Variant  string   `json:",omitempty"`
	Filtered []string `json:",omitempty"`
	// Missing are the variants that do not exist here, with why.
	Missing []string `json:",omitempty"`
	// Setup is set when the probe's own preparation failed (starting a
	// child to probe in or to trace) and the attack's call was never
	// made: under an allow list written for another program, the
	// probe's helper calls (pipe2, a re-exec) can be refused.
	Setup bool `json:",omitempty"`
}

func open(step, detail string) Outcome { return Outcome{Open: true, Step: step, Detail: detail} }

func refused(step string, err error) Outcome {
	var e syscall.Errno
	if !errors.As(err, &e) {
		e = unix.EIO
	}
	return Outcome{Errno: e, Step: step}
}

// onThread runs f on a fresh OS thread that is thrown away afterwards:
// the goroutine locks it and exits without unlocking, so the Go runtime
// terminates the thread. Per-thread changes a probe makes (namespaces,
// credentials, personality) die with it and never reach the rest of the
// process.
func onThread(f func() Outcome) Outcome {
	ch := make(chan Outcome, 1)
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
	p := registry[id]
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
func inChild(p *Path) Outcome {
	self, err := os.Executable()
	if err != nil {
		return Outcome{Errno: unix.ENOEXEC, Step: "locate own executable", Detail: err.Error(), Setup: true}
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), childEnv+"="+p.ID)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Outcome{Errno: unix.ECHILD, Step: "probe child", Detail: fmt.Sprintf("%v: %s", err, bytes.TrimSpace(stderr.Bytes())), Setup: true}
	}
	var out Outcome
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return Outcome{Errno: unix.ECHILD, Step: "probe child", Detail: "unreadable report: " + err.Error(), Setup: true}
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
