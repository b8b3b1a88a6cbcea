//go:build linux && cgo && seccomp

package seccomp

import (
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// EngineProgram is what runc's engine loads, but for runc's ENOSYS stub:
// on every sampled call of every x86 ABI the two programs answer alike,
// except where the stub answers ENOSYS past the last syscall the profile
// names. The loaded program is read back from the kernel after runc's
// engine loaded it (the cache's compile), so this holds EngineProgram to
// the engine itself.
func TestEngineProgramIsWhatRuncLoads(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	var profiles []*Profile
	for _, b := range []caps.Set{caps.Full, runtimes.Containerd.Caps} {
		p, err := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, b)
		if err != nil {
			t.Fatal(err)
		}
		profiles = append(profiles, p)
	}
	for _, rt := range []string{"containerd", "cri-o"} {
		rd, err := RuntimeDefaultFor(rt, "")
		if err != nil {
			t.Fatal(err)
		}
		p, err := rd.Load(runtimes.Containerd.Caps)
		if err != nil {
			t.Fatal(err)
		}
		profiles = append(profiles, p)
	}
	for _, f := range []string{"deny-unshare", "kernel_diff_socket", "kernel_diff_denylist", "variants-socket-raw"} {
		p, err := Load(policy.Seccomp{Kind: policy.SeccompFile, Path: "testdata/" + f + ".json"}, runtimes.Containerd.Caps)
		if err != nil {
			t.Fatal(err)
		}
		profiles = append(profiles, p)
	}
	enosys := Ret("SCMP_ACT_ERRNO", 38)
	for _, p := range profiles {
		f, err := Compile(p)
		if err != nil || !f.Cached {
			t.Fatalf("%s: %v (%s)", p.Name, err, f.Why)
		}
		lib, err := EngineProgram(p, true)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		prefix, _ := numberedPrefix(p)
		lib = append(prefix, lib...)
		bounds := map[uint32]map[bool]int32{}
		for _, a := range Arches {
			if bounds[a.Audit] == nil {
				bounds[a.Audit] = map[bool]int32{}
			}
			bounds[a.Audit][a.X32] = stubBound(p, a)
		}
		differ, stubbed := 0, 0
		for _, d := range bpf.Samples() {
			exported, _, _ := bpf.Run(lib, d)
			loaded, _, _ := bpf.Run(f.Program(), d)
			if exported == loaded {
				continue
			}
			b, ok := bounds[d.Arch][d.Arch == bpf.ArchX86_64 && d.Nr&bpf.X32Bit != 0]
			if loaded == enosys && ok && b > 0 && uint32(d.Nr&^bpf.X32Bit) > uint32(b) {
				stubbed++
				continue
			}
			differ++
			if differ <= 5 {
				t.Errorf("%s: nr %#x arch %#x args %#x: exported %s, loaded %s", p.Name, d.Nr, d.Arch, d.Args, RetString(exported), RetString(loaded))
			}
		}
		t.Logf("%-40s %5d samples, %d answered by runc's stub only", p.Name, len(bpf.Samples()), stubbed)
	}
}

// Programs libseccomp 2.5.4 builds wrong, where conditions meet on one
// argument, are refused whether the launch compiles ahead (and reads the
// program back) or at exec time (where rampart never sees the program it
// loads, and checks libseccomp's export instead); a profile refusing on
// i386 is not refused for the stub's answers there.
func TestSpotCheckEngineMistakes(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	for _, c := range []struct{ name, body, want string }{
		// traps writev(0x10), which neither rule holds for
		{"ge-beside-lt", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
 {"names":["writev"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":4294967308,"op":"SCMP_CMP_GE"}]},
 {"names":["writev"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":16,"op":"SCMP_CMP_LT"}]}]}`,
			"the program answers writev([0x10]) on x86_64 with SCMP_ACT_TRAP where the profile says SCMP_ACT_ALLOW"},
		// lets setns(0, 10) run, which the second rule denies
		{"masked-beside-range", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
 {"names":["setns"],"action":"SCMP_ACT_ERRNO","args":[{"index":2,"value":1073741842,"valueTwo":1073741842,"op":"SCMP_CMP_MASKED_EQ"},{"index":1,"value":1073741824,"op":"SCMP_CMP_LE"}]},
 {"names":["setns"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":18446744073709551615,"valueTwo":32769,"op":"SCMP_CMP_MASKED_EQ"},{"index":1,"value":10,"op":"SCMP_CMP_GE"}]}]}`,
			"the compiled filter does not do what the profile says: the program answers setns("},
		// refuses clone(0x50000012), which the first rule allows
		{"ored-ranges", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
 {"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1342177297,"op":"SCMP_CMP_LE"},{"index":0,"value":5637144593,"op":"SCMP_CMP_LT"}]},
 {"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ"}]},
 {"names":["execve","pread64","close","exit_group"],"action":"SCMP_ACT_ALLOW"}]}`,
			"the program answers clone([0x50000012]) on x86_64 with SCMP_ACT_ERRNO(EPERM) where the profile says SCMP_ACT_ALLOW"},
		// runc's stub counts libseccomp's numbers, where i386's socket
		// calls have none: it answers ENOSYS past close's 6 on x86
		{"i386-stub", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[
 {"names":["read","execve","pread64","close","exit_group","exit"],"action":"SCMP_ACT_ALLOW"},
 {"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}`, ""},
	} {
		for _, cache := range []string{"on", "off"} {
			t.Run(c.name+"/cache-"+cache, func(t *testing.T) {
				t.Setenv("RAMPART_SECCOMP_CACHE", cache)
				p, err := Parse(c.name+".json", []byte(c.body), caps.Full)
				if err != nil {
					t.Fatal(err)
				}
				f, err := Compile(p)
				switch {
				case c.want == "" && err != nil:
					t.Fatalf("refused: %v", err)
				case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
					t.Fatalf("got %v, want …%s…", err, c.want)
				case err == nil && f.Cached != (cache == "on"):
					t.Fatalf("compiled ahead: %v, want %v (%s)", f.Cached, cache == "on", f.Why)
				}
			})
		}
	}
}
