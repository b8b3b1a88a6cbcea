package runc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/seccomp"
)

// LoadedFilter runs `sleep 30` in a detached container of this machine's
// runc under spec's process settings (capabilities, no_new_privs,
// seccomp), reads back from the kernel the seccomp filter runc loaded
// into it, and removes the container. It is how rampart compares its own
// filters with the runtime's: both read from live processes.
func LoadedFilter(ctx context.Context, spec *specs.Spec) ([]unix.SockFilter, error) {
	bundle, err := os.MkdirTemp("", "rampart-runc-filter-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(bundle)
	rootfs := filepath.Join(bundle, "rootfs")
	if err := os.MkdirAll(filepath.Join(rootfs, "bin"), 0o755); err != nil {
		return nil, err
	}
	if err := copyFile(BusyboxPath, filepath.Join(rootfs, "bin/busybox"), 0o755); err != nil {
		return nil, fmt.Errorf("busybox (Debian package busybox-static): %w", err)
	}
	if err := os.Symlink("busybox", filepath.Join(rootfs, "bin/sleep")); err != nil {
		return nil, err
	}
	s := *spec
	proc := *spec.Process
	proc.Args, proc.Terminal = []string{"/bin/sleep", "30"}, false
	s.Process, s.Root = &proc, &specs.Root{Path: rootfs}
	c, err := Start(ctx, bundle, &s)
	if err != nil {
		return nil, err
	}
	defer c.Delete()
	pid := c.PID
	// With no_new_privs runc loads the filter right before execve: once
	// the process is sleep under a filter, the filter is runc's.
	deadline := time.Now().Add(10 * time.Second)
	for {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if string(comm) == "sleep\n" && bytes.Contains(status, []byte("\nSeccomp:\t2\n")) {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("container process %d is not sleeping under a seccomp filter (comm %q)", pid, comm)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return seccomp.DumpFilter(pid, 0)
}
