//go:build linux

package kubelab

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
)

// recordedScript is the workload rampart records on the host and the Pods
// then run: busybox's sh writes a file under /tmp, reads it back, removes
// it and sleeps $NAP seconds (0 on the host; the Pod attacked through
// kubectl exec sets NAP to stay up with the very same command line, and
// sleep 0 makes the same calls as sleep 3600). Every program is
// /bin/busybox by its full path, which the lab's images hold (the same
// static binary as the host's: runc.Rootfs copies it), so the host run
// and the container run execute the same code: a bare `cat` would be
// the host's coreutils (another binary, other calls) but busybox in the
// image.
const recordedScript = `f=/tmp/rampart-recorded-$$; echo recorded >$f; /bin/busybox cat $f; /bin/busybox wc -c <$f; /bin/busybox rm $f; exec /bin/busybox sleep ${NAP:-0}`

// recordedAttack is the seed's userns-netns attack: a new user namespace
// (root inside) and with it a network namespace. The recorded workload
// never calls unshare, so its allow list refuses it with EPERM.
var recordedAttack = []string{"/bin/busybox", "unshare", "-r", "-n", "true"}

// The requirement: on the real node, a Pod under the recorded
// profile works, and one of the seed's attacks the workload never used
// is refused — as a Pod's own command, and through kubectl exec into the
// running workload (runc exec loads the filter for the exec'd process
// the same way, right before its execve). The user's path end to end:
// `rampart record` on the host, `rampart harden --from-recording` on a
// Pod manifest, the profile copied into the kubelet's seccomp
// directory, kubectl apply.
//
// Only the seccomp profile and the capabilities are under test here: the
// recorded file layer on a Kubernetes node is the AppArmor profile, and
// this node has no AppArmor (the kubelet refuses a Pod naming one), so
// harden runs with --no-apparmor; Kubernetes does not apply Landlock.
// Reading a file the workload never read (/etc/shadow) therefore stays
// possible on this node and is not asserted.
func TestRecordedProfileOnNode(t *testing.T) {
	c := needLab(t)
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()

	// 1. Record the workload on the host, with exactly the command line
	// the Pod will run: runc loads the filter (no_new_privs, as
	// allowPrivilegeEscalation: false makes it) right before its execve
	// of /bin/busybox, so the container's process makes the calls the
	// recording saw from that execve on. runc's own calls between the
	// filter and the execve (closing fds, the exec fifo, its Go runtime)
	// the host run never made: the generated profile allows them
	// whatever the recording says (runtimeSyscalls in
	// record/generate_seccomp.go), and nothing is added here.
	recDir := filepath.Join(t.TempDir(), "recording")
	argv := []string{"/bin/busybox", "sh", "-c", recordedScript}
	rec := exec.CommandContext(ctx, rampartBin, append([]string{"record", "--out", recDir, "--"}, argv...)...)
	var hostOut, recErr bytes.Buffer
	rec.Stdout, rec.Stderr = &hostOut, &recErr
	if err := rec.Run(); err != nil {
		t.Fatalf("rampart record: %v\n%s", err, recErr.String())
	}
	if hostOut.String() != "recorded\n9\n" {
		t.Fatalf("the host run printed %q\n%s", hostOut.String(), recErr.String())
	}
	used := recordedSyscalls(t, recDir)
	if used["unshare"] != 0 || used["execve"] == 0 {
		t.Fatalf("the recording's syscalls do not fit the test (unshare %d, execve %d): %v", used["unshare"], used["execve"], used)
	}

	// 2. Harden a Pod manifest with the recording: the workload's Pod, the
	// same workload left running, and the attacker's, each the same
	// hardened container.
	b := make([]byte, 3)
	rand.Read(b)
	ns := "rampart-record-" + hex.EncodeToString(b)
	work := t.TempDir()
	manifest := filepath.Join(work, "pods.yaml")
	if err := os.WriteFile(manifest, []byte(recordedPod(ns, "workload", argv)+"---\n"+
		strings.Replace(recordedPod(ns, "running", argv), "    command:", "    env: [{name: NAP, value: \"3600\"}]\n    command:", 1)+"---\n"+
		recordedPod(ns, "attack", recordedAttack)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "hardened")
	h := exec.CommandContext(ctx, rampartBin, "harden", "--from-recording", recDir, "--no-apparmor", "--out", out, manifest)
	if o, err := h.CombinedOutput(); err != nil {
		t.Fatalf("rampart harden: %v\n%s", err, o)
	}
	hardened, err := os.ReadFile(filepath.Join(out, "pods.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const localhost = "rampart/rampart-busybox.json"
	if n := strings.Count(string(hardened), "localhostProfile: "+localhost); n != 3 {
		t.Fatalf("hardened manifest names %s %d times, want 3:\n%s", localhost, n, hardened)
	}
	// The profile harden wrote is the one record wrote beside the
	// recording (both generate it from recording.json).
	prof, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(localhost)))
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := os.ReadFile(filepath.Join(recDir, "seccomp.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, prof, recorded) {
		t.Errorf("harden's profile differs from record's seccomp.json:\n%s\n%s", prof, recorded)
	}

	// Install the profile where the kubelet looks up Localhost profiles
	// (the lab's --root-dir/seccomp, as layers' kubernetes engine is told
	// with --seccomp-dir), under the name the manifest gives.
	dest := filepath.Join(c.SeccompDir, filepath.FromSlash(localhost))
	if old, err := os.ReadFile(dest); err == nil && !bytes.Equal(old, prof) {
		t.Fatalf("%s exists with other content: not overwriting it", dest)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dest, prof, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(dest) })

	if _, err := c.Kubectl(ctx, "create", "namespace", ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Kubectl(context.Background(), "delete", "namespace", ns, "--wait=false") })
	// The control: the attacker's Pod as harden makes it but for the
	// seccomp profile. The same capabilities (none), the same
	// no_new_privs, the same user (root): a call it makes and the
	// hardened attacker is refused, the recorded profile refused.
	control := strings.Replace(recordedPod(ns, "control", recordedAttack), "    imagePullPolicy: Never\n",
		"    imagePullPolicy: Never\n    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n      seccompProfile: {type: Unconfined}\n", 1)
	apply := c.KubectlCmd(ctx, "apply", "-f", "-")
	apply.Stdin = strings.NewReader(string(hardened) + "---\n" + control)
	if o, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, o)
	}

	// 3. The workload under the recorded profile does what it did on the
	// host.
	wl := podEnd(ctx, t, c, ns, "workload")
	if wl.exit != 0 || wl.logs != hostOut.String() {
		t.Errorf("workload under the recorded profile: exit %d (%s), logs %q; the host run printed %q", wl.exit, wl.reason, wl.logs, hostOut.String())
	}
	// It ran with what the recording generated: its securityContext as
	// the API server holds it is securitycontext.yaml's, less the
	// AppArmor profile this node cannot load.
	want := recordedSecurityContext(t, recDir)
	want.AppArmorProfile = nil
	if !reflect.DeepEqual(wl.pod.Spec.Containers[0].SecurityContext, want) {
		got, _ := json.Marshal(wl.pod.Spec.Containers[0].SecurityContext)
		w, _ := json.Marshal(want)
		t.Errorf("workload's securityContext\n%s\nwant (securitycontext.yaml without AppArmor)\n%s", got, w)
	}

	// 4. The attack, never used by the workload, is refused: the
	// profile's default action answers unshare(CLONE_NEWUSER|
	// CLONE_NEWNET) with EPERM, in busybox's words.
	const refused = "unshare: unshare(0x50000000): Operation not permitted"
	at := podEnd(ctx, t, c, ns, "attack")
	if at.exit == 0 || !strings.Contains(at.logs, refused) {
		t.Errorf("attack under the recorded profile: exit %d (%s), logs %q; want refused: %q", at.exit, at.reason, at.logs, refused)
	}
	// Through kubectl exec into the running workload: the exec'd
	// process is under the same filter; what the workload did still
	// works, the attack does not.
	waitLogs(ctx, t, c, ns, "running", hostOut.String())
	if o, code := kubectlExec(ctx, t, c, ns, "running", "/bin/busybox", "echo", "exec-ok"); code != 0 || o != "exec-ok\n" {
		t.Errorf("kubectl exec of a call the workload made: exit %d: %q", code, o)
	}
	if o, code := kubectlExec(ctx, t, c, ns, "running", recordedAttack...); code == 0 || !strings.Contains(o, refused) {
		t.Errorf("kubectl exec of the attack into the running workload: exit %d: %q; want refused: %q", code, o, refused)
	}

	// And that EPERM is the seccomp filter's, not the capabilities' or
	// the node's: in the same container without the profile, unshare()
	// makes the namespaces, and busybox goes on to write
	// /proc/self/uid_map, which it does only after unshare returned 0.
	// That write fails here too, for a reason of its own: mapping the
	// parent's uid 0 needs CAP_SETFCAP at unshare time (the kernel's
	// verify_root_map, since 5.12), which drop ALL took away; as a
	// non-root user the whole command succeeds.
	ctl := podEnd(ctx, t, c, ns, "control")
	if strings.Contains(ctl.logs, "unshare(") || !strings.Contains(ctl.logs, "unshare: write error: Operation not permitted") {
		t.Errorf("attack without the recorded profile (same capabilities, no_new_privs): exit %d (%s), logs %q; want unshare() to succeed and the uid_map write after it to fail", ctl.exit, ctl.reason, ctl.logs)
	}
	t.Logf("recorded %d distinct syscalls on the host; workload %q under the profile; attack refused: %s; without the profile: %s; %.1fs",
		len(used), wl.logs, strings.TrimSpace(at.logs), strings.TrimSpace(ctl.logs), time.Since(t0).Seconds())
}

