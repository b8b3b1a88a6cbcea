//go:build linux

package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp"
)

// The arm64 lab: Debian 12's arm64 kernel (AppArmor built in and on)
// under qemu-system-aarch64, with an arm64 busybox, apparmor_parser and a
// static linux/arm64 rampart built with cgo and libseccomp, all from one
// boot: `make lab-arm64`.

// requireARM64Lab skips unless RAMPART_LAB_ARM64=1 and root.
func requireARM64Lab(t *testing.T) {
	t.Helper()
	requireLabOf(t, "RAMPART_LAB_ARM64", "the arm64 lab (qemu-system-aarch64 + Debian's arm64 kernel)", "make lab-arm64", "Debian's arm64 packages")
}

// crossEnv is the environment of a static linux/arm64 build with cgo and
// libseccomp: Debian's cross compiler (CrossCC) and libseccomp-dev:arm64
// (scripts/deps.sh lab-arm64).
func crossEnv(cc string) []string {
	return append(os.Environ(), "CGO_ENABLED=1", "GOOS=linux", "GOARCH=arm64",
		"CC="+cc, "PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig")
}

// staticFlags are the Makefile's STATIC flags (without the version stamp).
var staticFlags = []string{"-tags", "seccomp osusergo netgo", "-ldflags", `-s -w -linkmode external -extldflags "-static"`}

