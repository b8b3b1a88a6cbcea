//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/runtest"
	"github.com/rampart-sec/rampart/probe"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// The test binary doubles as rampart: with this variable set it runs
// main's code, so every test below launches the real launcher as a
// separate process and lets the kernel decide.
const asRampart = "RAMPART_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	// As rampart's main: the test binary, run as rampart, is re-executed
	// as the probe's children and the seccomp compile helper.
	probe.ChildMain()
	seccomp.HelperMain()
	// CMD inherits the launcher's environment: the attacker is asked
	// for first.
	if os.Getenv(asNewMounter) == "1" {
		os.Exit(newMounter(os.Args[1:]))
	}
	if os.Getenv(asRampart) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

type result struct {
	code           int
	signal         syscall.Signal
	stdout, stderr string
}

func rampart(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stdin = strings.NewReader(stdin)
	return runAsRampart(t, cmd)
}

// runAsRampart runs cmd, the test binary, as rampart (in cmd.Env, or
// this process's environment) and collects what it printed and how it
// ended.
func runAsRampart(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(slices.Clip(cmd.Env), asRampart+"=1")
	r := runtest.Run(t, cmd)
	return result{code: r.Code, signal: r.Signal, stdout: r.Stdout, stderr: r.Stderr}
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("enforcing capabilities, users and the bounding set needs root")
	}
}

// needIA32 skips where the kernel runs no 32-bit x86 code: there int
// 0x80 and i386 programs fault before any filter is consulted.
func needIA32(t *testing.T) {
	t.Helper()
	if err := features.HaveIA32(); err != nil {
		t.Skip(err)
	}
}

func needSeccomp(t *testing.T) {
	t.Helper()
	if err := features.HaveSeccompFilter(); err != nil {
		// Not a skip: CI builds with libseccomp, a build without it must fail loudly.
		t.Fatalf("%v (run `make test`)", err)
	}
}

// The seed's attacker commands, each paired with an action of the same
// kind that a hardened workload still needs.
var (
	rawSocket = []string{"/usr/bin/python3", "-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); print('raw socket created')"}
	tcpSocket = []string{"/usr/bin/python3", "-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM); print('tcp socket created')"}
	unshareRN = []string{"unshare", "-r", "-n", "true"}
	getpid    = []string{"sh", "-c", "echo $$ >/dev/null"}
	// reads one byte and discards it: nothing secret reaches the test log
	readShadow = []string{"sh", "-c", "head -c1 /etc/shadow >/dev/null"}
	readPasswd = []string{"sh", "-c", "head -c1 /etc/passwd >/dev/null"}
)

func argv(flags []string, cmd []string) []string {
	return append(append(append([]string{"run"}, flags...), "--"), cmd...)
}

type expectation struct {
	name  string
	flags []string
	cmd   []string
	ok    bool
}

func check(t *testing.T, cases []expectation) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rampart(t, "", argv(c.flags, c.cmd)...)
			if (r.code == 0) != c.ok {
				t.Fatalf("rampart %s -- %s: exit %d, want success=%v\nstdout: %s\nstderr: %s",
					strings.Join(c.flags, " "), strings.Join(c.cmd, " "), r.code, c.ok, r.stdout, r.stderr)
			}
			if !c.ok && r.code >= 125 {
				t.Fatalf("the command should have run and failed, but rampart refused (%d): %s", r.code, r.stderr)
			}
		})
	}
}

