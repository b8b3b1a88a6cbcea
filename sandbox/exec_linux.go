package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/opencontainers/runc/libcontainer/capabilities"
	"github.com/opencontainers/runc/libcontainer/configs"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// Exec applies the plan to the calling thread and replaces the process
// with the workload. It returns only on failure, and then the workload
// has not run. The process must not be used afterwards: on failure some
// layers may already hold the thread.
//
// The order is runc's (docs/ARCHITECTURE.md): AppArmor exec label,
// no_new_privs, Landlock, seccomp when no_new_privs is off (loading then
// needs CAP_SYS_ADMIN, which the capability drop would take away),
// bounding set, user and groups, capability sets, and seccomp last when
// no_new_privs is on, so the filter sees as few of rampart's own syscalls
// as possible.
//
// Every step changes only the calling thread; the thread is locked, and
// execve keeps only it, so Go's other threads never carry the workload.
// verbose, when not nil, receives the state the kernel reports.
func (pl *Plan) Exec(verbose io.Writer) error {
	runtime.LockOSThread()
	// No UnlockOSThread: the thread is tainted whichever way this ends.

	if err := CheckPreserveFDs(pl.PreserveFDs); err != nil {
		return refuse(LayerExec, "%v", err)
	}
	if pl.Landlock != nil {
		if err := checkKeptFDs(2+pl.PreserveFDs, pl.Landlock.Denials); err != nil {
			return err
		}
	}
	if err := closeExtraFDs(3 + pl.PreserveFDs); err != nil {
		return &LayerError{Layer: LayerExec, Err: err}
	}

	// Opened before Landlock and seccomp could refuse a new open.
	statusFile, err := os.Open("/proc/thread-self/status")
	if err != nil {
		return fmt.Errorf("open own status: %w", err)
	}
	before, err := procstatus.ReadAt(statusFile)
	if err != nil {
		return fmt.Errorf("read own status: %w", err)
	}

	if pl.AppArmorProfile != "" {
		if pl.AppArmorLoad != "" {
			_, err := apparmor.Load([]string{pl.AppArmorLoad}, apparmor.LoadOptions{})
			if pl.appArmorTemp {
				os.Remove(pl.AppArmorLoad)
			}
			if err != nil {
				return &LayerError{Layer: LayerAppArmor, Err: err}
			}
		}
		if err := apparmor.Attach(pl.AppArmorProfile); err != nil {
			return &LayerError{Layer: LayerAppArmor, Err: err}
		}
	}
	if pl.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return &LayerError{Layer: LayerNoNewPrivs, Err: err}
		}
	}
	if pl.ruleset != nil {
		if err := pl.ruleset.Restrict(); err != nil {
			return &LayerError{Layer: LayerLandlock, Err: err}
		}
		pl.ruleset.Close()
		// Checked while the thread may still hold CAP_DAC_OVERRIDE, so a
		// refusal can only come from Landlock.
		if err := pl.ruleset.Verify(); err != nil {
			return &LayerError{Layer: LayerLandlock, Err: err}
		}
	}
	if pl.Seccomp != nil && !pl.NoNewPrivs {
		if err := pl.filter.Install(); err != nil {
			return &LayerError{Layer: LayerSeccomp, Err: err}
		}
	}

	var rc *capabilities.Caps
	if pl.Caps != nil {
		rc, err = capabilities.New(runcCaps(pl.Caps))
		if err != nil {
			return &LayerError{Layer: LayerCapabilities, Err: err}
		}
		if err := rc.ApplyBoundingSet(); err != nil {
			return &LayerError{Layer: LayerCapabilities, Err: fmt.Errorf("bounding set: %w", err)}
		}
	}
	if pl.User != nil {
		if err := setUser(pl.User.UID, pl.User.GID, rc != nil); err != nil {
			return &LayerError{Layer: LayerUser, Err: err}
		}
	}
	if rc != nil {
		if err := rc.ApplyCaps(); err != nil {
			return &LayerError{Layer: LayerCapabilities, Err: err}
		}
	}

	st, err := procstatus.ReadAt(statusFile)
	if err != nil {
		return fmt.Errorf("verify: read own status: %w", err)
	}
	if err := pl.verify(st); err != nil {
		return err
	}

	if pl.Seccomp != nil && pl.NoNewPrivs {
		if err := pl.filter.Install(); err != nil {
			return &LayerError{Layer: LayerSeccomp, Err: err}
		}
	}
	if pl.Seccomp != nil {
		// The read goes through the fd opened before any filter; pread64
		// is allowed by every profile that can run a dynamic binary.
		after, err := procstatus.ReadAt(statusFile)
		if err != nil {
			return &LayerError{Layer: LayerSeccomp, Err: fmt.Errorf("verify: %w", err)}
		}
		if n := pl.filter.Filters(); after.Seccomp != 2 || (before.SeccompFilters >= 0 && after.SeccompFilters != before.SeccompFilters+n) {
			return refuse(LayerSeccomp, "verify: kernel reports seccomp mode %d with %d filters after loading %d (had %d)", after.Seccomp, after.SeccompFilters, n, before.SeccompFilters)
		}
		st = after
	}
	statusFile.Close()
	if verbose != nil {
		pl.report(verbose, st)
	}

	err = unix.Exec(pl.Path, pl.Argv, pl.Env)
	return &LayerError{Layer: LayerExec, Err: fmt.Errorf("%s: %w", pl.Path, err)}
}

