//go:build linux && cgo && seccomp

package seccomp

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// bypassesOf compiles the profile and runs the analysis.
func bypassesOf(t *testing.T, p *Profile, err error) []Bypass {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(p)
	if err != nil || f.Program() == nil {
		t.Fatalf("compile %s: %v (%s)", p.Name, err, f.Why)
	}
	bs, err := Bypasses(p, f.Program())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		t.Logf("%s: %s [%s] %s", b.Deny.Source, b.Deny.Describe(), b.Kind, b)
	}
	return bs
}

func loadFile(path string) (*Profile, error) {
	return Load(policy.Seccomp{Kind: policy.SeccompFile, Path: path}, runtimes.Containerd.Caps)
}

// short is "kind arch syscall(args)" of a bypass's first call.
func short(b Bypass) string {
	return b.Kind + " " + b.Variant[0].String()
}

func has(bs []Bypass, want string) bool {
	for _, b := range bs {
		if short(b) == want {
			return true
		}
	}
	return false
}

// The rule `socket ERRNO when arg1 == SOCK_RAW` and the forms of the same
// request it misses. (The kernel test makes them: TestKernelDiffBypasses.)
func TestBypassesEqualityRule(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, err := loadFile("testdata/variants-socket-raw.json")
	bs := bypassesOf(t, p, err)
	for _, want := range []string{
		"flag x86_64 socket(0x0, 0x80003, 0x0)",          // SOCK_CLOEXEC
		"flag x86_64 socket(0x0, 0x803, 0x0)",            // SOCK_NONBLOCK
		"flag x86 socket(0x0, 0x80003, 0x0)",             // i386's own socket(2), 359
		"flag x32 socket(0x0, 0x80003, 0x0)",             // where the kernel has x32
		"high-bits x86_64 socket(0x0, 0x100000003, 0x0)", // the kernel reads an int
		"multiplexer x86 socketcall(1, &args)",           // i386 socketcall(SYS_SOCKET)
		"sibling x86_64 socket(0x2, 0xa, 0x0)",           // (AF_INET, SOCK_PACKET) is a packet socket
		"io_uring x86_64 io_uring_setup(0x8, 0x10000, 0x0)",
	} {
		if !has(bs, want) {
			t.Errorf("missing: %s", want)
		}
	}
	for _, b := range bs {
		if b.Deny.Source != "testdata/variants-socket-raw.json:6" || b.Deny.Describe() != "socket SCMP_ACT_ERRNO(EPERM) when arg1 == 0x3" {
			t.Errorf("deny %q at %q, want the rule at testdata/variants-socket-raw.json:6", b.Deny.Describe(), b.Deny.Source)
		}
		if b.Action != "SCMP_ACT_ALLOW" {
			t.Errorf("%s: %s", short(b), b.Action)
		}
	}
	// i386 direct socket(2) without the flag is the rule's own: refused
	if has(bs, "abi x86 socket(0x0, 0x3, 0x0)") {
		t.Error("i386 socket(.., SOCK_RAW) reported as passing: the filter refuses it")
	}
}

// The same refusal written to hold: the type's low bits (MASKED_EQ),
// SOCK_PACKET too, socketpair too, io_uring refused, x86_64 alone.
func TestBypassesNoneForRobustRule(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, err := loadFile("testdata/variants-socket-raw-robust.json")
	if bs := bypassesOf(t, p, err); len(bs) != 0 {
		t.Errorf("%d bypasses of a profile that holds", len(bs))
	}
	p, err = loadFile("testdata/kernel_diff_ioctl_masked.json")
	if bs := bypassesOf(t, p, err); len(bs) != 0 {
		t.Errorf("%d bypasses of TIOCSTI refused on its low 32 bits", len(bs))
	}
}

// CVE-2019-10063's form: TIOCSTI refused with a 64-bit ==.
func TestBypassesIoctlHighBits(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, err := loadFile("testdata/kernel_diff_ioctl64.json")
	bs := bypassesOf(t, p, err)
	if len(bs) != 1 || short(bs[0]) != "high-bits x86_64 ioctl(0x0, 0x100005412, 0x0)" {
		t.Errorf("got %d bypasses, want the one high-bits TIOCSTI on x86_64", len(bs))
	}
}

