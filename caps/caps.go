// Package caps holds rampart's one vocabulary for Linux capabilities: a
// capability type that parses every spelling users meet (NET_RAW,
// CAP_NET_RAW, net_raw) and prints in each ecosystem's spelling, bit sets
// of capabilities as the kernel stores them, and the default sets that
// container runtimes grant.
package caps

import (
	"fmt"
	"math/bits"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Cap is a capability number as the kernel defines it (linux/capability.h).
type Cap uint8

// The capabilities known to this build, in kernel order. Last is the
// highest one; the running kernel may know fewer (see LastSupported).
const (
	CHOWN Cap = iota
	DAC_OVERRIDE
	DAC_READ_SEARCH
	FOWNER
	FSETID
	KILL
	SETGID
	SETUID
	SETPCAP
	LINUX_IMMUTABLE
	NET_BIND_SERVICE
	NET_BROADCAST
	NET_ADMIN
	NET_RAW
	IPC_LOCK
	IPC_OWNER
	SYS_MODULE
	SYS_RAWIO
	SYS_CHROOT
	SYS_PTRACE
	SYS_PACCT
	SYS_ADMIN
	SYS_BOOT
	SYS_NICE
	SYS_RESOURCE
	SYS_TIME
	SYS_TTY_CONFIG
	MKNOD
	LEASE
	AUDIT_WRITE
	AUDIT_CONTROL
	SETFCAP
	MAC_OVERRIDE
	MAC_ADMIN
	SYSLOG
	WAKE_ALARM
	BLOCK_SUSPEND
	AUDIT_READ
	PERFMON
	BPF
	CHECKPOINT_RESTORE

	Last = CHECKPOINT_RESTORE
)

var names = [...]string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
	"SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
	"NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
	"SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
	"SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
	"SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// String is the Kubernetes spelling: NET_RAW.
func (c Cap) String() string {
	if c <= Last {
		return names[c]
	}
	return "CAP_" + strconv.Itoa(int(c))
}

// OCI is the OCI runtime-spec / Docker spelling: CAP_NET_RAW.
func (c Cap) OCI() string {
	if c <= Last {
		return "CAP_" + names[c]
	}
	return "CAP_" + strconv.Itoa(int(c))
}

// AppArmor is the spelling AppArmor's capability rules use: net_raw.
func (c Cap) AppArmor() string { return strings.ToLower(c.String()) }

// Parse accepts NET_RAW, CAP_NET_RAW, net_raw, cap_net_raw and surrounding
// blanks. "ALL" is not a capability; see ParseList.
func Parse(s string) (Cap, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	u = strings.TrimPrefix(u, "CAP_")
	for i, n := range names {
		if n == u {
			return Cap(i), nil
		}
	}
	return 0, fmt.Errorf("unknown capability %q (expected a name such as NET_RAW, CAP_NET_RAW or net_raw)", s)
}

// Set is a capability set in the kernel's layout: bit n is capability n.
type Set uint64

// Full is every capability this build knows.
const Full Set = 1<<(Last+1) - 1

// Of builds a set.
func Of(cs ...Cap) Set {
	var s Set
	for _, c := range cs {
		s |= 1 << c
	}
	return s
}

func (s Set) Has(c Cap) bool      { return s&(1<<c) != 0 }
func (s Set) Add(c Cap) Set       { return s | 1<<c }
func (s Set) Remove(c Cap) Set    { return s &^ (1 << c) }
func (s Set) Union(o Set) Set     { return s | o }
func (s Set) Minus(o Set) Set     { return s &^ o }
func (s Set) Intersect(o Set) Set { return s & o }
func (s Set) Len() int            { return bits.OnesCount64(uint64(s)) }

// List returns the members in kernel order.
func (s Set) List() []Cap {
	var out []Cap
	for c := Cap(0); c < 64; c++ {
		if s.Has(c) {
			out = append(out, c)
		}
	}
	return out
}

// Names returns the members spelled by f (Cap.String, Cap.OCI, Cap.AppArmor).
func (s Set) Names(f func(Cap) string) []string {
	var out []string
	for _, c := range s.List() {
		out = append(out, f(c))
	}
	return out
}

// String prints the set as a comma-separated list in Kubernetes spelling,
// "none" for the empty set.
func (s Set) String() string {
	if s == 0 {
		return "none"
	}
	return strings.Join(s.Names(Cap.String), ",")
}

// Hex is the 16-digit form /proc/PID/status uses.
func (s Set) Hex() string { return fmt.Sprintf("%016x", uint64(s)) }

// ParseList parses names in any spelling; "ALL" (any case) stands for every
// capability in within (the set "all" means for the caller: all the kernel
// supports, or all of a base set). Duplicates are allowed; an unknown name
// is an error that names it.
func ParseList(list []string, within Set) (Set, error) {
	var s Set
	for _, n := range list {
		if strings.EqualFold(strings.TrimSpace(n), "ALL") {
			s |= within
			continue
		}
		c, err := Parse(n)
		if err != nil {
			return 0, err
		}
		s = s.Add(c)
	}
	return s, nil
}

// FromNames parses OCI or Kubernetes names without "ALL" expansion.
func FromNames(list []string) (Set, error) { return ParseList(list, 0) }

// LastSupported is the highest capability the running kernel knows.
func LastSupported() (Cap, error) {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 || n > 63 {
		return 0, fmt.Errorf("/proc/sys/kernel/cap_last_cap: unexpected %q", b)
	}
	return Cap(n), nil
}

// Supported is every capability the running kernel knows that this build
// can name.
func Supported() (Set, error) {
	last, err := LastSupported()
	if err != nil {
		return 0, err
	}
	if last > Last {
		last = Last
	}
	return Set(1<<(last+1) - 1), nil
}

// Sorted returns caps' names sorted alphabetically (for stable output where
// kernel order means nothing to the reader).
func Sorted(s Set, f func(Cap) string) []string {
	n := s.Names(f)
	sort.Strings(n)
	return n
}
