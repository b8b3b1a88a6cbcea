//go:build linux

package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
)

// The paths from a workload to the host (probe/paths_host.go). The kernel
// is the oracle: what each path should do here is read from this
// machine's sysctls and files, never assumed.
var hostPaths = []string{
	"ptrace-child", "process-vm-readv", "open-by-handle", "io-uring", "userfaultfd",
	"mknod-block", "core-pattern", "sysrq-trigger", "runtime-socket", "tiocsti",
}

func sysctlHere(key string) string {
	b, _ := os.ReadFile("/proc/sys/" + key)
	return strings.TrimSpace(string(b))
}

// writableByRoot: the file exists and root's open for writing passes DAC
// and the mount's read-only flag.
func writableByRoot(path string) bool {
	return unix.Faccessat(unix.AT_FDCWD, path, unix.W_OK, unix.AT_EACCESS) == nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// ptraceOpen: Yama (when built in) lets a process trace its own child
// unless ptrace_scope is 3 (or 2 without CAP_SYS_PTRACE).
func ptraceOpen(withSysPtrace bool) bool {
	switch sysctlHere("kernel/yama/ptrace_scope") {
	case "3":
		return false
	case "2":
		return withSysPtrace
	}
	return true
}

// tiocstiOpenWithout: TIOCSTI on one's own controlling terminal needs no
// capability while dev.tty.legacy_tiocsti=1 (or the sysctl is absent).
func tiocstiOpenWithoutSysAdmin() bool { return sysctlHere("dev/tty/legacy_tiocsti") != "0" }

// wantEvidence asserts a word in the evidence.
func wantEvidence(t *testing.T, res map[string]attack.Result, id, word string) {
	t.Helper()
	if r := res[id]; !strings.Contains(r.Evidence, word) {
		t.Errorf("%s: evidence %q does not mention %q", id, r.Evidence, word)
	}
}

// wantOpenIf asserts open when cond, else blocked by layer.
func wantOpenIf(t *testing.T, res map[string]attack.Result, id string, cond bool, otherwise string) {
	t.Helper()
	if cond {
		wantLayer(t, res, id, "", "")
	} else {
		wantLayer(t, res, id, otherwise, "")
	}
}

// leftovers is what these probes could leave behind: their temporary
// directories, a tracee child still alive, a changed core_pattern.
type leftovers struct{ corePattern, dirs, tracees string }

func takeLeftovers() leftovers {
	var l leftovers
	l.corePattern = sysctlHere("kernel/core_pattern")
	for _, dir := range []string{"/dev/shm", os.TempDir()} {
		m, _ := filepath.Glob(filepath.Join(dir, "rampart-probe-*"))
		l.dirs += strings.Join(m, "\n")
	}
	pids, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range pids {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), "RAMPART_PROBE_TRACEE=1") {
			l.tracees += p + "\n"
		}
	}
	return l
}

func (l leftovers) check(t *testing.T, before leftovers) {
	t.Helper()
	if l.corePattern != before.corePattern {
		t.Errorf("core_pattern changed: %q -> %q", before.corePattern, l.corePattern)
	}
	if l.dirs != before.dirs {
		t.Errorf("temporary directories left behind:\n%s", l.dirs)
	}
	if l.tracees != before.tracees {
		t.Errorf("tracee children still alive:\n%s", l.tracees)
	}
}

