//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/features"
)

// An attacker picks whichever variant of a call a filter lets through:
// under a profile that refuses one variant of a path's call, the probe
// tries the others, attributes the path to the layer that closes every
// one of them, and names the variant that decided. Each profile here
// refuses one variant of one path family; the same files are what
// TestProbeAuditAgreeOnVariants hands to audit.

// variantProfile is a profile of audit/testdata/variants.
func variantProfile(name string) string {
	return filepath.Join("..", "..", "audit", "testdata", "variants", name+".json")
}

// variantWant asserts a path's layer ("" open) and that the evidence
// (or the step) names what decided.
func variantWant(t *testing.T, res map[string]attack.Result, id, layer string, says ...string) {
	t.Helper()
	wantLayer(t, res, id, layer, "")
	r := res[id]
	for _, s := range says {
		if !strings.Contains(r.Evidence, s) && !strings.Contains(r.Step, s) {
			t.Errorf("%s: neither evidence %q nor step %q says %q", id, r.Evidence, r.Step, s)
		}
	}
}

// A profile refusing mount(2) only: the new mount API gets through, so
// CAP_SYS_ADMIN decides — and the evidence says fsopen passed the filter.
func TestProbeVariantsMount(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	ids := []string{"mount-tmpfs", "cgroup-mount"}
	deny := variantProfile("deny-mount")
	res, _ := probeUnder(t, []string{"--cap-drop", "SYS_ADMIN", "--seccomp", deny}, ids...)
	for _, id := range ids {
		variantWant(t, res, id, attack.ByCapabilities, "refuses mount(2) but lets fsopen+fsconfig+fsmount through", "CapEff lacks CAP_SYS_ADMIN")
		if r := res[id]; !strings.HasPrefix(r.Step, "fsopen(") {
			t.Errorf("%s: step %q, want fsopen's", id, r.Step)
		}
	}
	res, _ = probeUnder(t, []string{"--seccomp", deny}, ids...)
	for _, id := range ids {
		variantWant(t, res, id, "", "through fsopen+fsconfig+fsmount", "mounted detached")
	}
	// The whole family refused: the filter closes the path, whatever the
	// capabilities.
	all := variantProfile("deny-mount-all")
	for _, flags := range [][]string{{"--seccomp", all}, {"--cap-drop", "SYS_ADMIN", "--seccomp", all}} {
		res, _ = probeUnder(t, flags, ids...)
		for _, id := range ids {
			variantWant(t, res, id, attack.BySeccomp, "it refuses every variant: mount(2), fsopen+fsconfig+fsmount")
		}
	}
}

// A profile refusing unshare only: clone makes the namespaces. One
// refusing every way to make a user namespace leaves joining one that
// exists; refusing setns too closes the path.
func TestProbeVariantsUserns(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	res, _ := probeUnder(t, []string{"--cap-drop", "ALL", "--seccomp", variantProfile("deny-unshare")}, "userns-netns")
	variantWant(t, res, "userns-netns", "", "through clone(CLONE_NEWUSER|CLONE_NEWNET|SIGCHLD)", "the seccomp filter refuses unshare(CLONE_NEWUSER|CLONE_NEWNET)")
	if r := res["userns-netns"]; !strings.HasPrefix(r.Step, "clone(CLONE_NEWUSER|CLONE_NEWNET") {
		t.Errorf("userns-netns: open at %q, want clone", r.Step)
	}

	// As pid 1 of a pid namespace of its own, the probe sees no process
	// in another user namespace, whatever else runs on this machine: the
	// setns variant does not exist there, and the filter refuses every
	// way that does.
	create := variantProfile("deny-userns-create")
	res = privProbeInPidNS(t, []string{"--seccomp", create}, "userns-netns")
	variantWant(t, res, "userns-netns", attack.BySeccomp, "it refuses every variant", "not here: setns(CLONE_NEWUSER)", "none exists to join")
	// A user namespace to join: root's, so root (the owner) holds every
	// capability in it.
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("unshare (Debian util-linux; `make test` installs it): %v", err)
	}
	holder := exec.Command(unshare, "--user", "sleep", "60")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	waitOtherUserNS(t, holder.Process.Pid)
	res, _ = probeUnder(t, []string{"--seccomp", create}, "userns-netns")
	variantWant(t, res, "userns-netns", "", "through setns(CLONE_NEWUSER)", "joined an existing user namespace")
	res, _ = probeUnder(t, []string{"--seccomp", variantProfile("deny-userns-all")}, "userns-netns")
	variantWant(t, res, "userns-netns", attack.BySeccomp, "it refuses every variant", "setns(CLONE_NEWUSER)")
}

