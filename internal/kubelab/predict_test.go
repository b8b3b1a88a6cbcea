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
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/internal/storage"
	"github.com/rampart-sec/rampart/kube"
)

// The manifests: testdata/predict/pods holds Pods with varied
// securityContexts; their Localhost seccomp profiles live in
// testdata/predict/profiles under profileSubdir, the path the manifests
// name, and are copied to the same place in the kubelet's seccomp root.
const (
	predictPods     = "testdata/predict/pods"
	predictProfiles = "testdata/predict/profiles"
	profileSubdir   = "rampart-predict"
	seedDir         = "../../examples/seed"
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
// running Pod on the lab's host node (containerd defaults, no
// seccompDefault, no AppArmor). Pods the kubelet refuses (an AppArmor
// profile on a node without AppArmor) must be the ones audit says it
// refuses. The rules are comparePaths'; every disagreement fails. The log
// ends with the seed's table.
func TestPredictionEqualsMeasurement(t *testing.T) {
	c := needLab(t)
	cases := seedCases()
	files, _ := filepath.Glob(filepath.Join(predictPods, "*.yaml"))
	for _, f := range files {
		cases = append(cases, predictCase{f, strings.TrimSuffix(filepath.Base(f), ".yaml"), false, predictProfiles})
	}
	if len(cases) < 60 {
		t.Fatalf("%d Pods (%d manifests in %s and the seed's 4), want at least 60", len(cases), len(files), predictPods)
	}
	installSeccompProfiles(t, c)
	// 62 Pods at once on two cores the AppArmor node's emulator shares:
	// about 90 s, and more on a busy machine.
	predictOn(t, c, hostPredictNode(t, c), cases)
}

// hostPredictNode is the lab's host node: containerd 2 (RuntimeBinaries),
// no seccompDefault, no AppArmor.
func hostPredictNode(t *testing.T, c *Cluster) predictNode {
	return predictNode{name: HostNode, runtime: ContainerdRelease, flags: labNodeFlags(t),
		bounding: runtimeBounding(t, c), wait: 4 * time.Minute}
}

func seedCases() []predictCase {
	var cases []predictCase
	for _, f := range []string{"0-baseline.yaml", "1-drop-net-raw.yaml", "2-seccomp.yaml", "3-apparmor.yaml"} {
		cases = append(cases, predictCase{filepath.Join(seedDir, f), "seed-" + strings.TrimSuffix(f, ".yaml"), true, seedDir})
	}
	return cases
}

// predictNode is a node the Pods run on and what audit is told of it.
type predictNode struct {
	name  string
	flags []string // audit's node flags, measured on the node
	// runtime is its containerd's release (audit --runtime-version):
	// RuntimeDefault and the rest of a runtime's defaults differ by
	// release.
	runtime string
	// bounding is the node's containerd's bounding set: all a privileged
	// container can get there.
	bounding caps.Set
	apparmor bool          // the node has AppArmor (audit --apparmor-node)
	wait     time.Duration // for all Pods to finish
	// batch is how many Pods run at once (0: all): an emulated node
	// times out creating too many sandboxes at once.
	batch int
	// known are disagreements understood but not yet fixed, by "FILE
	// CONTAINER PATH", with why: logged, not failed; one that agrees
	// again fails, so the list only shrinks.
	known map[string]string
}

// predictOn runs each case as a probe Pod on node and holds audit's
// prediction against each measurement.
func predictOn(t *testing.T, c *Cluster, node predictNode, cases []predictCase) {
	ctx, cancel := context.WithTimeout(context.Background(), node.wait+2*time.Minute)
	defer cancel()
	ns := scratchNamespace(t, c, "rampart-predict-")

	// One request per batch of Pods: they run concurrently.
	var items []*corev1.Pod
	for _, pc := range cases {
		p := probePod(t, pc)
		p.Spec.NodeName = node.name
		items = append(items, p)
	}
	batch := node.batch
	if batch == 0 {
		batch = len(items)
	}
	create := func(items []*corev1.Pod) {
		body, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
		if err != nil {
			t.Fatal(err)
		}
		cmd := c.KubectlCmd(ctx, "create", "-n", ns, "-f", "-")
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("creating the Pods: %v\n%s", err, out)
		}
	}
	create(items[:batch])

	// Audit while the Pods run.
	reports := map[string]*audit.Report{}
	flags := node.flags
	if node.apparmor {
		flags = append([]string{"--apparmor-node"}, flags...)
	}
	byDir := map[string][]string{}
	for _, pc := range cases {
		byDir[pc.profiles] = append(byDir[pc.profiles], pc.file)
	}
	for dir, files := range byDir {
		reports[dir] = runAudit(t, ctx, node.apparmor, append(append([]string{"--runtime", "containerd", "--runtime-version", node.runtime, "--profiles", dir}, flags...), files...)...)
	}

	t0 := time.Now()
	for done := batch; done < len(items); done += batch {
		waitPodsDone(t, ctx, c, ns, done, node.wait-time.Since(t0))
		create(items[done:min(done+batch, len(items))])
	}
	pods := waitPodsDone(t, ctx, c, ns, len(cases), node.wait-time.Since(t0))
	t.Logf("%d Pods on node %s, %d at a time: all done in %.0fs", len(items), node.name, batch, time.Since(t0).Seconds())

	known := maps.Clone(node.known)
	var table []string
	tally := map[string]*pathTally{}
	for _, pc := range cases {
		w := workload(t, reports[pc.profiles], pc.file)
		pod, ok := pods[pc.pod]
		if !ok {
			t.Errorf("%s: Pod %s not found", pc.file, pc.pod)
			continue
		}
		meas := map[string]*attack.Report{}
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
			comparePaths(t, pc, ctr, rep, node.bounding, tally, known)
		}
		if pc.seed {
			table = append(table, seedRow(pc, w.Containers[0], meas[w.Containers[0].Name]))
		}
	}
	for k, why := range known {
		t.Errorf("%s: listed as a known disagreement (%s), but not one now: remove it from the list", k, why)
	}
	t.Logf("the seed's steps on node %s, measured / predicted:\n\n%s\n%s\n%s", node.name,
		"| step | raw-socket | userns-netns | read-shadow |", "|---|---|---|---|", strings.Join(table, "\n"))
	t.Logf("predicted = measured on node %s, per path, over the containers of %d Pods (a Pod the kubelet refuses has none measured):\n\n%s", node.name, len(cases), tallyTable(tally))
}

