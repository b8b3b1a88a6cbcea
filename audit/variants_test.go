//go:build linux && cgo && seccomp

package audit

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp"
)

// The profiles of testdata/variants each refuse one variant of a path's
// call. Audit decides every variant the catalog models, as the probe
// tries them (cmd/rampart's TestProbeAuditAgreeOnVariants measures the
// same files under rampart run): the path goes to the layer that closes
// all of them, and why names the variant that decided.
func TestAuditVariants(t *testing.T) {
	a, err := New(Node{Runtime: "containerd", ProfilesDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		profile, add, drop string
		id, want           string
		why                []string
	}{
		// containerd's default set has no CAP_SYS_ADMIN
		{"deny-mount", "", "", "mount-tmpfs", "blocked by capabilities", []string{
			"seccomp refuses mount(2)", "but allows fsopen+fsconfig+fsmount (rule: default action)",
			"fsopen+fsconfig+fsmount passes the filter, then the effective set lacks SYS_ADMIN"}},
		{"deny-mount", "", "", "cgroup-mount", "blocked by capabilities", []string{"fsopen+fsconfig+fsmount passes the filter"}},
		{"deny-mount", "SYS_ADMIN", "", "mount-tmpfs", Open, []string{"but allows fsopen+fsconfig+fsmount", "has SYS_ADMIN"}},
		{"deny-mount-all", "SYS_ADMIN", "", "mount-tmpfs", "blocked by seccomp", []string{"every variant is refused", "fsopen+fsconfig+fsmount (fsopen: SCMP_ACT_ERRNO(EPERM))"}},
		{"deny-unshare", "", "", "userns-netns", Open, []string{
			"seccomp refuses unshare(CLONE_NEWUSER|CLONE_NEWNET): SCMP_ACT_ERRNO(EPERM)",
			"but allows clone(CLONE_NEWUSER|CLONE_NEWNET) (rule: default action)"}},
		// Joining a user namespace needs one to exist: none does in a fresh
		// container, so every way in that exists is refused.
		{"deny-userns-create", "", "", "userns-netns", "blocked by seccomp", []string{
			"clone3: SCMP_ACT_ERRNO(ENOSYS)", "setns(CLONE_NEWUSER) passes the filter but needs a user namespace to join"}},
		{"deny-userns-all", "", "", "userns-netns", "blocked by seccomp", []string{"setns(CLONE_NEWUSER): SCMP_ACT_ERRNO(EPERM)"}},
		{"deny-raw-cloexec", "", "NET_RAW", "raw-socket", "blocked by capabilities", []string{"passes the filter, then the effective set lacks NET_RAW"}},
		// i386 code assumed to run, as on Debian's and Ubuntu's kernels
		{"deny-raw-x86_64", "", "", "raw-socket", Open, []string{"but allows i386 socketcall(SYS_SOCKET)"}},
		{"deny-af-packet", "", "", "packet-socket", Open, []string{"but allows socket(AF_INET, SOCK_PACKET)"}},
		{"deny-af-packet", "", "NET_RAW", "packet-socket", "blocked by capabilities", []string{"socket(AF_INET, SOCK_PACKET) passes the filter, then the effective set lacks NET_RAW"}},
		// The probe's own flags refused: openat(O_RDONLY) as a libc makes it is not.
		{"deny-open-noctty", "", "", "read-shadow", Open, []string{"seccomp allows it"}},
		// Every open syscall refused (a profile no process runs under, but
		// one audit reads): io_uring's OPENAT, which no filter sees.
		{"deny-open-syscalls", "", "", "read-shadow", Open, []string{"seccomp refuses openat(O_RDONLY)", "but allows io_uring OPENAT"}},
		{"deny-open-syscalls", "", "", "core-pattern", "blocked by other", []string{"read-only"}},
		// And io_uring too: a file handle is left, which needs
		// CAP_DAC_READ_SEARCH and a filesystem that encodes handles.
		{"deny-open-all", "", "", "read-shadow", "blocked by seccomp", []string{"open_by_handle_at passes the filter but needs a filesystem that encodes file handles"}},
		{"deny-bpf-load-eq", "BPF", "", "bpf-load", Open, []string{"seccomp refuses bpf(BPF_PROG_LOAD)", "but allows bpf(BPF_PROG_LOAD) with bit 32 set in arg0"}},
		{"deny-bpf-load-eq", "", "", "bpf-load", "blocked by capabilities", []string{"with bit 32 set in arg0 passes the filter, then the effective set lacks BPF"}},
		{"deny-keyctl", "", "", "keyctl", Open, []string{"seccomp refuses keyctl(KEYCTL_GET_KEYRING_ID)", "but allows add_key"}},
		{"deny-init-module", "SYS_MODULE", "", "kernel-module", Open, []string{"seccomp refuses init_module", "but allows finit_module"}},
		{"deny-init-module", "", "", "kernel-module", "blocked by capabilities", []string{"finit_module passes the filter, then the effective set lacks SYS_MODULE"}},
	} {
		sc := ""
		if c.add != "" || c.drop != "" {
			sc = fmt.Sprintf("capabilities: {add: [%s], drop: [%s]}, ", c.add, c.drop)
		}
		doc := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: x
    securityContext: {%sseccompProfile: {type: Localhost, localhostProfile: variants/%s.json}}
`, sc, c.profile)
		r := a.Read(c.profile+".yaml", []byte(doc))
		if len(r.Workloads) != 1 {
			t.Fatalf("%s: %+v", c.profile, r.Errors)
		}
		ctr := r.Workloads[0].Containers[0]
		if ctr.Error != "" {
			t.Fatalf("%s: %s", c.profile, ctr.Error)
		}
		where := fmt.Sprintf("%s (+%s -%s) %s", c.profile, c.add, c.drop, c.id)
		if got := verdict(t, ctr, c.id); got != c.want {
			t.Errorf("%s: %s, want %s (%s)", where, got, c.want, why(ctr, c.id))
		}
		for _, w := range c.why {
			if !strings.Contains(why(ctr, c.id), w) {
				t.Errorf("%s: why %q lacks %q", where, why(ctr, c.id), w)
			}
		}
	}
}

// Without a compiled program the profile's rules decide each variant,
// and the rule that let one through is named by its line.
func TestExplainSeccompVariants(t *testing.T) {
	prof, err := seccomp.Load(policy.Seccomp{Kind: policy.SeccompFile, Path: filepath.Join("testdata", "variants", "deny-unshare.json")}, runtimes.Containerd.Caps)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := attack.Lookup([]string{"userns-netns", "mount-tmpfs"})
	if err != nil {
		t.Fatal(err)
	}
	open, why, err := explainSeccomp(prof, paths[0])
	if err != nil || !open || !strings.Contains(why, "seccomp refuses unshare(CLONE_NEWUSER|CLONE_NEWNET): SCMP_ACT_ERRNO(EPERM)") ||
		!strings.Contains(why, "but allows clone(CLONE_NEWUSER|CLONE_NEWNET) (rule: default action)") {
		t.Errorf("userns-netns: open=%v %q %v", open, why, err)
	}
	prof, err = seccomp.Parse("mount.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO",
		"syscalls": [
			{"names": ["fsopen", "fsconfig"], "action": "SCMP_ACT_ALLOW"},
			{"names": ["fsmount"], "action": "SCMP_ACT_ALLOW"}
		]}`), caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	open, why, err = explainSeccomp(prof, paths[1])
	if err != nil || !open || !strings.Contains(why, "allows fsopen+fsconfig+fsmount (rule: mount.json:3)") {
		t.Errorf("mount-tmpfs: open=%v %q %v", open, why, err)
	}
}

// A node whose kernel runs no i386 code (--node-kernel no-ia32): the
// i386 calls a profile lets through are no way past it there.
func TestAuditVariantsNoIA32(t *testing.T) {
	doc := localhostPod("variants/deny-raw-x86_64.json")
	for _, c := range []struct {
		kernel []string
		want   string
		why    string
	}{
		{nil, Open, "but allows i386 socketcall(SYS_SOCKET)"},
		{[]string{KernelNoIA32}, "blocked by seccomp", "i386 socketcall(SYS_SOCKET) passes the filter, but the node's kernel runs no i386 code (--node-kernel no-ia32)"},
	} {
		a, err := New(Node{Runtime: "containerd", ProfilesDir: "testdata", Kernel: c.kernel})
		if err != nil {
			t.Fatal(err)
		}
		r := a.Read("p.yaml", doc)
		ctr := r.Workloads[0].Containers[0]
		if got := verdict(t, ctr, "raw-socket"); got != c.want || !strings.Contains(why(ctr, "raw-socket"), c.why) {
			t.Errorf("kernel %v: raw-socket %s (%s), want %s saying %q", c.kernel, got, why(ctr, "raw-socket"), c.want, c.why)
		}
	}
}

// An arm64 node: a profile that refuses every open on AArch64 but names
// no open(2), which AArch64 lacks, lets AArch32's open through — unless
// the node runs no 32-bit code (--node-kernel no-aarch32).
func TestAuditVariantsNoAArch32(t *testing.T) {
	doc := localhostPod("variants/deny-open-aarch64.json")
	for _, c := range []struct {
		arch   string
		kernel []string
		want   string
		why    string
	}{
		{"arm64", nil, Open, "but allows arm open"},
		{"arm64", []string{KernelNoAArch32}, "blocked by seccomp", "open passes the filter, but the node runs no AArch32 code (--node-kernel no-aarch32)"},
		// the fact of the other platform changes nothing
		{"arm64", []string{KernelNoIA32}, Open, "but allows arm open"},
		// on amd64 the filter still covers x86_64, as libseccomp always
		// covers its own architecture, and x86_64 has open(2)
		{"amd64", nil, Open, "but allows open (rule: default action)"},
	} {
		a, err := New(Node{Runtime: "containerd", ProfilesDir: "testdata", Kernel: c.kernel, Arch: c.arch})
		if err != nil {
			t.Fatal(err)
		}
		r := a.Read("p.yaml", doc)
		ctr := r.Workloads[0].Containers[0]
		if got := verdict(t, ctr, "read-shadow"); got != c.want || !strings.Contains(why(ctr, "read-shadow"), c.why) {
			t.Errorf("%s kernel %v: read-shadow %s (%s), want %s saying %q", c.arch, c.kernel, got, why(ctr, "read-shadow"), c.want, c.why)
		}
	}
}

// localhostPod is a Pod of one container under the Localhost seccomp
// profile at path (relative to the profiles directory).
func localhostPod(path string) []byte {
	return []byte(`apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: x
    securityContext: {seccompProfile: {type: Localhost, localhostProfile: ` + path + `}}
`)
}
