package audit

import (
	"strings"
	"testing"
)

// hostUsers: false, predicted: the paths whose capability the kernel asks
// over the host's user namespace, and the host files root passes as
// owner, close; what the runtime made inside the Pod's namespace (its
// network, its mounts) and the image's own files stay as they were.
func TestAuditHostUsers(t *testing.T) {
	manifest := func(hostUsers, sc string) []byte {
		return []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostUsers: ` + hostUsers + `
  containers:
  - name: app
    image: debian
    securityContext: {` + sc + `}
`)
	}
	node := Node{Runtime: "containerd", RuntimeVersion: "2.2.9"}
	all := "capabilities: {add: [SYS_ADMIN, SYS_TIME, SYS_BOOT, NET_ADMIN]}"
	for _, c := range []struct {
		hostUsers, sc string
		want          map[string]string
	}{
		{"true", all, map[string]string{"set-clock": Open, "mknod-block": Open, "raw-socket": Open, "read-shadow": Open, "mount-tmpfs": Open}},
		{"false", all, map[string]string{
			"set-clock": "blocked by userns", "mknod-block": "blocked by userns", "core-pattern": "blocked by userns",
			"raw-socket": Open, "read-shadow": Open, "mount-tmpfs": Open, "chroot": Open,
		}},
		// Without the capability, the capability layer closes it first.
		{"false", "", map[string]string{"set-clock": "blocked by capabilities", "mknod-block": "blocked by userns"}},
	} {
		r := newAuditor(t, node).Read("pod.yaml", manifest(c.hostUsers, c.sc))
		if len(r.Workloads) != 1 || len(r.Workloads[0].Containers) != 1 {
			t.Fatalf("%d workloads, errors %v", len(r.Workloads), r.Errors)
		}
		ctr := r.Workloads[0].Containers[0]
		for id, want := range c.want {
			if got := verdict(t, ctr, id); got != want {
				t.Errorf("hostUsers %s, {%s}: %s = %s, want %s (%s)", c.hostUsers, c.sc, id, got, want, why(ctr, id))
			}
		}
		for _, p := range ctr.Paths {
			if p.Layer == "userns" && (!strings.HasPrefix(p.Fix, "pod.yaml:5:") || !strings.HasPrefix(p.Why, "hostUsers: false: ")) {
				t.Errorf("%s: fix %q, why %q: want hostUsers (pod.yaml:5) named", p.ID, p.Fix, p.Why)
			}
		}
	}
	// containerd 1.6 runs no Pod in a user namespace: the kubelet never
	// makes its sandbox.
	old := Node{Runtime: "containerd", RuntimeVersion: "1.6.20"}
	if r := newAuditor(t, old).Read("pod.yaml", manifest("false", "")); len(r.Workloads) != 1 || !strings.Contains(r.Workloads[0].Containers[0].Refused, "containerd 1.6.20 runs no Pod in a user namespace (containerd 2.0 or later does)") ||
		!strings.Contains(r.Workloads[0].Containers[0].Refused, "pod.yaml:5:") {
		t.Errorf("hostUsers: false on containerd 1.6.20: refused %q", r.Workloads[0].Containers[0].Refused)
	}
	if r := newAuditor(t, old).Read("pod.yaml", manifest("true", "")); r.Workloads[0].Containers[0].Refused != "" {
		t.Errorf("hostUsers: true on containerd 1.6.20: refused %q", r.Workloads[0].Containers[0].Refused)
	}
	// The API server refuses the host's namespaces beside hostUsers: false.
	r := newAuditor(t, node).Read("pod.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostUsers: false\n  hostPID: true\n  containers:\n  - {name: app, image: debian}\n"))
	if len(r.Workloads) != 1 || !strings.Contains(r.Workloads[0].Containers[0].Error, "hostPID: cannot be true when hostUsers is false") {
		t.Errorf("hostPID with hostUsers: false: %+v %v", r.Workloads, r.Errors)
	}
}

// An OCI config whose process runc starts in a user namespace of its own,
// with every other namespace made in it, audits as hostUsers: false.
func TestAuditOCIUserNS(t *testing.T) {
	config := `{"ociVersion": "1.2.0", "process": {"args": ["sh"], "capabilities": {"bounding": ["CAP_SYS_TIME"], "effective": ["CAP_SYS_TIME"], "permitted": ["CAP_SYS_TIME"]}},
  "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "mount"}, {"type": "user"}],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}}`
	r := newAuditor(t, Node{Runtime: "containerd", RuntimeVersion: "2.2.9"}).Read("config.json", []byte(config))
	if len(r.Workloads) != 1 || len(r.Workloads[0].Containers) != 1 {
		t.Fatalf("%+v %v", r.Workloads, r.Errors)
	}
	ctr := r.Workloads[0].Containers[0]
	if got := verdict(t, ctr, "set-clock"); got != "blocked by userns" {
		t.Errorf("set-clock = %s (%s), want blocked by userns", got, why(ctr, "set-clock"))
	}
}

// hostUsers: false and the node's files through hostPath volumes: the
// kubelet idmaps each volume's top mount, so what is on it is the Pod's
// root's as it was the node's (the runtime's socket stays open), not
// what a recursive bind brings along (the node's /dev under its /: the
// disk closes, by userns, before the device cgroup); a volume of procfs
// or sysfs cannot be idmapped and the container never starts. Each was
// measured on containerd 2.4.2 and runc 1.5.3 (the kube tier's
// TestPredictionEqualsMeasurementUserNS).
func TestAuditHostUsersVolumes(t *testing.T) {
	pod := func(hostUsers, src, sc string) []byte {
		return []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostUsers: ` + hostUsers + `
  volumes:
  - {name: v, hostPath: {path: ` + src + `}}
  containers:
  - name: app
    image: debian
    securityContext: {` + sc + `}
    volumeMounts:
    - {name: v, mountPath: /host}
`)
	}
	node := Node{Runtime: "containerd", RuntimeVersion: "2.4.2", RuntimeSockets: []RuntimeSocket{{Path: "/run/containerd/containerd.sock", Mode: rootSocket}}}
	for _, c := range []struct {
		hostUsers, src, sc string
		want               map[string]string
		refused            string
	}{
		// The socket's own directory: its top mount, idmapped (and the
		// why says so).
		{"false", "/run/containerd", "", map[string]string{"runtime-socket": Open, "runtime-socket why": "idmapped mount"}, ""},
		{"true", "/run/containerd", "", map[string]string{"runtime-socket": Open}, ""},
		// The node's /: /run is a mount of its own under it, not idmapped.
		{"false", "/", "", map[string]string{"runtime-socket": "blocked by userns", "read-shadow-blockdev": "blocked by userns"}, ""},
		{"true", "/", "", map[string]string{"runtime-socket": Open, "read-shadow-blockdev": "blocked by other"}, ""},
		// /dev itself: the node's disk is on the top mount, idmapped, and
		// the device cgroup refuses it.
		{"false", "/dev", "", map[string]string{"read-shadow-blockdev": "blocked by other"}, ""},
		// Not root: the permission bits refuse it as they did.
		{"false", "/", "runAsUser: 1000", map[string]string{"read-shadow-blockdev": "blocked by other"}, ""},
		{"false", "/proc", "", nil, `hostPath volume "v" (/proc`},
		{"false", "/sys/class/net", "", nil, "the node's sysfs, which cannot be idmapped"},
		// A filesystem of its own below /sys: no claim made.
		{"false", "/sys/fs/cgroup", "", nil, ""},
		{"true", "/proc", "", nil, ""},
	} {
		r := newAuditor(t, node).Read("pod.yaml", pod(c.hostUsers, c.src, c.sc))
		if len(r.Workloads) != 1 || len(r.Workloads[0].Containers) != 1 {
			t.Fatalf("%d workloads, errors %v", len(r.Workloads), r.Errors)
		}
		ctr := r.Workloads[0].Containers[0]
		if c.refused == "" && ctr.Refused != "" || !strings.Contains(ctr.Refused, c.refused) {
			t.Errorf("hostUsers %s, hostPath %s: refused %q, want %q", c.hostUsers, c.src, ctr.Refused, c.refused)
		}
		for id, want := range c.want {
			if id, ok := strings.CutSuffix(id, " why"); ok {
				if !strings.Contains(why(ctr, id), want) {
					t.Errorf("hostUsers %s, hostPath %s: %s's why %q lacks %q", c.hostUsers, c.src, id, why(ctr, id), want)
				}
				continue
			}
			if got := verdict(t, ctr, id); got != want {
				t.Errorf("hostUsers %s, hostPath %s {%s}: %s = %s, want %s (%s)", c.hostUsers, c.src, c.sc, id, got, want, why(ctr, id))
			}
		}
	}
	// setns-host: pid 1's network namespace is the Pod's own, made in its
	// user namespace; cgroup-mount: a privileged container shares the
	// node's cgroup namespace (on v1 every container does).
	r := newAuditor(t, node).Read("pod.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostUsers: false\n  containers:\n  - {name: app, image: debian, securityContext: {privileged: true}}\n"))
	ctr := r.Workloads[0].Containers[0]
	for id, want := range map[string]string{"setns-host": Open, "cgroup-mount": "blocked by userns", "mount-tmpfs": Open} {
		if got := verdict(t, ctr, id); got != want {
			t.Errorf("privileged, hostUsers: false: %s = %s, want %s (%s)", id, got, want, why(ctr, id))
		}
	}
}
