//go:build linux

package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// BootConfig is what Boot runs; the zero value of each field means the
// lab's default.
type BootConfig struct {
	Kernel, Initrd string
	Timeout        time.Duration // hard limit for the whole boot (default DefaultTimeout)
	MemoryMB       int           // default 512
	CPUs           int           // default 2: the CI machine's cores; boots faster than 1 under TCG
	Append         string        // extra kernel command line
	Arch           *Arch         // the guest's architecture (nil: AMD64)
}

// DefaultTimeout bounds one boot: a few seconds of boot under TCG plus
// the checks.
const DefaultTimeout = 4 * time.Minute

// BootError is a boot that did not end well: qemu failed, or the
// deadline passed and qemu was killed. Console holds what the guest
// printed.
type BootError struct {
	Reason   string
	Console  string
	TimedOut bool // qemu was killed at the deadline
}

func (e *BootError) Error() string {
	return fmt.Sprintf("lab: %s; last console lines:\n\t%s", e.Reason, strings.Join(lastLines(e.Console, 15), "\n\t"))
}

// ErrTimeout is wrapped by a BootError whose deadline passed.
var ErrTimeout = errors.New("the lab's boot deadline passed")

func (e *BootError) Unwrap() error {
	if e.TimedOut {
		return ErrTimeout
	}
	return nil
}

// Boot runs kernel with initrd in qemu (TCG, no network, 512 MiB, two
// CPUs, serial console on stdout) until the guest powers off, and returns
// what the guest printed on its console. qemu is killed when timeout
// (DefaultTimeout if 0) passes or ctx ends; the error then names the last
// console lines.
func Boot(ctx context.Context, kernel, initrd string, timeout time.Duration) (string, error) {
	return BootWith(ctx, BootConfig{Kernel: kernel, Initrd: initrd, Timeout: timeout})
}

// BootWith is Boot with every knob.
func BootWith(ctx context.Context, c BootConfig) (string, error) {
	a := archOr(c.Arch)
	qemu, err := exec.LookPath(a.Qemu)
	if err != nil {
		return "", fmt.Errorf("lab: %s not found: install Debian package %s (scripts/deps.sh %s)", a.Qemu, a.QemuPackage, a.depsTarget())
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MemoryMB <= 0 {
		c.MemoryMB = a.MemoryMB
	}
	if c.CPUs <= 0 {
		c.CPUs = 2
	}
	cmdline := "console=" + a.Console + " panic=-1"
	if c.Append != "" {
		cmdline += " " + c.Append
	}
	// KVM hangs on the machines this was built on; TCG is slower but
	// always there (and the only way to run another architecture).
	args := append([]string{"-accel", "tcg"}, a.Machine...)
	args = append(args,
		"-m", fmt.Sprint(c.MemoryMB), "-smp", fmt.Sprint(c.CPUs),
		"-nographic", "-no-reboot", "-nic", "none",
		"-kernel", c.Kernel, "-initrd", c.Initrd,
		"-append", cmdline,
	)
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()

	var console syncBuffer
	var stderr bytes.Buffer
	cmd := exec.Command(qemu, args...)
	cmd.Stdout = &console
	cmd.Stderr = &stderr
	// qemu dies with the process that started it (a killed test binary
	// leaves no emulator behind); Pdeathsig is per thread, hence the
	// locked thread for the whole run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second

	type result struct{ err error }
	done := make(chan result, 1)
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		done <- result{cmd.Wait()}
	}()
	if err := <-started; err != nil {
		return "", fmt.Errorf("lab: starting qemu: %w", err)
	}
	select {
	case r := <-done:
		out := console.String()
		if r.err != nil {
			return out, &BootError{Reason: fmt.Sprintf("qemu failed: %v: %s", r.err, strings.TrimSpace(stderr.String())), Console: out}
		}
		return out, nil
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		out := console.String()
		if ctx.Err() == context.Canceled {
			return out, &BootError{Reason: "killed qemu: the run was cancelled", Console: out}
		}
		return out, &BootError{Reason: fmt.Sprintf("killed qemu after %v (the deadline passed)", c.Timeout), Console: out, TimedOut: true}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.ReplaceAll(s.b.String(), "\r", "")
}
