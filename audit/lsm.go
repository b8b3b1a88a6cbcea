package audit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

// aaEntry is an AppArmor profile parsed and compiled once.
type aaEntry struct {
	name, origin, how, note string
	// refused says why the node cannot load the profile, when
	// apparmor_parser refuses it.
	refused  string
	compiled *apparmor.Compiled
	memo     map[string]aaVerdict
}

type aaVerdict struct {
	denied bool
	why    string
}

var noLSM = &aaEntry{name: "none", how: "no confinement"}

func (a *Auditor) apparmor(ref *policy.AppArmor) *aaEntry {
	if !a.node.AppArmor {
		if ref == nil || ref.Kind == policy.AppArmorUnconfined {
			e := *noLSM
			if ref != nil {
				e.name, e.origin = "unconfined", ref.Origin
			}
			e.how = "no AppArmor on the node"
			return &e
		}
		// The pod is refused (see Container); the layer is absent.
		return &aaEntry{name: ref.String(), origin: ref.Origin, how: "not applied: the node has no AppArmor"}
	}
	if ref == nil || ref.Kind == policy.AppArmorRuntimeDefault {
		origin := "node default (--apparmor-node)"
		if ref != nil {
			origin = ref.Origin
		}
		if a.generic == nil {
			a.generic = runtimeDefaultAppArmor(a.rt.AppArmor)
		}
		e := *a.generic
		e.origin = origin
		return &e
	}
	if ref.Kind == policy.AppArmorUnconfined {
		return &aaEntry{name: "unconfined", origin: ref.Origin, how: "no confinement"}
	}
	// Localhost.
	if ref.File == "" {
		return &aaEntry{name: ref.Name, origin: ref.Origin, how: "not evaluated",
			note: fmt.Sprintf("AppArmor profile %q: its source is not at hand (--profiles DIR): predicted as if it denied nothing", ref.Name)}
	}
	key := ref.File + "\x00" + ref.Name
	if e, ok := a.aa[key]; ok {
		c := *e
		c.origin = ref.Origin
		return &c
	}
	e := &aaEntry{name: ref.Name, how: "AppArmor evaluator (" + ref.File + ")", memo: map[string]aaVerdict{}}
	a.aa[key] = e
	// The node compiles the file with apparmor_parser before loading
	// it: a profile the parser refuses confines nothing, and the runtime
	// refuses to start a container that names a profile not loaded. Its
	// predictions stay those of no profile, and the audit says why.
	if err := a.aaCheck.CheckFile(ref.File); err != nil {
		if pe := (*apparmor.ParserError)(nil); errors.As(err, &pe) {
			if !a.aaFailed[ref.File] {
				a.aaFailed[ref.File] = true
				a.aaRefused = append(a.aaRefused, DocError{File: ref.File, Message: err.Error()})
			}
			e.how = "refused by apparmor_parser"
			e.refused = fmt.Sprintf("the node cannot load AppArmor profile %q (%s): apparmor_parser refuses it, and the runtime refuses a container whose profile is not loaded", ref.Name, ref.File)
			e.note = fmt.Sprintf("AppArmor profile %q: %v: predicted as if it denied nothing", ref.Name, err)
			c := *e
			c.origin = ref.Origin
			return &c
		}
	}
	prof, err := apparmor.ProfileIn(ref.File, ref.Name)
	if err == nil {
		e.compiled, err = apparmor.Compile(prof, apparmor.SystemIncludes)
	}
	if err != nil {
		e.how = "not evaluated"
		e.note = fmt.Sprintf("AppArmor profile %q: %v: predicted as if it denied nothing", ref.Name, err)
	}
	c := *e
	c.origin = ref.Origin
	return &c
}

// runtimeDefaultAppArmor is the profile a container that asks for none,
// or for RuntimeDefault, runs under on a node with AppArmor: the
// runtime's own where rampart keeps it (containerd's
// cri-containerd.apparmor.d, as the release renders it on the node), else
// rampart's stand-in, made from the same kinds of rules. Predicting
// containerd's with the stand-in would miss what its rules close and
// leave open (its /proc/sys patterns, mount, ptrace across profiles).
func runtimeDefaultAppArmor(d runtimes.AppArmor) *aaEntry {
	e := &aaEntry{name: d.Name, memo: map[string]aaVerdict{}}
	var prof *apparmor.Profile
	var err error
	// The stand-in is evaluated with rampart's bundled includes, as
	// rampart run loads it; the runtime's own with the node's (Debian's
	// and Ubuntu's abstractions/base allow what containerd's profile
	// leaves to them: ptrace tracedby, signals from unconfined), where
	// rampart's bundled ones stand in for what the machine lacks.
	inc := apparmor.BundledIncludes
	e.how = "AppArmor evaluator on " + d.String()
	if d.Modeled() {
		inc = apparmor.SystemIncludes
		var ps []*apparmor.Profile
		if ps, err = apparmor.Parse(d.File(), d.Profile); err == nil {
			prof = ps[0]
		}
	} else {
		var doc *apparmor.Document
		if doc, err = apparmor.Generate(apparmor.Options{Name: runtimes.AppArmorProfile, ContainerDefault: true}); err == nil && len(doc.Profiles) > 0 {
			prof = doc.Profiles[0]
		}
	}
	if err == nil && prof != nil {
		e.compiled, err = apparmor.Compile(prof, inc)
	}
	if err != nil {
		e.how, e.note = "not evaluated", "runtime-default AppArmor profile "+d.Name+": "+err.Error()
	}
	return e
}

