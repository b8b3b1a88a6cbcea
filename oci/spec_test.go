//go:build linux && cgo && seccomp

package oci

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

// A deny rule that runc would drop (a syscall newer than its libseccomp)
// is not written into a config that would run without it.
func TestSpecRefusesRulesRuncWouldDrop(t *testing.T) {
	if _, err := libseccomp.GetSyscallFromName("mseal"); err == nil {
		t.Skip("this machine's libseccomp knows mseal")
	}
	file := filepath.Join(t.TempDir(), "deny-mseal.json")
	os.WriteFile(file, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mseal"],"action":"SCMP_ACT_ERRNO"}]}`), 0o644)
	p := &policy.Policy{Seccomp: policy.Seccomp{Kind: policy.SeccompFile, Path: file}}
	_, err := Spec(p, []string{"true"}, Options{})
	if err == nil || !strings.Contains(err.Error(), "the profile denies mseal") {
		t.Fatalf("got %v", err)
	}
	// A profile that only allows it is written as before.
	os.WriteFile(file, []byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","mseal"],"action":"SCMP_ACT_ALLOW"}]}`), 0o644)
	if s, err := Spec(p, []string{"true"}, Options{}); err != nil || s.Linux.Seccomp == nil {
		t.Fatalf("%v", err)
	}
}

// The config hides what containerd hides, its newest release's list:
// the RAPL energy counters (powercap), whose readings leak what another
// process on the host computes, and /proc/interrupts, a side channel of
// the host's activity.
func TestSpecMasksContainerdsPaths(t *testing.T) {
	s, err := Spec(&policy.Policy{}, []string{"true"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/sys/devices/virtual/powercap", "/proc/interrupts", "/proc/kcore"} {
		if !slices.Contains(s.Linux.MaskedPaths, p) {
			t.Errorf("%s is not masked: %q", p, s.Linux.MaskedPaths)
		}
	}
	if !slices.Equal(s.Linux.MaskedPaths, runtimes.Containerd.MaskedPaths) || !slices.Equal(s.Linux.ReadonlyPaths, runtimes.Containerd.ReadOnlyPaths) {
		t.Errorf("masked %q, read-only %q: not containerd's", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
	}
}

// What the config cannot carry is said, each with the way to get it.
func TestSpecDropped(t *testing.T) {
	p := &policy.Policy{
		Landlock: []policy.FSRule{{Mode: policy.DenyRead, Path: "/etc/shadow"}},
		AppArmor: &policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: "web"},
	}
	s, err := Spec(p, []string{"true"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := strings.Join(Dropped(p, s), "\n")
	if !strings.Contains(d, "which an OCI config cannot carry: run the process under `rampart run") {
		t.Errorf("the Landlock rule is not said: %q", d)
	}
	if features.HaveAppArmor() == nil {
		if s.Process.ApparmorProfile != "web" || strings.Contains(d, "AppArmor") {
			t.Errorf("profile %q, dropped %q", s.Process.ApparmorProfile, d)
		}
	} else if s.Process.ApparmorProfile != "" || !strings.Contains(d, `set process.apparmorProfile to "web"`) {
		t.Errorf("profile %q, dropped %q", s.Process.ApparmorProfile, d)
	}
	if got := strings.Join(Dropped(&policy.Policy{Scope: []string{policy.ScopeSignal}}, s), "\n"); !strings.Contains(got, "--scope signal is a Landlock scope, which an OCI config cannot carry") {
		t.Errorf("the scope is not said: %q", got)
	}
	if got := strings.Join(Dropped(&policy.Policy{UserNS: &policy.UserNS{}}, s), "\n"); !strings.Contains(got, "--userns is a user namespace") {
		t.Errorf("the user namespace is not said: %q", got)
	}
	if got := Dropped(&policy.Policy{}, s); len(got) != 0 {
		t.Errorf("an empty policy drops %q", got)
	}
}
