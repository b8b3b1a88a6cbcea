package audit

import (
	"fmt"
	"iter"
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/pathtree"
	"github.com/rampart-sec/rampart/kube"
)

// subject is who a container's process is and what the node lets reach
// it, as far as the manifest and the node's facts say: what decides the
// paths the node closes by itself — a socket that is not there, file
// permissions, a sysctl, a kernel without the call — before, between or
// after the three layers.
type subject struct {
	c kube.Container
	// root: uid 0, written or the image's (assumed root when the
	// manifest names no user).
	root bool
	// uid is the written runAsUser; nil for the image's user.
	uid *int64
	// user names the process for messages: "uid 1000".
	user string
	// gid is the primary group, nil when unknown (the image's non-root
	// user's).
	gid *ugroup
	// groups are the supplementary groups the manifest gives.
	groups    []ugroup
	effective caps.Set
	hostPID   bool
	// userns: hostUsers: false, so every volume is an idmapped mount.
	userns bool
	// fix is the field to change per path, where the node's decision
	// came from a field other than the layers' (a volume, hostPID, the
	// user).
	fix map[string]string

	socket *socketReach
}

// ugroup is a group of the process and the field (or assumption) that
// gives it.
type ugroup struct {
	id   int64
	from string
	pos  string
}

func newSubject(c kube.Container, sc *corev1.SecurityContext, psc *corev1.PodSecurityContext, root bool, effective caps.Set) *subject {
	s := &subject{c: c, root: root, effective: effective, hostPID: c.Pod.HostPID, fix: map[string]string{}}
	s.uid = sc.RunAsUser
	if s.uid == nil {
		s.uid = psc.RunAsUser
	}
	switch {
	case s.uid != nil:
		s.user = "uid " + strconv.FormatInt(*s.uid, 10)
	case root:
		s.user = "the image's user (assumed root)"
	default:
		s.user = "the image's non-root user"
	}
	// The primary group: runAsGroup, else the user's group in the image's
	// /etc/passwd — 0 for root, and 0 for a uid the image does not name
	// (runc's default, which containerd and CRI-O keep).
	switch {
	case sc.RunAsGroup != nil:
		s.gid = &ugroup{*sc.RunAsGroup, "runAsGroup", c.Pos("securityContext", "runAsGroup")}
	case psc.RunAsGroup != nil:
		s.gid = &ugroup{*psc.RunAsGroup, "the pod's runAsGroup", c.PodPos("securityContext", "runAsGroup")}
	case root:
		s.gid = &ugroup{0, "root's primary group", ""}
	case s.uid != nil:
		s.gid = &ugroup{0, "the gid 0 a runtime gives a uid the image's /etc/passwd does not name (assumed; runAsGroup would set it)", ""}
	}
	// The kubelet adds fsGroup to every container's supplementary groups.
	// The image's /etc/group may add more (supplementalGroupsPolicy
	// Merge): assumed none.
	for i, g := range psc.SupplementalGroups {
		s.groups = append(s.groups, ugroup{g, "supplementalGroups", c.PodPos("securityContext", "supplementalGroups", i)})
	}
	if psc.FSGroup != nil {
		s.groups = append(s.groups, ugroup{*psc.FSGroup, "fsGroup", c.PodPos("securityContext", "fsGroup")})
	}
	return s
}

// inGroup is the process's group gid, if it has it.
func (s *subject) inGroup(gid int64) *ugroup {
	if gid < 0 {
		return nil
	}
	if s.gid != nil && s.gid.id == gid {
		return s.gid
	}
	for i := range s.groups {
		if s.groups[i].id == gid {
			return &s.groups[i]
		}
	}
	return nil
}

// groupList lists the groups for messages: "its groups: 1000 by
// runAsGroup, 42 by supplementalGroups".
func (s *subject) groupList() string {
	var gs []string
	if s.gid != nil {
		gs = append(gs, fmt.Sprintf("%d by %s", s.gid.id, s.gid.from))
	} else {
		gs = append(gs, "the image's user's, assumed none of the file's")
	}
	for _, g := range s.groups {
		gs = append(gs, fmt.Sprintf("%d by %s", g.id, g.from))
	}
	return "its groups: " + strings.Join(gs, ", ")
}

// userPos is the field that makes the process who it is.
func (s *subject) userPos() string {
	if s.c.Spec.SecurityContext != nil && s.c.Spec.SecurityContext.RunAsUser != nil {
		return s.c.Pos("securityContext", "runAsUser")
	}
	if s.c.Pod.SecurityContext != nil && s.c.Pod.SecurityContext.RunAsUser != nil {
		return s.c.PodPos("securityContext", "runAsUser")
	}
	return s.c.Pos("securityContext")
}

