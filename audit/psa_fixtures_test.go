package audit

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/kube"
)

// psaFixtureDir holds the pass/fail Pods of k8s.io/pod-security-admission's
// test/testdata at the newest version (see testdata/psa/NOTE.md):
// <level>/<version>/{pass,fail}/<checkid lower-cased><n>.yaml, plus
// pass/base*.yaml, the minimal valid pods.
const psaFixtureDir = "testdata/psa"

// psaKnownDisagreements are fixtures where rampart's level differs from
// the fixture's expectation, each with the reason. The test fails both if
// one of them starts agreeing (remove it from here) and if any other
// fixture disagrees.
var psaKnownDisagreements = map[string]string{}

// levelRank orders PSS levels, least restrictive first.
var levelRank = map[string]int{LevelPrivileged: 0, LevelBaseline: 1, LevelRestricted: 2}

// TestPSAFixtures audits every upstream fixture and checks rampart's level
// against the fixture's expectation: a pass fixture for level L meets L, a
// fail fixture for L does not, and the check the fixture is named for is
// among the failures rampart reports.
func TestPSAFixtures(t *testing.T) {
	a, err := New(Node{Runtime: "containerd"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(psaFixtureDir, "*", "*", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 100 {
		t.Fatalf("only %d fixtures under %s", len(files), psaFixtureDir)
	}
	counts := map[string]int{}
	for _, f := range files {
		rel, _ := filepath.Rel(psaFixtureDir, f)
		parts := strings.Split(filepath.ToSlash(rel), "/") // level, version, pass|fail, file
		level, outcome, name := parts[0], parts[2], strings.TrimSuffix(parts[3], ".yaml")
		if _, ok := levelRank[level]; !ok || (outcome != "pass" && outcome != "fail") {
			t.Errorf("%s: unexpected layout", rel)
			continue
		}
		counts[level+"/"+outcome]++
		t.Run(rel, func(t *testing.T) {
			r := a.Files([]string{f})
			if len(r.Errors) > 0 {
				t.Fatalf("read errors: %+v", r.Errors)
			}
			if len(r.Workloads) != 1 {
				t.Fatalf("%d workloads, want 1", len(r.Workloads))
			}
			w := r.Workloads[0]
			got := w.PSS.Level
			meets := levelRank[got] >= levelRank[level]
			if why, known := psaKnownDisagreements[filepath.ToSlash(rel)]; known {
				if (outcome == "pass") == meets {
					t.Errorf("known disagreement (%s) no longer happens: rampart says %s; remove it from psaKnownDisagreements", why, got)
				} else {
					t.Logf("known disagreement: %s fixture for %s, rampart says %s (failures %s): %s", outcome, level, got, failureIDs(w.PSS), why)
				}
				return
			}
			if outcome == "pass" && !meets {
				t.Errorf("pass fixture for %s: rampart says %s (failures %s)", level, got, failureIDs(w.PSS))
			}
			if outcome == "fail" {
				if meets {
					t.Errorf("fail fixture for %s: rampart says %s", level, got)
				}
				// The fixture is named for the check it fails (or, for a
				// baseline check superseded at restricted, its successor).
				check := strings.TrimRight(name, "0123456789")
				if !hasFailure(w.PSS, check) {
					t.Errorf("fail fixture for check %s: rampart's failures are %s", check, failureIDs(w.PSS))
				}
			}
			// The workload's level is its least restrictive container's:
			// each container's PSS is the pod holding that container alone.
			min := LevelRestricted
			for _, c := range w.Containers {
				if levelRank[c.PSS.Level] < levelRank[min] {
					min = c.PSS.Level
				}
			}
			if len(w.Containers) > 0 && min != got {
				t.Errorf("workload level %s, least restrictive container %s", got, min)
			}
			// And the module's own evaluator agrees on the whole pod.
			cs := readContainers(t, f)
			if err := a.pss.agrees(cs, got); err != nil {
				t.Error(err)
			}
		})
	}
	t.Logf("PSA fixtures: %v", counts)
	for _, k := range []string{"baseline/pass", "baseline/fail", "restricted/pass", "restricted/fail"} {
		if counts[k] == 0 {
			t.Errorf("no %s fixtures", k)
		}
	}
}

func failureIDs(p PSS) string {
	var ids []string
	for _, f := range p.Failures {
		ids = append(ids, f.Check)
	}
	return "[" + strings.Join(ids, " ") + "]"
}

// hasFailure says whether a check, named as the fixture files name it
// (lower-cased ID), fails; capabilities_baseline is accepted as
// capabilities_restricted, which supersedes it at restricted.
func hasFailure(p PSS, check string) bool {
	for _, f := range p.Failures {
		id := strings.ToLower(f.Check)
		if id == check || check == "capabilities_baseline" && id == "capabilities_restricted" {
			return true
		}
	}
	return false
}

// readContainers is the fixture's first container, for the pod-level
// cross-check against the module's evaluator.
func readContainers(t *testing.T, f string) kube.Container {
	t.Helper()
	cs, err := kube.ReadFile(f)
	if err != nil || len(cs) == 0 {
		t.Fatalf("kube.ReadFile: %d containers, %v", len(cs), err)
	}
	return cs[0]
}