// waitOtherUserNS waits until pid has entered its new user namespace
// (unshare execs sleep after).
func waitOtherUserNS(t *testing.T, pid int) {
	t.Helper()
	own, _ := os.Readlink("/proc/self/ns/user")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid)); err == nil && ns != own {
			return
		}
	}
	t.Fatalf("pid %d never entered a user namespace of its own", pid)
}

// Sockets: a rule comparing the type with == misses the same type
// without SOCK_CLOEXEC; one refusing AF_PACKET misses (AF_INET,
// SOCK_PACKET), which the kernel turns into a packet socket. Past the
// filter, CAP_NET_RAW decides.
func TestProbeVariantsSockets(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	cloexec := variantProfile("deny-raw-cloexec")
	res, _ := probeUnder(t, []string{"--seccomp", cloexec}, "raw-socket")
	variantWant(t, res, "raw-socket", "", "through socket(AF_INET, SOCK_RAW)", "refuses socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC)")
	res, _ = probeUnder(t, []string{"--cap-drop", "NET_RAW", "--seccomp", cloexec}, "raw-socket")
	variantWant(t, res, "raw-socket", attack.ByCapabilities, "refuses socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC) but lets socket(AF_INET, SOCK_RAW) through", "CapEff lacks CAP_NET_RAW")

	// Every raw socket refused on x86_64, and io_uring: i386 is left,
	// through socketcall, whose arguments no filter reads, where this
	// kernel runs i386 code at all.
	x86 := variantProfile("deny-raw-x86_64")
	res, _ = probeUnder(t, []string{"--seccomp", x86}, "raw-socket")
	if err := features.HaveIA32(); err != nil {
		t.Logf("i386: %v", err)
		variantWant(t, res, "raw-socket", attack.BySeccomp, "it refuses every variant", "not here: i386 socketcall(SYS_SOCKET)", "runs no i386 code")
	} else {
		variantWant(t, res, "raw-socket", "", "through i386 socketcall(SYS_SOCKET)", "refuses socket(AF_INET, SOCK_RAW|SOCK_CLOEXEC)")
	}

	packet := variantProfile("deny-af-packet")
	res, _ = probeUnder(t, []string{"--seccomp", packet}, "packet-socket")
	variantWant(t, res, "packet-socket", "", "through socket(AF_INET, SOCK_PACKET|SOCK_CLOEXEC)")
	res, _ = probeUnder(t, []string{"--cap-drop", "NET_RAW", "--seccomp", packet}, "packet-socket")
	variantWant(t, res, "packet-socket", attack.ByCapabilities, "lets socket(AF_INET, SOCK_PACKET|SOCK_CLOEXEC) through", "CapEff lacks CAP_NET_RAW")
}

// Files: openat and open refused when they carry O_NOCTTY, as the probe's
// do; openat2 carries its flags where no filter reads them. Past the
// filter, a Landlock rule on the file closes every door alike.
func TestProbeVariantsFiles(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	noctty := variantProfile("deny-open-noctty")
	res, _ := probeUnder(t, []string{"--seccomp", noctty}, "read-shadow")
	variantWant(t, res, "read-shadow", "", "through openat2", "refuses openat, open")
	res, _ = probeUnder(t, []string{"--seccomp", noctty, "--deny-read", "/etc/shadow"}, "read-shadow")
	wantLayer(t, res, "read-shadow", attack.ByLSM, "Landlock")
	variantWant(t, res, "read-shadow", attack.ByLSM, "refuses openat, open but lets openat2 through")
}

