//go:build linux && cgo && seccomp

package seccomp

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// rampart's numbers for syscalls newer than libseccomp are golang.org/x/sys's,
// which are generated from each architecture's kernel headers.
func TestNewerSyscallNumbersMatchXSys(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	if err != nil {
		t.Fatalf("locating golang.org/x/sys: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "unix")
	goarches := map[string]specs.Arch{
		"386": specs.ArchX86, "amd64": specs.ArchX86_64, "arm": specs.ArchARM, "arm64": specs.ArchAARCH64,
		"loong64": specs.ArchLOONGARCH64, "mips": specs.ArchMIPS, "mipsle": specs.ArchMIPSEL,
		"mips64": specs.ArchMIPS64, "mips64le": specs.ArchMIPSEL64, "ppc": specs.ArchPPC,
		"ppc64": specs.ArchPPC64, "ppc64le": specs.ArchPPC64LE, "riscv64": specs.ArchRISCV64, "s390x": specs.ArchS390X,
	}
	line := regexp.MustCompile(`^\s*SYS_([A-Z0-9_]+)\s*=\s*(\d+)`)
	compared := 0
	for goarch, arch := range goarches {
		f, err := os.Open(filepath.Join(dir, "zsysnum_linux_"+goarch+".go"))
		if err != nil {
			t.Fatal(err)
		}
		xsys := map[string]int32{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if m := line.FindStringSubmatch(sc.Text()); m != nil {
				n, _ := strconv.Atoi(m[2])
				xsys[strings.ToLower(m[1])] = int32(n)
			}
		}
		f.Close()
		for name := range newerSyscalls {
			nr, exists, err := newSyscallNumber(name, arch)
			if err != nil {
				t.Fatalf("%s on %s: %v", name, arch, err)
			}
			want, listed := xsys[name]
			if listed != exists || (exists && nr != want) {
				t.Errorf("%s on %s: rampart %d (exists %v), x/sys %d (listed %v)", name, arch, nr, exists, want, listed)
			}
			compared++
		}
	}
	t.Logf("%d numbers compared", compared)
}

// Where this machine's libseccomp knows a syscall of the table, it gives
// the same number on every x86 ABI (x32 included, which x/sys lacks).
func TestNewerSyscallNumbersMatchLibseccomp(t *testing.T) {
	known := 0
	for name := range newerSyscalls {
		if knownSyscall(name) != nil {
			continue
		}
		for _, a := range Arches {
			want, err := SyscallNumber(name, a)
			if err != nil {
				continue
			}
			got, exists, err := newSyscallNumber(name, a.spec)
			if want < 0 { // libseccomp's mark of a syscall the ABI lacks
				if exists {
					t.Errorf("%s on %s: rampart %d, libseccomp says the ABI lacks it", name, a.Name, got)
				}
				continue
			}
			if err != nil || !exists || got != want {
				t.Errorf("%s on %s: rampart %d %v %v, libseccomp %d", name, a.Name, got, exists, err, want)
			}
			known++
		}
	}
	if known == 0 {
		t.Skipf("libseccomp %s knows none of the table's syscalls", libseccompVersion())
	}
}

// The kernel knows every x86_64 number of the table (none answers
// ENOSYS), asked with arguments that make each call fail harmlessly.
func TestNewerSyscallNumbersOnThisKernel(t *testing.T) {
	var u unix.Utsname
	unix.Uname(&u)
	release := unix.ByteSliceToString(u.Release[:])
	for name, s := range newerSyscalls {
		nr, exists, _ := newSyscallNumber(name, specs.ArchX86_64)
		// uretprobe outside a trampoline kills the caller;
		// map_shadow_stack is ENOSYS without CONFIG_X86_USER_SHADOW_STACK.
		if !exists || name == "uretprobe" || name == "map_shadow_stack" {
			continue
		}
		if !kernelAtLeast(release, s.since) {
			t.Logf("%s: kernel %s predates Linux %s", name, release, s.since)
			continue
		}
		// fd -1, NULL pointers, zero sizes: EBADF, EFAULT or EINVAL.
		bad := ^uintptr(0)
		_, _, e := unix.Syscall6(uintptr(nr), bad, 0, 0, 0, 0, 0)
		if e == unix.ENOSYS {
			t.Errorf("%s: the kernel does not know number %d", name, nr)
		}
	}
}

func kernelAtLeast(release, since string) bool {
	var have, want [2]int
	for i, f := range strings.SplitN(release, ".", 3)[:2] {
		have[i], _ = strconv.Atoi(strings.TrimFunc(f, func(r rune) bool { return r < '0' || r > '9' }))
	}
	for i, f := range strings.SplitN(since, ".", 2) {
		want[i], _ = strconv.Atoi(f)
	}
	return have[0] > want[0] || have[0] == want[0] && have[1] >= want[1]
}

// A rule that denies a syscall newer than libseccomp holds: rampart puts
// it in front of the engine's program, on every ABI the filter covers,
// and leaves the engine's decisions alone everywhere else.
func TestDenyOnNewerSyscallInstalledByNumber(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, err := Parse("newer-deny.json", []byte(`{"defaultAction":"SCMP_ACT_ALLOW",
		"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
		"syscalls":[
		{"names":["mseal","unshare"],"action":"SCMP_ACT_ERRNO","errnoRet":77},
		{"names":["statmount"],"action":"SCMP_ACT_KILL_PROCESS"},
		{"names":["listmount"],"action":"SCMP_ACT_ALLOW"}]}`), caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	if knownSyscall("mseal") == nil {
		t.Skipf("libseccomp %s knows mseal: nothing is installed by number", libseccompVersion())
	}
	if len(p.ByNumber) != 2 || p.ByNumber[0].Name != "mseal" || p.ByNumber[0].Index != 0 || p.ByNumber[1].Index != -1 {
		t.Fatalf("by number: %+v", p.ByNumber)
	}
	f, err := Compile(p)
	if err != nil || !f.Cached {
		t.Fatalf("%v %s", err, f.Why)
	}
	prefix, _ := numberedPrefix(p)
	engine := f.prog.insns[len(prefix):]
	for _, c := range []struct {
		d    bpf.Data
		want uint32
	}{
		{bpf.Data{Nr: 462, Arch: bpf.ArchX86_64}, bpf.RetErrno | 77},
		{bpf.Data{Nr: 462, Arch: bpf.ArchI386}, bpf.RetErrno | 77},
		{bpf.Data{Nr: 462 | bpf.X32Bit, Arch: bpf.ArchX86_64}, bpf.RetErrno | 77},
		{bpf.Data{Nr: 457, Arch: bpf.ArchX86_64}, bpf.RetKillProcess},
		{bpf.Data{Nr: 457, Arch: bpf.ArchI386}, bpf.RetKillProcess},
		{bpf.Data{Nr: 458, Arch: bpf.ArchX86_64}, bpf.RetAllow},
		{bpf.Data{Nr: unix.SYS_UNSHARE, Arch: bpf.ArchX86_64}, bpf.RetErrno | 77},
	} {
		if got, _, err := bpf.Run(f.prog.insns, c.d); err != nil || got != c.want {
			t.Errorf("nr %#x arch %#x: %s, want %s", c.d.Nr, c.d.Arch, RetString(got), RetString(c.want))
		}
	}
	// Without the block the engine's program lets mseal through: the
	// block is what holds.
	if got, _, _ := bpf.Run(engine, bpf.Data{Nr: 462, Arch: bpf.ArchX86_64}); got != bpf.RetAllow {
		t.Fatalf("the engine itself answers mseal with %s; the test proves nothing", RetString(got))
	}
	for _, d := range bpf.Samples() {
		if nr := d.Nr &^ bpf.X32Bit; nr == 462 || nr == 457 {
			continue
		}
		a, _, _ := bpf.Run(f.prog.insns, d)
		b, _, _ := bpf.Run(engine, d)
		if a != b {
			t.Fatalf("nr %#x arch %#x: %s with the block, %s without", d.Nr, d.Arch, RetString(a), RetString(b))
		}
	}
	// explain sees the rule too
	d, err := Explain(p, f.Program(), Arches[1], "mseal", [6]uint64{})
	if err != nil || d.Action != "SCMP_ACT_ERRNO(EBADFD)" || len(d.Rules) != 1 || !d.Rules[0].ByNumber {
		t.Fatalf("explain: %+v %v", d, err)
	}

	// Compiled in place, the block is a filter of its own.
	t.Setenv("RAMPART_SECCOMP_CACHE", "off")
	inPlace, err := Compile(p)
	if err != nil || inPlace.Cached || inPlace.Filters() != 2 {
		t.Fatalf("in place: %v cached=%v filters=%d", err, inPlace.Cached, inPlace.Filters())
	}
	if got, _, _ := bpf.Run(inPlace.numbered, bpf.Data{Nr: 462, Arch: bpf.ArchI386}); got != bpf.RetErrno|77 {
		t.Fatalf("in-place block answers %s", RetString(got))
	}
}

func TestNewerSyscallRulesRefused(t *testing.T) {
	if knownSyscall("mseal") == nil {
		t.Skipf("libseccomp %s knows mseal", libseccompVersion())
	}
	for _, c := range []struct{ name, body, want string }{
		{"conditional deny", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
  {"names":["mseal"],"action":"SCMP_ACT_ERRNO","args":[{"index":2,"value":0,"op":"SCMP_CMP_NE"}]}]}`,
			`p.json:2:13: syscalls[].names: mseal (Linux 6.10) is newer than this machine's libseccomp`},
		{"two actions", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
  {"names":["mseal"],"action":"SCMP_ACT_ERRNO"},{"names":["mseal"],"action":"SCMP_ACT_KILL"}]}`,
			`mseal has two rules with different actions`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Parse("p.json", []byte(c.body), caps.Full); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %s", err, c.want)
			}
		})
	}
	// An allow rule, or a deny no stricter than the default, is left to
	// the default as before, with a note.
	for _, body := range []string{
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","mseal"],"action":"SCMP_ACT_ALLOW"}]}`,
		`{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},{"names":["mseal"],"action":"SCMP_ACT_ERRNO"}]}`,
	} {
		p, err := Parse("p.json", []byte(body), caps.Full)
		if err != nil || len(p.ByNumber) != 0 || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "mseal (Linux 6.10)") {
			t.Errorf("%s: %v %+v %q", body, err, p.ByNumber, p.Notes)
		}
	}
}
