package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pathOf is one path's prediction for a container of the pod.
func pathOf(t *testing.T, r *Report, ctr, id string) PathResult {
	t.Helper()
	if len(r.Errors) > 0 || len(r.Workloads) != 1 {
		t.Fatalf("errors %+v, %d workloads", r.Errors, len(r.Workloads))
	}
	for _, c := range r.Workloads[0].Containers {
		if c.Name != ctr {
			continue
		}
		if c.Error != "" {
			t.Fatalf("%s: %s", ctr, c.Error)
		}
		for _, p := range c.Paths {
			if p.ID == id {
				return p
			}
		}
	}
	t.Fatalf("no container %s or path %s", ctr, id)
	return PathResult{}
}

func cell(p PathResult) string {
	if p.Verdict == Open {
		return Open
	}
	return "blocked by " + p.Layer
}

// presenceCase is a container, its expected verdict on one path, words
// its why must hold and the line its fix must point at (0: any).
type presenceCase struct {
	ctr, want string
	why       []string
	fixLine   int
}

func checkPresence(t *testing.T, r *Report, id string, cases []presenceCase) {
	t.Helper()
	for _, c := range cases {
		p := pathOf(t, r, c.ctr, id)
		if got := cell(p); got != c.want {
			t.Errorf("%s: %s %s (%s), want %s", c.ctr, id, got, p.Why, c.want)
			continue
		}
		for _, w := range c.why {
			if !strings.Contains(p.Why, w) {
				t.Errorf("%s: %s why %q does not say %q", c.ctr, id, p.Why, w)
			}
		}
		if c.fixLine > 0 && !strings.HasPrefix(p.Fix, fmt.Sprintf("pod.yaml:%d:", c.fixLine)) {
			t.Errorf("%s: %s fix at %s, want line %d", c.ctr, id, p.Fix, c.fixLine)
		}
	}
}

