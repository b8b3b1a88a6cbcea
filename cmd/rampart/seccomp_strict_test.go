//go:build linux

package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// A profile that would silently not hold, or would kill the workload
// before it starts or as it ends, is a refused layer: exit 125, the
// layer, the file and the reason, and CMD never runs.
func TestSeccompProfileRefused(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	dir := t.TempDir()
	for _, c := range []struct{ name, body, msg string }{
		// The rule would vanish: unshare -U would run.
		{"unknown-arch", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["unshare"],"action":"SCMP_ACT_ERRNO","includes":{"arches":["x86_64"]}}]}`,
			`unknown-arch.json:1:116: syscalls[0].includes.arches[0]: unknown architecture "x86_64"`},
		{"cap-spelling", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["unshare"],"action":"SCMP_ACT_ERRNO","excludes":{"caps":["SYS_ADMIN"]}}]}`,
			`cap-spelling.json:1:114: syscalls[0].excludes.caps[0]: "SYS_ADMIN": write it "CAP_SYS_ADMIN"`},
		// The last of two keys would win: allow-by-default.
		{"duplicate-key", "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\n\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}],\n\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
			`duplicate-key.json:3:1: defaultAction: key "defaultAction" written twice (first at 1:2)`},
		{"case-variant", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}],"DefaultAction":"SCMP_ACT_ALLOW"}`,
			`case-variant.json:1:93: DefaultAction: key "DefaultAction" differs from "defaultAction" only in case`},
		{"empty", "", `empty.json: the file is empty`},
		// CMD would die as it starts (exit 126 or 159) or ends (139, 159).
		{"deny-execve", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve"],"action":"SCMP_ACT_KILL_PROCESS"}]}`,
			`deny-execve.json: the profile refuses execve (SCMP_ACT_KILL_PROCESS on x86_64), so CMD can never start`},
		{"execve-by-default", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","close","pread64","exit_group"],"action":"SCMP_ACT_ALLOW"}]}`,
			`execve-by-default.json: the profile refuses execve (SCMP_ACT_ERRNO(EPERM) on x86_64), so CMD can never start`},
		{"kill-exit-group", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["exit_group"],"action":"SCMP_ACT_KILL_PROCESS"}]}`,
			`kill-exit-group.json: the profile refuses exit_group (SCMP_ACT_KILL_PROCESS on x86_64), so CMD cannot end but by a signal`},
		{"deny-both-exits", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["exit_group","exit"],"action":"SCMP_ACT_ERRNO"}]}`,
			`deny-both-exits.json: the profile refuses exit_group (SCMP_ACT_ERRNO(EPERM) on x86_64) and exit, its fallback (SCMP_ACT_ERRNO(EPERM)), so CMD cannot end but by a signal`},
		{"kill-verify-read", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["pread64"],"action":"SCMP_ACT_KILL_PROCESS"}]}`,
			`kill-verify-read.json: the profile refuses pread64 (SCMP_ACT_KILL_PROCESS on x86_64), which rampart needs after loading the filter`},
		// Two rules that answer differently for one call: libseccomp keeps
		// the unconditional one, and a packet socket would be made.
		{"overlapping-rules", "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[\n{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_LOG\"},\n" +
			`{"names":["socket"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":17,"op":"SCMP_CMP_EQ"}]}]}`,
			`overlapping-rules.json:3:1: syscalls[1]: the rules at ` + "DIR/" + `overlapping-rules.json:2 (socket SCMP_ACT_LOG) and DIR/overlapping-rules.json:3 (socket SCMP_ACT_ERRNO(EPERM) when arg0 == 0x11) both match x86_64 socket(0x11, 0x0, 0x0) with different actions`},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, c.name+".json")
			os.WriteFile(file, []byte(c.body), 0o644)
			marker := filepath.Join(dir, c.name+".ran")
			r := rampart(t, "", argv([]string{"--seccomp", file}, []string{"sh", "-c", "touch " + marker})...)
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("the command ran (exit %d); stderr: %s", r.code, r.stderr)
			}
			if r.code != exitRefused {
				t.Fatalf("exit %d (signal %v), want %d; stderr: %s", r.code, r.signal, exitRefused, r.stderr)
			}
			if want := "rampart: seccomp: " + filepath.Join(dir, strings.ReplaceAll(c.msg, "DIR/", dir+"/")); !strings.HasPrefix(r.stderr, want) {
				t.Fatalf("stderr %q\nwant     %q…", r.stderr, want)
			}
		})
	}
}

