//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
)

// The privileged paths (probe/paths_privileged.go).
var privilegedPaths = []string{
	"packet-socket", "mount-tmpfs", "cgroup-mount", "setns-host", "chroot", "pivot-root", "reboot",
	"set-clock", "kernel-module", "bpf-load", "perf-event-open", "setuid-root", "personality", "keyctl",
}

// privHostFacts are what this kernel and host decide outside the three
// layers; the expectations follow them, read from the kernel itself.
type privHostFacts struct {
	// modules: the kernel loads modules (CONFIG_MODULES gives /proc/modules).
	modules bool
	// pid1NS: root with every capability may open /proc/1/ns/net. Some
	// hosts protect their pid 1 with an LSM (this one's sandbox does).
	pid1NS bool
	// bpfUnprivDisabled: kernel.unprivileged_bpf_disabled is not 0, so a
	// socket filter needs CAP_BPF.
	bpfUnprivDisabled bool
	// perfNeedsCap: kernel.perf_event_paranoid is 3 or more (a Debian and
	// Ubuntu patch), so even counting one's own user space needs a capability.
	perfNeedsCap bool
}

func privReadHostFacts(t *testing.T) privHostFacts {
	t.Helper()
	var f privHostFacts
	_, err := os.Stat("/proc/modules")
	f.modules = err == nil
	if fd, err := unix.Open("/proc/1/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		unix.Close(fd)
		f.pid1NS = true
	}
	f.bpfUnprivDisabled = privSysctl(t, "kernel/unprivileged_bpf_disabled") != 0
	f.perfNeedsCap = privSysctl(t, "kernel/perf_event_paranoid") >= 3
	return f
}

func privSysctl(t *testing.T, name string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/" + name)
	if err != nil {
		t.Fatalf("sysctl %s: %v", name, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("sysctl %s: %v", name, err)
	}
	return n
}

// privProbeInPidNS is probeUnder with the probe as pid 1 of a new pid
// namespace (unshare -pf --mount-proc; rampart run execs in place), so
// /proc/1/ns/net is its own and setns-host reaches its setns step on any
// host, also where the host's pid 1 is protected.
func privProbeInPidNS(t *testing.T, flags []string, ids ...string) map[string]attack.Result {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("unshare (Debian util-linux; `make test` installs it): %v", err)
	}
	probeArgs := []string{os.Args[0], "probe", "-o", "json", "--only", strings.Join(ids, ",")}
	args := []string{"-pf", "--mount-proc"}
	if flags == nil {
		args = append(args, probeArgs...)
	} else {
		args = append(append(args, os.Args[0]), argv(flags, probeArgs)...)
	}
	cmd := exec.Command(unshare, args...)
	cmd.Env = append(os.Environ(), asRampart+"=1")
	out, err := cmd.Output()
	res, rep := decodeProbe(t, fmt.Sprintf("in a pid namespace under %v", flags), out, err)
	if rep.State.Namespaces["pid"] != "private" {
		t.Fatalf("the probe did not run in a private pid namespace: %v", rep.State.Namespaces)
	}
	return res
}

// privWantAmbiguous asserts a refusal that the evidence cannot pin on one
// layer: the first in kernel order, and all of them listed.
func privWantAmbiguous(t *testing.T, res map[string]attack.Result, id string, layers ...string) {
	t.Helper()
	r, ok := res[id]
	if !ok {
		t.Fatalf("%s: no result", id)
	}
	if r.Verdict != attack.Blocked || r.Layer != layers[0] || !slices.Equal(r.Ambiguous, layers) {
		t.Errorf("%s: %s by %s, ambiguous %v (%s: %s), want blocked, ambiguous %v", id, r.Verdict, r.Layer, r.Ambiguous, r.Errno, r.Evidence, layers)
	}
}

func privWantEvidence(t *testing.T, res map[string]attack.Result, id, substr string) {
	t.Helper()
	if r := res[id]; !strings.Contains(r.Evidence, substr) {
		t.Errorf("%s: evidence %q lacks %q", id, r.Evidence, substr)
	}
}