func newAuditor(t *testing.T, n Node) *Auditor {
	t.Helper()
	a, err := New(n)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// runtime-socket is open only where a node's runtime socket is brought
// into the container at a place the attack looks, and the socket's mode
// admits the user: by each kind of hostPath volume, and by hostPID with
// CAP_SYS_PTRACE. Anywhere else no socket reaches the container.
func TestRuntimeSocketPresence(t *testing.T) {
	pod := []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  volumes:
  - {name: sock, hostPath: {path: /run/containerd/containerd.sock}}
  - {name: dir, hostPath: {path: /run/containerd}}
  - {name: run, hostPath: {path: /run}}
  - {name: varrun, hostPath: {path: /var/run}}
  - {name: root, hostPath: {path: /}}
  - {name: var, hostPath: {path: /var}}
  - {name: logs, hostPath: {path: /var/log}}
  - {name: lab, hostPath: {path: /srv/lab/containerd.sock, type: Socket}}
  - {name: scratch, emptyDir: {}}
  containers:
  - name: socket
    image: x
    volumeMounts: [{name: sock, mountPath: /run/containerd/containerd.sock}]
  - name: socket-elsewhere
    image: x
    volumeMounts: [{name: sock, mountPath: /host/containerd.sock}]
  - name: socket-renamed
    image: x
    volumeMounts: [{name: sock, mountPath: /api/cri.sock}]
  - name: dir
    image: x
    volumeMounts: [{name: dir, mountPath: /run/containerd, readOnly: true}]
  - name: run
    image: x
    volumeMounts: [{name: run, mountPath: /run}]
  - name: varrun
    image: x
    volumeMounts: [{name: varrun, mountPath: /var/run}]
  - name: host-root
    image: x
    volumeMounts: [{name: root, mountPath: /host}]
  - name: var
    # The node's /var/run is a link to /run, which the container
    # resolves in its own root.
    image: x
    volumeMounts: [{name: var, mountPath: /var}]
  - name: subpath
    image: x
    volumeMounts: [{name: run, mountPath: /host-containerd, subPath: containerd}]
  - name: logs
    image: x
    volumeMounts: [{name: logs, mountPath: /var/log}, {name: scratch, mountPath: /run}]
  - name: typed-socket
    image: x
    volumeMounts: [{name: lab, mountPath: /run/containerd/containerd.sock}]
  - name: typed-socket-renamed
    image: x
    volumeMounts: [{name: lab, mountPath: /lab.sock}]
  - name: non-root
    image: x
    securityContext: {runAsUser: 1000}
    volumeMounts: [{name: sock, mountPath: /run/containerd/containerd.sock}]
  - name: non-root-group
    image: x
    securityContext: {runAsUser: 1000, runAsGroup: 1000}
    volumeMounts: [{name: sock, mountPath: /run/containerd/containerd.sock}]
  - name: none
    image: x
`)
	a := newAuditor(t, Node{Runtime: "containerd"})
	r := a.Read("pod.yaml", pod)
	open, byOther := Open, "blocked by other"
	checkPresence(t, r, "runtime-socket", []presenceCase{
		{"socket", open, []string{`hostPath volume "sock"`, "reached at /run/containerd/containerd.sock", "owns it"}, 18},
		{"socket-elsewhere", open, []string{"reached at /host/containerd.sock"}, 21},
		{"socket-renamed", byOther, []string{"at /api/cri.sock, where the attack does not look"}, 0},
		{"dir", open, []string{"read-only (which does not stop connect)", "reached at /run/containerd/containerd.sock"}, 27},
		{"run", open, []string{"reached at /run/containerd/containerd.sock"}, 30},
		{"varrun", open, []string{`"varrun" (/var/run)`, "reached at /var/run/containerd/containerd.sock"}, 33},
		{"host-root", open, []string{"reached at /host/run/containerd/containerd.sock"}, 36},
		{"var", byOther, []string{"no hostPath volume brings one in"}, 0},
		{"subpath", open, []string{"(/run/containerd) mounted at /host-containerd", "reached at /host-containerd/containerd.sock"}, 44},
		{"logs", byOther, []string{"no runtime socket reaches the container", "/run/containerd/containerd.sock, assumed containerd's"}, 0},
		{"typed-socket", open, []string{"type Socket", "reached at /run/containerd/containerd.sock"}, 50},
		{"typed-socket-renamed", byOther, nil, 0},
		// containerd's socket is 0660 root:root: gid 0, which a uid the
		// image does not name gets without runAsGroup, opens it.
		{"non-root", open, []string{"uid 1000 has its group root (gid 0) by the gid 0 a runtime gives"}, 0},
		{"non-root-group", byOther, []string{"file permissions", "uid 1000 is neither its owner nor in its group root (gid 0)", "1000 by runAsGroup"}, 60},
		{"none", byOther, []string{"no hostPath volume brings one in"}, 0},
	})

	// The node's socket elsewhere (the kube lab keeps containerd's under
	// its state directory): only a mount of that path brings it in.
	a = newAuditor(t, Node{Runtime: "containerd", RuntimeSockets: []RuntimeSocket{{Path: "/srv/lab/containerd.sock", Mode: rootSocket}}})
	r = a.Read("pod.yaml", pod)
	checkPresence(t, r, "runtime-socket", []presenceCase{
		{"socket", byOther, []string{"the node's: /srv/lab/containerd.sock"}, 0},
		{"typed-socket", open, []string{"the node's /srv/lab/containerd.sock"}, 0},
		{"typed-socket-renamed", byOther, []string{"at /lab.sock, where the attack does not look"}, 0},
	})

	// Docker's socket belongs to the docker group, whose number no
	// manifest can be assumed to know.
	a = newAuditor(t, Node{Runtime: "docker"})
	r = a.Read("pod.yaml", []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {supplementalGroups: [999]}
  volumes: [{name: d, hostPath: {path: /var/run/docker.sock}}]
  containers:
  - {name: root, image: x, volumeMounts: [{name: d, mountPath: /var/run/docker.sock}]}
  - {name: user, image: x, securityContext: {runAsUser: 1000}, volumeMounts: [{name: d, mountPath: /var/run/docker.sock}]}
`))
	checkPresence(t, r, "runtime-socket", []presenceCase{
		{"root", open, []string{"the node's /run/docker.sock"}, 0},
		{"user", byOther, []string{"docker (whose gid differs from node to node)"}, 0},
	})
	a = newAuditor(t, Node{Runtime: "docker", RuntimeSockets: []RuntimeSocket{{Path: "/run/docker.sock", Mode: FileMode{Perm: 0o660, GID: 999}}}})
	r = a.Read("pod.yaml", []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {supplementalGroups: [999]}
  volumes: [{name: d, hostPath: {path: /var/run/docker.sock}}]
  containers:
  - {name: user, image: x, securityContext: {runAsUser: 1000}, volumeMounts: [{name: d, mountPath: /var/run/docker.sock}]}
`))
	checkPresence(t, r, "runtime-socket", []presenceCase{
		// open: the fix is the volume that brings the socket in
		{"user", open, []string{"has its group gid 999 by supplementalGroups"}, 8},
	})
}

// With hostPID, /proc/1/root is the node's root: its runtime socket is
// reached by a process holding CAP_SYS_PTRACE (ptrace read access to the
// node's init), unless the node protects its pid 1.
func TestRuntimeSocketHostPID(t *testing.T) {
	pod := []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostPID: true
  containers:
  - {name: root, image: x}
  - {name: ptrace, image: x, securityContext: {capabilities: {add: [SYS_PTRACE]}}}
  - {name: privileged, image: x, securityContext: {privileged: true}}
`)
	r := newAuditor(t, Node{}).Read("pod.yaml", pod)
	checkPresence(t, r, "runtime-socket", []presenceCase{
		{"root", "blocked by other", []string{"hostPID, but", "lacks CAP_SYS_PTRACE"}, 0},
		{"ptrace", Open, []string{"hostPID", "reached at /proc/1/root/run/containerd/containerd.sock"}, 5},
		{"privileged", Open, []string{"reached at /proc/1/root/run/containerd/containerd.sock"}, 5},
	})
	checkPresence(t, r, "setns-host", []presenceCase{
		{"root", "blocked by capabilities", []string{"opening /proc/1/ns/net, before setns"}, 0},
		{"privileged", Open, []string{"assumed the node's pid 1 is open to CAP_SYS_PTRACE"}, 0},
	})

	r = newAuditor(t, Node{Kernel: []string{KernelPID1Protected}}).Read("pod.yaml", pod)
	checkPresence(t, r, "runtime-socket", []presenceCase{
		{"ptrace", "blocked by other", []string{"the node protects its pid 1 (--node-kernel pid1-protected)"}, 0},
		{"privileged", "blocked by other", []string{"/proc/1/root is closed"}, 0},
	})
	checkPresence(t, r, "setns-host", []presenceCase{
		{"root", "blocked by capabilities", nil, 0},
		{"privileged", "blocked by other", []string{"the node protects its pid 1"}, 5},
	})

	// The node's socket where the attack does not look under /proc/1/root.
	r = newAuditor(t, Node{RuntimeSockets: []RuntimeSocket{{Path: "/srv/lab/containerd.sock", Mode: rootSocket}}}).Read("pod.yaml", pod)
	checkPresence(t, r, "runtime-socket", []presenceCase{
		{"privileged", "blocked by other", []string{"/proc/1/root/srv/lab/containerd.sock, where the attack does not look"}, 0},
	})

}

