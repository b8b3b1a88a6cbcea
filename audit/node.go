package audit

import (
	"fmt"
	"math"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/runtimes"
)

// Facts of the node that decide paths besides the three layers — the
// modes of files a path opens, where the runtime's socket is, what the
// kernel was built with, its sysctls — and what the audit assumes when
// it is not told.

// FileMode is a file's permission bits and owner: what the kernel's
// permission check (generic_permission) compares a process's uid, groups
// and capabilities with.
type FileMode struct {
	Perm uint32
	// UID and GID own the file; GID -1 is a group whose number differs
	// from node to node (docker), which no container is assumed to hold.
	UID, GID int64
	// Owner and Group are their names, for messages; "" when only the
	// numbers are known.
	Owner, Group string
	// NoOverride, when set, says why no capability passes the bits
	// (procfs's sysctl files compare the mode alone).
	NoOverride string
}

// Groups whose number is the same on every Debian, Ubuntu and Alpine
// system (base-passwd's static allocations, which Alpine shares).
var fixedGroups = map[string]int64{"root": 0, "shadow": 42, "disk": 6}

// The modes assumed when the node's are not given.
var (
	// DebianShadow is /etc/shadow in Debian's and Ubuntu's images (and
	// Alpine's): readable by root and the shadow group.
	DebianShadow = FileMode{Perm: 0o640, UID: 0, GID: 42, Owner: "root", Group: "shadow"}
	// UdevDisk is a disk's device node as udev makes it.
	UdevDisk = FileMode{Perm: 0o660, UID: 0, GID: 6, Owner: "root", Group: "disk"}
	// rootSocket is containerd's and CRI-O's API socket (containerd
	// chmods its listener to 0660, owned by [grpc] uid and gid, 0:0).
	rootSocket = FileMode{Perm: 0o660, UID: 0, GID: 0, Owner: "root", Group: "root"}
	// dockerSocket is dockerd's, group docker.
	dockerSocket = FileMode{Perm: 0o660, UID: 0, GID: -1, Owner: "root", Group: "docker"}
)

// ParseFileMode reads MODE:OWNER:GROUP ("0640:root:shadow", "0600:0:0"):
// an octal mode, and the owner and group by number or as root, shadow or
// disk, the names whose numbers every Debian, Ubuntu and Alpine system
// shares.
func ParseFileMode(s string) (FileMode, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return FileMode{}, fmt.Errorf("%q: want MODE:OWNER:GROUP, as 0640:root:shadow or 0600:0:0", s)
	}
	perm, err := strconv.ParseUint(parts[0], 8, 32)
	if err != nil || perm > 0o7777 {
		return FileMode{}, fmt.Errorf("%q: mode %q is not an octal file mode (0640)", s, parts[0])
	}
	m := FileMode{Perm: uint32(perm) & 0o777}
	if m.UID, m.Owner, err = parseID(parts[1], map[string]int64{"root": 0}); err != nil {
		return FileMode{}, fmt.Errorf("%q: owner %v (only root has the same number on every node)", s, err)
	}
	if m.GID, m.Group, err = parseID(parts[2], fixedGroups); err != nil {
		return FileMode{}, fmt.Errorf("%q: group %v (only root, shadow and disk have the same number on every node)", s, err)
	}
	return m, nil
}

// parseID reads a uid or gid by number or by one of names, and returns
// its name when it has one of them.
func parseID(v string, names map[string]int64) (int64, string, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && n <= math.MaxInt32 {
		for name, id := range names {
			if id == n {
				return n, name, nil
			}
		}
		return n, "", nil
	}
	if n, ok := names[v]; ok {
		return n, v, nil
	}
	return 0, "", fmt.Errorf("%q: give its number", v)
}

// String is "0640 root:shadow", with numbers where names are unknown.
func (m FileMode) String() string {
	return fmt.Sprintf("%04o %s:%s", m.Perm, idName(m.Owner, m.UID), idName(m.Group, m.GID))
}

// group names the file's group for messages: "shadow (42)".
func (m FileMode) group() string {
	switch {
	case m.GID < 0:
		return m.Group + " (whose gid differs from node to node)"
	case m.Group == "":
		return "gid " + strconv.FormatInt(m.GID, 10)
	}
	return fmt.Sprintf("%s (gid %d)", m.Group, m.GID)
}

