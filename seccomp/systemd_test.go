//go:build linux && cgo && seccomp

package seccomp

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
)

// systemd_groups.go is the installed systemd's listing, when it is the
// same systemd.
func TestSystemdGroupsAreSystemds(t *testing.T) {
	out, err := exec.Command("systemd-analyze", "--version").Output()
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	if m := regexp.MustCompile(`^systemd (\d+)`).FindSubmatch(out); m == nil || string(m[1]) != strconv.Itoa(systemdVersion) {
		t.Skipf("the installed systemd is not %d, whose groups the table holds: %s", systemdVersion, out)
	}
	gen := filepath.Join(t.TempDir(), "groups.go")
	if b, err := exec.Command("../scripts/systemd-syscall-groups.sh", gen).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	a, _ := os.ReadFile("systemd_groups.go")
	b, _ := os.ReadFile(gen)
	if string(a) != string(b) {
		t.Error("systemd_groups.go is not the installed systemd's listing: run scripts/systemd-syscall-groups.sh")
	}
}

// What systemd would drop, or what one filter cannot say, is refused at
// the unit's line rather than predicted or enforced without it.
func TestUnitRefused(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"SystemCallFilter=@nosuchgroup\n", "3:1: SystemCallFilter: @nosuchgroup: not a group systemd 252 knows"},
		{"SystemCallFilter=~ptrce\n", `3:1: SystemCallFilter: "ptrce": not a system call`},
		{"SystemCallFilter=@mount:EPERM\n", `an errno is given on "~" lines only`},
		{"SystemCallErrorNumber=EWHATEVER\n", `unknown errno "EWHATEVER"`},
		{"RestrictAddressFamilies=AF_UNIX\n", "add SystemCallArchitectures=native"},
		{"RestrictAddressFamilies=AF_NOPE\nSystemCallArchitectures=native\n", `"AF_NOPE": not an address family`},
		{"RestrictNamespaces=user jail\n", `"jail": not a namespace kind`},
		{"SystemCallArchitectures=arm64\n", `not an x86 architecture`},
		{"SystemCallFilter=@system-service\nRestrictNamespaces=~user\n", "retain all namespace kinds or none"},
		{"SystemCallFiltr=@system-service\n", "3:1: SystemCallFiltr: not a key systemd 252 knows in [Service]"},
	} {
		_, err := Parse("u.service", []byte("[Service]\nExecStart=/x\n"+c.body), caps.Full)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.body, err, c.want)
		}
	}
}

// The profile a unit reads as: an allow list answers the rest with its
// errno (or kills), a call another directive refuses is refused beside
// it, and an argument filter is split where the allow list lets the
// call through.
func TestUnitProfile(t *testing.T) {
	p, err := Parse("u.service", []byte("[Service]\nSystemCallFilter=@system-service\nSystemCallErrorNumber=EACCES\nSystemCallArchitectures=native\nRestrictAddressFamilies=AF_UNIX\nProtectClock=yes\n"), caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Spec
	if s.DefaultAction != specs.ActErrno || *s.DefaultErrnoRet != 13 || len(s.Architectures) != 1 || s.Architectures[0] != specs.ArchX86_64 {
		t.Fatalf("%s %v %v", s.DefaultAction, s.DefaultErrnoRet, s.Architectures)
	}
	var socketRules, clock int
	for _, r := range s.Syscalls {
		switch r.Names[0] {
		case "socket":
			socketRules++
		case "clock_settime":
			clock++ // not in @system-service: the default answers it
		}
	}
	// below AF_UNIX, above it, and AF_UNIX itself allowed
	if socketRules != 3 || clock != 0 {
		t.Errorf("socket rules %d, clock_settime rules %d", socketRules, clock)
	}
}

// Whatever a unit's directives, the profile written for them never holds
// two rules that answer one call differently: the partitions are
// disjoint, so the engine cannot pick between them.
func FuzzUnitProfile(f *testing.F) {
	f.Add("SystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\nSystemCallArchitectures=native\nRestrictAddressFamilies=AF_UNIX AF_INET\nRestrictNamespaces=yes\nMemoryDenyWriteExecute=yes\nRestrictSUIDSGID=yes\nLockPersonality=yes\nRestrictRealtime=yes\n")
	f.Add("SystemCallFilter=~@mount:EPERM ptrace\nRestrictNamespaces=~user net\nProtectClock=yes\nPrivateDevices=yes\n")
	f.Add("SystemCallArchitectures=native\nRestrictAddressFamilies=~AF_PACKET AF_NETLINK\nSystemCallFilter=@basic-io @file-system socket\n")
	f.Fuzz(func(t *testing.T, body string) {
		p, err := ParseAll("f.service", []byte("[Service]\n"+body), caps.Full)
		if err != nil {
			return
		}
		if err := p.Conflict(); err != nil {
			t.Fatalf("%q: %v", body, err)
		}
	})
}
