package fromnode

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/seccomp"
)

// layers are what the container's process runs under, as the kernel
// holds them: what the child takes on before it execs the probe. It
// travels from the node's side to the child as JSON on a pipe.
type layers struct {
	UID, GID                               [4]int // real, effective, saved, filesystem
	Groups                                 []int
	CapInh, CapPrm, CapEff, CapBnd, CapAmb uint64
	NoNewPrivs                             bool
	Seccomp                                int      // 0 or 2 (strict mode is refused)
	Filters                                []filter // oldest first
	AppArmor                               string   // label without its mode; "" when none
	Rlimits                                map[int]unix.Rlimit
	Env                                    []string
	Args                                   []string // the probe's command line
	CgroupNS                               bool     // fd 5 is the cgroup namespace to join
}

type filter struct {
	Prog []unix.SockFilter
	Log  bool
}

// find returns the first process of the container whose cgroups are
// named after id: the runtime's init of the container (a process kubectl
// exec started later has a later start time). The ID must be a cgroup's
// whole last element ("ID", "cri-containerd-ID.scope", "crio-ID.scope"),
// and every process found must be in the same cgroups: a process that
// made itself a cgroup named after another container elsewhere makes
// the ID ambiguous, and the probe refuses rather than pick one.
func find(id string) (int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	best, bestStart, cgroups := 0, uint64(0), ""
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cg, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		if err != nil || !namedAfter(string(cg), id) {
			continue
		}
		start, err := startTime(pid)
		if err != nil {
			continue // gone
		}
		if cgroups != "" && string(cg) != cgroups {
			return 0, fmt.Errorf("container %s is ambiguous here: pids %d and %d are in different cgroups named after it", id, best, pid)
		}
		cgroups = string(cg)
		if best == 0 || start < bestStart || (start == bestStart && pid < best) {
			best, bestStart = pid, start
		}
	}
	if best == 0 {
		return 0, fmt.Errorf("no process on this node runs in container %s (is the container on this node, and does this probe see the host's PIDs?)", id)
	}
	return best, nil
}

// namedAfter says whether a /proc/PID/cgroup text has a cgroup whose
// last element is the container's: ID itself (runc, cgroupfs driver) or
// a systemd scope ("cri-containerd-ID.scope", "crio-ID.scope",
// "docker-ID.scope").
func namedAfter(cgroup, id string) bool {
	for _, line := range strings.Split(cgroup, "\n") {
		_, path, ok := strings.Cut(line, "::")
		if !ok {
			if f := strings.SplitN(line, ":", 3); len(f) == 3 {
				path, ok = f[2], true
			}
		}
		if !ok {
			continue
		}
		last := path[strings.LastIndexByte(path, '/')+1:]
		if last == id {
			return true
		}
		if rest, ok := strings.CutSuffix(last, "-"+id+".scope"); ok && rest != "" && !strings.Contains(rest, "-"+id) {
			return true
		}
	}
	return false
}

// statFields are /proc/PID/stat's fields from the third (state) on:
// comm, the second, may hold spaces and parentheses, so they count from
// the last ')'.
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no comm", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	return f, nil
}

