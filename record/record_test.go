//go:build linux && (amd64 || arm64)

package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/seccomp"
)

// These tests record real processes on this kernel: the kernel is the
// oracle of what was called. They need root (BPF, ptrace of any user,
// running as nobody) and gcc (the workloads are tiny C programs whose
// every system call is known).

var recorders = []string{RecorderEBPF, RecorderPtrace}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: loads BPF programs, traces processes, runs workloads as nobody")
	}
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// bin compiles testdata/NAME.c once per test binary into a directory
// everyone can read, so that workloads can run as nobody too.
func bin(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		if _, err := exec.LookPath("gcc"); err != nil {
			buildErr = errors.New("gcc not found (scripts/deps.sh test installs gcc-multilib)")
			return
		}
		binDir, buildErr = os.MkdirTemp("", "rampart-record-test-")
		if buildErr != nil {
			return
		}
		os.Chmod(binDir, 0o755)
		nolibc := []string{"-static", "-nostdlib", "-ffreestanding", "-O2", "-fno-stack-protector"}
		for _, b := range []struct {
			name  string
			flags []string
		}{
			{"exit", nolibc},
			{"marker", nolibc},
			{"markerwait", nolibc},
			{"abi", nolibc},
			{"openroot", nolibc},
			{"relative", nolibc},
			{"i386", append([]string{"-m32"}, nolibc...)},
			{"bind80", []string{"-O2"}},
		} {
			args := append(append([]string{}, b.flags...), "-o", filepath.Join(binDir, b.name), filepath.Join("testdata", b.name+".c"))
			if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("gcc %s: %v\n%s", b.name, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		if strings.Contains(buildErr.Error(), "not found") {
			t.Skip(buildErr)
		}
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

func TestMain(m *testing.M) {
	// As rampart's main: a cache miss compiles the profile in this test
	// binary, re-executed as the seccomp compile helper.
	seccomp.HelperMain()
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func record(t *testing.T, recorder string, argv []string, opts Options) *Recording {
	t.Helper()
	opts.Recorder = recorder
	if opts.Stdout == nil {
		opts.Stdout = devNull(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rec, err := Run(ctx, argv, opts)
	if err != nil {
		t.Fatalf("%s: record %q: %v", recorder, argv, err)
	}
	if rec.Recorder != recorder {
		t.Fatalf("Recorder = %q, want %q", rec.Recorder, recorder)
	}
	return rec
}

func devNull(t *testing.T) *os.File {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "workload.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// A recording starts at CMD's execve: rampart's re-executed child runs
// the Go runtime's start-up (rt_sigaction, clone, mmap, ...), reads the
// sync pipe, closes it and calls execve before that. A program whose
// only call is exit must therefore record as exactly execve and exit; a
// single leaked setup call (read, close, rt_sigaction) fails this.
func TestSetupIsNotRecorded(t *testing.T) {
	needRoot(t)
	exit := bin(t, "exit")
	for _, r := range recorders {
		t.Run(r, func(t *testing.T) {
			rec := record(t, r, []string{exit}, Options{})
			want := map[string]map[string]uint64{ABIx86_64: {"execve": 1, "exit": 1}}
			if fmt.Sprint(rec.Syscalls) != fmt.Sprint(want) {
				t.Errorf("Syscalls = %v, want %v", rec.Syscalls, want)
			}
			if len(rec.Capabilities) != 0 || len(rec.Args) != 0 {
				t.Errorf("Capabilities = %v, Args = %v, want none", rec.Capabilities, rec.Args)
			}
			if !slices.Equal(rec.Exec, []string{exit}) {
				t.Errorf("Exec = %v, want [%s]", rec.Exec, exit)
			}
			if len(rec.Files) != 1 || rec.Files[0].Path != Generalise(exit) || rec.Files[0].Mode != "x" || rec.Files[0].Count != 1 {
				t.Errorf("Files = %+v, want %s executed once", rec.Files, exit)
			}
		})
	}
}

// The script's child (sh -c) and grandchild (marker, forked by that sh)
// are followed through fork and exec; marker's sched_yield and getcpu
// appear in no shell.
func TestFollowsTheProcessTree(t *testing.T) {
	needRoot(t)
	marker := bin(t, "marker")
	s := script(t, "cat /etc/hostname >/dev/null\nsh -c '"+marker+"; true'\n")
	for _, r := range recorders {
		t.Run(r, func(t *testing.T) {
			rec := record(t, r, []string{s}, Options{})
			for _, call := range []string{"sched_yield", "getcpu", "wait4", "execve"} {
				if rec.Syscalls[ABIx86_64][call] == 0 {
					t.Errorf("%s not recorded: %v", call, rec.Syscalls[ABIx86_64])
				}
			}
			if !slices.Contains(rec.Exec, marker) || !slices.ContainsFunc(rec.Exec, func(p string) bool { return strings.HasSuffix(p, "/cat") }) {
				t.Errorf("Exec = %v, want the script, cat and %s", rec.Exec, marker)
			}
			if rec.Exec[0] != s {
				t.Errorf("Exec[0] = %s, want the script %s", rec.Exec[0], s)
			}
		})
	}
}

// Each ABI is told apart: a 32-bit binary's calls and an int 0x80 from a
// 64-bit process are x86, a number with the x32 bit is x32 (recorded as
// asked, whether or not this kernel implements x32).
func TestABIs(t *testing.T) {
	needRoot(t)
	if err := features.HaveIA32(); err != nil {
		t.Skip(err) // both programs fault at their first i386 call
	}
	i386, abi := bin(t, "i386"), bin(t, "abi")
	for _, r := range recorders {
		t.Run(r, func(t *testing.T) {
			rec := record(t, r, []string{i386}, Options{})
			if got := fmt.Sprint(rec.Syscalls[ABIx86]); got != "map[exit:1 getpid:1]" {
				t.Errorf("i386 binary: x86 calls = %s, want map[exit:1 getpid:1] (all: %v)", got, rec.Syscalls)
			}
			rec = record(t, r, []string{abi}, Options{})
			want := fmt.Sprint(map[string]map[string]uint64{
				ABIx86_64: {"execve": 1, "getpid": 1, "exit": 1},
				ABIx86:    {"getpid": 1},
				ABIx32:    {"getpid": 1},
			})
			if got := fmt.Sprint(rec.Syscalls); got != want {
				t.Errorf("abi: Syscalls = %s, want %s", got, want)
			}
		})
	}
}

// socket's family and type are recorded with the type's flags as passed
// (SOCK_NONBLOCK; Python adds SOCK_CLOEXEC itself).
func TestSocketFamilyAndFlags(t *testing.T) {
	needRoot(t)
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	prog := "import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK).close()"
	for _, r := range recorders {
		t.Run(r, func(t *testing.T) {
			rec := record(t, r, []string{py, "-c", prog}, Options{})
			found := false
			for _, s := range rec.Sockets {
				if s.Syscall == "socket" && s.Family == "AF_INET" && s.Type == "SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC" {
					found = true
				}
			}
			if !found {
				t.Errorf("no AF_INET SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC socket in %+v", rec.Sockets)
			}
			var fam, typ bool
			for _, a := range rec.Args {
				fam = fam || a.Syscall == "socket" && a.Arg == 0 && a.Value == syscall.AF_INET
				typ = typ || a.Syscall == "socket" && a.Arg == 1 && a.Value == syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC
			}
			if !fam || !typ {
				t.Errorf("socket argument values missing (family %v, type %v): %+v", fam, typ, rec.Args)
			}
		})
	}
}

// Capability checks come with the kernel's verdict: binding port 80 as
// root is NET_BIND_SERVICE granted, as nobody denied.
func TestCapabilities(t *testing.T) {
	needRoot(t)
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
		if n, _ := strconv.Atoi(strings.TrimSpace(string(b))); n <= 80 {
			t.Skipf("net.ipv4.ip_unprivileged_port_start is %d: binding port 80 needs no capability here", n)
		}
	}
	bind80 := bin(t, "bind80")
	// The first recording reads the noise ranges from /proc/kallsyms and
	// keeps them; the others read them from this cache.
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	get := func(rec *Recording, c string) CapUse {
		for _, u := range rec.Capabilities {
			if u.Cap == c {
				return u
			}
		}
		return CapUse{}
	}
	rec := record(t, RecorderEBPF, []string{bind80}, Options{})
	if u := get(rec, "NET_BIND_SERVICE"); u.Granted == 0 {
		t.Errorf("root: NET_BIND_SERVICE = %+v, want granted (all: %+v)", u, rec.Capabilities)
	}
	// The memory-accounting probe's SYS_ADMIN checks are not uses.
	if u := get(rec, "SYS_ADMIN"); u.Granted+u.Denied > 0 {
		t.Errorf("SYS_ADMIN recorded for a program that binds a port: %+v", u)
	}
	rec = record(t, RecorderEBPF, []string{bind80}, Options{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}})
	if u := get(rec, "NET_BIND_SERVICE"); u.Denied == 0 || u.Granted != 0 {
		t.Errorf("nobody: NET_BIND_SERVICE = %+v, want denied only (all: %+v)", u, rec.Capabilities)
	}
	if rec.ExitCode != 1 {
		t.Errorf("nobody's bind: exit %d, want 1 (refused)", rec.ExitCode)
	}

	// Reading a net sysctl (as a Go server's net.Listen reads somaxconn)
	// makes the kernel ask for NET_ADMIN only to widen the file's mode
	// for a network administrator: not a use either.
	rec = record(t, RecorderEBPF, []string{"/bin/cat", "/proc/sys/net/core/somaxconn"}, Options{Stdout: devNull(t)})
	if u := get(rec, "NET_ADMIN"); u.Granted+u.Denied > 0 || rec.ExitCode != 0 {
		t.Errorf("NET_ADMIN recorded for reading somaxconn: %+v (exit %d)", u, rec.ExitCode)
	}

	rec = record(t, RecorderPtrace, []string{bind80}, Options{})
	if len(rec.Capabilities) != 0 || !slices.ContainsFunc(rec.Limits, func(l string) bool { return strings.HasPrefix(l, "capabilities are not recorded") }) {
		t.Errorf("ptrace: Capabilities = %v, Limits = %q: want none, and the limit stated", rec.Capabilities, rec.Limits)
	}
}

// Files: reads, writes and creates with their modes, /proc/self
// generalised, relative paths anchored at the cwd, repeats counted.
func TestFiles(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/etc/hostname"); err != nil {
		t.Skip("no /etc/hostname to read")
	}
	dir := t.TempDir()
	s := script(t, "cat /etc/hostname /proc/self/status >/dev/null\n"+
		"for i in 1 2 3 4 5; do cat /etc/hostname; done >/dev/null\n"+
		"echo x > "+dir+"/out.txt\ncd "+dir+" && cat out.txt >/dev/null && mv out.txt moved.txt\n")
	for _, r := range recorders {
		t.Run(r, func(t *testing.T) {
			rec := record(t, r, []string{s}, Options{})
			files := map[string]FileAccess{}
			for _, f := range rec.Files {
				files[f.Path] = f
			}
			real, _ := filepath.EvalSymlinks(dir) // AppArmor sees resolved paths
			for path, mode := range map[string]string{
				"/etc/hostname":                 "r",
				"/proc/@{pid}/status":           "r",
				Generalise(real + "/out.txt"):   "rwc", // created by >, read by cat (relative), renamed away
				Generalise(real + "/moved.txt"): "wc",
			} {
				f, ok := files[path]
				if !ok {
					t.Errorf("%s not recorded; files: %v", path, keys(files))
					continue
				}
				if f.Mode != mode {
					t.Errorf("%s: mode %q, want %q", path, f.Mode, mode)
				}
			}
			// Six opens by six processes: the eBPF recorder sends the
			// first and counts the rest in the kernel.
			if f := files["/etc/hostname"]; f.Count != 6 {
				t.Errorf("/etc/hostname opened %d times, want 6", f.Count)
			}
			if f := files["/proc/@{pid}/status"]; !slices.Contains(f.Raw, "/proc/self/status") {
				t.Errorf("/proc/@{pid}/status raw = %v, want /proc/self/status kept", f.Raw)
			}
			if f := files[Generalise(s)]; !strings.Contains(f.Mode, "x") {
				t.Errorf("the script %s: %+v, want x", s, f)
			}
		})
	}
}

// Relative paths are anchored where the call was made: against the cwd
// or the directory fd, by the kernel side for the eBPF recorder (here
// with the reader held until the process is gone, so /proc cannot help),
// by the stopped tracee's /proc entries for ptrace.
func TestRelativePaths(t *testing.T) {
	needRoot(t)
	relative := bin(t, "relative")
	for _, r := range recorders {
		t.Run(r, func(t *testing.T) {
			if r == RecorderEBPF {
				testHoldReader = true
				defer func() { testHoldReader = false }()
			}
			checkRelativeReads(t, record(t, r, []string{relative}, Options{}))
		})
	}
}

// checkRelativeReads holds a recording of the "relative" program to the
// two files it opens by relative path: each anchored where it was read.
func checkRelativeReads(t *testing.T, rec *Recording) {
	t.Helper()
	files := map[string]FileAccess{}
	for _, f := range rec.Files {
		files[f.Path] = f
	}
	env, _ := filepath.EvalSymlinks("/usr/bin/env")
	for _, p := range []string{"/etc/hostname", Generalise(env)} {
		if f := files[p]; f.Mode != "r" || f.Count != 1 {
			t.Errorf("%s: %+v, want read once; files %v, limits %q", p, f, keys(files), rec.Limits)
		}
	}
}

func keys(m map[string]FileAccess) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The two recorders see the same calls on the same workload.
func TestRecordersAgree(t *testing.T) {
	needRoot(t)
	marker := bin(t, "marker")
	s := script(t, "cat /etc/hostname /proc/self/status >/dev/null\nls / >/dev/null\n"+marker+"\n")
	names := func(rec *Recording) map[string][]string {
		out := map[string][]string{}
		for abi, m := range rec.Syscalls {
			for n := range m {
				out[abi] = append(out[abi], n)
			}
			slices.Sort(out[abi])
		}
		return out
	}
	e := record(t, RecorderEBPF, []string{s}, Options{})
	p := record(t, RecorderPtrace, []string{s}, Options{})
	if fmt.Sprint(names(e)) != fmt.Sprint(names(p)) {
		t.Errorf("syscalls differ:\n  ebpf   %v\n  ptrace %v", names(e), names(p))
	}
	if !slices.Equal(e.Exec, p.Exec) {
		t.Errorf("Exec differs:\n  ebpf   %v\n  ptrace %v", e.Exec, p.Exec)
	}
	ef, pf := map[string]string{}, map[string]string{}
	for _, f := range e.Files {
		ef[f.Path] = f.Mode
	}
	for _, f := range p.Files {
		pf[f.Path] = f.Mode
	}
	if fmt.Sprint(ef) != fmt.Sprint(pf) {
		t.Errorf("Files differ:\n  ebpf   %v\n  ptrace %v", ef, pf)
	}
}

// With a ring buffer of a few events and a reader held until CMD exits,
// most of openroot's 2000 opens (distinct spellings of "/", so the
// kernel side cannot merge them) cannot be sent: each one is either in
// Files or counted in the "lost" limit, exactly.
func TestLostEventsAreCounted(t *testing.T) {
	needRoot(t)
	openroot := bin(t, "openroot")
	testRingSize, testHoldReader = 16<<10, true
	defer func() { testRingSize, testHoldReader = 0, false }()
	rec := record(t, RecorderEBPF, []string{openroot}, Options{})
	var seen uint64
	for _, f := range rec.Files {
		if f.Path == "/" {
			seen = f.Count
		}
	}
	var lost uint64
	re := regexp.MustCompile(`^(\d+) file or exec event\(s\) were lost`)
	for _, l := range rec.Limits {
		if m := re.FindStringSubmatch(l); m != nil {
			lost, _ = strconv.ParseUint(m[1], 10, 64)
		}
	}
	if seen == 0 || lost == 0 || seen+lost != 2000 {
		t.Errorf("recorded %d + lost %d = %d opens of /, want 2000 with some of each; limits %q", seen, lost, seen+lost, rec.Limits)
	}
}

// CMD's stdio and exit status are its own, a signal's death is 128+N,
// and a command that does not exist never starts.
func TestExitStatusAndStdio(t *testing.T) {
	needRoot(t)
	for _, r := range recorders {
		t.Run(r, func(t *testing.T) {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			rec := record(t, r, []string{"sh", "-c", "echo hello; exit 7"}, Options{Stdout: pw})
			pw.Close()
			out, _ := io.ReadAll(pr)
			if string(out) != "hello\n" || rec.ExitCode != 7 {
				t.Errorf("stdout %q, exit %d; want \"hello\\n\", 7", out, rec.ExitCode)
			}
			rec = record(t, r, []string{"sh", "-c", "kill -TERM $$"}, Options{})
			if rec.ExitCode != 128+int(syscall.SIGTERM) {
				t.Errorf("killed by SIGTERM: exit %d, want %d", rec.ExitCode, 128+int(syscall.SIGTERM))
			}
			_, err = Run(context.Background(), []string{"/nonexistent/cmd"}, Options{Recorder: r})
			var ee *ExecError
			if !errors.As(err, &ee) || !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("missing command: %v, want an ExecError wrapping ErrNotExist", err)
			}
		})
	}
}

// Without the privilege to load BPF (as nobody), auto falls back to the
// ptrace recorder and says so; asking for ebpf fails with
// ErrNotSupported. Runs in a copy of this test binary as uid 65534.
func TestAutoFallsBackWithoutBPF(t *testing.T) {
	if os.Getenv("RAMPART_RECORD_TEST_NOBODY") == "1" {
		_, err := Run(context.Background(), []string{"/bin/true"}, Options{Recorder: RecorderEBPF})
		if !errors.Is(err, features.ErrNotSupported) {
			fmt.Println("ebpf as nobody:", err)
			os.Exit(3)
		}
		rec, err := Run(context.Background(), []string{"/bin/true"}, Options{})
		if err != nil || rec.Recorder != RecorderPtrace || !strings.HasPrefix(rec.Limits[0], "the eBPF recorder is not available") || !strings.HasSuffix(rec.Limits[0], "the ptrace recorder ran instead") {
			fmt.Println("auto as nobody:", err, rec)
			os.Exit(4)
		}
		os.Exit(0)
	}
	needRoot(t)
	bin(t, "exit") // the shared, world-readable directory
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copyBin := filepath.Join(binDir, "record.test")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyBin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(copyBin, "-test.run=^TestAutoFallsBackWithoutBPF$")
	cmd.Env = append(os.Environ(), "RAMPART_RECORD_TEST_NOBODY=1")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("as nobody: %v\n%s", err, out)
	}
}

// A process that outlives CMD (a daemon forking away) is recorded to its
// end with Wait, and named as a limit without; a signal or ctx ends the
// wait, and what still runs then is a limit too.
func TestWaitFollowsDescendants(t *testing.T) {
	needRoot(t)
	late := "(sleep 0.3; exec /bin/cat /etc/hostname) & exit 0"
	hasFile := func(rec *Recording, p string) bool {
		return slices.ContainsFunc(rec.Files, func(f FileAccess) bool { return f.Path == p })
	}
	hasLimit := func(rec *Recording, s string) bool {
		return slices.ContainsFunc(rec.Limits, func(l string) bool { return strings.Contains(l, s) })
	}
	for _, r := range recorders {
		t.Run(r, func(t *testing.T) {
			rec := record(t, r, []string{"/bin/sh", "-c", late}, Options{})
			if hasFile(rec, "/etc/hostname") || !hasLimit(rec, "descendant process(es) were still running when CMD exited") {
				t.Errorf("without Wait: files %v, limits %q", keysOf(rec), rec.Limits)
			}
			rec = record(t, r, []string{"/bin/sh", "-c", late}, Options{Wait: true})
			if !hasFile(rec, "/etc/hostname") || hasLimit(rec, "still running") || !slices.Contains(rec.Exec, "/bin/cat") {
				t.Errorf("with Wait: files %v, exec %v, limits %q", keysOf(rec), rec.Exec, rec.Limits)
			}
			// The context must outlast the recorder's set-up (loading
			// the eBPF programs takes over 300ms on a loaded machine),
			// so that it ends the wait, not CMD's start.
			const within = 2 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), within)
			defer cancel()
			start := time.Now()
			rec, err := Run(ctx, []string{"/bin/sh", "-c", "(exec /bin/sleep 30) & exit 0"}, Options{Recorder: r, Wait: true, Stdout: devNull(t)})
			if err != nil {
				t.Fatal(err)
			}
			if !hasLimit(rec, "descendant process(es) were still running when the wait for them was ended") {
				t.Errorf("a wait ended by ctx: limits %q", rec.Limits)
			}
			if d := time.Since(start); d > within+1200*time.Millisecond {
				t.Errorf("the wait ended %v after it was asked to (%v)", d, within)
			}
			// A context already ended records nothing and says so.
			if _, err := Run(ctx, []string{"/bin/true"}, Options{Recorder: r}); err == nil || !strings.Contains(err.Error(), "ended before CMD started") {
				t.Errorf("a recording with its context ended: %v", err)
			}
		})
	}
}

func keysOf(rec *Recording) []string {
	var out []string
	for _, f := range rec.Files {
		out = append(out, f.Path)
	}
	return out
}
