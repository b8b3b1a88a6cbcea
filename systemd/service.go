// Package systemd reads the layers a systemd service unit gives its
// process: the capability bounding and ambient sets (with the drops
// that other directives imply), the user, no_new_privs, the seccomp
// filters its directives build (read by the seccomp package from the
// unit itself), and its AppArmor profile, as systemd 252 applies them.
// What systemd builds with mounts and namespaces (ProtectSystem=,
// InaccessiblePaths=, PrivateNetwork=…) is named in notes: rampart
// run does not build it, and the audit predicts without it.
//
// Every key systemd knows is read or named; a key it does not know is
// refused at its line, since systemd would ignore it and a layer its
// author believes applied would not be.
package systemd

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/unitfile"
)

// Error is a problem at a line of a unit or one of its drop-ins.
type Error = unitfile.Error

// IsUnit says whether a file is a unit rampart reads as a service: its
// name ends in .service.
func IsUnit(name string) bool { return unitfile.Type(name) == "service" }

// Service is what a service unit says of its process's layers.
type Service struct {
	Unit *unitfile.Unit

	// Bounding is the capability bounding set: CapabilityBoundingSet=
	// less what PrivateDevices=, ProtectKernelModules=,
	// ProtectKernelLogs= and ProtectClock= remove. Ambient is
	// AmbientCapabilities=.
	Bounding, Ambient caps.Set
	// Implied names the capabilities removed by another directive.
	Implied []string

	// UID and GID are the user and group; Root says uid 0. UserKnown
	// is false when the name could not be resolved here (or
	// DynamicUser= allocates one at start): UID is then a stand-in.
	UID, GID  int
	Root      bool
	UserKnown bool
	// Groups is SupplementaryGroups=, as written.
	Groups []string

	// NoNewPrivileges is the explicit setting, Seccomp whether any
	// directive builds a seccomp filter (which implies no_new_privs for
	// a process without CAP_SYS_ADMIN).
	NoNewPrivileges bool
	Seccomp         bool
	// AppArmor is AppArmorProfile= without its "-" (Optional).
	AppArmor         string
	AppArmorOptional bool

	// At says where each directive read was written, by key.
	At map[string]string
	// Notes say what the unit sets that rampart does not apply or
	// model.
	Notes []string
}

// dynamicUID is the first uid of DynamicUser='s range (61184–65519),
// the stand-in for a user allocated at start.
const dynamicUID = 61184

// Read reads the service unit at path and the drop-ins beside it.
func Read(path string) (*Service, error) {
	u, err := unitfile.Read(path)
	if err != nil {
		return nil, err
	}
	return FromUnit(u)
}

// ReadBytes is Read with the unit's own contents given.
func ReadBytes(path string, body []byte) (*Service, error) {
	u, err := unitfile.ReadBytes(path, body)
	if err != nil {
		return nil, err
	}
	return FromUnit(u)
}