// chmod's mode is a umode_t: bit 16 is dropped by the kernel on every
// ABI, and fchmodat and fchmodat2 set the same mode by path.
func TestBypassesNarrowMode(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, err := loadFile("testdata/variants-chmod-setuid.json")
	bs := bypassesOf(t, p, err)
	for _, want := range []string{
		"high-bits x86_64 chmod(0x0, 0x109ed, 0x0)",
		"high-bits x86 chmod(0x0, 0x109ed, 0x0)",
		"sibling x86_64 fchmodat(0xffffff9c, 0x0, 0x9ed)",
		"sibling x86_64 fchmodat2(0xffffff9c, 0x0, 0x9ed)",
	} {
		if !has(bs, want) {
			t.Errorf("missing: %s", want)
		}
	}
}

// Docker's RuntimeDefault, what `rampart run --seccomp runtime-default`
// loads, with containerd's capabilities and with all: the one way around
// it is i386 socketcall(SYS_SOCKET), which it allows for every address
// family it refuses to socket(2). Anything else would be a false
// warning. rampart's narrowed profile keeps the same gap.
func TestBypassesRuntimeDefault(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	for _, bounding := range []caps.Set{runtimes.Containerd.Caps, caps.Full} {
		for _, narrowed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d-caps/narrowed=%v", len(bounding.Names(caps.Cap.OCI)), narrowed), func(t *testing.T) {
				var p *Profile
				var err error
				if narrowed {
					p, err = Narrowed(bounding)
				} else {
					p, err = Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, bounding)
				}
				bs := bypassesOf(t, p, err)
				if len(bs) != 1 {
					t.Fatalf("%d bypasses, want the one through socketcall", len(bs))
				}
				b := bs[0]
				if short(b) != "multiplexer x86 socketcall(1, &args)" || b.Deny.Syscall != "socket" || !b.Deny.Implicit ||
					b.Refused.String() != "x86_64 socket(0x3, 0x0, 0x0)" || b.Others < 10 {
					t.Errorf("got %s for %s", b, b.Deny.Describe())
				}
			})
		}
	}
}