// crossBuild runs go with args (build or test -c) for linux/arm64 in the
// module root.
func crossBuild(ctx context.Context, root, cc string, args ...string) error {
	if _, err := os.Stat("/usr/lib/aarch64-linux-gnu/pkgconfig/libseccomp.pc"); err != nil {
		return fmt.Errorf("libseccomp for arm64 not found: install Debian package libseccomp-dev:arm64 (scripts/deps.sh lab-arm64)")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = crossEnv(cc)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("GOARCH=arm64 go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// The seccomp package's test binary runs its kernel differential in the
// guest from this directory, with the test data it reads.
const arm64SeccompDir = "/lab/seccomp"

var (
	arm64Once  sync.Once
	arm64Res   Result
	arm64Err   error
	arm64Times string
)

// arm64Suite boots the arm64 lab once for all its tests.
func arm64Suite(t *testing.T) Result {
	t.Helper()
	requireARM64Lab(t)
	arm64Once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
		defer cancel()
		root, err := ModuleRoot()
		if err != nil {
			arm64Err = err
			return
		}
		dir := t.TempDir()
		t0 := time.Now()
		cc, err := CrossCC(ctx, &ARM64, "", testLog{t})
		if err != nil {
			arm64Err = err
			return
		}
		rampart := os.Getenv("RAMPART_BIN_ARM64")
		if rampart == "" {
			rampart = filepath.Join(dir, "rampart")
			if arm64Err = crossBuild(ctx, root, cc, append(append([]string{"build"}, staticFlags...), "-o", rampart, "./cmd/rampart")...); arm64Err != nil {
				return
			}
		}
		test := filepath.Join(dir, "seccomp.test")
		if arm64Err = crossBuild(ctx, root, cc, append(append([]string{"test", "-c"}, staticFlags...), "-o", test, "./seccomp/")...); arm64Err != nil {
			return
		}
		build := time.Since(t0)

		var s Script
		s.File(seedProfile, HostFile(filepath.Join(root, "examples", "seed", "flask-deny-shadow")))
		s.Add("boot", `cat /sys/kernel/security/lsm; echo
cat /sys/module/apparmor/parameters/enabled
uname -m
uname -r
grep -c ^processor /proc/cpuinfo`, 0)
		// the embedded default: the seed's workload, every attack path
		s.Add("layers", "rampart layers -o json", 5*time.Minute)
		// the seed's capability and AppArmor layers without its seccomp
		// profile
		s.Add("run-shadow", runSeed+"cat /etc/shadow", 60*time.Second)
		// the kernel differential, as root, in the directory whose
		// testdata/ it reads
		s.File(arm64SeccompDir+"/seccomp.test", File{Host: test, Mode: 0o755})
		kd, _ := filepath.Glob(filepath.Join(root, "seccomp", "testdata", "kernel_diff_*.json"))
		for _, f := range kd {
			s.File(arm64SeccompDir+"/testdata/"+filepath.Base(f), HostFile(f))
		}
		// Podman's and CRI-O's profile, from the host's
		// golang-github-containers-common (scripts/deps.sh lab-arm64)
		const containers = "/usr/share/containers/seccomp.json"
		s.File(containers, HostFile(containers))
		s.Add("kernel-diff", "cd "+arm64SeccompDir+" && ./seccomp.test -test.run '^TestKernelDiff$' -test.v -test.count=1 -test.timeout 15m", 16*time.Minute)
		// the runtimes' reader (moby/profiles) deciding each RuntimeDefault
		// on arm64, against rampart's resolution for arm64
		rd, _ := filepath.Glob(filepath.Join(root, "runtimes", "seccomp", "*.json"))
		for _, f := range rd {
			s.File("/lab/runtimes/seccomp/"+filepath.Base(f), HostFile(f))
		}
		s.Add("resolve", "cd "+arm64SeccompDir+" && ./seccomp.test -test.run '^TestResolveIsMobys$' -test.v -test.count=1", 2*time.Minute)
		// the programs runc's engine builds here, natively, by digest
		s.Add("export", "cd "+arm64SeccompDir+" && RAMPART_SECCOMP_EXPORT=/tmp/export.json ./seccomp.test && cat /tmp/export.json && echo", 5*time.Minute)
		script, files := s.Build()
		l := &Lab{Arch: &ARM64, Rampart: rampart, Log: testLog{t}, Timeout: 20 * time.Minute}
		arm64Res, arm64Err = l.Run(ctx, script, files)
		arm64Times = fmt.Sprintf("arm64 lab: kernel %s; times: cross builds %v, kernel %v, initramfs %v, boot+checks %v",
			arm64Res.Kernel, build.Round(time.Millisecond), arm64Res.Times.Kernel.Round(time.Millisecond), arm64Res.Times.Initramfs.Round(time.Millisecond), arm64Res.Times.Boot.Round(time.Millisecond))
	})
	if arm64Times != "" {
		t.Log(arm64Times)
	}
	if arm64Err != nil {
		t.Fatal(arm64Err)
	}
	return arm64Res
}

func arm64Section(t *testing.T, name string) Section {
	t.Helper()
	res := arm64Suite(t)
	sec, ok := res.Section(name)
	if !ok {
		t.Fatalf("section %s did not finish:\n%s", name, sec.Output)
	}
	t.Logf("section %s: %v of guest time", name, sec.Duration.Round(time.Millisecond))
	return sec
}

var kernelBoot = regexp.MustCompile(`\[\s*([0-9.]+)\] Run /init as init process`)

func TestARM64Boot(t *testing.T) {
	sec := arm64Section(t, "boot")
	lines := strings.Fields(sec.Output)
	if len(lines) < 5 {
		t.Fatalf("boot section: %q", sec.Output)
	}
	if !strings.Contains(lines[0], "apparmor") || lines[1] != "Y" {
		t.Errorf("AppArmor is not active in the arm64 guest: lsm %q, enabled %q", lines[0], lines[1])
	}
	if lines[2] != "aarch64" || !strings.HasSuffix(lines[3], "-arm64") {
		t.Errorf("the guest is %s, kernel %s; want aarch64 and Debian's arm64 kernel", lines[2], lines[3])
	}
	if m := kernelBoot.FindStringSubmatch(arm64Res.Console); m != nil {
		s, _ := strconv.ParseFloat(m[1], 64)
		t.Logf("the arm64 kernel reached /init after %.1f s of guest time", s)
	}
}

// layersWant is a row's expected end: the step that closed it ("" for
// none), the layer, and at +lsm the LSM.
type layersWant struct{ at, by, lsm string }

// seedWant is the seed's progression: each layer closes its own path.
var seedWant = map[string]layersWant{
	"raw-socket":   {"+capabilities", "capabilities", ""},
	"userns-netns": {"+seccomp", "seccomp", ""},
	"read-shadow":  {"+lsm", "lsm", "AppArmor"},
}

func TestARM64Layers(t *testing.T) {
	sec := arm64Section(t, "layers")
	if sec.Status != 0 {
		t.Fatalf("rampart layers: status %d:\n%s", sec.Status, sec.Output)
	}
	checkLayers(t, sec.Output, seedWant)
}

func checkLayers(t *testing.T, out string, want map[string]layersWant) {
	t.Helper()
	var rep struct {
		Rows []struct {
			ID       string        `json:"id"`
			Cells    []probeResult `json:"cells"`
			ClosedAt string        `json:"closedAt"`
			ClosedBy string        `json:"closedBy"`
		} `json:"rows"`
		Notes []string `json:"notes"`
	}
	jsonOf(t, out, &rep)
	for _, n := range rep.Notes {
		t.Logf("note: %s", n)
		if strings.Contains(n, "Landlock") {
			t.Errorf("layers note mentions Landlock on a kernel with AppArmor: %s", n)
		}
	}
	seen := 0
	for _, row := range rep.Rows {
		var cells []string
		for _, c := range row.Cells {
			cells = append(cells, c.Verdict)
		}
		t.Logf("%-22s %-40s closed at %q by %q", row.ID, strings.Join(cells, " "), row.ClosedAt, row.ClosedBy)
		w, ok := want[row.ID]
		if !ok {
			continue
		}
		seen++
		if row.ClosedAt != w.at || row.ClosedBy != w.by {
			t.Errorf("%s: closed at %q by %q, want at %q by %q", row.ID, row.ClosedAt, row.ClosedBy, w.at, w.by)
		}
		if len(row.Cells) == 0 || row.Cells[0].Verdict == "blocked" {
			t.Errorf("%s: the baseline does not leave it open: %+v", row.ID, row.Cells)
		}
		if w.lsm != "" && len(row.Cells) > 0 {
			if last := row.Cells[len(row.Cells)-1]; last.LSM != w.lsm {
				t.Errorf("%s at +lsm: lsm %q (%s), want %s", row.ID, last.LSM, last.Evidence, w.lsm)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("layers JSON has %d of the %d rows asked for", seen, len(want))
	}
}

func TestARM64RunAppArmor(t *testing.T) {
	sec := arm64Section(t, "run-shadow")
	if sec.Status == 0 || !strings.Contains(sec.Output, "Permission denied") {
		t.Errorf("cat /etc/shadow under the seed's profile: status %d, %q; want Permission denied", sec.Status, sec.Output)
	}
}

var kdSummary = regexp.MustCompile(`(\d+) calls compared across (\d+) profiles`)

func TestARM64SeccompKernelDiff(t *testing.T) {
	sec := arm64Section(t, "kernel-diff")
	t.Log(sec.Output)
	if sec.Status != 0 || !strings.Contains(sec.Output, "--- PASS: TestKernelDiff ") {
		t.Fatalf("seccomp's TestKernelDiff in the arm64 guest: status %d", sec.Status)
	}
	m := kdSummary.FindStringSubmatch(sec.Output)
	if m == nil {
		t.Fatal("no summary line from TestKernelDiff")
	}
	if n, _ := strconv.Atoi(m[1]); n < 100000 {
		t.Errorf("%d calls compared, want at least 100000", n)
	}
	if !strings.Contains(sec.Output, "aarch64") {
		t.Errorf("TestKernelDiff did not say it compared AArch64 calls")
	}
}

// A filter compiled on amd64 for an arm64 node (audit --arch arm64,
// seccomp explain --arch aarch64) is the one arm64 builds: every
// runtime's RuntimeDefault, exported by runc's engine's calls to
// libseccomp in the arm64 guest, has the digest of the program this
// machine compiles for seccomp.ARM64.
func TestARM64ForeignCompile(t *testing.T) {
	sec := arm64Section(t, "export")
	if sec.Status != 0 {
		t.Fatalf("the export in the arm64 guest: status %d:\n%s", sec.Status, sec.Output)
	}
	var native map[string]seccomp.ProgramDigest
	jsonOf(t, sec.Output, &native)
	if len(native) < 2*len(seccomp.Runtimes) {
		t.Fatalf("%d programs exported: %v", len(native), native)
	}
	for _, rt := range seccomp.Runtimes {
		r, err := runtimes.Lookup(rt, "")
		if err != nil {
			t.Fatal(err)
		}
		d := &seccomp.RuntimeDefault{Seccomp: r.Seccomp}
		for name, bounding := range map[string]caps.Set{rt: r.Caps, rt + "+SYS_ADMIN": r.Caps | caps.Of(caps.SYS_ADMIN)} {
			p, err := d.LoadOn(seccomp.ARM64, bounding)
			if err != nil {
				t.Fatal(err)
			}
			prog, err := seccomp.EngineProgram(p, true)
			if err != nil {
				t.Fatal(err)
			}
			if here := seccomp.DigestProgram(prog); here != native[name] {
				t.Errorf("%s: compiled here for arm64 %+v; on arm64 %+v", name, here, native[name])
			} else {
				t.Logf("%s: %d instructions, the same program", name, here.Len)
			}
		}
	}
}

// The runtimes' profile reader, run on arm64, resolves every runtime's
// RuntimeDefault as rampart resolves it for seccomp.ARM64 (the seccomp
// package's TestResolveIsMobys, natively in the guest).
func TestARM64Resolve(t *testing.T) {
	sec := arm64Section(t, "resolve")
	t.Log(sec.Output)
	if sec.Status != 0 || !strings.Contains(sec.Output, "--- PASS: TestResolveIsMobys") {
		t.Fatalf("TestResolveIsMobys in the arm64 guest: status %d", sec.Status)
	}
}