func runcCaps(s *CapSets) *configs.Capabilities {
	return &configs.Capabilities{
		Bounding:    s.Bounding.Names(caps.Cap.OCI),
		Effective:   s.Effective.Names(caps.Cap.OCI),
		Permitted:   s.Permitted.Names(caps.Cap.OCI),
		Inheritable: s.Inheritable.Names(caps.Cap.OCI),
		Ambient:     s.Ambient.Names(caps.Cap.OCI),
	}
}

// setUser changes the calling thread's identity with raw syscalls: the
// libc and Go wrappers change every thread, and only this one execs.
// keepCaps keeps the permitted set across the uid change so the
// capability step can then set exactly the requested sets, as runc does.
func setUser(uid, gid int, keepCaps bool) error {
	if keepCaps {
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("keepcaps: %w", err)
		}
	}
	// Supplementary groups first, while still privileged: a leftover
	// group (root's 0) would keep group-owned files reachable.
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, 0, 0, 0); e != 0 {
		return fmt.Errorf("setgroups: %w", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(gid), uintptr(gid), uintptr(gid)); e != 0 {
		return fmt.Errorf("setresgid(%d): %w", gid, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); e != 0 {
		return fmt.Errorf("setresuid(%d): %w", uid, e)
	}
	if keepCaps {
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
			return fmt.Errorf("keepcaps: %w", err)
		}
	}
	return nil
}

// verify compares what the kernel reports with what the plan asked for.
func (pl *Plan) verify(st *procstatus.Status) error {
	var errs []error
	check := func(layer, what string, got, want any) {
		if got != want {
			errs = append(errs, refuse(layer, "verify: %s is %v, want %v", what, got, want))
		}
	}
	if c := pl.Caps; c != nil {
		check(LayerCapabilities, "CapBnd", st.CapBnd, c.Bounding)
		check(LayerCapabilities, "CapEff", st.CapEff, c.Effective)
		check(LayerCapabilities, "CapPrm", st.CapPrm, c.Permitted)
		check(LayerCapabilities, "CapInh", st.CapInh, c.Inheritable)
		check(LayerCapabilities, "CapAmb", st.CapAmb, c.Ambient)
	}
	if u := pl.User; u != nil {
		check(LayerUser, "uid", st.Uid, [4]int{u.UID, u.UID, u.UID, u.UID})
		check(LayerUser, "gid", st.Gid, [4]int{u.GID, u.GID, u.GID, u.GID})
		check(LayerUser, "supplementary groups", len(st.Groups), 0)
	}
	if pl.NoNewPrivs || pl.noNNP {
		check(LayerNoNewPrivs, "NoNewPrivs", st.NoNewPrivs, pl.NoNewPrivs)
	}
	return errors.Join(errs...)
}

func (pl *Plan) report(w io.Writer, st *procstatus.Status) {
	fmt.Fprintf(w, "rampart: uid=%d gid=%d groups=%v\n", st.Uid[1], st.Gid[1], st.Groups)
	fmt.Fprintf(w, "rampart: CapBnd=%s (%s)\n", st.CapBnd.Hex(), st.CapBnd)
	fmt.Fprintf(w, "rampart: CapEff=%s CapPrm=%s CapInh=%s CapAmb=%s\n", st.CapEff.Hex(), st.CapPrm.Hex(), st.CapInh.Hex(), st.CapAmb.Hex())
	fmt.Fprintf(w, "rampart: NoNewPrivs=%v Seccomp=%d Seccomp_filters=%d\n", b2i(st.NoNewPrivs), st.Seccomp, st.SeccompFilters)
	if pl.Landlock != nil {
		fmt.Fprintf(w, "rampart: Landlock domain enforced for %s (handled: %s; %d grants; scoped: %s)\n", pl.LandlockFor, pl.Landlock.Handled, len(pl.Landlock.Grants), pl.Landlock.Scoped)
	}
	if pl.AppArmorProfile != "" {
		fmt.Fprintf(w, "rampart: AppArmor exec label %s\n", pl.AppArmorProfile)
	}
	a := pl.AfterExec
	fmt.Fprintf(w, "rampart: after exec: CapEff=%s CapPrm=%s CapInh=%s CapAmb=%s (%s)\n", a.Effective.Hex(), a.Permitted.Hex(), a.Inheritable.Hex(), a.Ambient.Hex(), pl.AfterExecWhy)
	fmt.Fprintf(w, "rampart: after exec: CMD's effective capabilities: %s\n", a.Effective)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CheckPreserveFDs refuses a --preserve-fds count no process can have: a
// count past the descriptor limit names no descriptor, and past 2^32-3
// close_range's unsigned start would wrap to 0 and close stdin, stdout
// and stderr at exec.
func CheckPreserveFDs(n int) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("RLIMIT_NOFILE: %w", err)
	}
	limit := min(lim.Cur, 1<<30) // fs.nr_open's ceiling: no table is larger
	if n < 0 || uint64(n) > limit-3 {
		return fmt.Errorf("--preserve-fds %d: want 0 to %d (RLIMIT_NOFILE %d, less stdin, stdout and stderr)", n, limit-3, limit)
	}
	return nil
}
