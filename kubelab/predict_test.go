package kubelab

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/probe"
)

// The manifests: testdata/predict/pods holds Pods with varied
// securityContexts; their Localhost seccomp profiles live in
// testdata/predict/profiles under profileSubdir, the path the manifests
// name, and are copied to the same place in the kubelet's seccomp root.
const (
	predictPods     = "testdata/predict/pods"
	predictProfiles = "testdata/predict/profiles"
	profileSubdir   = "rampart-predict"
	seedDir         = "../examples/seed"
)

// predictCase is one manifest: audit reads file; the lab runs it as the
// Pod pod, every container's command replaced by the probe.
type predictCase struct {
	file, pod string
	seed      bool
	profiles  string // audit's --profiles
}

// TestPredictionEqualsMeasurement: for each manifest, what `rampart audit`
// predicts per attack path is what `rampart probe` measures inside the
// running Pod on the lab's node (containerd defaults, no seccompDefault,
// no AppArmor). Pods the kubelet refuses (an AppArmor profile on a node
// without AppArmor) must be the ones audit says it refuses. The rules are
// comparePaths'; every disagreement fails. The log ends with the seed's
// table.
func TestPredictionEqualsMeasurement(t *testing.T) {
	c := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var cases []predictCase
	for _, f := range []string{"0-baseline.yaml", "1-drop-net-raw.yaml", "2-seccomp.yaml", "3-apparmor.yaml"} {
		cases = append(cases, predictCase{filepath.Join(seedDir, f), "seed-" + strings.TrimSuffix(f, ".yaml"), true, seedDir})
	}
	files, _ := filepath.Glob(filepath.Join(predictPods, "*.yaml"))
	for _, f := range files {
		cases = append(cases, predictCase{f, strings.TrimSuffix(filepath.Base(f), ".yaml"), false, predictProfiles})
	}
	if len(files) < 20 {
		t.Fatalf("%d manifests in %s, want at least 20", len(files), predictPods)
	}

	installSeccompProfiles(t, c)
	ns := "rampart-predict-" + randomSuffix()
	if _, err := c.Kubectl(ctx, "create", "namespace", ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Kubectl(context.Background(), "delete", "namespace", ns, "--wait=false") })

	// One request for all Pods: they run concurrently.
	var items []*corev1.Pod
	for _, pc := range cases {
		items = append(items, probePod(t, pc))
	}
	body, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		t.Fatal(err)
	}
	cmd := c.KubectlCmd(ctx, "create", "-n", ns, "-f", "-")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("creating the Pods: %v\n%s", err, out)
	}

	// Audit while the Pods run.
	reports := map[string]*audit.Report{}
	for _, dir := range []string{seedDir, predictProfiles} {
		var fs []string
		for _, pc := range cases {
			if pc.profiles == dir {
				fs = append(fs, pc.file)
			}
		}
		// The lab's node runs Debian's containerd 1.6.20, whose
		// RuntimeDefault is not a newer release's.
		reports[dir] = runAudit(t, ctx, append([]string{"--runtime", "containerd", "--runtime-version", "1.6.20", "--profiles", dir}, fs...)...)
	}

	pods := waitPodsDone(t, ctx, c, ns, len(cases))
	bounding := runtimeBounding(t, c)

	var table []string
	for _, pc := range cases {
		w := workload(t, reports[pc.profiles], pc.file)
		pod, ok := pods[pc.pod]
		if !ok {
			t.Errorf("%s: Pod %s not found", pc.file, pc.pod)
			continue
		}
		meas := map[string]*probe.Report{}
		for _, ctr := range w.Containers {
			if ctr.Refused != "" {
				checkRefused(t, pc, pod, ctr)
				continue
			}
			if pod.Status.Phase != corev1.PodSucceeded {
				t.Errorf("%s: Pod %s is %s (%s: %s), audit expects it to run", pc.file, pc.pod, pod.Status.Phase, pod.Status.Reason, pod.Status.Message)
				continue
			}
			rep := probeLogs(t, ctx, c, ns, pc.pod, ctr.Name)
			if rep == nil {
				continue
			}
			meas[ctr.Name] = rep
			comparePaths(t, pc, ctr, rep, bounding)
		}
		if pc.seed {
			table = append(table, seedRow(pc, w.Containers[0], meas[w.Containers[0].Name]))
		}
	}
	t.Logf("the seed's steps on the lab's node, measured / predicted:\n\n%s\n%s\n%s",
		"| step | raw-socket | userns-netns | read-shadow |", "|---|---|---|---|", strings.Join(table, "\n"))
}

