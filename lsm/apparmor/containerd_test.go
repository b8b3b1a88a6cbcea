package apparmor

import (
	"errors"
	"slices"
	"testing"

	"github.com/rampart-sec/rampart/runtimes"
)

// containerdDefault compiles containerd's default profile of release v
// as audit does, with /etc/apparmor.d's includes (Debian's, where the
// node's come from).
func containerdDefault(t *testing.T, v string) (runtimes.AppArmor, *Compiled) {
	t.Helper()
	a, err := runtimes.AppArmorFor("containerd", v)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Parse(a.File(), a.Profile)
	if err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if len(ps) != 1 || ps[0].Name != runtimes.CRIContainerdProfile {
		t.Fatalf("%s: want one profile %s", a, runtimes.CRIContainerdProfile)
	}
	c, err := Compile(ps[0], SystemIncludes)
	if err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	return a, c
}

// The kept profiles decide alike with the machine's includes and with
// rampart's bundled ones: an audit on a machine without /etc/apparmor.d
// predicts what a Debian or Ubuntu node does (their abstractions/base
// let a task be traced and read by whoever may trace it, which
// containerd's 1.6 profile leaves to it).
func TestContainerdProfilesIncludesAgree(t *testing.T) {
	for _, v := range runtimes.AppArmorReleases("containerd") {
		a, sys := containerdDefault(t, v)
		ps, err := Parse(a.File(), a.Profile)
		if err != nil {
			t.Fatal(err)
		}
		bun, err := Compile(ps[0], BundledIncludes)
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		for _, s := range []string{"ptrace trace cri-containerd.apparmor.d", "ptrace read cri-containerd.apparmor.d",
			"ptrace read unconfined", "ptrace trace unconfined", "mount tmpfs /tmp", "/proc/sys/kernel/core_pattern w", "/etc/passwd r"} {
			q, err := ParseAccess(s)
			if err != nil {
				t.Fatal(err)
			}
			ds, err1 := sys.Eval(q)
			db, err2 := bun.Eval(q)
			if err1 != nil || err2 != nil || ds.Allowed != db.Allowed {
				t.Errorf("%s: %s: with /etc/apparmor.d allowed=%v (%v), bundled allowed=%v (%v; %s)", a, s, ds.Allowed, err1, db.Allowed, err2, db.Reason)
			}
		}
	}
}

