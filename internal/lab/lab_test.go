//go:build linux

package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The lab tests boot Debian's kernel once (TestMain-free: the first test
// that needs the guest boots it) with every check as a section of one
// script, then each test reads its section. `make lab` runs them.

// requireLab skips unless RAMPART_LAB=1 and root: the lab downloads a
// kernel with apt and needs qemu (scripts/deps.sh lab).
func requireLab(t *testing.T) {
	t.Helper()
	requireLabOf(t, "RAMPART_LAB", "the lab (qemu + Debian's kernel with AppArmor)", "make lab", "Debian's kernel")
}

// requireLabOf skips unless env=1 and root, naming the lab, the make
// target that runs it and what it downloads.
func requireLabOf(t *testing.T, env, lab, target, downloads string) {
	t.Helper()
	if os.Getenv(env) != "1" {
		t.Skip(lab + " runs with " + env + "=1: " + target)
	}
	if os.Geteuid() != 0 {
		t.Skip(lab + " needs root (apt-get download of " + downloads + ", its cache in " + DefaultCacheDir + ")")
	}
}

const profileDir = "/profiles"

// the seed's profile, loaded and attached by `rampart run --apparmor FILE`
const seedProfile = profileDir + "/flask-deny-shadow"

const runSeed = "rampart run --apparmor " + seedProfile + " -- "