// privProfile writes an OCI seccomp profile for one test.
func privProfile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// privIf keeps the host-dependent expectations on one line each.
func privIf(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// Full root, no layer: every path is open, and the ones that fail on
// their arguments on purpose say they got past the capability check.
func TestProbePrivilegedUnconfinedRoot(t *testing.T) {
	needRoot(t)
	h := privReadHostFacts(t)
	res, _ := probeUnder(t, nil, privilegedPaths...)
	for _, id := range privilegedPaths {
		switch id {
		case "kernel-module":
			// A kernel without CONFIG_MODULES has no init_module (ENOSYS):
			// closed, by no layer.
			wantLayer(t, res, id, privIf(h.modules, "", attack.ByOther), "")
		case "setns-host":
			// Where the host's LSM hides pid 1's namespaces even from full
			// root, the open fails with EACCES: no layer of ours.
			wantLayer(t, res, id, privIf(h.pid1NS, "", attack.ByOther), "")
		default:
			wantLayer(t, res, id, "", "")
		}
	}
	privWantEvidence(t, res, "pivot-root", "ENOENT after the CAP_SYS_ADMIN check")
	privWantEvidence(t, res, "reboot", "EINVAL after the CAP_SYS_BOOT check")
	privWantEvidence(t, res, "setuid-root", "already uid 0")
	if h.modules {
		privWantEvidence(t, res, "kernel-module", "after the CAP_SYS_MODULE check")
	}
	if !h.pid1NS {
		privWantEvidence(t, res, "setns-host", "although CapEff holds CAP_SYS_PTRACE")
	}

	// As pid 1 of its own pid namespace, setns-host reaches setns.
	res = privProbeInPidNS(t, nil, "setns-host")
	wantLayer(t, res, "setns-host", "", "")
	privWantEvidence(t, res, "setns-host", "this pid namespace's init")
}

// Without capabilities, every path the kernel guards with one is closed
// by the capabilities layer; the others stay open.
func TestProbePrivilegedCapDropAll(t *testing.T) {
	needRoot(t)
	h := privReadHostFacts(t)
	res, _ := probeUnder(t, []string{"--cap-drop", "ALL"}, privilegedPaths...)
	for _, id := range []string{"packet-socket", "mount-tmpfs", "cgroup-mount", "chroot", "pivot-root", "reboot", "set-clock"} {
		wantLayer(t, res, id, attack.ByCapabilities, "")
	}
	// Opening /proc/1/ns/net needs CAP_SYS_PTRACE: pid 1's permitted set is
	// no longer a subset of ours (cap_ptrace_access_check).
	wantLayer(t, res, "setns-host", attack.ByCapabilities, "")
	wantLayer(t, res, "kernel-module", privIf(h.modules, attack.ByCapabilities, attack.ByOther), "")
	// At kernel.unprivileged_bpf_disabled=0 anyone loads a socket filter.
	wantLayer(t, res, "bpf-load", privIf(h.bpfUnprivDisabled, attack.ByCapabilities, ""), "")
	// Counting one's own user space needs no capability at paranoid <= 2.
	wantLayer(t, res, "perf-event-open", privIf(h.perfNeedsCap, attack.ByCapabilities, ""), "")
	// uid 0 without capabilities is still uid 0: nothing left to gain.
	wantLayer(t, res, "setuid-root", "", "")
	// No capability is checked on these.
	wantLayer(t, res, "personality", "", "")
	wantLayer(t, res, "keyctl", "", "")

	// setns itself (not the open) refused for CAP_SYS_ADMIN.
	res = privProbeInPidNS(t, []string{"--cap-drop", "ALL"}, "setns-host")
	wantLayer(t, res, "setns-host", attack.ByCapabilities, "")
	if r := res["setns-host"]; !strings.HasPrefix(r.Step, "setns(") {
		t.Errorf("setns-host: refused at %q, want the setns step", r.Step)
	}

	// A non-root uid: setuid(0) needs CAP_SETUID.
	res, _ = probeUnder(t, []string{"--user", "65534"}, "setuid-root", "chroot")
	wantLayer(t, res, "setuid-root", attack.ByCapabilities, "")
	wantLayer(t, res, "chroot", attack.ByCapabilities, "")
}

// Docker's default profile, resolved without SYS_ADMIN. The profile
// allows a privileged call when the bounding set keeps the capability it
// needs (CAP_SYS_BOOT: reboot, CAP_SYS_TIME: settimeofday, CAP_SYS_MODULE:
// init_module, CAP_BPF: bpf, CAP_PERFMON: perf_event_open, CAP_SYS_CHROOT:
// chroot), and dropping only SYS_ADMIN keeps those: the workload, being
// root with them, really can reboot, set the clock and load BPF, and the
// probe says so.
func TestProbePrivilegedRuntimeDefaultWithoutSysAdmin(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	h := privReadHostFacts(t)
	res, _ := probeUnder(t, []string{"--cap-drop", "SYS_ADMIN", "--seccomp", "runtime-default"}, privilegedPaths...)
	for _, id := range []string{"packet-socket", "chroot", "reboot", "set-clock", "bpf-load", "perf-event-open", "setuid-root"} {
		wantLayer(t, res, id, "", "")
	}
	// init_module is allowed (CAP_SYS_MODULE kept): the kernel answers.
	wantLayer(t, res, "kernel-module", privIf(h.modules, "", attack.ByOther), "")
	// keyctl and personality(READ_IMPLIES_EXEC) have no rule at all, and no
	// capability explains them: the canaries prove the filter.
	wantLayer(t, res, "keyctl", attack.BySeccomp, "")
	wantLayer(t, res, "personality", attack.BySeccomp, "")
	if !h.pid1NS {
		// The open of /proc/1/ns/net fails first, outside the layers.
		wantLayer(t, res, "setns-host", attack.ByOther, "")
	}

	// Full root under the same profile: mount, unshare and setns are
	// allowed with SYS_ADMIN, pivot_root never is. Holding CAP_SYS_ADMIN,
	// the kernel would have answered ENOENT: the call is its own canary.
	res, _ = probeUnder(t, []string{"--seccomp", "runtime-default"}, "mount-tmpfs", "cgroup-mount", "pivot-root", "keyctl", "personality")
	wantLayer(t, res, "mount-tmpfs", "", "")
	wantLayer(t, res, "cgroup-mount", "", "")
	wantLayer(t, res, "pivot-root", attack.BySeccomp, "")
	wantLayer(t, res, "keyctl", attack.BySeccomp, "")
	wantLayer(t, res, "personality", attack.BySeccomp, "")
}

// The seccomp filter decides at syscall entry, before any capability is
// checked: where it refuses a call whose capability is also missing, the
// answer is seccomp alone when a canary proves the filter, and ambiguous
// where no canary can exist (the kernel's first check is the capability).
//
// These assertions need two changes to attack/attribute.go (see the
// report that came with probe/paths_privileged.go): a canary's proof is
// not ambiguous with the capability check, and a path without a canary
// under a filter cannot exclude seccomp.
func TestProbePrivilegedFilterDecidesFirst(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	h := privReadHostFacts(t)
	noAdmin := []string{"--cap-drop", "SYS_ADMIN", "--seccomp", "runtime-default"}
	res, _ := probeUnder(t, noAdmin, "mount-tmpfs", "cgroup-mount", "pivot-root")
	// unshare (the first step) has no rule without SYS_ADMIN; its canary
	// (an unknown flag bit, EINVAL) gets EPERM too.
	wantLayer(t, res, "mount-tmpfs", attack.BySeccomp, "")
	wantLayer(t, res, "cgroup-mount", attack.BySeccomp, "")
	// pivot_root has no rule even with SYS_ADMIN. Without the capability
	// no canary can show whether the filter or may_mount refused, but the
	// filter itself can be asked (a net of the probe's own answering
	// SECCOMP_RET_TRACE): it refuses.
	wantLayer(t, res, "pivot-root", attack.BySeccomp, "")
	privWantEvidence(t, res, "pivot-root", "asked about the same call without running it")
	res = privProbeInPidNS(t, noAdmin, "setns-host")
	wantLayer(t, res, "setns-host", attack.BySeccomp, "")

	// Everything dropped: the profile keeps none of the capability-gated
	// rules, so the filter refuses these before their capability checks.
	res, _ = probeUnder(t, []string{"--cap-drop", "ALL", "--seccomp", "runtime-default"}, privilegedPaths...)
	for _, id := range []string{"mount-tmpfs", "cgroup-mount", "chroot", "bpf-load", "perf-event-open", "keyctl", "personality"} {
		wantLayer(t, res, id, attack.BySeccomp, "")
	}
	// But the profile allows adjtimex and clock_adjtime to everyone (they
	// read the clock too): they reach CAP_SYS_TIME, which closes the path.
	wantLayer(t, res, "set-clock", attack.ByCapabilities, "")
	if r := res["set-clock"]; !strings.HasPrefix(r.Step, "adjtimex(") || !strings.Contains(r.Step, "refused by the filter: settimeofday") {
		t.Errorf("set-clock: step %q, want adjtimex after the filter refused settimeofday", r.Step)
	}
	for _, id := range []string{"pivot-root", "reboot"} {
		wantLayer(t, res, id, attack.BySeccomp, "")
	}
	if h.modules {
		wantLayer(t, res, "kernel-module", attack.BySeccomp, "")
	}
	// Where the filter cannot be asked (it refuses seccomp(2), so the
	// probe's net cannot be loaded), nothing can tell the two apart.
	noAsk := privProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["pivot_root", "reboot", "seccomp"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`)
	unasked, _ := probeUnder(t, []string{"--cap-drop", "ALL", "--seccomp", noAsk}, "pivot-root", "reboot")
	for _, id := range []string{"pivot-root", "reboot"} {
		privWantAmbiguous(t, unasked, id, attack.BySeccomp, attack.ByCapabilities)
	}
	// AF_PACKET sockets are allowed by the profile: the canary passes the
	// filter and the kernel's EINVAL shows it, so capabilities alone.
	wantLayer(t, res, "packet-socket", attack.ByCapabilities, "")
	wantLayer(t, res, "setuid-root", "", "")

	// A filter that denies every setuid, for a non-root uid.
	deny := privProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["setuid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`)
	res, _ = probeUnder(t, []string{"--user", "65534", "--seccomp", deny}, "setuid-root")
	wantLayer(t, res, "setuid-root", attack.BySeccomp, "")
}

// Canaries, checked through the attribution they drive: under a filter
// that allows everything they must get the kernel's own errno (the
// capability layer is credited), and under a filter that refuses exactly
// the probed calls they must get the filter's (seccomp is credited,
// whatever the capabilities).
func TestProbePrivilegedCanaries(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	h := privReadHostFacts(t)
	allowAll := privProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW"}`)
	res, _ := probeUnder(t, []string{"--cap-drop", "ALL", "--seccomp", allowAll}, privilegedPaths...)
	for _, id := range []string{"packet-socket", "mount-tmpfs", "cgroup-mount", "setns-host", "chroot", "set-clock"} {
		wantLayer(t, res, id, attack.ByCapabilities, "")
	}
	wantLayer(t, res, "bpf-load", privIf(h.bpfUnprivDisabled, attack.ByCapabilities, ""), "")
	wantLayer(t, res, "perf-event-open", privIf(h.perfNeedsCap, attack.ByCapabilities, ""), "")
	wantLayer(t, res, "personality", "", "")
	wantLayer(t, res, "keyctl", "", "")
	res, _ = probeUnder(t, []string{"--user", "65534", "--seccomp", allowAll}, "setuid-root")
	wantLayer(t, res, "setuid-root", attack.ByCapabilities, "")

	// Every probed call refused with EPERM, all capabilities held: seccomp
	// for each, through a canary, or for pivot_root, reboot and
	// init_module (no canary possible) because holding the capability the
	// kernel would have answered otherwise. In a pid namespace, so that
	// setns-host reaches setns. Every variant the probe tries is refused:
	// the new mount API beside mount(2), (AF_INET, SOCK_PACKET) and
	// io_uring's SOCKET beside socket(AF_PACKET), finit_module, add_key
	// and request_key.
	denyMine := privProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		 "args": [{"index": 0, "value": 17, "op": "SCMP_CMP_EQ"}]},
		{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		 "args": [{"index": 1, "value": 15, "valueTwo": 10, "op": "SCMP_CMP_MASKED_EQ"}]},
		{"names": ["mount", "fsopen", "fsconfig", "fsmount", "setns", "chroot", "pivot_root", "reboot", "settimeofday", "adjtimex", "clock_adjtime",
		           "clock_settime", "init_module", "finit_module", "bpf", "perf_event_open", "personality", "keyctl", "add_key", "request_key", "io_uring_setup"],
		 "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`)
	res = privProbeInPidNS(t, []string{"--seccomp", denyMine}, privilegedPaths...)
	for _, id := range privilegedPaths {
		switch id {
		case "setuid-root":
			wantLayer(t, res, id, "", "") // root already
		default:
			wantLayer(t, res, id, attack.BySeccomp, "")
		}
	}
	// unshare is allowed: mount's own canary decides at the mount step.
	if r := res["mount-tmpfs"]; !strings.HasPrefix(r.Step, `mount(NULL, "/"`) {
		t.Errorf("mount-tmpfs: refused at %q, want the MS_PRIVATE step", r.Step)
	}
	// Refusing settimeofday alone leaves adjtimex: root with CAP_SYS_TIME
	// gets past its capability check (EINVAL on the tick).
	stod := privProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["settimeofday"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`)
	res, _ = probeUnder(t, []string{"--seccomp", stod}, "set-clock")
	wantLayer(t, res, "set-clock", "", "")
	privWantEvidence(t, res, "set-clock", "EINVAL after the CAP_SYS_TIME check")

	// Filters that test mount's flags: the canary follows the step that
	// failed. Refusing MS_PRIVATE stops the probe before it mounts anything.
	// (fsopen is refused too: the new mount API would mount without either.)
	privOnly := privProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["fsopen"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
		{"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		 "args": [{"index": 3, "value": 262144, "valueTwo": 262144, "op": "SCMP_CMP_MASKED_EQ"}]}]}`)
	res, _ = probeUnder(t, []string{"--seccomp", privOnly}, "mount-tmpfs")
	wantLayer(t, res, "mount-tmpfs", attack.BySeccomp, "")
	if r := res["mount-tmpfs"]; !strings.Contains(r.Step, "MS_PRIVATE") {
		t.Errorf("mount-tmpfs: refused at %q, want the MS_PRIVATE step", r.Step)
	}
	plainOnly := privProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["fsopen"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
		{"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		 "args": [{"index": 3, "value": 0, "op": "SCMP_CMP_EQ"}]}]}`)
	res, _ = probeUnder(t, []string{"--seccomp", plainOnly}, "mount-tmpfs", "cgroup-mount")
	for _, id := range []string{"mount-tmpfs", "cgroup-mount"} {
		wantLayer(t, res, id, attack.BySeccomp, "")
		if r := res[id]; strings.Contains(r.Step, "MS_PRIVATE") || !strings.HasPrefix(r.Step, "mount(") {
			t.Errorf("%s: refused at %q, want the final mount", id, r.Step)
		}
	}
}

// A filter that refuses one variant of a call and lets another through
// has not closed the path: the probe tries the variants the model lists
// (unshare, clone, clone3; settimeofday, adjtimex, clock_adjtime), and
// where none can be made harmlessly (a mount without a namespace of the
// probe's own, clock_settime) it infers the verdict past the filter from
// CapEff and says so.
func TestProbePrivilegedVariantsPastTheFilter(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	ids := []string{"userns-netns", "mount-tmpfs", "cgroup-mount", "set-clock"}
	// The kube lab's deny-unshare profile with a runtime's default
	// capabilities: clone makes the namespaces, and mount reaches may_mount.
	unshare := privProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`)
	res, _ := probeUnder(t, []string{"--cap-drop", "SYS_ADMIN,SYS_TIME", "--seccomp", unshare}, ids...)
	wantLayer(t, res, "userns-netns", "", "")
	privWantEvidence(t, res, "userns-netns", "child was created in new user and network namespaces")
	for _, id := range []string{"mount-tmpfs", "cgroup-mount"} {
		wantLayer(t, res, id, attack.ByCapabilities, "")
		if r := res[id]; !strings.HasPrefix(r.Step, "clone(CLONE_NEWNS") || r.Inferred {
			t.Errorf("%s: step %q (inferred %v), want the measured clone(CLONE_NEWNS) step", id, r.Step, r.Inferred)
		}
	}
	wantLayer(t, res, "set-clock", attack.ByCapabilities, "")
	// Full root under it: the mounts are made, in a child's namespace.
	res, _ = probeUnder(t, []string{"--seccomp", unshare}, ids...)
	for _, id := range ids {
		wantLayer(t, res, id, "", "")
	}
	privWantEvidence(t, res, "mount-tmpfs", "private mount namespace of a child")

	// clone3's flags are out of a filter's sight: refusing the namespace
	// flags on unshare and clone leaves it.
	noUserns := privProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["unshare", "clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		 "args": [{"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]}]}`)
	res, _ = probeUnder(t, []string{"--cap-drop", "ALL", "--seccomp", noUserns}, "userns-netns")
	wantLayer(t, res, "userns-netns", "", "")
	if r := res["userns-netns"]; !strings.HasPrefix(r.Step, "clone3(") {
		t.Errorf("userns-netns: open at %q, want clone3", r.Step)
	}

	// No namespace for the probe (unshare and clone(CLONE_NEWNS) refused),
	// but mount passes the filter: nothing is mounted, and the verdict is
	// inferred from CapEff.
	noNS := privProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
		{"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		 "args": [{"index": 0, "value": 131072, "valueTwo": 131072, "op": "SCMP_CMP_MASKED_EQ"}]}]}`)
	res, _ = probeUnder(t, []string{"--cap-drop", "SYS_ADMIN", "--seccomp", noNS}, "mount-tmpfs")
	wantLayer(t, res, "mount-tmpfs", attack.ByCapabilities, "")
	privWantInferred(t, res, "mount-tmpfs")
	res, _ = probeUnder(t, []string{"--seccomp", noNS}, "mount-tmpfs")
	wantLayer(t, res, "mount-tmpfs", "", "")
	privWantInferred(t, res, "mount-tmpfs")

	// Every clock call the probe can make refused; clock_settime passes.
	clock := privProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["settimeofday", "adjtimex", "clock_adjtime"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`)
	res, _ = probeUnder(t, []string{"--cap-drop", "SYS_TIME", "--seccomp", clock}, "set-clock")
	wantLayer(t, res, "set-clock", attack.ByCapabilities, "")
	privWantInferred(t, res, "set-clock")
	res, _ = probeUnder(t, []string{"--seccomp", clock}, "set-clock")
	wantLayer(t, res, "set-clock", "", "")
	privWantInferred(t, res, "set-clock")
}

func privWantInferred(t *testing.T, res map[string]attack.Result, id string) {
	t.Helper()
	if r := res[id]; !r.Inferred || !strings.Contains(r.Evidence, "not called") && !strings.Contains(r.Evidence, "inferred, not measured") {
		t.Errorf("%s: inferred %v, evidence %q: want an inferred verdict that says so", id, r.Inferred, r.Evidence)
	}
}
