//go:build linux

package kubelab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	policies "github.com/rampart-sec/rampart/admission"
	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/report"
)

// corpusObject is one workload of the shared corpus, to be sent to the
// API server.
type corpusObject struct {
	where, kind string
	obj         map[string]any
}

// collection is where the API server takes each workload kind.
var collection = map[string]string{
	"Pod": "/api/v1/namespaces/%s/pods", "ReplicationController": "/api/v1/namespaces/%s/replicationcontrollers",
	"Deployment": "/apis/apps/v1/namespaces/%s/deployments", "ReplicaSet": "/apis/apps/v1/namespaces/%s/replicasets",
	"StatefulSet": "/apis/apps/v1/namespaces/%s/statefulsets", "DaemonSet": "/apis/apps/v1/namespaces/%s/daemonsets",
	"Job": "/apis/batch/v1/namespaces/%s/jobs", "CronJob": "/apis/batch/v1/namespaces/%s/cronjobs",
}

// TestAdmission: rampart's admission policies, applied on the lab's API
// server, admit a corpus object exactly where rampart's audit says its
// containers meet the target (every container, on a containerd node with
// AppArmor: NET_RAW out of its set, a seccomp profile, an AppArmor
// profile asked for); and with the mutating policy in front, every
// object admitted meets the target when audited again as the API server
// returns it. Each object goes three times through the API server with
// dryRun=All: to a namespace without policies (what the API server
// accepts at all, and the object as admitted, which audit reads), to one
// with the validating policy, and to one with both.
func TestAdmission(t *testing.T) {
	c := needLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	objs := corpusObjects(t)

	// A validating policy per target (the three layers, and each alone,
	// so that every outcome occurs in the corpus), and the mutating
	// policy in front of the three layers' validating one; each bound
	// by a label to its own namespace only: the rest of the tier never
	// meets them.
	objs = append(objs, seedObjects(t)...)
	sfx := randomSuffix()
	plain := scratchNamespace(t, c, "rampart-adm-plain-")
	type policySet struct {
		ns, name                         string
		target                           policies.Target
		mutate                           bool
		admitted, refused, agree, mended int
	}
	var sets []*policySet
	for _, tg := range []string{"layers", "capabilities", "seccomp", "apparmor"} {
		target, err := policies.ParseTarget(tg)
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, &policySet{name: "rampart-" + tg + "-" + sfx, target: target})
	}
	layers := sets[0].target
	sets = append(sets, &policySet{name: "rampart-mutate-" + sfx, target: layers, mutate: true})
	for _, set := range sets {
		set.ns = scratchNamespace(t, c, "rampart-adm-")
		label := map[string]string{"rampart.dev/admission-test": set.name}
		var buf bytes.Buffer
		if err := report.Manifests(&buf, policies.Manifests(policies.Options{Name: set.name, Target: set.target, NamespaceLabels: label}, set.mutate)...); err != nil {
			t.Fatal(err)
		}
		y := buf.Bytes()
		if out, err := kubectlStdin(ctx, c, y, "apply", "-f", "-"); err != nil {
			t.Fatalf("applying the policies: %v\n%s", err, out)
		}
		t.Cleanup(func() {
			kubectlStdin(context.Background(), c, y, "delete", "--ignore-not-found", "-f", "-")
		})
		if _, err := c.Kubectl(ctx, "label", "namespace", set.ns, "rampart.dev/admission-test="+set.name); err != nil {
			t.Fatal(err)
		}
	}
	// Policies take effect when the API server has seen them; Pods need
	// the namespace's default ServiceAccount.
	seed, err := os.ReadFile(filepath.Join(seedDir, "0-baseline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	baseline := decodeAll(t, "seed", seed)[0]
	// The mutating set is two policies, and the API server can see the
	// mutating one before the validating one: a privileged container,
	// which no mutation mends, is admitted until both are in effect.
	// (Without this wait, the corpus's first objects, BishopFox's
	// everything-allowed, were once admitted before the validation.)
	privileged := decodeAll(t, "seed", seed)[0]
	ctr := privileged["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	ctr["securityContext"] = map[string]any{"privileged": true}
	err = waitFor(ctx, time.Minute, "the policies to take effect", func() error {
		for _, ns := range []string{plain, sets[0].ns, sets[len(sets)-1].ns} {
			if _, err := c.Kubectl(ctx, "get", "serviceaccount", "-n", ns, "default"); err != nil {
				return err
			}
		}
		for _, set := range sets {
			code, body := dryRun(ctx, c, set.ns, baseline)
			if !set.mutate && code != 403 {
				return fmt.Errorf("the seed's baseline is admitted (%d) where %s binds", code, set.name)
			}
			if set.mutate && (code != 201 || !bytes.Contains(body, []byte(`"drop":["ALL"]`))) {
				return fmt.Errorf("the seed's baseline is not mutated and admitted (%d) where %s binds", code, set.name)
			}
			if !set.mutate {
				continue
			}
			if code, _ := dryRun(ctx, c, set.ns, privileged); code != 403 {
				return fmt.Errorf("a privileged container is admitted (%d) where %s binds", code, set.name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	a, err := audit.New(audit.Node{Runtime: "containerd", RuntimeVersion: "1.6.20", AppArmor: true, Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	met := func(target policies.Target, name string, body []byte) (bool, string) {
		r := a.Read(name, body)
		if len(r.Workloads) != 1 {
			return false, fmt.Sprintf("audit made %d workloads (errors %v)", len(r.Workloads), r.Errors)
		}
		var why []string
		for _, ctr := range r.Workloads[0].Containers {
			if miss := target.Met(ctr); len(miss) > 0 {
				why = append(why, fmt.Sprintf("%s lacks %v%s", ctr.Name, miss, map[bool]string{true: " (" + ctr.Error + ")"}[ctr.Error != ""]))
			}
		}
		return len(why) == 0, strings.Join(why, "; ")
	}

	invalid := 0
	var disagree []string
	for _, o := range objs {
		code, body := dryRun(ctx, c, plain, o.obj)
		if code != 201 {
			invalid++ // the API server refuses it without any policy
			continue
		}
		for _, set := range sets {
			code, sbody := dryRun(ctx, c, set.ns, o.obj)
			if code != 201 && code != 403 {
				// Valid where no policy binds: a policy made it invalid.
				t.Errorf("%s: where %s binds, the API server answers %d: %s", o.where, set.name, code, apiMessage(sbody))
				continue
			}
			got := code == 201
			if set.mutate {
				if got {
					set.admitted++
					// The object as admitted, mutated, meets the target.
					if ok, why := met(set.target, o.where, sbody); !ok {
						t.Errorf("%s: admitted after the mutating policy, but audit of the object admitted says the target is not met: %s", o.where, why)
					}
				} else {
					set.refused++
				}
				continue
			}
			want, why := met(set.target, o.where, body)
			switch {
			case got != want:
				disagree = append(disagree, fmt.Sprintf("%s, target %s: audit says met %t (%s), the policy admits %t: %s", o.where, set.target, want, why, got, apiMessage(sbody)))
			default:
				set.agree++
			}
			if got {
				set.admitted++
			} else {
				set.refused++
			}
		}
	}
	sent := len(objs) - invalid
	t.Logf("%d workloads (the corpus's and the seed's); the API server refuses %d without a policy; of the %d sent, per policy:", len(objs), invalid, sent)
	for _, set := range sets {
		if set.mutate {
			t.Logf("  mutating + validating %-30s %4d admitted (each, audited again as admitted, meets the target), %4d refused", set.target, set.admitted, set.refused)
			continue
		}
		t.Logf("  validating %-41s %4d admitted, %4d refused; audit agrees on %d", set.target, set.admitted, set.refused, set.agree)
		if set.admitted == 0 || set.refused == 0 {
			t.Errorf("target %s: admitted %d, refused %d: a corpus that does not exercise both outcomes proves little", set.target, set.admitted, set.refused)
		}
	}
	for _, d := range disagree {
		t.Error(d)
	}
}

// seedObjects are the seed's four steps: the last meets the three layers.
func seedObjects(t *testing.T) []corpusObject {
	var out []corpusObject
	for _, f := range []string{"0-baseline.yaml", "1-drop-net-raw.yaml", "2-seccomp.yaml", "3-apparmor.yaml"} {
		data, err := os.ReadFile(filepath.Join(seedDir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range decodeAll(t, f, data) {
			out = append(out, corpusObject{where: "seed " + f, kind: fmt.Sprint(o["kind"]), obj: o})
		}
	}
	return out
}

// dryRun creates obj in ns with dryRun=All and returns the status and
// body: the object as admitted (201), or the refusal.
func dryRun(ctx context.Context, c *Cluster, ns string, obj map[string]any) (int, []byte) {
	kind, _ := obj["kind"].(string)
	md, _ := obj["metadata"].(map[string]any)
	md["namespace"] = ns
	body, _ := json.Marshal(obj)
	resp, out, err := c.Do(ctx, "POST", fmt.Sprintf(collection[kind], ns)+"?dryRun=All", "application/json", body)
	if err != nil {
		return 0, []byte(err.Error())
	}
	return resp.StatusCode, out
}

func apiMessage(body []byte) string {
	var s struct{ Message string }
	if json.Unmarshal(body, &s) == nil && s.Message != "" {
		return s.Message
	}
	return string(body)
}

// corpusObjects are the workloads of the shared corpus, with what the
// API server fills in at creation taken out.
func corpusObjects(t *testing.T) []corpusObject {
	t.Helper()
	dir := ""
	for _, d := range []string{"../../../shared/corpus/manifests", "/work/shared/corpus/manifests"} {
		if _, err := os.Stat(d); err == nil {
			dir = d
			break
		}
	}
	if dir == "" {
		t.Skip("the shared corpus is not beside the repository (../shared/corpus)")
	}
	var out []corpusObject
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !slices.Contains([]string{".yaml", ".yml", ".json"}, filepath.Ext(p)) {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		for i, obj := range decodeAll(t, rel, data) {
			kind, _ := obj["kind"].(string)
			md, ok := obj["metadata"].(map[string]any)
			if collection[kind] == "" || !ok {
				continue
			}
			for _, k := range []string{"resourceVersion", "uid", "creationTimestamp", "selfLink", "managedFields", "ownerReferences"} {
				delete(md, k)
			}
			delete(obj, "status")
			out = append(out, corpusObject{where: fmt.Sprintf("%s#%d (%s %v)", rel, i+1, kind, md["name"]), kind: kind, obj: obj})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decodeAll reads every document (and List item) of a YAML or JSON
// stream; a document it cannot read ends the file, as it would for
// kubectl.
func decodeAll(t *testing.T, name string, data []byte) []map[string]any {
	var out []map[string]any
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Logf("%s: %v (the rest of the file is left out)", name, err)
			return out
		}
		if items, ok := m["items"].([]any); ok && strings.HasSuffix(fmt.Sprint(m["kind"]), "List") {
			for _, it := range items {
				if im, ok := it.(map[string]any); ok {
					out = append(out, im)
				}
			}
			continue
		}
		if m != nil {
			out = append(out, m)
		}
	}
}

// kubectlStdin runs kubectl with stdin and returns what it printed.
func kubectlStdin(ctx context.Context, c *Cluster, stdin []byte, args ...string) ([]byte, error) {
	cmd := c.KubectlCmd(ctx, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	return cmd.CombinedOutput()
}
