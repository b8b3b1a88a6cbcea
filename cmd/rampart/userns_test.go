//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/internal/procstatus"
)

// The namespace, read back from inside: the map rampart was asked for,
// or a block it picked in systemd's container range, never the host's
// root; the launch's refusals; the workload's exit status and signals
// passing through the launcher that waits outside.
func TestRunUserNS(t *testing.T) {
	needRoot(t)
	r := rampart(t, "", "run", "--userns", "--", "cat", "/proc/self/uid_map", "/proc/self/gid_map")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 2 {
		t.Fatalf("exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	f := strings.Fields(lines[0])
	host, _ := strconv.ParseUint(f[1], 10, 32)
	if f[0] != "0" || f[2] != "65536" || host < 524288 || host+65536 > 1879048192 || host%65536 != 0 || strings.Join(strings.Fields(lines[1]), " ") != strings.Join(f, " ") {
		t.Errorf("picked maps %q: want 0 to a 65536-id block of 524288-1879048191, uids and gids alike", lines)
	}
	r = rampart(t, "", "run", "--userns=700000:1000", "--user", "999:999", "--", "sh", "-c", "cat /proc/self/uid_map; id -u; id -g")
	if got := strings.Fields(r.stdout); r.code != 0 || strings.Join(got, " ") != "0 700000 1000 999 999" {
		t.Errorf("--userns=700000:1000 --user 999:999: exit %d, %q, want the map and 999 999\n%s", r.code, r.stdout, r.stderr)
	}
	// A profile only the host's root may read: the namespace's root is
	// refused it, and told why.
	private := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(private, []byte(`{"defaultAction": "SCMP_ACT_ALLOW"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--userns=0"}, 2, "host id 0 maps the workload's root to the host's root"},
		{[]string{"--userns", "100000"}, 2, "given with =, as --userns=100000"},
		{[]string{"--userns=4294967000:1000"}, 2, "the last id a map may reach is 4294967294"},
		{[]string{"--userns=700000:0"}, 2, "0 ids map nothing"},
		{[]string{"--userns=700000:10", "--user", "10"}, 125, "outside the 10 ids the namespace maps"},
		{[]string{"--userns", "--seccomp", private}, 125, "permission denied (inside the user namespace, rampart's root is host uid"},
	} {
		r := rampart(t, "", append(append([]string{"run"}, c.args...), "true")...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("run %v: exit %d, %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
	// The namespace gives back no capability the launcher's bounding set
	// lacks: with no capability flag, CMD's sets are the launcher's.
	own, err := procstatus.Self()
	if err != nil {
		t.Fatal(err)
	}
	bnd := own.CapBnd.Hex()
	if r := rampart(t, "", "run", "--userns", "--", "grep", "-E", "^Cap(Bnd|Eff|Prm)", "/proc/self/status"); r.code != 0 || strings.Count(r.stdout, bnd) != 3 {
		t.Errorf("capability sets in the namespace: %q, want the launcher's bounding set %s in each\n%s", r.stdout, bnd, r.stderr)
	}
	// A block the caller names that holds a running process's uid is
	// used, and said: the workload shares that uid.
	sleeper := exec.Command("sleep", "30")
	sleeper.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 4321, Gid: 4321}}
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	const shared = "include ids in use"
	if r := rampart(t, "", "run", "--userns=4000:1000", "true"); r.code != 0 || !strings.Contains(r.stderr, shared) {
		t.Errorf("--userns=4000:1000 beside a process of uid 4321: exit %d, %q; want the shared ids said", r.code, r.stderr)
	}
	if r := rampart(t, "", "run", "--userns=5000:1000", "true"); r.code != 0 || strings.Contains(r.stderr, shared) {
		t.Errorf("--userns=5000:1000: exit %d, %q; want nothing said", r.code, r.stderr)
	}
	// The launcher outside ends as the workload does.
	if r := rampart(t, "", "run", "--userns", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exit 7 in the namespace: rampart exit %d\n%s", r.code, r.stderr)
	}
	if r := rampart(t, "", "run", "--userns", "--", "sh", "-c", "kill -KILL $$"); r.code != 128+9 {
		t.Errorf("SIGKILL in the namespace: rampart exit %d, want %d\n%s", r.code, 128+9, r.stderr)
	}
	// Descriptors kept with --preserve-fds reach the workload (read from
	// the descriptor: reopening /proc/self/fd/3 would check the pipe's
	// owner, the host's root, which the namespace does not map).
	pr, pw, _ := os.Pipe()
	pw.WriteString("kept\n")
	pw.Close()
	cmd := exec.Command(os.Args[0], "run", "--userns", "--preserve-fds", "1", "--", "sh", "-c", "cat <&3")
	cmd.ExtraFiles = []*os.File{pr}
	if r := runAsRampart(t, cmd); r.code != 0 || r.stdout != "kept\n" {
		t.Errorf("--preserve-fds 1: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	pr.Close()
}

// A signal for the workload sent to the launcher that waits outside the
// namespace reaches the workload.
func TestRunUserNSForwardsSignals(t *testing.T) {
	needRoot(t)
	cmd := exec.Command(os.Args[0], "run", "--userns", "--", "sh", "-c", `trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done`)
	cmd.Env = append(os.Environ(), asRampart+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("workload did not start: %q %v", buf, err)
	}
	time.Sleep(50 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 42 {
		t.Errorf("SIGTERM to the launcher: exit %d (%v), want the workload's trap (42)", code, err)
	}
}

// Measured against the model: root in a user namespace of its own, with
// every capability in it, is refused exactly the paths
// attack.UserNSCloses names, each attributed to the user namespace; the
// same probe without the namespace is attributed none.
func TestUserNSClosesAsPredicted(t *testing.T) {
	needRoot(t)
	res, rep := probeUnder(t, []string{"--userns"})
	st := rep.State
	if st.Namespaces["user"] != "private" || len(st.UIDMap) != 1 || strings.HasPrefix(st.UIDMap[0], "0 0 ") {
		t.Fatalf("probe state: user namespace %q, uid_map %q", st.Namespaces["user"], st.UIDMap)
	}
	ctx := attack.Context{Root: true, ForeignPID1: st.Namespaces["pid"] == "host", Sysctls: st.Sysctls}
	facts := attack.UserNSFacts{Owns: func(ns string) bool { return strings.Contains(strings.Join(st.UserNSOwns, ","), ns) }}
	for _, p := range attack.Catalog() {
		r := res[p.ID]
		why, closes := attack.UserNSCloses(p, ctx, facts)
		switch {
		case closes && r.Verdict == attack.Blocked && r.Layer == attack.ByOther:
			// Closed before the namespace is asked (no such kernel
			// feature, no such file).
		case closes != (r.Layer == attack.ByUserNS):
			t.Errorf("%s: model says closed=%v (%s); measured %s by %q: %s", p.ID, closes, why, r.Verdict, r.Layer, r.Evidence)
		}
	}
	// The seed's gaps a user namespace closes on this host.
	for _, id := range []string{"core-pattern", "signal-outside", "raw-socket", "mknod-block"} {
		wantLayer(t, res, id, attack.ByUserNS, "")
	}
	res, _ = probeUnder(t, []string{"--cap-drop", "SYS_MODULE"})
	for id, r := range res {
		if r.Layer == attack.ByUserNS {
			t.Errorf("%s: attributed to a user namespace the probe is not in: %s", id, r.Evidence)
		}
	}
}

// The seed's workload with a user namespace on top: a fifth step,
// +userns, which closes two of the seed's gaps on this host, each
// credited to the namespace.
func TestLayersUserNSStep(t *testing.T) {
	needRoot(t)
	// The test binary lies in a 0700 directory the namespace's root may
	// not search: the step runs it through /proc/self/exe all the same.
	m := layersJSON(t, rampart(t, "", "layers", "../../examples/seed/3-apparmor.yaml", "--apparmor-dir", "../../examples/seed",
		"--userns", "--only", "core-pattern,signal-outside,chroot", "-o", "json"))
	if n := len(m.Steps); n != 5 || m.Steps[4].Name != "+userns" || m.Steps[4].Layer != attack.ByUserNS {
		t.Fatalf("steps %+v: want a fifth, +userns", m.Steps)
	}
	for _, row := range m.Rows {
		want := "+userns"
		if row.ID == "chroot" {
			want = "" // asked in the namespace itself: a gap still
		}
		if row.ClosedAt != want || (want != "" && row.ClosedBy != attack.ByUserNS) {
			t.Errorf("%s: closed at %q by %q, want %q by userns", row.ID, row.ClosedAt, row.ClosedBy, want)
		}
	}
}

// In a runc container the namespace is made inside, by the same
// launcher: the container's network namespace is then its parent's, the
// host's, and the raw socket closes at +userns, credited to it.
func TestLayersUserNSRuncEngine(t *testing.T) {
	needRoot(t)
	needRunc(t)
	cmd := exec.Command(staticRampart(t), "layers", "--engine", "runc", "--userns", "-o", "json", "--only", "raw-socket,chroot")
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	m := layersJSON(t, result{code: map[bool]int{true: 0, false: 1}[err == nil], stdout: string(out), stderr: stderr})
	if m.Engine != "runc" || len(m.Steps) != 5 {
		t.Fatalf("engine %q, %d steps", m.Engine, len(m.Steps))
	}
	closedAt(t, m, "raw-socket", "+userns", attack.ByUserNS)
	closedAt(t, m, "chroot", "", "")
}

// --steps picks the columns: the baseline beside +userns alone, the
// seed's policy and the namespace together, each enforced; what the seed
// closes is then credited at +userns to the layer the probe saw (the
// steps are cumulative). A step that is not one, a repeat, or +userns
// without a namespace is refused before anything runs.
func TestLayersSteps(t *testing.T) {
	needRoot(t)
	m := layersJSON(t, rampart(t, "", "layers", "../../examples/seed/2-seccomp.yaml", "--userns", "--steps", "baseline,+userns",
		"--only", "raw-socket,userns-netns,core-pattern,chroot", "-o", "json"))
	if len(m.Steps) != 2 || m.Steps[0].Name != "baseline" || m.Steps[1].Name != "+userns" {
		t.Fatalf("steps %+v, want baseline and +userns", m.Steps)
	}
	closedAt(t, m, "raw-socket", "+userns", attack.ByCapabilities)
	closedAt(t, m, "userns-netns", "+userns", attack.BySeccomp)
	closedAt(t, m, "core-pattern", "+userns", attack.ByUserNS)
	closedAt(t, m, "chroot", "", "")
	for _, c := range []struct{ steps, want string }{
		{"+bogus", `"+bogus" is not a step`},
		{"+seccomp,+seccomp", "step +seccomp named twice"},
		{"", "no step named"},
	} {
		r := rampart(t, "", "layers", "--userns", "--steps", c.steps)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("--steps %q: exit %d, %s; want usage error %q", c.steps, r.code, r.stderr, c.want)
		}
	}
	if r := rampart(t, "", "layers", "--steps", "baseline,+userns"); r.code != exitUsage || !strings.Contains(r.stderr, "step +userns needs a user namespace") {
		t.Errorf("--steps +userns without --userns: exit %d, %s", r.code, r.stderr)
	}
}
