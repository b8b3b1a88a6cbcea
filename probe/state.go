//go:build linux

package probe

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// sysctls that gate catalog paths outside the three layers.
var sysctls = []string{
	"kernel/unprivileged_userns_clone", "user/max_user_namespaces",
	"kernel/perf_event_paranoid", "kernel/unprivileged_bpf_disabled",
	"vm/unprivileged_userfaultfd", "kernel/yama/ptrace_scope",
	"kernel/io_uring_disabled", "dev/tty/legacy_tiocsti",
	"kernel/modules_disabled", "kernel/kexec_load_disabled",
}

// ReadState reads the calling thread's state.
func ReadState() (*attack.State, error) {
	st, err := procstatus.Self()
	if err != nil {
		return nil, err
	}
	s := &attack.State{
		Status: st, CapEff: attack.CapNames(st.CapEff), CapPrm: attack.CapNames(st.CapPrm),
		CapBnd: attack.CapNames(st.CapBnd), CapInh: attack.CapNames(st.CapInh), CapAmb: attack.CapNames(st.CapAmb),
		UID: st.Uid[1], GID: st.Gid[1], Groups: orEmpty(st.Groups), NoNewPrivs: st.NoNewPrivs,
		Seccomp: st.Seccomp, SeccompFilters: st.SeccompFilters,
		Namespaces: map[string]string{}, Sysctls: map[string]string{},
	}
	s.ActiveLSMs, _ = features.ActiveLSMs()
	s.ActiveLSMs = orEmpty(s.ActiveLSMs)
	if features.HaveAppArmor() == nil {
		s.AppArmor, _ = apparmor.Current()
	}
	s.LandlockABI, _ = features.LandlockABI()
	s.UIDMap = idMap("/proc/self/uid_map")
	s.Namespaces = namespaces(s.UIDMap)
	if s.Namespaces["user"] == "private" {
		s.UserNSOwns = ownedNamespaces()
	}
	for _, k := range sysctls {
		if b, err := os.ReadFile(filepath.Join("/proc/sys", k)); err == nil {
			s.Sysctls[strings.ReplaceAll(k, "/", ".")] = strings.TrimSpace(string(b))
		}
	}
	s.Container, s.ContainerEvidence = detectContainer()
	return s, nil
}

func orEmpty[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// namespaces says, per namespace type, whether this process shares it
// with the host. The pid namespace answers by its kernel threads (only
// the initial one has kthreadd as pid 2), the user namespace by its uid
// map (uidMap, as idMap read it; nil when unreadable); the others are
// compared with pid 1's, which only stands for the host when the pid
// namespace is the host's.
func namespaces(uidMap []string) map[string]string {
	out := map[string]string{"pid": "private"}
	if hostPIDNamespace() {
		out["pid"] = "host"
	}
	if uidMap != nil {
		out["user"] = map[bool]string{true: "host", false: "private"}[len(uidMap) == 1 && uidMap[0] == "0 0 4294967295"]
	}
	for _, ns := range []string{"cgroup", "ipc", "mnt", "net", "time", "uts"} {
		self, err1 := os.Readlink("/proc/self/ns/" + ns)
		init, err2 := os.Readlink("/proc/1/ns/" + ns)
		switch {
		case err1 != nil:
		case err2 != nil || out["pid"] != "host":
			out[ns] = "unknown"
		case self == init:
			out[ns] = "host"
		default:
			out[ns] = "private"
		}
	}
	return out
}

// idMap is an id map file's lines, each one's fields joined by a space.
func idMap(file string) []string {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		out = append(out, strings.Join(strings.Fields(l), " "))
	}
	return out
}