// read-shadow for each kind of user against the image's /etc/shadow:
// root owns it; a non-root user (empty effective set) reads it only
// through a group that is the file's, from runAsGroup,
// supplementalGroups or fsGroup.
func TestReadShadowPermissions(t *testing.T) {
	pod := func(podSC, ctrSC string) []byte {
		return []byte(fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {%s}
  containers:
  - name: c
    image: x
    securityContext: {%s}
`, podSC, ctrSC))
	}
	debian, fedora := Node{}, Node{ImageShadow: &FileMode{Perm: 0, Owner: "root", Group: "root"}}
	rootOnly := Node{ImageShadow: &FileMode{Perm: 0o640, Owner: "root", Group: "root"}}
	for _, c := range []struct {
		name        string
		node        Node
		podSC, ctSC string
		want        string
		why         []string
		fixLine     int
	}{
		{"root", debian, "", "", Open, []string{"assumed root) owns it", "assumed Debian's and Ubuntu's"}, 0},
		{"uid 0", debian, "", "runAsUser: 0", Open, []string{"uid 0 owns it"}, 0},
		{"non-root", debian, "", "runAsUser: 1000", "blocked by other",
			[]string{"/etc/shadow is 0640 root:shadow (assumed Debian's and Ubuntu's", "uid 1000 is neither its owner nor in its group shadow (gid 42)", "0 by the gid 0 a runtime gives", "no DAC_OVERRIDE or DAC_READ_SEARCH"}, 9},
		{"pod user", debian, "runAsUser: 1000", "", "blocked by other", []string{"uid 1000"}, 5},
		{"runAsGroup shadow", debian, "", "runAsUser: 1000, runAsGroup: 42", Open, []string{"uid 1000 has its group shadow (gid 42) by runAsGroup"}, 0},
		{"pod runAsGroup shadow", debian, "runAsGroup: 42", "runAsUser: 1000", Open, []string{"by the pod's runAsGroup"}, 0},
		{"supplementalGroups shadow", debian, "supplementalGroups: [4, 42]", "runAsUser: 1000", Open, []string{"by supplementalGroups"}, 0},
		{"fsGroup shadow", debian, "fsGroup: 42", "runAsUser: 1000", Open, []string{"by fsGroup"}, 0},
		{"other groups", debian, "supplementalGroups: [4], fsGroup: 2000", "runAsUser: 1000, runAsGroup: 1000", "blocked by other",
			[]string{"its groups: 1000 by runAsGroup, 4 by supplementalGroups, 2000 by fsGroup"}, 9},
		{"image's non-root user", debian, "", "runAsNonRoot: true", "blocked by other", []string{"the image's non-root user", "assumed none of the file's"}, 0},
		// A capability never survives a non-root user's exec.
		{"non-root adding DAC", debian, "", "runAsUser: 1000, capabilities: {add: [DAC_OVERRIDE, DAC_READ_SEARCH]}", "blocked by other", nil, 0},
		// The image's shadow is root's group: gid 0 without runAsGroup.
		{"non-root, shadow of group root", rootOnly, "", "runAsUser: 1000", Open, []string{"/etc/shadow is 0640 root:root (--image-shadow)", "has its group root (gid 0)"}, 0},
		{"non-root group, shadow of group root", rootOnly, "", "runAsUser: 1000, runAsGroup: 1000", "blocked by other", nil, 0},
		// Fedora's mode: root reads it only with a DAC capability.
		{"root, mode 0000", fedora, "", "", Open, []string{"owns it, and DAC_OVERRIDE passes the permission bits"}, 0},
		{"root reading by DAC_READ_SEARCH, mode 0000", fedora, "", "capabilities: {add: [DAC_READ_SEARCH], drop: [DAC_OVERRIDE]}", Open, []string{"DAC_READ_SEARCH passes"}, 0},
		{"root without DAC caps, mode 0000", fedora, "", "capabilities: {drop: [DAC_OVERRIDE]}", "blocked by other",
			[]string{"/etc/shadow is 0000 root:root (--image-shadow)", "owns it, and the effective set has no DAC_OVERRIDE or DAC_READ_SEARCH"}, 0},
	} {
		r := newAuditor(t, c.node).Read("pod.yaml", pod(c.podSC, c.ctSC))
		p := pathOf(t, r, "c", "read-shadow")
		if got := cell(p); got != c.want {
			t.Errorf("%s: read-shadow %s (%s), want %s", c.name, got, p.Why, c.want)
			continue
		}
		for _, w := range c.why {
			if !strings.Contains(p.Why, w) {
				t.Errorf("%s: why %q does not say %q", c.name, p.Why, w)
			}
		}
		if c.fixLine > 0 && !strings.HasPrefix(p.Fix, fmt.Sprintf("pod.yaml:%d:", c.fixLine)) {
			t.Errorf("%s: fix at %s, want line %d", c.name, p.Fix, c.fixLine)
		}
	}
}

// read-shadow-blockdev: a privileged container has the node's disks in
// its /dev; a non-root user opens one only through the disk's group.
func TestReadShadowBlockdevPermissions(t *testing.T) {
	pod := []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: root, image: x, securityContext: {privileged: true}}
  - {name: user, image: x, securityContext: {privileged: true, runAsUser: 1000}}
  - {name: disk, image: x, securityContext: {privileged: true, runAsUser: 1000, runAsGroup: 6}}
  - {name: unprivileged, image: x}
`)
	r := newAuditor(t, Node{}).Read("pod.yaml", pod)
	checkPresence(t, r, "read-shadow-blockdev", []presenceCase{
		{"root", Open, []string{"0660 root:disk (assumed udev's", "assumed the node lets a privileged container open it"}, 0},
		{"user", "blocked by other", []string{"uid 1000 is neither its owner nor in its group disk (gid 6)"}, 0},
		{"disk", Open, []string{"has its group disk (gid 6) by runAsGroup"}, 0},
		{"unprivileged", "blocked by other", []string{"no node of the host's disks"}, 0},
	})
	r = newAuditor(t, Node{DiskRefused: true}).Read("pod.yaml", pod)
	checkPresence(t, r, "read-shadow-blockdev", []presenceCase{
		{"root", "blocked by other", []string{"--node-disk refused"}, 0},
		{"disk", "blocked by other", []string{"--node-disk refused"}, 0},
		{"user", "blocked by other", []string{"file permissions"}, 0},
	})
	mode, err := ParseFileMode("0600:root:root")
	if err != nil {
		t.Fatal(err)
	}
	r = newAuditor(t, Node{Disk: &mode}).Read("pod.yaml", pod)
	checkPresence(t, r, "read-shadow-blockdev", []presenceCase{
		{"root", Open, []string{"0600 root:root (--node-disk)"}, 0},
		{"disk", "blocked by other", nil, 0},
	})
}

// Node facts no manifest holds: each decides its path when given, and
// the path's why says what was assumed when it is not.
func TestNodeFacts(t *testing.T) {
	pod := []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: root, image: x}
  - {name: admin, image: x, securityContext: {capabilities: {add: [SYS_ADMIN, SYS_PTRACE, SYS_MODULE]}}}
  - {name: privileged, image: x, securityContext: {privileged: true}}
  - {name: user, image: x, securityContext: {runAsUser: 1000, runAsGroup: 1000}}
  - {name: io-uring-group, image: x, securityContext: {runAsUser: 1000, runAsGroup: 1005}}
  - {name: privileged-user, image: x, securityContext: {privileged: true, runAsUser: 1000}}
`)
	type want struct {
		ctr, path, cell, why string
	}
	for _, c := range []struct {
		name string
		node Node
		want []want
	}{
		{"assumed", Node{}, []want{
			{"privileged", "kernel-module", Open, "assumed the node's kernel loads modules (--node-kernel no-modules says it does not); assumed kernel.modules_disabled at 0"},
			{"root", "perf-event-open", Open, "assumed kernel.perf_event_paranoid at 2, upstream's default (--sysctl gives the node's)"},
			{"privileged", "perf-event-open", Open, ""},
			{"root", "bpf-load", "blocked by capabilities", "lacks BPF; assumed kernel.unprivileged_bpf_disabled at 2"},
			{"root", "io-uring", Open, "assumed kernel.io_uring_disabled at 0"},
			{"root", "userns-netns", Open, "assumed user.max_user_namespaces above 0"},
			{"root", "ptrace-child", Open, "assumed kernel.yama.ptrace_scope at 0 or 1"},
			{"root", "tiocsti", Open, "assumed dev.tty.legacy_tiocsti at 1"},
			{"privileged", "tiocsti", Open, ""},
			{"privileged", "sysrq-trigger", Open, "assumed the node's kernel has the magic SysRq key"},
			// The files' own modes, for a uid other than 0: no capability
			// passes core_pattern's (proc_sys_permission).
			{"privileged-user", "core-pattern", "blocked by other", "/proc/sys/kernel/core_pattern is 0644 root:root; uid 1000"},
			{"privileged-user", "sysrq-trigger", "blocked by other", "/proc/sysrq-trigger is 0200 root:root"},
		}},
		{"no sysrq", Node{Kernel: []string{KernelNoSysrq}}, []want{
			{"privileged", "sysrq-trigger", "blocked by other", "no magic SysRq key (--node-kernel no-sysrq)"},
			{"root", "sysrq-trigger", "blocked by other", "no magic SysRq key"},
		}},
		{"no modules", Node{Kernel: []string{KernelNoModules}}, []want{
			{"privileged", "kernel-module", "blocked by other", "no loadable module support (--node-kernel no-modules)"},
			// ENOSYS comes before any capability check.
			{"root", "kernel-module", "blocked by other", "ENOSYS"},
		}},
		{"modules disabled", Node{Sysctls: map[string]string{"kernel.modules_disabled": "1"}}, []want{
			{"privileged", "kernel-module", "blocked by other", "kernel.modules_disabled=1"},
			{"admin", "kernel-module", "blocked by other", "kernel.modules_disabled=1"},
			{"root", "kernel-module", "blocked by capabilities", ""},
		}},
		{"perf paranoid", Node{Sysctls: map[string]string{"kernel.perf_event_paranoid": "3"}}, []want{
			{"root", "perf-event-open", "blocked by capabilities", "lacks PERFMON; kernel.perf_event_paranoid=3"},
			{"privileged", "perf-event-open", Open, ""},
		}},
		{"bpf for all", Node{Sysctls: map[string]string{"kernel.unprivileged_bpf_disabled": "0"}}, []want{
			{"root", "bpf-load", Open, "kernel.unprivileged_bpf_disabled=0"},
			{"user", "bpf-load", Open, ""},
		}},
		{"io_uring off", Node{Sysctls: map[string]string{"kernel.io_uring_disabled": "2"}}, []want{
			{"privileged", "io-uring", "blocked by other", "kernel.io_uring_disabled=2"},
		}},
		{"io_uring for admins", Node{Sysctls: map[string]string{"kernel.io_uring_disabled": "1", "kernel.io_uring_group": "1005"}}, []want{
			{"root", "io-uring", "blocked by other", "kernel.io_uring_disabled=1"},
			{"admin", "io-uring", Open, "kernel.io_uring_disabled=1"},
			{"user", "io-uring", "blocked by other", ""},
			{"io-uring-group", "io-uring", Open, ""},
		}},
		{"no user namespaces", Node{Sysctls: map[string]string{"user.max_user_namespaces": "0"}}, []want{
			{"privileged", "userns-netns", "blocked by other", "user.max_user_namespaces=0"},
		}},
		{"Debian's userns switch", Node{Sysctls: map[string]string{"kernel.unprivileged_userns_clone": "0"}}, []want{
			{"root", "userns-netns", "blocked by other", "kernel.unprivileged_userns_clone=0"},
			{"admin", "userns-netns", Open, "kernel.unprivileged_userns_clone=0"},
		}},
		{"yama 2", Node{Sysctls: map[string]string{"kernel.yama.ptrace_scope": "2"}}, []want{
			{"root", "ptrace-child", "blocked by other", "kernel.yama.ptrace_scope=2"},
			{"root", "process-vm-readv", "blocked by other", "kernel.yama.ptrace_scope=2"},
			{"admin", "ptrace-child", Open, ""},
		}},
		{"yama 3", Node{Sysctls: map[string]string{"kernel.yama.ptrace_scope": "3"}}, []want{
			{"privileged", "ptrace-child", "blocked by other", "no process may attach"},
		}},
		{"no legacy TIOCSTI", Node{Sysctls: map[string]string{"dev.tty.legacy_tiocsti": "0"}}, []want{
			{"root", "tiocsti", "blocked by other", "dev.tty.legacy_tiocsti=0"},
			{"admin", "tiocsti", Open, ""},
		}},
	} {
		r := newAuditor(t, c.node).Read("pod.yaml", pod)
		for _, w := range c.want {
			p := pathOf(t, r, w.ctr, w.path)
			if got := cell(p); got != w.cell || !strings.Contains(p.Why, w.why) {
				t.Errorf("%s: %s %s: %s (%s), want %s saying %q", c.name, w.ctr, w.path, got, p.Why, w.cell, w.why)
			}
			if w.why == "" && strings.Contains(p.Why, "assumed") {
				t.Errorf("%s: %s %s: %q names an assumption that did not decide it", c.name, w.ctr, w.path, p.Why)
			}
		}
	}
}

func TestParseNodeFlags(t *testing.T) {
	for in, want := range map[string]string{
		"0640:root:shadow": "0640 root:shadow",
		"640:0:42":         "0640 root:shadow",
		"0600:0:0":         "0600 root:root",
		"0660:root:disk":   "0660 root:disk",
		"0660:0:999":       "0660 root:999",
		"0000:1000:1000":   "0000 1000:1000",
	} {
		m, err := ParseFileMode(in)
		if err != nil || m.String() != want {
			t.Errorf("ParseFileMode(%q) = %v, %v; want %s", in, m, err, want)
		}
	}
	for _, bad := range []string{"0640", "0640:root", "rw-r-----:root:shadow", "0640:root:docker", "0640:nobody:root", "0640:-1:0", "8640:0:0", "0640:0:0:0"} {
		if _, err := ParseFileMode(bad); err == nil {
			t.Errorf("ParseFileMode(%q) accepted", bad)
		}
	}
	s, err := ParseRuntimeSocket("/var/lib/lab/run/containerd.sock")
	if err != nil || s.String() != "/var/lib/lab/run/containerd.sock 0660 root:root" {
		t.Errorf("ParseRuntimeSocket: %v %v", s, err)
	}
	s, err = ParseRuntimeSocket("/run/docker.sock=0660:0:999")
	if err != nil || s.Mode.GID != 999 {
		t.Errorf("ParseRuntimeSocket with mode: %v %v", s, err)
	}
	for _, bad := range []string{"docker.sock", "/run/docker.sock=0660", ""} {
		if _, err := ParseRuntimeSocket(bad); err == nil {
			t.Errorf("ParseRuntimeSocket(%q) accepted", bad)
		}
	}
	if err := CheckSysctls(map[string]string{"kernel.perf_event_paranoid": "3"}); err != nil {
		t.Error(err)
	}
	for _, bad := range []map[string]string{{"kernel.perf_event_paranoia": "3"}, {"kernel.io_uring_disabled": "yes"}} {
		if err := CheckSysctls(bad); err == nil {
			t.Errorf("CheckSysctls(%v) accepted", bad)
		}
	}
	if err := CheckKernelFacts([]string{"no-modules", "pid1-protected"}); err != nil {
		t.Error(err)
	}
	if err := CheckKernelFacts([]string{"no-module"}); err == nil || !strings.Contains(err.Error(), "no-ia32, no-modules, no-sysrq, pid1-protected") {
		t.Errorf("CheckKernelFacts(no-module): %v", err)
	}
}

// The report says which file modes were given and which assumed.
func TestNodeInfoFiles(t *testing.T) {
	r := newAuditor(t, Node{}).Report()
	if r.Node.ImageShadow != "0640 root:shadow (assumed)" || r.Node.Disk != "0660 root:disk (assumed)" ||
		len(r.Node.RuntimeSockets) != 1 || r.Node.RuntimeSockets[0] != "/run/containerd/containerd.sock 0660 root:root (assumed)" {
		t.Errorf("assumed: %+v", r.Node)
	}
	shadow, _ := ParseFileMode("0600:0:0")
	r = newAuditor(t, Node{Runtime: "docker", ImageShadow: &shadow, DiskRefused: true, Kernel: []string{KernelNoModules}}).Report()
	if r.Node.ImageShadow != "0600 root:root (given)" || r.Node.Disk != "refused to containers (given)" ||
		len(r.Node.RuntimeSockets) != 2 || r.Node.RuntimeSockets[0] != "/run/docker.sock 0660 root:docker (assumed)" || r.Node.Kernel[0] != KernelNoModules {
		t.Errorf("given: %+v", r.Node)
	}
}

// A sysctl is read as the kernel parses it: "00", " 0" and "+0" are 0,
// whichever model compares it.
func TestSysctlSpellings(t *testing.T) {
	doc := []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, securityContext: {seccompProfile: {type: Unconfined}}}\n")
	for _, v := range []string{"0", "00", " 0", "+0"} {
		a := newAuditor(t, Node{Sysctls: map[string]string{"kernel.unprivileged_bpf_disabled": v}})
		r := a.Read("p.yaml", doc)
		if got := verdict(t, r.Workloads[0].Containers[0], "bpf-load"); got != Open {
			t.Errorf("kernel.unprivileged_bpf_disabled=%q: bpf-load %s, want open", v, got)
		}
	}
}

// The node's procfs brought in by a hostPath volume is not the
// runtime's read-only /proc/sys: core-pattern opens there unless the
// volume is readOnly, and a readOnly volume of the node's / still brings
// /proc along as a mount of its own.
func TestHostProcWritable(t *testing.T) {
	a := newAuditor(t, Node{})
	for _, c := range []struct {
		path, mountPath string
		readOnly        bool
		want, why       string
	}{
		{"/proc", "/host/proc", false, Open, `hostPath volume "v" (/proc) mounted at /host/proc brings the node's procfs in writable: /host/proc/sys/kernel/core_pattern`},
		{"/proc", "/host/proc", true, "blocked by other", "read-only"},
		{"/", "/host", true, Open, "/host/proc/sys/kernel/core_pattern"},
		{"/proc/sys", "/sys-of-node", false, Open, "/sys-of-node/kernel/core_pattern"},
		{"/proc/sys", "/sys-of-node", true, "blocked by other", "read-only"},
		{"/var/log", "/logs", false, "blocked by other", "read-only"},
	} {
		doc := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: x, volumeMounts: [{name: v, mountPath: %s, readOnly: %t}]}\n  volumes: [{name: v, hostPath: {path: %s}}]\n", c.mountPath, c.readOnly, c.path)
		ctr := a.Read("p.yaml", []byte(doc)).Workloads[0].Containers[0]
		if got := verdict(t, ctr, "core-pattern"); got != c.want || !strings.Contains(why(ctr, "core-pattern"), c.why) {
			t.Errorf("hostPath %s at %s (readOnly %t): core-pattern %s (%s), want %s saying %q", c.path, c.mountPath, c.readOnly, got, why(ctr, "core-pattern"), c.want, c.why)
		}
	}
}

