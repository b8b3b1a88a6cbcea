//go:build ignore

// Command gen writes runtimes/seccomp/*.json: the RuntimeDefault
// seccomp profiles of container runtime releases, in moby's profile format
// (includes / excludes by capability, architecture and kernel version),
// which seccomp.Parse resolves against a bounding set.
//
// The profiles are facts taken from each runtime's own code, run rather
// than read: for containerd, gen builds containerd/main.go against the
// release in a throwaway module, for each GOARCH, and runs it under
// qemu-user with a faked kernel release; the rules that come and go with
// the architecture and the kernel get those conditions. For CRI-O, whose
// library (containers/common) already states its profile in this format,
// crio/main.go converts it and applies CRI-O's own change (unshare only
// with CAP_SYS_ADMIN). Neither runtime becomes a dependency of rampart.
//
// Needs the Go module proxy and qemu-user (apt-get install qemu-user):
//
//	cd runtimes/seccomp && go run gen/main.go            # every release below
//	cd runtimes/seccomp && go run gen/main.go containerd-1.6.20
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// releases are the profiles written, by file name: containerd releases
// the module proxy lists from 1.6 on, sampled so that every line's newest
// release is there and, within a line, releases on both sides of each
// change found (the release where a change came in is not pinned between
// two samples). runtimes.Lookup picks the newest sample at or
// below the release asked for.
var releases = []release{
	{"containerd-1.6.1", "github.com/containerd/containerd", "v1.6.1"},
	{"containerd-1.6.8", "github.com/containerd/containerd", "v1.6.8"},
	{"containerd-1.6.19", "github.com/containerd/containerd", "v1.6.19"},
	{"containerd-1.6.20", "github.com/containerd/containerd", "v1.6.20"},
	{"containerd-1.6.36", "github.com/containerd/containerd", "v1.6.36"},
	{"containerd-1.7.2", "github.com/containerd/containerd", "v1.7.2"},
	{"containerd-1.7.11", "github.com/containerd/containerd", "v1.7.11"},
	{"containerd-1.7.18", "github.com/containerd/containerd", "v1.7.18"},
	{"containerd-1.7.24", "github.com/containerd/containerd", "v1.7.24"},
	{"containerd-1.7.29", "github.com/containerd/containerd", "v1.7.29"},
	{"containerd-1.7.32", "github.com/containerd/containerd", "v1.7.32"},
	{"containerd-1.7.35", "github.com/containerd/containerd", "v1.7.35"},
	{"containerd-2.0.13", "github.com/containerd/containerd/v2", "v2.0.13"},
	{"containerd-2.0.14", "github.com/containerd/containerd/v2", "v2.0.14"},
	{"containerd-2.1.3", "github.com/containerd/containerd/v2", "v2.1.3"},
	{"containerd-2.1.9", "github.com/containerd/containerd/v2", "v2.1.9"},
	{"containerd-2.2.1", "github.com/containerd/containerd/v2", "v2.2.1"},
	{"containerd-2.2.9", "github.com/containerd/containerd/v2", "v2.2.9"},
	{"containerd-2.3.4", "github.com/containerd/containerd/v2", "v2.3.4"},
	{"containerd-2.3.7", "github.com/containerd/containerd/v2", "v2.3.7"},
	{"containerd-2.4.0", "github.com/containerd/containerd/v2", "v2.4.0"},
	{"containerd-2.4.2", "github.com/containerd/containerd/v2", "v2.4.2"},
	// CRI-O's go.mod of the 1.31 line (k8s.io/api v0.31) requires
	// containers/common v0.60.4; later lines' are not on the proxy.
	{"cri-o-1.31", "github.com/containers/common", "v0.60.4"},
}

type release struct{ file, module, version string }

