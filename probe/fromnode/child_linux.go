package fromnode

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// ChildMain turns this process into the child Probe spawned, if it is
// one: it takes on the layers read from fd 3 and execs the probe, or
// exits 125 saying which layer it could not take on. Otherwise it
// returns at once. rampart's main calls it first thing.
func ChildMain() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	// Every step below changes the calling thread only, and execve keeps
	// only that thread.
	runtime.LockOSThread()
	err := child()
	fmt.Fprintln(os.Stderr, "rampart: probe from the node:", err)
	os.Exit(125)
}

// child applies the layers in runc's order (the order the container's
// own process got them in, so every call a filter must allow here it
// allowed there): AppArmor exec label, no_new_privs, seccomp while
// CAP_SYS_ADMIN is still held when no_new_privs is off, bounding set,
// user and groups, capability sets, seccomp last when no_new_privs is on.
//
// It holds the node's privileges in the container's PID namespace until
// then. Non-dumpable, no process of the container without CAP_SYS_PTRACE
// may ptrace it or open its /proc files (the attack on runc exec of
// CVE-2016-9962). It enters
// the container's mount namespace only after the last path it resolves
// as the node (AppArmor's exec attribute), and resolves none there but
// the probe it execs, with the container's layers: a container that can
// mount over its own /proc can at most fool its own measurement, which
// it could anyway, never run its code with the node's privileges.
func child() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("non-dumpable: %w", err)
	}
	f := os.NewFile(3, "layers")
	var l layers
	if err := json.NewDecoder(f).Decode(&l); err != nil {
		return fmt.Errorf("read the layers: %w", err)
	}
	f.Close()
	if l.CgroupNS {
		if err := unix.Setns(5, unix.CLONE_NEWCGROUP); err != nil {
			return fmt.Errorf("enter the container's cgroup namespace: %w", err)
		}
		unix.Close(5)
	}
	for r, lim := range l.Rlimits {
		if err := unix.Prlimit(0, r, &lim, nil); err != nil {
			return fmt.Errorf("resource limit %d: %w", r, err)
		}
	}
	if l.AppArmor != "" {
		if err := apparmor.Attach(l.AppArmor); err != nil {
			return err
		}
	}
	// A thread shares its root and working directory with the others
	// until it unshares them, and setns(CLONE_NEWNS) refuses a shared
	// one; it enters at the namespace's root.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare CLONE_FS: %w", err)
	}
	if err := unix.Setns(4, unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("enter the container's mount namespace: %w", err)
	}
	unix.Close(4)
	if l.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("no_new_privs: %w", err)
		}
	}
	if !l.NoNewPrivs {
		if err := l.loadFilters(); err != nil {
			return err
		}
	}
	if err := l.takeCredentials(); err != nil {
		return err
	}
	if l.NoNewPrivs {
		if err := l.loadFilters(); err != nil {
			return err
		}
	}
	return unix.Exec("/proc/self/exe", l.Args, l.Env)
}

// loadFilters loads the stack oldest first, each with its LOG flag, on
// this thread only (no TSYNC: the thread that execs carries them).
func (l *layers) loadFilters() error {
	for i, f := range l.Filters {
		if len(f.Prog) == 0 {
			return fmt.Errorf("seccomp filter %d is empty", i)
		}
		prog := unix.SockFprog{Len: uint16(len(f.Prog)), Filter: &f.Prog[0]}
		var flags uintptr
		if f.Log {
			flags = unix.SECCOMP_FILTER_FLAG_LOG
		}
		if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog))); e != 0 {
			return fmt.Errorf("load seccomp filter %d: %w", i, e)
		}
	}
	return nil
}

// takeCredentials sets the bounding set, the user and groups, and the
// capability sets, with raw syscalls that change this thread alone.
func (l *layers) takeCredentials() error {
	last, err := caps.LastSupported()
	if err != nil {
		return err
	}
	for c := caps.Cap(0); c <= last; c++ {
		if l.CapBnd&(1<<c) == 0 {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
				return fmt.Errorf("bounding set: drop %s: %w", c, err)
			}
		}
	}
	// The permitted set survives the change of uid only with keepcaps.
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("keepcaps: %w", err)
	}
	groups := make([]uint32, len(l.Groups))
	for i, g := range l.Groups {
		groups[i] = uint32(g)
	}
	var gp uintptr
	if len(groups) > 0 {
		gp = uintptr(unsafe.Pointer(&groups[0]))
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(groups)), gp, 0); e != 0 {
		return fmt.Errorf("setgroups %v: %w", l.Groups, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(l.GID[0]), uintptr(l.GID[1]), uintptr(l.GID[2])); e != 0 {
		return fmt.Errorf("setresgid %v: %w", l.GID, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(l.UID[0]), uintptr(l.UID[1]), uintptr(l.UID[2])); e != 0 {
		return fmt.Errorf("setresuid %v: %w", l.UID, e)
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("keepcaps: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(l.CapEff), Permitted: uint32(l.CapPrm), Inheritable: uint32(l.CapInh)},
		{Effective: uint32(l.CapEff >> 32), Permitted: uint32(l.CapPrm >> 32), Inheritable: uint32(l.CapInh >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("ambient set: %w", err)
	}
	for c := caps.Cap(0); c <= last; c++ {
		if l.CapAmb&(1<<c) != 0 {
			if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
				return fmt.Errorf("ambient set: raise %s: %w", c, err)
			}
		}
	}
	return nil
}

// verify holds the probe's own account of its state to the layers it was
// to take on: any difference means the report describes another
// process than the container's.
func (l *layers) verify(st *attack.State) error {
	if st == nil || st.Status == nil && st.CapEff == nil {
		return fmt.Errorf("the report has no state")
	}
	var errs []string
	check := func(what string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			errs = append(errs, fmt.Sprintf("%s is %v, the container's %v", what, got, want))
		}
	}
	names := func(s uint64) []string { return attack.CapNames(caps.Set(s)) }
	check("CapEff", st.CapEff, names(l.CapEff))
	check("CapPrm", st.CapPrm, names(l.CapPrm))
	check("CapInh", st.CapInh, names(l.CapInh))
	check("CapBnd", st.CapBnd, names(l.CapBnd))
	check("CapAmb", st.CapAmb, names(l.CapAmb))
	check("uid", st.UID, l.UID[1])
	check("gid", st.GID, l.GID[1])
	check("groups", st.Groups, orEmpty(l.Groups))
	check("no_new_privs", st.NoNewPrivs, l.NoNewPrivs)
	check("seccomp mode", st.Seccomp, l.Seccomp)
	if st.SeccompFilters >= 0 {
		check("seccomp filters", st.SeccompFilters, len(l.Filters))
	}
	check("AppArmor label", labelName(st.AppArmor), l.AppArmor)
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func orEmpty[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