// diffPairs is the differential smoke test: the kernel's decisions are
// the expectations (AppArmor semantics every profile author relies on).
var diffPairs = []struct {
	Pair
	want  Verdict
	errno string
	label string
}{
	// a glob: /etc/* matches the files in /etc, not deeper, and r only
	{Pair{Profile: globProfile, Access: "file /etc/passwd r"}, Allow, "-", ""},
	{Pair{Profile: globProfile, Access: "file /etc/apparmor.d/abi/3.0 r"}, Deny, "EACCES", ""},
	{Pair{Profile: globProfile, Access: "file /etc/passwd w"}, Deny, "EACCES", ""},
	// not there: the path walk fails before AppArmor is asked
	{Pair{Profile: globProfile, Access: "file /etc/nonexistent r"}, Fail, "ENOENT", ""},
	// deny beats allow, for the permission it names only
	{Pair{Profile: denyProfile, Access: "file /etc/shadow r"}, Deny, "EACCES", ""},
	{Pair{Profile: denyProfile, Access: "file /etc/shadow a"}, Allow, "-", ""},
	{Pair{Profile: denyProfile, Access: "file /etc/group r"}, Allow, "-", ""},
	// network rules by family and type
	{Pair{Profile: netProfile, Access: "network inet dgram"}, Allow, "-", "lab-net (enforce)"},
	{Pair{Profile: netProfile, Access: "network inet stream"}, Deny, "EACCES", "lab-net (enforce)"},
	{Pair{Profile: netProfile, Access: "network inet raw icmp"}, Deny, "EACCES", "lab-net (enforce)"},
	// unix sockets: network rules decide their creation like any family's
	{Pair{Profile: netProfile, Access: "network unix stream"}, Deny, "EACCES", "lab-net (enforce)"},
	{Pair{Profile: "profile lab-nonet {\n  /proc/** r,\n}\n", Access: "network netlink raw"}, Deny, "EACCES", "lab-nonet (enforce)"},
	// and unix rules, which this kernel cannot mediate, are compiled
	// down to network unix rules: an allow rule of any permissions and
	// conditions becomes `network unix [type]`, a deny rule is dropped
	{Pair{Profile: "profile lab-ux1 {\n  unix (create),\n  /proc/** r,\n}\n", Access: "network unix stream"}, Allow, "-", "lab-ux1 (enforce)"},
	{Pair{Profile: "abi <abi/3.0>,\nprofile lab-ux2 {\n  unix (create),\n  /proc/** r,\n}\n", Access: "network unix stream"}, Allow, "-", "lab-ux2 (enforce)"},
	{Pair{Profile: "profile lab-ux3 {\n  unix (send) peer=(label=foo),\n  /proc/** r,\n}\n", Access: "network unix stream"}, Allow, "-", "lab-ux3 (enforce)"},
	{Pair{Profile: "profile lab-ux4 {\n  unix (create) type=dgram,\n  /proc/** r,\n}\n", Access: "network unix stream"}, Deny, "EACCES", "lab-ux4 (enforce)"},
	{Pair{Profile: "profile lab-ux5 {\n  network unix,\n  deny unix (create),\n  /proc/** r,\n}\n", Access: "network unix stream"}, Allow, "-", "lab-ux5 (enforce)"},
	{Pair{Profile: "profile lab-ux6 {\n  audit unix,\n  /proc/** r,\n}\n", Access: "network unix seqpacket"}, Allow, "-", "lab-ux6 (enforce)"},
	// a profile apparmor_parser refuses is an error of the harness
	{Pair{Profile: "profile lab-bad {\n  /etc/passwd zz,\n}\n", Access: "file /etc/passwd r"}, Fail, "load", ""},
	// a child profile and a hat confine with their own rules, not their
	// parent's
	{Pair{Profile: childProfile, Access: "file /etc/group r", Name: "lab-parent//kid"}, Allow, "-", "lab-parent//kid (enforce)"},
	{Pair{Profile: childProfile, Access: "file /etc/passwd r", Name: "lab-parent//kid"}, Deny, "EACCES", "lab-parent//kid (enforce)"},
	{Pair{Profile: childProfile, Access: "file /etc/passwd r"}, Allow, "-", "lab-parent (enforce)"},
	{Pair{Profile: childProfile, Access: "file /etc/group r", Name: "lab-parent//hat"}, Deny, "EACCES", "lab-parent//hat (enforce)"},
	{Pair{Profile: childProfile, Access: "file /etc/passwd r", Name: "lab-parent//hat"}, Allow, "-", "lab-parent//hat (enforce)"},
	// link: l allows a link to any target whose permissions in the
	// profile cover the link's own (the subset test); a file rule's
	// `l -> TARGET` does not narrow the target (seen with Debian 12's
	// apparmor_parser on its 6.1 kernel), only a `link PATH -> TARGET`
	// rule does
	{Pair{Profile: linkProfile, Access: "link /etc/passwd /etc/lnk-to"}, Allow, "-", "lab-link (enforce)"},
	{Pair{Profile: linkProfile, Access: "link /etc/group /etc/lnk-to"}, Allow, "-", "lab-link (enforce)"},
	{Pair{Profile: linkProfile, Access: "link /etc/group /etc/lnk-any"}, Allow, "-", "lab-link (enforce)"},
	{Pair{Profile: linkProfile, Access: "link /etc/group /etc/lnk-rw"}, Deny, "EACCES", "lab-link (enforce)"},
	{Pair{Profile: linkProfile, Access: "link /etc/passwd /etc/lnk-r"}, Allow, "-", "lab-link (enforce)"},
	{Pair{Profile: linkProfile, Access: "link /etc/passwd /etc/nolink"}, Deny, "EACCES", "lab-link (enforce)"},
	// the subset test on exec: a link that scrubs the environment (Px)
	// may point at a px target, an unscrubbed one not at a Px target
	{Pair{Profile: linkExecProfile, Access: "link /etc/passwd /etc/lnk-px"}, Allow, "-", "lab-link3 (enforce)"},
	{Pair{Profile: linkExecProfile, Access: "link /etc/group /etc/lnk-up"}, Deny, "EACCES", "lab-link3 (enforce)"},
	{Pair{Profile: linkRuleProfile, Access: "link /etc/passwd /etc/lnk-to"}, Allow, "-", "lab-link2 (enforce)"},
	{Pair{Profile: linkRuleProfile, Access: "link /etc/group /etc/lnk-to"}, Deny, "EACCES", "lab-link2 (enforce)"},
	{Pair{Profile: linkRuleProfile, Access: "link /etc/passwd /etc/lnk-sub"}, Allow, "-", "lab-link2 (enforce)"},
	{Pair{Profile: linkRuleProfile, Access: "link /etc/group /etc/lnk-sub"}, Deny, "EACCES", "lab-link2 (enforce)"},
}

const childProfile = `profile lab-parent {
  /etc/passwd r,
  /proc/** r,
  profile kid {
    /etc/group r,
    /proc/** r,
  }
  ^hat {
    /etc/passwd r,
    /proc/** r,
  }
}
`

