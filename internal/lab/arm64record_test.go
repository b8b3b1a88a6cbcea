//go:build linux

package lab

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// rampart record on Debian's arm64 kernel: each recorder records a small
// command, the recording names its AArch64 calls, and the seccomp profile
// generated from it lets the same command run under rampart run while
// refusing a call it never made. One boot of its own: the arm64 suite's
// boot spends most of its time in the seccomp differential.

// recordCmd reads a file with read(2) and prints it with write(2)
// (busybox cat would use sendfile).
const recordCmd = "/bin/busybox head -n1 /etc/hostname"

// recordWant are the calls recordCmd makes, by their AArch64 names.
var recordWant = []string{"execve", "openat", "read", "write", "exit_group"}

var recorders = []string{"ebpf", "ptrace", "auto"}

// armProg is an AArch32 program (GOARCH=arm, static): what a 32-bit
// process on an arm64 kernel asks for goes through the compat ABI
// ("arm"), which both recorders must tell from AArch64.
const armProg = `package main

import "os"

func main() {
	b, err := os.ReadFile("/etc/hostname")
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.Write(b)
}
`

// armProgPath is where the image has it.
const armProgPath = "/lab/hello-arm"

// buildARMProg builds armProg for linux/arm (ARMv7) into dir.
func buildARMProg(ctx context.Context, dir string) (string, error) {
	src := filepath.Join(dir, "hello.go")
	if err := os.WriteFile(src, []byte(armProg), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "hello-arm")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm", "GOARM=7", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("GOARCH=arm go build: %v\n%s", err, b)
	}
	return out, nil
}

type recordingJSON struct {
	Recorder string                       `json:"recorder"`
	Kernel   string                       `json:"kernel"`
	Duration time.Duration                `json:"duration"`
	ExitCode int                          `json:"exitCode"`
	Syscalls map[string]map[string]uint64 `json:"syscalls"`
	Files    []struct {
		Path string `json:"path"`
		Mode string `json:"mode"`
	} `json:"files"`
	Limits []string `json:"limits"`
}

