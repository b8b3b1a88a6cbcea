//go:build linux

package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// The real-world differential: profiles that Debian ships (packages
// apparmor, apparmor-profiles, apparmor-profiles-extra), loaded in the
// lab, each asked the same accesses; rampart's evaluation of the same
// text, with the same abstractions, must agree with the kernel.

// realProfileDirs are where Debian's packages put their profiles.
var realProfileDirs = []string{"/etc/apparmor.d", "/usr/share/apparmor/extra-profiles"}

// realMax bounds the sample: each profile costs a compile in the guest.
const realMax = 12

// realIncludes are the include directories the guest has (the lab copies
// these from the host's /etc/apparmor.d); local/, which it lacks, only
// where a profile includes it `if exists`.
var realIncludes = regexp.MustCompile(`^(tunables|abstractions|abi)/`)

var includeLine = regexp.MustCompile(`(?m)^\s*#?include\s+(if\s+exists\s+)?<([^>]*)>`)

// realProfile is one profile file of the sample, with the name of its
// first profile (the one the access runs under).
type realProfile struct {
	file, name, text string
	profile          *apparmor.Profile
}

// realProfiles picks the sample: every profile file rampart compiles
// whose includes the guest has, in name order, spread over the list.
func realProfiles(t *testing.T) ([]realProfile, error) {
	var files []string
	for _, d := range realProfileDirs {
		es, _ := os.ReadDir(d)
		for _, e := range es {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") && e.Name() != "README" {
				files = append(files, filepath.Join(d, e.Name()))
			}
		}
	}
	sort.Strings(files)
	var ok []realProfile
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		usable := true
		for _, m := range includeLine.FindAllStringSubmatch(string(b), -1) {
			if !realIncludes.MatchString(m[2]) && !(m[1] != "" && strings.HasPrefix(m[2], "local/")) {
				usable = false
			}
		}
		if !usable {
			continue
		}
		ps, err := apparmor.Parse(f, b)
		if err != nil {
			t.Logf("not in the sample: %v", err)
			continue
		}
		if _, err := apparmor.Compile(ps[0], apparmor.SystemIncludes); err != nil {
			t.Logf("not in the sample: %v", err)
			continue
		}
		ok = append(ok, realProfile{file: f, name: ps[0].Name, text: string(b), profile: ps[0]})
	}
	if len(ok) < realMax {
		return nil, fmt.Errorf("only %d of Debian's profiles compile here (want %d; are apparmor-profiles and apparmor-profiles-extra installed? scripts/deps.sh lab)", len(ok), realMax)
	}
	var out []realProfile
	for i := 0; i < realMax; i++ {
		out = append(out, ok[i*len(ok)/realMax])
	}
	return out, nil
}

// realAccesses are asked of every sampled profile: files the guest has
// (its /etc, /proc, /dev/null, a library) and sockets.
var realAccesses = []evalAccess{
	fileAccess("/etc/passwd", "r", "/etc/passwd", true),
	fileAccess("/etc/shadow", "r", "/etc/shadow", true),
	fileAccess("/etc/group", "r", "/etc/group", true),
	fileAccess("/etc/hosts", "r", "/etc/hosts", true),
	fileAccess("/proc/sys/kernel/hostname", "r", "/proc/sys/kernel/hostname", true),
	fileAccess("/proc/1/status", "r", "/proc/1/status", true),
	fileAccess("/dev/null", "w", "/dev/null", true),
	fileAccess("/tmp/real-w", "w", "/tmp/real-w", true),
	fileAccess("/etc/real-w", "w", "/etc/real-w", true),
	{lab: "network inet stream", eval: "network inet stream"},
	{lab: "network inet dgram", eval: "network inet dgram"},
	{lab: "network unix stream", eval: "network unix stream"},
	{lab: "network netlink raw", eval: "network netlink raw"},
	{lab: "network inet raw icmp", eval: "network inet raw", extra: []string{"capability net_raw"}},
}

func realPairs(sample []realProfile) []Pair {
	var out []Pair
	for _, p := range sample {
		for _, a := range realAccesses {
			out = append(out, Pair{Profile: p.text, Access: a.lab})
		}
	}
	return out
}

// rampart's answer for pair i of the sample.
func realExpect(t *testing.T, sample []realProfile, i int) (bool, string) {
	p := sample[i/len(realAccesses)]
	acc := realAccesses[i%len(realAccesses)]
	c, err := apparmor.Compile(p.profile, apparmor.SystemIncludes)
	if err != nil {
		t.Fatalf("%s: %v", p.file, err)
	}
	return expect(t, c, acc)
}

// Debian's own profiles, rampart against the kernel: every pair agrees.
func TestLabRealProfiles(t *testing.T) {
	sec := labSection(t, "realdiff")
	got, err := suiteReal.Parse(sec.Output)
	if err != nil {
		t.Fatal(err)
	}
	sample := realSample
	agree := 0
	for i, d := range got {
		if d.Verdict == Fail {
			t.Errorf("%s: the harness could not decide: %s %s", d, d.Errno, d.Detail)
			continue
		}
		want, why := realExpect(t, sample, i)
		if d.Allowed() != want {
			t.Errorf("%s under %s: kernel %s (%s), rampart says allowed=%v (%s)",
				d.Access, sample[i/len(realAccesses)].file, d.Verdict, d.Errno, want, why)
			continue
		}
		agree++
	}
	var names []string
	for _, p := range sample {
		names = append(names, filepath.Base(p.file))
	}
	t.Logf("%d of %d pairs agree, over %d of Debian's profiles: %s", agree, len(got), len(sample), strings.Join(names, " "))
}