// FromUnit reads the layers of a parsed unit.
func FromUnit(u *unitfile.Unit) (*Service, error) {
	s := &Service{Unit: u, Bounding: caps.Full, At: map[string]string{}}
	for _, sec := range u.Sections {
		if sec != "Unit" && sec != "Service" && sec != "Install" && !strings.HasPrefix(sec, "X-") {
			e := first(u, sec)
			return nil, &Error{File: e.File, Line: e.Line, Err: fmt.Errorf("[%s]: not a section of a service unit; systemd ignores it", sec)}
		}
	}
	var (
		userName, groupName string
		dynamic             bool
		bset, aset          = caps.Full, caps.Set(0)
	)
	flags := map[string]bool{}
	filters := map[string]bool{}
	for _, e := range u.Entries {
		if strings.HasPrefix(e.Section, "X-") || strings.HasPrefix(e.Key, "X-") {
			continue // systemd's extension space: ignored by design
		}
		if !unitfile.Known(e.Section, e.Key) {
			return nil, bad(e, fmt.Errorf("%s=: not a key systemd %d knows in [%s]; systemd ignores it", e.Key, unitfile.KeysVersion, e.Section))
		}
		if e.Section != "Service" {
			continue // [Unit] and [Install] say when and why, not with what
		}
		if reads(e.Key) && strings.Contains(e.Value, "%") {
			v, ok, err := specifiers(u.Name, e.Value)
			switch {
			case err != nil:
				return nil, bad(e, err)
			case !ok && (e.Key == "User" || e.Key == "Group"):
				// a template's user is its instance's: non-root is all
				// that can be said of it
				s.Notes = append(s.Notes, fmt.Sprintf("%s: %s=%s names the instance's %s; rampart predicts a non-root one", e.At(), e.Key, e.Value, strings.ToLower(e.Key)))
				v = "\x00instance"
			case !ok:
				return nil, bad(e, fmt.Errorf("%s=%s: the specifier stands for the instance, which a template (%s) does not name; give an instance's file name (%s)", e.Key, e.Value, u.Name, strings.Replace(u.Name, "@.", "@NAME.", 1)))
			}
			e.Value = v
		}
		var err error
		switch e.Key {
		case "CapabilityBoundingSet":
			bset, err = capSet(e, bset, caps.Full)
		case "AmbientCapabilities":
			aset, err = capSet(e, aset, 0)
		case "User":
			userName = e.Value
		case "Group":
			groupName = e.Value
		case "SupplementaryGroups":
			if e.Value == "" {
				s.Groups = nil
			} else {
				s.Groups = append(s.Groups, strings.Fields(e.Value)...)
			}
		case "DynamicUser", "NoNewPrivileges", "PrivateDevices", "ProtectKernelModules", "ProtectKernelLogs", "ProtectClock":
			flags[e.Key], err = boolean(e)
		case "AppArmorProfile":
			s.AppArmor, s.AppArmorOptional = strings.CutPrefix(e.Value, "-")
		case "ExecStart", "ExecStartPre", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost", "ExecCondition":
			// "+" runs a command without the sandbox, "!" and "!!"
			// without the user change: not the layers read here
			if v := strings.TrimLeft(e.Value, "@-:"); strings.HasPrefix(v, "+") || strings.HasPrefix(v, "!") {
				s.Notes = append(s.Notes, fmt.Sprintf("%s: %s=%s runs with full privileges (\"+\") or as root (\"!\"), outside the layers read here", e.At(), e.Key, e.Value))
			}
		}
		if on, ok := seccompKeys[e.Key]; ok {
			v, berr := boolean(e)
			if on {
				filters[e.Key] = berr == nil && v || berr != nil && e.Value != ""
			} else {
				filters[e.Key] = e.Value != ""
			}
		}
		if n := noteKeys[e.Key]; n != "" && e.Value != noteDefaults[e.Key] {
			if on, berr := boolean(e); berr != nil || on {
				s.Notes = append(s.Notes, fmt.Sprintf("%s: %s=%s %s; rampart run does not build that, and the audit predicts without it", e.At(), e.Key, e.Value, n))
			}
		}
		if err != nil {
			return nil, err
		}
		s.At[e.Key] = e.At()
	}
	for _, on := range filters {
		s.Seccomp = s.Seccomp || on
	}
	dynamic = flags["DynamicUser"]
	s.NoNewPrivileges = flags["NoNewPrivileges"] || dynamic
	// Directives that take capabilities out of the bounding set besides
	// doing their own work: what the unit does not list may still be
	// gone.
	for _, d := range []struct {
		key string
		set caps.Set
	}{
		{"PrivateDevices", caps.Of(caps.MKNOD, caps.SYS_RAWIO)},
		{"ProtectKernelModules", caps.Of(caps.SYS_MODULE)},
		{"ProtectKernelLogs", caps.Of(caps.SYSLOG)},
		{"ProtectClock", caps.Of(caps.SYS_TIME, caps.WAKE_ALARM)},
	} {
		if flags[d.key] {
			if gone := bset.Intersect(d.set); gone != 0 {
				s.Implied = append(s.Implied, fmt.Sprintf("%s=yes removes %s", d.key, gone))
			}
			bset = bset.Minus(d.set)
		}
	}
	s.Bounding = bset.Intersect(caps.Full)
	// The ambient set cannot hold what the bounding set does not.
	s.Ambient = aset.Intersect(s.Bounding)
	if err := s.user(userName, groupName, dynamic); err != nil {
		return nil, err
	}
	return s, nil
}

