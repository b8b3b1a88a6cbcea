//go:build linux

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSeccompCommands(t *testing.T) {
	needSeccomp(t)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"seccomp", "explain", "runtime-default", "unshare", "CLONE_NEWUSER|CLONE_NEWNET"},
			[]string{"SCMP_ACT_ERRNO(EPERM)", "the default action"}},
		{[]string{"seccomp", "explain", "runtime-default", "--caps", "ALL", "unshare", "CLONE_NEWUSER"},
			[]string{"SCMP_ACT_ALLOW", "decided by: syscalls["}},
		{[]string{"seccomp", "explain", "runtime-default", "clone", "CLONE_NEWUSER|SIGCHLD"},
			[]string{"SCMP_ACT_ERRNO(EPERM)"}},
		{[]string{"seccomp", "explain", "runtime-default", "clone", "SIGCHLD"},
			[]string{"SCMP_ACT_ALLOW", "arg0 & 0x7e020000 == 0x0"}},
		// i386's own socket(2), 359: the filter tests its arguments
		{[]string{"seccomp", "explain", "runtime-default", "--arch", "x86", "socket", "AF_INET", "SOCK_RAW"},
			[]string{"on x86 (nr 359)", "SCMP_ACT_ALLOW", "arg0 < 0x3"}},
		{[]string{"seccomp", "explain", "runtime-default", "--arch", "x86", "socket", "AF_VSOCK", "SOCK_STREAM"},
			[]string{"on x86 (nr 359)", "SCMP_ACT_ERRNO(EPERM)", "socketcall(SYS_SOCKET, &args), whose arguments the filter cannot read: that call gets SCMP_ACT_ALLOW"}},
		{[]string{"seccomp", "explain", "runtime-default", "--arch", "x86", "accept", "3"},
			[]string{"on x86 (nr 102)", "i386 makes it as socketcall(SYS_ACCEPT, &args)"}},
		// arm64: resolved and compiled as an arm64 node does; AArch64's
		// unshare is 97, AArch32's open 5 (AArch64 has none)
		{[]string{"seccomp", "explain", "runtime-default", "--arch", "aarch64", "unshare", "CLONE_NEWUSER"},
			[]string{"on aarch64 (nr 97)", "SCMP_ACT_ERRNO(EPERM)"}},
		{[]string{"seccomp", "explain", "runtime-default", "--arch", "arm", "open", "0", "0"},
			[]string{"on arm (nr 5)", "SCMP_ACT_ALLOW"}},
		{[]string{"seccomp", "explain", "runtime-default", "--platform", "arm64", "--arch", "x86_64", "getpid"},
			[]string{"the profile does not list x86_64: the filter refuses the whole ABI"}},
		{[]string{"seccomp", "show", "runtime-default", "--platform", "arm64"},
			[]string{`"SCMP_ARCH_AARCH64"`, `"SCMP_ARCH_ARM"`}},
		{[]string{"seccomp", "list", "runtime-default"},
			[]string{"CONDITIONALLY ALLOWED", "clone", "DENIED", "open_by_handle_at  open any file"}},
		{[]string{"seccomp", "diff", "runtime-default", "runtime-default", "--caps-b", "ALL"},
			[]string{"unshare", "mount", "syscall(s) differ"}},
		{[]string{"seccomp", "diff", "runtime-default", "runtime-default"},
			[]string{"decide every syscall the same way"}},
	} {
		r := rampart(t, "", c.args...)
		if r.code != 0 {
			t.Errorf("%v: exit %d: %s", c.args, r.code, r.stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, r.stdout)
			}
		}
	}
	r := rampart(t, "", "seccomp", "show", "runtime-default", "--caps", "ALL")
	var spec struct {
		DefaultAction string
		Syscalls      []struct{ Names []string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &spec); err != nil || spec.DefaultAction != "SCMP_ACT_ERRNO" {
		t.Fatalf("show: %v %q", err, spec.DefaultAction)
	}
	if r := rampart(t, "", "seccomp", "explain", "runtime-default", "socket", "AF_NOPE"); r.code != exitUsage {
		t.Errorf("unknown constant: exit %d", r.code)
	}
}