// denies says whether the profile refuses every way in of the path's
// accesses (attack.LSMRefuses); key names accs and peers for the memo
// (the path's ID, with the sockets a container reaches for
// runtime-socket, pid 1's label, which mounts count). A ptrace whose
// tracee's label is not known, and unix-socket accesses, are beyond the
// evaluator and count as allowed; so do the mounts lsmMediated drops.
func (e *aaEntry) denies(key string, accs []attack.Access, peers ptracePeers) (bool, string) {
	if v, ok := e.memo[key]; ok {
		return v.denied, v.why
	}
	var v aaVerdict
	v.why, v.denied = attack.LSMRefuses(accs, func(acc attack.Access) (string, bool) {
		q, ok := toAppArmor(acc, peers)
		if !ok {
			return "", false
		}
		d, err := e.compiled.Eval(q)
		if err != nil || d.Allowed {
			return "", false
		}
		why := "AppArmor " + e.name + " denies " + q.String()
		if w := d.Where(); w != "" {
			why += " (" + w + ")"
		}
		return why, true
	})
	e.memo[key] = v
	return v.denied, v.why
}

// ptracePeers are the AppArmor labels of the tasks a path's ptrace
// accesses reach: the container's own children, under its profile, and
// the task it sees as pid 1 ("" where that is not known).
type ptracePeers struct{ self, pid1 string }

// ptracePeers says who the container's ptrace accesses reach. Its own
// first process runs under its profile. With hostPID, pid 1 is the
// node's init, assumed unconfined (Debian's and Ubuntu's systemd run
// unconfined): a profile that allows ptrace only among its own tasks
// (containerd's) keeps the container out of the host's /proc/1, its
// namespaces and its root. With a shared process namespace pid 1 is the
// pod's pause process, which containerd starts with no profile; under
// another runtime, or an ephemeral container's target, its label is not
// known.
func (a *Auditor) ptracePeers(who *subject, lsm *aaEntry) ptracePeers {
	p := ptracePeers{self: lsm.compiled.Profile.FullName()}
	pod := who.c.Pod
	switch {
	case pod.HostPID:
		p.pid1 = "unconfined"
	case who.c.Target != "":
	case pod.ShareProcessNamespace != nil && *pod.ShareProcessNamespace:
		if a.rt.Runtime == runtimes.Containerd {
			p.pid1 = "unconfined"
		}
	default:
		p.pid1 = p.self
	}
	return p
}

// lsmMediated keeps of a path's LSM accesses those the LSM is asked on
// its way in, given the variants that pass the layers before it, and
// says which mounts it kept ("mount" or ""). AppArmor mediates mount(2)
// (security_sb_mount) but not the new mount API: fsopen, fsconfig and
// fsmount reach no AppArmor hook, so a mount rule closes a mount path
// only where every variant past the filter is mount(2). The pivot_root
// way in (pivot_root("", "")) fails its lookup before
// security_sb_pivotroot, so no pivot_root rule decides it.
func lsmMediated(accs []attack.Access, passing []attack.Variant) ([]attack.Access, string) {
	calls, onlyMount := 0, true
	for _, v := range passing {
		for _, c := range v.Calls {
			calls++
			onlyMount = onlyMount && c.Name == "mount"
		}
	}
	onlyMount = onlyMount && calls > 0
	kept := accs[:0:0]
	mediated := ""
	for _, acc := range accs {
		if acc.Kind == attack.AccessMount {
			if !onlyMount || acc.Type == "pivot_root" {
				continue
			}
			mediated = "mount"
		}
		kept = append(kept, acc)
	}
	return kept, mediated
}

func toAppArmor(a attack.Access, peers ptracePeers) (apparmor.Access, bool) {
	var s string
	switch a.Kind {
	case attack.AccessFile:
		if a.Path == "" || a.Mode == "" || strings.ContainsAny(a.Path, "\"") {
			return apparmor.Access{}, false
		}
		s = fmt.Sprintf("%q %s", a.Path, a.Mode)
	case attack.AccessNetwork:
		s = strings.TrimSpace("network " + a.Family + " " + a.Type)
	case attack.AccessCapability:
		s = "capability " + a.Cap
	case attack.AccessPtrace:
		// The path's own child, or the task at /proc/1.
		peer := peers.self
		if a.Path == "/proc/1" {
			peer = peers.pid1
		} else if a.Path != "" {
			return apparmor.Access{}, false
		}
		if peer == "" || (a.Mode != "read" && a.Mode != "trace") {
			return apparmor.Access{}, false
		}
		s = "ptrace " + a.Mode + " " + peer
	case attack.AccessSignal:
		// kthreadd, a kernel thread: unconfined, whoever asks.
		if a.Path != "/proc/2" || a.Mode != "send" || a.Type == "" {
			return apparmor.Access{}, false
		}
		s = "signal send " + a.Type + " unconfined"
	case attack.AccessMount:
		if a.Type == "pivot_root" {
			s = "pivot_root"
		} else {
			s = "mount " + a.Type + " " + a.Path
		}
	default:
		return apparmor.Access{}, false
	}
	q, err := apparmor.ParseAccess(s)
	return q, err == nil
}

// rerouted is accs with each file access at a path of at's keys moved to
// the path the attack opens instead.
func rerouted(accs []attack.Access, at map[string]string) []attack.Access {
	out := make([]attack.Access, len(accs))
	for i, acc := range accs {
		if to, ok := at[acc.Path]; ok && acc.Kind == attack.AccessFile {
			acc.Path = to
		}
		out[i] = acc
	}
	return out
}
