//go:build linux

package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

// seccompPeers writes, next to the program rampart loaded into PID (which
// bench/seccomp.sh stores as DIR/rampart.bpf), the peers it is measured
// against, for the same profile (RuntimeDefault resolved for PID's
// bounding set): DIR/runc.bpf, the filter Debian's runc loads into a
// container, and DIR/linear.bpf, libseccomp's linear form. DIR/profile.json
// records the profile, DIR/bounding the set.
func seccompPeers(pid int, dir string) error {
	set, err := boundingOf(pid)
	if err != nil {
		return err
	}
	prof, err := runtimeDefaultFor(set)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(prof.Spec, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "profile.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bounding"), []byte(set.Hex()+"\n"), 0o644); err != nil {
		return err
	}
	rc, err := runcFilter(set)
	if err != nil {
		return fmt.Errorf("runc's filter: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "runc.bpf"), seccomp.Bytes(rc), 0o644); err != nil {
		return err
	}
	lin, err := seccomp.EngineProgram(prof, false)
	if err != nil {
		return fmt.Errorf("libseccomp linear form: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "linear.bpf"), seccomp.Bytes(lin), 0o644)
}

func readProgram(file string) ([]unix.SockFilter, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || len(b)%8 != 0 {
		return nil, fmt.Errorf("%s: not a seccomp program (%d bytes)", file, len(b))
	}
	prog := make([]unix.SockFilter, len(b)/8)
	for i := range prog {
		x := b[8*i:]
		prog[i] = unix.SockFilter{Code: binary.NativeEndian.Uint16(x), Jt: x[2], Jf: x[3], K: binary.NativeEndian.Uint32(x[4:])}
	}
	return prog, bpf.Validate(prog)
}

// column is one filter of the report.
type column struct {
	key, title string
	prog       []unix.SockFilter // nil: no filter
}

// benchmarked are the x86_64 syscalls the loops of bench/syscallcost make,
// with the arguments they pass where the profile looks at them.
var benchmarked = []struct {
	name string
	d    bpf.Data
}{
	{"getppid", bpf.Data{Nr: unix.SYS_GETPPID, Arch: bpf.ArchX86_64}},
	{"socket", bpf.Data{Nr: unix.SYS_SOCKET, Arch: bpf.ArchX86_64, Args: [6]uint64{unix.AF_INET, unix.SOCK_DGRAM}}},
	{"socket(0xffff)", bpf.Data{Nr: unix.SYS_SOCKET, Arch: bpf.ArchX86_64, Args: [6]uint64{0xffff, unix.SOCK_DGRAM}}},
	{"close", bpf.Data{Nr: unix.SYS_CLOSE, Arch: bpf.ArchX86_64, Args: [6]uint64{3}}},
	{"clone", bpf.Data{Nr: unix.SYS_CLONE, Arch: bpf.ArchX86_64, Args: [6]uint64{unix.CLONE_VM | unix.CLONE_VFORK | uint64(unix.SIGCHLD)}}},
	{"wait4", bpf.Data{Nr: unix.SYS_WAIT4, Arch: bpf.ArchX86_64}},
	{"exit", bpf.Data{Nr: unix.SYS_EXIT, Arch: bpf.ArchX86_64}},
}

// loops are the lines bench/syscallcost prints, with their labels.
var loops = []struct{ key, label string }{
	{"getppid", "getppid"},
	{"socket", "socket(AF_INET, SOCK_DGRAM) + close"},
	{"badfamily", "socket(0xffff, …), refused"},
	{"clone", "clone(CLONE_VM\\|CLONE_VFORK\\|SIGCHLD) + wait4"},
}

// constAllow says whether the kernel's seccomp action cache (Linux 5.11+)
// skips the filter for d's syscall: emulating the program with only the
// syscall number and architecture known reaches SECCOMP_RET_ALLOW without
// reading anything else (seccomp_is_const_allow).
func constAllow(prog []unix.SockFilter, d bpf.Data) bool {
	ret, path, err := bpf.Run(prog, bpf.Data{Nr: d.Nr, Arch: d.Arch})
	if err != nil || ret != bpf.RetAllow {
		return false
	}
	for _, pc := range path {
		in := prog[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if in.K != 0 && in.K != 4 {
				return false
			}
		case unix.BPF_RET | unix.BPF_K, unix.BPF_JMP | unix.BPF_JA,
			unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K,
			unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K, unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K,
			unix.BPF_ALU | unix.BPF_AND | unix.BPF_K:
		default:
			return false
		}
	}
	return true
}

type pathStats struct {
	worst            int
	mean, meanX86_64 float64
}

func statsOf(prog []unix.SockFilter, samples []bpf.Data) (pathStats, []uint32, error) {
	var s pathStats
	var sum, sum64, n64 int
	rets := make([]uint32, len(samples))
	for i, d := range samples {
		ret, path, err := bpf.Run(prog, d)
		if err != nil {
			return s, nil, err
		}
		rets[i] = ret
		s.worst = max(s.worst, len(path))
		sum += len(path)
		if d.Arch == bpf.ArchX86_64 && d.Nr&bpf.X32Bit == 0 {
			sum64 += len(path)
			n64++
		}
	}
	s.mean = float64(sum) / float64(len(samples))
	s.meanX86_64 = float64(sum64) / float64(n64)
	return s, rets, nil
}

// readTimes reads "FILTER OP NS" lines.
func readTimes(file string) (map[string]map[string][]float64, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]map[string][]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 {
			continue
		}
		v, err := strconv.ParseFloat(fs[2], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", file, sc.Text(), err)
		}
		if out[fs[0]] == nil {
			out[fs[0]] = map[string][]float64{}
		}
		out[fs[0]][fs[1]] = append(out[fs[0]][fs[1]], v)
	}
	return out, sc.Err()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// seccompReport writes the Markdown report of bench/seccomp.sh: one
// section per DIR (see seccompPeers; DIR/flags holds the `rampart run`
// flags, DIR/times.txt the helper's lines, each prefixed with the filter).
func seccompReport(dirs []string, w io.Writer) error {
	var uts unix.Utsname
	unix.Uname(&uts)
	fmt.Fprintf(w, "# seccomp filter cost\n\n")
	fmt.Fprintf(w, "`make bench` (bench/seccomp.sh), %s: kernel %s, %d CPUs (%s), libseccomp %s.\n",
		time.Now().UTC().Format("2006-01-02"), unix.ByteSliceToString(uts.Release[:]), cpus(), cpuModel(), libseccompVersion())
	fmt.Fprintf(w, "One helper (bench/syscallcost), pinned to one CPU, loads each program with seccomp(2) and then runs the loops; ")
	fmt.Fprintf(w, "the filters take turns, each in its own process. ns/op is the median of all repetitions; (+N) is the cost over no filter.\n\n")
	fmt.Fprintf(w, "- **rampart**: the program rampart loads, read back from a live `rampart run`: libseccomp binary tree (runc %s's libcontainer, the engine rampart links), runc's ENOSYS stub in front.\n", moduleVersion("github.com/opencontainers/runc"))
	fmt.Fprintf(w, "- **runc %s**: the filter Debian's runc binary loads into a container for the same profile, read back from the container's process: no binary tree, its own ENOSYS stub.\n", runcVersion())
	fmt.Fprintf(w, "- **libseccomp linear**: the same rules built with libseccomp-golang without SetOptimize(2), exported with ExportBPF: no binary tree, no ENOSYS stub.\n")
	fmt.Fprintf(w, "- Paths are BPF instructions executed (seccomp/bpf.Run) over bpf.Samples() (every syscall number of x86_64, x32 and i386 with argument sets that profiles test). ")
	fmt.Fprintf(w, "\\* marks a benchmarked syscall whose decision is a constant allow for its architecture: the kernel's seccomp action cache (Linux 5.11+) answers it from a bitmap without running the program, so its cost does not depend on the program.\n")
	fmt.Fprintf(w, "- socket(0xffff, …) is a call whose arguments the profile checks and that is refused at once: without a filter by the kernel's socket code (EAFNOSUPPORT); RuntimeDefault allows only known address families, so under a filter by the program itself (EPERM), at the end of its longest socket path, and the socket code never runs. Compare the filters with each other on this row: the difference between them is the difference between their paths.\n")
	for _, dir := range dirs {
		if err := seccompSection(dir, w); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
	}
	return nil
}

func seccompSection(dir string, w io.Writer) error {
	cols := []column{{key: "none", title: "no filter"}}
	for _, c := range []column{
		{key: "rampart", title: "rampart"},
		{key: "runc", title: "runc " + runcVersion()},
		{key: "linear", title: "libseccomp linear"},
	} {
		p, err := readProgram(filepath.Join(dir, c.key+".bpf"))
		if err != nil {
			return err
		}
		c.prog = p
		cols = append(cols, c)
	}
	times, err := readTimes(filepath.Join(dir, "times.txt"))
	if err != nil {
		return err
	}
	for _, c := range cols {
		for _, l := range loops {
			if len(times[c.key][l.key]) == 0 {
				return fmt.Errorf("times.txt: no %s times for %s", l.key, c.key)
			}
		}
	}
	flags, _ := os.ReadFile(filepath.Join(dir, "flags"))
	hex, _ := os.ReadFile(filepath.Join(dir, "bounding"))
	setV, _ := strconv.ParseUint(strings.TrimSpace(string(hex)), 16, 64)
	set := caps.Set(setV)
	var prof struct{ Syscalls []json.RawMessage }
	if b, err := os.ReadFile(filepath.Join(dir, "profile.json")); err == nil {
		json.Unmarshal(b, &prof)
	}

	samples := bpf.Samples()
	stats := map[string]pathStats{}
	rets := map[string][]uint32{}
	for _, c := range cols[1:] {
		s, r, err := statsOf(c.prog, samples)
		if err != nil {
			return fmt.Errorf("%s: %w", c.key, err)
		}
		stats[c.key], rets[c.key] = s, r
	}
	// The peers must decide as rampart does, or the comparison is void.
	var runcDiff, linDiff, linEnosys int
	linRets := map[uint32]bool{}
	for i := range samples {
		if rets["runc"][i] != rets["rampart"][i] {
			runcDiff++
		}
		if rets["linear"][i] != rets["rampart"][i] {
			linDiff++
			if rets["rampart"][i] == bpf.RetErrno|uint32(unix.ENOSYS) {
				linEnosys++
				linRets[rets["linear"][i]] = true
			}
		}
	}
	var linVals []string
	for v := range linRets {
		linVals = append(linVals, fmt.Sprintf("%#x", v))
	}
	slices.Sort(linVals)
	if runcDiff > 0 {
		return fmt.Errorf("runc's filter decides differently from rampart's on %d of %d samples: not the same profile", runcDiff, len(samples))
	}
	if linDiff != linEnosys {
		return fmt.Errorf("libseccomp's linear form decides differently from rampart's on %d samples beyond the ENOSYS stub", linDiff-linEnosys)
	}

	fmt.Fprintf(w, "\n## `rampart run %s`\n\n", strings.TrimSpace(string(flags)))
	fmt.Fprintf(w, "RuntimeDefault resolved for the workload's bounding set (%d capabilities, CAP_SYS_ADMIN %s): %d rules, architectures x86_64, x32, i386. %s.\n\n",
		set.Len(), map[bool]string{true: "in it: clone is allowed outright", false: "not in it: clone's flags are checked"}[set.Has(caps.SYS_ADMIN)],
		len(prof.Syscalls), repetitions(times))

	fmt.Fprintf(w, "| |")
	for _, c := range cols {
		fmt.Fprintf(w, " %s |", c.title)
	}
	fmt.Fprintf(w, "\n|---|")
	for range cols {
		fmt.Fprintf(w, "---:|")
	}
	fmt.Fprintln(w)
	for _, l := range loops {
		base := median(times["none"][l.key])
		fmt.Fprintf(w, "| %s, ns/op |", l.label)
		for _, c := range cols {
			m := median(times[c.key][l.key])
			if c.prog == nil {
				fmt.Fprintf(w, " %.0f |", m)
			} else {
				fmt.Fprintf(w, " %.0f (%+.0f) |", m, m-base)
			}
		}
		fmt.Fprintln(w)
	}
	row := func(label string, f func(c column) string) {
		fmt.Fprintf(w, "| %s | – |", label)
		for _, c := range cols[1:] {
			fmt.Fprintf(w, " %s |", f(c))
		}
		fmt.Fprintln(w)
	}
	row("program length, instructions", func(c column) string { return strconv.Itoa(len(c.prog)) })
	row("path, worst case", func(c column) string { return strconv.Itoa(stats[c.key].worst) })
	row("path, mean", func(c column) string { return fmt.Sprintf("%.1f", stats[c.key].mean) })
	row("path, mean over x86_64 samples", func(c column) string { return fmt.Sprintf("%.1f", stats[c.key].meanX86_64) })
	for _, b := range benchmarked {
		row("path of "+b.name, func(c column) string {
			_, path, _ := bpf.Run(c.prog, b.d)
			s := strconv.Itoa(len(path))
			if constAllow(c.prog, b.d) {
				s += "\\*"
			}
			return s
		})
	}
	fmt.Fprintf(w, "\nDecisions over the %d samples: runc's filter decides as rampart's on every one; ", len(samples))
	fmt.Fprintf(w, "libseccomp's linear form differs on %d, all syscall numbers past the profile's table, where rampart and runc return ENOSYS (runc's stub, so that libc falls back) and the bare libseccomp program the default action (%s).\n", linDiff, strings.Join(linVals, ", "))
	return nil
}

func repetitions(times map[string]map[string][]float64) string {
	n := len(times["none"]["getppid"])
	return fmt.Sprintf("%d repetitions per cell", n)
}

func runcVersion() string {
	out, err := exec.Command("runc", "--version").Output()
	if err != nil {
		return "(not installed)"
	}
	f := strings.Fields(strings.SplitN(string(out), "\n", 2)[0])
	if len(f) < 3 {
		return "?"
	}
	return strings.SplitN(f[2], "+", 2)[0]
}

func cpus() int {
	var s unix.CPUSet
	if unix.SchedGetaffinity(0, &s) != nil {
		return 0
	}
	return s.Count()
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// moduleVersion is the version of a module this binary was built with.
func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "?"
}
