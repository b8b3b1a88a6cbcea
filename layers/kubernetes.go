package layers

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/atomicfile"
	"github.com/rampart-sec/rampart/internal/kubectl"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/policy"
)

// Kubernetes runs each step as a Pod in a scratch namespace of the
// current kubeconfig's cluster: the kubelet, the container runtime and
// the node's kernel decide, exactly as for the user's workloads. It talks
// to the cluster through kubectl, so every kubeconfig, context and
// credential plugin the user has works unchanged. The scheduler places
// the Pods, unless --node or --node-selector says where, or a step needs
// AppArmor and a node is labelled as having it (Place); a step's later
// Pods follow its first to the same node, which the matrix names.
type Kubernetes struct {
	o  KubernetesOptions
	ns string
	n  atomic.Int64
	// pin is the node every Pod is given by spec.nodeName: --node, or
	// the AppArmor node Place chose ("": the scheduler's choice).
	pin string
	mu  sync.Mutex
	// ran is the node each step's first Pod ran on (keyed by the step's
	// policy, one per step and run): its later Pods follow it, so that
	// one column is one node.
	ran map[*policy.Policy]string
}

// KubernetesOptions configure the engine.
type KubernetesOptions struct {
	// Kubectl is the kubectl binary (default: kubectl on PATH).
	Kubectl string
	// Image holds the static rampart at /usr/local/bin/rampart and a
	// /bin/sh for --attack rows.
	Image string
	// Defaults is the node runtime's default capability set: a policy
	// base equal to it needs no capabilities field.
	Defaults caps.Set
	// SeccompDir is the kubelet's seccomp directory. A policy's seccomp
	// file inside it is used as the Localhost profile of that name; one
	// elsewhere is copied in when the directory exists here (the node is
	// this machine). Otherwise such policies are refused.
	SeccompDir string
	// Timeout bounds one Pod from creation to its end (default
	// DefaultPodTimeout).
	Timeout time.Duration
	// Node, when set, is the node every Pod runs on (spec.nodeName);
	// NodeSelector, when set, is every Pod's nodeSelector. NewKubernetes
	// refuses them malformed (CheckPlacement) or when no Ready node
	// matches.
	Node         string
	NodeSelector map[string]string
}

// DefaultPodTimeout bounds one step's Pod, from creation to its end,
// unless --pod-timeout says otherwise: room for an image pull and a slow
// (emulated, loaded) node.
const DefaultPodTimeout = 5 * time.Minute

// RampartInImage is where the engine expects rampart in Image.
const RampartInImage = "/usr/local/bin/rampart"

// DefaultImage is the image `make image` builds (and the kube lab imports).
const DefaultImage = "localhost/rampart:latest"

// NewKubernetes creates the scratch namespace; Close deletes it.
func NewKubernetes(ctx context.Context, o KubernetesOptions) (*Kubernetes, error) {
	if o.Kubectl == "" {
		o.Kubectl = "kubectl"
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultPodTimeout
	}
	if o.Image == "" {
		return nil, errors.New("the kubernetes engine needs --image: an image with the static rampart at " + RampartInImage)
	}
	suffix := make([]byte, 3)
	rand.Read(suffix)
	k := &Kubernetes{o: o, ns: "rampart-layers-" + hex.EncodeToString(suffix), pin: o.Node, ran: map[*policy.Policy]string{}}
	if err := CheckPlacement("kubernetes", o.Node, o.NodeSelector); err != nil {
		return nil, err
	}
	if o.Node != "" || len(o.NodeSelector) > 0 {
		// Checked before anything is created: a Pod for a node that
		// cannot take it waits, Pending, until its timeout.
		nodes, err := k.nodes(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the cluster's nodes to check --node or --node-selector: %w", err)
		}
		if err := checkNodes(nodes, o.Node, o.NodeSelector); err != nil {
			return nil, err
		}
	}
	if _, err := k.kubectl(ctx, nil, "create", "namespace", k.ns); err != nil {
		return nil, err
	}
	return k, nil
}

func (*Kubernetes) Name() string { return "kubernetes" }

// Namespace is the scratch namespace the Pods run in.
func (k *Kubernetes) Namespace() string { return k.ns }

// Close deletes the scratch namespace and everything in it (without
// waiting for the namespace controller to finish).
func (k *Kubernetes) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := k.kubectl(ctx, nil, "delete", "namespace", k.ns, "--wait=false")
	return err
}

func (k *Kubernetes) kubectl(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	var in io.Reader
	if stdin != nil {
		in = bytes.NewReader(stdin)
	}
	out, _, err := kubectl.Kubectl{Path: k.o.Kubectl}.Run(ctx, in, args...)
	return out, err
}

