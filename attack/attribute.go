package attack

import (
	"fmt"
	"slices"
	"strings"
	"syscall"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"

	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// Verdict values.
const (
	Open    = "open"
	Blocked = "blocked"
)

// Layer names a blocking layer.
const (
	ByCapabilities = "capabilities"
	BySeccomp      = "seccomp"
	ByUserNS       = "userns"
	ByLSM          = "lsm"
	ByOther        = "other"
)

// Result is one path's verdict with its evidence.
type Result struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Verdict is "open" or "blocked".
	Verdict string `json:"verdict"`
	// Layer is the blocking layer: capabilities, seccomp, userns, lsm or other;
	// empty when open. When the evidence fits more than one layer,
	// Layer is the first in kernel order and Ambiguous lists them all.
	Layer string `json:"layer,omitempty"`
	// LSM names the LSM when Layer is lsm (AppArmor, Landlock, ...).
	LSM       string   `json:"lsm,omitempty"`
	Ambiguous []string `json:"ambiguous,omitempty"`
	// Errno is the refusal ("EPERM"), empty when open.
	Errno string `json:"errno,omitempty"`
	// Step is the call the verdict is about.
	Step string `json:"step"`
	// Evidence says, in words, why this layer.
	Evidence string `json:"evidence"`
	// Inferred: the probe could not make the call harmlessly here, and
	// the verdict follows from a canary, CapEff and the kernel's order
	// of checks (the evidence says how).
	Inferred bool `json:"inferred,omitempty"`
}

// Attribute decides which layer closed a path, from the outcome and what
// the process can read about itself. It runs the checks in the order the
// kernel applies the layers: seccomp at syscall entry, then the
// capability check, then LSM hooks; what remains is "other" (a sysctl, a
// read-only mount, an absent target, yama).
func Attribute(p *Path, o Outcome, st *State) Result {
	r := attribute(p, o, st)
	// Name the variant that decided where the filter refused others: the
	// layer that closes the path is the one that closes them all.
	switch {
	case (len(o.Filtered) == 0 && len(o.Missing) == 0) || o.Variant == "":
	case r.Verdict == Open:
		r.Evidence += fmt.Sprintf(" (through %s: the seccomp filter refuses %s)", o.Variant, strings.Join(o.Filtered, ", "))
	case r.Layer == BySeccomp:
		r.Evidence += "; it refuses every variant: " + strings.Join(o.Filtered, ", ")
		if len(o.Missing) > 0 {
			r.Evidence += "; not here: " + strings.Join(o.Missing, "; ")
		}
	case len(o.Filtered) == 0:
		// No variant was refused by the filter; some do not exist here.
		r.Evidence += "; not here: " + strings.Join(o.Missing, "; ")
	default:
		asked := ""
		if o.FilterAsked != "" {
			asked = " (asked about the call without running it)"
		}
		r.Evidence = fmt.Sprintf("the seccomp filter refuses %s but lets %s through%s; then %s", strings.Join(o.Filtered, ", "), o.Variant, asked, r.Evidence)
	}
	if o.Inferred != "" {
		r.Inferred = true
		if !o.Open {
			r.Evidence += "; inferred, not measured: " + o.Inferred
		}
	}
	return r
}

func attribute(p *Path, o Outcome, st *State) Result {
	r := Result{ID: p.ID, Title: p.Title, Step: o.Step}
	if o.Open {
		r.Verdict, r.Evidence = Open, o.Detail
		return r
	}
	r.Verdict = Blocked
	if o.Absent != "" {
		r.Layer, r.Evidence = ByOther, o.Absent
		return r
	}
	e := o.Errno
	r.Errno = linuxabi.ErrnoName(uint64(e))
	if r.Errno == "" {
		r.Errno = fmt.Sprintf("errno %d", int(e))
	}
	var layers []string
	var evidence []string

	// seccomp: the canary got the real call's errno where the kernel
	// itself answers otherwise, so the filter decided at syscall entry
	// and the kernel's own checks never ran. Only an LSM hook that also
	// runs before the canary's argument check (AppArmor's socket_create)
	// could have given the same errno.
	if st.Seccomp == 2 && o.CanaryErrno != nil && *o.CanaryErrno == e && e != p.CanaryErrno {
		r.Layer = BySeccomp
		how := fmt.Sprintf("a canary call the kernel rejects with %s got %s too", linuxabi.ErrnoName(uint64(p.CanaryErrno)), r.Errno)
		switch {
		case o.FilterAsked != "":
			how = o.FilterAsked
		case p.CanaryErrno == 0:
			how = fmt.Sprintf("the kernel never refuses this call, yet it got %s", r.Errno)
		}
		r.Evidence = fmt.Sprintf("%s, so the seccomp filter decided (mode 2, %d filter(s))", how, st.SeccompFilters)
		if e == linuxabi.EACCES && st.AppArmorConfined() && hasLSMAccess(p) {
			r.Ambiguous = []string{BySeccomp, ByLSM}
			r.Evidence += fmt.Sprintf("; or AppArmor profile %s, whose hooks can refuse before the same argument check", st.AppArmor)
		}
		return r
	}
	// seccomp, inferred: the probe's set-up failed, so the attack's call
	// was never made, but its canary got something other than the
	// kernel's own answer: the filter refuses the call itself, whatever
	// the set-up. (Inferred: the canary's arguments are not the attack's,
	// and a filter could tell them apart.)
	if o.Setup && st.Seccomp == 2 && o.CanaryErrno != nil && *o.CanaryErrno != p.CanaryErrno {
		r.Layer, r.Inferred = BySeccomp, true
		kernel := "which the kernel rejects with " + linuxabi.ErrnoName(uint64(p.CanaryErrno))
		if p.CanaryErrno == 0 {
			kernel = "which the kernel never refuses"
		}
		r.Evidence = fmt.Sprintf("the probe's set-up failed (%s: %s), so the attack's call was never made; its canary call, %s, got %s: the seccomp filter (mode 2, %d filter(s)) refuses the call itself; inferred, not measured: the canary's arguments are not the attack's",
			o.Step, r.Errno, kernel, linuxabi.ErrnoName(uint64(*o.CanaryErrno)), st.SeccompFilters)
		return r
	}
	// capabilities: the kernel checks one the process lacks.
	if missing := MissingCapsFor(p, o.NeedCaps, st.Status.CapEff, st.context()); missing != 0 && (permissionErrno(e) || slices.Contains(p.capErrnos, e)) {
		// No canary spoke (none exists where the kernel's first check is
		// the capability): a filter that refused first cannot be ruled out.
		if st.Seccomp == 2 && o.CanaryErrno == nil {
			layers = append(layers, BySeccomp)
			evidence = append(evidence, "no canary can tell whether the seccomp filter (mode 2) refused it first")
		}
		layers = append(layers, ByCapabilities)
		ev := fmt.Sprintf("CapEff lacks %s", strings.Join(missing.Names(caps.Cap.OCI), ", "))
		if o.FilterAsked != "" && len(o.Filtered) == 0 {
			ev = o.FilterAsked + ", and " + ev
		}
		evidence = append(evidence, ev)
	}
	// userns: the capability is held, but in a user namespace that does
	// not own what the kernel asked it over; or root was compared with
	// the owner of a host object, and the namespace's root is not that
	// owner. Both are decided before any LSM hook runs.
	if why := usernsExplains(p, o, st); why != "" {
		layers = append(layers, ByUserNS)
		evidence = append(evidence, why)
	} else if lsm, why := lsmExplains(p, o, st); lsm != "" {
		// LSM: a refusal that permission bits and capabilities do not explain.
		layers = append(layers, ByLSM)
		r.LSM = lsm
		evidence = append(evidence, why)
	}
	switch {
	case len(layers) == 0:
		r.Layer = ByOther
		r.Evidence = otherEvidence(p, o, st)
	default:
		r.Layer = layers[0]
		r.Evidence = strings.Join(evidence, "; ")
		if len(layers) > 1 {
			r.Ambiguous = layers
		}
		if r.Layer != ByLSM {
			r.LSM = ""
		}
	}
	return r
}