// pathTally counts, for one path, the containers compared, those whose
// prediction equals the measurement, and the measured cells.
type pathTally struct {
	compared, equal int
	cells           map[string]int
}

// tallyTable is the README's precision table: each path, how often
// prediction equals measurement, and what was measured (a path measured
// one way only proves less than one measured open and closed by each
// layer).
func tallyTable(tally map[string]*pathTally) string {
	order := []string{"open", "blocked by seccomp", "blocked by capabilities", "blocked by lsm", "blocked by other"}
	rows := []string{"| path | predicted = measured | open | seccomp | capabilities | LSM | other |", "|---|---|---|---|---|---|---|"}
	// A userns column, in kernel order, where a Pod had hostUsers: false.
	for _, pt := range tally {
		if pt.cells["blocked by "+attack.ByUserNS] > 0 {
			order = slices.Insert(order, 3, "blocked by "+attack.ByUserNS)
			rows = []string{"| path | predicted = measured | open | seccomp | capabilities | userns | LSM | other |", "|---|---|---|---|---|---|---|---|"}
			break
		}
	}
	for _, path := range attack.Catalog() {
		id := path.ID
		pt, ok := tally[id]
		if !ok {
			continue
		}
		row := fmt.Sprintf("| `%s` | %d / %d |", id, pt.equal, pt.compared)
		for _, c := range order {
			row += fmt.Sprintf(" %d |", pt.cells[c])
		}
		rows = append(rows, row)
	}
	return strings.Join(rows, "\n")
}

// comparePaths holds the audit's prediction for one container against the
// probe's measurement, row by row: open, or blocked by the same layer,
// exactly. What the node decides by itself (its kernel, its runtime's
// socket, its disks) is told to audit with the node flags (labNodeFlags),
// so a disagreement is a wrong model or a wrong measurement, never the
// node's.
func comparePaths(t *testing.T, pc predictCase, ctr audit.Container, rep *attack.Report, runtimeBounding caps.Set, tally map[string]*pathTally, known map[string]string) {
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
	measured := map[string]attack.Result{}
	for _, r := range rep.Results {
		measured[r.ID] = r
	}
	for _, p := range ctr.Paths {
		m, ok := measured[p.ID]
		if !ok {
			t.Errorf("%s: %s not measured", where, p.ID)
			continue
		}
		pred, meas := cellOf(p.Verdict, p.Layer), cellOf(m.Verdict, m.Layer)
		pt := tally[p.ID]
		if pt == nil {
			pt = &pathTally{cells: map[string]int{}}
			tally[p.ID] = pt
		}
		pt.compared++
		pt.cells[meas]++
		switch {
		case pred == meas:
			pt.equal++
		case p.Verdict != attack.Open && m.Verdict != attack.Open && slices.Contains(m.Ambiguous, p.Layer):
			// The probe could not tell which of these layers refused (no
			// canary could run: open-by-handle on the AppArmor node's
			// 6.1 kernel); a prediction among them is not contradicted.
			pt.equal++
			t.Logf("%s: %s predicted %s, measured blocked by one of %v (the probe cannot tell which)", where, p.ID, pred, m.Ambiguous)
		case known[where+" "+p.ID] != "":
			t.Logf("%s: %s predicted %s, measured %s: a known disagreement: %s", where, p.ID, pred, meas, known[where+" "+p.ID])
			delete(known, where+" "+p.ID)
		default:
			t.Errorf("%s: %s predicted %s (%s), measured %s (%s: %s; ambiguous: %v)", where, p.ID, pred, p.Why, meas, m.Step, m.Evidence, m.Ambiguous)
		}
	}
	t.Logf("%s: %d paths compared", where, len(ctr.Paths))
}

