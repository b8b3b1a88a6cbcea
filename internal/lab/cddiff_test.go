//go:build linux

package lab

import (
	"os"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/runtimes"
)

// containerd's default AppArmor profile, cri-containerd.apparmor.d, as
// the node's release (Debian 12's 1.6.20) and the newest render it,
// loaded in the lab with the real apparmor_parser and Debian's
// abstractions: the kernel's decisions on the accesses its rules are
// about must be rampart's.

// cdProfile is a profile loaded and the accesses asked under it.
type cdProfile struct {
	name, text string
	accesses   []evalAccess
}

// cdProfiles are containerd's of the node's release and of the newest,
// and the seed's Localhost profile, whose only ptrace rule
// (abstractions/base's) lets it read itself: tracing its own child is
// refused, as the kernel asks a profile even of its own tasks.
var cdProfiles = func() []cdProfile {
	var out []cdProfile
	for _, v := range []string{"1.6.20", "2.4.2"} {
		a, err := runtimes.AppArmorFor("containerd", v)
		if err != nil {
			panic(err)
		}
		out = append(out, cdProfile{a.String(), string(a.Profile), cdAccesses})
	}
	seed, err := os.ReadFile("../../examples/seed/flask-deny-shadow")
	if err != nil {
		panic(err)
	}
	return append(out, cdProfile{"the seed's flask-deny-shadow", string(seed), cdAccesses[len(cdAccesses)-4:]})
}()

// cdAccesses: writes that reconfigure the host's kernel (in 1.6 its /proc
// classes also match '/', so /proc/sys/kernel/shm* too), reads of its
// memory and security state, writes below /sys, mounts, ptrace of the
// guest's init (unconfined) and of a child under the same profile, and
// what a workload does.
var cdAccesses = []evalAccess{
	fileAccess("/proc/sys/kernel/core_pattern", "w", "/proc/sys/kernel/core_pattern", true),
	fileAccess("/proc/sys/kernel/shmmax", "w", "/proc/sys/kernel/shmmax", true),
	fileAccess("/proc/sys/net/ipv4/ip_forward", "w", "/proc/sys/net/ipv4/ip_forward", true),
	fileAccess("/proc/sys/vm/drop_caches", "w", "/proc/sys/vm/drop_caches", true),
	fileAccess("/proc/sysrq-trigger", "w", "/proc/sysrq-trigger", true),
	fileAccess("/proc/kcore", "r", "/proc/kcore", true),
	fileAccess("/proc/timer_list", "w", "/proc/timer_list", true),
	fileAccess("/sys/kernel/security/apparmor/profiles", "r", "/sys/kernel/security/apparmor/profiles", true),
	fileAccess("/sys/class/net/lo/mtu", "w", "/sys/devices/virtual/net/lo/mtu", true),
	fileAccess("/sys/kernel/mm/transparent_hugepage/enabled", "w", "/sys/kernel/mm/transparent_hugepage/enabled", true),
	fileAccess("/etc/passwd", "r", "/etc/passwd", true),
	fileAccess("/proc/sys/kernel/hostname", "r", "/proc/sys/kernel/hostname", true),
	fileAccess("/proc/1/oom_score_adj", "w", "/proc/1/oom_score_adj", true),
	fileAccess("/tmp/cd-new", "w", "/tmp/cd-new", true),
	// the last four are asked under every profile
	{lab: "mount tmpfs /tmp/cd-mnt", eval: "mount tmpfs /tmp/cd-mnt", extra: []string{"capability sys_admin"}},
	{lab: "ptrace read 1", eval: "ptrace read unconfined"},
	// the child runs under the tracer's profile (@self)
	{lab: "ptrace trace child", eval: "ptrace trace @self", extra: []string{"/usr/bin/aaccess x"}},
	{lab: "network inet raw icmp", eval: "network inet raw", extra: []string{"capability net_raw"}},
}

func cdPairs() []Pair {
	var out []Pair
	for _, p := range cdProfiles {
		for _, acc := range p.accesses {
			out = append(out, Pair{Profile: p.text, Access: acc.lab})
		}
	}
	return out
}

func TestLabContainerdDefaultProfile(t *testing.T) {
	sec := labSection(t, "cddiff")
	got, err := suiteCD.Parse(sec.Output)
	if err != nil {
		t.Fatal(err)
	}
	type asked struct {
		p   cdProfile
		acc evalAccess
	}
	var cases []asked
	for _, p := range cdProfiles {
		for _, acc := range p.accesses {
			cases = append(cases, asked{p, acc})
		}
	}
	if len(got) != len(cases) {
		t.Fatalf("%d results for %d pairs", len(got), len(cases))
	}
	denied := 0
	for i, d := range got {
		p, acc := cases[i].p, cases[i].acc
		ps, err := apparmor.Parse(p.name, []byte(p.text))
		if err != nil {
			t.Fatal(err)
		}
		c, err := apparmor.Compile(ps[0], apparmor.SystemIncludes)
		if err != nil {
			t.Fatal(err)
		}
		if d.Verdict == Fail {
			t.Errorf("%s: %s: the harness could not decide: %s %s", p.name, d.Access, d.Errno, d.Detail)
			continue
		}
		if d.Label != "-" && !strings.HasPrefix(d.Label, ps[0].Name+" ") {
			t.Errorf("%s: %s ran as %q", p.name, d.Access, d.Label)
		}
		acc.eval = strings.ReplaceAll(acc.eval, "@self", ps[0].Name)
		want, why := expect(t, c, acc)
		if d.Allowed() != want {
			t.Errorf("%s: %s: kernel %s (%s: %s), rampart says allowed=%v (%s)", p.name, d.Access, d.Verdict, d.Errno, d.Detail, want, why)
			continue
		}
		if !want {
			denied++
		}
		t.Logf("%s: %s: %s, as rampart says", p.name, d.Access, d.Verdict)
	}
	// The table is about denials: most of it must be refused.
	if denied < len(got)/2 {
		t.Errorf("only %d of %d accesses denied", denied, len(got))
	}
}