// ownedNamespaces are the namespace types this process's user namespace
// owns (NS_GET_USERNS names each namespace's owner): its capabilities
// hold over those. A namespace whose owner cannot be read counts as
// owned, so that attribution never blames the user namespace on a guess.
func ownedNamespaces() []string {
	var self unix.Stat_t
	if err := unix.Stat("/proc/self/ns/user", &self); err != nil {
		return nil
	}
	var out []string
	for _, ns := range []string{"cgroup", "ipc", "mnt", "net", "pid", "uts"} {
		if o := nsOwner(ns); o == [2]uint64{} || o == [2]uint64{self.Dev, self.Ino} {
			out = append(out, ns)
		}
	}
	return out
}

// nsOwner is the device and inode of the user namespace that owns this
// process's namespace of type ns; zero when it cannot be read, which
// ownedNamespaces takes as owned. The kernel answers EPERM for an owner
// outside this process's user namespace, an ancestor: not owned ({1}).
func nsOwner(ns string) [2]uint64 {
	fd, err := unix.Open("/proc/self/ns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return [2]uint64{}
	}
	defer unix.Close(fd)
	ufd, err := unix.IoctlRetInt(fd, unix.NS_GET_USERNS)
	if err == unix.EPERM {
		return [2]uint64{1}
	}
	if err != nil {
		return [2]uint64{}
	}
	defer unix.Close(ufd)
	var st unix.Stat_t
	if err := unix.Fstat(ufd, &st); err != nil {
		return [2]uint64{}
	}
	return [2]uint64{st.Dev, st.Ino}
}

// hostPIDNamespace: a host's pid 2 is kthreadd; a private pid namespace
// has no kernel threads in it. The name alone would not do: any process
// can call itself kthreadd (PR_SET_NAME), and pid 2 of a container would
// then pass for the host's and receive signal-outside's signal; the
// kernel-thread flag (PF_KTHREAD, /proc/PID/stat's ninth field) is the
// kernel's to set.
func hostPIDNamespace() bool {
	b, err := os.ReadFile("/proc/2/stat")
	return err == nil && kthreadd(b)
}

// kthreadd says whether a /proc/PID/stat line is kthreadd's.
func kthreadd(b []byte) bool {
	// pid (comm) state ppid pgrp session tty_nr tpgid flags ...: comm may
	// hold spaces and parentheses, so the fields start after the last ")".
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || !bytes.HasSuffix(b[:i], []byte("(kthreadd")) {
		return false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 7 {
		return false
	}
	flags, err := strconv.ParseUint(f[6], 10, 64)
	return err == nil && flags&pfKthread != 0
}

// pfKthread is PF_KTHREAD (include/linux/sched.h).
const pfKthread = 0x00200000

func detectContainer() (string, string) {
	if _, err := os.Stat("/.dockerenv"); err == nil {
		return "docker", "/.dockerenv exists"
	}
	if _, err := os.Stat("/run/.containerenv"); err == nil {
		return "podman", "/run/.containerenv exists"
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return "kubernetes", "KUBERNETES_SERVICE_HOST is set"
	}
	if f, err := os.Open("/proc/self/cgroup"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			l := sc.Text()
			switch {
			case strings.Contains(l, "kubepods"):
				return "kubernetes", "cgroup path " + l
			case strings.Contains(l, "crio-"):
				return "cri-o", "cgroup path " + l
			case strings.Contains(l, "docker"):
				return "docker", "cgroup path " + l
			case strings.Contains(l, "containerd"):
				return "containerd", "cgroup path " + l
			}
		}
	}
	if b, err := os.ReadFile("/proc/1/environ"); err == nil && strings.Contains(string(b), "container=") {
		for _, kv := range strings.Split(string(b), "\x00") {
			if v, ok := strings.CutPrefix(kv, "container="); ok {
				return v, "pid 1 has container=" + v
			}
		}
	}
	if !hostPIDNamespace() {
		if comm, err := os.ReadFile("/proc/1/comm"); err == nil {
			return "container", "pid namespace without kernel threads; pid 1 is " + strings.TrimSpace(string(comm))
		}
	}
	return "", ""
}
