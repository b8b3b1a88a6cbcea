//go:build linux

package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
)

// hostDigest captures what a probe must never change: every file under
// /etc (content, mode, owner), the mount table, the sysctls the probes
// touch or read, the loaded modules, the cgroup hierarchies, leftovers in
// /dev/shm, and the wall clock's offset from the monotonic clock.
type hostDigest struct {
	files, mounts, sysctls, modules, cgroups, shm string
	clockOffset                                   time.Duration
}

func digestTree(root string) string {
	h := sha256.New()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fmt.Fprintf(h, "%s err %v\n", p, err)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		st, _ := info.Sys().(*unix.Stat_t)
		if st != nil {
			fmt.Fprintf(h, "%s %o %d:%d %d\n", p, st.Mode, st.Uid, st.Gid, info.Size())
		}
		if info.Mode().IsRegular() {
			if f, err := os.Open(p); err == nil {
				io.Copy(h, io.LimitReader(f, 1<<20))
				f.Close()
			}
		}
		return nil
	})
	return fmt.Sprintf("%x", h.Sum(nil))
}

func readAll(paths ...string) string {
	var b strings.Builder
	for _, p := range paths {
		c, err := os.ReadFile(p)
		fmt.Fprintf(&b, "== %s %v\n%s", p, err, c)
	}
	return b.String()
}

// cgroupHierarchies lists the hierarchies (controllers and named ones,
// from pid 1's membership) without the cgroup counts, which other tests'
// containers change concurrently.
func cgroupHierarchies() string {
	var out []string
	b, err := os.ReadFile("/proc/1/cgroup")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.SplitN(l, ":", 3); len(f) == 3 {
			out = append(out, f[0]+":"+f[1])
		}
	}
	return fmt.Sprintf("%v %v", err, out)
}

func clockOffset() time.Duration {
	var rt, mono unix.Timespec
	unix.ClockGettime(unix.CLOCK_REALTIME, &rt)
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	return time.Duration(rt.Nano() - mono.Nano())
}

// lateVariants are the ways in, named as the evidence names them, that
// the probe reaches only when a filter refuses the usual ones.
var lateVariants = []string{"fsopen", "io_uring OPENAT", "io_uring SOCKET", "request_key", "finit_module", "bit 32", "perf_event_open(0)", "setns(", "open_by_handle_at", "SOCK_PACKET", "i386 socketcall"}

// sameHost fails the test for every part of the host that differs
// between the two digests.
func sameHost(t *testing.T, before, after hostDigest) {
	t.Helper()
	for _, c := range []struct{ what, a, b string }{
		{"files under /etc", before.files, after.files},
		{"mount table", before.mounts, after.mounts},
		{"sysctls", before.sysctls, after.sysctls},
		{"loaded modules", before.modules, after.modules},
		{"cgroup hierarchies", before.cgroups, after.cgroups},
		{"/dev/shm entries", before.shm, after.shm},
	} {
		if c.a != c.b {
			t.Errorf("%s changed:\nbefore:\n%s\nafter:\n%s", c.what, c.a, c.b)
		}
	}
	// A settimeofday that set the clock would move the offset by far more
	// than the scheduling noise between two readings.
	if d := after.clockOffset - before.clockOffset; d > 50*time.Millisecond || d < -50*time.Millisecond {
		t.Errorf("the wall clock moved by %v relative to the monotonic clock", d)
	}
}

func takeDigest() hostDigest {
	var sysctls []string
	for _, k := range []string{
		"kernel/core_pattern", "kernel/modules_disabled", "kernel/kexec_load_disabled",
		"kernel/perf_event_paranoid", "kernel/unprivileged_bpf_disabled",
		"kernel/unprivileged_userns_clone", "user/max_user_namespaces",
		"vm/unprivileged_userfaultfd", "kernel/yama/ptrace_scope",
		"kernel/io_uring_disabled", "dev/tty/legacy_tiocsti", "kernel/sysrq",
		"kernel/hostname", "kernel/panic_on_oops",
	} {
		sysctls = append(sysctls, "/proc/sys/"+k)
	}
	shm, _ := os.ReadDir("/dev/shm")
	var shmNames []string
	for _, e := range shm {
		shmNames = append(shmNames, e.Name())
	}
	sort.Strings(shmNames)
	return hostDigest{
		files:       digestTree("/etc"),
		mounts:      readAll("/proc/1/mountinfo", "/proc/self/mountinfo"),
		sysctls:     readAll(sysctls...),
		modules:     readAll("/proc/modules"),
		cgroups:     cgroupHierarchies(),
		shm:         strings.Join(shmNames, "\n"),
		clockOffset: clockOffset(),
	}
}