func TestEachLayerAloneAndTogether(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	seccompNoAdmin := []string{"--cap-drop", "SYS_ADMIN", "--seccomp", "runtime-default"}
	all := []string{"--cap-drop", "NET_RAW,SYS_ADMIN", "--seccomp", "runtime-default", "--deny-read", "/etc/shadow"}
	check(t, []expectation{
		// capabilities
		{"caps/raw-socket-open-without", []string{"--cap-drop", "MKNOD"}, rawSocket, true},
		{"caps/raw-socket-closed", []string{"--cap-drop", "NET_RAW"}, rawSocket, false},
		{"caps/tcp-socket-still-open", []string{"--cap-drop", "NET_RAW"}, tcpSocket, true},
		{"caps/spelling-cap-prefix", []string{"--cap-drop", "cap_net_raw"}, rawSocket, false},
		// seccomp: RuntimeDefault is resolved against the bounding set, so
		// with SYS_ADMIN kept (full root) unshare stays allowed, as in containerd
		{"seccomp/unshare-open-without", []string{"--cap-drop", "SYS_ADMIN"}, unshareRN, true},
		{"seccomp/unshare-open-with-sys-admin", []string{"--seccomp", "runtime-default"}, unshareRN, true},
		{"seccomp/unshare-closed", seccompNoAdmin, unshareRN, false},
		{"seccomp/ordinary-syscalls-open", seccompNoAdmin, getpid, true},
		// LSM (Landlock on this kernel)
		{"lsm/shadow-open-without", []string{"--no-new-privs"}, readShadow, true},
		{"lsm/shadow-closed", []string{"--deny-read", "/etc/shadow"}, readShadow, false},
		{"lsm/passwd-still-open", []string{"--deny-read", "/etc/shadow"}, readPasswd, true},
		// all three
		{"all/raw-socket", all, rawSocket, false},
		{"all/unshare", all, unshareRN, false},
		{"all/shadow", all, readShadow, false},
		{"all/tcp-socket", all, tcpSocket, true},
		{"all/passwd", all, readPasswd, true},
	})
}

// The kernel's own account of the workload: what /proc reports inside it.
func TestAppliedStateAsKernelReports(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	r := rampart(t, "", argv([]string{"--cap-drop", "NET_RAW,SYS_ADMIN", "--seccomp", "runtime-default", "--deny-read", "/etc/shadow"},
		[]string{"grep", "-E", "^(CapBnd|CapEff|NoNewPrivs|Seccomp):", "/proc/self/status"})...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	fields := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		k, v, _ := strings.Cut(l, ":")
		fields[k] = strings.TrimSpace(v)
	}
	var bnd uint64
	fmt.Sscanf(fields["CapBnd"], "%x", &bnd)
	if bnd&(1<<13) != 0 || bnd&(1<<21) != 0 || bnd&1 == 0 {
		t.Errorf("CapBnd %s: want NET_RAW and SYS_ADMIN gone, CHOWN kept", fields["CapBnd"])
	}
	if fields["CapEff"] != fields["CapBnd"] {
		t.Errorf("root workload: CapEff %s, want the bounding set %s", fields["CapEff"], fields["CapBnd"])
	}
	if fields["NoNewPrivs"] != "1" || fields["Seccomp"] != "2" {
		t.Errorf("NoNewPrivs %s Seccomp %s", fields["NoNewPrivs"], fields["Seccomp"])
	}
}