func idName(name string, id int64) string {
	if name != "" {
		return name
	}
	return strconv.FormatInt(id, 10)
}

// RuntimeSocket is a container runtime's API socket on the node.
type RuntimeSocket struct {
	Path string // on the node
	Mode FileMode
}

func (s RuntimeSocket) String() string { return s.Path + " " + s.Mode.String() }

// ParseRuntimeSocket reads PATH[=MODE:OWNER:GROUP]; the mode defaults to
// containerd's and CRI-O's, 0660 root:root.
func ParseRuntimeSocket(s string) (RuntimeSocket, error) {
	p, mode, hasMode := strings.Cut(s, "=")
	if !path.IsAbs(p) {
		return RuntimeSocket{}, fmt.Errorf("%q: want an absolute path on the node, then optionally =MODE:OWNER:GROUP", s)
	}
	r := RuntimeSocket{Path: path.Clean(p), Mode: rootSocket}
	if hasMode {
		m, err := ParseFileMode(mode)
		if err != nil {
			return RuntimeSocket{}, err
		}
		r.Mode = m
	}
	return r, nil
}

// RuntimeSockets are where a runtime listens by default (runtimes): its
// own socket, and for Docker also the containerd it runs on.
func RuntimeSockets(rt *runtimes.Runtime) []RuntimeSocket {
	var out []RuntimeSocket
	for _, s := range rt.Sockets {
		m := rootSocket
		if s.Group == dockerSocket.Group {
			m = dockerSocket
		}
		out = append(out, RuntimeSocket{Path: s.Path, Mode: m})
	}
	return out
}

// nodePath is a node path as the node resolves it when it mounts a
// hostPath: /var/run is a link to /run on every systemd distribution.
// Only the prefix is the node's to resolve: below a mount point, the
// container resolves links in its own root.
func nodePath(p string) string {
	p = path.Clean(p)
	if rest, ok := strings.CutPrefix(p, "/var/run"); ok && (rest == "" || rest[0] == '/') {
		return "/run" + rest
	}
	return p
}

// Facts of the node's kernel, for --node-kernel.
const (
	// KernelNoModules: built without loadable module support, so
	// init_module and finit_module do not exist (ENOSYS).
	KernelNoModules = "no-modules"
	// KernelPID1Protected: the node's pid 1 refuses ptrace read access
	// (its /proc files) even to a process holding CAP_SYS_PTRACE: an LSM
	// guards it.
	KernelPID1Protected = "pid1-protected"
	// KernelNoIA32: IA32 emulation is off (built without it, or
	// ia32_emulation=0): no i386 code runs, so an i386 call is no way
	// past a filter.
	KernelNoIA32 = "no-ia32"
	// KernelNoAArch32: an arm64 node whose cores run no 32-bit code
	// (many recent server cores) or whose kernel has no COMPAT: no
	// AArch32 call is a way past a filter.
	KernelNoAArch32 = "no-aarch32"
	// KernelNoSysrq: built without the magic SysRq key, so
	// /proc/sysrq-trigger does not exist.
	KernelNoSysrq = "no-sysrq"
	// KernelNoAbstractUnix: nothing binds an abstract UNIX socket in the
	// node's network namespace (no line of /proc/net/unix names one
	// with @), so a hostNetwork Pod finds none to connect to.
	KernelNoAbstractUnix = "no-abstract-unix"
)

// KernelFacts describes each --node-kernel fact.
var KernelFacts = map[string]string{
	KernelNoModules:      "built without loadable module support, so init_module does not exist and kernel-module is closed by other",
	KernelNoIA32:         "IA32 emulation is off, so no i386 call (int 0x80) is a way past a seccomp filter",
	KernelNoAArch32:      "an arm64 node that runs no 32-bit (AArch32) code, so no AArch32 call (open, i386's calls) is a way past a seccomp filter",
	KernelNoSysrq:        "built without the magic SysRq key, so /proc/sysrq-trigger does not exist and sysrq-trigger is closed by other",
	KernelNoAbstractUnix: "nothing binds an abstract UNIX socket in the node's network namespace (no @name in its /proc/net/unix), so with hostNetwork abstract-unix-connect finds none and is closed by other",
	KernelPID1Protected:  "an LSM refuses access to pid 1's /proc files even with CAP_SYS_PTRACE, so with hostPID setns-host and the runtime sockets under /proc/1/root are closed by other",
}

