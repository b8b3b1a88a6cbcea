//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/seccomp"
)

// A profile refusing raw sockets with `arg1 == SOCK_RAW` is installed
// with a warning that names the rule and a variant that passes; the
// kernel then makes that variant's socket while refusing the plain call;
// --strict-profile refuses the launch instead.
func TestRunWarnsOfProfileVariants(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	dir := t.TempDir()
	t.Setenv("RAMPART_CACHE_DIR", filepath.Join(dir, "cache"))
	helper := sockVariant(t, dir)
	profile := filepath.Join(dir, "raw.json")
	if err := os.WriteFile(profile, []byte(`{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["socket"], "action": "SCMP_ACT_ERRNO",
     "args": [{"index": 1, "value": 3, "op": "SCMP_CMP_EQ"}]}
  ]
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	const eperm = "1\n"
	sock := func(flags []string, abi, family, typ, proto string) result {
		t.Helper()
		r := rampart(t, "", argv(flags, []string{helper, abi, family, typ, proto})...)
		if r.code != 0 {
			t.Fatalf("%v %s %s %s %s: exit %d: %s", flags, abi, family, typ, proto, r.code, r.stderr)
		}
		return r
	}
	// Without the filter the kernel makes every one of these sockets.
	for _, typ := range []string{"3", "0x80003", "0x100000003"} {
		if r := sock([]string{"--cap-drop", "SYS_ADMIN"}, "sys64", "2", typ, "1"); r.stdout != "fd\n" {
			t.Fatalf("unconfined socket(AF_INET, %s, IPPROTO_ICMP): %q; the test proves nothing", typ, r.stdout)
		}
	}
	prof := []string{"--seccomp", profile}

	// (a) the warning: the rule, its place, a variant that passes
	r := sock(prof, "sys64", "2", "3", "1")
	want := "rampart: warning: seccomp " + profile + ":5: socket SCMP_ACT_ERRNO(EPERM) when arg1 == 0x3 does not hold: x86_64 socket(0x0, 0x80003, 0x0) gets SCMP_ACT_ALLOW (SOCK_CLOEXEC added to arg1"
	if !strings.Contains(r.stderr, want) || strings.Count(r.stderr, "warning:") != 1 {
		t.Errorf("stderr %q\nwant one warning: %q", r.stderr, want)
	}
	// (b) the kernel: the rule's own call refused, the variants made
	if r.stdout != eperm {
		t.Errorf("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) under the profile: %q, want EPERM", r.stdout)
	}
	for _, typ := range []string{"0x80003", "0x803", "0x100000003"} { // SOCK_CLOEXEC, SOCK_NONBLOCK, bit 32
		if r := sock(prof, "sys64", "2", typ, "1"); r.stdout != "fd\n" {
			t.Errorf("socket(AF_INET, %s, IPPROTO_ICMP) under the profile: %q, want a socket, as the warning says", typ, r.stdout)
		}
	}
	if abis, _ := seccomp.KernelABIs(); abis["x86"] {
		for _, c := range [][]string{{"int80", "0x80003"}, {"socketcall", "3"}} {
			if r := sock(prof, c[0], "2", c[1], "1"); r.stdout != "fd\n" {
				t.Errorf("i386 %s(AF_INET, %s, IPPROTO_ICMP) under the profile: %q, want a socket", c[0], c[1], r.stdout)
			}
		}
	} else {
		t.Log("this kernel runs no i386 calls: the i386 variants are listed under -v as holding here")
	}
	// -v lists every variant
	r = rampart(t, "", argv(append([]string{"-v"}, prof...), []string{"true"})...)
	for _, w := range []string{"x86_64 socket(0x0, 0x100000003, 0x0) gets SCMP_ACT_ALLOW", "x86 socketcall(1, &args) gets SCMP_ACT_ALLOW", "x86_64 io_uring_setup(0x8, 0x10000, 0x0) + x86_64 io_uring_enter("} {
		if !strings.Contains(r.stderr, "rampart: seccomp variant: "+profile+":5: "+w) {
			t.Errorf("-v lacks %q:\n%s", w, r.stderr)
		}
	}

	// (c) --strict-profile: 125, CMD never runs
	marker := filepath.Join(dir, "ran")
	r = rampart(t, "", argv(append([]string{"--strict-profile"}, prof...), []string{"touch", marker})...)
	if r.code != exitRefused {
		t.Errorf("--strict-profile: exit %d, want %d: %s", r.code, exitRefused, r.stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("--strict-profile: CMD ran")
	}
	if !strings.Contains(r.stderr, "rampart: seccomp: --strict-profile: 1 deny rule(s) of "+profile+" do not hold against variants of the same call: "+profile+":5: socket") {
		t.Errorf("--strict-profile: stderr %q", r.stderr)
	}
}

// containerd 2.2.1's RuntimeDefault allows socket when arg0 != AF_VSOCK,
// a 64-bit comparison of an int: AF_VSOCK with bit 32 set passes it, and
// the kernel makes the socket (or, without vsock, answers as the family
// does: not the filter's EPERM).
func TestRunWarnsOfContainerdFamilyHighBits(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	dir := t.TempDir()
	t.Setenv("RAMPART_CACHE_DIR", filepath.Join(dir, "cache"))
	helper := sockVariant(t, dir)
	prof := []string{"--seccomp", "../../runtimes/seccomp/containerd-2.2.1.json"}
	r := rampart(t, "", argv(prof, []string{helper, "sys64", "40", "1", "0"})...)
	if r.code != 0 || r.stdout != "1\n" {
		t.Fatalf("socket(AF_VSOCK): exit %d, %q, want EPERM: %s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "socket SCMP_ACT_ERRNO(EPERM) unless arg0 != 0x28 does not hold: x86_64 socket(0x100000028, 0x0, 0x0) gets SCMP_ACT_ALLOW") {
		t.Errorf("no warning: %s", r.stderr)
	}
	r = rampart(t, "", argv(prof, []string{helper, "sys64", "0x100000028", "1", "0"})...)
	if r.code != 0 || r.stdout == "1\n" {
		t.Errorf("socket(AF_VSOCK | 1<<32): exit %d, %q: the filter refused it", r.code, r.stdout)
	}
	t.Logf("socket(AF_VSOCK | 1<<32) under containerd 2.2.1's profile: %s", strings.TrimSpace(r.stdout))
}

// sockVariant builds testdata/sockvariant.c, the program that makes one
// socket call as told, into dir.
func sockVariant(t *testing.T, dir string) string {
	t.Helper()
	helper := filepath.Join(dir, "sockvariant")
	if out, err := exec.Command("gcc", "-O1", "-static", "-o", helper, "testdata/sockvariant.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return helper
}