// Kernel objects: bpf's command with bit 32 set (the kernel reads an
// int), perf_event_open without PERF_FLAG_FD_CLOEXEC, add_key beside
// keyctl, finit_module beside init_module.
func TestProbeVariantsKernelObjects(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	h := privReadHostFacts(t)
	bpfEq := variantProfile("deny-bpf-load-eq")
	res, _ := probeUnder(t, []string{"--seccomp", bpfEq}, "bpf-load")
	variantWant(t, res, "bpf-load", "", "through bpf(BPF_PROG_LOAD with bit 32 set)")
	res, _ = probeUnder(t, []string{"--cap-drop", "BPF,SYS_ADMIN", "--seccomp", bpfEq}, "bpf-load")
	if h.bpfUnprivDisabled {
		variantWant(t, res, "bpf-load", attack.ByCapabilities, "lets bpf(BPF_PROG_LOAD with bit 32 set) through", "CapEff lacks CAP_BPF")
	} else {
		variantWant(t, res, "bpf-load", "", "through bpf(BPF_PROG_LOAD with bit 32 set)")
	}

	res, _ = probeUnder(t, []string{"--cap-drop", "ALL", "--seccomp", variantProfile("deny-keyctl")}, "keyctl")
	variantWant(t, res, "keyctl", "", "through add_key", "refuses keyctl(KEYCTL_GET_KEYRING_ID)")

	res, _ = probeUnder(t, []string{"--cap-drop", "PERFMON,SYS_ADMIN", "--seccomp", variantProfile("deny-perf-cloexec")}, "perf-event-open")
	if h.perfNeedsCap {
		variantWant(t, res, "perf-event-open", attack.ByCapabilities, "lets perf_event_open(0) through")
	} else {
		variantWant(t, res, "perf-event-open", "", "through perf_event_open(0)", "refuses perf_event_open(PERF_FLAG_FD_CLOEXEC)")
	}

	// finit_module checks the capability before anything else: the filter
	// itself is asked whether it let the call through.
	res, _ = probeUnder(t, []string{"--cap-drop", "SYS_MODULE", "--seccomp", variantProfile("deny-init-module")}, "kernel-module")
	if h.modules {
		variantWant(t, res, "kernel-module", attack.ByCapabilities, "refuses init_module but lets finit_module through", "CapEff lacks CAP_SYS_MODULE")
	} else {
		// No module support: finit_module gets past the filter to a
		// kernel without it, and init_module, which the filter refuses,
		// is not there either: the kernel closes both, the filter one
		// (audit's --node-kernel no-modules).
		variantWant(t, res, "kernel-module", attack.ByOther, "refuses init_module but lets finit_module through", "no loadable module support")
	}
}

// variantCase is one profile, the capabilities the container runs with
// (every one but drop), and the paths of its family.
type variantCase struct {
	profile string
	drop    []string
	ids     []string
	// pidNS: measured as pid 1 of a pid namespace of its own, where only
	// its own processes are seen (no user namespace to join).
	pidNS bool
}

var variantCases = []variantCase{
	{"deny-mount", nil, []string{"mount-tmpfs", "cgroup-mount"}, false},
	{"deny-mount", []string{"SYS_ADMIN"}, []string{"mount-tmpfs", "cgroup-mount"}, false},
	{"deny-mount-all", []string{"SYS_ADMIN"}, []string{"mount-tmpfs", "cgroup-mount"}, false},
	{"deny-unshare", []string{"SYS_ADMIN"}, []string{"userns-netns", "mount-tmpfs"}, false},
	{"deny-userns-all", nil, []string{"userns-netns"}, false},
	{"deny-userns-create", nil, []string{"userns-netns"}, true},
	{"deny-init-module", []string{"SYS_MODULE"}, []string{"kernel-module"}, false},
	{"deny-init-module", nil, []string{"kernel-module"}, false},
	{"deny-raw-cloexec", []string{"NET_RAW"}, []string{"raw-socket", "packet-socket"}, false},
	{"deny-raw-cloexec", nil, []string{"raw-socket", "packet-socket"}, false},
	{"deny-af-packet", []string{"NET_RAW"}, []string{"packet-socket"}, false},
	{"deny-open-noctty", nil, []string{"read-shadow", "tiocsti"}, false},
	{"deny-raw-x86_64", nil, []string{"raw-socket"}, false},
	{"deny-bpf-load-eq", []string{"BPF", "SYS_ADMIN"}, []string{"bpf-load"}, false},
	{"deny-bpf-load-eq", nil, []string{"bpf-load"}, false},
	{"deny-keyctl", nil, []string{"keyctl"}, false},
	{"deny-perf-cloexec", []string{"PERFMON", "SYS_ADMIN"}, []string{"perf-event-open"}, false},
}