// CheckKernelFacts refuses facts the audit does not know.
func CheckKernelFacts(facts []string) error {
	for _, f := range facts {
		if _, ok := KernelFacts[f]; !ok {
			return fmt.Errorf("%q: want one of %s", f, strings.Join(sortedKeys(KernelFacts), ", "))
		}
	}
	return nil
}

// Sysctls are the node sysctls that decide a path, with what each
// decides and the value assumed without --sysctl.
var Sysctls = map[string]struct{ Decides, Assumed string }{
	"kernel.perf_event_paranoid":       {"above 2 (Debian's and Ubuntu's patch) perf_event_open needs CAP_PERFMON", "at 2, upstream's default"},
	"kernel.unprivileged_bpf_disabled": {"at 0 anyone may load a socket filter; 1 and 2 need CAP_BPF", "at 2, the default since Linux 5.16"},
	"kernel.io_uring_disabled":         {"1 allows io_uring only to CAP_SYS_ADMIN and kernel.io_uring_group, 2 to nobody", "at 0, the default"},
	"kernel.io_uring_group":            {"the group kernel.io_uring_disabled=1 still allows", "at -1, no group"},
	"kernel.unprivileged_userns_clone": {"0 (Debian's patch) refuses user namespaces without CAP_SYS_ADMIN", "at 1 where the kernel has it"},
	"user.max_user_namespaces":         {"0 refuses every user namespace", "above 0"},
	"kernel.modules_disabled":          {"1 refuses module loading even with CAP_SYS_MODULE", "at 0"},
	"kernel.yama.ptrace_scope":         {"2 allows ptrace only with CAP_SYS_PTRACE, 3 to nobody", "at 0 or 1, where one's own child may be traced"},
	"dev.tty.legacy_tiocsti":           {"0 makes TIOCSTI need CAP_SYS_ADMIN", "at 1, the kernel's default"},
}

// CheckSysctls refuses a sysctl the audit does not model (a misspelt one
// would silently change nothing) and a value that is not a number.
func CheckSysctls(m map[string]string) error {
	for _, k := range sortedKeys(m) {
		if _, ok := Sysctls[k]; !ok {
			return fmt.Errorf("%s: not a sysctl that decides a path; known: %s", k, strings.Join(sortedKeys(Sysctls), ", "))
		}
		if _, err := strconv.Atoi(strings.TrimSpace(m[k])); err != nil {
			return fmt.Errorf("%s=%s: want a number", k, m[k])
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sysctl is the node's value of key, and whether it was given.
func (n *Node) sysctl(key string) (int, bool) {
	v, ok := n.Sysctls[key]
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	return i, err == nil
}

func (n *Node) kernel(fact string) bool { return slices.Contains(n.Kernel, fact) }

// assumedSysctl says what is assumed of key: "assumed
// kernel.io_uring_disabled at 0, the default (--sysctl gives the node's)".
func assumedSysctl(key string) string {
	return "assumed " + key + " " + Sysctls[key].Assumed + " (--sysctl gives the node's)"
}

// describeFiles fills in the modes the report's predictions used.
func (a *Auditor) describeFiles(n *NodeInfo) {
	tag := func(given bool) string {
		if given {
			return " (given)"
		}
		return " (assumed)"
	}
	shadow, _ := a.shadowMode()
	n.ImageShadow = shadow.String() + tag(a.node.ImageShadow != nil)
	disk, _ := a.diskMode()
	n.Disk = disk.String() + tag(a.node.Disk != nil)
	if a.node.DiskRefused {
		n.Disk = "refused to containers (given)"
	}
	socks, _ := a.runtimeSockets()
	n.RuntimeSockets = []string{}
	for _, s := range socks {
		n.RuntimeSockets = append(n.RuntimeSockets, s.String()+tag(len(a.node.RuntimeSockets) > 0))
	}
}
