// Package podexec runs a local static binary inside a running container
// of a Kubernetes Pod whose image does not hold it: kubectl exec streams
// the binary in, the container's shell places it in a directory it may
// write and execute from, runs it, and removes it.
//
// A process started by kubectl exec gets the container's own process
// settings — capabilities, seccomp filter, AppArmor profile, user,
// no_new_privs — so what the binary sees is what the workload sees.
//
// It talks to the cluster through kubectl, so every kubeconfig, context
// and credential plugin the user has works unchanged.
package podexec

import (
	"bytes"
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/internal/kubectl"
)

// Target names a container and how to reach it.
type Target struct {
	Kubectl   string // the kubectl binary (default: kubectl on PATH)
	Context   string // kubeconfig context ("": the current one)
	Namespace string // "": the context's namespace
	Pod       string
	Container string // "": the Pod's default container, as kubectl picks it
}

// Result is a finished run.
type Result struct {
	// Where it ran, as the API server names it.
	Namespace, Pod, Container, Node string
	// ContainerID is the runtime's ID (containerd://…), from the Pod's
	// status.
	ContainerID string
	Dir         string // the directory the binary ran from
	Stdout      []byte
	Stderr      []byte // the binary's, without the placing shell's lines
}

// Dirs are where the binary may be placed, in the order tried: disk-backed
// first, because a file in a tmpfs (/dev/shm, /dev) is charged to the
// container's memory limit. /dev comes last: with readOnlyRootFilesystem it
// is often the only place root can write and execute.
var Dirs = []string{"/tmp", "/var/tmp", "/run", "/dev/shm", "/dev"}

// findScript finds where the binary can run without streaming it: a
// first exec without stdin, whose errors (no /bin/sh above all) arrive
// intact, where a failing exec that is still being fed stdin may lose them
// to a reset connection. $1 is the file name, the rest the directories.
// It prints "dir D", "missing TOOL" or "nowhere WHY".
const findScript = `name=$1
shift
for t in cat chmod rm; do
	command -v $t >/dev/null 2>&1 || { echo "missing $t"; exit 0; }
done
why=
for d in "$@"; do
	p=$d/$name
	if [ ! -d "$d" ]; then why="$why, $d: absent"; continue; fi
	# noclobber: create the file, never reuse one someone else put there.
	if ! (set -C; echo '#!/bin/sh' >"$p") 2>/dev/null; then why="$why, $d: not writable"; continue; fi
	# A one-line script tells whether exec works here (a noexec mount or
	# an LSM rule refuses it).
	chmod 700 "$p" && "$p" 2>/dev/null
	ok=$?
	rm -f "$p"
	if [ $ok = 0 ]; then echo "dir $d"; exit 0; fi
	why="$why, $d: cannot execute from it (noexec mount or LSM)"
done
echo "nowhere ${why#, }"
`

// marker starts runScript's own lines on stderr.
const marker = "rampart-podexec: "

// runScript writes stdin to $1, runs it with the rest of the arguments,
// and removes it. It says "placing" on stderr once it has created the
// file and "removed" once it has removed it: when the caller sees the
// first and not the second, it removes the file itself (and never a file
// it did not create).
const runScript = `p=$1
shift
umask 077
(set -C; : >"$p") || exit 1
echo "` + marker + `placing" >&2
trap 'rm -f "$p" && echo "` + marker + `removed" >&2' EXIT
trap 'exit 129' HUP INT TERM
cat >"$p" || exit 1
chmod 700 "$p" || exit 1
"$p" "$@"
`

