//go:build linux && cgo && seccomp

package seccomp

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

func TestCacheStoresWhatTheEngineLoaded(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, err := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
	if err != nil {
		t.Fatal(err)
	}
	first, err := Compile(p)
	if err != nil || !first.Cached {
		t.Fatalf("compile: %v (%s)", err, first.Why)
	}
	files, _ := filepath.Glob(filepath.Join(os.Getenv("RAMPART_CACHE_DIR"), "seccomp", "*.bpf"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	second, err := Compile(p)
	if err != nil || !second.Cached {
		t.Fatal(err)
	}
	if !slices.Equal(first.prog.insns, second.prog.insns) || first.prog.flags != second.prog.flags {
		t.Fatal("program read from the cache differs from the one stored")
	}
	// the program starts by checking the architecture: ld [4]
	if in := first.prog.insns[0]; in.Code != 0x20 || in.K != 4 {
		t.Fatalf("first instruction %+v, want a load of seccomp_data.arch", in)
	}
	// A different profile must not hit the same entry.
	other, _ := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, caps.Full)
	o, err := Compile(other)
	if err != nil || slices.Equal(o.prog.insns, first.prog.insns) {
		t.Fatal("profiles resolved for different bounding sets share a program")
	}
}

// A cache another user could write is never used: a planted program would
// become the workload's filter.
func TestUntrustedCacheIgnored(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	t.Setenv("RAMPART_CACHE_DIR", dir)
	os.MkdirAll(filepath.Join(dir, "seccomp"), 0o777)
	os.Chmod(filepath.Join(dir, "seccomp"), 0o777)
	p, _ := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
	f, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Cached || !strings.Contains(f.Why, "writable by others") {
		t.Fatalf("cached=%v why=%q", f.Cached, f.Why)
	}

	// A trusted directory, but an entry owned by someone else.
	os.Chmod(filepath.Join(dir, "seccomp"), 0o700)
	good, err := Compile(p)
	if err != nil || !good.Cached {
		t.Fatalf("%v %s", err, good.Why)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "seccomp", "*.bpf"))
	digest, err := cacheDigest(p, good.prog.flags)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readProgram(files[0], digest); err != nil {
		t.Fatalf("own entry not read: %v", err)
	}
	os.Chown(files[0], 65534, 65534)
	if _, err := readProgram(files[0], digest); err == nil || !strings.Contains(err.Error(), "belongs to uid 65534") {
		t.Fatalf("foreign entry read: %v", err)
	}
	// corrupt entries are rejected too
	os.Chown(files[0], 0, 0)
	os.WriteFile(files[0], []byte("RMPTBPF1garbage"), 0o600)
	if _, err := readProgram(files[0], digest); err == nil {
		t.Fatal("corrupt entry read")
	}
}

// What the kernel decided in the launcher tests (cmd/rampart), the
// interpreter reads off the same compiled program.
func TestRuntimeDefaultDecisions(t *testing.T) {
	_, f := cachedRuntimeDefault(t)
	const nsFlags = unix.CLONE_NEWUSER | unix.CLONE_NEWNET
	for _, c := range []struct {
		name string
		d    bpf.Data
		want uint32
	}{
		{"unshare x86_64", bpf.Data{Nr: unix.SYS_UNSHARE, Arch: bpf.ArchX86_64, Args: [6]uint64{nsFlags}}, bpf.RetErrno | 1},
		{"unshare i386", bpf.Data{Nr: 310, Arch: bpf.ArchI386, Args: [6]uint64{nsFlags}}, bpf.RetErrno | 1},
		{"unshare x32", bpf.Data{Nr: bpf.X32Bit | unix.SYS_UNSHARE, Arch: bpf.ArchX86_64, Args: [6]uint64{nsFlags}}, bpf.RetErrno | 1},
		{"getpid", bpf.Data{Nr: unix.SYS_GETPID, Arch: bpf.ArchX86_64}, bpf.RetAllow},
		{"raw socket is not seccomp's job", bpf.Data{Nr: unix.SYS_SOCKET, Arch: bpf.ArchX86_64, Args: [6]uint64{2, 3, 1}}, bpf.RetAllow},
		{"clone with CLONE_NEWUSER", bpf.Data{Nr: unix.SYS_CLONE, Arch: bpf.ArchX86_64, Args: [6]uint64{unix.CLONE_NEWUSER}}, bpf.RetErrno | 1},
		{"plain clone", bpf.Data{Nr: unix.SYS_CLONE, Arch: bpf.ArchX86_64, Args: [6]uint64{uint64(unix.SIGCHLD)}}, bpf.RetAllow},
		{"kexec_load", bpf.Data{Nr: unix.SYS_KEXEC_LOAD, Arch: bpf.ArchX86_64}, bpf.RetErrno | 1},
		// newer than the profile: ENOSYS so libc falls back
		{"syscall past the table", bpf.Data{Nr: 1000, Arch: bpf.ArchX86_64}, bpf.RetErrno | uint32(unix.ENOSYS)},
	} {
		got, _, err := bpf.Run(f.prog.insns, c.d)
		if err != nil || got != c.want {
			t.Errorf("%s: %#x %v, want %#x", c.name, got, err, c.want)
		}
	}
}

