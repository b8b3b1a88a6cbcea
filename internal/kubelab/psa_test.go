//go:build linux

package kubelab

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	yaml2 "go.yaml.in/yaml/v2"

	"github.com/rampart-sec/rampart/audit"
)

// Where the manifests come from: the shared corpus of real-world
// workloads (see its SOURCES.md) and the pass/fail Pods that
// k8s.io/pod-security-admission tests itself with.
const (
	corpusManifests = "/work/shared/corpus/manifests"
	psaFixturesDir  = "../../audit/testdata/psa"
)

// psaResources are the Pod-bearing kinds and their REST collections.
var psaResources = map[string]string{
	"Pod": "pods", "Deployment": "deployments", "StatefulSet": "statefulsets",
	"DaemonSet": "daemonsets", "ReplicaSet": "replicasets",
	"ReplicationController": "replicationcontrollers", "Job": "jobs", "CronJob": "cronjobs",
}

// psaObject is one Pod-bearing object of a manifest file, as kubectl
// would send it, with rampart's level for it.
type psaObject struct {
	file       string // relative to its tree, for messages
	kind, name string
	body       map[string]any
	// level is rampart's Pod Security level for the object ("" when
	// rampart read no workload for it; readErr then says why).
	level    string
	failures string
	readErr  string
}

func (o *psaObject) String() string { return o.file + ": " + o.kind + "/" + o.name }

