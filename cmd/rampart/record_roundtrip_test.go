//go:build linux

package main

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/layers"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/record"
)

// Round trips on real programs, recorded live with the eBPF recorder:
// record the workload, run the same workload under the policy generated
// from that recording (rampart run --policy: capabilities dropped,
// the seccomp allow list, no_new_privs, Landlock) to the same result,
// and let `rampart layers` show that the policy closes every catalog
// path the workload does not use itself. The fixed recordings of
// record_policy_test.go cover a busybox script and small Python
// programs; these cover a network server and a static Go program.

// bgRampart is the test binary running as rampart in the background, in
// a process group of its own (so that nothing it starts outlives the
// test).
type bgRampart struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	ws             syscall.WaitStatus
}

func startRampart(t *testing.T, dir string, args ...string) *bgRampart {
	t.Helper()
	b := &bgRampart{done: make(chan struct{})}
	b.cmd = exec.Command(os.Args[0], args...)
	b.cmd.Env = append(os.Environ(), asRampart+"=1")
	b.cmd.Dir = dir
	b.cmd.Stdout, b.cmd.Stderr = &b.stdout, &b.stderr
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := b.cmd.Process.Pid
	go func() {
		b.cmd.Wait()
		b.ws = b.cmd.ProcessState.Sys().(syscall.WaitStatus)
		close(b.done)
	}()
	t.Cleanup(func() {
		select {
		case <-b.done:
		default:
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-b.done
		}
	})
	return b
}

// stop sends sig to the process rampart is (rampart run: CMD itself) or
// passes it on to (rampart record) and returns the exit status as a
// shell sees it (128+N for a signal).
func (b *bgRampart) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	b.cmd.Process.Signal(sig)
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%q did not stop on %v\nstdout: %s\nstderr: %s", b.cmd.Args, sig, &b.stdout, &b.stderr)
	}
	if b.ws.Signaled() {
		return 128 + int(b.ws.Signal())
	}
	return b.ws.ExitStatus()
}

// waitPort waits for a listener on the loopback port while b runs.
func (b *bgRampart) waitPort(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-b.done:
			t.Fatalf("%q exited (%v) before listening on %d\nstdout: %s\nstderr: %s", b.cmd.Args, b.ws, port, &b.stdout, &b.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q: nothing listens on %d after 10s\nstderr: %s", b.cmd.Args, port, &b.stderr)
		}
	}
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// httpGet fetches a URL from the test process itself, which is not recorded.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// recordedLayers runs `rampart layers` under the policy of rec merged
// with the probe's own frame (see TestRecordedPolicyLayers): every
// catalog path must be closed but those in uses, which the workload
// itself has and which must therefore stay open, with the probe's
// evidence uses[id] at every step; the seed's three paths closed each at
// its own layer.
func recordedLayers(t *testing.T, rec *record.Recording, uses map[string]string) {
	t.Helper()
	dir := genPolicy(t, record.Merge(rec, probeFrame(t)))
	m := layersJSON(t, rampart(t, "", "layers", "--policy", filepath.Join(dir, record.PolicyFile), "-o", "json"))
	if len(m.Rows) < len(attack.Catalog()) {
		t.Errorf("%d rows, want the whole catalog (%d)", len(m.Rows), len(attack.Catalog()))
	}
	for _, id := range m.Gaps {
		if _, ok := uses[id]; !ok {
			t.Errorf("%s open under the recorded policy: %+v", id, m.Row(id).Cells)
		}
	}
	for id, evidence := range uses {
		r := m.Row(id)
		if r == nil {
			t.Fatalf("no row %s", id)
		}
		for _, c := range r.Cells {
			if c.Verdict != attack.Open || !strings.Contains(c.Evidence, evidence) {
				t.Errorf("%s: %+v, want open at every step (%q): the workload has it itself", id, r.Cells, evidence)
				break
			}
		}
	}
	closedAt(t, m, "raw-socket", layers.PlusCaps, attack.ByCapabilities)
	closedAt(t, m, "userns-netns", layers.PlusSeccomp, attack.BySeccomp)
	closedAt(t, m, "read-shadow", layers.PlusLSM, attack.ByLSM)
}