// pod renders the step's policy as a Pod running argv.
func (k *Kubernetes) pod(s Step, kind string, argv []string) (*corev1.Pod, error) {
	o := kube.PodOptions{
		Name:      fmt.Sprintf("%s-%s-%d", kind, stepSlug(s.Name), k.n.Add(1)),
		Namespace: k.ns,
		Image:     k.o.Image,
		Command:   argv,
	}
	if s.Policy.Seccomp.Kind == policy.SeccompFile && k.o.SeccompDir != "" {
		name, err := placeSeccomp(k.o.SeccompDir, s.Policy.Seccomp.Path)
		if err != nil {
			return nil, err
		}
		o.SeccompLocalhost = name
	}
	p := *s.Policy
	// The kubelet has its own answer to a missing AppArmor: refusing the
	// Pod. That answer is the finding, so no stand-in is asked for.
	p.LSMFallback = ""
	pod, err := kube.PodFor(&p, k.o.Defaults, o)
	if err != nil {
		return nil, err
	}
	pod.Spec.NodeName = k.pin
	if pod.Spec.NodeName == "" {
		pod.Spec.NodeName = k.NodeOf(s)
	}
	if len(k.o.NodeSelector) > 0 {
		pod.Spec.NodeSelector = maps.Clone(k.o.NodeSelector)
	}
	return pod, nil
}

// NodeOf is the node that ran s's Pods ("" before one was bound to a
// node, or when the API server refused it).
func (k *Kubernetes) NodeOf(s Step) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.ran[s.Policy]
}

func (k *Kubernetes) ranOn(s Step, node string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ran[s.Policy] == "" {
		k.ran[s.Policy] = node
	}
}

// placeSeccomp names the profile at path relative to the kubelet's seccomp
// directory, copying it in under a content-addressed name (so concurrent
// steps and runs never clash) when it is not there already.
func placeSeccomp(dir, path string) (string, error) {
	if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel, nil
	}
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("seccomp profile %s must be on the node to be used as Localhost, and the kubelet's seccomp directory %s is not on this machine (--seccomp-dir)", path, dir)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	name := filepath.Join("rampart", hex.EncodeToString(sum[:8])+".json")
	if err := os.MkdirAll(filepath.Join(dir, "rampart"), 0o755); err != nil {
		return "", err
	}
	return name, atomicfile.WriteFile(filepath.Join(dir, name), b, 0o644)
}

func stepSlug(name string) string {
	return strings.Trim(strings.ReplaceAll(name, "+", ""), "-")
}

// outcome is how a one-shot Pod ended.
type outcome struct {
	exit int32
	logs string
}

// run creates the Pod and waits for its container to end. A Pod the
// platform will not run — refused by admission, by the kubelet (an
// AppArmor profile on a node without AppArmor), or by the runtime (a
// seccomp profile it cannot load) — is a *Refused carrying the
// platform's own words.
func (k *Kubernetes) run(ctx context.Context, s Step, pod *corev1.Pod) (*outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, k.o.Timeout)
	defer cancel()
	if pod.Spec.HostUsers != nil && !*pod.Spec.HostUsers {
		if r := k.usernsRefused(ctx, pod); r != nil {
			return nil, r
		}
	}
	body, err := json.Marshal(pod)
	if err != nil {
		return nil, err
	}
	if _, err := k.kubectl(ctx, body, "create", "-f", "-"); err != nil {
		var ke *kubectl.Error
		if errors.As(err, &ke) && strings.Contains(ke.Msg, "forbidden") {
			return nil, &Refused{Reason: "the API server refused the Pod: " + ke.Msg}
		}
		return nil, err
	}
	late := func(phase corev1.PodPhase) error {
		return fmt.Errorf("pod %s/%s did not finish within %s (phase %s; --pod-timeout gives it longer)", k.ns, pod.Name, k.o.Timeout, phase)
	}
	var phase corev1.PodPhase
	for {
		out, err := k.read(ctx, "get", "pod", "-n", k.ns, pod.Name, "-o", "json")
		if err != nil {
			if ctx.Err() != nil {
				return nil, late(phase)
			}
			return nil, err
		}
		var st corev1.Pod
		if err := json.Unmarshal(out, &st); err != nil {
			return nil, err
		}
		phase = st.Status.Phase
		if st.Spec.NodeName != "" {
			k.ranOn(s, st.Spec.NodeName)
		}
		if o, err := k.ended(ctx, &st); o != nil || err != nil {
			if err != nil && ctx.Err() != nil {
				return nil, late(phase)
			}
			return o, err
		}
		select {
		case <-ctx.Done():
			return nil, late(phase)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// read runs a kubectl that only reads, trying again twice when kubectl
// fails: the path to a node's logs (API server, node proxy, kubelet) can
// drop a request when the node is busy, and a Pod that ended has its
// outcome in the cluster still. Errors of the Pod itself are not kubectl
// failures and are never retried; nor is a timeout.
func (k *Kubernetes) read(ctx context.Context, args ...string) ([]byte, error) {
	for try := 1; ; try++ {
		out, err := k.kubectl(ctx, nil, args...)
		var ke *kubectl.Error
		if err == nil || try == 3 || !errors.As(err, &ke) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Duration(try) * time.Second):
		}
	}
}