// comparePaths holds the audit's prediction for one container against the
// probe's measurement, row by row: open, or blocked by the same layer.
// Two kinds of row differ only as far as the evidence allows:
//
//   - measured "blocked by other" where audit predicts otherwise: the node
//     closed the path by something no manifest says and audit does not
//     model (an absent file or socket, a kernel built without the call,
//     file permissions). Such a row still disagrees when audit predicts
//     seccomp: the filter answers at syscall entry, before any of these,
//     and the probe's canary would have said so.
//   - measured ambiguous: the evidence fits several layers; the
//     prediction must name one of them.
func comparePaths(t *testing.T, pc predictCase, ctr audit.Container, rep *probe.Report, runtimeBounding caps.Set) {
	t.Helper()
	where := pc.file + " " + ctr.Name
	// The layers themselves first: the capability set and seccomp mode
	// audit resolves are what the process has. A runtime can grant only
	// what it holds: a privileged container gets containerd's bounding
	// set, which on this machine lacks CAP_SYS_RESOURCE.
	got, err1 := caps.FromNames(rep.State.CapEff)
	want, err2 := caps.FromNames(ctr.Capabilities.Effective)
	if err1 != nil || err2 != nil || got != want.Intersect(runtimeBounding) {
		t.Errorf("%s: CapEff %v, audit predicts %v within the runtime's %v (%v %v)", where, got, want, runtimeBounding, err1, err2)
	}
	if filtered := ctr.Seccomp.Evaluated != "no filter"; filtered != (rep.State.Seccomp == 2) {
		t.Errorf("%s: seccomp mode %d, audit predicts profile %s (%s)", where, rep.State.Seccomp, ctr.Seccomp.Profile, ctr.Seccomp.Evaluated)
	}
	measured := map[string]probe.Result{}
	for _, r := range rep.Results {
		measured[r.ID] = r
	}
	var env []string
	for _, p := range ctr.Paths {
		m, ok := measured[p.ID]
		if !ok {
			t.Errorf("%s: %s not measured", where, p.ID)
			continue
		}
		pred, meas := cellOf(p.Verdict, p.Layer), cellOf(m.Verdict, m.Layer)
		switch {
		case pred == meas:
		case m.Verdict == probe.Blocked && m.Layer == probe.ByOther:
			if p.Layer == probe.BySeccomp {
				t.Errorf("%s: %s predicted %s (%s), measured %s (%s)", where, p.ID, pred, p.Why, meas, m.Evidence)
			}
			env = append(env, fmt.Sprintf("%s (%s; predicted %s)", p.ID, m.Evidence, pred))
		case len(m.Ambiguous) > 0:
			if p.Verdict != probe.Blocked || !slices.Contains(m.Ambiguous, p.Layer) {
				t.Errorf("%s: %s predicted %s (%s), measured blocked by one of %v (%s)", where, p.ID, pred, p.Why, m.Ambiguous, m.Evidence)
			}
		default:
			t.Errorf("%s: %s predicted %s (%s), measured %s (%s: %s)", where, p.ID, pred, p.Why, meas, m.Step, m.Evidence)
		}
	}
	t.Logf("%s: %d paths compared; decided by the node: %s", where, len(ctr.Paths), strings.Join(env, "; "))
}

// checkRefused: audit says the kubelet will not start the Pod (it asks
// for AppArmor, the node has none). The kubelet must refuse it, and audit
// must say the AppArmor layer is not applied rather than predict it.
func checkRefused(t *testing.T, pc predictCase, pod *corev1.Pod, ctr audit.Container) {
	t.Helper()
	if pod.Status.Phase != corev1.PodFailed || pod.Status.Reason != "AppArmor" {
		t.Errorf("%s: audit predicts a refusal (%s); the Pod is %s (reason %q: %s)", pc.file, ctr.Refused, pod.Status.Phase, pod.Status.Reason, pod.Status.Message)
	}
	if !strings.HasPrefix(ctr.AppArmor.Evaluated, "not applied") {
		t.Errorf("%s: AppArmor %s evaluated %q, want not applied on a node without AppArmor", pc.file, ctr.AppArmor.Profile, ctr.AppArmor.Evaluated)
	}
}