// docStart is a line kubectl splits documents at: "---" alone or before a
// comment.
var docStart = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?\r?$`)

// manifestObjects reads a file the way kubectl does — documents split at
// "---" lines, each read as YAML 1.1 and turned into JSON — and returns
// its Pod-bearing objects, List items included.
func manifestObjects(data []byte) ([]map[string]any, error) {
	var out []map[string]any
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		m, ok := v.(map[string]any)
		if !ok || depth > 8 {
			return
		}
		kind, _ := m["kind"].(string)
		if items, ok := m["items"].([]any); ok && strings.HasSuffix(kind, "List") {
			for _, it := range items {
				walk(it, depth+1)
			}
			return
		}
		if psaResources[kind] != "" {
			out = append(out, m)
		}
	}
	for _, doc := range docStart.Split(string(data), -1) {
		var v any
		if err := yaml2.Unmarshal([]byte(doc), &v); err != nil {
			return out, err
		}
		walk(jsonable(v), 0)
	}
	return out, nil
}

// jsonable turns YAML's maps (any keys) into JSON objects, as kubectl's
// YAML-to-JSON conversion does.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[fmt.Sprint(k)] = jsonable(x)
		}
		return m
	case []any:
		for i := range v {
			v[i] = jsonable(v[i])
		}
	}
	return v
}

// readPSAObjects reads every manifest in fsys and pairs each Pod-bearing
// object with the workload rampart's audit reports for it.
func readPSAObjects(t *testing.T, a *audit.Auditor, fsys fs.FS) []*psaObject {
	t.Helper()
	var out []*psaObject
	walkManifests(t, fsys, func(rel string, data []byte) {
		out = append(out, pairWithAudit(t, a, rel, data)...)
	})
	return out
}

// walkManifests calls fn with each YAML or JSON file in fsys, in order.
func walkManifests(t *testing.T, fsys fs.FS, fn func(rel string, data []byte)) {
	t.Helper()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch strings.ToLower(path.Ext(p)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err == nil {
			fn(p, data)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pairWithAudit pairs each Pod-bearing object of a file with the workload
// rampart's audit reports for it: rampart reads the file itself, with its
// own YAML reader, as `rampart audit FILE` does. Objects are paired by kind
// and name, in file order.
func pairWithAudit(t *testing.T, a *audit.Auditor, rel string, data []byte) []*psaObject {
	objs, err := manifestObjects(data)
	if err != nil {
		t.Errorf("%s: YAML (as kubectl reads it): %v", rel, err)
	}
	r := a.Read(rel, data)
	byKey := map[string][]audit.Workload{}
	for _, w := range r.Workloads {
		byKey[w.Kind+"/"+w.Name] = append(byKey[w.Kind+"/"+w.Name], w)
	}
	var errs []string
	for _, e := range r.Errors {
		errs = append(errs, e.Message)
	}
	var out []*psaObject
	for _, m := range objs {
		meta, _ := m["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		o := &psaObject{file: rel, kind: m["kind"].(string), name: name, body: m}
		if ws := byKey[o.kind+"/"+name]; len(ws) > 0 {
			o.level, o.failures = ws[0].PSS.Level, pssFailures(ws[0].PSS)
			byKey[o.kind+"/"+name] = ws[1:]
		} else {
			o.readErr = "rampart read no workload; its errors: " + strings.Join(errs, "; ")
		}
		out = append(out, o)
	}
	return out
}

func pssFailures(p audit.PSS) string {
	var ids []string
	for _, f := range p.Failures {
		ids = append(ids, f.Check)
	}
	return strings.Join(ids, ",")
}

// admission is the API server's answer to one dry-run create.
type admission struct {
	// violates: a Pod refused by Pod Security, or a template it warned
	// about (it enforces on Pods only, and warns on everything).
	violates bool
	psa      string // Pod Security's message
	// status and other describe a refusal for any other reason; other is
	// empty when the API server made a Pod Security decision.
	status int
	other  string
	err    error // the request itself failed
}

// dryRunCreate submits o to namespace ns with dryRun=All: every admission
// plugin runs, nothing is stored.
func dryRunCreate(ctx context.Context, c *Cluster, ns string, o map[string]any) admission {
	obj := make(map[string]any, len(o))
	for k, v := range o {
		obj[k] = v
	}
	meta := map[string]any{}
	if m, ok := o["metadata"].(map[string]any); ok {
		for k, v := range m {
			meta[k] = v
		}
	}
	meta["namespace"] = ns
	obj["metadata"] = meta
	body, err := json.Marshal(obj)
	if err != nil {
		return admission{err: err}
	}
	gv, _ := o["apiVersion"].(string)
	prefix := "/apis/" + gv
	if gv == "v1" {
		prefix = "/api/v1"
	}
	kind, _ := o["kind"].(string)
	url := prefix + "/namespaces/" + ns + "/" + psaResources[kind] + "?dryRun=All"
	resp, b, err := c.Do(ctx, http.MethodPost, url, "application/json", body)
	if err != nil {
		return admission{err: err}
	}
	a := admission{status: resp.StatusCode}
	for _, w := range resp.Header.Values("Warning") {
		if strings.Contains(w, "would violate PodSecurity") {
			a.violates, a.psa = true, w
		}
	}
	var st struct{ Message string }
	json.Unmarshal(b, &st)
	switch {
	case resp.StatusCode/100 == 2:
	case resp.StatusCode == http.StatusForbidden && strings.Contains(st.Message, "violates PodSecurity"):
		a.violates, a.psa = true, st.Message
	default:
		a.other = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, st.Message)
		if st.Message == "" {
			a.other += strings.TrimSpace(string(b))
		}
	}
	return a
}

// dryRunAll submits every object to every namespace, eight requests at a
// time (the lab's client keeps eight connections): results[i][j] is
// objs[i] in nss[j].
func dryRunAll(ctx context.Context, c *Cluster, nss []string, objs []*psaObject) [][]admission {
	res := make([][]admission, len(objs))
	for i := range res {
		res[i] = make([]admission, len(nss))
	}
	jobs := make(chan [2]int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				res[j[0]][j[1]] = dryRunCreate(ctx, c, nss[j[1]], objs[j[0]].body)
			}
		}()
	}
	for i := range objs {
		for j := range nss {
			jobs <- [2]int{i, j}
		}
	}
	close(jobs)
	wg.Wait()
	return res
}

// psaNamespace creates a namespace that enforces and warns at level (at
// the latest policy version), with the ServiceAccounts the Pods among
// objs name, and deletes it when the test ends.
func psaNamespace(ctx context.Context, t *testing.T, c *Cluster, level string, objs []*psaObject) string {
	t.Helper()
	labels := map[string]string{}
	for _, mode := range []string{"enforce", "warn"} {
		labels["pod-security.kubernetes.io/"+mode] = level
		labels["pod-security.kubernetes.io/"+mode+"-version"] = "latest"
	}
	body, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"generateName": "rampart-psa-" + level + "-", "labels": labels}})
	resp, b, err := c.Do(ctx, http.MethodPost, "/api/v1/namespaces", "application/json", body)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating a %s namespace: %v %s", level, err, b)
	}
	var ns struct{ Metadata struct{ Name string } }
	if err := json.Unmarshal(b, &ns); err != nil || ns.Metadata.Name == "" {
		t.Fatalf("namespace: %v %s", err, b)
	}
	name := ns.Metadata.Name
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if resp, b, err := c.Do(ctx, http.MethodDelete, "/api/v1/namespaces/"+name, "", nil); err != nil || resp.StatusCode/100 != 2 {
			t.Errorf("deleting namespace %s: %v %s", name, err, b)
		}
	})
	// The ServiceAccount admission plugin refuses a Pod whose account does
	// not exist before Pod Security sees it: create every account a Pod
	// names (and wait for the default one) so that Pods reach the decision.
	accounts := map[string]bool{}
	for _, o := range objs {
		if spec, ok := o.body["spec"].(map[string]any); ok && o.kind == "Pod" {
			for _, f := range []string{"serviceAccountName", "serviceAccount"} {
				if s, ok := spec[f].(string); ok && s != "" && s != "default" {
					accounts[s] = true
				}
			}
		}
	}
	for sa := range accounts {
		body, _ := json.Marshal(map[string]any{"metadata": map[string]any{"name": sa}})
		if resp, b, err := c.Do(ctx, http.MethodPost, "/api/v1/namespaces/"+name+"/serviceaccounts", "application/json", body); err != nil || resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("ServiceAccount %s: %v %s", sa, err, b)
		}
	}
	// The default account comes from the controller manager.
	if err := waitFor(ctx, time.Minute, "the default ServiceAccount in "+name, func() error {
		_, code, err := c.Get(ctx, "/api/v1/namespaces/"+name+"/serviceaccounts/default")
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("HTTP %d", code)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return name
}

// apiLevel is the level the API server's decisions in a baseline and a
// restricted namespace amount to, or "" when either is not a Pod Security
// decision.
func apiLevel(baseline, restricted admission) string {
	switch {
	case baseline.other != "" || restricted.other != "":
		return ""
	case !restricted.violates:
		return audit.LevelRestricted
	case !baseline.violates:
		return audit.LevelBaseline
	}
	return audit.LevelPrivileged
}

// notPSA checks that a refusal left out of the comparison is really not
// Pod Security's: an error status without its message.
func notPSA(a admission) bool {
	return a.other != "" && a.status >= 400 && !a.violates && !strings.Contains(a.other, "PodSecurity")
}

// Every Pod-bearing object of the corpus and of the upstream Pod Security
// fixtures is submitted (dry run) to a namespace enforcing baseline and
// one enforcing restricted; the level the API server's decisions amount
// to must be the level rampart's audit gives the object.
func TestPSAAgreesWithAPIServer(t *testing.T) {
	c := needLab(t)
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a, err := audit.New(audit.Node{Runtime: "containerd"})
	if err != nil {
		t.Fatal(err)
	}
	var objs []*psaObject
	sets := map[string]int{}
	for _, root := range []string{corpusManifests, psaFixturesDir} {
		o := readPSAObjects(t, a, os.DirFS(root))
		sets[root] = len(o)
		objs = append(objs, o...)
	}
	// Upstream names its fixtures after their files and never submits
	// them to an API server: "capabilities_baseline0" is no valid object
	// name. The name plays no part in Pod Security, so submit them under
	// a valid one rather than lose a quarter of them to validation.
	for _, o := range objs[sets[corpusManifests]:] {
		o.body["metadata"].(map[string]any)["name"] = strings.ReplaceAll(o.name, "_", "-")
	}
	if len(objs) < 1000 {
		t.Fatalf("only %d objects (%v)", len(objs), sets)
	}
	nss := []string{psaNamespace(ctx, t, c, audit.LevelBaseline, objs), psaNamespace(ctx, t, c, audit.LevelRestricted, objs)}
	res := dryRunAll(ctx, c, nss, objs)

	agree := map[string]int{}
	var excluded, disagree []string
	for i, o := range objs {
		b, r := res[i][0], res[i][1]
		if b.err != nil || r.err != nil {
			t.Fatalf("%s: %v %v", o, b.err, r.err)
		}
		// restricted includes baseline: the server must not contradict it.
		if b.other == "" && r.other == "" && !r.violates && b.violates {
			t.Errorf("%s: clean under restricted but refused under baseline: %s", o, b.psa)
		}
		got := apiLevel(b, r)
		if got == "" {
			for _, x := range []admission{b, r} {
				if x.other != "" && !notPSA(x) {
					t.Errorf("%s: left out, but looks like a Pod Security decision: %+v", o, x)
				}
			}
			excluded = append(excluded, fmt.Sprintf("%s (%v): %s", o, o.body["apiVersion"], cmp.Or(b.other, r.other)))
			continue
		}
		if o.level == got {
			agree[got]++
			continue
		}
		why := cmp.Or(r.psa, b.psa)
		if o.readErr != "" {
			why = o.readErr
		}
		disagree = append(disagree, fmt.Sprintf("%s: rampart %q (failing %s), API server %s (%s)", o, o.level, o.failures, got, why))
	}
	sort.Strings(excluded)
	for _, e := range excluded {
		t.Logf("left out (not a Pod Security decision): %s", e)
	}
	for _, d := range disagree {
		t.Errorf("disagreement: %s", d)
	}
	t.Logf("objects: %d (corpus %d, PSA fixtures %d); agree: restricted %d, baseline %d, privileged %d; disagree %d; left out %d; %.1fs",
		len(objs), sets[corpusManifests], sets[psaFixturesDir], agree[audit.LevelRestricted], agree[audit.LevelBaseline], agree[audit.LevelPrivileged],
		len(disagree), len(excluded), time.Since(t0).Seconds())
	if len(excluded)*20 > len(objs) {
		t.Errorf("%d of %d objects left out: more than 5%%", len(excluded), len(objs))
	}
}