// containerd's RuntimeDefault of 2.2.1 allows socket when arg0 != AF_VSOCK:
// a 64-bit comparison, and socket(2) takes an int, so AF_VSOCK with bit 32
// set passes it on x86_64 (TestKernelDiffBypasses shows the kernel let it
// through).
func TestBypassesContainerdNotEqualFamily(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	rd, err := RuntimeDefaultFor("containerd", "2.2.1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := rd.Load(runtimes.Containerd.Caps)
	bs := bypassesOf(t, p, err)
	if !has(bs, "high-bits x86_64 socket(0x100000028, 0x0, 0x0)") {
		t.Error("AF_VSOCK | 1<<32 not found")
	}
}

// CRI-O 1.31 refuses socket(AF_NETLINK, _, NETLINK_AUDIT) to a container
// without AUDIT_WRITE by ==, and allows socket when either argument
// differs: high bits in either pass. Reported once, under the deny rule,
// not again as what the allow rules leave out.
func TestBypassesCRIOAuditSocket(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	rd, err := RuntimeDefaultFor("cri-o", "1.31")
	if err != nil {
		t.Fatal(err)
	}
	p, err := rd.Load(runtimes.Containerd.Caps.Remove(caps.AUDIT_WRITE))
	bs := bypassesOf(t, p, err)
	for _, want := range []string{"high-bits x86_64 socket(0x100000010, 0x0, 0x9)", "high-bits x86_64 socket(0x10, 0x0, 0x100000009)"} {
		if !has(bs, want) {
			t.Errorf("missing: %s", want)
		}
	}
	for _, b := range bs {
		if b.Deny.Implicit || b.Deny.Action != "SCMP_ACT_ERRNO(EINVAL)" {
			t.Errorf("reported under %s: %s", b.Deny.Describe(), b)
		}
	}
	p, err = rd.Load(runtimes.Containerd.Caps) // with AUDIT_WRITE socket is allowed outright: nothing to walk around
	if bs := bypassesOf(t, p, err); len(bs) != 0 {
		t.Errorf("with AUDIT_WRITE: %d bypasses", len(bs))
	}
}

// Siblings: unshare refused, clone and clone3 allowed; setns refused for
// one namespace type, nstype 0 taking any; a clone3 refused with ENOSYS is
// the fallback runtimes ask for, not a deny that clone walks around.
func TestBypassesSiblings(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, err := loadFile("testdata/deny-unshare.json")
	bs := bypassesOf(t, p, err)
	for _, want := range []string{
		"sibling x86_64 clone(0x20000, 0x0, 0x0)", // CLONE_NEWNS, not 0x80: clone reads that as the exit signal
		"sibling x86_64 clone3(0x10000, 0x58, 0x0)",
	} {
		if !has(bs, want) {
			t.Errorf("missing: %s", want)
		}
	}
	p, err = Parse("inline.json", []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
		"syscalls": [
			{"names": ["setns"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 1073741824, "op": "SCMP_CMP_EQ"}]},
			{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
		]}`), caps.Full)
	bs = bypassesOf(t, p, err)
	if !has(bs, "value x86_64 setns(0x0, 0x0, 0x0)") {
		t.Error("setns(fd, 0) not found")
	}
	for _, b := range bs {
		if b.Deny.Syscall == "clone3" {
			t.Errorf("clone3's ENOSYS reported: %s", b)
		}
	}
}

// A deny rule is named by its line in a JSON profile, by its index
// otherwise.
func TestRuleSource(t *testing.T) {
	p, err := Parse("p.json", []byte(`{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["getpid",
               "mount"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["socket"], "action": "SCMP_ACT_ERRNO",
     "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]},
    {"names": ["socket"], "action": "SCMP_ACT_ERRNO",
     "args": [{"index": 0, "value": 41, "op": "SCMP_CMP_EQ"}]}
  ]
}`), runtimes.Containerd.Caps) // no SYS_ADMIN: the first entry is dropped
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Rules() {
		got = append(got, r.Name+"@"+p.RuleSource(r))
	}
	want := "getpid@p.json:5 mount@p.json:6 socket@p.json:7 socket@p.json:9"
	if strings.Join(got, " ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, " "), want)
	}
	rd, _ := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
	if s := rd.RuleSource(rd.Rules()[0]); s != "runtime-default syscalls[0]" {
		t.Errorf("runtime-default: %s", s)
	}
}

// The filter decides, not the rule's name: a program that refuses socket
// on x86_64 alone (as a rule installed by x86_64 number would) is walked
// around by the same call on every other ABI, and i386's socketcall.
func TestBypassesDecidedByTheProgram(t *testing.T) {
	p, err := Parse("deny-socket.json", []byte(`{"defaultAction": "SCMP_ACT_ALLOW",
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		"syscalls": [{"names": ["socket"], "action": "SCMP_ACT_ERRNO"}]}`), caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	var a kdAsm
	a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 4) // arch
	a.jump(unix.BPF_JEQ, bpf.ArchX86_64, "", "allow")
	a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, 0) // nr
	a.jump(unix.BPF_JEQ, unix.SYS_SOCKET, "", "allow")
	a.stmt(unix.BPF_RET|unix.BPF_K, bpf.RetErrno|1)
	a.label("allow")
	a.stmt(unix.BPF_RET|unix.BPF_K, bpf.RetAllow)
	bs, err := Bypasses(p, a.done())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range bs {
		if b.Kind == "abi" || b.Kind == "multiplexer" {
			got = append(got, short(b))
		}
	}
	want := "abi x86 socket(0x0, 0x0, 0x0) abi x32 socket(0x0, 0x0, 0x0) multiplexer x86 socketcall(1, &args)"
	if strings.Join(got, " ") != want {
		t.Errorf("got %s\nwant %s", strings.Join(got, " "), want)
	}
	if _, err := Bypasses(p, nil); err != ErrNoProgram {
		t.Errorf("no program: %v", err)
	}
}

// A rule without errnoRet answers EPERM whatever defaultErrnoRet says
// (runc's engine gives it no fallback): the analysis names the action
// the filter takes, and the sibling finding is a bypass, not an ENOSYS
// fallback.
func TestBypassesRuleErrnoIgnoresDefault(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, err := Parse("inline.json", []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 38, "architectures": ["SCMP_ARCH_X86_64"],
		"syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_ERRNO"}]}`), caps.Full)
	bs := bypassesOf(t, p, err)
	if len(bs) == 0 {
		t.Fatal("no bypass of unshare found")
	}
	for _, b := range bs {
		if b.Deny.Action != "SCMP_ACT_ERRNO(EPERM)" {
			t.Errorf("%s: deny action %s, want SCMP_ACT_ERRNO(EPERM)", b, b.Deny.Action)
		}
	}
	if f, err := Fallbacks(p, mustProgram(t, p)); err != nil || len(f) > 0 {
		t.Errorf("fallbacks %v (%v): an EPERM rule sends nobody to a fallback", f, err)
	}
}