const linkExecProfile = `profile lab-link3 {
  /etc/passwd rpx,
  /etc/group rPx,
  /etc/lnk-px rlPx,
  /etc/lnk-up rlpx,
  /proc/** r,
}
`

const linkRuleProfile = `profile lab-link2 {
  /etc/passwd r,
  link /etc/lnk-to -> /etc/passwd,
  link subset /etc/lnk-sub -> /etc/*,
  /etc/lnk-sub r,
  /proc/** r,
}
`

// The links are made in /etc: /tmp is another file system in the guest.
const linkProfile = `profile lab-link {
  /etc/passwd r,
  /etc/lnk-to l -> /etc/passwd,
  /etc/lnk-any l,
  /etc/lnk-rw rwl,
  /etc/lnk-r rl,
  /proc/** r,
}
`

const globProfile = `profile lab-glob {
  /etc/* r,
}
`

const denyProfile = `profile lab-deny {
  /etc/** rw,
  deny /etc/shadow r,
}
`

const netProfile = `profile lab-net {
  network inet dgram,
  /proc/** r,
}
`

var (
	suiteOnce  sync.Once
	suiteRes   Result
	suiteErr   error
	suitePlan  *DiffPlan
	suiteEval  *DiffPlan
	suiteCD    *DiffPlan
	suiteReal  *DiffPlan
	realSample []realProfile
	suiteTime  time.Duration
)

// suite boots the lab once for all tests.
func suite(t *testing.T) Result {
	t.Helper()
	requireLab(t)
	suiteOnce.Do(func() {
		t0 := time.Now()
		defer func() { suiteTime = time.Since(t0) }()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		var s Script
		root, err := ModuleRoot()
		if err != nil {
			suiteErr = err
			return
		}
		s.File(seedProfile, HostFile(filepath.Join(root, "examples", "seed", "flask-deny-shadow")))
		s.Add("boot", `cat /sys/kernel/security/lsm; echo
cat /sys/module/apparmor/parameters/enabled
uname -r`, 0)
		s.Add("run-shadow", runSeed+"cat /etc/shadow", 30*time.Second)
		s.Add("run-passwd", runSeed+"cat /etc/passwd", 30*time.Second)
		s.Add("run-label", runSeed+"cat /proc/self/attr/current", 30*time.Second)
		s.Add("probe", runSeed+"rampart probe -o json --only read-shadow", 30*time.Second)
		s.Add("layers", "rampart layers -o json --only raw-socket,userns-netns,read-shadow", 60*time.Second)
		s.Add("default-label", "rampart run --apparmor runtime-default -- cat /proc/self/attr/current", 30*time.Second)
		s.Add("default-probe", "rampart run --apparmor runtime-default -- rampart probe -o json --only core-pattern,read-shadow", 30*time.Second)
		s.Add("scope-old-kernel", "rampart run --scope signal,abstract-unix -- echo launched 2>&1", 30*time.Second)
		// Debian's kernel runs 32-bit code (a host that does not, like
		// the CI machine's, cannot show the i386 ABI): the same filter
		// through int 0x80, from a 32-bit and a 64-bit program.
		for _, b := range []struct{ name, flag string }{{"compat32", "-m32"}, {"compat64", "-m64"}} {
			out := filepath.Join(t.TempDir(), b.name)
			if msg, err := exec.Command("gcc", b.flag, "-O1", "-static", "-o", out, filepath.Join(root, "cmd", "rampart", "testdata", "compat.c")).CombinedOutput(); err != nil {
				suiteErr = fmt.Errorf("gcc %s (Debian gcc-multilib): %v\n%s", b.flag, err, msg)
				return
			}
			s.File("/lab/"+b.name, HostFile(out))
		}
		s.Add("ia32", ia32Check, 30*time.Second)
		helper, err := BuildHelper(ctx, t.TempDir())
		if err != nil {
			suiteErr = err
			return
		}
		pairs := make([]Pair, len(diffPairs))
		for i, p := range diffPairs {
			pairs[i] = p.Pair
		}
		if suitePlan, err = PlanDiff(pairs, helper); err != nil {
			suiteErr = err
			return
		}
		// before the differentials, whose hundreds of loads fill the log
		s.Add("dmesg", "dmesg | grep -i -E 'apparmor|audit' | tail -n 40", 0)
		// after dmesg, whose tail the load checks' own loads would fill
		addLoadSections(&s, root)
		suitePlan.AddTo(&s, "diff")
		s.Add("evalsetup", evalSetup, 0)
		if suiteEval, err = PlanDiffIn("/lab/evaldiff", evalPairs(), helper); err != nil {
			suiteErr = err
			return
		}
		suiteEval.AddTo(&s, "evaldiff")
		if suiteCD, err = PlanDiffIn("/lab/cddiff", cdPairs(), helper); err != nil {
			suiteErr = err
			return
		}
		suiteCD.AddTo(&s, "cddiff")
		if realSample, err = realProfiles(t); err != nil {
			suiteErr = err
			return
		}
		if suiteReal, err = PlanDiffIn("/lab/realdiff", realPairs(realSample), helper); err != nil {
			suiteErr = err
			return
		}
		suiteReal.AddTo(&s, "realdiff")
		// Last: when it hangs, its spinning helper would slow what follows.
		s.Add("seccomp-1cpu", oneCPUCheck, 15*time.Second)
		script, files := s.Build()
		l := &Lab{Log: testLog{t}, Timeout: 6 * time.Minute}
		suiteRes, suiteErr = l.Run(ctx, script, files)
		t.Logf("lab: kernel %s; times: kernel %v, initramfs %v, boot+checks %v",
			suiteRes.Kernel, suiteRes.Times.Kernel.Round(time.Millisecond), suiteRes.Times.Initramfs.Round(time.Millisecond), suiteRes.Times.Boot.Round(time.Millisecond))
	})
	if suiteErr != nil {
		t.Fatalf("the lab did not run: %v", suiteErr)
	}
	return suiteRes
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// labSection returns the named section, failing the test when it did not
// run to its end.
func labSection(t *testing.T, name string) Section {
	t.Helper()
	res := suite(t)
	sec, ok := res.Section(name)
	if !ok {
		t.Fatalf("section %s did not finish; lab output:\n%s", name, res.Output)
	}
	t.Logf("section %s: status %d, %v in the guest", name, sec.Status, sec.Duration.Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("section %s printed:\n%s", name, sec.Output)
		}
	})
	return sec
}

