//go:build linux

package seccomp

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/runtimes"
)

// exportEnv makes the test binary write, instead of testing, the
// programs runc's engine builds for exportCases on the machine it runs
// on (EngineProgram), as JSON, to the file it names: what an arm64 build
// run under qemu-user answers for arm64.
const exportEnv = "RAMPART_SECCOMP_EXPORT"

// exportCases are every runtime's RuntimeDefault, for a container's
// default capabilities and with CAP_SYS_ADMIN added.
func exportCases() map[string]func(Platform) (*Profile, error) {
	out := map[string]func(Platform) (*Profile, error){}
	for _, rt := range Runtimes {
		for _, v := range []string{""} {
			r, err := runtimes.Lookup(rt, v)
			if err != nil {
				panic(err)
			}
			d := &RuntimeDefault{Seccomp: r.Seccomp}
			out[rt+" default caps"] = func(p Platform) (*Profile, error) { return d.LoadOn(p, r.Caps) }
			out[rt+" +SYS_ADMIN"] = func(p Platform) (*Profile, error) { return d.LoadOn(p, r.Caps|caps.Of(caps.SYS_ADMIN)) }
		}
	}
	return out
}

func exportPrograms(file string) int {
	progs := map[string][]uint64{}
	for name, load := range exportCases() {
		p, err := load(DefaultPlatform())
		if err == nil {
			var insns []uint64
			prog, err2 := EngineProgram(p, true)
			err = err2
			for _, in := range prog {
				insns = append(insns, uint64(in.Code)<<48|uint64(in.Jt)<<40|uint64(in.Jf)<<32|uint64(in.K))
			}
			progs[name] = insns
		}
		if err != nil {
			os.Stderr.WriteString(name + ": " + err.Error() + "\n")
			return 1
		}
	}
	b, _ := json.Marshal(progs)
	if err := os.WriteFile(file, b, 0o644); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	return 0
}

// A filter compiled here for arm64 (audit --arch arm64) is the one an
// arm64 machine compiles: the seccomp test binary, built for arm64 with
// Debian's cross compiler and libseccomp-dev:arm64, runs under
// qemu-user and exports runc's engine's programs there, natively; each
// must equal this machine's export for the arm64 platform instruction
// for instruction.
func TestForeignCompileIsNative(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the cross check runs from amd64")
	}
	for _, tool := range []string{"aarch64-linux-gnu-gcc", "qemu-aarch64-static"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is missing (scripts/deps.sh test installs gcc-aarch64-linux-gnu, libseccomp-dev:arm64 and qemu-user-static)", tool)
		}
	}
	if _, err := os.Stat("/usr/lib/aarch64-linux-gnu/libseccomp.a"); err != nil {
		t.Skip("libseccomp-dev:arm64 is missing (scripts/deps.sh test installs it)")
	}
	if testing.Short() {
		t.Skip("builds the package for arm64 (about a minute)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "seccomp.arm64.test")
	build := exec.Command("go", "test", "-c", "-tags", "seccomp osusergo netgo", "-o", bin,
		"-ldflags", "-linkmode external -extldflags -static", ".")
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=1", "CC=aarch64-linux-gnu-gcc",
		"PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c for arm64: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "programs.json")
	run := exec.Command("qemu-aarch64-static", bin)
	run.Env = append(os.Environ(), exportEnv+"="+file)
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("the arm64 test binary under qemu-user: %v\n%s", err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var native map[string][]uint64
	if err := json.Unmarshal(b, &native); err != nil {
		t.Fatal(err)
	}
	cases := exportCases()
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		p, err := cases[name](ARM64)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := EngineProgram(p, true)
		if err != nil {
			t.Fatal(err)
		}
		var here []uint64
		for _, in := range prog {
			here = append(here, uint64(in.Code)<<48|uint64(in.Jt)<<40|uint64(in.Jf)<<32|uint64(in.K))
		}
		if !reflect.DeepEqual(here, native[name]) {
			t.Errorf("%s: compiled here for arm64, %d instructions; on arm64, %d", name, len(here), len(native[name]))
		} else {
			t.Logf("%s: %d instructions, equal", name, len(here))
		}
	}
}
