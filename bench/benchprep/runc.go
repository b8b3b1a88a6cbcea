package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/engine/runc"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/seccomp"
)

// boundingOf is the bounding set of a live process: the set rampart
// resolved RuntimeDefault against for it.
func boundingOf(pid int) (caps.Set, error) {
	st, err := procstatus.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return st.CapBnd, nil
}

// runtimeDefaultFor resolves RuntimeDefault for a bounding set, as rampart
// and containerd do.
func runtimeDefaultFor(set caps.Set) (*seccomp.Profile, error) {
	return seccomp.Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, set)
}

// runcFilter runs `sleep 30` in a detached container of Debian's runc with
// RuntimeDefault resolved for the bounding set, the same set as the
// container's own, and no_new_privs; it reads back the filter runc loaded
// into it and removes the container.
func runcFilter(set caps.Set) ([]unix.SockFilter, error) {
	bundle, err := os.MkdirTemp("", "rampart-benchprep-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(bundle)
	rootfs := filepath.Join(bundle, "rootfs")
	if err := os.MkdirAll(filepath.Join(rootfs, "bin"), 0o755); err != nil {
		return nil, err
	}
	bb, err := os.ReadFile(runc.BusyboxPath)
	if err != nil {
		return nil, fmt.Errorf("busybox (Debian package busybox-static): %w", err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "bin/busybox"), bb, 0o755); err != nil {
		return nil, err
	}
	if err := os.Symlink("busybox", filepath.Join(rootfs, "bin/sleep")); err != nil {
		return nil, err
	}
	spec, err := oci.Spec(&policy.Policy{Seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault}},
		[]string{"/bin/sleep", "30"}, oci.Options{DefaultCaps: set})
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
		return nil, err
	}

	state := filepath.Join(bundle, ".runc")
	pidFile := filepath.Join(bundle, "pid")
	logFile := filepath.Join(bundle, "runc.log")
	id := fmt.Sprintf("rampart-benchprep-%d", os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// stdio is /dev/null: the detached container keeps it.
	cmd := exec.CommandContext(ctx, "runc", "--root", state, "--log", logFile, "run", "-d", "--pid-file", pidFile, "--bundle", bundle, id)
	defer exec.Command("runc", "--root", state, "delete", "-f", id).Run()
	if err := cmd.Run(); err != nil {
		log, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("runc run: %w\n%s", err, log)
	}
	pb, err := os.ReadFile(pidFile)
	if err != nil {
		return nil, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(pb)))
	if err != nil {
		return nil, err
	}
	if err := waitSleeping(pid); err != nil {
		return nil, err
	}
	return seccomp.DumpFilter(pid, 0)
}

// waitSleeping waits until pid runs sleep under a seccomp filter: with
// no_new_privs runc loads the filter right before execve.
func waitSleeping(pid int) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if string(comm) == "sleep\n" && bytes.Contains(status, []byte("\nSeccomp:\t2\n")) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d is not sleeping under a seccomp filter (comm %q)", pid, comm)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