// A non-root workload: the layers still hold, and the identity is exactly
// the one asked for, with no supplementary group left over from root.
func TestNonRootLayersHold(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	// t.TempDir's parent is private to root; nobody must reach these files
	dir, err := os.MkdirTemp("", "rampart-nonroot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	secret := filepath.Join(dir, "secret")
	public := filepath.Join(dir, "public")
	os.WriteFile(secret, []byte("s"), 0o644)
	os.WriteFile(public, []byte("p"), 0o644)
	flags := []string{"--user", "65534", "--cap-drop", "NET_RAW,SYS_ADMIN", "--seccomp", "runtime-default", "--deny-read", secret}
	check(t, []expectation{
		{"raw-socket", flags, rawSocket, false},
		{"unshare", flags, unshareRN, false},
		{"secret", flags, []string{"cat", secret}, false},
		{"public", flags, []string{"cat", public}, true},
		// without the wall, nobody can unshare: the wall is what closes it
		{"unshare-open-without-seccomp", []string{"--user", "65534"}, unshareRN, true},
	})
	r := rampart(t, "", argv(flags, []string{"sh", "-c", "id -u; id -g; id -G; grep ^CapEff /proc/self/status"})...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "65534\n65534\n65534\nCapEff:\t0000000000000000\n"
	if r.stdout != want {
		t.Fatalf("identity:\n%s\nwant:\n%s", r.stdout, want)
	}
}

// Every fail-closed rule: the command never starts (its marker file does
// not exist), rampart exits 125 and names the layer.
func TestFailClosed(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	dir := t.TempDir()
	linked := filepath.Join(dir, "linked")
	os.WriteFile(linked, []byte("x"), 0o600)
	os.Link(linked, filepath.Join(dir, "second-name"))
	profile := seedProfile
	globProfile := filepath.Join(dir, "glob")
	os.WriteFile(globProfile, []byte("profile glob {\n  file,\n  deny /etc/ss*/** r,\n}\n"), 0o644)
	badManifest := filepath.Join(dir, "pod.yaml")
	os.WriteFile(badManifest, []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext:\n      capabilities:\n        drop: [NET_RAWW]\n"), 0o644)

	noAppArmor := features.HaveAppArmor() != nil
	cases := []failCase{
		{"unknown-capability", []string{"--cap-drop", "NET_RAWW"}, "capabilities", `unknown capability "NET_RAWW"`},
		// a rampart inside one that dropped NET_RAW cannot hand it back
		{"capability-not-in-bounding-set", []string{"--cap-drop", "NET_RAW", "--", os.Args[0], "run", "--cap-add", "NET_RAW"}, "capabilities", "NET_RAW not in rampart's own bounding set"},
		{"missing-seccomp-profile", []string{"--seccomp", filepath.Join(dir, "nope.json")}, "seccomp", "no such file"},
		{"unknown-syscall", []string{"--seccomp", "../../seccomp/testdata/unknown-syscall.json"}, "seccomp", `unknown-syscall.json:5:48: syscalls[].names: unknown syscall "opne"`},
		{"invalid-profile", []string{"--seccomp", "../../seccomp/testdata/syntax.json"}, "seccomp", "syntax.json:4:55"},
		{"hard-linked-denied-file", []string{"--deny-read", linked}, "landlock", "hard links"},
		{"bad-allow", []string{"--allow", "/usr:rq"}, "landlock", `access "rq"`},
		{"manifest-unknown-capability", []string{"--from", badManifest}, "manifest", "pod.yaml:11:"},
	}
	if noAppArmor {
		cases = append(cases,
			failCase{"apparmor-absent", []string{"--apparmor", profile}, "apparmor", "not in this kernel's active LSMs"},
			failCase{"apparmor-by-name-absent", []string{"--apparmor", "flask-deny-shadow"}, "apparmor", "--lsm-fallback landlock"},
			failCase{"fallback-cannot-express-globs", []string{"--apparmor", globProfile, "--lsm-fallback", "landlock"}, "apparmor", "globs"},
		)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			marker := filepath.Join(dir, c.name+".ran")
			r := rampart(t, "", argv(c.flags, []string{"sh", "-c", "touch " + marker})...)
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("the command ran (marker exists); stderr: %s", r.stderr)
			}
			if r.code != exitRefused {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, exitRefused, r.stderr)
			}
			if !strings.Contains(r.stderr, "rampart: "+c.layer+": ") || !strings.Contains(r.stderr, c.msg) {
				t.Fatalf("stderr %q: want layer %q and %q", r.stderr, c.layer, c.msg)
			}
		})
	}
}

type failCase struct {
	name  string
	flags []string
	layer string
	msg   string
}

// seedProfile is the seed article's AppArmor profile.
const seedProfile = "../../examples/seed/flask-deny-shadow"

