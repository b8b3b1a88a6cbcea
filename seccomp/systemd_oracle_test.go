//go:build linux && cgo && seccomp

package seccomp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/sdlab"
	"github.com/rampart-sec/rampart/internal/unitfile"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// sdDirectives are the [Service] keys whose filters parseUnit writes.
var sdDirectives = map[string]bool{
	"SystemCallFilter": true, "SystemCallErrorNumber": true, "SystemCallArchitectures": true,
	"RestrictAddressFamilies": true, "RestrictNamespaces": true, "LockPersonality": true,
	"MemoryDenyWriteExecute": true, "RestrictRealtime": true, "RestrictSUIDSGID": true,
	"ProtectClock": true, "ProtectKernelModules": true, "ProtectKernelLogs": true,
	"ProtectKernelTunables": true, "ProtectHostname": true, "PrivateDevices": true, "Personality": true,
}

// The oracle: systemd itself. Each unit's directives are applied by
// this machine's systemd (PID 1 of a container, sdlab) to a process
// started with systemd-run; its filters are read back from the kernel
// (PTRACE_SECCOMP_GET_FILTER, every one of the stack) and run, combined
// as the kernel combines them, over the same calls as the program rampart
// compiles from its reading of the same directives. They must answer
// every call alike, bar one known difference: runc's engine answers
// ENOSYS for a number beyond the highest the profile names, where
// systemd's libseccomp gives the default (counted and said, as for every
// profile rampart loads).
func TestUnitFilterIsSystemds(t *testing.T) {
	needRoot(t)
	if why := sdlab.Need(); why != "" {
		t.Skip(why)
	}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	lab, err := sdlab.Start(ctx, t.TempDir(), "rampart-sd-"+strconv.Itoa(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()

	type unit struct{ name, body string }
	units := []unit{
		{"allow-list.service", "SystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\n"},
		{"allow-kill.service", "SystemCallFilter=@system-service @mount\nSystemCallFilter=~@mount:EACCES\n"},
		{"deny-list.service", "SystemCallFilter=~@mount @reboot @swap\nSystemCallFilter=~ptrace:EIO\nSystemCallFilter=mount\n"},
		{"families-allow.service", "SystemCallArchitectures=native\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"},
		{"families-deny.service", "SystemCallArchitectures=native\nRestrictAddressFamilies=~AF_PACKET AF_NETLINK\n"},
		{"families-with-allow-list.service", "SystemCallArchitectures=native\nSystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\nRestrictAddressFamilies=AF_UNIX AF_NETLINK\n"},
		{"namespaces.service", "RestrictNamespaces=yes\n"},
		{"namespaces-some.service", "RestrictNamespaces=~user net\n"},
		{"namespaces-allow-list.service", "SystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\nRestrictNamespaces=yes\n"},
		{"the-rest.service", "SystemCallArchitectures=native\nLockPersonality=yes\nMemoryDenyWriteExecute=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes\nProtectClock=yes\nProtectKernelModules=yes\nProtectKernelLogs=yes\nProtectKernelTunables=yes\nProtectHostname=yes\nPrivateDevices=yes\n"},
		{"the-rest-allow-list.service", "SystemCallArchitectures=native\nSystemCallFilter=@system-service @clock\nSystemCallErrorNumber=EPERM\nLockPersonality=yes\nMemoryDenyWriteExecute=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes\nProtectClock=yes\nPrivateDevices=yes\n"},
		{"every-abi.service", "MemoryDenyWriteExecute=yes\nRestrictSUIDSGID=yes\nSystemCallFilter=~@debug\n"},
	}
	// Debian's own units: their filter directives as the test's.
	ms, _ := filepath.Glob("/lib/systemd/system/*.service")
	for _, m := range ms {
		u, err := unitfile.Read(m)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, e := range u.Section("Service") {
			if sdDirectives[e.Key] {
				fmt.Fprintf(&b, "%s=%s\n", e.Key, e.Value)
			}
		}
		if b.Len() > 0 {
			units = append(units, unit{"debian-" + filepath.Base(m), b.String()})
		}
	}
	if len(units) < 20 {
		t.Fatalf("only %d units", len(units))
	}
	samples := sdSamples()
	enosys := Ret("SCMP_ACT_ERRNO", 38)
	total := 0
	for i, u := range units {
		t.Run(u.name, func(t *testing.T) {
			body := "[Service]\nExecStart=/bin/sleep 600\n" + u.body
			p, err := Parse(u.name, []byte(body), caps.Full)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Compile(p)
			if err != nil {
				t.Fatal(err)
			}
			ours := f.Program()
			if ours == nil {
				t.Fatal("no program read back")
			}
			theirs := systemdFilters(t, ctx, lab, fmt.Sprintf("rampart-oracle-%d", i), u.body)
			bounds := map[uint32]map[bool]int32{}
			for _, a := range Arches {
				if bounds[a.Audit] == nil {
					bounds[a.Audit] = map[bool]int32{}
				}
				bounds[a.Audit][a.X32] = stubBound(p, a)
			}
			i386 := !strings.Contains(u.body, "SystemCallArchitectures=native")
			known := map[string]int{}
			differ, stubbed := 0, 0
			byCall := map[string]int{}
			for _, d := range samples {
				rets := make([]uint32, len(theirs))
				for j, prog := range theirs {
					// theirs[0] is the newest: kdCombine wants the oldest first
					rets[len(theirs)-1-j], _, _ = bpf.Run(prog, d)
				}
				want := kdCombine(rets...)
				got, _, _ := bpf.Run(ours, d)
				if got == want {
					continue
				}
				b, ok := bounds[d.Arch][d.Arch == bpf.ArchX86_64 && d.Nr&bpf.X32Bit != 0]
				if got == enosys && ok && b > 0 && uint32(d.Nr&^bpf.X32Bit) > uint32(b) {
					stubbed++
					continue
				}
				if why := sdKnownDifference(d, want, got, u.body, i386); why != "" {
					known[why]++
					continue
				}
				differ++
				byCall[fmt.Sprintf("%#x/%#x", d.Arch, d.Nr)]++
				if differ <= 8 {
					t.Errorf("nr %#x arch %#x args %#x: systemd %s, rampart %s", d.Nr, d.Arch, d.Args, RetString(want), RetString(got))
				}
			}
			if differ > 8 {
				t.Errorf("... %d calls answered differently: %v", differ, byCall)
			}
			total += len(samples)
			t.Logf("%d filters from systemd, %d calls alike (%d beyond the profile's numbers answered ENOSYS by runc's stub); known differences: %v", len(theirs), len(samples)-differ, stubbed, known)
			for why := range known {
				// each is said to the user where it arises
				if !strings.Contains(strings.Join(p.Notes, "\n"), why) && why != "no such ABI" && why != "setns nstype without a namespace flag" {
					t.Errorf("known difference %q is not in the profile's notes %q", why, p.Notes)
				}
			}
		})
	}
	t.Logf("%d units, %d calls compared", len(units), total)
}

// sdKnownDifference names a difference between systemd's filters and
// rampart's that is understood and said to the user, "" for any other.
func sdKnownDifference(d bpf.Data, systemd, rampart uint32, directives string, i386 bool) string {
	nr := d.Nr &^ bpf.X32Bit
	switch {
	case d.Arch != bpf.ArchX86_64 && d.Arch != bpf.ArchI386:
		// systemd's filters let an ABI they do not know through; an
		// x86-64 kernel reports no other
		return "no such ABI"
	case nr == 452 && strings.Contains(directives, "RestrictSUIDSGID=yes") && rampart == bpf.RetAllow:
		// fchmodat2 with a set-ID bit: refused by systemd (EPERM),
		// unknown to this libseccomp
		return "fchmodat2"
	case strings.Contains(directives, "MemoryDenyWriteExecute=yes") && i386 &&
		(d.Arch == bpf.ArchI386 && (nr == 90 || nr == 192 || nr == 397) || d.Arch == bpf.ArchX86_64 && nr == 30):
		// i386's old mmap, mmap2 and shmat, and x86-64's shmat
		return "MemoryDenyWriteExecute= without SystemCallArchitectures=native"
	case (d.Arch == bpf.ArchX86_64 && nr == 308 || d.Arch == bpf.ArchI386 && nr == 346) &&
		d.Args[1] != 0 && d.Args[1]&nsAll == 0 && rampart == bpf.RetAllow && systemd == Ret("SCMP_ACT_ERRNO", 1):
		// setns(fd, nstype) with bits of no namespace kind: systemd's
		// filter refuses some such values; rampart's leaves them to the
		// kernel, which refuses every one (EINVAL)
		return "setns nstype without a namespace flag"
	}
	return ""
}

// systemdFilters starts a sleeping transient unit with the directives
// and reads its filters back, newest first.
func systemdFilters(t *testing.T, ctx context.Context, lab *sdlab.Lab, name, directives string) [][]unix.SockFilter {
	t.Helper()
	args := []string{"systemd-run", "--quiet", "--unit=" + name, "--service-type=exec"}
	for _, l := range strings.Split(strings.TrimSpace(directives), "\n") {
		args = append(args, "--property="+l)
	}
	if _, err := lab.Exec(ctx, append(args, "/bin/sleep", "600")...); err != nil {
		t.Fatal(err)
	}
	defer lab.Exec(ctx, "systemctl", "stop", name)
	out, err := lab.Exec(ctx, "systemctl", "show", "-p", "MainPID", "--value", name)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || pid == 0 {
		t.Fatalf("MainPID %q: %v", out, err)
	}
	host, err := lab.HostPID(pid)
	if err != nil {
		t.Fatal(err)
	}
	var progs [][]unix.SockFilter
	for i := 0; ; i++ {
		p, err := DumpFilter(host, i)
		if errors.Is(err, unix.ENOENT) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		progs = append(progs, p)
	}
	if len(progs) == 0 {
		t.Fatal("systemd loaded no filter")
	}
	return progs
}

// sdSamples are bpf.Samples and the argument values systemd's filters
// look at: mode bits, O_CREAT, protections, scheduling policies,
// namespace types, every address family.
func sdSamples() []bpf.Data {
	out := bpf.Samples()
	var sets [][6]uint64
	for _, mode := range []uint64{0o4755, 0o2755, 0o755, 0o6000} {
		sets = append(sets, [6]uint64{0, mode, mode, mode}, [6]uint64{0, 0o100, mode, mode}, [6]uint64{0, 0o100 | 0o1, mode, mode})
	}
	for _, prot := range []uint64{1, 2, 4, 6, 7} {
		sets = append(sets, [6]uint64{0, 4096, prot, 0x22}, [6]uint64{0, 4096, prot | 0x100000000})
	}
	for policy := uint64(0); policy <= 7; policy++ {
		sets = append(sets, [6]uint64{0, policy}, [6]uint64{0, policy | 0x40000000})
	}
	for _, ns := range []uint64{0, 0x02000000, 0x08000000, 0x40000000, 0x00020000, 0x20000000, 0x10000000, 0x04000000, 0x1} {
		sets = append(sets, [6]uint64{3, ns}, [6]uint64{ns})
	}
	for af := uint64(0); af <= 47; af++ {
		sets = append(sets, [6]uint64{af, 1, 0}, [6]uint64{af | 0x100000000, 1, 0})
	}
	for nr := int32(0); nr < 460; nr++ {
		for _, args := range sets {
			out = append(out, bpf.Data{Nr: nr, Arch: bpf.ArchX86_64, Args: args}, bpf.Data{Nr: nr, Arch: bpf.ArchI386, Args: args})
		}
	}
	return out
}