// Waiting reasons that mean the runtime will not create the container
// with this configuration; retrying cannot help.
var refusedWaiting = map[string]bool{
	"CreateContainerError":       true,
	"CreateContainerConfigError": true,
	"RunContainerError":          true,
}

// Waiting reasons that mean the image is not there: rampart's problem to
// report, not the policy's.
var imageWaiting = map[string]bool{
	"ErrImagePull": true, "ImagePullBackOff": true, "ErrImageNeverPull": true, "InvalidImageName": true,
}

func (k *Kubernetes) ended(ctx context.Context, st *corev1.Pod) (*outcome, error) {
	for _, cs := range st.Status.ContainerStatuses {
		if t := cs.State.Terminated; t != nil {
			if t.Reason == "StartError" || t.Reason == "ContainerCannotRun" {
				return nil, &Refused{Reason: fmt.Sprintf("the runtime could not start the container (%s): %s", t.Reason, strings.TrimSpace(t.Message))}
			}
			logs, err := k.read(ctx, "logs", "-n", k.ns, st.Name)
			if err != nil {
				return nil, err
			}
			return &outcome{exit: t.ExitCode, logs: string(logs)}, nil
		}
		if w := cs.State.Waiting; w != nil {
			switch {
			case refusedWaiting[w.Reason]:
				return nil, &Refused{Reason: fmt.Sprintf("the runtime refused the container (%s): %s", w.Reason, w.Message)}
			case imageWaiting[w.Reason]:
				return nil, fmt.Errorf("image %s is not available to the node (%s: %s); it must hold the static rampart at %s", k.o.Image, w.Reason, w.Message, RampartInImage)
			}
		}
	}
	if st.Status.Phase == corev1.PodFailed {
		// Failed before any container ran: the kubelet's admission said no.
		return nil, &Refused{Reason: fmt.Sprintf("the kubelet refused the Pod (%s): %s", st.Status.Reason, st.Status.Message)}
	}
	return nil, nil
}

// Probe runs the probe (StepCommand, the kubelet and the runtime having
// applied the layers) as the Pod's only process.
func (k *Kubernetes) Probe(ctx context.Context, s Step, ids []string) (*attack.Report, []string, error) {
	pod, err := k.pod(s, "probe", StepRequest{Only: ids}.Argv(RampartInImage))
	if err != nil {
		return nil, nil, err
	}
	o, err := k.run(ctx, s, pod)
	if err != nil {
		return nil, nil, err
	}
	if o.exit != 0 {
		return nil, nil, fmt.Errorf("pod %s: rampart probe exited %d: %s", pod.Name, o.exit, lastLine(o.logs))
	}
	rep, err := decodeReport(o.logs)
	if err != nil {
		return nil, nil, fmt.Errorf("pod %s: %w", pod.Name, err)
	}
	return rep, nil, nil
}

// decodeReport finds the report in a container log, which interleaves
// stderr (warnings) with the JSON on stdout.
func decodeReport(logs string) (*attack.Report, error) {
	i := strings.Index(logs, "\n{")
	switch {
	case strings.HasPrefix(logs, "{"):
		i = 0
	case i >= 0:
		i++
	default:
		return nil, fmt.Errorf("no probe report in the log: %s", lastLine(logs))
	}
	var rep attack.Report
	if err := json.NewDecoder(strings.NewReader(logs[i:])).Decode(&rep); err != nil {
		return nil, fmt.Errorf("probe report: %w", err)
	}
	return &rep, nil
}

// Attack runs the shell command as the Pod's process; exit 0 = open.
func (k *Kubernetes) Attack(ctx context.Context, s Step, shell string) (bool, string, error) {
	pod, err := k.pod(s, "attack", []string{"/bin/sh", "-c", shell})
	if err != nil {
		return false, "", err
	}
	o, err := k.run(ctx, s, pod)
	if err != nil {
		return false, "", err
	}
	if o.exit == 0 {
		return true, "exit 0", nil
	}
	return false, fmt.Sprintf("exit %d: %s", o.exit, lastLine(o.logs)), nil
}