// Unconfined root: every path as this machine allows it, and nothing left
// behind.
func TestProbeHostUnconfinedRoot(t *testing.T) {
	needRoot(t)
	before := takeLeftovers()
	res, _ := probeUnder(t, nil, hostPaths...)
	takeLeftovers().check(t, before)

	wantOpenIf(t, res, "ptrace-child", ptraceOpen(true), attack.ByOther)
	wantOpenIf(t, res, "process-vm-readv", ptraceOpen(true), attack.ByOther)
	wantLayer(t, res, "open-by-handle", "", "")
	wantOpenIf(t, res, "io-uring", sysctlHere("kernel/io_uring_disabled") != "2", attack.ByOther)
	wantLayer(t, res, "userfaultfd", "", "")
	wantLayer(t, res, "mknod-block", "", "")
	wantOpenIf(t, res, "core-pattern", writableByRoot("/proc/sys/kernel/core_pattern"), attack.ByOther)
	// This kernel may lack CONFIG_MAGIC_SYSRQ: then the file is absent, a
	// closed path that no layer closed.
	if exists("/proc/sysrq-trigger") {
		wantOpenIf(t, res, "sysrq-trigger", writableByRoot("/proc/sysrq-trigger"), attack.ByOther)
	} else {
		wantLayer(t, res, "sysrq-trigger", attack.ByOther, "")
		wantEvidence(t, res, "sysrq-trigger", "does not exist")
	}
	var listening []string
	for _, p := range []string{"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock", "/run/crio/crio.sock", "/run/podman/podman.sock", "/var/run/cri-dockerd.sock", "/run/k3s/containerd/containerd.sock"} {
		if c, err := net.Dial("unix", p); err == nil {
			c.Close()
			listening = append(listening, p)
		}
	}
	if len(listening) > 0 {
		wantLayer(t, res, "runtime-socket", "", "")
	} else if !slices.ContainsFunc([]string{"/var/run/docker.sock", "/run/containerd/containerd.sock", "/run/crio/crio.sock", "/run/podman/podman.sock"}, exists) {
		wantLayer(t, res, "runtime-socket", attack.ByOther, "")
		wantEvidence(t, res, "runtime-socket", "no container runtime socket at")
	}
	// Full root has CAP_SYS_ADMIN, so only a 6.2-6.4 kernel with
	// legacy_tiocsti=0 (EIO even for CAP_SYS_ADMIN until 6.5) refuses.
	wantLayer(t, res, "tiocsti", "", "")
}

// Without any capability: the capability-checked paths close, and the
// others stay open, which is the point of showing them.
func TestProbeHostCapDropAll(t *testing.T) {
	needRoot(t)
	res, _ := probeUnder(t, []string{"--cap-drop", "ALL"}, hostPaths...)
	wantLayer(t, res, "open-by-handle", attack.ByCapabilities, "")
	wantEvidence(t, res, "open-by-handle", "CAP_DAC_READ_SEARCH")
	wantLayer(t, res, "mknod-block", attack.ByCapabilities, "")
	wantEvidence(t, res, "mknod-block", "CAP_MKNOD")
	// A process's own child needs no CAP_SYS_PTRACE.
	wantOpenIf(t, res, "ptrace-child", ptraceOpen(false), attack.ByOther)
	wantOpenIf(t, res, "process-vm-readv", ptraceOpen(false), attack.ByOther)
	// proc_sys_permission checks the euid, not a capability: root with an
	// empty capability set still opens core_pattern for writing.
	wantOpenIf(t, res, "core-pattern", writableByRoot("/proc/sys/kernel/core_pattern"), attack.ByOther)
	// On one's own controlling terminal TIOCSTI needs CAP_SYS_ADMIN only
	// when dev.tty.legacy_tiocsti=0 (then EIO, which no layer is credited
	// with: the sysctl decided).
	wantOpenIf(t, res, "tiocsti", tiocstiOpenWithoutSysAdmin(), attack.ByOther)
	wantLayer(t, res, "userfaultfd", "", "")
	wantOpenIf(t, res, "io-uring", sysctlHere("kernel/io_uring_disabled") == "0", attack.ByOther)
}

// Docker's and containerd's default profile: io_uring and userfaultfd are
// not in its allow list at all; open_by_handle_at is allowed only with
// CAP_DAC_READ_SEARCH; ptrace and process_vm_readv are allowed (kernel
// 4.8+); mknodat, ioctl, connect and openat are not filtered.
func TestProbeHostRuntimeDefault(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	before := takeLeftovers()
	res, _ := probeUnder(t, []string{"--cap-drop", "SYS_ADMIN", "--seccomp", "runtime-default"}, hostPaths...)
	takeLeftovers().check(t, before)
	// The canary (io_uring_setup with params NULL) means something only
	// where io_uring_allowed lets the process through: without
	// CAP_SYS_ADMIN, that is kernel.io_uring_disabled=0.
	if sysctlHere("kernel/io_uring_disabled") == "0" {
		wantLayer(t, res, "io-uring", attack.BySeccomp, "")
	} else {
		wantLayer(t, res, "io-uring", attack.ByOther, "")
	}
	wantLayer(t, res, "userfaultfd", attack.BySeccomp, "")
	wantLayer(t, res, "open-by-handle", "", "")
	wantOpenIf(t, res, "ptrace-child", ptraceOpen(true), attack.ByOther)
	wantOpenIf(t, res, "process-vm-readv", ptraceOpen(true), attack.ByOther)
	wantLayer(t, res, "mknod-block", "", "")
	wantOpenIf(t, res, "core-pattern", writableByRoot("/proc/sys/kernel/core_pattern"), attack.ByOther)
	wantOpenIf(t, res, "tiocsti", tiocstiOpenWithoutSysAdmin(), attack.ByOther)

	// Without CAP_DAC_READ_SEARCH the profile drops open_by_handle_at:
	// the canary (mount fd -1, EBADF before the capability check on 6.11+)
	// gets the filter's EPERM, so the filter decided; the kernel never
	// reached its capability check, so that is not a candidate.
	if !kernelAtLeast(6, 11) {
		t.Skip("open_by_handle_at checks the capability before the mount fd before 6.11: no canary")
	}
	res, _ = probeUnder(t, []string{"--cap-drop", "SYS_ADMIN,DAC_READ_SEARCH", "--seccomp", "runtime-default"}, "open-by-handle")
	wantLayer(t, res, "open-by-handle", attack.BySeccomp, "")
}