// `python3 -m http.server`, answering a GET on loopback: recorded with
// `rampart record` (the CLI, eBPF), stopped with SIGTERM as a supervisor
// would stop it, then run with the policy the CLI wrote.
func TestRecordRoundTripHTTPServer(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	// The interpreter itself: a pyenv shim first in $PATH would be a
	// shell script running another python.
	needTools(t, "/usr/bin/python3")
	www, cwd := t.TempDir(), t.TempDir()
	const body = "served by a recorded policy\n"
	if err := os.WriteFile(filepath.Join(www, "index.txt"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freeLoopbackPort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/index.txt", port)
	server := func(dir string) []string {
		return []string{"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", strconv.Itoa(port), "--directory", dir}
	}
	const logLine = `"GET /index.txt HTTP/1.1" 200 -`

	// rampart record passes SIGTERM on to CMD (SIGINT it leaves to the
	// terminal, which sends it to the whole process group) and exits
	// with CMD's status, 128+15: python's default action for SIGTERM.
	out := t.TempDir()
	rec := startRampart(t, cwd, append([]string{"record", "--recorder", record.RecorderEBPF, "--out", out, "--"}, server(www)...)...)
	rec.waitPort(t, port)
	status, got := httpGet(t, url)
	if status != http.StatusOK || got != body {
		t.Fatalf("recorded server: %d %q, want 200 %q", status, got, body)
	}
	code := rec.stop(t, syscall.SIGTERM)
	if code != 128+int(syscall.SIGTERM) || !strings.Contains(rec.stderr.String(), logLine) {
		t.Fatalf("rampart record: exit %d, want 143 (SIGTERM passed on)\n%s", code, &rec.stderr)
	}
	r, err := record.ReadRecording(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Recorder != record.RecorderEBPF || r.ExitCode != code || len(r.Limits) > 0 {
		t.Fatalf("recording: recorder %s, exit %d, limits %q", r.Recorder, r.ExitCode, r.Limits)
	}
	pol := filepath.Join(out, record.PolicyFile)

	// The same server under the recorded policy: the same answer, and the
	// same exit status on the same signal.
	run := startRampart(t, cwd, append([]string{"run", "--policy", pol, "--"}, server(www)...)...)
	run.waitPort(t, port)
	if s, g := httpGet(t, url); s != status || g != got {
		t.Errorf("under the recorded policy: %d %q, want %d %q\nstderr: %s", s, g, status, got, &run.stderr)
	}
	if c := run.stop(t, syscall.SIGTERM); c != code || !strings.Contains(run.stderr.String(), logLine) {
		t.Errorf("under the recorded policy: exit %d, want %d\nstderr: %s", c, code, &run.stderr)
	}

	// What it never served it cannot read: the same server and policy
	// serving /etc answers 404 for /etc/passwd (Landlock refuses the
	// open; http.server turns the error into File not found), and 200
	// with everything but Landlock, so the refusal is the LSM's.
	p, err := policy.ReadFile(pol)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Landlock) == 0 {
		t.Fatalf("no Landlock rules in %s", pol)
	}
	p.Landlock = nil
	noLSM := filepath.Join(t.TempDir(), "no-landlock.json")
	if err := policy.WriteFile(noLSM, p); err != nil {
		t.Fatal(err)
	}
	passwd := fmt.Sprintf("http://127.0.0.1:%d/passwd", port)
	for _, c := range []struct {
		policy string
		want   int
	}{{pol, http.StatusNotFound}, {noLSM, http.StatusOK}} {
		srv := startRampart(t, cwd, append([]string{"run", "--policy", c.policy, "--"}, server("/etc")...)...)
		srv.waitPort(t, port)
		if s, _ := httpGet(t, passwd); s != c.want {
			t.Errorf("%s serving /etc: GET /passwd %d, want %d\nstderr: %s", filepath.Base(c.policy), s, c.want, &srv.stderr)
		}
		srv.stop(t, syscall.SIGTERM)
	}

	// The server's own calls are none of the catalog's attacks but for
	// two paths, which stay open:
	//   - setuid-root: its gain is uid 0, which the server already has
	//     (it was recorded as root, and a recorded policy keeps the
	//     user: it drops the capabilities, not the uid); the server
	//     calls geteuid, so the policy lets the probe see that. (A
	//     workload that never asks its uid, like the busybox script or
	//     the Go program, leaves the probe blind to it, and the probe's
	//     setuid(0) then meets the filter.)
	//   - runtime-socket, where a runtime's socket takes connections on
	//     this host: glibc's host-name lookup (getfqdn, through nss and
	//     nscd) makes AF_UNIX stream sockets and connects them, so the
	//     filter allows both, and Landlock does not mediate connecting to
	//     a socket by its path. Without such a socket the path is closed
	//     (absent) like the rest.
	uses := map[string]string{"setuid-root": "already uid 0"}
	if sock := runtimeSocketListening(); sock != "" {
		t.Logf("%s takes connections here: runtime-socket stays open", sock)
		uses["runtime-socket"] = "connected to"
	}
	recordedLayers(t, r, uses)
}

// runtimeSocketListening is the first of the runtime-socket path's
// sockets that takes a connection from here (closed at once, as the
// probe does), or "".
func runtimeSocketListening() string {
	for _, p := range attack.Catalog() {
		if p.ID != "runtime-socket" {
			continue
		}
		for _, a := range p.Model.LSM {
			if a.Kind != attack.AccessUnix {
				continue
			}
			if c, err := net.DialTimeout("unix", a.Path, time.Second); err == nil {
				c.Close()
				return a.Path
			}
		}
	}
	return ""
}

// roundtripGo is the static Go workload: it reads a file, serves and
// dials TCP on loopback from goroutines, allocates enough to make the
// garbage collector run and computes long enough for the scheduler to
// preempt, then writes a file and reads it back. Its output is the same
// every run.
const roundtripGo = `package main

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// churn allocates 64 MiB in all and hashes it: several GC cycles and a
// goroutine running long enough to be preempted.
func churn(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	for i := 0; i < 64; i++ {
		buf := make([]byte, 1<<20)
		for j := range buf {
			buf[j] = sum[j%len(sum)] ^ byte(i)
		}
		sum = sha256.Sum256(buf)
	}
	return fmt.Sprintf("%x", sum[:2])
}

func main() {
	dir := os.Args[1]
	in, err := os.ReadFile(filepath.Join(dir, "in.txt"))
	if err != nil {
		fail(err)
	}
	words := strings.Fields(string(in))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				w := strings.TrimSpace(line)
				fmt.Fprintf(c, "%s:%s\n", strings.ToUpper(w), churn(w))
			}()
		}
	}()
	out := make([]string, len(words))
	var wg sync.WaitGroup
	for i, w := range words {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				out[i] = "dial: " + err.Error()
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "%s\n", w)
			s, _ := bufio.NewReader(c).ReadString('\n')
			out[i] = strings.TrimSpace(s)
		}()
	}
	wg.Wait()
	ln.Close()
	res := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(res, []byte(strings.Join(out, " ")+"\n"), 0o644); err != nil {
		fail(err)
	}
	back, err := os.ReadFile(res)
	if err != nil {
		fail(err)
	}
	fmt.Printf("%d words: %s", len(words), back)
}
`

// buildStaticGo builds roundtripGo with CGO_ENABLED=0 and checks that the
// result is static (no ELF interpreter).
func buildStaticGo(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("the go tool is not in $PATH")
	}
	src := t.TempDir()
	// The toolchain's own language version: an older one in go.mod would
	// turn this Go's defaults off (GODEBUG: MPTCP listeners, named
	// mappings), and the program would not be what a current build is.
	goversion, err := exec.Command(gobin, "env", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env GOVERSION: %v", err)
	}
	version := regexp.MustCompile(`^go1\.[0-9]+`).FindString(string(goversion))
	if version == "" {
		t.Fatalf("go env GOVERSION: %q", goversion)
	}
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module roundtrip\n\ngo "+strings.TrimPrefix(version, "go")+"\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte(roundtripGo), 0o644)
	prog := filepath.Join(t.TempDir(), "roundtrip")
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", prog, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(prog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatalf("%s is dynamically linked", prog)
		}
	}
	return prog
}