// arches are the GOARCHes containerd's profile is computed on, with
// qemu-user's name and the name moby's format gives them in "arches".
// 386 is left out: Go's 386 runtime does not start under qemu-i386 7.2,
// and no Kubernetes node runs a 32-bit x86 kernel.
var arches = []struct{ goarch, qemu, native, scmp string }{
	{"amd64", "x86_64", "amd64", "SCMP_ARCH_X86_64"},
	{"arm64", "aarch64", "arm64", "SCMP_ARCH_AARCH64"},
	{"arm", "arm", "arm", "SCMP_ARCH_ARM"},
	{"ppc64le", "ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE"},
	{"s390x", "s390x", "s390x", "SCMP_ARCH_S390X"},
	{"riscv64", "riscv64", "riscv64", "SCMP_ARCH_RISCV64"},
	{"mips64le", "mips64el", "mipsel64", "SCMP_ARCH_MIPSEL64"},
	{"loong64", "loongarch64", "loongarch64", "SCMP_ARCH_LOONGARCH64"},
}

// kernels are the releases the dump is run under; containerd's kernel
// conditions are "at least X.Y", found by bisecting this ladder.
var kernels = func() []string {
	var k []string
	for major, last := range map[int]int{3: 19, 4: 20, 5: 19, 6: 19} {
		for minor := 0; minor <= last; minor++ {
			k = append(k, fmt.Sprintf("%d.%d.0", major, minor))
		}
	}
	slices.SortFunc(k, func(a, b string) int { return kcmp(a, b) })
	return k
}()

func kcmp(a, b string) int {
	var a1, a2, b1, b2 int
	fmt.Sscanf(a, "%d.%d", &a1, &a2)
	fmt.Sscanf(b, "%d.%d", &b1, &b2)
	if a1 != b1 {
		return a1 - b1
	}
	return a2 - b2
}

func main() {
	only := os.Args[1:]
	for _, r := range releases {
		if len(only) > 0 && !slices.Contains(only, r.file) {
			continue
		}
		fmt.Fprintln(os.Stderr, "gen:", r.file)
		var body []byte
		var err error
		if strings.HasPrefix(r.file, "cri-o") {
			body, err = crio(r)
		} else {
			body, err = containerd(r)
		}
		if err == nil {
			err = os.WriteFile(r.file+".json", body, 0o644)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "gen: %s: %v\n", r.file, err)
			os.Exit(1)
		}
	}
}

