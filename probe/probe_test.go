//go:build linux

package probe

import (
	"testing"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/procstatus"
)

func state(eff caps.Set, seccompMode int, lsms ...string) *attack.State {
	return &attack.State{Status: &procstatus.Status{CapEff: eff}, Seccomp: seccompMode, SeccompFilters: seccompMode / 2, ActiveLSMs: lsms}
}

func catalogPath(t *testing.T, id string) *attack.Path {
	t.Helper()
	ps, err := attack.Lookup([]string{id})
	if err != nil {
		t.Fatal(err)
	}
	return ps[0]
}

// Every catalog path has exactly one probe, run here or in a child, and
// a canary only where the model says what the kernel answers it.
func TestProbesCoverCatalog(t *testing.T) {
	cat := attack.Catalog()
	for _, p := range cat {
		pr := probers[p.ID]
		if pr == nil {
			t.Errorf("%s: no probe", p.ID)
			continue
		}
		if (pr.run == nil) == (pr.child == nil) {
			t.Errorf("%s: want exactly one of run/child", p.ID)
		}
		if pr.canary != nil && p.CanaryErrno == 0 && p.ID != "personality" {
			t.Errorf("%s: a canary without the errno the kernel gives it", p.ID)
		}
	}
	for id := range probers {
		if _, err := attack.Lookup([]string{id}); err != nil {
			t.Errorf("a probe for %s: %v", id, err)
		}
	}
	if len(probers) != len(cat) {
		t.Errorf("%d probes for %d catalog paths", len(probers), len(cat))
	}
}

// A path the runner has no probe for is refused before anything runs.
func TestRunRefusesUnknownPath(t *testing.T) {
	_, err := Run([]*attack.Path{{ID: "no-such-path"}})
	if err == nil || err.Error() != "probe: no probe for attack path(s) no-such-path" {
		t.Fatalf("err = %v", err)
	}
}