// The whole catalog, unconfined as full root, leaves the host as it was.
func TestProbeCatalogLeavesHostUnchanged(t *testing.T) {
	needRoot(t)
	before := takeDigest()
	r := rampart(t, "", "probe", "-o", "json")
	if r.code != 0 {
		t.Fatalf("probe: exit %d: %s", r.code, r.stderr)
	}
	after := takeDigest()
	sameHost(t, before, after)
	if n := len(attack.Catalog()); n < 24 {
		t.Errorf("the catalog has %d paths, want at least 24", n)
	}
	if strings.Contains(r.stdout, "root:") {
		t.Error("probe output contains what looks like /etc/shadow content")
	}
}

// reachLateVariants refuses the first ways the catalog tries (mount(2),
// the probe's own openat and open flags, openat2, raw and packet socket
// calls, keyctl, add_key, init_module, bpf's plain command, perf's
// O_CLOEXEC flag, every way to make a user namespace), so that the
// variants tried after them run: the new mount API, io_uring's OPENAT
// and SOCKET, request_key, finit_module, bpf's command with bit 32 set,
// perf without flags, setns into an existing user namespace. With
// io_uring_setup refused as well, the file handle runs, and so do the
// i386 socket calls (which fault in their child where the kernel runs
// no i386 code).
const reachLateVariants = `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
	{"names": ["mount", "openat2", "keyctl", "add_key", "init_module"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
	{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 2, "value": 256, "valueTwo": 256, "op": "SCMP_CMP_MASKED_EQ"}]},
	{"names": ["open"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 1, "value": 256, "valueTwo": 256, "op": "SCMP_CMP_MASKED_EQ"}]},
	{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 17, "op": "SCMP_CMP_EQ"}]},
	{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 1, "value": 15, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}]},
	{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 1, "value": 15, "valueTwo": 10, "op": "SCMP_CMP_MASKED_EQ"}]},
	{"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}]},
	{"names": ["perf_event_open"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 4, "value": 8, "op": "SCMP_CMP_EQ"}]},
	{"names": ["unshare", "clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]},
	{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}%s
]}`

// Every variant leaves the host as it was: the whole catalog under
// profiles that refuse the first ways in, with every capability (the
// variants run for real) and with none (the filter is asked about their
// refusals), next to a user namespace to join.
func TestProbeVariantsLeaveHostUnchanged(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("unshare (Debian util-linux; `make test` installs it): %v", err)
	}
	holder := exec.Command(unshare, "--user", "sleep", "120")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	waitOtherUserNS(t, holder.Process.Pid)

	late := privProfile(t, fmt.Sprintf(reachLateVariants, ""))
	handle := filepath.Join(t.TempDir(), "handle.json")
	if err := os.WriteFile(handle, []byte(fmt.Sprintf(reachLateVariants, `,
	{"names": ["io_uring_setup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}`)), 0o644); err != nil {
		t.Fatal(err)
	}
	before := takeDigest()
	reached := map[string]bool{}
	for _, prof := range []string{late, handle} {
		for _, drop := range []string{"", "ALL"} {
			flags := []string{"--seccomp", prof}
			if drop != "" {
				flags = append(flags, "--cap-drop", drop)
			}
			res, _ := probeUnder(t, flags)
			for _, r := range res {
				for _, v := range lateVariants {
					if strings.Contains(r.Step, v) || strings.Contains(r.Evidence, v) {
						reached[v] = true
					}
				}
			}
		}
	}
	after := takeDigest()
	sameHost(t, before, after)
	// The profiles did reach the late variants (the evidence names them).
	for _, v := range lateVariants {
		if !reached[v] {
			t.Errorf("no result names %s: the variant was not reached", v)
		}
	}
}
