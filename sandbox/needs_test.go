//go:build linux && cgo && seccomp

package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/policy"
)

// CMD's ABI is read from its ELF header: a 32-bit program is decided on
// the i386 filter, whether or not this kernel can run it.
func TestCmdArchAndItsExit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("compiling a filter needs root here")
	}
	dir := t.TempDir()
	bin32, bin64 := filepath.Join(dir, "prog32"), filepath.Join(dir, "prog64")
	src := filepath.Join("..", "cmd", "rampart", "testdata", "compat.c")
	if out, err := exec.Command("gcc", "-m32", "-O1", "-static", "-o", bin32, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc -m32 (Debian gcc-multilib): %v\n%s", err, out)
	}
	if out, err := exec.Command("gcc", "-O1", "-static", "-o", bin64, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	script := filepath.Join(dir, "script")
	os.WriteFile(script, []byte("#!/bin/sh\ntrue\n"), 0o755)
	for path, want := range map[string]string{bin32: "x86", bin64: "x86_64", script: "x86_64", "/nonexistent": "x86_64"} {
		if got := cmdArch(path).Name; got != want {
			t.Errorf("%s: %s, want %s", filepath.Base(path), got, want)
		}
	}

	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	profile := func(body string) *policy.Policy {
		f := filepath.Join(dir, "p.json")
		os.WriteFile(f, []byte(body), 0o644)
		return &policy.Policy{Seccomp: policy.Seccomp{Kind: policy.SeccompFile, Path: f}}
	}
	// A profile for x86_64 alone refuses the i386 ABI whole: said, not
	// refused (the kernel kills CMD at its first call).
	pl, err := Prepare(profile(`{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["unshare"],"action":"SCMP_ACT_ERRNO"}]}`), []string{bin32}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pl.Close()
	if len(pl.Notes) != 1 || !strings.Contains(pl.Notes[0], "makes x86 system calls, an ABI the seccomp profile does not cover") {
		t.Errorf("notes %q", pl.Notes)
	}
	// One that covers it is held to exit_group there.
	_, err = Prepare(profile(`{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[{"names":["exit_group","exit"],"action":"SCMP_ACT_ERRNO"},{"names":["execve"],"action":"SCMP_ACT_ALLOW"}]}`), []string{bin32}, nil)
	if err == nil || !strings.Contains(err.Error(), "refuses exit_group (SCMP_ACT_ERRNO(EPERM) on x86) and exit, its fallback") {
		t.Errorf("got %v", err)
	}
}