func TestARM64Record(t *testing.T) {
	requireARM64Lab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	rampart := os.Getenv("RAMPART_BIN_ARM64")
	if rampart == "" {
		cc, err := CrossCC(ctx, &ARM64, "", testLog{t})
		if err != nil {
			t.Fatal(err)
		}
		rampart = filepath.Join(t.TempDir(), "rampart")
		if err := crossBuild(ctx, root, cc, append(append([]string{"build"}, staticFlags...), "-o", rampart, "./cmd/rampart")...); err != nil {
			t.Fatal(err)
		}
	}
	armBin, err := buildARMProg(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	build := time.Since(t0)

	var s Script
	s.Add("uname", "uname -m; uname -r; ls /sys/kernel/btf/vmlinux", 0)
	for _, r := range recorders {
		dir := "/tmp/rec-" + r
		s.Add("record-"+r, fmt.Sprintf("rampart record --recorder %s -o %s -- %s", r, dir, recordCmd), 5*time.Minute)
		s.Add("recording-"+r, "cat "+dir+"/recording.json", 0)
		s.Add("seccomp-"+r, "cat "+dir+"/seccomp.json", 0)
		s.Add("run-"+r, fmt.Sprintf("rampart run --seccomp %s/seccomp.json -- %s", dir, recordCmd), 2*time.Minute)
		// mkdirat is not in the recording: the filter must refuse it.
		s.Add("deny-"+r, fmt.Sprintf("rampart run --seccomp %s/seccomp.json -- /bin/busybox mkdir /tmp/denied-%s", dir, r), 2*time.Minute)
	}
	s.File(armProgPath, File{Host: armBin, Mode: 0o755})
	for _, r := range []string{"ebpf", "ptrace"} {
		dir := "/tmp/rec-arm-" + r
		s.Add("record-arm-"+r, fmt.Sprintf("rampart record --recorder %s -o %s -- %s", r, dir, armProgPath), 5*time.Minute)
		s.Add("recording-arm-"+r, "cat "+dir+"/recording.json", 0)
		s.Add("seccomp-arm-"+r, "cat "+dir+"/seccomp.json", 0)
		s.Add("run-arm-"+r, fmt.Sprintf("rampart run --seccomp %s/seccomp.json -- %s", dir, armProgPath), 2*time.Minute)
	}
	s.Add("mkdir-unconfined", "/bin/busybox mkdir /tmp/unconfined && echo made", 0)
	script, files := s.Build()
	l := &Lab{Arch: &ARM64, Rampart: rampart, Log: testLog{t}, Timeout: 20 * time.Minute}
	res, err := l.Run(ctx, script, files)
	t.Logf("arm64 record lab: kernel %s; times: cross build %v, kernel %v, initramfs %v, boot+checks %v",
		res.Kernel, build.Round(time.Millisecond), res.Times.Kernel.Round(time.Millisecond), res.Times.Initramfs.Round(time.Millisecond), res.Times.Boot.Round(time.Millisecond))
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, tail([]byte(res.Console), 40))
	}
	sec := func(t *testing.T, name string) Section {
		t.Helper()
		sc, ok := res.Section(name)
		if !ok {
			t.Fatalf("section %s did not finish:\n%s", name, sc.Output)
		}
		return sc
	}
	if u := sec(t, "uname"); !strings.HasPrefix(u.Output, "aarch64\n") || u.Status != 0 {
		t.Fatalf("the guest is not an aarch64 kernel with BTF: status %d:\n%s", u.Status, u.Output)
	}
	if mk := sec(t, "mkdir-unconfined"); mk.Status != 0 {
		t.Fatalf("busybox mkdir without a profile: status %d: %s", mk.Status, mk.Output)
	}

	var ebpfRan bool
	got := map[string]map[string]uint64{} // AArch64 calls by recorder
	for _, r := range recorders {
		t.Run(r, func(t *testing.T) {
			rs := sec(t, "record-"+r)
			t.Logf("rampart record --recorder %s (%v of guest time):\n%s", r, rs.Duration.Round(time.Millisecond), rs.Output)
			if rs.Status != 0 {
				t.Fatalf("rampart record --recorder %s: status %d", r, rs.Status)
			}
			if !strings.Contains(rs.Output, "rampart-lab") {
				t.Errorf("the recorded command's output (the guest's /etc/hostname) is missing")
			}
			var rec recordingJSON
			jsonOf(t, sec(t, "recording-"+r).Output, &rec)
			calls := rec.Syscalls["aarch64"]
			got[r] = calls
			t.Logf("recorder %s on %s: %d distinct AArch64 calls (%d calls) in %v: %s; ABIs %v; limits %q",
				rec.Recorder, rec.Kernel, len(calls), callCount(calls), rec.Duration.Round(time.Microsecond), strings.Join(recKeys(calls), " "), recKeys(rec.Syscalls), rec.Limits)
			switch {
			case r != "auto" && rec.Recorder != r:
				t.Errorf("recording.json names recorder %q, want %q", rec.Recorder, r)
			case r == "auto" && ebpfRan && rec.Recorder != "ebpf":
				t.Errorf("--recorder auto ran %q although ebpf works on this kernel", rec.Recorder)
			case r == "auto" && rec.Recorder != "ebpf" && rec.Recorder != "ptrace":
				t.Errorf("--recorder auto ran %q", rec.Recorder)
			}
			if r == "ebpf" {
				ebpfRan = true
			}
			for abi := range rec.Syscalls {
				if abi != "aarch64" {
					t.Errorf("calls recorded on ABI %q: %v (busybox is an AArch64 program)", abi, rec.Syscalls[abi])
				}
			}
			for _, c := range recordWant {
				if calls[c] == 0 {
					t.Errorf("the %s recorder did not see %s", rec.Recorder, c)
				}
			}
			for c := range calls {
				if strings.HasPrefix(c, "nr_") {
					t.Errorf("a call libseccomp's AArch64 table cannot name: %s", c)
				}
			}
			if !slices.ContainsFunc(rec.Files, func(f struct {
				Path string `json:"path"`
				Mode string `json:"mode"`
			}) bool {
				return f.Path == "/etc/hostname" && strings.Contains(f.Mode, "r")
			}) {
				t.Errorf("the recording has no read of /etc/hostname: %+v", rec.Files)
			}

			var prof struct {
				Architectures []string `json:"architectures"`
			}
			jsonOf(t, sec(t, "seccomp-"+r).Output, &prof)
			if len(prof.Architectures) == 0 || prof.Architectures[0] != "SCMP_ARCH_AARCH64" || slices.Contains(prof.Architectures, "SCMP_ARCH_X86_64") {
				t.Errorf("generated profile's architectures %v, want SCMP_ARCH_AARCH64 first and no x86", prof.Architectures)
			}
			run := sec(t, "run-"+r)
			t.Logf("rampart run --seccomp (generated) %s: status %d in %v: %q", recordCmd, run.Status, run.Duration.Round(time.Millisecond), strings.TrimSpace(run.Output))
			if run.Status != 0 || !strings.Contains(run.Output, "rampart-lab") {
				t.Errorf("the command under its generated profile: status %d:\n%s", run.Status, run.Output)
			}
			deny := sec(t, "deny-"+r)
			t.Logf("busybox mkdir under the profile: status %d: %q", deny.Status, strings.TrimSpace(deny.Output))
			if deny.Status == 0 || !strings.Contains(deny.Output, "Operation not permitted") {
				t.Errorf("mkdir, never recorded, under the generated profile: status %d, want EPERM:\n%s", deny.Status, deny.Output)
			}
		})
	}
	// Two recorders, one of them in the kernel and one outside it, must
	// count the same calls of a single-threaded program.
	if !maps.Equal(got["ebpf"], got["ptrace"]) {
		t.Errorf("the recorders disagree on %s:\nebpf   %v\nptrace %v", recordCmd, got["ebpf"], got["ptrace"])
	}

	for _, r := range []string{"ebpf", "ptrace"} {
		t.Run("arm-"+r, func(t *testing.T) {
			rs := sec(t, "record-arm-"+r)
			t.Logf("rampart record --recorder %s -- %s (AArch32, %v of guest time):\n%s", r, armProgPath, rs.Duration.Round(time.Millisecond), rs.Output)
			if rs.Status != 0 || !strings.Contains(rs.Output, "rampart-lab") {
				t.Fatalf("rampart record of the AArch32 program: status %d", rs.Status)
			}
			var rec recordingJSON
			jsonOf(t, sec(t, "recording-arm-"+r).Output, &rec)
			arm := rec.Syscalls["arm"]
			t.Logf("recorder %s: AArch32 calls %d distinct (%d calls): %s; AArch64 calls %v; limits %q",
				rec.Recorder, len(arm), callCount(arm), strings.Join(recKeys(arm), " "), rec.Syscalls["aarch64"], rec.Limits)
			for _, c := range []string{"openat", "read", "write", "exit_group"} {
				if arm[c] == 0 {
					t.Errorf("the %s recorder did not see the AArch32 %s", r, c)
				}
			}
			for c := range arm {
				if strings.HasPrefix(c, "nr_") {
					t.Errorf("an AArch32 call libseccomp's arm table cannot name: %s", c)
				}
			}
			// rampart's own execve of CMD is the only AArch64 call.
			if a64 := rec.Syscalls["aarch64"]; len(a64) != 1 || a64["execve"] != 1 {
				t.Errorf("AArch64 calls %v, want only the execve of CMD", a64)
			}
			var prof struct {
				Architectures []string `json:"architectures"`
			}
			jsonOf(t, sec(t, "seccomp-arm-"+r).Output, &prof)
			if !slices.Equal(prof.Architectures, []string{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}) {
				t.Errorf("generated profile's architectures %v, want AArch64 and ARM", prof.Architectures)
			}
			run := sec(t, "run-arm-"+r)
			t.Logf("rampart run --seccomp (generated) %s: status %d in %v: %q", armProgPath, run.Status, run.Duration.Round(time.Millisecond), strings.TrimSpace(run.Output))
			if run.Status != 0 || !strings.Contains(run.Output, "rampart-lab") {
				t.Errorf("the AArch32 program under its generated profile: status %d:\n%s", run.Status, run.Output)
			}
		})
	}
}

func callCount(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

func recKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