// module makes a throwaway module holding one dump program built against
// r's release.
func module(r release, prog string) (string, error) {
	src, err := os.ReadFile(filepath.Join("gen", prog, "main.go"))
	if err != nil {
		return "", err
	}
	src = bytes.Replace(src, []byte("//go:build ignore\n"), nil, 1)
	if strings.HasSuffix(r.module, "/v2") {
		src = bytes.ReplaceAll(src, []byte(`"github.com/containerd/containerd/contrib`), []byte(`"github.com/containerd/containerd/v2/contrib`))
	}
	dir, err := os.MkdirTemp("", "rampart-gen-")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
		return "", err
	}
	pkg := r.module + "/contrib/seccomp"
	if prog == "crio" {
		pkg = r.module + "/pkg/seccomp"
	}
	for _, args := range [][]string{{"mod", "init", "gen"}, {"get", pkg + "@" + r.version}} {
		if err := run(dir, nil, "go", args...); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func run(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stderr = dir, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// The dump's form; see containerd/main.go.
type dump struct {
	Architectures   []string          `json:"architectures"`
	DefaultAction   string            `json:"defaultAction"`
	DefaultErrnoRet *uint             `json:"defaultErrnoRet,omitempty"`
	Flags           []string          `json:"flags,omitempty"`
	Rules           []json.RawMessage `json:"rules"`
}

type dumpRule struct {
	Syscall  json.RawMessage `json:"syscall"`
	Includes []string        `json:"includes,omitempty"`
	Excludes []string        `json:"excludes,omitempty"`
}

// Moby's profile format, as much of it as the output uses.
type profile struct {
	Comment         string      `json:"comment"`
	DefaultAction   string      `json:"defaultAction"`
	DefaultErrnoRet *uint       `json:"defaultErrnoRet,omitempty"`
	ArchMap         []archEntry `json:"archMap"`
	Flags           []string    `json:"flags,omitempty"`
	Syscalls        []syscall   `json:"syscalls"`
}

type archEntry struct {
	Arch      string   `json:"architecture"`
	SubArches []string `json:"subArchitectures"`
}

type syscall struct {
	Names    []string        `json:"names"`
	Action   string          `json:"action"`
	Args     json.RawMessage `json:"args,omitempty"`
	ErrnoRet *uint           `json:"errnoRet,omitempty"`
	Includes *filter         `json:"includes,omitempty"`
	Excludes *filter         `json:"excludes,omitempty"`
}

type filter struct {
	Caps      []string `json:"caps,omitempty"`
	Arches    []string `json:"arches,omitempty"`
	MinKernel string   `json:"minKernel,omitempty"`
}

func containerd(r release) ([]byte, error) {
	dir, err := module(r, "containerd")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	var out profile
	var done []string // the GOARCHes computed
	type cond struct {
		rule        string // the dump rule: syscall and capability condition
		minKernel   string // present from this kernel on
		untilKernel string // present below this kernel only
		arches      []string
	}
	var conds []*cond
	byKey := map[string]*cond{}
	for ai, a := range arches {
		bin := filepath.Join(dir, "dump-"+a.goarch)
		if err := run(dir, []string{"GOARCH=" + a.goarch, "CGO_ENABLED=0"}, "go", "build", "-o", bin, "."); err != nil {
			// Older releases' dependencies predate some GOARCHes
			// (loong64); the profile is then computed without them.
			if ai == 0 {
				return nil, err
			}
			fmt.Fprintf(os.Stderr, "gen: %s: skipping %s: %v\n", r.file, a.goarch, err)
			continue
		}
		done = append(done, a.goarch)
		runs := map[string]*dump{}
		at := func(kernel string) (*dump, error) {
			if d := runs[kernel]; d != nil {
				return d, nil
			}
			cmd := exec.Command("qemu-"+a.qemu, "-r", kernel, bin)
			cmd.Stderr = os.Stderr
			b, err := cmd.Output()
			if err != nil {
				return nil, fmt.Errorf("%s under %s: %w", a.goarch, kernel, err)
			}
			var d dump
			if err := json.Unmarshal(b, &d); err != nil {
				return nil, err
			}
			runs[kernel] = &d
			return &d, nil
		}
		lo, err := at(kernels[0])
		if err != nil {
			return nil, err
		}
		hi, err := at(kernels[len(kernels)-1])
		if err != nil {
			return nil, err
		}
		if ai == 0 {
			out.DefaultAction, out.DefaultErrnoRet, out.Flags = hi.DefaultAction, hi.DefaultErrnoRet, hi.Flags
		} else if hi.DefaultAction != out.DefaultAction || !slices.Equal(hi.Flags, out.Flags) || !sameUint(hi.DefaultErrnoRet, out.DefaultErrnoRet) {
			return nil, fmt.Errorf("%s: the profile's defaults differ from %s's", a.goarch, arches[0].goarch)
		}
		if len(hi.Architectures) > 0 {
			if !slices.Contains(hi.Architectures, a.scmp) {
				return nil, fmt.Errorf("%s: architectures %v lack %s", a.goarch, hi.Architectures, a.scmp)
			}
			e := archEntry{Arch: a.scmp, SubArches: []string{}}
			for _, s := range hi.Architectures {
				if s != a.scmp {
					e.SubArches = append(e.SubArches, s)
				}
			}
			out.ArchMap = append(out.ArchMap, e)
		}
		// A rule is present on this arch from some kernel on, below some
		// kernel only, or always.
		count := func(d *dump) map[string]int {
			m := map[string]int{}
			for _, r := range d.Rules {
				m[string(r)]++
			}
			return m
		}
		// present reports whether rule is in the dump under kernels[i].
		present := func(rule string, i int) (bool, error) {
			d, err := at(kernels[i])
			if err != nil {
				return false, err
			}
			return count(d)[rule] > 0, nil
		}
		// edge is the first kernel of the ladder where present(rule) turns
		// to want; the gate is a single "at least" test, so one edge.
		edge := func(rule string, want bool) (string, error) {
			i, j := 0, len(kernels)-1 // present(i) != want, present(j) == want
			for j-i > 1 {
				m := (i + j) / 2
				p, err := present(rule, m)
				if err != nil {
					return "", err
				}
				if p == want {
					j = m
				} else {
					i = m
				}
			}
			return strings.TrimSuffix(kernels[j], ".0"), nil
		}
		// Rules in both runs are unconditional; those only under the
		// newest kernel are gated "at least", those only under the oldest
		// "below".
		hiN, loN := count(hi), count(lo)
		common := map[string]int{}
		for k, n := range hiN {
			common[k] = min(n, loN[k])
		}
		onlyLo := map[string]int{}
		for k, n := range loN {
			onlyLo[k] = n - common[k]
		}
		var rules []*cond
		for _, raw := range hi.Rules {
			c := &cond{rule: string(raw)}
			if common[c.rule] > 0 {
				common[c.rule]--
			} else if c.minKernel, err = edge(c.rule, true); err != nil {
				return nil, err
			}
			rules = append(rules, c)
		}
		for _, raw := range lo.Rules {
			c := &cond{rule: string(raw)}
			if onlyLo[c.rule] <= 0 {
				continue
			}
			onlyLo[c.rule]--
			if c.untilKernel, err = edge(c.rule, false); err != nil {
				return nil, err
			}
			rules = append(rules, c)
		}
		// The same rule twice on an arch stays twice: number repeats.
		seen := map[string]int{}
		for _, c := range rules {
			k := fmt.Sprintf("%s\x00%s\x00%s", c.rule, c.minKernel, c.untilKernel)
			seen[k]++
			k += fmt.Sprint("\x00", seen[k])
			if prev := byKey[k]; prev != nil {
				prev.arches = append(prev.arches, a.native)
				continue
			}
			c.arches = []string{a.native}
			byKey[k] = c
			conds = append(conds, c)
		}
	}
	for _, c := range conds {
		var dr dumpRule
		if err := json.Unmarshal([]byte(c.rule), &dr); err != nil {
			return nil, err
		}
		var s struct {
			Names    []string        `json:"names"`
			Action   string          `json:"action"`
			ErrnoRet *uint           `json:"errnoRet"`
			Args     json.RawMessage `json:"args"`
		}
		if err := json.Unmarshal(dr.Syscall, &s); err != nil {
			return nil, err
		}
		sc := syscall{Names: s.Names, Action: s.Action, ErrnoRet: s.ErrnoRet}
		if len(s.Args) > 0 && string(s.Args) != "null" && string(s.Args) != "[]" {
			sc.Args = s.Args
		}
		inc, exc := &filter{Caps: dr.Includes, MinKernel: c.minKernel}, &filter{Caps: dr.Excludes, MinKernel: c.untilKernel}
		if len(c.arches) < len(done) {
			inc.Arches = c.arches
		}
		if inc.Caps != nil || inc.Arches != nil || inc.MinKernel != "" {
			sc.Includes = inc
		}
		if exc.Caps != nil || exc.MinKernel != "" {
			sc.Excludes = exc
		}
		out.Syscalls = append(out.Syscalls, sc)
	}
	out.Comment = fmt.Sprintf("RuntimeDefault of containerd %s (%s/contrib/seccomp DefaultProfile), as computed on %s; generated by runtimes/seccomp/gen, do not edit",
		r.version, r.module, strings.Join(done, ", "))
	return marshal(out)
}

func crio(r release) ([]byte, error) {
	dir, err := module(r, "crio")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("go", "run", ".")
	cmd.Dir, cmd.Stderr = dir, os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var out profile
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	out.Comment = fmt.Sprintf("RuntimeDefault of CRI-O: %s %s pkg/seccomp DefaultProfile with CRI-O's change (unshare only with CAP_SYS_ADMIN); generated by runtimes/seccomp/gen, do not edit", r.module, r.version)
	return marshal(out)
}

func marshal(p profile) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "\t")
	enc.SetEscapeHTML(false)
	err := enc.Encode(p)
	return b.Bytes(), err
}

func sameUint(a, b *uint) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