// buildNrcall compiles the raw-syscall helper.
func buildNrcall(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "nrcall")
	if out, err := exec.Command("gcc", "-O1", "-static", "-o", bin, "testdata/nrcall.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// A deny rule on a syscall newer than the linked libseccomp holds in the
// kernel: rampart installs it by number, from the cache (in front of the
// engine's program) and compiled in place (as a filter of its own).
func TestSeccompDenyNewerSyscallHolds(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	nrcall := buildNrcall(t)
	profile := filepath.Join(t.TempDir(), "deny-newer.json")
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW",
  "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
  "syscalls":[{"names":["mseal","statmount"],"action":"SCMP_ACT_ERRNO","errnoRet":77}]}`), 0o644)
	const mseal, statmount = "462", "457"
	for _, nr := range []string{mseal, statmount} {
		if open := rampart(t, "", argv([]string{"--seccomp", "unconfined"}, []string{nrcall, nr})...); open.code != 0 || open.stdout == "77\n" {
			t.Fatalf("nr %s unconfined: exit %d, errno %q: the test proves nothing", nr, open.code, open.stdout)
		}
	}
	// seccomp show prints the profile for a runtime to load: the denies
	// rampart installs by number stay in it.
	show := rampart(t, "", "seccomp", "show", profile)
	var shown specs.LinuxSeccomp
	if err := json.Unmarshal([]byte(show.stdout), &shown); err != nil {
		t.Fatalf("seccomp show: %v\n%s%s", err, show.stdout, show.stderr)
	}
	for _, name := range []string{"mseal", "statmount"} {
		if !slices.ContainsFunc(shown.Syscalls, func(sc specs.LinuxSyscall) bool {
			return slices.Contains(sc.Names, name) && sc.Action == specs.ActErrno && sc.ErrnoRet != nil && *sc.ErrnoRet == 77
		}) {
			t.Errorf("seccomp show lost the deny on %s:\n%s", name, show.stdout)
		}
	}
	cache := t.TempDir()
	for _, env := range []string{"RAMPART_SECCOMP_CACHE=on", "RAMPART_SECCOMP_CACHE=off"} {
		for _, nr := range []string{mseal, statmount} {
			t.Run(env+"/"+nr, func(t *testing.T) {
				cmd := exec.Command(os.Args[0], argv([]string{"-v", "--seccomp", profile}, []string{nrcall, nr})...)
				cmd.Env = append(os.Environ(), asRampart+"=1", "RAMPART_CACHE_DIR="+cache, env)
				var out, errb strings.Builder
				cmd.Stdout, cmd.Stderr = &out, &errb
				if err := cmd.Run(); err != nil {
					t.Fatalf("%v: %s", err, errb.String())
				}
				if out.String() != "77\n" {
					t.Fatalf("errno %q, want 77 from the filter; stderr: %s", out.String(), errb.String())
				}
				if !strings.Contains(errb.String(), "rampart installs the profile's rules on them by number") {
					t.Fatalf("-v does not say so: %s", errb.String())
				}
				filters := "Seccomp_filters=1"
				if strings.HasSuffix(env, "off") {
					filters = "Seccomp_filters=2"
				}
				if !strings.Contains(errb.String(), filters) {
					t.Fatalf("want %s: %s", filters, errb.String())
				}
			})
		}
	}
}

// A profile that denies seccomp(2) and a syscall newer than libseccomp,
// compiled at launch: the rules installed by number are a filter of
// their own, loaded before the engine's one refuses seccomp(2).
func TestSeccompDenyNewerAndSeccomp(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	nrcall := buildNrcall(t)
	profile := filepath.Join(t.TempDir(), "deny-newer-seccomp.json")
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
  "syscalls":[{"names":["mseal","seccomp"],"action":"SCMP_ACT_ERRNO","errnoRet":77}]}`), 0o644)
	cmd := exec.Command(os.Args[0], argv([]string{"--seccomp", profile}, []string{nrcall, "462"})...)
	cmd.Env = append(os.Environ(), asRampart+"=1", "RAMPART_CACHE_DIR="+t.TempDir(), "RAMPART_SECCOMP_CACHE=off")
	out, err := cmd.Output()
	if err != nil || string(out) != "77\n" {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("mseal under the profile: %v, errno %q, want 77; %s", err, out, stderr)
	}
}