// An AppArmor profile stands in as Landlock only when asked, and says so.
func TestLSMFallbackSaysSo(t *testing.T) {
	needRoot(t)
	if features.HaveAppArmor() == nil {
		t.Skip("this kernel has AppArmor; the fallback does not apply")
	}
	profile := seedProfile
	r := rampart(t, "", argv([]string{"--apparmor", profile, "--lsm-fallback", "landlock"}, readShadow)...)
	if r.code == 0 || r.code >= 125 {
		t.Fatalf("exit %d, want the read to fail: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "AppArmor is not in this kernel: profile flask-deny-shadow is enforced by Landlock as --deny-read /etc/shadow") {
		t.Fatalf("stderr does not say Landlock stands in: %q", r.stderr)
	}
	r = rampart(t, "", argv([]string{"--apparmor", profile, "--lsm-fallback", "landlock"}, readPasswd)...)
	if r.code != 0 {
		t.Fatalf("passwd: exit %d: %s", r.code, r.stderr)
	}
}

// The seed's last manifest, taken as it is.
func TestFromSeedManifest(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	if features.HaveAppArmor() == nil {
		t.Skip("this kernel has AppArmor: the lab tier tests the AppArmor path")
	}
	m := "../../examples/seed/3-apparmor.yaml"
	flags := []string{"--from", m, "--apparmor-dir", "../../examples/seed", "--lsm-fallback", "landlock"}
	check(t, []expectation{
		{"raw-socket", flags, rawSocket, false},
		// the manifest keeps containerd's default set, which has no SYS_ADMIN,
		// so RuntimeDefault denies unshare
		{"unshare", flags, unshareRN, false},
		{"shadow", flags, readShadow, false},
		{"passwd", flags, readPasswd, true},
	})
	r := rampart(t, "", argv(append([]string{"-v"}, flags...), []string{"true"})...)
	if r.code != 0 || !strings.Contains(r.stderr, "CapBnd=00000000a80405fb") {
		// containerd's 14 minus NET_RAW
		t.Fatalf("exit %d, want containerd's default set without NET_RAW: %s", r.code, r.stderr)
	}
}

func TestPassThrough(t *testing.T) {
	needRoot(t)
	flags := []string{"--cap-drop", "NET_RAW"}
	if r := rampart(t, "", argv(flags, []string{"sh", "-c", "exit 7"})...); r.code != 7 {
		t.Errorf("exit status %d, want 7", r.code)
	}
	if r := rampart(t, "", argv(flags, []string{"sh", "-c", "kill -TERM $$"})...); r.signal != syscall.SIGTERM {
		t.Errorf("signal %v (code %d), want SIGTERM", r.signal, r.code)
	}
	if r := rampart(t, "hello\n", argv(flags, []string{"cat"})...); r.stdout != "hello\n" {
		t.Errorf("stdin->stdout %q", r.stdout)
	}
	if r := rampart(t, "", argv(flags, []string{"sh", "-c", "echo err >&2"})...); r.stderr != "err\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	os.Setenv("RAMPART_TEST_VALUE", "kept")
	defer os.Unsetenv("RAMPART_TEST_VALUE")
	if r := rampart(t, "", argv(flags, []string{"sh", "-c", "echo $RAMPART_TEST_VALUE"})...); r.stdout != "kept\n" {
		t.Errorf("environment %q", r.stdout)
	}
	if r := rampart(t, "", argv(flags, []string{"/nonexistent/cmd"})...); r.code != exitNotFound {
		t.Errorf("missing command: exit %d, want %d", r.code, exitNotFound)
	}
	if r := rampart(t, "", "run", "--cap-dorp", "NET_RAW", "--", "true"); r.code != exitUsage {
		t.Errorf("unknown flag: exit %d, want %d", r.code, exitUsage)
	}
}

func TestVerbosePrintsKernelState(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	r := rampart(t, "", argv([]string{"-v", "--cap-drop", "ALL", "--seccomp", "runtime-default"}, []string{"true"})...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"CapBnd=0000000000000000 (none)", "NoNewPrivs=1 Seccomp=2 Seccomp_filters=1", "plan: seccomp: runtime-default"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("-v output lacks %q:\n%s", want, r.stderr)
		}
	}
}

