//go:build linux

package kubelab

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/examples"
	"github.com/rampart-sec/rampart/harden"
)

// hardenSet hardens every manifest in fsys in memory, with the harden
// package that `rampart harden` runs, and returns each Pod-bearing
// object before and after, paired (orig[i] became hard[i]), each with
// rampart's audit of it, and what harden reported and left for each
// hardened object (privileged, capabilities ALL, runAsUser 0...). Files
// harden refuses are listed in failed.
func hardenSet(t *testing.T, a *audit.Auditor, fsys fs.FS, o harden.Options) (orig, hard []*psaObject, left map[*psaObject][]string, failed []string) {
	t.Helper()
	left = map[*psaObject][]string{}
	walkManifests(t, fsys, func(rel string, data []byte) {
		res, err := harden.Manifest(rel, data, o)
		if err != nil {
			failed = append(failed, err.Error())
			return
		}
		before, after := pairWithAudit(t, a, rel, data), pairWithAudit(t, a, rel, res.Data)
		if len(before) != len(after) {
			t.Errorf("%s: %d workload objects before hardening, %d after", rel, len(before), len(after))
			return
		}
		for i := range before {
			if before[i].kind != after[i].kind || before[i].name != after[i].name {
				t.Errorf("%s: object %d was %s/%s, hardened it is %s/%s", rel, i, before[i].kind, before[i].name, after[i].kind, after[i].name)
				return
			}
		}
		for _, h := range after {
			for _, f := range res.Findings() {
				if f.Object == strings.TrimSpace(h.kind+" "+h.name) {
					left[h] = append(left[h], f.String())
				}
			}
		}
		orig, hard = append(orig, before...), append(hard, after...)
	})
	return orig, hard, left, failed
}

// hardenYAML11 holds Pods written with YAML 1.1 scalars.
const hardenYAML11 = "../../harden/testdata/yaml11"

// hardenChecks are the Pod Security checks harden's own edits satisfy: a
// hardened object may fail one only where harden reported what it left.
var hardenChecks = map[string]bool{"seccompProfile_baseline": true, "seccompProfile_restricted": true,
	"appArmorProfile": true, "allowPrivilegeEscalation": true, "runAsNonRoot": true}

// `rampart harden --assume-nonroot` output, submitted (dry run) to a
// namespace enforcing restricted: the API server admits a hardened object
// without a Pod Security warning exactly when rampart's re-audit rates it
// restricted. Every seed manifest must get there; a corpus workload stays
// below only for what it declares it needs (privileged, host namespaces,
// hostPath, added capabilities, runAsUser 0...), which harden leaves.
// harden's YAML 1.1 fixtures (privileged: True, yes, on, through an
// alias; allowPrivilegeEscalation: no; runAsUser: 0x3e8...) go with the
// corpus: what the API server took before hardening it must take after.
func TestHardenAdmittedUnderRestricted(t *testing.T) {
	c := needLab(t)
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a, err := audit.New(audit.Node{Runtime: "containerd"})
	if err != nil {
		t.Fatal(err)
	}
	seedFS, err := fs.Sub(examples.Seed, "seed")
	if err != nil {
		t.Fatal(err)
	}
	opts := harden.Options{AssumeNonRoot: true}
	seedOrig, seedHard, _, seedFailed := hardenSet(t, a, seedFS, opts)
	corpOrig, corpHard, left, corpFailed := hardenSet(t, a, os.DirFS(corpusManifests), opts)
	spellOrig, spellHard, spellLeft, spellFailed := hardenSet(t, a, os.DirFS(hardenYAML11), opts)
	if len(spellHard) < 9 {
		t.Fatalf("%d objects hardened from %s", len(spellHard), hardenYAML11)
	}
	corpOrig, corpHard = append(corpOrig, spellOrig...), append(corpHard, spellHard...)
	maps.Copy(left, spellLeft)
	for _, f := range append(append(seedFailed, corpFailed...), spellFailed...) {
		t.Errorf("harden failed: %s", f)
	}
	if len(seedHard) < 4 || len(corpHard) < 1000 {
		t.Fatalf("%d seed and %d corpus objects hardened", len(seedHard), len(corpHard))
	}
	orig := append(append([]*psaObject{}, seedOrig...), corpOrig...)
	hard := append(append([]*psaObject{}, seedHard...), corpHard...)
	all := append(append([]*psaObject{}, orig...), hard...)
	ns := psaNamespace(ctx, t, c, audit.LevelRestricted, all)
	res := dryRunAll(ctx, c, []string{ns}, all)
	before, after := res[:len(orig)], res[len(orig):]

	var restricted, below, excluded int
	residual := map[string]int{} // failing checks that keep hardened objects below restricted
	for i, o := range hard {
		b, h := before[i][0], after[i][0]
		if b.err != nil || h.err != nil {
			t.Fatalf("%s: %v %v", o, b.err, h.err)
		}
		if h.other != "" {
			excluded++
			switch {
			case b.other == "": // hardening must not make a valid object invalid
				t.Errorf("%s: the API server took the original but refuses the hardened form: %s", o, h.other)
			case !notPSA(h):
				t.Errorf("%s: left out, but looks like a Pod Security decision: %+v", o, h)
			default:
				t.Logf("left out (refused before hardening too): %s: %s", o, h.other)
			}
			continue
		}
		if o.readErr != "" {
			t.Errorf("%s: %s", o, o.readErr)
			continue
		}
		admitted := !h.violates
		if admitted != (o.level == audit.LevelRestricted) {
			t.Errorf("%s hardened: rampart %s (failing %s), API server admits it cleanly under restricted: %v (%s)", o, o.level, o.failures, admitted, h.psa)
		}
		if b.other == "" && !b.violates && h.violates {
			t.Errorf("%s: restricted before hardening, not after: %s", o, h.psa)
		}
		if i < len(seedHard) && !admitted {
			t.Errorf("seed %s hardened with --assume-nonroot is not restricted: %s", o, h.psa)
		}
		if admitted {
			restricted++
			continue
		}
		below++
		for _, f := range strings.Split(o.failures, ",") {
			residual[f]++
			if hardenChecks[f] && len(left[o]) == 0 {
				t.Errorf("%s hardened still fails %s, and harden reported nothing it left", o, f)
			}
		}
	}
	var checks []string
	for k, n := range residual {
		checks = append(checks, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(checks)
	t.Logf("hardened objects: %d (seed %d, corpus %d); restricted %d, below restricted %d (both as the API server decides), left out %d; %.1fs",
		len(hard), len(seedHard), len(corpHard), restricted, below, excluded, time.Since(t0).Seconds())
	t.Logf("checks still failing below restricted (objects): %s", strings.Join(checks, ", "))
}