func TestLabBoot(t *testing.T) {
	sec := labSection(t, "boot")
	lines := strings.Split(strings.TrimSpace(sec.Output), "\n")
	if len(lines) < 2 {
		t.Fatalf("boot check: want the LSM list and apparmor's enabled parameter, got %q", sec.Output)
	}
	if !strings.Contains(","+lines[0]+",", ",apparmor,") {
		t.Errorf("/sys/kernel/security/lsm = %q: no apparmor", lines[0])
	}
	if lines[1] != "Y" {
		t.Errorf("/sys/module/apparmor/parameters/enabled = %q, want Y", lines[1])
	}
}

func TestLabRunAppArmor(t *testing.T) {
	t.Run("shadow denied", func(t *testing.T) {
		sec := labSection(t, "run-shadow")
		switch {
		case sec.Status == 125:
			t.Fatalf("rampart refused to launch (status 125): %s", sec.Output)
		case sec.Status == 0:
			t.Fatalf("cat /etc/shadow worked under flask-deny-shadow: %s", sec.Output)
		case !strings.Contains(sec.Output, "Permission denied"):
			t.Errorf("cat /etc/shadow failed (status %d) but not with EACCES: %s", sec.Status, sec.Output)
		}
	})
	t.Run("passwd allowed", func(t *testing.T) {
		sec := labSection(t, "run-passwd")
		if sec.Status != 0 || !strings.Contains(sec.Output, "root:x:0:0:") {
			t.Errorf("cat /etc/passwd under flask-deny-shadow: status %d: %s", sec.Status, sec.Output)
		}
	})
	t.Run("loaded by apparmor_parser", func(t *testing.T) {
		// deny rules are silent; the load itself is in the kernel's log
		sec := labSection(t, "dmesg")
		if !strings.Contains(sec.Output, `operation="profile_load"`) || !strings.Contains(sec.Output, `name="flask-deny-shadow"`) {
			t.Errorf("no profile_load of flask-deny-shadow in the kernel log:\n%s", sec.Output)
		}
	})
	t.Run("label", func(t *testing.T) {
		sec := labSection(t, "run-label")
		if sec.Status != 0 || !strings.Contains(sec.Output, "flask-deny-shadow (enforce)") {
			t.Errorf("/proc/self/attr/current under rampart run --apparmor: status %d: %q, want flask-deny-shadow (enforce)", sec.Status, sec.Output)
		}
	})
}

