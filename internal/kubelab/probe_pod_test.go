//go:build linux

package kubelab

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/internal/podexec"
)

// Pods a user already runs, from an image without rampart: `rampart probe
// --pod` must reach each through kubectl exec and measure its own
// securityContext.
const probePodManifest = `apiVersion: v1
kind: Pod
metadata: {name: hardened}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: ` + BusyboxImage + `
    imagePullPolicy: Never
    command: [sleep, "3600"]
    securityContext:
      capabilities: {drop: [NET_RAW]}
      seccompProfile: {type: RuntimeDefault}
---
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: ` + BusyboxImage + `
    imagePullPolicy: Never
    command: [sleep, "3600"]
---
apiVersion: v1
kind: Pod
metadata: {name: cancel}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: ` + BusyboxImage + `
    imagePullPolicy: Never
    command: [sleep, "3600"]
---
apiVersion: v1
kind: Pod
metadata: {name: readonly}
spec:
  terminationGracePeriodSeconds: 0
  # On the node with Debian's containerd 1.6 and runc 1.1, where /dev/shm
  # is noexec. On the host node it is not: containerd 2.4 binds the
  # sandbox's shm (nosuid,nodev,noexec) in with "rbind,rprivate,rw", and
  # runc 1.5 remounts the bind with exactly those flags, so the probe
  # finds a place to run from even here.
  nodeName: ` + AppArmorNode + `
  tolerations: [{key: ` + AppArmorTaint + `, operator: Exists}]
  containers:
  - name: app
    image: ` + BusyboxImage + `
    imagePullPolicy: Never
    command: [sleep, "3600"]
    # Non-root, so /dev (root's tmpfs) is not writable either; /dev/shm is
    # writable but noexec.
    securityContext: {readOnlyRootFilesystem: true, runAsUser: 1000, runAsNonRoot: true}
---
apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: ` + BusyboxImage + `
    imagePullPolicy: Never
    command: [sleep, "3600"]
  - name: side
    image: ` + BusyboxImage + `
    imagePullPolicy: Never
    command: [sleep, "3600"]
    securityContext:
      capabilities: {drop: [NET_RAW]}
---
apiVersion: v1
kind: Pod
metadata: {name: noshell}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: app
    image: ` + pauseImage + `
    imagePullPolicy: Never
`

// probePodNS creates a namespace holding probePodManifest's Pods, running.
func probePodNS(t *testing.T, c *Cluster) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	b := make([]byte, 3)
	rand.Read(b)
	ns := "rampart-probe-pod-" + hex.EncodeToString(b)
	if _, err := c.Kubectl(ctx, "create", "namespace", ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Kubectl(context.Background(), "delete", "namespace", ns, "--wait=false") })
	cmd := c.KubectlCmd(ctx, "apply", "-n", ns, "-f", "-")
	cmd.Stdin = strings.NewReader(probePodManifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := c.Kubectl(ctx, "wait", "-n", ns, "--for=condition=Ready", "pod", "--all", "--timeout=180s"); err != nil {
		desc, _ := c.Kubectl(ctx, "describe", "pods", "-n", ns)
		t.Fatalf("%v\n%s", err, desc)
	}
	return ns
}

// probeThroughExec runs `rampart probe --pod` against the lab.
func probeThroughExec(t *testing.T, c *Cluster, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, rampartBin, append([]string{"probe"}, args...)...)
	cmd.Env = c.Env()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return o.String(), e.String(), cmd.ProcessState.ExitCode()
}

func probeReport(t *testing.T, c *Cluster, args ...string) *attack.Report {
	t.Helper()
	out, errs, code := probeThroughExec(t, c, append(args, "-o", "json")...)
	if code != 0 {
		t.Fatalf("rampart probe %v: exit %d: %s", args, code, errs)
	}
	var rep attack.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return &rep
}

// wantResult asserts one path's verdict and layer ("" for open).
func wantResult(t *testing.T, rep *attack.Report, id, verdict, layer string) {
	t.Helper()
	for _, r := range rep.Results {
		if r.ID == id {
			if r.Verdict != verdict || r.Layer != layer {
				t.Errorf("%s: %s/%s, want %s/%s (%s)", id, r.Verdict, r.Layer, verdict, layer, r.Evidence)
			}
			return
		}
	}
	t.Errorf("%s: not in the report", id)
}

// noBinaryLeft asserts no streamed rampart is left in the container.
func noBinaryLeft(t *testing.T, c *Cluster, ns, pod, ctr string) {
	t.Helper()
	out, err := c.Kubectl(t.Context(), append([]string{"exec", "-n", ns, pod, "-c", ctr, "--", "ls", "-A"}, podexec.Dirs...)...)
	if err != nil && !strings.Contains(err.Error(), "No such file") { // /var/tmp and /run are absent in busybox
		t.Fatal(err)
	}
	if strings.Contains(string(out), ".rampart-") {
		t.Errorf("%s/%s: the streamed binary is still there:\n%s", pod, ctr, out)
	}
}