// recordedPod is a one-shot Pod running argv in the busybox image (no
// rampart in it, like a user's).
func recordedPod(ns, name string, argv []string) string {
	cmd, _ := json.Marshal(argv)
	return `apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: ` + ns + `}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: ` + BusyboxImage + `
    imagePullPolicy: Never
    command: ` + string(cmd) + `
`
}

// waitLogs waits until the Pod's logs are want (a running container's
// output can reach the log a moment after it is Ready).
func waitLogs(ctx context.Context, t *testing.T, c *Cluster, ns, name, want string) {
	t.Helper()
	if _, err := c.Kubectl(ctx, "wait", "-n", ns, "--for=condition=Ready", "pod/"+name, "--timeout=90s"); err != nil {
		desc, _ := c.Kubectl(context.Background(), "describe", "pod", "-n", ns, name)
		t.Fatalf("%v\n%s", err, desc)
	}
	var logs []byte
	for range 40 {
		var err error
		if logs, err = c.Kubectl(ctx, "logs", "-n", ns, name); err != nil {
			t.Fatal(err)
		}
		if string(logs) == want {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("pod %s/%s logs %q, want %q", ns, name, logs, want)
}

// kubectlExec runs argv in the Pod's container and returns its output
// (stdout and stderr) and exit status.
func kubectlExec(ctx context.Context, t *testing.T, c *Cluster, ns, name string, argv ...string) (string, int) {
	t.Helper()
	cmd := c.KubectlCmd(ctx, append([]string{"exec", "-n", ns, name, "--"}, argv...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	// kubectl's own line about the remote status is not the command's.
	rest := strings.ReplaceAll(stderr.String(), fmt.Sprintf("command terminated with exit code %d\n", cmd.ProcessState.ExitCode()), "")
	return out.String() + rest, cmd.ProcessState.ExitCode()
}

// recordedSyscalls are the native calls in DIR/recording.json, by name.
func recordedSyscalls(t *testing.T, dir string) map[string]uint64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "recording.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Syscalls map[string]map[string]uint64 `json:"syscalls"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec.Syscalls["x86_64"]
}

// recordedSecurityContext reads DIR/securitycontext.yaml.
func recordedSecurityContext(t *testing.T, dir string) *corev1.SecurityContext {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "securitycontext.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SecurityContext map[string]any `yaml:"securityContext"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(doc.SecurityContext)
	if err != nil {
		t.Fatal(err)
	}
	var sc corev1.SecurityContext
	if err := json.Unmarshal(js, &sc); err != nil {
		t.Fatal(err)
	}
	return &sc
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// ended is how a one-shot Pod's container ended.
type ended struct {
	exit   int32
	reason string
	logs   string
	pod    *corev1.Pod
}

// podEnd waits for the Pod's container to terminate. A container the
// runtime will not start (a profile it cannot load, CreateContainerError)
// fails the test at once, with the runtime's words.
func podEnd(ctx context.Context, t *testing.T, c *Cluster, ns, name string) ended {
	t.Helper()
	var last string
	for {
		out, err := c.Kubectl(ctx, "get", "pod", "-n", ns, name, "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		var p corev1.Pod
		if err := json.Unmarshal(out, &p); err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Status.ContainerStatuses {
			if w := s.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
				last = w.Reason + ": " + w.Message
				if strings.HasPrefix(w.Reason, "CreateContainer") || w.Reason == "RunContainerError" {
					t.Fatalf("pod %s/%s: %s", ns, name, last)
				}
			}
			if term := s.State.Terminated; term != nil {
				logs, err := c.Kubectl(ctx, "logs", "-n", ns, name)
				if err != nil {
					t.Fatal(err)
				}
				return ended{exit: term.ExitCode, reason: term.Reason, logs: string(logs), pod: &p}
			}
		}
		select {
		case <-ctx.Done():
			desc, _ := c.Kubectl(context.Background(), "describe", "pod", "-n", ns, name)
			t.Fatalf("pod %s/%s did not end (%v; last: %s)\n%s", ns, name, ctx.Err(), last, desc)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