// probeResult is the part of rampart's probe and layers JSON the tests read.
type probeResult struct {
	ID       string `json:"id"`
	Verdict  string `json:"verdict"`
	Layer    string `json:"layer"`
	LSM      string `json:"lsm"`
	Errno    string `json:"errno"`
	Evidence string `json:"evidence"`
}

// jsonOf decodes the first JSON object in out (the launcher's notes may
// precede it on the merged output).
func jsonOf(t *testing.T, out string, v any) {
	t.Helper()
	i := strings.Index(out, "{")
	if i < 0 {
		t.Fatalf("no JSON in:\n%s", out)
	}
	dec := json.NewDecoder(strings.NewReader(out[i:]))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("JSON: %v in:\n%s", err, out)
	}
}

func TestLabProbeUnderAppArmor(t *testing.T) {
	sec := labSection(t, "probe")
	if sec.Status != 0 {
		t.Fatalf("rampart probe under rampart run --apparmor: status %d", sec.Status)
	}
	var rep struct {
		State struct {
			AppArmor   string
			ActiveLSMs []string
		} `json:"state"`
		Results []probeResult `json:"results"`
	}
	jsonOf(t, sec.Output, &rep)
	if rep.State.AppArmor != "flask-deny-shadow (enforce)" {
		t.Errorf("probe state: AppArmor label %q, want flask-deny-shadow (enforce)", rep.State.AppArmor)
	}
	if len(rep.Results) != 1 || rep.Results[0].ID != "read-shadow" {
		t.Fatalf("want the read-shadow result only, got %+v", rep.Results)
	}
	r := rep.Results[0]
	if r.Verdict != "blocked" || r.Layer != "lsm" || r.LSM != "AppArmor" {
		t.Errorf("read-shadow: %+v, want blocked by lsm, AppArmor", r)
	}
}