// A static Go program, recorded with record.Run (eBPF) and run under its
// policy again and again: the Go runtime's calls vary from run to run
// (threads started, GC, preemption signals), and the policy of a single
// recording must hold for every run. It does without merging recordings:
// what varies (sched_yield, and the tgkill and rt_sigreturn of async
// preemption, futex, nanosleep, madvise, mmap and munmap in varying
// numbers) is among the calls every generated profile allows (the
// launcher's and runtimes' own, generate_seccomp.go), and the distinct
// calls of six recordings differed in sched_yield alone.
func TestRecordRoundTripStaticGo(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	prog := buildStaticGo(t)
	data := t.TempDir()
	words := "alpha beta gamma delta epsilon zeta eta theta"
	if err := os.WriteFile(filepath.Join(data, "in.txt"), []byte(words+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	argv := []string{prog, data}

	// The reference: the program on its own.
	ref, err := exec.Command(prog, data).Output()
	if err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	want := string(ref)
	if !strings.HasPrefix(want, "8 words: ALPHA:") || strings.Contains(want, "dial:") {
		t.Fatalf("the workload itself: %q", want)
	}
	wantOut := strings.TrimPrefix(want, "8 words: ")
	reset := func() { os.Remove(filepath.Join(data, "out.txt")) }
	checkOut := func(what string) {
		t.Helper()
		if b, err := os.ReadFile(filepath.Join(data, "out.txt")); err != nil || string(b) != wantOut {
			t.Errorf("%s: out.txt %q (%v), want %q", what, b, err, wantOut)
		}
	}

	reset()
	stdout, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rec, err := record.Run(ctx, argv, record.Options{Recorder: record.RecorderEBPF, Stdout: stdout})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(stdout.Name())
	if rec.ExitCode != 0 || string(got) != want || len(rec.Limits) > 0 {
		t.Fatalf("recorded: exit %d, stdout %q, limits %q; want 0, %q", rec.ExitCode, got, rec.Limits, want)
	}
	checkOut("recorded")
	for _, n := range []string{"clone", "socket", "bind", "listen", "accept4", "connect"} {
		if rec.Syscalls[record.ABIx86_64][n] == 0 {
			t.Errorf("%s not recorded: %v", n, rec.Syscalls[record.ABIx86_64])
		}
	}
	dir := genPolicy(t, rec)
	pol := filepath.Join(dir, record.PolicyFile)

	// Repeated: a call the runtime makes in some runs only would fail
	// some of them (EPERM from the filter, or SIGSYS).
	const runs = 8
	for i := range runs {
		reset()
		r := rampart(t, "", append([]string{"run", "--policy", pol, "--"}, argv...)...)
		if r.code != rec.ExitCode || r.stdout != want {
			t.Errorf("run %d/%d under the recorded policy: exit %d signal %v, stdout %q, stderr %q; want %d, %q",
				i+1, runs, r.code, r.signal, r.stdout, r.stderr, rec.ExitCode, want)
			continue
		}
		checkOut(fmt.Sprintf("run %d/%d", i+1, runs))
	}

	// The program needs no capability, and the policy adds none: the
	// NET_ADMIN check the kernel makes when net.Listen reads
	// /proc/sys/net/core/somaxconn (net_ctl_permissions, only to widen
	// the file's mode for a network administrator) is not a use, and
	// the recorder leaves it out as it does the memory-accounting
	// SYS_ADMIN one. The recording still shows no capability granted.
	p, err := policy.ReadFile(pol)
	if err != nil {
		t.Fatal(err)
	}
	if p.Capabilities == nil || !p.Capabilities.DropAll || p.Capabilities.Add != 0 {
		t.Errorf("policy capabilities %+v, want drop ALL and nothing added", p.Capabilities)
	}
	for _, u := range rec.Capabilities {
		if u.Granted > 0 {
			t.Errorf("the recording holds %s granted %d times", u.Cap, u.Granted)
		}
	}

	// TCP on loopback (AF_INET and, for the runtime's IPv6 probe,
	// AF_INET6 stream sockets; MPTCP for the listener) is none of the
	// catalog's attacks.
	recordedLayers(t, rec, nil)
}
