package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A pod with no AppArmor field on a containerd node with AppArmor runs
// under containerd's own cri-containerd.apparmor.d, as the node's release
// renders it: the audit names it and predicts what its rules close. Its
// ptrace rules allow only the container's own processes, so with the
// host's pid namespace the node's init (unconfined) stays out of reach:
// its network namespace (setns-host) and its root, where the runtime's
// socket is (runtime-socket). Its `deny mount` does not close a mount:
// the new mount API (fsopen, fsmount) reaches no AppArmor hook.
func TestAuditContainerdDefaultAppArmor(t *testing.T) {
	const hostPod = `apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  hostPID: true
  containers:
  - name: app
    image: debian
    securityContext:%s
      capabilities: {add: [SYS_ADMIN, SYS_PTRACE]}
      seccompProfile: {type: Unconfined}
`
	pod := func(extra string) []byte { return []byte(strings.Replace(hostPod, "%s", extra, 1)) }
	for _, c := range []struct {
		name     string
		node     Node
		manifest []byte
		profile  string
		verdicts map[string]string
	}{
		{"no field, AppArmor node", Node{Runtime: "containerd", RuntimeVersion: "1.6.20~ds1", AppArmor: true}, pod(""),
			"cri-containerd.apparmor.d", map[string]string{
				"setns-host": "blocked by lsm", "runtime-socket": "blocked by lsm", "signal-outside": "blocked by lsm",
				"ptrace-child": Open, "mount-tmpfs": Open, "cgroup-mount": Open, "pivot-root": Open, "read-shadow": Open,
			}},
		{"RuntimeDefault, AppArmor node", Node{Runtime: "containerd", RuntimeVersion: "1.6.20", AppArmor: true},
			pod("\n      appArmorProfile: {type: RuntimeDefault}"),
			"cri-containerd.apparmor.d", map[string]string{"setns-host": "blocked by lsm", "runtime-socket": "blocked by lsm", "signal-outside": "blocked by lsm"}},
		{"newest containerd", Node{Runtime: "containerd", AppArmor: true}, pod(""),
			"cri-containerd.apparmor.d", map[string]string{"setns-host": "blocked by lsm", "runtime-socket": "blocked by lsm", "ptrace-child": Open}},
		{"no AppArmor on the node", Node{Runtime: "containerd", RuntimeVersion: "1.6.20"}, pod(""),
			"none", map[string]string{"setns-host": Open, "runtime-socket": Open, "signal-outside": Open}},
		{"privileged: unconfined", Node{Runtime: "containerd", RuntimeVersion: "1.6.20", AppArmor: true},
			pod("\n      privileged: true"),
			"unconfined", map[string]string{"setns-host": Open, "runtime-socket": Open, "signal-outside": Open}},
		{"explicitly unconfined", Node{Runtime: "containerd", RuntimeVersion: "1.6.20", AppArmor: true},
			pod("\n      appArmorProfile: {type: Unconfined}"),
			"unconfined", map[string]string{"setns-host": Open}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAuditor(t, c.node)
			r := a.Read("pod.yaml", c.manifest)
			if len(r.Workloads) != 1 || len(r.Workloads[0].Containers) != 1 {
				t.Fatalf("%d workloads, errors %v", len(r.Workloads), r.Errors)
			}
			ctr := r.Workloads[0].Containers[0]
			if ctr.Error != "" {
				t.Fatal(ctr.Error)
			}
			if ctr.AppArmor.Profile != c.profile {
				t.Errorf("apparmor profile %q (%s), want %q", ctr.AppArmor.Profile, ctr.AppArmor.Evaluated, c.profile)
			}
			if c.profile == "cri-containerd.apparmor.d" {
				rel := "2.4.2"
				if c.node.RuntimeVersion != "" {
					rel = "1.6.20"
				}
				want := "containerd " + rel + "'s cri-containerd.apparmor.d"
				if !strings.Contains(ctr.AppArmor.Evaluated, want) || r.Node.AppArmorRuntimeDefault != want {
					t.Errorf("evaluated %q, node %q: want %s named", ctr.AppArmor.Evaluated, r.Node.AppArmorRuntimeDefault, want)
				}
			}
			for id, want := range c.verdicts {
				if got := verdict(t, ctr, id); got != want {
					t.Errorf("%s = %s, want %s (%s)", id, got, want, why(ctr, id))
				}
			}
			for _, p := range ctr.Paths {
				// ptrace of the node's processes, and signals to them.
				if p.Layer == "lsm" && !strings.Contains(p.Why, "cri-containerd.apparmor.d denies ptrace read peer=unconfined") &&
					!strings.Contains(p.Why, "cri-containerd.apparmor.d denies signal send set=urg peer=unconfined") {
					t.Errorf("%s blocked by lsm: %s", p.ID, p.Why)
				}
			}
		})
	}
}