func TestLabLayers(t *testing.T) {
	sec := labSection(t, "layers")
	if sec.Status != 0 {
		t.Fatalf("rampart layers: status %d", sec.Status)
	}
	var rep struct {
		Rows []struct {
			ID       string        `json:"id"`
			Cells    []probeResult `json:"cells"`
			ClosedAt string        `json:"closedAt"`
			ClosedBy string        `json:"closedBy"`
		} `json:"rows"`
		Notes []string `json:"notes"`
	}
	jsonOf(t, sec.Output, &rep)
	want := map[string]struct{ at, by, lsm string }{
		"raw-socket":   {"+capabilities", "capabilities", ""},
		"userns-netns": {"+seccomp", "seccomp", ""},
		"read-shadow":  {"+lsm", "lsm", "AppArmor"},
	}
	for _, n := range rep.Notes {
		if strings.Contains(n, "Landlock") {
			t.Errorf("layers note mentions Landlock on a kernel with AppArmor: %s", n)
		}
	}
	seen := 0
	for _, row := range rep.Rows {
		w, ok := want[row.ID]
		if !ok {
			continue
		}
		seen++
		if row.ClosedAt != w.at || row.ClosedBy != w.by {
			t.Errorf("%s: closed at %q by %q, want at %s by %s", row.ID, row.ClosedAt, row.ClosedBy, w.at, w.by)
		}
		if w.lsm != "" {
			last := row.Cells[len(row.Cells)-1]
			if last.LSM != w.lsm {
				t.Errorf("%s at +lsm: lsm %q (%s), want %s", row.ID, last.LSM, last.Evidence, w.lsm)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("layers JSON has %d of the %d rows asked for", seen, len(want))
	}
}

func TestLabDifferential(t *testing.T) {
	sec := labSection(t, "diff")
	got, err := suitePlan.Parse(sec.Output)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range got {
		w := diffPairs[i]
		t.Logf("%-34s %-24s %s %s %s", d.Access, firstLine(d.Profile), d.Verdict, d.Errno, d.Label)
		if d.Verdict != w.want || d.Errno != w.errno {
			t.Errorf("%s: kernel says %s %s (%s), want %s %s", d, d.Verdict, d.Errno, d.Detail, w.want, w.errno)
		}
		if w.label != "" && d.Label != w.label {
			t.Errorf("%s: label %q, want %q (did the transition happen?)", d.Access, d.Label, w.label)
		}
	}
}

// TestLabTime keeps the lab within its budget: one boot with every
// check, well under 5 minutes on a 2-core machine with TCG.
func TestLabTime(t *testing.T) {
	res := suite(t)
	t.Logf("whole lab run: %v (kernel %v, initramfs %v, boot and checks %v)", suiteTime.Round(time.Millisecond),
		res.Times.Kernel.Round(time.Millisecond), res.Times.Initramfs.Round(time.Millisecond), res.Times.Boot.Round(time.Millisecond))
	if suiteTime > 4*time.Minute {
		t.Errorf("the lab took %v; budget 4m", suiteTime)
	}
}

// oneCPUCheck launches under RuntimeDefault with GOMAXPROCS=1 (Go sizes
// it from the CPU affinity mask) and an empty seccomp cache, so that
// rampart compiles the profile in its helper process.
const oneCPUCheck = `export RAMPART_CACHE_DIR=/tmp/seccomp-1cpu
mkdir -p -m 700 $RAMPART_CACHE_DIR
taskset -c 0 rampart run --seccomp runtime-default -- echo launched
`

// TestLabScopeRefusedOnOldKernel: Debian 12's Linux 6.1 has no Landlock
// scopes (ABI 6 came with 6.12), so a launch asking for them is refused
// (125) before the workload runs, naming Landlock: never a launch
// without the scope.
func TestLabScopeRefusedOnOldKernel(t *testing.T) {
	sec := labSection(t, "scope-old-kernel")
	if sec.Status != 125 || strings.Contains(sec.Output, "launched") || !strings.Contains(sec.Output, "Landlock") {
		t.Errorf("rampart run --scope on Linux 6.1: status %d, want 125 naming Landlock and no launch:\n%s", sec.Status, sec.Output)
	}
}

// TestLabSeccompOneCPU: rampart run --seccomp must not depend on having
// more than one CPU (a container limited to one CPU, a small VM).
func TestLabSeccompOneCPU(t *testing.T) {
	sec := labSection(t, "seccomp-1cpu")
	switch {
	case sec.Status == 143 || sec.Status == 124:
		t.Errorf("rampart run --seccomp runtime-default hung on one CPU (killed after %v): "+
			"the seccomp compile helper (seccomp/cache_linux.go compilerMain) spins on a locked thread "+
			"holding the only P with GODEBUG=asyncpreemptoff=1, so its main goroutine never runs to print \"ok TID\", "+
			"and compileInHelper waits for that line with no deadline; reproduce on the host with "+
			"RAMPART_CACHE_DIR=$(mktemp -d) taskset -c 0 bin/rampart run --seccomp runtime-default -- true", sec.Duration.Round(time.Second))
	case sec.Status != 0 || !strings.Contains(sec.Output, "launched"):
		t.Errorf("rampart run --seccomp runtime-default on one CPU: status %d: %s", sec.Status, sec.Output)
	}
}

// TestLabBootTimeout: a guest that never powers off is killed at the
// deadline, and the error says so with the last console lines.
func TestLabBootTimeout(t *testing.T) {
	requireLab(t)
	k, err := Kernel("")
	if err != nil {
		t.Fatal(err)
	}
	initrd := filepath.Join(t.TempDir(), "hang.cpio.gz")
	if _, err := Initramfs(initrd, Options{Parser: "-", Script: Text("echo about to hang; sleep 1000\n")}); err != nil {
		t.Fatal(err)
	}
	// Long enough for TCG to reach init on a busy machine (about 2.5 s
	// idle), so the hang, not the boot, is what the deadline cuts.
	const deadline = 25 * time.Second
	t0 := time.Now()
	console, err := Boot(context.Background(), k, initrd, deadline)
	took := time.Since(t0)
	t.Logf("Boot returned after %v: %v", took.Round(time.Millisecond), err)
	var be *BootError
	if !errors.As(err, &be) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("want a BootError wrapping ErrTimeout, got %v", err)
	}
	if took > deadline+15*time.Second {
		t.Errorf("Boot took %v with a %v deadline", took, deadline)
	}
	if !strings.Contains(err.Error(), "about to hang") || !strings.Contains(console, "about to hang") {
		t.Errorf("the error should end with the guest's last console lines, got: %v", err)
	}
}

// AppArmor RuntimeDefault: rampart generates its container default
// profile, loads and attaches it; writing core_pattern is then the
// guards' to refuse, while /etc/shadow stays readable.
func TestLabRuntimeDefaultAppArmor(t *testing.T) {
	label := labSection(t, "default-label")
	if label.Status != 0 || strings.TrimSpace(label.Output) != "rampart-default (enforce)" {
		t.Fatalf("label: status %d, %q", label.Status, label.Output)
	}
	sec := labSection(t, "default-probe")
	if sec.Status != 0 {
		t.Fatalf("probe: status %d:\n%s", sec.Status, sec.Output)
	}
	var rep struct {
		Results []struct{ ID, Verdict, Layer, LSM, Evidence string }
	}
	if err := json.Unmarshal([]byte(sec.Output[strings.Index(sec.Output, "{"):]), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, sec.Output)
	}
	for _, r := range rep.Results {
		switch r.ID {
		case "core-pattern":
			if r.Verdict != "blocked" || r.Layer != "lsm" || r.LSM != "AppArmor" {
				t.Errorf("core-pattern: %s %s %s (%s), want blocked by lsm AppArmor", r.Verdict, r.Layer, r.LSM, r.Evidence)
			}
		case "read-shadow":
			if r.Verdict != "open" {
				t.Errorf("read-shadow: %s by %s (%s): the container default does not guard it", r.Verdict, r.Layer, r.Evidence)
			}
		}
	}
}