// user resolves User= and Group= as systemd does on the host it runs
// on: a number, or a name in this machine's user database.
func (s *Service) user(name, group string, dynamic bool) error {
	s.UserKnown = true
	switch {
	case dynamic:
		s.UID, s.GID, s.UserKnown = dynamicUID, dynamicUID, false
		s.Notes = append(s.Notes, fmt.Sprintf("%s: DynamicUser=yes: systemd allocates a user from 61184–65519 at start; rampart predicts with uid %d", s.At["DynamicUser"], dynamicUID))
		return nil
	case name == "" || name == "root" || name == "0":
		s.Root = true
		if group != "" {
			gid, ok := lookupGroup(group)
			if !ok {
				return fmt.Errorf("%s: Group=%s: no such group on this machine", s.At["Group"], group)
			}
			s.GID = gid
		}
		return nil
	}
	if name == "\x00instance" {
		s.UID, s.GID, s.UserKnown = 65534, 65534, false
		s.Root = false
		return nil
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 {
		s.UID, s.GID = n, n
	} else if u, err := user.Lookup(name); err == nil {
		s.UID, _ = strconv.Atoi(u.Uid)
		s.GID, _ = strconv.Atoi(u.Gid)
	} else {
		// another host's user: non-root is all that is known of it
		s.UID, s.GID, s.UserKnown = 65534, 65534, false
		s.Notes = append(s.Notes, fmt.Sprintf("%s: User=%s is not a user on this machine; rampart predicts with a non-root uid (65534)", s.At["User"], name))
	}
	s.Root = s.UID == 0
	if group != "" && group != "\x00instance" {
		gid, ok := lookupGroup(group)
		if !ok {
			s.UserKnown = false
			s.Notes = append(s.Notes, fmt.Sprintf("%s: Group=%s is not a group on this machine; rampart predicts with the user's group", s.At["Group"], group))
		} else {
			s.GID = gid
		}
	}
	return nil
}

// specifiers replaces the specifiers rampart can know in a value of
// the unit named name: the unit's own name and instance (%n %N %p %P
// %i %I %j %J) and "%%". ok is false when the value names the instance
// of a template; any other specifier (a host's hostname, directories,
// machine id…) is refused, since only systemd on its host knows it.
func specifiers(name, v string) (string, bool, error) {
	base := strings.TrimSuffix(name, "."+unitfile.Type(name))
	prefix, instance, isInstance := strings.Cut(base, "@")
	var b strings.Builder
	ok := true
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		if i+1 == len(v) {
			return "", false, errors.New("a value ending in \"%\"")
		}
		i++
		switch c := v[i]; c {
		case '%':
			b.WriteByte('%')
		case 'n':
			b.WriteString(name)
		case 'N':
			b.WriteString(base)
		case 'p', 'P':
			b.WriteString(prefix)
		case 'j', 'J':
			last := prefix
			if j := strings.LastIndexByte(prefix, '-'); j >= 0 {
				last = prefix[j+1:]
			}
			b.WriteString(last)
		case 'i', 'I':
			if !isInstance || instance == "" {
				ok = false
			}
			if c == 'I' && strings.ContainsAny(instance, "\\-") {
				return "", false, fmt.Errorf("%%I: rampart does not unescape instance names (%q); write the value", instance)
			}
			b.WriteString(instance)
		default:
			return "", false, fmt.Errorf("%%%c: a specifier only systemd on its host can replace; write the value it stands for", c)
		}
	}
	return b.String(), ok, nil
}

func lookupGroup(g string) (int, bool) {
	if n, err := strconv.Atoi(g); err == nil && n >= 0 {
		return n, true
	}
	gr, err := user.LookupGroup(g)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(gr.Gid)
	return n, err == nil
}

// capSet applies one CapabilityBoundingSet= or AmbientCapabilities=
// line to set, as systemd's parser does: an empty value or "~" alone
// replaces the set (with nothing, or everything); the first line (while
// the set is still its initial value) replaces it; later lines add, or
// with "~" remove, what they list.
func capSet(e unitfile.Entry, set, initial caps.Set) (caps.Set, error) {
	v, invert := strings.CutPrefix(e.Value, "~")
	var sum caps.Set
	for _, f := range strings.Fields(v) {
		c, err := caps.Parse(f)
		if err != nil || !strings.HasPrefix(strings.ToUpper(f), "CAP_") {
			return 0, bad(e, fmt.Errorf("%q: not a capability name systemd reads (CAP_NET_RAW)", f))
		}
		sum = sum.Add(c)
	}
	if sum == 0 || set == initial {
		if invert {
			return caps.Full.Minus(sum), nil
		}
		return sum, nil
	}
	if invert {
		return set.Minus(sum), nil
	}
	return set.Union(sum), nil
}

// boolean reads systemd's booleans.
func boolean(e unitfile.Entry) (bool, error) {
	if b, ok := unitfile.Bool(e.Value); ok {
		return b, nil
	}
	return false, bad(e, fmt.Errorf("%q: not a boolean; systemd ignores the line", e.Value))
}

func bad(e unitfile.Entry, err error) error {
	return &Error{File: e.File, Line: e.Line, Err: fmt.Errorf("%s: %w", e.Key, err)}
}

func first(u *unitfile.Unit, section string) unitfile.Entry {
	for _, e := range u.Entries {
		if e.Section == section {
			return e
		}
	}
	return unitfile.Entry{File: u.File, Line: 1}
}

// ErrNoService is a unit without a [Service] section: it starts no
// process of its own (systemd-exit.service and its kind).
var ErrNoService = errors.New("no [Service] section: the unit starts no process of its own")