// An AppArmor rule on one way in does not close a path with others: a
// profile that denies /var/run/docker.sock leaves the containerd socket
// a hostPath of / brings in; one that denies /dev/sd* leaves /dev/vda.
// Denying the socket where the container reaches it, or every disk
// name, closes the path.
func TestAppArmorWaysIn(t *testing.T) {
	dir := t.TempDir()
	for name, rules := range map[string]string{
		"deny-docker": "  deny /var/run/docker.sock w,\n  deny /dev/sd* r,\n",
		"deny-all":    "  deny /host/** w,\n  deny /dev/{sd,vd,xvd,nvme}* r,\n",
	} {
		os.WriteFile(filepath.Join(dir, name), []byte("profile "+name+" flags=(attach_disconnected) {\n  file,\n  capability,\n  network,\n  unix,\n"+rules+"}\n"), 0o644)
	}
	a := newAuditor(t, Node{AppArmor: true, ProfilesDir: dir})
	for _, c := range []struct {
		profile, path, want string
	}{
		{"deny-docker", "runtime-socket", Open},
		{"deny-docker", "read-shadow-blockdev", Open},
		{"deny-all", "runtime-socket", "blocked by lsm"},
		{"deny-all", "read-shadow-blockdev", "blocked by lsm"},
	} {
		doc := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: x
    securityContext: {privileged: true, appArmorProfile: {type: Localhost, localhostProfile: %s}}
    volumeMounts: [{name: root, mountPath: /host}]
  volumes: [{name: root, hostPath: {path: /}}]
`, c.profile)
		ctr := a.Read("p.yaml", []byte(doc)).Workloads[0].Containers[0]
		if got := verdict(t, ctr, c.path); got != c.want {
			t.Errorf("%s: %s %s (%s), want %s", c.profile, c.path, got, why(ctr, c.path), c.want)
		}
	}
}

func why(c Container, id string) string {
	for _, p := range c.Paths {
		if p.ID == id {
			return p.Why
		}
	}
	return ""
}