// Prediction equals measurement on the variants: each profile file is
// predicted by audit (a Pod naming it as its Localhost profile, with the
// same capabilities) and measured by the probe under rampart run on this
// host, and the two agree path by path on the verdict and the layer.
func TestProbeAuditAgreeOnVariants(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	h := privReadHostFacts(t)
	sysctls := map[string]string{
		"kernel.perf_event_paranoid":       strconv.Itoa(privSysctl(t, "kernel/perf_event_paranoid")),
		"kernel.unprivileged_bpf_disabled": strconv.Itoa(privSysctl(t, "kernel/unprivileged_bpf_disabled")),
	}
	// What the kernel decides by itself is told to audit as a node's
	// facts are: module support, IA32 emulation.
	var kernel []string
	if !h.modules {
		kernel = append(kernel, audit.KernelNoModules)
	}
	if features.HaveIA32() != nil {
		kernel = append(kernel, audit.KernelNoIA32)
	}
	a, err := audit.New(audit.Node{Runtime: "containerd", ProfilesDir: filepath.Join("..", "..", "audit", "testdata"), Sysctls: sysctls, Kernel: kernel})
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, c := range variantCases {
		drop := ""
		flags := []string{"--seccomp", variantProfile(c.profile)}
		if len(c.drop) > 0 {
			drop = ", drop: [" + strings.Join(c.drop, ", ") + "]"
			flags = append([]string{"--cap-drop", strings.Join(c.drop, ",")}, flags...)
		}
		doc := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: variants}
spec:
  containers:
  - name: c
    image: x
    securityContext:
      capabilities: {add: [ALL]%s}
      seccompProfile: {type: Localhost, localhostProfile: variants/%s.json}
`, drop, c.profile)
		rep := a.Read(c.profile+".yaml", []byte(doc))
		if len(rep.Errors) > 0 || len(rep.Workloads) != 1 {
			t.Fatalf("%s: audit: %+v", c.profile, rep.Errors)
		}
		ctr := rep.Workloads[0].Containers[0]
		if ctr.Error != "" || ctr.Seccomp.Evaluated != "compiled filter" {
			t.Fatalf("%s: audit: %s (seccomp %s)", c.profile, ctr.Error, ctr.Seccomp.Evaluated)
		}
		predicted := map[string]audit.PathResult{}
		for _, p := range ctr.Paths {
			predicted[p.ID] = p
		}
		var res map[string]attack.Result
		if c.pidNS {
			res = privProbeInPidNS(t, flags, c.ids...)
		} else {
			res, _ = probeUnder(t, flags, c.ids...)
		}
		for _, id := range c.ids {
			if id == "bpf-load" && !h.bpfUnprivDisabled && len(c.drop) > 0 {
				// audit models the capability, not kernel.unprivileged_bpf_disabled
				continue
			}
			p, m := predicted[id], res[id]
			if p.Verdict != m.Verdict || p.Layer != m.Layer || len(m.Ambiguous) > 0 {
				t.Errorf("%s %v: %s predicted %s %s (%s), measured %s %s %v (%s: %s)", c.profile, c.drop, id, p.Verdict, p.Layer, p.Why, m.Verdict, m.Layer, m.Ambiguous, m.Step, m.Evidence)
			}
			compared++
		}
	}
	t.Logf("%d paths agree", compared)
}

// A probe whose child cannot be waited for (a filter that refuses wait4)
// has no evidence about that child: the zero wait status must not read
// as "the child exited 0, the call worked". Under drops that close both
// paths, nothing may be reported open, whatever the filter does to wait4.
func TestProbeUnreapedChildIsNoEvidence(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	prof := filepath.Join(t.TempDir(), "deny-wait4.json")
	if err := os.WriteFile(prof, []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["wait4", "socket", "io_uring_setup"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	res, _ := probeUnder(t, []string{"--cap-drop", "NET_RAW,SYS_ADMIN", "--seccomp", prof}, "raw-socket", "mount-tmpfs")
	for _, id := range []string{"raw-socket", "mount-tmpfs"} {
		if r := res[id]; r.Verdict == attack.Open {
			t.Errorf("%s: open (%s: %s) with its capability dropped", id, r.Step, r.Evidence)
		}
	}
}
