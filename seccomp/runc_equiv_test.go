//go:build linux && cgo && seccomp

package seccomp_test

import (
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/runc"
	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// equivArgsProfile exercises what the engines do with argument conditions:
// every operator, conditions on two arguments of one rule (AND), two
// conditions on the same argument (runc splits them into separate rules,
// i.e. OR), 64-bit values whose high word matters, several rules with
// different actions for one syscall, every action, and a rule whose action
// equals the default (both runc versions drop it). Rules for socket share
// one action: on i386 libseccomp 2.5.4 also places them on socketcall(2),
// whose arguments it cannot see, as an unconditional rule, and refuses a
// second such rule with another action (EEXIST). The default is allow so
// that runc's init and busybox sleep run under it; none of the
// conditioned calls is one they make. (With a default of allow, runc adds
// no ENOSYS stub, and under 32 rules neither engine builds a binary tree:
// the two programs come out byte-identical. RuntimeDefault covers the
// stub and the tree.)
const equivArgsProfile = `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
              {"index": 1, "value": 15, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}]},
    {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_GE"}]},
    {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
              {"index": 0, "value": 4194304, "op": "SCMP_CMP_EQ"}]},
    {"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "args": [{"index": 1, "value": 4294967295, "valueTwo": 21522, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["ioctl"], "action": "SCMP_ACT_TRAP",
     "args": [{"index": 1, "value": 21523, "op": "SCMP_CMP_EQ"}]},
    {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "args": [{"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "args": [{"index": 0, "value": 131072, "op": "SCMP_CMP_GT"}]},
    {"names": ["unshare"], "action": "SCMP_ACT_LOG",
     "args": [{"index": 0, "value": 512, "op": "SCMP_CMP_LT"}]},
    {"names": ["setns"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
     "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_GE"},
              {"index": 1, "value": 536870912, "op": "SCMP_CMP_LE"}]},
    {"names": ["fallocate"], "action": "SCMP_ACT_ERRNO", "errnoRet": 27,
     "args": [{"index": 2, "value": 4294967296, "op": "SCMP_CMP_GE"}]},
    {"names": ["ftruncate"], "action": "SCMP_ACT_ERRNO", "errnoRet": 27,
     "args": [{"index": 1, "value": 2147483647, "op": "SCMP_CMP_GT"}]},
    {"names": ["chmod", "fchmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "args": [{"index": 1, "value": 2048, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
     "args": [{"index": 2, "value": 2048, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["bpf"], "action": "SCMP_ACT_KILL_PROCESS",
     "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}]},
    {"names": ["lseek"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
     "args": [{"index": 2, "value": 4, "op": "SCMP_CMP_NE"}, {"index": 1, "value": 0, "op": "SCMP_CMP_LT"}]},
    {"names": ["kexec_load"], "action": "SCMP_ACT_KILL"},
    {"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 1},
    {"names": ["mknod", "mknodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
    {"names": ["getpid"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}
  ]
}`

// TestRuncEquivalence compares, decision by decision, the program rampart
// loads (Compile: runc's current libseccomp engine, binary tree) with the
// filter Debian's runc binary (an older runc, its own libseccomp-golang
// and ENOSYS stub) loads into a live container for the same OCI profile,
// both read back from the kernel.
func TestRuncEquivalence(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("reading a filter back needs CAP_SYS_ADMIN (run as root)")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		t.Fatal("runc not installed (Debian package runc; scripts/deps.sh test installs it)")
	}
	if err := equivRequireBusybox(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir()) // compile now, with this engine
	if out, err := exec.Command("runc", "--version").Output(); err == nil {
		t.Logf("runc binary: %s", strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; "))
	}

	rd, err := seccomp.Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
	if err != nil {
		t.Fatal(err)
	}
	args, err := seccomp.Parse("args.json", []byte(equivArgsProfile), runtimes.Containerd.Caps)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    *seccomp.Profile
	}{{"RuntimeDefault", rd}, {"ArgConditions", args}} {
		t.Run(c.name, func(t *testing.T) {
			f, err := seccomp.Compile(c.p)
			if err != nil {
				t.Fatal(err)
			}
			if !f.Cached {
				t.Fatalf("no program compiled ahead: %s", f.Why)
			}
			ours := f.Program()
			theirs := equivRuncFilter(t, c.p.Spec)

			samples := append(bpf.Samples(), equivBoundarySamples(t, c.p.Spec)...)
			compared, diffs, actions := equivCompare(t, ours, theirs, samples)
			for _, d := range diffs[:min(len(diffs), 20)] {
				t.Error(d)
			}
			if len(diffs) > 0 {
				t.Fatalf("%d of %d decisions differ between rampart's program and runc's", len(diffs), compared)
			}
			// The comparison means something only if the profile's
			// decisions vary over the samples.
			if len(actions) < 3 {
				t.Fatalf("samples reach only %d distinct return values: %v", len(actions), actions)
			}
			same := slices.Equal(ours, theirs)
			t.Logf("%d decisions compared (x86_64, x32, i386), all equal; %d distinct return values %s",
				compared, len(actions), equivFormatActions(actions))
			t.Logf("rampart: %d instructions, runc binary: %d instructions, byte-identical: %v", len(ours), len(theirs), same)
		})
	}
}

// equivRequireBusybox refuses a dynamically linked busybox: the
// container's root filesystem has no libraries.
func equivRequireBusybox() error {
	f, err := elf.Open("/bin/busybox")
	if err != nil {
		return fmt.Errorf("busybox (Debian package busybox-static): %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("/bin/busybox is dynamically linked; install busybox-static")
		}
	}
	return nil
}