// runtimeBounding is containerd's own bounding set: all a privileged
// container can get.
func runtimeBounding(t *testing.T, c *Cluster) caps.Set {
	t.Helper()
	pid, err := os.ReadFile(c.path("pids/containerd"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := procstatus.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	return st.CapBnd
}

func cellOf(verdict, layer string) string {
	if verdict == probe.Open {
		return "open"
	}
	return "blocked by " + layer
}

// seedRow is one line of the seed's table: each seed path measured /
// predicted.
func seedRow(pc predictCase, ctr audit.Container, rep *probe.Report) string {
	row := []string{strings.TrimPrefix(pc.pod, "seed-")}
	for _, id := range probe.Seed {
		meas := "refused by the kubelet (no AppArmor)"
		if rep != nil {
			meas = "not measured"
			for _, r := range rep.Results {
				if r.ID == id {
					meas = cellOf(r.Verdict, r.Layer)
				}
			}
		}
		pred := ""
		for _, p := range ctr.Paths {
			if p.ID == id {
				pred = cellOf(p.Verdict, p.Layer)
			}
		}
		if ctr.Refused != "" {
			pred = "refused (no AppArmor); else " + pred
		}
		row = append(row, meas+" / "+pred)
	}
	return "| " + strings.Join(row, " | ") + " |"
}

// probePod turns a manifest's pod template into a Pod of the lab's image
// whose containers run the probe; the security context, annotations and
// pod-level fields stay as written.
func probePod(t *testing.T, pc predictCase) *corev1.Pod {
	t.Helper()
	cs, err := kube.ReadFile(pc.file)
	if err != nil || len(cs) == 0 {
		t.Fatalf("%s: %v (%d containers)", pc.file, err, len(cs))
	}
	spec := cs[0].Pod.DeepCopy()
	spec.RestartPolicy = corev1.RestartPolicyNever
	zero := int64(0)
	spec.TerminationGracePeriodSeconds = &zero
	for i := range spec.Containers {
		ct := &spec.Containers[i]
		ct.Image, ct.ImagePullPolicy = Image, corev1.PullNever
		ct.Command, ct.Args = []string{"/usr/local/bin/rampart", "probe", "-o", "json"}, nil
	}
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: pc.pod, Annotations: cs[0].Meta.Annotations},
		Spec:       *spec,
	}
}

// installSeccompProfiles copies the Localhost profiles into the kubelet's
// seccomp root, under the subdirectory the manifests name, and removes
// them when the test ends.
func installSeccompProfiles(t *testing.T, c *Cluster) {
	t.Helper()
	dst := filepath.Join(c.SeccompDir, profileSubdir)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dst) })
	src, _ := filepath.Glob(filepath.Join(predictProfiles, profileSubdir, "*.json"))
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// waitPodsDone polls until every Pod has finished (the probe exits; the
// kubelet fails a Pod it refuses) and returns them by name.
func waitPodsDone(t *testing.T, ctx context.Context, c *Cluster, ns string, n int) map[string]*corev1.Pod {
	t.Helper()
	pods := map[string]*corev1.Pod{}
	err := waitFor(ctx, 100*time.Second, "the probe Pods to finish", func() error {
		b, code, err := c.Get(ctx, "/api/v1/namespaces/"+ns+"/pods")
		if err != nil || code != 200 {
			return fmt.Errorf("HTTP %d: %v", code, err)
		}
		var l corev1.PodList
		if err := json.Unmarshal(b, &l); err != nil {
			return err
		}
		var running []string
		for i := range l.Items {
			p := &l.Items[i]
			pods[p.Name] = p
			if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				running = append(running, p.Name+" "+string(p.Status.Phase))
			}
		}
		if len(l.Items) != n || len(running) > 0 {
			return fmt.Errorf("%d of %d Pods, unfinished: %s", len(l.Items), n, strings.Join(running, ", "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pods
}

func probeLogs(t *testing.T, ctx context.Context, c *Cluster, ns, pod, ctr string) *probe.Report {
	t.Helper()
	b, err := c.Kubectl(ctx, "logs", "-n", ns, pod, "-c", ctr)
	if err != nil {
		t.Error(err)
		return nil
	}
	var rep probe.Report
	if err := json.Unmarshal(b, &rep); err != nil || rep.State == nil {
		t.Errorf("%s/%s: not a probe report: %v\n%s", pod, ctr, err, b)
		return nil
	}
	return &rep
}

func runAudit(t *testing.T, ctx context.Context, args ...string) *audit.Report {
	t.Helper()
	cmd := exec.CommandContext(ctx, rampartBin, append([]string{"audit", "-o", "json"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rampart audit %v: %v", args, err)
	}
	var r audit.Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.Node.SeccompDefault || r.Node.AppArmor || r.Node.Runtime != "containerd" {
		t.Fatalf("audit assumed a node unlike the lab's: %+v", r.Node)
	}
	return &r
}

func workload(t *testing.T, r *audit.Report, file string) audit.Workload {
	t.Helper()
	for _, w := range r.Workloads {
		if w.File == file {
			return w
		}
	}
	t.Fatalf("audit has no workload from %s (errors: %+v)", file, r.Errors)
	return audit.Workload{}
}

func randomSuffix() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}
