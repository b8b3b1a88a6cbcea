//go:build linux

package main

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/internal/runc"
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

// runcFilter reads the filter Debian's runc loads for RuntimeDefault
// resolved for the bounding set, with the same set and no_new_privs.
func runcFilter(set caps.Set) ([]unix.SockFilter, error) {
	spec, err := oci.Spec(&policy.Policy{Seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault}},
		[]string{"/bin/sleep", "30"}, oci.Options{DefaultCaps: set})
	if err != nil {
		return nil, err
	}
	spec.Process.NoNewPrivileges = true
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return runc.LoadedFilter(ctx, spec)
}
