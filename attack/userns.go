package attack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/caps"
)

// UserNSCheck names where the kernel makes a path's capability check, or
// whose object root passes on as its owner: what decides whether a user
// namespace of the workload's own, whose root holds every capability in
// it and is an unprivileged id outside, closes the path.
type UserNSCheck string

const (
	// UserNSInit: the capability is asked in the initial user namespace
	// (capable(): the clock, modules, device numbers, BPF), or over an
	// object of the host's (another namespace, a host process). No user
	// namespace but the host's can give it.
	UserNSInit UserNSCheck = "init"
	// UserNSNet, UserNSMount, UserNSPID: the capability is asked over the
	// user namespace that owns the network, mount or PID namespace. A
	// container runtime makes those inside the workload's user namespace
	// (its capabilities then hold); rampart run leaves them the host's.
	UserNSNet   UserNSCheck = "net"
	UserNSMount UserNSCheck = "mnt"
	UserNSPID   UserNSCheck = "pid"
	// UserNSCgroup: over the owner of the cgroup namespace (a cgroup v1
	// mount, cgroup1_get_tree).
	UserNSCgroup UserNSCheck = "cgroup"
	// UserNSOwn: the capability is asked in the caller's own user
	// namespace (chroot, setuid), or over a namespace the caller can make
	// in it first (a mount namespace to mount a tmpfs in): a user
	// namespace never takes it away.
	UserNSOwn UserNSCheck = "own"
	// UserNSHostOwner: root passes because it owns a host object (a
	// /proc file, a device node, a runtime's socket; /proc/sys compares
	// with the initial namespace's root itself). The root of a user
	// namespace is another uid outside, and its CAP_DAC_OVERRIDE does not
	// reach a file whose owner it does not map.
	UserNSHostOwner UserNSCheck = "host-owner"
	// UserNSFile: as UserNSHostOwner, for a file of the workload's root
	// filesystem: the host's own under rampart run, the image's (owned
	// by the namespace's root) in a container.
	UserNSFile UserNSCheck = "file"
)

// UserNSFacts is what decides a user namespace's effect on a path,
// besides the path itself.
type UserNSFacts struct {
	// OwnsOthers: the workload's network, mount and PID namespaces were
	// made inside its user namespace (a container runtime's), not the
	// host's (rampart run --userns).
	OwnsOthers bool
	// Owns, when set, answers for each namespace type instead (a
	// probe's reading of NS_GET_USERNS).
	Owns func(ns string) bool
}

func (f UserNSFacts) owns(ns string) bool {
	if f.Owns != nil {
		return f.Owns(ns)
	}
	return f.OwnsOthers
}

// UserNSCloses says whether a user namespace of the workload's own
// closes p for a process that holds what p asks in its namespace (the
// capabilities, or root's ownership), and why. ctx is the process's
// context outside the namespace (Root: uid 0 in it); a path whose check
// does not apply in ctx (a sysctl that lets anyone in) is not closed.
func UserNSCloses(p *Path, ctx Context, f UserNSFacts) (string, bool) {
	// In the namespace: root no longer owns what the host's root owns
	// (MissingCapsFor asks CAP_KILL of it toward the host's processes).
	ctx.UserNS = true
	needs := MissingCapsFor(p, 0, 0, ctx)
	capName := strings.Join(needs.Names(caps.Cap.OCI), ", ")
	switch p.Model.UserNS {
	case UserNSInit:
		if needs == 0 {
			return "", false
		}
		return fmt.Sprintf("the kernel asks for %s in the initial user namespace (or over the host's), where the workload's own gives none", capName), true
	case UserNSNet, UserNSMount, UserNSPID, UserNSCgroup:
		if needs == 0 || f.owns(string(p.Model.UserNS)) {
			return "", false
		}
		return fmt.Sprintf("the kernel asks for %s over the user namespace that owns the %s namespace, which is the host's, not the workload's", capName, nsWord[p.Model.UserNS]), true
	case UserNSHostOwner, UserNSFile:
		if !ctx.Root || (p.Model.UserNS == UserNSFile && f.OwnsOthers) {
			return "", false
		}
		return "uid 0 passes as the owner of the host's file, and the namespace's uid 0 is another uid on the host; its CAP_DAC_OVERRIDE reaches no file whose owner it does not map", true
	}
	return "", false
}

var nsWord = map[UserNSCheck]string{UserNSNet: "network", UserNSMount: "mount", UserNSPID: "PID", UserNSCgroup: "cgroup"}

// usernsExplains is attribution's userns check: in a user namespace of
// its own, a permission refusal of a path the namespace closes, where
// CapEff holds what the path asks.
func usernsExplains(p *Path, o Outcome, st *State) string {
	if st.Namespaces["user"] != "private" || !(permissionErrno(o.Errno) || slices.Contains(p.capErrnos, o.Errno)) {
		return ""
	}
	ctx := st.context()
	f := UserNSFacts{Owns: func(ns string) bool { return slices.Contains(st.UserNSOwns, ns) }}
	switch p.Model.UserNS {
	case UserNSHostOwner, UserNSFile:
		// Only a refusal of the permission bits is the owner's.
		if o.DACAllows == nil || *o.DACAllows {
			return ""
		}
		f.OwnsOthers = false // the probe's file is the one it reached
	default:
		if MissingCapsFor(p, o.NeedCaps, st.Status.CapEff, ctx) != 0 {
			return ""
		}
	}
	why, ok := UserNSCloses(p, ctx, f)
	if !ok {
		return ""
	}
	return fmt.Sprintf("in a user namespace of its own (uid_map %s): %s", strings.Join(st.UIDMap, "; "), why)
}