func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	unix.Uname(&u)
	var ma, mi int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &ma, &mi)
	return ma > major || ma == major && mi >= minor
}

// Each canary reaches the filter the way the real call does: a profile
// that refuses exactly these calls is credited, path by path, as seccomp.
func TestProbeHostCanariesReachTheFilter(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("the profile below lists x86 architectures")
	}
	names := `"ptrace","process_vm_readv","mknodat","mknod","userfaultfd","io_uring_setup"`
	ids := []string{"ptrace-child", "process-vm-readv", "mknod-block", "userfaultfd", "io-uring", "core-pattern"}
	if kernelAtLeast(6, 11) {
		names += `,"open_by_handle_at"`
		ids = append(ids, "open-by-handle")
	}
	// openat and open for writing only (O_ACCMODE == O_WRONLY), and
	// openat2, whose flags a filter cannot read: every way the probe opens
	// core_pattern (io_uring_setup is refused above). core-pattern's
	// canary keeps O_WRONLY and adds a bit the kernel rejects.
	prof := writeProfile(t, `{"names":[`+names+`,"openat2"],"action":"SCMP_ACT_ERRNO"},
		{"names":["openat"],"action":"SCMP_ACT_ERRNO","args":[{"index":2,"value":3,"valueTwo":1,"op":"SCMP_CMP_MASKED_EQ"}]},
		{"names":["open"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":3,"valueTwo":1,"op":"SCMP_CMP_MASKED_EQ"}]}`)
	res, _ := probeUnder(t, []string{"--seccomp", prof}, ids...)
	for _, id := range ids {
		if id == "io-uring" && sysctlHere("kernel/io_uring_disabled") == "2" {
			continue
		}
		wantLayer(t, res, id, attack.BySeccomp, "")
	}
}

// writeProfile writes an OCI seccomp profile that allows everything but
// the given rules.
func writeProfile(t *testing.T, rules string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.json")
	doc := `{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[` + rules + `]}`
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A filter that compares the full 64-bit ioctl command misses TIOCSTI
// with the upper 32 bits set, which the kernel truncates to TIOCSTI
// (CVE-2019-10063); a masked comparison catches both.
func TestProbeHostTIOCSTIUpperBits(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("TIOCSTI is 0x5412 on x86")
	}
	exact := writeProfile(t, `{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":21522,"op":"SCMP_CMP_EQ"}]}`)
	res, _ := probeUnder(t, []string{"--seccomp", exact}, "tiocsti")
	wantLayer(t, res, "tiocsti", "", "")
	wantEvidence(t, res, "tiocsti", "CVE-2019-10063")

	masked := writeProfile(t, `{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":4294967295,"valueTwo":21522,"op":"SCMP_CMP_MASKED_EQ"}]}`)
	res, _ = probeUnder(t, []string{"--seccomp", masked}, "tiocsti")
	wantLayer(t, res, "tiocsti", attack.BySeccomp, "")
}

// Landlock mediates files in /proc like any other: a write-deny on the
// two files closes both paths, credited to Landlock because faccessat
// says permission bits and capabilities allow the write. The launcher
// accepts a deny for a /proc file that does not exist (no
// CONFIG_MAGIC_SYSRQ): it says so and denies it should it appear.
func TestProbeHostLandlockProcFiles(t *testing.T) {
	needRoot(t)
	if !writableByRoot("/proc/sys/kernel/core_pattern") {
		t.Skip("/proc/sys is read-only here: the mount closes the path before Landlock")
	}
	flags := []string{"--deny-write", "/proc/sys/kernel/core_pattern", "--deny-write", "/proc/sysrq-trigger"}
	res, _ := probeUnder(t, flags, hostPaths...)
	wantLayer(t, res, "core-pattern", attack.ByLSM, "Landlock")
	if exists("/proc/sysrq-trigger") {
		wantLayer(t, res, "sysrq-trigger", attack.ByLSM, "Landlock")
	} else {
		wantLayer(t, res, "sysrq-trigger", attack.ByOther, "")
		wantEvidence(t, res, "sysrq-trigger", "does not exist")
	}
	// The deny is narrow: the neighbours stay as they were, except that
	// no device node can be made under a deny rule (a new node of the
	// disk would be a route around it).
	wantLayer(t, res, "mknod-block", attack.ByLSM, "Landlock")
	wantLayer(t, res, "open-by-handle", "", "")
	wantLayer(t, res, "tiocsti", "", "")
}