// abstractBound says whether anything binds an abstract UNIX socket in
// this machine's network namespace, the host node's: a line of
// /proc/net/unix whose path starts with @.
func abstractBound(t *testing.T) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 8 && strings.HasPrefix(f[7], "@") {
			return true
		}
	}
	return false
}

// labNodeFlags are the lab node's facts that audit cannot read from a
// manifest, measured on the node (this machine) the way an operator
// would: where its containerd listens (the presence-runtime-socket Pods
// mount it), what its kernel was built with, whether pid 1 is guarded,
// and whether root may open its disks.
func labNodeFlags(t *testing.T) []string {
	t.Helper()
	var kernel []string
	absent := func(p string) bool { _, err := os.Stat(p); return errors.Is(err, fs.ErrNotExist) }
	if absent("/proc/modules") {
		kernel = append(kernel, audit.KernelNoModules)
	}
	if absent("/proc/sysrq-trigger") {
		kernel = append(kernel, audit.KernelNoSysrq)
	}
	if features.HaveIA32() != nil {
		kernel = append(kernel, audit.KernelNoIA32)
	}
	// root holds CAP_SYS_PTRACE here: a refusal is an LSM's.
	if _, err := os.Readlink("/proc/1/ns/net"); errors.Is(err, fs.ErrPermission) {
		kernel = append(kernel, audit.KernelPID1Protected)
	}
	if !abstractBound(t) {
		kernel = append(kernel, audit.KernelNoAbstractUnix)
	}
	flags := []string{"--node-runtime-socket", filepath.Join(StateDir, "run", "containerd.sock") + "=0660:root:root"}
	if len(kernel) > 0 {
		flags = append(flags, "--node-kernel", strings.Join(kernel, ","))
	}
	disks, err := storage.MountedDisks()
	if err != nil || len(disks) == 0 {
		t.Fatalf("the node's disks: %v (%d found)", err, len(disks))
	}
	f, err := os.Open(disks[0].Path)
	switch {
	case errors.Is(err, fs.ErrPermission):
		flags = append(flags, "--node-disk", "refused")
	case err != nil:
		t.Fatalf("the node's disk: %v", err)
	default:
		f.Close()
		var st unix.Stat_t
		if err := unix.Stat(disks[0].Path, &st); err != nil {
			t.Fatal(err)
		}
		flags = append(flags, "--node-disk", fmt.Sprintf("%04o:%d:%d", st.Mode&0o777, st.Uid, st.Gid))
	}
	t.Logf("the node's facts: %s", strings.Join(flags, " "))
	return flags
}

// checkRefused: audit says the kubelet will not start the Pod (it asks
// for AppArmor, the node has none). The kubelet must refuse it, and audit
// must say the AppArmor layer is not applied rather than predict it. Or
// audit says the runtime cannot start the container (a volume it cannot
// idmap), and it must not have started.
func checkRefused(t *testing.T, pc predictCase, pod *corev1.Pod, ctr audit.Container) {
	t.Helper()
	// hostUsers: false and a volume runc cannot idmap: the container
	// fails to start, in runc's words.
	if strings.Contains(ctr.Refused, "cannot be idmapped") {
		for _, st := range pod.Status.ContainerStatuses {
			if st.Name == ctr.Name && st.State.Terminated != nil && st.State.Terminated.Reason == "StartError" &&
				strings.Contains(st.State.Terminated.Message, "MOUNT_ATTR_IDMAP") {
				return
			}
		}
		t.Errorf("%s: audit predicts %s fails to start (%s); its status: %+v", pc.file, ctr.Name, ctr.Refused, pod.Status.ContainerStatuses)
		return
	}
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
	if verdict == attack.Open {
		return "open"
	}
	return "blocked by " + layer
}

// seedRow is one line of the seed's table: each seed path measured /
// predicted.
func seedRow(pc predictCase, ctr audit.Container, rep *attack.Report) string {
	row := []string{strings.TrimPrefix(pc.pod, "seed-")}
	for _, id := range attack.Seed {
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
func waitPodsDone(t *testing.T, ctx context.Context, c *Cluster, ns string, n int, limit time.Duration) map[string]*corev1.Pod {
	t.Helper()
	pods := map[string]*corev1.Pod{}
	err := waitFor(ctx, limit, "the probe Pods to finish", func() error {
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

func probeLogs(t *testing.T, ctx context.Context, c *Cluster, ns, pod, ctr string) *attack.Report {
	t.Helper()
	b, err := c.Kubectl(ctx, "logs", "-n", ns, pod, "-c", ctr)
	if err != nil {
		t.Error(err)
		return nil
	}
	var rep attack.Report
	if err := json.Unmarshal(b, &rep); err != nil || rep.State == nil {
		t.Errorf("%s/%s: not a probe report: %v\n%s", pod, ctr, err, b)
		return nil
	}
	return &rep
}

func runAudit(t *testing.T, ctx context.Context, apparmor bool, args ...string) *audit.Report {
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
	if r.Node.SeccompDefault || r.Node.AppArmor != apparmor || r.Node.Runtime != "containerd" {
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