// What a launch pays for seccomp before loading: resolve the profile and
// find its program in the cache.
func BenchmarkLoadAndCompileCached(b *testing.B) {
	b.Setenv("RAMPART_CACHE_DIR", b.TempDir())
	for i := 0; i < b.N; i++ {
		p, err := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
		if err != nil {
			b.Fatal(err)
		}
		if f, err := Compile(p); err != nil || !f.Cached {
			b.Fatal(err, f.Why)
		}
	}
}

// A profile that denies what the compile helper itself uses (read, write,
// futex) still compiles and caches: the filtered thread makes no syscall.
func TestCompileProfileDenyingHelperIO(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	for i := 0; i < 20; i++ {
		p, err := Parse("deny-io.json", []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
			{"names":["read","write","futex","nanosleep"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`), caps.Full)
		if err != nil {
			t.Fatal(err)
		}
		p.Spec.Syscalls[0].Names = append(p.Spec.Syscalls[0].Names, "getpid") // a new cache entry each round
		if i%2 == 0 {
			p.Spec.Syscalls[0].Names = p.Spec.Syscalls[0].Names[:4]
		}
		f, err := Compile(p)
		if err != nil || !f.Cached {
			t.Fatalf("round %d: %v (%s)", i, err, f.Why)
		}
	}
}

// On one CPU (a 1-vCPU VM, a container limited to one CPU) the helper
// must still answer: its filtered thread spins and holds a P.
func TestCompileOnOneCPU(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	t.Setenv("GOMAXPROCS", "1")
	p, _ := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
	start := time.Now()
	f, err := Compile(p)
	if err != nil || !f.Cached {
		t.Fatalf("%v (%s)", err, f.Why)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("compile took %v", d)
	}
}

// forge overwrites every instruction of a cache entry with "ret ALLOW",
// keeping its header (and so its digest and its length): what root, or a
// mistake, can put under the right name.
func forge(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(b[headerLen-4:]))
	allow := Bytes([]unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: bpf.RetAllow}})
	for i := 0; i < n; i++ {
		copy(b[len(b)-8*(n-i):], allow)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// An entry is held to the profile it is cached for: a planted allow-all
// program with the right name, owner and digest is not loaded; the
// profile is compiled again, and -v says why.
func TestForgedCacheEntryRecompiled(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	t.Setenv("RAMPART_CACHE_DIR", dir)
	p, err := Load(policy.Seccomp{Kind: policy.SeccompFile, Path: "testdata/deny-unshare.json"}, caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	good, err := Compile(p)
	if err != nil || !good.Cached {
		t.Fatalf("%v %s", err, good.Why)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "seccomp", "*.bpf"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	forge(t, files[0])
	digest, _ := cacheDigest(p, good.prog.flags)
	if planted, err := readProgram(files[0], digest); err != nil || planted.insns[0].K != bpf.RetAllow {
		t.Fatalf("the forged entry does not pass the owner and digest checks (%v): the test proves nothing", err)
	}
	again, err := Compile(p)
	if err != nil || !again.Cached {
		t.Fatalf("%v %s", err, again.Why)
	}
	if !slices.Equal(again.prog.insns, good.prog.insns) {
		t.Fatalf("loaded %d instructions, not the engine's %d", len(again.prog.insns), len(good.prog.insns))
	}
	if len(again.Details) != 1 || !strings.Contains(again.Details[0], "the program answers") || !strings.Contains(again.Details[0], "compiled again") {
		t.Fatalf("details %q", again.Details)
	}
	if got, _, _ := bpf.Run(again.prog.insns, bpf.Data{Nr: unix.SYS_UNSHARE, Arch: bpf.ArchX86_64}); got != bpf.RetErrno|1 {
		t.Fatalf("unshare: %s", RetString(got))
	}
	// The entry was written again: the next launch uses it as is.
	third, err := Compile(p)
	if err != nil || len(third.Details) != 0 {
		t.Fatalf("%v %q", err, third.Details)
	}

	// An entry compiled for another profile, copied under this one's name.
	other, _ := Parse("other.json", []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`), caps.Full)
	if _, err := Compile(other); err != nil {
		t.Fatal(err)
	}
	otherDigest, _ := cacheDigest(other, good.prog.flags)
	otherFile := filepath.Join(dir, "seccomp", hex.EncodeToString(otherDigest[:16])+".bpf")
	b, err := os.ReadFile(otherFile)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(files[0], b, 0o600)
	fourth, err := Compile(p)
	if err != nil || len(fourth.Details) != 1 || !strings.Contains(fourth.Details[0], "compiled from another input") {
		t.Fatalf("%v %q", err, fourth.Details)
	}
	if !slices.Equal(fourth.prog.insns, good.prog.insns) {
		t.Fatal("the copied entry was loaded")
	}
}

// The RuntimeDefault program read back from the cache passes the spot
// check (a check that refused the engine's own output would recompile on
// every launch), and the check looks at enough of the program to catch
// the smallest forgery that opens something: any one refusing return
// turned into ALLOW, where a call of an x86 ABI reaches it.
func TestSpotCheckCatchesOneOpenedDecision(t *testing.T) {
	p, f := cachedRuntimeDefault(t)
	if err := spotCheck(p, f.prog.insns, true); err != nil {
		t.Fatal(err)
	}
	reached := map[int]bool{}
	for _, d := range bpf.Samples() {
		if d.Arch != bpf.ArchX86_64 && d.Arch != bpf.ArchI386 {
			continue
		}
		_, path, _ := bpf.Run(f.prog.insns, d)
		reached[path[len(path)-1]] = true
	}
	opened := 0
	for i, in := range f.prog.insns {
		if in.Code != unix.BPF_RET|unix.BPF_K || in.K == bpf.RetAllow || !reached[i] {
			continue
		}
		forged := slices.Clone(f.prog.insns)
		forged[i].K = bpf.RetAllow
		opened++
		if spotCheck(p, forged, true) == nil {
			t.Errorf("return %d (%s) turned into ALLOW is not caught", i, RetString(in.K))
		}
	}
	if opened < 3 {
		t.Fatalf("only %d refusing returns reached: the test proves little", opened)
	}
	t.Logf("%d refusing returns, each turned into ALLOW, caught", opened)
}

// cachedRuntimeDefault compiles containerd's RuntimeDefault into a fresh
// cache, as root, and fails unless the program came from the cache.
func cachedRuntimeDefault(t *testing.T) (*Profile, *Filter) {
	t.Helper()
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	p, _ := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
	f, err := Compile(p)
	if err != nil || !f.Cached {
		t.Fatalf("%v %s", err, f.Why)
	}
	return p, f
}

// What a launch pays for the variant warnings of RuntimeDefault: every
// deny's variants decided by the compiled program.
func BenchmarkBypassesRuntimeDefault(b *testing.B) {
	b.Setenv("RAMPART_CACHE_DIR", b.TempDir())
	p, err := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, runtimes.Containerd.Caps)
	if err != nil {
		b.Fatal(err)
	}
	f, err := Compile(p)
	if err != nil || f.Program() == nil {
		b.Skip("no compiled program (reading a filter back needs root):", err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Bypasses(p, f.Program()); err != nil {
			b.Fatal(err)
		}
	}
}
