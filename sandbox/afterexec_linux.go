package sandbox

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/lsm/landlock"
	"github.com/rampart-sec/rampart/policy"
)

// predictExec computes the capability sets CMD holds after execve: what
// rampart sets is what rampart holds, not what the workload gets. A
// non-root CMD without file capabilities keeps only its ambient set, a
// root one gets its bounding set, a program with file capabilities gets
// those; -v says which.
func (pl *Plan) predictExec(self *procstatus.Status) error {
	before := caps.Sets{Bounding: self.CapBnd, Effective: self.CapEff, Permitted: self.CapPrm, Inheritable: self.CapInh, Ambient: self.CapAmb}
	if pl.Caps != nil {
		before = *pl.Caps
	}
	ruid, euid := self.Uid[0], self.Uid[1]
	if pl.User != nil {
		ruid, euid = pl.User.UID, pl.User.UID
	}
	bits, err := unix.PrctlRetInt(unix.PR_GET_SECUREBITS, 0, 0, 0, 0)
	if err != nil {
		return fmt.Errorf("securebits: %w", err)
	}
	ctx := caps.ExecContext{NoNewPrivs: pl.NoNewPrivs || self.NoNewPrivs, NoRoot: bits&secbitNoRoot != 0}
	var why []string
	var st unix.Stat_t
	if err := unix.Stat(pl.Path, &st); err != nil {
		return &LayerError{Layer: LayerExec, Err: err}
	}
	if !ctx.NoNewPrivs {
		// Without no_new_privs the set-ID bits apply (unless the mount
		// is nosuid, which only makes this prediction err on the side
		// of more privilege).
		if st.Mode&unix.S_ISUID != 0 && int(st.Uid) != euid {
			euid, ctx.SetID = int(st.Uid), true
			why = append(why, fmt.Sprintf("set-user-ID %d", st.Uid))
		}
		if st.Mode&unix.S_ISGID != 0 {
			ctx.SetID = true
			why = append(why, "set-group-ID")
		}
	}
	ctx.RealRoot, ctx.EffectiveRoot = ruid == 0, euid == 0
	buf := make([]byte, 64)
	n, err := unix.Getxattr(pl.Path, "security.capability", buf)
	switch {
	case err == nil:
		if ctx.File, err = caps.ParseFileCaps(buf[:n]); err != nil {
			return &LayerError{Layer: LayerCapabilities, Err: fmt.Errorf("%s: %w", pl.Path, err)}
		}
		why = append(why, fmt.Sprintf("file capabilities %s%s", ctx.File.Permitted, map[bool]string{true: " (e)"}[ctx.File.Effective]))
	case errors.Is(err, unix.ENODATA), errors.Is(err, unix.ENOTSUP):
	default:
		return &LayerError{Layer: LayerExec, Err: fmt.Errorf("%s: reading file capabilities: %w", pl.Path, err)}
	}
	if ctx.File == nil {
		why = append(why, "no file capabilities")
	}
	pl.cmdUID = euid
	if pl.AfterExec, err = before.Exec(ctx); err != nil {
		return &LayerError{Layer: LayerExec, Err: fmt.Errorf("%s: %w", pl.Path, err)}
	}
	switch {
	case ctx.NoRoot:
		why = append(why, "SECBIT_NOROOT: uid 0 is not special")
	case euid == 0:
		why = append(why, "uid 0: gets its bounding set")
	case ctx.File == nil:
		why = append(why, fmt.Sprintf("uid %d: keeps only its ambient set", euid))
	}
	if ctx.NoNewPrivs {
		why = append(why, "no_new_privs: nothing beyond the permitted set")
	}
	pl.AfterExecWhy = strings.Join(why, "; ")
	return nil
}

// secbitNoRoot is SECBIT_NOROOT (linux/securebits.h).
const secbitNoRoot = 1 << 0

// checkMetadata says what a write denial leaves open. Landlock has no
// right for chmod, chown, utimes or setxattr: they stay as the kernel's
// own checks allow them, to the file's owner and to CAP_FOWNER (modes,
// times, attributes) or CAP_CHOWN (owners). Where CMD will have that
// power, a --deny-write or --read-only rule gets a note; a rule that
// stands in for an AppArmor profile refuses the launch, because
// AppArmor's w also denies those operations and the profile would be
// enforced as less than it says.
func (pl *Plan) checkMetadata(rules, fallback []policy.FSRule) error {
	check := func(r policy.FSRule) string {
		if r.Mode != policy.DenyWrite && r.Mode != policy.ReadOnly {
			return ""
		}
		var who []string
		var st unix.Stat_t
		if unix.Stat(r.Path, &st) == nil && int(st.Uid) == pl.cmdUID {
			who = append(who, fmt.Sprintf("runs as its owner (uid %d)", st.Uid))
		}
		var kept []string
		for _, c := range []caps.Cap{caps.FOWNER, caps.CHOWN} {
			if pl.AfterExec.Permitted.Has(c) {
				kept = append(kept, c.OCI())
			}
		}
		if len(kept) > 0 {
			who = append(who, "keeps "+strings.Join(kept, " and "))
		}
		if len(who) == 0 {
			return ""
		}
		return fmt.Sprintf("CMD %s, so it can still change the mode, owner, times and extended attributes of %s (Landlock does not cover metadata; --cap-drop FOWNER,CHOWN and --user another uid close that)", strings.Join(who, " and "), r.Path)
	}
	for _, r := range fallback {
		if why := check(r); why != "" {
			return refuse(LayerAppArmor, "%s: AppArmor's w also denies chmod, chown and setting times and attributes, which Landlock cannot: %s", r.Origin, why)
		}
	}
	for _, r := range rules {
		if why := check(r); why != "" {
			pl.Notes = append(pl.Notes, r.String()+": "+why)
		}
	}
	return nil
}

// memoryCaps reach a file's bytes where no path rule can follow: kernel
// and physical memory (SYS_RAWIO: /proc/kcore, /dev/mem), code in the
// kernel (SYS_MODULE), BPF tracing programs that read kernel memory
// (BPF with PERFMON, or SYS_ADMIN), and the memory of another process
// that read the file (SYS_PTRACE). Closing them is the capability
// layer's job; a deny-read says which CMD keeps.
var memoryCaps = caps.Of(caps.SYS_RAWIO, caps.SYS_MODULE, caps.BPF, caps.PERFMON, caps.SYS_ADMIN, caps.SYS_PTRACE)

func (pl *Plan) noteCapabilityRoutes(rules []policy.FSRule) {
	kept := pl.AfterExec.Permitted.Intersect(memoryCaps)
	if kept == 0 {
		return
	}
	for _, r := range rules {
		if r.Mode == policy.DenyRead {
			detail := ""
			if m := landlock.MemoryRoutes(); len(m) > 0 {
				detail = " (here: " + strings.Join(m, ", ") + ")"
			}
			pl.Notes = append(pl.Notes, fmt.Sprintf("deny-read holds against paths, not against %s, which CMD keeps: they read kernel or process memory%s, where a denied file's bytes may be; --cap-drop %s closes that", kept, detail, strings.Join(kept.Names(caps.Cap.String), ",")))
			return
		}
	}
}