// containerd's profile lets the container's processes trace one
// another; a Localhost profile that allows no ptrace (the seed's, with
// abstractions/base, which allows only reading itself) closes tracing
// one's own child, as the kernel asks the profile even of its own tasks.
func TestAuditAppArmorPtraceOfOwnChild(t *testing.T) {
	a := newAuditor(t, Node{Runtime: "containerd", RuntimeVersion: "1.6.20", AppArmor: true, ProfilesDir: seedDir})
	r := a.Files([]string{seedDir + "/0-baseline.yaml", seedDir + "/3-apparmor.yaml"})
	want := map[string]string{"0-baseline.yaml": Open, "3-apparmor.yaml": "blocked by lsm"}
	for _, w := range r.Workloads {
		c := w.Containers[0]
		base := w.File[strings.LastIndex(w.File, "/")+1:]
		if got := verdict(t, c, "ptrace-child"); got != want[base] {
			t.Errorf("%s under %s: ptrace-child = %s, want %s (%s)", base, c.AppArmor.Profile, got, want[base], why(c, "ptrace-child"))
		}
	}
}

// The node's procfs brought in by a hostPath is written at the volume's
// mount path, past the runtime's read-only /proc/sys: AppArmor matches
// that path, which containerd's rules on /proc/sys/... do not cover, and
// a Localhost profile that names it does.
func TestAuditAppArmorHostProcAtMountPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "deny-host-proc"), []byte("#include <tunables/global>\nprofile deny-host-proc {\n  #include <abstractions/base>\n  file,\n  capability,\n  network,\n  deny /host/proc/** w,\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const pod = `apiVersion: v1
kind: Pod
metadata: {name: proc}
spec:
  volumes: [{name: proc, hostPath: {path: /proc}}]
  containers:
  - name: app
    image: debian
    volumeMounts: [{name: proc, mountPath: /host/proc}]
    securityContext:%s
`
	for _, c := range []struct {
		name, extra, want string
	}{
		{"containerd's profile", "\n      capabilities: {add: [SYS_ADMIN]}", Open},
		{"a Localhost profile naming the mount path", "\n      appArmorProfile: {type: Localhost, localhostProfile: deny-host-proc}", "blocked by lsm"},
	} {
		a := newAuditor(t, Node{Runtime: "containerd", RuntimeVersion: "1.6.20", AppArmor: true, ProfilesDir: dir})
		r := a.Read("pod.yaml", []byte(strings.Replace(pod, "%s", c.extra, 1)))
		if len(r.Workloads) != 1 {
			t.Fatalf("%s: %v", c.name, r.Errors)
		}
		ctr := r.Workloads[0].Containers[0]
		for _, id := range []string{"core-pattern", "sysrq-trigger"} {
			if got := verdict(t, ctr, id); got != c.want {
				t.Errorf("%s: %s = %s, want %s (%s)", c.name, id, got, c.want, why(ctr, id))
			}
		}
	}
}