// The node's apparmor_parser loads every kept containerd profile; a
// profile it refused would confine nothing, and containerd would fail
// to start the container.
func TestContainerdProfilesLoad(t *testing.T) {
	for _, v := range runtimes.AppArmorReleases("containerd") {
		a, _ := containerdDefault(t, v)
		err := CheckCompile(a.File(), a.Profile)
		if errors.Is(err, ErrNoParser) {
			t.Skipf("apparmor_parser is not installed: %v", err)
		}
		if err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
}

// What containerd's default profile decides, release by release, as its
// rules say: writes that reconfigure the host's kernel, reads of its
// memory and firmware, mounts and ptrace across profiles are denied,
// what a workload does is allowed.
func TestContainerdProfileDecides(t *testing.T) {
	all := runtimes.AppArmorReleases("containerd")
	before := func(v string) []string { // the releases older than v
		return slices.DeleteFunc(slices.Clone(all), func(r string) bool { return !older(r, v) })
	}
	powercap := slices.DeleteFunc(slices.Clone(all), func(r string) bool {
		// Denied from 1.6.36 in 1.6, and from 1.7.11 on; 1.7.2 lacks it.
		return older(r, "1.6.36") || r == "1.7.2"
	})
	for _, c := range []struct {
		access string
		denied []string // the releases that deny it; the others allow it
	}{
		// deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w
		{"/proc/sys/kernel/core_pattern w", all},
		{"/proc/sys/kernel/modprobe w", all},
		// deny @{PROC}/sys/[^k]** w
		{"/proc/sys/net/ipv4/ip_forward w", all},
		{"/proc/sys/vm/drop_caches w", all},
		// Before 2.3 the classes of the /proc pattern also match '/'
		// ("sys/" is [^1-9s][^0-9y][^0-9s][^0-9]...), so /proc/sys/kernel/shm*,
		// which the next rule means to leave writable, is denied too.
		{"/proc/sys/kernel/shmmax w", before("2.3.4")},
		{"/proc/sys/kernel/shm_rmid_forced w", before("2.3.4")},
		// deny @{PROC}/* w, and writes below /proc's directories named
		// other than by a number (/proc/self is a link the kernel
		// resolves to one first).
		{"/proc/sysrq-trigger w", all},
		{"/proc/sysrq-trigger r", all},
		{"/proc/kcore r", all},
		{"/proc/tty/drivers w", all},
		{"/proc/timer_list w", all},
		// deny /sys/firmware/** rwklx, /sys/kernel/security/** rwklx
		{"/sys/firmware/efi/efivars/x r", all},
		{"/sys/kernel/security/apparmor/profiles r", all},
		// deny /sys/[^f]*/** wklx and the /sys/fs/... chain
		{"/sys/class/net/eth0/mtu w", all},
		{"/sys/kernel/mm/transparent_hugepage/enabled w", all},
		{"/sys/fs/bpf/x w", all},
		{"/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj r", powercap},
		// Allowed: the container's own files, its processes by number,
		// the cgroup filesystem, reads of /sys and /proc/sys.
		{"/etc/passwd r", nil},
		{"/etc/shadow r", nil},
		{"/tmp/x w", nil},
		{"/proc/1/oom_score_adj w", nil},
		{"/proc/42/attr/current w", nil},
		{"/sys/fs/cgroup/cpu.max w", nil},
		{"/sys/class/net/eth0/mtu r", nil},
		{"/proc/sys/kernel/hostname r", nil},
		// deny mount; umount; no pivot_root rule.
		{"mount tmpfs /tmp", all},
		{"mount cgroup /sys/fs/cgroup/x", all},
		{"pivot_root", all},
		{"umount /tmp", nil},
		// ptrace only among the container's own processes: not of the
		// host's (unconfined) or another profile's, as hostPID would
		// allow; the tracee's side (tracedby, readby) comes from
		// abstractions/base before 1.7, from the profile's rule since.
		{"ptrace read unconfined", all},
		{"ptrace trace unconfined", all},
		{"ptrace trace docker-default", all},
		{"ptrace trace cri-containerd.apparmor.d", nil},
		{"ptrace read cri-containerd.apparmor.d", nil},
		// signals among the container's own processes only: not to the
		// host's (unconfined), as hostPID would allow; signal 0 to any
		// peer, from abstractions/base.
		{"signal send exists unconfined", nil},
		{"signal send kill unconfined", all},
		{"signal send urg unconfined", all},
		{"signal send kill cri-containerd.apparmor.d", nil},
		{"network inet raw", nil},
		{"network packet", nil},
		{"capability sys_admin", nil},
	} {
		q, err := ParseAccess(c.access)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range all {
			a, comp := containerdDefault(t, v)
			d, err := comp.Eval(q)
			if err != nil {
				t.Errorf("%s: %s: %v", a, c.access, err)
				continue
			}
			if want := !slices.Contains(c.denied, v); d.Allowed != want {
				t.Errorf("%s: %s allowed=%v, want %v (%s)", a, c.access, d.Allowed, want, d.Reason)
			}
		}
	}
}

// older says whether release a is older than b.
func older(a, b string) bool {
	va, vb := releaseNumbers(a), releaseNumbers(b)
	return slices.Compare(va, vb) < 0
}

func releaseNumbers(s string) []int {
	var out []int
	n := 0
	for _, r := range s + "." {
		if r == '.' {
			out = append(out, n)
			n = 0
			continue
		}
		n = n*10 + int(r-'0')
	}
	return out
}