// context is what MissingCaps needs to know about this process. Only on
// the host's pid namespace is pid 1 surely another process's.
func (st *State) context() Context {
	return Context{Root: st.UID == 0, UserNS: st.Namespaces["user"] == "private", ForeignPID1: st.Namespaces["pid"] == "host", Sysctls: st.Sysctls}
}

func permissionErrno(e syscall.Errno) bool {
	return e == linuxabi.EPERM || e == linuxabi.EACCES
}

// lsmExplains names the LSM that can explain a refusal, if any.
func lsmExplains(p *Path, o Outcome, st *State) (string, string) {
	if !permissionErrno(o.Errno) {
		return "", ""
	}
	// The permission bits are checked before any LSM's file hooks: where
	// faccessat says they refuse, no LSM was asked.
	if o.DACAllows != nil && !*o.DACAllows {
		return "", ""
	}
	if st.AppArmorConfined() && hasLSMAccess(p) {
		return "AppArmor", fmt.Sprintf("confined by AppArmor profile %s", st.AppArmor)
	}
	// A scope refuses with EPERM from its hook (task_kill,
	// unix_stream_connect, unix_may_send), after the capability check:
	// with the kernel's scopes at hand and nothing before explaining it,
	// a Landlock domain did. Where the capability check refused, the
	// hook was never asked.
	if p.Model.Scope != "" && o.Errno == linuxabi.EPERM && st.LandlockABI >= features.LandlockScopeABI &&
		MissingCapsFor(p, o.NeedCaps, st.Status.CapEff, st.context()) == 0 {
		return "Landlock", fmt.Sprintf("EPERM that capabilities and seccomp do not explain, and Landlock's %s scope (ABI %d; this kernel has %d) refuses exactly this to a domain, toward what is outside it: a Landlock domain denied it", p.Model.Scope, features.LandlockScopeABI, st.LandlockABI)
	}
	if o.DACAllows != nil && *o.DACAllows && o.Errno == linuxabi.EACCES {
		cands := st.PathLSMs()
		switch {
		case len(cands) == 1 && cands[0] == "landlock":
			return "Landlock", "permission bits and capabilities allow it (faccessat), and Landlock is the only path-based LSM active: a Landlock domain denied it"
		case len(cands) > 0:
			return strings.Join(cands, "/"), "permission bits and capabilities allow it (faccessat), so an LSM denied it: one of " + strings.Join(cands, ", ")
		}
	}
	return "", ""
}

func hasLSMAccess(p *Path) bool { return len(p.Model.LSM) > 0 }

// otherEvidence explains a refusal none of the three layers explains.
func otherEvidence(p *Path, o Outcome, st *State) string {
	switch o.Errno {
	case linuxabi.EROFS:
		return "read-only mount (EROFS)"
	case linuxabi.ENOENT:
		return "not present (ENOENT)"
	case linuxabi.ENOSYS:
		return "the kernel does not have this call (ENOSYS)"
	}
	if o.DACAllows != nil && !*o.DACAllows {
		return fmt.Sprintf("file permissions deny uid %d (and CapEff has no DAC override)", st.UID)
	}
	if o.Detail != "" {
		return o.Detail
	}
	return fmt.Sprintf("%s, not explained by capabilities (CapEff has what the kernel checks), seccomp (mode %d) or an LSM", linuxabi.ErrnoName(uint64(o.Errno)), st.Seccomp)
}
