package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// UserNS puts the workload in a user namespace of its own: its uids and
// gids 0 to Size-1 are the host's HostID to HostID+Size-1, so its root
// holds capabilities over what that namespace owns and over nothing the
// host's initial namespace owns (the clock, modules, device numbers, the
// host's files).
type UserNS struct {
	// HostID is the host uid and gid the workload's 0 is; 0 lets the
	// launcher pick a free block. The host's own root is never mapped:
	// a namespace whose root is the host's root bounds nothing.
	HostID uint32
	// Size is how many ids are mapped; 0 means DefaultUserNSSize.
	Size uint32
	// OwnsOthers: the workload's other namespaces (network, mount, IPC,
	// UTS, PID, cgroup) were made inside the user namespace, as a
	// container runtime makes a Pod's with hostUsers: false, so its
	// capabilities hold over them. False (rampart run) leaves them the
	// host's: a raw socket or a mount then needs the host's capability.
	// Prediction reads it; files and flags never set it.
	OwnsOthers bool `json:",omitempty"`
}

// DefaultUserNSSize is the block a namespace maps unless told: 65536
// ids, as the kubelet gives each Pod and runc's examples map.
const DefaultUserNSSize = 65536

// maxMapped is the last id a map may reach: (uid_t)-1 is "no id".
const maxMapped = 1<<32 - 2

// Ids is the mapped block's size, the default resolved.
func (u *UserNS) Ids() uint32 {
	if u.Size == 0 {
		return DefaultUserNSSize
	}
	return u.Size
}

func (u *UserNS) String() string {
	if u.HostID == 0 {
		return fmt.Sprintf("0-%d to a free host block", u.Ids()-1)
	}
	return fmt.Sprintf("0-%d to host %d-%d", u.Ids()-1, u.HostID, uint64(u.HostID)+uint64(u.Ids())-1)
}

// check refuses a map that reaches past the last id or maps nothing.
func (u *UserNS) check() error {
	if u.Size == 0 && u.HostID == 0 {
		return nil
	}
	if last := uint64(u.HostID) + uint64(u.Ids()) - 1; last > maxMapped {
		return fmt.Errorf("host ids %d to %d: the last id a map may reach is %d", u.HostID, last, uint64(maxMapped))
	}
	return nil
}

// ParseUserNS reads --userns's value: "auto" (a free block the launcher
// picks), HOSTID, or HOSTID:SIZE.
func ParseUserNS(s string) (*UserNS, error) {
	if s == "auto" {
		return &UserNS{}, nil
	}
	hs, ss, hasSize := strings.Cut(s, ":")
	u := &UserNS{}
	host, err := parseMapID(hs)
	if err != nil {
		return nil, &FlagError{Flag: "--userns", Value: s, Err: fmt.Errorf("host id: %w (want auto, HOSTID or HOSTID:SIZE)", err)}
	}
	if host == 0 {
		return nil, &FlagError{Flag: "--userns", Value: s, Err: fmt.Errorf("host id 0 maps the workload's root to the host's root: pick an unprivileged block, or auto")}
	}
	u.HostID = host
	if hasSize {
		n, err := parseMapID(ss)
		if err != nil || n == 0 {
			if err == nil {
				err = fmt.Errorf("0 ids map nothing")
			}
			return nil, &FlagError{Flag: "--userns", Value: s, Err: fmt.Errorf("size: %w", err)}
		}
		u.Size = n
	}
	if err := u.check(); err != nil {
		return nil, &FlagError{Flag: "--userns", Value: s, Err: err}
	}
	return u, nil
}

func parseMapID(s string) (uint32, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	if len(s) > 1 && s[0] == '0' {
		// 0100000 reads as octal to some tools and decimal to others.
		return 0, fmt.Errorf("%q: a leading 0 is ambiguous (octal to some tools); write the decimal number", s)
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v > maxMapped {
		return 0, fmt.Errorf("%s out of range (0 to %d)", s, uint64(maxMapped))
	}
	return uint32(v), nil
}

// checkUserNS is Validate's part for the user namespace: a map that
// reaches too far, or a --user the map does not hold (the launcher
// could not become it).
func (p *Policy) checkUserNS() error {
	u := p.UserNS
	if u == nil {
		return nil
	}
	if err := u.check(); err != nil {
		return fmt.Errorf("UserNS: %w", err)
	}
	if p.User != nil && (uint64(p.User.UID) >= uint64(u.Ids()) || uint64(p.User.GID) >= uint64(u.Ids())) {
		return fmt.Errorf("UserNS: user %d:%d is outside the %d ids the namespace maps", p.User.UID, p.User.GID, u.Ids())
	}
	return nil
}