// rampart probe --pod measures a live workload whose image lacks rampart:
// the capabilities and seccomp filter reach the kubectl exec process, and
// the binary is gone afterwards.
func TestProbePod(t *testing.T) {
	c := needLab(t)
	ns := probePodNS(t, c)

	t.Run("hardened", func(t *testing.T) {
		t.Parallel()
		rep := probeReport(t, c, "--pod", "hardened", "-n", ns)
		wantResult(t, rep, "raw-socket", "blocked", "capabilities")
		wantResult(t, rep, "userns-netns", "blocked", "seccomp")
		want := attack.PodRef{Namespace: ns, Pod: "hardened", Container: "app", Node: "rampart-lab", From: "exec"}
		if rep.Pod == nil || *rep.Pod != want {
			t.Errorf("report's pod = %+v, want %+v", rep.Pod, want)
		}
		if rep.State.Seccomp != 2 {
			t.Errorf("seccomp mode %d, want 2 (filter)", rep.State.Seccomp)
		}
		noBinaryLeft(t, c, ns, "hardened", "app")
	})
	t.Run("plain", func(t *testing.T) {
		t.Parallel()
		rep := probeReport(t, c, "--pod", "plain", "-n", ns, "--only", "raw-socket,userns-netns")
		wantResult(t, rep, "raw-socket", "open", "")
		wantResult(t, rep, "userns-netns", "open", "")
		if len(rep.Results) != 2 {
			t.Errorf("--only passed through: %d results, want 2", len(rep.Results))
		}
		// The table says where it ran.
		out, errs, code := probeThroughExec(t, c, "--pod", "plain", "-n", ns, "--only", "raw-socket")
		if code != 0 || !strings.Contains(out, "pod       "+ns+"/plain container app on node rampart-lab") {
			t.Errorf("table (exit %d): %s%s", code, out, errs)
		}
		noBinaryLeft(t, c, ns, "plain", "app")
	})
	t.Run("container", func(t *testing.T) {
		t.Parallel()
		rep := probeReport(t, c, "--pod", "two", "-n", ns, "-c", "side", "--only", "raw-socket")
		wantResult(t, rep, "raw-socket", "blocked", "capabilities")
		if rep.Pod == nil || rep.Pod.Container != "side" {
			t.Errorf("report's pod = %+v, want container side", rep.Pod)
		}
		// Without -c: the first container, as kubectl picks it.
		rep = probeReport(t, c, "--pod", "two", "-n", ns, "--only", "raw-socket")
		wantResult(t, rep, "raw-socket", "open", "")
		if rep.Pod == nil || rep.Pod.Container != "main" {
			t.Errorf("report's pod = %+v, want container main", rep.Pod)
		}
		_, errs, code := probeThroughExec(t, c, "--pod", "two", "-n", ns, "-c", "nope")
		if code != exitRefusedCode || !strings.Contains(errs, `has no container "nope" (it has: main, side)`) {
			t.Errorf("-c nope: exit %d: %s", code, errs)
		}
	})
	t.Run("readonly", func(t *testing.T) {
		t.Parallel()
		_, errs, code := probeThroughExec(t, c, "--pod", "readonly", "-n", ns, "--from-node=false")
		for _, want := range []string{
			"container app of pod " + ns + "/readonly has no directory where it may write and execute a file",
			"/tmp: not writable", "/dev/shm: cannot execute from it", "/dev: not writable",
			"rampart probes it from its node",
		} {
			if code != exitRefusedCode || !strings.Contains(errs, want) {
				t.Errorf("exit %d, stderr lacks %q:\n%s", code, want, errs)
			}
		}
		noBinaryLeft(t, c, ns, "readonly", "app")
	})
	t.Run("noshell", func(t *testing.T) {
		t.Parallel()
		// No agent in that namespace: nothing probes it from the node.
		_, errs, code := probeThroughExec(t, c, "--pod", "noshell", "-n", ns, "--agent-namespace", "rampart-none")
		if code != exitRefusedCode || !strings.Contains(errs, "container app of pod "+ns+"/noshell has no /bin/sh") ||
			!strings.Contains(errs, "from the node: no node agent in namespace rampart-none") {
			t.Errorf("exit %d: %s", code, errs)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		// A run whose context ends while the binary runs (here: rampart
		// run ... -- sleep) still leaves nothing behind: the shell that
		// would remove it is still waiting, so Run must.
		kubectl := filepath.Join(t.TempDir(), "kubectl")
		wrapper := "#!/bin/sh\nKUBECONFIG=" + c.Kubeconfig + " NO_PROXY='*' exec " + filepath.Join(c.Bin, "kubectl") + ` "$@"` + "\n"
		if err := os.WriteFile(kubectl, []byte(wrapper), 0o755); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		_, err := podexec.Run(ctx, podexec.Target{Kubectl: kubectl, Namespace: ns, Pod: "cancel", Container: "app"},
			rampartBin, []string{"run", "--cap-drop", "NET_RAW", "--", "sleep", "60"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the deadline", err)
		}
		noBinaryLeft(t, c, ns, "cancel", "app")
	})
}

// exitRefusedCode is rampart's exit status for an error that is not a
// usage error.
const exitRefusedCode = 125