// equivCompare runs both programs on every sample and returns how
// many were compared, the differences, and how often each return value
// occurred.
func equivCompare(t *testing.T, ours, theirs []unix.SockFilter, samples []bpf.Data) (int, []string, map[uint32]int) {
	t.Helper()
	var diffs []string
	actions := map[uint32]int{}
	for _, d := range samples {
		a, _, err := bpf.Run(ours, d)
		if err != nil {
			t.Fatalf("rampart's program: %v", err)
		}
		b, _, err := bpf.Run(theirs, d)
		if err != nil {
			t.Fatalf("runc's program: %v", err)
		}
		actions[a]++
		if a != b {
			diffs = append(diffs, fmt.Sprintf("arch %#x nr %#x args %#x: rampart %#x, runc %#x", d.Arch, d.Nr, d.Args, a, b))
		}
	}
	return len(samples), diffs, actions
}

func equivFormatActions(m map[uint32]int) string {
	var keys []uint32
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%#x×%d", k, m[k]))
	}
	return "(" + strings.Join(parts, " ") + ")"
}

// equivBoundarySamples adds, for every syscall the profile conditions on
// arguments, on each of the three architectures, the values around each
// condition's constants in each of the first three arguments and in pairs
// of them, so that every comparison is seen from both sides.
func equivBoundarySamples(t *testing.T, s *specs.LinuxSeccomp) []bpf.Data {
	t.Helper()
	vals := map[uint64]bool{0: true, 1: true, 0xffffffff: true, 0x100000000: true, 0xffffffffffffffff: true,
		0x8000000000000000: true, 0xffffffff00000000: true}
	names := map[string]bool{}
	for _, sc := range s.Syscalls {
		if len(sc.Args) == 0 {
			continue
		}
		for _, n := range sc.Names {
			names[n] = true
		}
		for _, a := range sc.Args {
			for _, v := range []uint64{a.Value, a.ValueTwo} {
				vals[v-1], vals[v], vals[v+1] = true, true, true
				vals[v|0xffffffff00000000], vals[v|0x100000000] = true, true
				vals[v&0xffffffff] = true
			}
		}
	}
	var vs []uint64
	for v := range vals {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	type arch struct {
		scmp  libseccomp.ScmpArch
		audit uint32
		bit   int32
	}
	var out []bpf.Data
	for n := range names {
		for _, a := range []arch{{libseccomp.ArchAMD64, bpf.ArchX86_64, 0}, {libseccomp.ArchX86, bpf.ArchI386, 0}, {libseccomp.ArchX32, bpf.ArchX86_64, bpf.X32Bit}} {
			nr, err := libseccomp.GetSyscallFromNameByArch(n, a.scmp)
			if err != nil || nr < 0 {
				continue // not on this architecture (e.g. socket on i386 before 4.3 is socketcall)
			}
			d := bpf.Data{Nr: int32(nr) | a.bit, Arch: a.audit}
			for i := 0; i < 3; i++ {
				for _, v := range vs {
					x := d
					x.Args[i] = v
					out = append(out, x)
					for j := i + 1; j < 3; j++ {
						for _, w := range vs {
							y := x
							y.Args[j] = w
							out = append(out, y)
						}
					}
				}
			}
		}
	}
	return out
}

// equivRuncFilter reads the filter Debian's runc loads for profile, with
// containerd's default capabilities and no_new_privs.
func equivRuncFilter(t *testing.T, profile *specs.LinuxSeccomp) []unix.SockFilter {
	t.Helper()
	spec, err := oci.Spec(&policy.Policy{}, nil, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	spec.Process.NoNewPrivileges = true
	spec.Linux.Seccomp = profile
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prog, err := runc.LoadedFilter(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// A bundle's config.json, read by rampart (seccomp.Load of the file), is
// the filter runc loads from that very file: the config oci.Spec writes
// for RuntimeDefault and for the argument profile, run by the runc
// binary and read back from the kernel, answers every sample as
// rampart's program does.
func TestOCIConfigFilterIsRuncs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("reading a filter back needs CAP_SYS_ADMIN (run as root)")
	}
	if err := equivRequireBusybox(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	args, err := seccomp.Parse("args.json", []byte(equivArgsProfile), runtimes.Containerd.Caps)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    *policy.Policy
		with *specs.LinuxSeccomp
	}{
		{"RuntimeDefault", &policy.Policy{Seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault}}, nil},
		{"ArgConditions", &policy.Policy{}, args.Spec},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec, err := oci.Spec(c.p, nil, oci.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if c.with != nil {
				spec.Linux.Seccomp = c.with
			}
			spec.Process.NoNewPrivileges = true
			body, err := json.MarshalIndent(spec, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(file, body, 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := seccomp.Load(policy.Seccomp{Kind: policy.SeccompFile, Path: file}, caps.Set(0))
			if err != nil {
				t.Fatal(err)
			}
			f, err := seccomp.Compile(p)
			if err != nil || !f.Cached {
				t.Fatalf("%v %v", err, f)
			}
			// runc gets the file's bytes as they are
			var fromFile specs.Spec
			if err := json.Unmarshal(body, &fromFile); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			theirs, err := runc.LoadedFilter(ctx, &fromFile)
			if err != nil {
				t.Fatal(err)
			}
			compared, diffs, actions := equivCompare(t, f.Program(), theirs, append(bpf.Samples(), equivBoundarySamples(t, fromFile.Linux.Seccomp)...))
			for _, d := range diffs[:min(len(diffs), 20)] {
				t.Error(d)
			}
			if len(diffs) > 0 || len(actions) < 3 {
				t.Fatalf("%d of %d decisions differ; %d distinct return values", len(diffs), compared, len(actions))
			}
			t.Logf("%d decisions compared, all equal (%s)", compared, equivFormatActions(actions))
		})
	}
}