// ia32Check runs unshare(CLONE_NEWUSER|CLONE_NEWNET) through int 0x80
// without and with RuntimeDefault (CAP_SYS_ADMIN dropped, so the profile
// refuses it), then a launch under RuntimeDefault whose warning names
// the walk-around this kernel runs: i386 socketcall.
const ia32Check = `for b in compat32 compat64; do
  printf '%s open %s\n' $b "$(rampart run --cap-drop SYS_ADMIN -- /lab/$b int80)"
  printf '%s closed %s\n' $b "$(rampart run --cap-drop SYS_ADMIN --seccomp runtime-default -- /lab/$b int80)"
done
rampart run --cap-drop SYS_ADMIN --seccomp runtime-default -- true 2>&1
`

// On a kernel that runs i386 code, the filter sees int 0x80 calls with
// i386 numbers, from a 32-bit program and from a 64-bit one switching
// ABI, and refuses them as RuntimeDefault says (EPERM, printed as 1)
// where the kernel alone answers otherwise; and the launch warns of the
// i386 socketcall route past the profile's socket rules.
func TestLabIA32(t *testing.T) {
	sec := labSection(t, "ia32")
	t.Logf("the guest printed:\n%s", sec.Output)
	got := map[string]string{}
	for _, l := range strings.Split(sec.Output, "\n") {
		if f := strings.Fields(l); len(f) == 3 && strings.HasPrefix(f[0], "compat") {
			got[f[0]+" "+f[1]] = f[2]
		}
	}
	for _, b := range []string{"compat32", "compat64"} {
		open, closed := got[b+" open"], got[b+" closed"]
		if open == "" || open == "1" {
			t.Errorf("%s int80 without a filter: %q, want the kernel's own answer (not EPERM)", b, open)
		}
		if closed != "1" {
			t.Errorf("%s int80 under runtime-default: %q, want 1 (EPERM from the filter)", b, closed)
		}
	}
	if !strings.Contains(sec.Output, "socketcall") || !strings.Contains(sec.Output, "warning: seccomp") {
		t.Errorf("no warning of the i386 socketcall route under runtime-default:\n%s", sec.Output)
	}
}