// Compat syscall ABIs reach the same filter: unshare through the i386
// entry (int 0x80, from a 64-bit and from a 32-bit binary) and through
// the x32 numbers must be refused by RuntimeDefault with its EPERM,
// where without the filter the kernel answers otherwise.
func TestCompatABIsBlocked(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	dir := t.TempDir()
	bin64 := filepath.Join(dir, "compat64")
	bin32 := filepath.Join(dir, "compat32")
	if out, err := exec.Command("gcc", "-O1", "-static", "-o", bin64, "testdata/compat.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	if out, err := exec.Command("gcc", "-m32", "-O1", "-static", "-o", bin32, "testdata/compat.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc -m32 (Debian gcc-multilib): %v\n%s", err, out)
	}
	const eperm = "1\n"
	for _, c := range []struct {
		name string
		cmd  []string
		i386 bool
	}{
		{"i386-from-64-bit", []string{bin64, "int80"}, true},
		{"i386-binary", []string{bin32, "int80"}, true},
		{"x32", []string{bin64, "x32"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.i386 {
				needIA32(t)
			}
			open := rampart(t, "", argv([]string{"--cap-drop", "SYS_ADMIN"}, c.cmd)...)
			closed := rampart(t, "", argv([]string{"--cap-drop", "SYS_ADMIN", "--seccomp", "runtime-default"}, c.cmd)...)
			if open.code != 0 || closed.code != 0 {
				t.Fatalf("helper failed: %d %q / %d %q", open.code, open.stderr, closed.code, closed.stderr)
			}
			if open.stdout == eperm {
				t.Fatalf("without the filter the kernel already says EPERM; the test proves nothing")
			}
			if closed.stdout != eperm {
				t.Fatalf("under runtime-default: errno %q, want EPERM from the filter (unconfined: %q)", closed.stdout, open.stdout)
			}
		})
	}
}

// The filter a launch loads from the cache is the one the engine loads
// when compiling in place: both are read back from the kernel.
func TestSeccompCacheLoadsSameFilter(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	cache := t.TempDir()
	dump := func(env ...string) []unix.SockFilter {
		cmd := exec.Command(os.Args[0], argv([]string{"--cap-drop", "NET_RAW", "--seccomp", "runtime-default"}, []string{"sleep", "10"})...)
		cmd.Env = append(append(os.Environ(), asRampart+"=1", "RAMPART_CACHE_DIR="+cache), env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		for i := 0; ; i++ {
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
			if string(comm) == "sleep\n" {
				break
			}
			if i > 200 {
				t.Fatal("workload did not start")
			}
			time.Sleep(10 * time.Millisecond)
		}
		prog, err := seccomp.DumpFilter(cmd.Process.Pid, 0)
		if err != nil {
			t.Fatal(err)
		}
		return prog
	}
	inPlace := dump("RAMPART_SECCOMP_CACHE=off")
	cached := dump() // fills the cache
	again := dump()  // reads it
	if !slices.Equal(cached, again) {
		t.Fatal("the second launch did not load the cached program")
	}
	// The engine orders its per-architecture checks differently from run
	// to run, so compare decisions, not bytes: every syscall number of
	// every architecture, with argument values the profile tests.
	n := 0
	for _, d := range bpf.Samples() {
		a, _, err1 := bpf.Run(inPlace, d)
		b, _, err2 := bpf.Run(cached, d)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if a != b {
			t.Fatalf("nr %d arch %#x args %v: in place %#x, cached %#x", d.Nr, d.Arch, d.Args, a, b)
		}
		n++
	}
	t.Logf("%d decisions agree (%d and %d instructions)", n, len(inPlace), len(cached))
}