// Run streams binary into the target container, runs it with args, and
// removes it again, also when it fails or ctx ends. A run that exits
// non-zero returns its Result with the error.
func Run(ctx context.Context, t Target, binary string, args []string) (*Result, error) {
	if t.Kubectl == "" {
		t.Kubectl = "kubectl"
	}
	if err := Static(binary); err != nil {
		return nil, err
	}
	res, err := t.resolve(ctx)
	if err != nil {
		return nil, err
	}
	where := fmt.Sprintf("container %s of pod %s/%s", res.Container, res.Namespace, res.Pod)
	// A fresh name: two runs in one container never meet.
	suffix := make([]byte, 8)
	rand.Read(suffix)
	name := ".rampart-" + hex.EncodeToString(suffix)

	shell := []string{"-n", res.Namespace, res.Pod, "-c", res.Container, "--", "/bin/sh", "-c"}
	find := append(append([]string{"exec"}, shell...), findScript, "podexec", name)
	out, stderr, err := t.kubectl(ctx, nil, append(find, Dirs...)...)
	word, rest, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	switch {
	case err != nil && bytes.Contains(stderr, []byte(`"/bin/sh"`)):
		// The runtime's words: exec: "/bin/sh": stat /bin/sh: no such file or directory.
		return nil, unreachable(res, "no /bin/sh", "%s has no /bin/sh: the binary is streamed in through a shell (with cat, chmod and rm), "+
			"so an image without one (distroless, scratch) cannot be reached this way; with the node agent installed "+
			"(rampart fleet manifests), rampart probes it from its node", where)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", where, err)
	case word == "missing":
		return nil, unreachable(res, "its shell has no "+rest, "%s: its shell has no %s; the binary is placed with cat, chmod and rm", where, rest)
	case word == "nowhere":
		return nil, unreachable(res, "no directory to write the probe to", "%s has no directory where it may write and execute a file (%s); "+
			"with the node agent installed (rampart fleet manifests), rampart probes it from its node", where, rest)
	case word != "dir":
		return nil, fmt.Errorf("%s: looking for a directory, the shell said %q", where, out)
	}
	res.Dir = rest

	f, err := os.Open(binary)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	path := res.Dir + "/" + name
	run := append(append([]string{"exec", "-i"}, shell...), runScript, "podexec", path) // stdin: the binary
	out, stderr, err = t.kubectl(ctx, f, append(run, args...)...)
	own, theirs := split(stderr)
	res.Stdout, res.Stderr = out, theirs
	var cerr error
	if !own["removed"] && (own["placing"] || ctx.Err() != nil) {
		// The shell did not get to clean up (ctx ended, the connection
		// broke): remove the file from here. When ctx ended, the shell
		// may have created the file without its "placing" line reaching
		// us; the name is still ours to remove (64 random bits: nothing
		// in the container knows it before our shell creates it).
		cerr = t.cleanup(res, path)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return res, cerr
	case ctx.Err() != nil:
		err = fmt.Errorf("%s: %w", where, ctx.Err())
	case errors.As(err, &ee) && own["removed"]:
		// The binary ran (or could not be written) and the shell
		// exited with its status: its words, not kubectl's.
		cmd := strings.Join(append([]string{filepath.Base(binary)}, args...), " ")
		return res, errors.Join(fmt.Errorf("%s: %s exited %d: %s", where, cmd, ee.ExitCode(), kubectl.LastLine(theirs)), cerr)
	default:
		err = fmt.Errorf("%s: %w", where, err)
	}
	return nil, errors.Join(err, cerr)
}

// UnreachableError is a running container the binary cannot be placed
// in: no shell, no tool, no directory it may write and execute from.
// Where names the container, its node and its runtime ID, for a probe
// from the node.
type UnreachableError struct {
	Where *Result
	Why   string // in a few words: "no /bin/sh"
	msg   string
}

func (e *UnreachableError) Error() string { return e.msg }

func unreachable(res *Result, why, format string, args ...any) error {
	return &UnreachableError{Where: res, Why: why, msg: fmt.Sprintf(format, args...)}
}

// Static refuses a dynamically linked binary: it is to run in an arbitrary
// image, which may have neither its loader nor its libraries.
func Static(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		interp, _ := io.ReadAll(p.Open())
		return fmt.Errorf("%s is dynamically linked (it needs %s and shared libraries); it must run in an arbitrary image, "+
			"which may hold neither, so only a static binary can be streamed into a container", path, strings.TrimRight(string(interp), "\x00"))
	}
	return nil
}

