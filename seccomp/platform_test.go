//go:build linux && cgo && seccomp

package seccomp

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/linuxabi"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// RuntimeDefault resolved and compiled for arm64 on this machine answers
// AArch64's numbers (asm-generic/unistd.h: unshare 97, socket 198,
// mount 40, getpid 172) as the profile says, AArch32's through the
// ARM subarchitecture, and refuses x86_64's whole: the filter an arm64
// node loads has no x86 branch.
func TestRuntimeDefaultOnARM64(t *testing.T) {
	if runtime.GOARCH == "arm64" {
		t.Skip("this machine is arm64: the native build is tested by the kernel differential")
	}
	p, err := Docker.LoadOn(ARM64, caps.Of(caps.NET_RAW, caps.CHOWN))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Platform(); got.GOARCH != "arm64" {
		t.Fatalf("platform %s", got)
	}
	if !p.Covers(archAArch64) || !p.Covers(archARM) || p.Covers(archX86_64) || p.Covers(archX86) {
		t.Fatalf("covers: aarch64 %v arm %v x86_64 %v x86 %v", p.Covers(archAArch64), p.Covers(archARM), p.Covers(archX86_64), p.Covers(archX86))
	}
	f, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Install(); err == nil {
		t.Fatal("a program compiled for arm64 was loaded on " + runtime.GOARCH)
	}
	prog := f.Program()
	eperm := Ret("SCMP_ACT_ERRNO", 1 /* EPERM */)
	for _, c := range []struct {
		what string
		d    bpf.Data
		want uint32
	}{
		{"aarch64 getpid", bpf.Data{Nr: 172, Arch: bpf.ArchAArch64}, bpf.RetAllow},
		{"aarch64 socket(AF_INET, SOCK_RAW)", bpf.Data{Nr: 198, Arch: bpf.ArchAArch64, Args: [6]uint64{linuxabi.AF_INET, linuxabi.SOCK_RAW, 1}}, bpf.RetAllow},
		{"aarch64 unshare(CLONE_NEWUSER)", bpf.Data{Nr: 97, Arch: bpf.ArchAArch64, Args: [6]uint64{linuxabi.CLONE_NEWUSER}}, eperm},
		{"aarch64 mount", bpf.Data{Nr: 40, Arch: bpf.ArchAArch64}, eperm},
		{"arm unshare(CLONE_NEWUSER)", bpf.Data{Nr: 337, Arch: bpf.ArchARM, Args: [6]uint64{linuxabi.CLONE_NEWUSER}}, eperm},
		{"arm getpid", bpf.Data{Nr: 20, Arch: bpf.ArchARM}, bpf.RetAllow},
		{"x86_64 getpid", bpf.Data{Nr: 39, Arch: bpf.ArchX86_64}, bpf.RetKillThread},
	} {
		got, _, err := bpf.Run(prog, c.d)
		if err != nil {
			t.Fatal(err)
		}
		if act, _ := bpf.Action(got); (c.want == bpf.RetKillThread && act != bpf.RetKillThread && act != bpf.RetKillProcess) || (c.want != bpf.RetKillThread && got != c.want) {
			t.Errorf("%s: %s, want %s", c.what, RetString(got), RetString(c.want))
		}
	}
	for _, c := range []struct {
		name string
		arch Arch
		nr   int32
		ok   bool
	}{{"unshare", archAArch64, 97, true}, {"open", archAArch64, 0, false}, {"open", archARM, 5, true}, {"socket", archARM, 281, true}} {
		nr, err := SyscallNumber(c.name, c.arch)
		if (err == nil) != c.ok || nr != c.nr {
			t.Errorf("%s on %s: %d, %v", c.name, c.arch.Name, nr, err)
		}
	}
}

// A service unit's filters are systemd's x86 stack: read for arm64 they
// are refused, not turned into a filter systemd does not build there.
func TestUnitRefusedOnARM64(t *testing.T) {
	unit := []byte("[Service]\nExecStart=/bin/true\nSystemCallFilter=@system-service\nSystemCallArchitectures=native\n")
	if _, err := ParseOn(AMD64, "u.service", unit, 0); err != nil {
		t.Fatalf("amd64: %v", err)
	}
	if _, err := ParseOn(ARM64, "u.service", unit, 0); err == nil || !strings.Contains(err.Error(), "modeled for amd64") {
		t.Fatalf("arm64: %v", err)
	}
}

// An OCI bundle's filter and an SPO object are resolved for the platform
// asked as a plain profile is: read for arm64 they cover AArch64, so an
// arm64 audit does not take its calls for an ABI the filter refuses
// whole.
func TestOtherFormatsOnARM64(t *testing.T) {
	oci := []byte(`{"ociVersion": "1.0.2", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_ERRNO"}]}}}`)
	spo, err := os.ReadFile("testdata/spo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"config.json": oci, "spo.yaml": spo} {
		p, err := ParseOn(ARM64, name, body, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Platform().GOARCH != "arm64" || !p.Covers(archAArch64) {
			t.Errorf("%s read for arm64: platform %s, covers aarch64 %v", name, p.Platform(), p.Covers(archAArch64))
		}
	}
}
