// Package procstatus reads what the kernel holds for a task from
// /proc/<task>/status: credentials, capability sets, no_new_privs and the
// seccomp mode. The launcher uses it to verify before execve; the probes
// use it to report a process's own state.
package procstatus

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/caps"
)

// Status is the subset of /proc/<pid>/status rampart cares about.
type Status struct {
	Uid, Gid       [4]int // real, effective, saved, filesystem
	Groups         []int
	CapInh, CapPrm caps.Set
	CapEff, CapBnd caps.Set
	CapAmb         caps.Set
	NoNewPrivs     bool
	Seccomp        int // 0 disabled, 1 strict, 2 filter
	SeccompFilters int // -1 when the kernel does not report it
}

// Self reads the calling thread's status. Credentials, capabilities,
// no_new_privs and seccomp are per thread in Linux, so /proc/self (the
// thread-group leader) could describe another thread than the caller.
func Self() (*Status, error) { return ReadFile("/proc/thread-self/status") }

// ReadFile reads and parses one status file.
func ReadFile(path string) (*Status, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(bytes.NewReader(b))
}

// ReadAt re-reads a status file through an fd opened earlier: proc
// regenerates the text at offset 0, and the open happened before any
// layer (Landlock, seccomp) that could refuse a new open.
func ReadAt(f *os.File) (*Status, error) {
	buf := make([]byte, 8192)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return Parse(bytes.NewReader(buf[:n]))
}

// Parse parses status text.
func Parse(r io.Reader) (*Status, error) {
	st := &Status{SeccompFilters: -1}
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		var err error
		switch key {
		case "Uid":
			st.Uid, err = ids(val)
		case "Gid":
			st.Gid, err = ids(val)
		case "Groups":
			for _, f := range strings.Fields(val) {
				g, e := strconv.Atoi(f)
				if e != nil {
					err = e
					break
				}
				st.Groups = append(st.Groups, g)
			}
		case "CapInh":
			st.CapInh, err = capHex(val)
		case "CapPrm":
			st.CapPrm, err = capHex(val)
		case "CapEff":
			st.CapEff, err = capHex(val)
		case "CapBnd":
			st.CapBnd, err = capHex(val)
		case "CapAmb":
			st.CapAmb, err = capHex(val)
		case "NoNewPrivs":
			st.NoNewPrivs = val == "1"
		case "Seccomp":
			st.Seccomp, err = strconv.Atoi(val)
		case "Seccomp_filters":
			st.SeccompFilters, err = strconv.Atoi(val)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("status field %s: %q: %w", key, val, err)
		}
		seen[key] = true
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, k := range []string{"Uid", "Gid", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"} {
		if !seen[k] {
			return nil, fmt.Errorf("status has no %s line", k)
		}
	}
	return st, nil
}

func ids(v string) ([4]int, error) {
	var out [4]int
	f := strings.Fields(v)
	if len(f) != 4 {
		return out, fmt.Errorf("want 4 ids")
	}
	for i := range f {
		n, err := strconv.Atoi(f[i])
		if err != nil {
			return out, err
		}
		out[i] = n
	}
	return out, nil
}

func capHex(v string) (caps.Set, error) {
	n, err := strconv.ParseUint(v, 16, 64)
	return caps.Set(n), err
}

// HighWater reads VmHWM, a process's peak resident set since its last
// execve, in bytes, from a status file.
func HighWater(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: VmHWM %q: %w", path, v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("%s: no VmHWM", path)
}