// resolve reads the Pod: its namespace, the container kubectl would pick,
// and whether that container is running, so errors name what is wrong
// before anything is streamed.
func (t Target) resolve(ctx context.Context) (*Result, error) {
	args := []string{"get", "pod", t.Pod, "-o", "json"}
	if t.Namespace != "" {
		args = append(args, "-n", t.Namespace)
	}
	out, _, err := t.kubectl(ctx, nil, args...)
	if err != nil {
		if t.Namespace == "" {
			err = fmt.Errorf("%w (looked in the kubeconfig context's namespace)", err)
		}
		return nil, err
	}
	var pod corev1.Pod
	if err := json.Unmarshal(out, &pod); err != nil {
		return nil, fmt.Errorf("kubectl get pod %s: %w", t.Pod, err)
	}
	res := &Result{Namespace: pod.Namespace, Pod: pod.Name, Container: t.Container, Node: pod.Spec.NodeName}
	if res.Container == "" {
		res.Container = pod.Annotations["kubectl.kubernetes.io/default-container"]
	}
	if res.Container == "" && len(pod.Spec.Containers) > 0 {
		res.Container = pod.Spec.Containers[0].Name
	}
	var names []string
	var status *corev1.ContainerStatus // the container's, once found
	// Sidecars (restartable init containers) and ephemeral debug
	// containers run too, each with its own securityContext.
	for _, l := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for i := range l {
			names = append(names, l[i].Name)
			if l[i].Name == res.Container {
				status = &l[i]
			}
		}
	}
	where := fmt.Sprintf("container %s of pod %s/%s", res.Container, res.Namespace, res.Pod)
	switch {
	case status == nil:
		return nil, fmt.Errorf("pod %s/%s has no container %q (it has: %s)", res.Namespace, res.Pod, res.Container, strings.Join(names, ", "))
	case status.State.Waiting != nil:
		return nil, fmt.Errorf("%s is not running (waiting: %s)", where, status.State.Waiting.Reason)
	case status.State.Terminated != nil:
		return nil, fmt.Errorf("%s is not running (terminated: %s, exit %d)", where, status.State.Terminated.Reason, status.State.Terminated.ExitCode)
	case status.State.Running == nil:
		return nil, fmt.Errorf("%s is not running (phase %s)", where, pod.Status.Phase)
	}
	res.ContainerID = status.ContainerID
	// Only a binary built for the node's architecture runs there. Reading
	// the Node may be forbidden; then the shell's exec test decides.
	if arch, _, err := t.kubectl(ctx, nil, "get", "node", res.Node, "-o", "jsonpath={.status.nodeInfo.architecture}"); err == nil &&
		len(arch) > 0 && string(arch) != runtime.GOARCH {
		return nil, fmt.Errorf("%s: node %s is %s and this binary is %s", where, res.Node, arch, runtime.GOARCH)
	}
	return res, nil
}

// cleanup removes the binary at path. Its own context: the caller's may
// be what ended the run.
func (t Target) cleanup(res *Result, path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, _, err := t.kubectl(ctx, nil, "exec", "-n", res.Namespace, res.Pod, "-c", res.Container, "--", "rm", "-f", path); err != nil {
		return fmt.Errorf("the binary may be left in the container as %s: %w", path, err)
	}
	return nil
}

// kubectl runs kubectl with stdin, returning stdout and stderr; on failure
// the error carries kubectl's own words.
func (t Target) kubectl(ctx context.Context, stdin io.Reader, args ...string) ([]byte, []byte, error) {
	return kubectl.Kubectl{Path: t.Kubectl, Context: t.Context}.Run(ctx, stdin, args...)
}

// split separates runScript's lines from the rest of stderr.
func split(stderr []byte) (map[string]bool, []byte) {
	own := map[string]bool{}
	var rest bytes.Buffer
	for _, l := range strings.SplitAfter(string(stderr), "\n") {
		if w, ok := strings.CutPrefix(l, marker); ok {
			own[strings.TrimSpace(w)] = true
		} else if !strings.HasPrefix(l, "command terminated with exit code ") { // kubectl's, not the binary's
			rest.WriteString(l)
		}
	}
	return own, rest.Bytes()
}
