package audit

import (
	"fmt"
	"path"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/internal/pathtree"
)

// Under hostUsers: false the kubelet asks the runtime to idmap every
// volume mount with the Pod's own mapping (kuberuntime's
// applyPlatformSpecificContainerConfig), and runc sets MOUNT_ATTR_IDMAP
// on the bind's top mount only. Through that mount the node's uid 0 is
// the Pod's uid 0: root passes as the owner of the node's files there, as
// if no user namespace were made. Not through the mounts a recursive
// bind brings along, which keep the node's ids: there the namespace's
// root owns nothing of the node's.

// nodeMounts are the node's directories that are filesystems of their
// own on every systemd node a kubelet runs on: a hostPath above one
// brings it in as a submount, not idmapped. (A node where one is not
// would have its file idmapped where audit says it is not.)
var nodeMounts = []string{"/dev", "/dev/hugepages", "/dev/mqueue", "/dev/pts", "/dev/shm",
	"/proc", "/proc/sys/fs/binfmt_misc", "/run",
	"/sys", "/sys/fs/bpf", "/sys/fs/cgroup", "/sys/fs/pstore", "/sys/kernel/debug", "/sys/kernel/security", "/sys/kernel/tracing"}

// mountOf is the deepest of nodeMounts holding node path p, "" for the
// root filesystem.
func mountOf(p string) string {
	at := ""
	for _, m := range nodeMounts {
		if _, under := pathtree.Rel(m, p); under && len(m) > len(at) {
			at = m
		}
	}
	return at
}

// idmappedVia says whether the node's file, reached through a hostPath
// whose node path is src, is on the bind's top mount (idmapped under
// hostUsers: false), or on a submount below it.
func idmappedVia(src, file string) bool {
	return mountOf(file) == mountOf(src)
}

// noIdmapFS are node paths on filesystems that cannot be idmapped (no
// FS_ALLOW_IDMAP: procfs, sysfs); a hostPath of one fails the container
// under hostUsers: false.
var noIdmapFS = map[string]string{"/proc": "procfs", "/sys": "sysfs"}

// idmapRefused is why the runtime cannot start a container of a Pod
// with hostUsers: false, "" when it can: a hostPath volume of the node's
// procfs or sysfs, which runc cannot idmap (EINVAL), and the container
// never starts.
func (s *subject) idmapRefused() string {
	vols := s.hostPaths()
	for j, m := range s.c.Spec.VolumeMounts {
		hp := vols[m.Name]
		if hp == nil {
			continue
		}
		src := nodePath(path.Join(hp.Path, m.SubPath))
		if fs := noIdmapFS[mountOf(src)]; fs != "" {
			return fmt.Sprintf("the runtime cannot start the container: under hostUsers: false (%s) every volume is an idmapped mount, and hostPath volume %q (%s, %s) is the node's %s, which cannot be idmapped (runc: MOUNT_ATTR_IDMAP: invalid argument)",
				s.c.PodPos("hostUsers"), m.Name, src, s.c.Pos("volumeMounts", j), fs)
		}
	}
	return ""
}

// podUserNS is a Pod's user namespace under hostUsers: false: the
// runtime makes its network, mount and PID namespaces in it. Not its
// cgroup namespace: on a v1 node, and for a privileged container on a
// v2 node, the Pod shares the node's, which the initial user namespace
// owns; where containerd makes one (v2, not privileged) the kernel makes
// no new v1 hierarchy outside the initial cgroup namespace whoever asks,
// so the path is closed there too (credited to userns, not to that rule:
// audit has no fact for the node's cgroup version).
var podUserNS = attack.UserNSFacts{OwnsOthers: true, Owns: func(ns string) bool { return ns != string(attack.UserNSCgroup) }}

// idmapped says whether a way to the runtime's socket is a hostPath
// whose top mount holds it: idmapped under hostUsers: false, where the
// node's root owns it as the Pod's root.
func (r *socketReach) idmapped() bool {
	for _, w := range r.via {
		if w.src != "" && idmappedVia(w.src, nodePath(w.sock.Path)) {
			return true
		}
	}
	return false
}

// hostDevUnmapped says how a hostPath volume brings the node's /dev in
// as a submount (a hostPath above it: the node's /), "" when none does.
func (s *subject) hostDevUnmapped() string {
	for m, src := range s.hostPathMounts() {
		if rel, under := pathtree.Rel(src, "/dev"); under && rel != "" && rel != "." && !idmappedVia(src, "/dev") {
			return fmt.Sprintf("hostPath volume %q (%s) mounted at %s brings the node's /dev in at %s", m.Name, src, m.MountPath, path.Join(m.MountPath, rel))
		}
	}
	return ""
}