// A non-root workload: the /proc files are closed by their permission
// bits (no layer's doing), the capability-checked paths by capabilities,
// and its own child stays traceable.
func TestProbeHostNonRoot(t *testing.T) {
	needRoot(t)
	res, _ := probeUnder(t, []string{"--user", "65534"}, hostPaths...)
	wantLayer(t, res, "core-pattern", attack.ByOther, "")
	wantLayer(t, res, "sysrq-trigger", attack.ByOther, "")
	if exists("/proc/sys/kernel/core_pattern") && writableByRoot("/proc/sys/kernel/core_pattern") {
		wantEvidence(t, res, "core-pattern", "file permissions deny uid 65534")
	}
	wantLayer(t, res, "open-by-handle", attack.ByCapabilities, "")
	wantLayer(t, res, "mknod-block", attack.ByCapabilities, "")
	wantOpenIf(t, res, "ptrace-child", ptraceOpen(false), attack.ByOther)
	wantOpenIf(t, res, "process-vm-readv", ptraceOpen(false), attack.ByOther)
	wantOpenIf(t, res, "tiocsti", tiocstiOpenWithoutSysAdmin(), attack.ByOther)
}

// The runtime-socket path against a real listening socket, without
// touching the host's /run: the probe runs in a private mount namespace
// where a temporary directory is bind-mounted over /run.
func TestProbeHostRuntimeSocket(t *testing.T) {
	needRoot(t)
	for _, bin := range []string{"unshare", "mount", "sh"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s (util-linux) is needed to give the probe a private /run: %v", bin, err)
		}
	}
	run, err := os.MkdirTemp("", "rampart-run-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	os.Chmod(run, 0o755)
	os.Mkdir(filepath.Join(run, "crio"), 0o755)
	os.Mkdir(filepath.Join(run, "podman"), 0o755)
	crio := filepath.Join(run, "crio", "crio.sock")
	l, err := net.Listen("unix", crio)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.Chmod(crio, 0o660)

	res := probeWithRun(t, run, nil, "runtime-socket")
	wantLayer(t, res, "runtime-socket", "", "")
	wantEvidence(t, res, "runtime-socket", "/run/crio/crio.sock")

	// The socket's mode keeps uid 65534 out; faccessat agrees, so it is
	// the permission bits, no layer.
	res = probeWithRun(t, run, []string{"--user", "65534"}, "runtime-socket")
	wantLayer(t, res, "runtime-socket", attack.ByOther, "")
	wantEvidence(t, res, "runtime-socket", "file permissions deny uid 65534")

	// A stale socket file (bound, nobody listening) is no runtime.
	l.Close()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: filepath.Join(run, "podman", "podman.sock")}); err != nil {
		t.Fatal(err)
	}
	res = probeWithRun(t, run, nil, "runtime-socket")
	wantLayer(t, res, "runtime-socket", attack.ByOther, "")
	wantEvidence(t, res, "runtime-socket", "nothing listens on /run/podman/podman.sock")
}

// probeWithRun runs `rampart [run FLAGS --] rampart probe` in a private
// mount namespace whose /run is the directory run.
func probeWithRun(t *testing.T, run string, flags []string, ids ...string) map[string]attack.Result {
	t.Helper()
	self := os.Args[0]
	if slices.Contains(flags, "--user") {
		self = selfForEveryone(t)
	}
	args := []string{self, "probe", "-o", "json", "--only", strings.Join(ids, ",")}
	if flags != nil {
		args = append([]string{os.Args[0]}, argv(flags, args)...)
	}
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", `mount --bind "$0" /run && exec "$@"`, run}, args...)...)
	cmd.Env = append(os.Environ(), asRampart+"=1")
	out, err := cmd.Output()
	res, _ := decodeProbe(t, "in a private /run", out, err)
	return res
}
