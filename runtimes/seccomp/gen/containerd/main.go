//go:build ignore

// Command containerd prints containerd's RuntimeDefault seccomp profile as
// the containerd release it is built against computes it on the GOARCH and
// kernel it runs on, with each rule's capability condition recovered by
// calling containerd's own DefaultProfile with different bounding sets.
// gen/main.go builds it in a throwaway module per release and runs it
// under qemu-user (a chosen GOARCH, a faked kernel release); it is not
// part of rampart's build.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	ctd "github.com/containerd/containerd/contrib/seccomp"
)

// capNames are the kernel's capabilities, CAP_CHOWN (0) to
// CAP_CHECKPOINT_RESTORE (40).
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// Rule is one rule with its capability condition, as moby's profile format
// states it: Includes must all be in the bounding set, none of Excludes.
type Rule struct {
	Syscall  specs.LinuxSyscall `json:"syscall"`
	Includes []string           `json:"includes,omitempty"`
	Excludes []string           `json:"excludes,omitempty"`
}

// Dump is what one run prints.
type Dump struct {
	Architectures   []specs.Arch             `json:"architectures"`
	DefaultAction   specs.LinuxSeccompAction `json:"defaultAction"`
	DefaultErrnoRet *uint                    `json:"defaultErrnoRet,omitempty"`
	Flags           []specs.LinuxSeccompFlag `json:"flags,omitempty"`
	Rules           []Rule                   `json:"rules"`
}

func profile(bounding ...string) *specs.LinuxSeccomp {
	return ctd.DefaultProfile(&specs.Spec{Process: &specs.Process{
		Capabilities: &specs.LinuxCapabilities{Bounding: bounding}}})
}

func key(s specs.LinuxSyscall) string {
	if len(s.Args) == 0 {
		s.Args = nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func main() {
	base := profile()
	d := Dump{Architectures: base.Architectures, DefaultAction: base.DefaultAction,
		DefaultErrnoRet: base.DefaultErrnoRet, Flags: base.Flags}
	for _, s := range base.Syscalls {
		d.Rules = append(d.Rules, Rule{Syscall: s})
	}
	nbase := len(d.Rules)
	for _, c := range capNames {
		p := profile(c)
		same(base, p, c)
		// Rules of p not in base need c; base rules not in p need c absent.
		left := map[string]int{}
		for _, s := range p.Syscalls {
			left[key(s)]++
		}
		for i := range d.Rules[:nbase] {
			k := key(d.Rules[i].Syscall)
			if left[k] > 0 {
				left[k]--
			} else {
				d.Rules[i].Excludes = append(d.Rules[i].Excludes, c)
			}
		}
		for _, s := range p.Syscalls {
			if k := key(s); left[k] > 0 {
				left[k]--
				d.Rules = append(d.Rules, Rule{Syscall: s, Includes: []string{c}})
			}
		}
	}
	// The conditions found one capability at a time must predict every
	// pair and the full set: otherwise a rule depends on a combination of
	// capabilities and this form cannot express it.
	check(d, capNames)
	for i, a := range capNames {
		for _, b := range capNames[i+1:] {
			check(d, []string{a, b})
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "\t")
	if err := enc.Encode(d); err != nil {
		fail("%v", err)
	}
}

func same(a, b *specs.LinuxSeccomp, c string) {
	if a.DefaultAction != b.DefaultAction || !slices.Equal(a.Architectures, b.Architectures) ||
		!slices.Equal(a.Flags, b.Flags) || (a.DefaultErrnoRet == nil) != (b.DefaultErrnoRet == nil) ||
		a.DefaultErrnoRet != nil && *a.DefaultErrnoRet != *b.DefaultErrnoRet {
		fail("with %s the profile's defaults or architectures change", c)
	}
}

func check(d Dump, bounding []string) {
	want := map[string]int{}
	for _, s := range profile(bounding...).Syscalls {
		want[key(s)]++
	}
	for _, r := range d.Rules {
		if slices.ContainsFunc(r.Excludes, func(c string) bool { return slices.Contains(bounding, c) }) ||
			slices.ContainsFunc(r.Includes, func(c string) bool { return !slices.Contains(bounding, c) }) {
			continue
		}
		want[key(r.Syscall)]--
	}
	for k, n := range want {
		if n != 0 {
			fail("bounding set %v: the derived conditions mispredict %s (%+d)", bounding, k, n)
		}
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "containerd dump: "+format+"\n", args...)
	os.Exit(1)
}
