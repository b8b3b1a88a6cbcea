//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/audit"
)

// What the node decides by itself — a runtime socket brought in by a
// mount or not at all, file permissions against a user's groups — is
// predicted by audit from a manifest that describes the same process and
// mounts, and measured here by the kernel: the probe, run as that user
// with those mounts.

// predictPaths audits a manifest and returns, per container, its paths.
func predictPaths(t *testing.T, manifest string, flags ...string) map[string]map[string]audit.PathResult {
	t.Helper()
	f := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(f, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	r := rampart(t, "", append([]string{"audit", "-o", "json", f}, flags...)...)
	if r.code != 0 {
		t.Fatalf("audit %v: exit %d: %s", flags, r.code, r.stderr)
	}
	var rep audit.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Workloads) != 1 {
		t.Fatalf("audit %v: %v\n%s", flags, err, r.stdout)
	}
	out := map[string]map[string]audit.PathResult{}
	for _, c := range rep.Workloads[0].Containers {
		if c.Error != "" {
			t.Fatalf("%s: %s", c.Name, c.Error)
		}
		out[c.Name] = map[string]audit.PathResult{}
		for _, p := range c.Paths {
			out[c.Name][p.ID] = p
		}
	}
	return out
}

// samePrediction fails unless audit's prediction is the measurement.
func samePrediction(t *testing.T, what string, pred audit.PathResult, meas attack.Result) {
	t.Helper()
	p, m := cellVerdict(pred.Verdict, pred.Layer), cellVerdict(meas.Verdict, meas.Layer)
	if p != m {
		t.Errorf("%s: %s predicted %s (%s), measured %s (%s: %s)", what, pred.ID, p, pred.Why, m, meas.Step, meas.Evidence)
	}
}

// probeIn runs `rampart [run FLAGS --] rampart probe --only IDS` in new
// mount and pid namespaces set up by the shell script setup, which gets
// args as $1... and must end with `exec "$@"` or run "$@" (the command
// follows args).
func probeIn(t *testing.T, setup string, args []string, flags []string, ids ...string) map[string]attack.Result {
	t.Helper()
	self := os.Args[0]
	if len(flags) > 0 {
		self = selfForEveryone(t)
	}
	cmdArgs := []string{self, "probe", "-o", "json", "--only", strings.Join(ids, ",")}
	if len(flags) > 0 {
		cmdArgs = append([]string{os.Args[0]}, argv(flags, cmdArgs)...)
	}
	sh := append(append([]string{"--mount", "--propagation", "private", "--pid", "--fork", "--mount-proc", "sh", "-c", setup, "sh"}, args...), cmdArgs...)
	cmd := exec.Command("unshare", sh...)
	cmd.Env = append(os.Environ(), asRampart+"=1")
	out, err := cmd.Output()
	res, _ := decodeProbe(t, fmt.Sprintf("in %q %v", setup, args), out, err)
	return res
}

func needUnshare(t *testing.T) {
	t.Helper()
	needRoot(t)
	for _, bin := range []string{"unshare", "mount", "sh"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s (util-linux) is needed for private mounts: %v", bin, err)
		}
	}
}

