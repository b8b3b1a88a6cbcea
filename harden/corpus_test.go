package harden

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/rampart-sec/rampart/audit"
)

// TestCorpus hardens a sample of the shared corpus (every 5th file) and
// re-audits it: no file may fail, and pod levels are counted.
func TestCorpus(t *testing.T) {
	root := filepath.Join("..", "..", "shared", "corpus", "manifests")
	if os.Getenv("RAMPART_CORPUS") != "" {
		root = os.Getenv("RAMPART_CORPUS")
	}
	var files []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (filepath.Ext(p) == ".yaml" || filepath.Ext(p) == ".yml") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skipf("no corpus at %s (CI lays it out at ../shared relative to the repository)", root)
	}
	sort.Strings(files)
	step := 5
	if testing.Short() {
		step = 25
	}
	before, after := map[string]int{}, map[string]int{}
	var sampled, hardened, errs int
	for i := 0; i < len(files); i += step {
		f := files[i]
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sampled++
		res, err := Manifest(f, data, Options{AssumeNonRoot: true, Unprivileged: true})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			errs++
			continue
		}
		dir := t.TempDir()
		for _, p := range res.Profiles {
			if err := os.WriteFile(filepath.Join(dir, p.Name), []byte(p.Text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		a, err := audit.New(audit.Node{AppArmor: true, ProfilesDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		rb, ra := a.Read(f, data), a.Read(f, res.Data)
		if len(ra.Workloads) != len(rb.Workloads) {
			t.Errorf("%s: %d workloads before, %d after", f, len(rb.Workloads), len(ra.Workloads))
		}
		if len(ra.Errors) > len(rb.Errors) {
			t.Errorf("%s: hardening made it unreadable: %+v", f, ra.Errors)
		}
		for _, w := range rb.Workloads {
			before[w.PSS.Level]++
		}
		for _, w := range ra.Workloads {
			after[w.PSS.Level]++
			hardened++
			if w.PSS.Level != audit.LevelRestricted && testing.Verbose() {
				for _, fl := range w.PSS.Failures {
					t.Logf("%s %s %s: %s %s", filepath.Base(f), w.Kind, w.Name, fl.Check, fl.Reason)
				}
			}
		}
		// Idempotent on real manifests too.
		res2, err := Manifest(f, res.Data, Options{AssumeNonRoot: true, Unprivileged: true})
		if err != nil || len(res2.Edits()) > 0 {
			t.Errorf("%s: second pass: %v %v", f, err, res2.Edits())
		}
	}
	t.Logf("corpus: %d of %d files sampled, %d errors; %d workloads: before %v, after %v", sampled, len(files), errs, hardened, before, after)
}