// startTime is field 22 of /proc/PID/stat, in clock ticks since boot.
func startTime(pid int) (uint64, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// parent is field 4, pid's parent; 0 when unknown.
func parent(pid int) int {
	f, err := statFields(pid)
	if err != nil {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// read reads the layers pid runs under.
func read(pid int) (*layers, error) {
	proc := fmt.Sprintf("/proc/%d", pid)
	st, err := procstatus.ReadFile(proc + "/status")
	if err != nil {
		return nil, err
	}
	l := &layers{UID: st.Uid, GID: st.Gid, Groups: st.Groups,
		CapInh: uint64(st.CapInh), CapPrm: uint64(st.CapPrm), CapEff: uint64(st.CapEff), CapBnd: uint64(st.CapBnd), CapAmb: uint64(st.CapAmb),
		NoNewPrivs: st.NoNewPrivs, Seccomp: st.Seccomp, Rlimits: map[int]unix.Rlimit{}}
	switch st.Seccomp {
	case 0:
	case 2:
		ds, err := seccomp.DumpFilters(pid)
		if err != nil {
			return nil, fmt.Errorf("reading its seccomp filters: %w", err)
		}
		if st.SeccompFilters >= 0 && len(ds) != st.SeccompFilters {
			return nil, fmt.Errorf("read %d seccomp filters, the kernel reports %d", len(ds), st.SeccompFilters)
		}
		for i, d := range ds {
			// A filter that hands calls to a supervisor
			// (SECCOMP_RET_USER_NOTIF) answers them with the
			// supervisor's word; taken on without it, the same calls fail
			// with ENOSYS, and the probe would measure another boundary.
			if notifies(d.Prog) {
				return nil, fmt.Errorf("its seccomp filter %d hands system calls to a supervisor (SECCOMP_RET_USER_NOTIF), which the probe cannot take on", i)
			}
			l.Filters = append(l.Filters, filter{Prog: d.Prog, Log: d.Log})
		}
	default:
		return nil, fmt.Errorf("it runs in seccomp strict mode (%d), where no probe can run", st.Seccomp)
	}
	l.AppArmor, err = appArmorLabel(proc)
	if err != nil {
		return nil, err
	}
	if l.Rlimits, err = rlimits(proc + "/limits"); err != nil {
		return nil, err
	}
	env, err := os.ReadFile(proc + "/environ")
	if err != nil {
		return nil, err
	}
	for _, kv := range strings.Split(string(env), "\x00") {
		if kv != "" && !probeKnob(kv) {
			l.Env = append(l.Env, kv)
		}
	}
	return l, nil
}

// probeKnob says whether an environment variable steers the probe's own
// binary rather than describing the workload: rampart's (one names the
// probe child to become) and the Go runtime's. The workload chooses its
// environment; it must not choose how its measurement runs.
func probeKnob(kv string) bool {
	name, _, _ := strings.Cut(kv, "=")
	switch name {
	case "GODEBUG", "GOGC", "GOMAXPROCS", "GOMEMLIMIT", "GOTRACEBACK":
		return true
	}
	return strings.HasPrefix(name, "RAMPART_")
}

// appArmorLabel is the process's AppArmor label without its mode, ""
// where the kernel has no AppArmor.
func appArmorLabel(proc string) (string, error) {
	if features.HaveAppArmor() != nil {
		// attr/current would hold another LSM's context, or nothing.
		return "", nil
	}
	for _, p := range []string{"/attr/apparmor/current", "/attr/current"} {
		b, err := os.ReadFile(proc + p)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("its AppArmor label: %w", err)
		}
		return labelName(string(b)), nil
	}
	return "", nil
}

// labelName is an AppArmor label without its mode, "" for unconfined.
func labelName(raw string) string {
	if label := apparmor.LabelName(raw); label != "unconfined" {
		return label
	}
	return ""
}

// notifies says whether a program can return SECCOMP_RET_USER_NOTIF.
// BPF_RET|BPF_A returns a computed action, which could be one: it counts.
func notifies(prog []unix.SockFilter) bool {
	const ret, k, a, notif = 0x06, 0x00, 0x10, 0x7fc00000
	return slices.ContainsFunc(prog, func(in unix.SockFilter) bool {
		if in.Code&0x07 != ret {
			return false
		}
		if in.Code&0x18 == a {
			return true
		}
		return in.Code&0x18 == k && in.K&0xffff0000 == notif
	})
}

// rlimits reads /proc/PID/limits, whose rows are the resources in the
// kernel's order (RLIMIT_CPU, 0, to RLIMIT_RTTIME, 15): prlimit would
// need CAP_SYS_RESOURCE to read another process's, this only ptrace's
// read access.
func rlimits(path string) (map[int]unix.Rlimit, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rows := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(rows) < 2 || !strings.HasPrefix(rows[0], "Limit ") {
		return nil, fmt.Errorf("%s: not a limits table", path)
	}
	out := map[int]unix.Rlimit{}
	for r, row := range rows[1:] {
		// "%-25s %-20s %-20s %-10s": the name column is 26 wide and may
		// hold spaces.
		if len(row) < 26 {
			return nil, fmt.Errorf("%s: row %q", path, row)
		}
		f := strings.Fields(row[26:])
		if len(f) < 2 {
			return nil, fmt.Errorf("%s: row %q", path, row)
		}
		var lim unix.Rlimit
		for i, p := range []*uint64{&lim.Cur, &lim.Max} {
			if f[i] == "unlimited" {
				*p = unix.RLIM_INFINITY
				continue
			}
			if *p, err = strconv.ParseUint(f[i], 10, 64); err != nil {
				return nil, fmt.Errorf("%s: row %q: %w", path, row, err)
			}
		}
		out[r] = lim
	}
	return out, nil
}
