//go:build linux

package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/lsm/landlock"
)

var scopeIDs = []string{"signal-outside", "abstract-unix-connect"}

// bindAbstract binds a datagram socket of this test process (outside
// every workload it starts) to an abstract name, for abstract-unix-connect
// to find.
func bindAbstract(t *testing.T) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrUnix{}); err != nil {
		t.Fatal(err)
	}
}

func needScope(t *testing.T) {
	t.Helper()
	if err := features.HaveLandlock(landlock.ScopeABI); err != nil {
		t.Skipf("Landlock scopes: %v", err)
	}
}

// The scopes, layer by layer, measured from the attacker's side: open
// without them, closed by Landlock with them (each scope closing its own
// path only), and, where another layer refuses first, that layer.
func TestScopeClosesIPC(t *testing.T) {
	needRoot(t)
	needScope(t)
	bindAbstract(t)
	res, _ := probeUnder(t, nil, scopeIDs...)
	wantLayer(t, res, "signal-outside", "", "")
	wantLayer(t, res, "abstract-unix-connect", "", "")

	res, _ = probeUnder(t, []string{"--scope", "signal,abstract-unix"}, scopeIDs...)
	wantLayer(t, res, "signal-outside", attack.ByLSM, "Landlock")
	wantLayer(t, res, "abstract-unix-connect", attack.ByLSM, "Landlock")
	for _, id := range scopeIDs {
		if r := res[id]; r.Errno != "EPERM" || !strings.Contains(r.Evidence, "scope") {
			t.Errorf("%s: %s, %q: want EPERM and the scope named", id, r.Errno, r.Evidence)
		}
	}
	res, _ = probeUnder(t, []string{"--scope", "signal"}, scopeIDs...)
	wantLayer(t, res, "signal-outside", attack.ByLSM, "Landlock")
	wantLayer(t, res, "abstract-unix-connect", "", "")
	res, _ = probeUnder(t, []string{"--scope", "abstract-unix"}, scopeIDs...)
	wantLayer(t, res, "signal-outside", "", "")
	wantLayer(t, res, "abstract-unix-connect", attack.ByLSM, "Landlock")

	// The capability check comes first: uid 1000 without CAP_KILL is
	// refused by it, and the scope is never asked.
	res, _ = probeUnder(t, []string{"--user", "1000", "--scope", "signal"}, "signal-outside")
	wantLayer(t, res, "signal-outside", attack.ByCapabilities, "")
}

// Every call that sends a signal is a way out: a filter refusing kill
// alone leaves tgkill, one refusing them all closes the path; audit,
// given a hostPID Pod under the same profile, predicts both.
func TestScopeSignalVariants(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	a, err := audit.New(audit.Node{Runtime: "containerd", ProfilesDir: filepath.Join("..", "..", "audit", "testdata")})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		profile, layer, says string
	}{
		{"deny-kill", "", "through tgkill: the seccomp filter refuses kill"},
		{"deny-signal-all", attack.BySeccomp, "it refuses every variant: kill, tgkill, pidfd_send_signal"},
	} {
		res, _ := probeUnder(t, []string{"--seccomp", variantProfile(c.profile)}, "signal-outside")
		variantWant(t, res, "signal-outside", c.layer, c.says)
		rep := a.Read(c.profile+".yaml", []byte(fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: signal}
spec:
  hostPID: true
  containers:
  - name: c
    image: x
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: variants/%s.json}
`, c.profile)))
		if len(rep.Workloads) != 1 {
			t.Fatalf("%s: audit: %+v", c.profile, rep.Errors)
		}
		for _, p := range rep.Workloads[0].Containers[0].Paths {
			if m := res[p.ID]; p.ID == "signal-outside" && (p.Verdict != m.Verdict || p.Layer != m.Layer) {
				t.Errorf("%s: predicted %s %s (%s), measured %s %s (%s)", c.profile, p.Verdict, p.Layer, p.Why, m.Verdict, m.Layer, m.Evidence)
			}
		}
	}
}

// A misspelt scope is refused before anything runs, never dropped; the
// plan says what the domain holds; and with --no-new-privs=false the
// launcher (root: CAP_SYS_ADMIN) still enters the domain, so the scope
// holds in a workload that may gain privileges by exec.
func TestRunScopeFlags(t *testing.T) {
	needRoot(t)
	needScope(t)
	r := rampart(t, "", "run", "--scope", "signal,signals", "--", "/bin/true")
	if r.code != exitRefused || !strings.Contains(r.stderr, `"signals": want abstract-unix or signal`) {
		t.Errorf("misspelt scope: exit %d, %s", r.code, r.stderr)
	}
	r = rampart(t, "", "run", "-v", "--scope", "signal", "--", "/bin/true")
	if r.code != 0 || !strings.Contains(r.stderr, "Landlock domain enforced for scope signal") {
		t.Errorf("exit %d, %s", r.code, r.stderr)
	}
	r = rampart(t, "", "run", "--no-new-privs=false", "--scope", "signal", "--", "/bin/sh", "-c",
		`grep NoNewPrivs /proc/self/status; kill -0 $PPID && echo signalled; true`)
	if r.code != 0 || !strings.Contains(r.stdout, "NoNewPrivs:\t0") || strings.Contains(r.stdout, "signalled") {
		t.Errorf("--no-new-privs=false --scope signal: exit %d, %q, %s", r.code, r.stdout, r.stderr)
	}
}