// Access modes for access, as the kernel's MAY_READ and MAY_WRITE.
const (
	mayRead  = 4
	mayWrite = 2
)

// access is the kernel's permission check (generic_permission, no ACLs)
// on a file of mode f: the owner's bits for its owner, the group's for a
// member of its group, the others' for the rest; then CAP_DAC_OVERRIDE,
// and to read CAP_DAC_READ_SEARCH, pass what the bits refuse. pos is the
// field that decided it, if one did.
func (s *subject) access(f FileMode, want uint32) (ok bool, why, pos string) {
	var bits uint32
	switch g := s.inGroup(f.GID); {
	case s.uid != nil && *s.uid == f.UID || s.uid == nil && s.root && f.UID == 0:
		bits, why = f.Perm>>6, s.user+" owns it"
	case g != nil:
		bits, why, pos = f.Perm>>3, fmt.Sprintf("%s has its group %s by %s", s.user, f.group(), g.from), g.pos
	default:
		bits, why, pos = f.Perm, fmt.Sprintf("%s is neither its owner nor in its group %s; %s", s.user, f.group(), s.groupList()), s.userPos()
	}
	if bits&want == want {
		return true, why, pos
	}
	if f.NoOverride != "" {
		return false, why + ", and no capability passes the permission bits (" + f.NoOverride + ")", pos
	}
	override := caps.Of(caps.DAC_OVERRIDE)
	if want == mayRead {
		override = override.Add(caps.DAC_READ_SEARCH)
	}
	if held := s.effective.Intersect(override); held != 0 {
		return true, why + ", and " + strings.Join(held.Names(caps.Cap.String), " and ") + " passes the permission bits", ""
	}
	return false, why + ", and the effective set has no " + strings.Join(override.Names(caps.Cap.String), " or "), pos
}

// socketReach is how a runtime socket of the node reaches the container.
type socketReach struct {
	// via are the ways found, in the order the probe tries them.
	via []socketWay
	// none says why no socket reaches the container.
	none string
}

type socketWay struct {
	sock RuntimeSocket
	at   string // the path in the container
	how  string // "hostPath volume "run" (/run) mounted at /run"
	pos  string
	src  string // the hostPath's node path; "" for /proc/1/root
}

// runtimeSockets are the node's, given or assumed, and how to say which.
func (a *Auditor) runtimeSockets() ([]RuntimeSocket, string) {
	if len(a.node.RuntimeSockets) > 0 {
		return a.node.RuntimeSockets, "--node-runtime-socket"
	}
	return RuntimeSockets(a.rt.Runtime), "assumed " + a.node.Runtime + "'s; --node-runtime-socket names the node's"
}