func mustProgram(t *testing.T, p *Profile) []bpf.Insn {
	t.Helper()
	f, err := Compile(p)
	if err != nil || f.Program() == nil {
		t.Fatalf("compile %s: %v", p.Name, err)
	}
	return f.Program()
}

// MS_MGC_VAL is stripped only when it is the whole top half of mount's
// flags: beside MS_SHARED it makes the call EINVAL, which is no bypass.
func TestBypassesMountMagic(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	for _, c := range []struct {
		flags uint64
		magic bool
	}{
		{unix.MS_SHARED | unix.MS_REC, false},
		{unix.MS_BIND, true},
	} {
		p, err := Parse("inline.json", fmt.Appendf(nil, `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
			"syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 3, "value": %d, "op": "SCMP_CMP_EQ"}]}]}`, c.flags), caps.Full)
		bs := bypassesOf(t, p, err)
		found := slices.ContainsFunc(bs, func(b Bypass) bool { return strings.Contains(b.Why, "MS_MGC_VAL") })
		if found != c.magic {
			t.Errorf("mount flags %#x: MS_MGC_VAL variant reported %t, want %t", c.flags, found, c.magic)
		}
	}
}

// On arm64 the ways around a deny are AArch64's and AArch32's: a rule on
// setuid misses AArch32's setuid32 (the 32-bit-id call, a name of its
// own) and the setresuid sibling; there is no i386 to try and no INT
// $0x80 high-bit trick. Decided on the program compiled as an arm64 node
// builds it.
func TestBypassesOnARM64(t *testing.T) {
	p, err := ParseOn(ARM64, "inline.json", []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
		"syscalls": [{"names": ["setuid"], "action": "SCMP_ACT_ERRNO"}]}`), caps.Full)
	bs := bypassesOf(t, p, err)
	for _, want := range []string{"sibling arm setuid32(0x0, 0x0, 0x0)", "sibling aarch64 setresuid(0x0, 0x0, 0x0)"} {
		if !has(bs, want) {
			t.Errorf("missing: %s", want)
		}
	}
	for _, b := range bs {
		for _, c := range b.Variant {
			if c.Arch != "aarch64" && c.Arch != "arm" {
				t.Errorf("a call of another platform: %s", b)
			}
		}
		if strings.Contains(b.Why, "i386") {
			t.Errorf("i386 named on arm64: %s", b.Why)
		}
	}
	// AArch32 setuid32 reaches the kernel's setuid: the filter decides it
	// on ARM's branch, number 213
	nr, err := SyscallNumber("setuid32", archARM)
	if err != nil || nr != 213 {
		t.Fatalf("arm setuid32: %d %v", nr, err)
	}
}