// A cache entry planted under the right name, with the right owner and
// digest, but an allow-all program, is not loaded: -v says the entry
// fails the check, the launch compiles again, and the kernel refuses what
// the profile denies.
func TestSeccompForgedCacheEntryNotLoaded(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	cache := t.TempDir()
	profile, _ := filepath.Abs("../../seccomp/testdata/deny-unshare.json")
	launch := func(cmdline ...string) (string, string, int) {
		cmd := exec.Command(os.Args[0], argv([]string{"-v", "--seccomp", profile}, cmdline)...)
		cmd.Env = append(os.Environ(), asRampart+"=1", "RAMPART_CACHE_DIR="+cache)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.Run()
		return out.String(), errb.String(), cmd.ProcessState.ExitCode()
	}
	if _, stderr, code := launch("true"); code != 0 {
		t.Fatalf("first launch: %d %s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "seccomp", "*.bpf"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	// Overwrite every instruction with "ret ALLOW", header untouched: an
	// entry ends with the instruction count and the instructions.
	b, _ := os.ReadFile(files[0])
	count := 0
	for n := 1; 8*n+4 <= len(b); n++ {
		if int(binary.LittleEndian.Uint32(b[len(b)-8*n-4:])) == n {
			count = n
			break
		}
	}
	if count < 2 {
		t.Fatalf("cannot find the instructions of %s", files[0])
	}
	allow := seccomp.Bytes([]unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: bpf.RetAllow}})
	for i := 0; i < count; i++ {
		copy(b[len(b)-8*(count-i):], allow)
	}
	os.WriteFile(files[0], b, 0o600)

	stdout, stderr, code := launch("sh", "-c", "unshare -U true && echo unshared")
	if strings.Contains(stdout, "unshared") || code == 0 {
		t.Fatalf("unshare ran under the planted entry (exit %d): %s", code, stderr)
	}
	if !strings.Contains(stderr, "seccomp cache: ") || !strings.Contains(stderr, "compiled again") {
		t.Fatalf("-v does not say why the entry was not used: %s", stderr)
	}
	if strings.Contains(stderr, " 1 BPF instructions") {
		t.Fatalf("the planted program was loaded: %s", stderr)
	}
}

// A profile libseccomp 2.5.4 compiles wrong is refused, whether the
// launch compiles it ahead or at exec time: its filter lets setns(0, 10)
// run, which the second rule denies (on today's kernel the call then
// fails with EINVAL instead of the rule's EPERM: the deny does not hold).
func TestSeccompMiscompiledFilterRefused(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	nrcall := buildNrcall(t)
	dir := t.TempDir()
	profile := filepath.Join(dir, "setns.json")
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
 {"names":["setns"],"action":"SCMP_ACT_ERRNO","args":[{"index":2,"value":1073741842,"valueTwo":1073741842,"op":"SCMP_CMP_MASKED_EQ"},{"index":1,"value":1073741824,"op":"SCMP_CMP_LE"}]},
 {"names":["setns"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":18446744073709551615,"valueTwo":32769,"op":"SCMP_CMP_MASKED_EQ"},{"index":1,"value":10,"op":"SCMP_CMP_GE"}]}]}`), 0o644)
	for _, cache := range []string{"on", "off"} {
		t.Run("cache-"+cache, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], argv([]string{"--seccomp", profile}, []string{nrcall, "308", "0", "10"})...)
			cmd.Env = append(os.Environ(), "RAMPART_CACHE_DIR="+t.TempDir(), "RAMPART_SECCOMP_CACHE="+cache)
			r := runAsRampart(t, cmd)
			if r.code != exitRefused {
				t.Fatalf("exit %d, setns(0, 10) errno %q, want refused (125); stderr: %s", r.code, r.stdout, r.stderr)
			}
			if want := "rampart: seccomp: seccomp profile " + profile + ": the compiled filter does not do what the profile says: the program answers setns("; !strings.HasPrefix(r.stderr, want) {
				t.Fatalf("stderr %q\nwant     %q…", r.stderr, want)
			}
		})
	}
}