// reachSocket finds how the node's runtime sockets reach the container,
// exactly where the runtime-socket probe looks (attack.SocketInMount): a
// hostPath volume that is a socket or a directory above one, mounted at a
// path the probe tries; a hostPath socket mounted under a runtime
// socket's name; or, with hostPID, the node's root at /proc/1/root.
func (a *Auditor) reachSocket(s *subject) *socketReach {
	if s.socket != nil {
		return s.socket
	}
	r := &socketReach{}
	s.socket = r
	socks, assumed := a.runtimeSockets()
	var names []string
	for _, sk := range socks {
		names = append(names, sk.Path)
	}
	vols := s.hostPaths()
	var missed []string
	for j, m := range s.c.Spec.VolumeMounts {
		hp := vols[m.Name]
		if hp == nil {
			continue
		}
		if m.SubPathExpr != "" {
			missed = append(missed, fmt.Sprintf("hostPath volume %q is mounted with subPathExpr %q, which is expanded on the node only", m.Name, m.SubPathExpr))
			continue
		}
		src := nodePath(path.Join(hp.Path, m.SubPath))
		how := fmt.Sprintf("hostPath volume %q (%s) mounted at %s", m.Name, path.Join(hp.Path, m.SubPath), m.MountPath)
		if m.ReadOnly {
			how += " read-only (which does not stop connect)"
		}
		pos := s.c.Pos("volumeMounts", j)
		found := false
		for _, sk := range socks {
			node := nodePath(sk.Path)
			rel, under := pathtree.Rel(src, node)
			if !under {
				continue
			}
			if attack.SocketInMount(m.MountPath, rel) {
				r.via = append(r.via, socketWay{sk, path.Join(m.MountPath, rel), how + ": the node's " + sk.Path, pos, src})
				found = true
			} else {
				missed = append(missed, fmt.Sprintf("%s brings the node's %s in at %s, where the attack does not look", how, sk.Path, path.Join(m.MountPath, rel)))
			}
		}
		// A socket the kubelet checks is one, under a runtime socket's
		// name: the runtime's, wherever the node keeps it.
		if !found && hp.Type != nil && *hp.Type == corev1.HostPathSocket && attack.SocketInMount(m.MountPath, "") {
			sk := RuntimeSocket{Path: src, Mode: rootSocket}
			r.via = append(r.via, socketWay{sk, m.MountPath, how + ": a socket (type Socket) under a runtime socket's name, assumed the runtime's, " + rootSocket.String(), pos, src})
		}
	}
	if s.hostPID {
		var why string
		switch {
		case !s.effective.Has(caps.SYS_PTRACE):
			why = "hostPID, but the node's root at /proc/1/root needs ptrace read access to the node's pid 1, and the effective set lacks CAP_SYS_PTRACE"
		case a.node.kernel(KernelPID1Protected):
			why = "hostPID, but the node protects its pid 1 (--node-kernel " + KernelPID1Protected + "): /proc/1/root is closed"
		}
		for _, sk := range socks {
			switch {
			case !attack.WellKnownSocket(nodePath(sk.Path)):
				missed = append(missed, fmt.Sprintf("hostPID: the node's %s is at /proc/1/root%s, where the attack does not look", sk.Path, sk.Path))
			case why == "":
				r.via = append(r.via, socketWay{sk, "/proc/1/root" + nodePath(sk.Path), "hostPID: the node's root at /proc/1/root, with CAP_SYS_PTRACE", s.c.PodPos("hostPID"), ""})
			}
		}
		if why != "" {
			missed = append(missed, why)
		}
	}
	if len(r.via) == 0 {
		r.none = "no runtime socket reaches the container: no hostPath volume brings one in"
		if len(missed) > 0 {
			r.none += "; " + strings.Join(missed, "; ")
		}
		r.none += " (the node's: " + strings.Join(names, ", ") + ", " + assumed + ")"
	}
	return r
}

// hostPathMounts are the container's mounts of hostPath volumes, each
// with the node path it brings in; not those with a subPathExpr, which
// the kubelet alone expands.
func (s *subject) hostPathMounts() iter.Seq2[*corev1.VolumeMount, string] {
	return func(yield func(*corev1.VolumeMount, string) bool) {
		vols := s.hostPaths()
		for j := range s.c.Spec.VolumeMounts {
			m := &s.c.Spec.VolumeMounts[j]
			if hp := vols[m.Name]; hp != nil && m.SubPathExpr == "" && !yield(m, nodePath(path.Join(hp.Path, m.SubPath))) {
				return
			}
		}
	}
}

// hostPaths are the pod's hostPath volumes, by name.
func (s *subject) hostPaths() map[string]*corev1.HostPathVolumeSource {
	vols := map[string]*corev1.HostPathVolumeSource{}
	for _, v := range s.c.Pod.Volumes {
		if v.HostPath != nil {
			vols[v.Name] = v.HostPath
		}
	}
	return vols
}

// procWritable says how a hostPath volume brings the node's procfs in
// writable, with file (under /proc) in it: a mount of /proc or below not
// marked readOnly, or a mount of a directory above /proc (the node's /),
// whose /proc the kubelet's recursive bind brings along as a mount of
// its own, which readOnly on the volume does not reach. The runtime's
// read-only /proc/sys and /proc/sysrq-trigger are the container's own
// procfs, not this one. "" when none does.
func (s *subject) procWritable(file string) string {
	why, _ := s.procWritableAt(file)
	return why
}

// procWritableAt is procWritable with the container path that reaches
// file: where the attack opens it, and so the path an LSM's file rules
// are matched against (a profile's rules on /proc/sys do not cover the
// same file at /host/proc/sys).
func (s *subject) procWritableAt(file string) (why, at string) {
	for m, src := range s.hostPathMounts() {
		rel, under := pathtree.Rel(src, file)
		if !under {
			continue
		}
		_, aboveProc := pathtree.Rel(src, "/proc")
		aboveProc = aboveProc && src != "/proc"
		if m.ReadOnly && !aboveProc {
			continue
		}
		at = path.Join(m.MountPath, rel)
		return fmt.Sprintf("hostPath volume %q (%s) mounted at %s brings the node's procfs in writable: %s", m.Name, src, m.MountPath, at), at
	}
	return "", ""
}