// nodeDir makes a directory that stands for a node's files, with
// containerd's socket listening at run/containerd/containerd.sock (0660
// root:root, as containerd makes it) and another under lib/lab, where no
// well-known path ends. Every directory is searchable by any uid.
func nodeDir(t *testing.T) (base string) {
	t.Helper()
	base, err := os.MkdirTemp("", "rampart-node-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	for _, d := range []string{"node/run/containerd", "node/lib/lab", "empty", "ctr/host/containerd", "ctr/hostrun", "ctr/api", "ctr/data"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"ctr/api/containerd.sock", "ctr/api/cri.sock"} {
		if err := os.WriteFile(filepath.Join(base, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{"node/run/containerd/containerd.sock", "node/lib/lab/containerd.sock"} {
		l, err := net.Listen("unix", filepath.Join(base, s))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		os.Chmod(filepath.Join(base, s), 0o660)
	}
	return base
}

// A hostPath volume is a bind mount: each kind the runtime-socket model
// knows is made here for real, in a private mount namespace whose /run
// is empty, and the probe's measurement is audit's prediction for a
// manifest with that hostPath and mountPath, for root and for a non-root
// user with and without the socket's group.
func TestPresenceRuntimeSocketMounts(t *testing.T) {
	needUnshare(t)
	base := nodeDir(t)
	node := filepath.Join(base, "node")
	sock := filepath.Join(node, "run/containerd/containerd.sock")
	for _, c := range []struct {
		name, src, dst string
	}{
		{"directory above it", filepath.Join(node, "run/containerd"), filepath.Join(base, "ctr/host/containerd")},
		{"run", filepath.Join(node, "run"), filepath.Join(base, "ctr/hostrun")},
		{"the socket", sock, filepath.Join(base, "ctr/api/containerd.sock")},
		{"the socket renamed", sock, filepath.Join(base, "ctr/api/cri.sock")},
		{"a socket below no well-known tail", filepath.Join(node, "lib"), filepath.Join(base, "ctr/data")},
		{"no hostPath", "", ""},
	} {
		manifest := `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: root, image: x%[1]s}
  - {name: user, image: x, securityContext: {runAsUser: 65534, runAsGroup: 65534}%[1]s}
  - {name: user-root-group, image: x, securityContext: {runAsUser: 65534, runAsGroup: 0}%[1]s}
`
		mounts := ""
		if c.src != "" {
			mounts = fmt.Sprintf(", volumeMounts: [{name: v, mountPath: %q}]", c.dst)
			manifest += fmt.Sprintf("  volumes: [{name: v, hostPath: {path: %q}}]\n", c.src)
		}
		pred := predictPaths(t, fmt.Sprintf(manifest, mounts), "--node-runtime-socket", sock)
		setup := `mount --bind "$1" /run && { [ -z "$2" ] || mount --bind "$2" "$3"; } && shift 3 && exec "$@"`
		args := []string{filepath.Join(base, "empty"), c.src, c.dst}
		for ctr, flags := range map[string][]string{
			"root":            nil,
			"user":            {"--user", "65534:65534"},
			"user-root-group": {"--user", "65534:0"},
		} {
			meas := probeIn(t, setup, args, flags, "runtime-socket")
			samePrediction(t, c.name+", "+ctr, pred[ctr]["runtime-socket"], meas["runtime-socket"])
		}
	}
}

// With hostPID, /proc/1/root is the node's root: here pid 1 of a new pid
// namespace keeps the socket at /run/containerd/containerd.sock of its
// mount namespace, and the probe runs in another, whose /run is empty.
// It reaches the socket through /proc/1/root with CAP_SYS_PTRACE (pid 1
// holds capabilities it lacks otherwise), as audit predicts for a hostPID
// Pod holding CAP_SYS_PTRACE or not.
func TestPresenceRuntimeSocketHostPID(t *testing.T) {
	needUnshare(t)
	base := nodeDir(t)
	pred := predictPaths(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostPID: true
  containers:
  - {name: privileged, image: x, securityContext: {privileged: true}}
  - {name: default, image: x}
`)
	// pid 1 is this shell: it waits for the probe instead of exec'ing.
	setup := `mount --bind "$1" /run && shift && unshare --mount --propagation private sh -c 'mount -t tmpfs tmpfs /run && exec "$@"' inner "$@"; exit $?`
	args := []string{filepath.Join(base, "node/run")}
	meas := probeIn(t, setup, args, nil, "runtime-socket")
	samePrediction(t, "full root", pred["privileged"]["runtime-socket"], meas["runtime-socket"])
	if r := meas["runtime-socket"]; !strings.Contains(r.Step, "/proc/1/root/run/containerd/containerd.sock") {
		t.Errorf("reached by %q, want through /proc/1/root", r.Step)
	}
	meas = probeIn(t, setup, args, []string{"--cap-drop", "SYS_PTRACE"}, "runtime-socket")
	samePrediction(t, "root without CAP_SYS_PTRACE", pred["default"]["runtime-socket"], meas["runtime-socket"])
}

// read-shadow as the users a Pod can ask for: the probe reads this
// machine's /etc/shadow with the uid, gid and supplementary groups a
// runtime gives the manifest's securityContext (runAsGroup unset: gid 0),
// and no capability left after the switch from root; audit predicts it
// with --image-shadow set to the file's real mode. Then through `rampart
// run --user`, which sets uid and gid and clears the groups.
func TestPresenceReadShadow(t *testing.T) {
	needRoot(t)
	var st syscall.Stat_t
	if err := syscall.Stat("/etc/shadow", &st); err != nil {
		t.Skip("no /etc/shadow here:", err)
	}
	perm, owner, group := st.Mode&0o777, st.Uid, st.Gid
	if owner != 0 || group == 0 || perm&0o044 != 0o040 {
		t.Skipf("/etc/shadow is %04o %d:%d here: the test wants it readable by a group other than root's and by no one else", perm, owner, group)
	}
	imageShadow := fmt.Sprintf("%04o:%d:%d", perm, owner, group)
	type user struct {
		podSC, sc string // the pod's and the container's securityContext
		// the process a runtime makes of them
		uid, gid uint32
		groups   []uint32
		// the same through rampart run --user, "" where it cannot say it
		runUser string
		// what the kernel must answer here, lest the test prove nothing
		wantOpenHere bool
	}
	g := group
	users := map[string]user{
		"root":                {sc: "", uid: 0, gid: 0, runUser: "", wantOpenHere: true},
		"non-root":            {sc: "runAsUser: 1000", uid: 1000, gid: 0, runUser: "1000:0"},
		"runAsGroup shadow":   {sc: fmt.Sprintf("runAsUser: 1000, runAsGroup: %d", g), uid: 1000, gid: g, runUser: fmt.Sprintf("1000:%d", g), wantOpenHere: true},
		"supplementalGroups":  {sc: "runAsUser: 1000", podSC: fmt.Sprintf("supplementalGroups: [4, %d]", g), uid: 1000, gid: 0, groups: []uint32{4, g}, wantOpenHere: true},
		"fsGroup":             {sc: "runAsUser: 1000", podSC: fmt.Sprintf("fsGroup: %d", g), uid: 1000, gid: 0, groups: []uint32{g}, wantOpenHere: true},
		"other groups":        {sc: "runAsUser: 1000, runAsGroup: 1000", podSC: "supplementalGroups: [4]", uid: 1000, gid: 1000, groups: []uint32{4}, runUser: ""},
		"runAsGroup not ours": {sc: "runAsUser: 1000, runAsGroup: 1000", uid: 1000, gid: 1000, runUser: "1000:1000"},
	}
	bin := selfForEveryone(t)
	for name, u := range users {
		manifest := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {%s}\n  containers:\n  - {name: c, image: x, securityContext: {%s}}\n", u.podSC, u.sc)
		pred := predictPaths(t, manifest, "--image-shadow", imageShadow)["c"]["read-shadow"]

		cmd := exec.Command(bin, "probe", "-o", "json", "--only", "read-shadow")
		cmd.Env = append(os.Environ(), asRampart+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: u.groups}}
		r := runAsRampart(t, cmd)
		var rep attack.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Results) != 1 {
			t.Fatalf("%s: probe: %v\n%s%s", name, err, r.stdout, r.stderr)
		}
		meas := rep.Results[0]
		if (meas.Verdict == attack.Open) != u.wantOpenHere {
			t.Fatalf("%s: the kernel says %s (%s) for uid %d gid %d groups %v on a %s /etc/shadow", name, meas.Verdict, meas.Evidence, u.uid, u.gid, u.groups, imageShadow)
		}
		samePrediction(t, name, pred, meas)

		if u.runUser != "" {
			res, _ := probeUnder(t, []string{"--user", u.runUser}, "read-shadow")
			samePrediction(t, name+" (rampart run --user "+u.runUser+")", pred, res["read-shadow"])
		}
		// This machine's file is Debian's: the default assumption
		// predicts the same.
		if perm == 0o640 && group == 42 {
			samePrediction(t, name+" (assumed Debian's)", predictPaths(t, manifest)["c"]["read-shadow"], meas)
		}
	}
}

// The node's flags are checked, and the report says what it assumed.
func TestAuditNodeFlagsCLI(t *testing.T) {
	file := filepath.Join(auditSeed, "0-baseline.yaml")
	for _, bad := range [][]string{
		{"--sysctl", "kernel.perf_event_paranoia=3"},
		{"--sysctl", "kernel.io_uring_disabled=off"},
		{"--node-kernel", "no-module"},
		{"--image-shadow", "0640:root:wheel"},
		{"--image-shadow", "640"},
		{"--node-disk", "closed"},
		{"--node-runtime-socket", "containerd.sock"},
	} {
		r := rampart(t, "", append([]string{"audit", file}, bad...)...)
		if r.code != 2 || !strings.Contains(r.stderr, bad[0]) {
			t.Errorf("audit %v: exit %d, want 2 naming the flag: %s", bad, r.code, r.stderr)
		}
	}
	r := rampart(t, "", "audit", "-o", "json", file, "--image-shadow", "0600:0:0", "--node-disk", "refused",
		"--node-runtime-socket", "/var/lib/lab/containerd.sock", "--node-kernel", "no-modules,pid1-protected", "--sysctl", "kernel.perf_event_paranoid=3")
	var rep audit.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, r.stderr)
	}
	n := rep.Node
	if n.ImageShadow != "0600 root:root (given)" || n.Disk != "refused to containers (given)" ||
		strings.Join(n.RuntimeSockets, ",") != "/var/lib/lab/containerd.sock 0660 root:root (given)" ||
		strings.Join(n.Kernel, ",") != "no-modules,pid1-protected" || n.Sysctls["kernel.perf_event_paranoid"] != "3" {
		t.Errorf("node: %+v", n)
	}
	help := rampart(t, "", "audit", "--help").stdout
	for _, w := range []string{"--image-shadow", "--node-runtime-socket", "--node-disk", "--node-kernel FACT", "pid1-protected", "kernel.unprivileged_userns_clone", "supplementalGroups"} {
		if !strings.Contains(help, w) {
			t.Errorf("audit --help does not mention %s", w)
		}
	}
}

// The runtime makes the container's /proc/sys read-only; a hostPath
// volume of the node's /proc is another procfs, writable unless the
// volume is readOnly. Here the container's /proc/sys is made read-only
// and a second procfs mounted where the volume would be: the probe
// opens core_pattern there, as audit predicts, and not through a
// read-only one.
func TestPresenceHostProc(t *testing.T) {
	needUnshare(t)
	hostProc := filepath.Join(t.TempDir(), "hostproc")
	os.Mkdir(hostProc, 0o755)
	for _, ro := range []bool{false, true} {
		manifest := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: root, image: x, volumeMounts: [{name: proc, mountPath: %q, readOnly: %t}]}
  volumes: [{name: proc, hostPath: {path: /proc}}]
`, hostProc, ro)
		pred := predictPaths(t, manifest)
		opts := "rw"
		if ro {
			opts = "ro"
		}
		setup := `mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && mount -t proc -o "$2" proc "$1" && shift 2 && exec "$@"`
		meas := probeIn(t, setup, []string{hostProc, opts}, nil, "core-pattern")
		where := fmt.Sprintf("hostPath /proc, readOnly %t", ro)
		samePrediction(t, where, pred["root"]["core-pattern"], meas["core-pattern"])
		if got := meas["core-pattern"]; got.Verdict == attack.Open != !ro {
			t.Errorf("%s: core-pattern %s (%s), want open only through a writable procfs", where, got.Verdict, got.Step)
		}
	}
}
