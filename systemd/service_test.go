package systemd

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/unitfile"
	"github.com/rampart-sec/rampart/policy"
)

func read(t *testing.T, name, body string) (*Service, error) {
	t.Helper()
	return ReadBytes(filepath.Join(t.TempDir(), name), []byte(body))
}

// CapabilityBoundingSet= and AmbientCapabilities= lines combine as
// systemd's parser combines them.
func TestCapabilitySets(t *testing.T) {
	all := caps.Full
	for _, c := range []struct {
		lines   string
		want    caps.Set
		ambient caps.Set
	}{
		{"", all, 0},
		{"CapabilityBoundingSet=CAP_CHOWN CAP_KILL\n", caps.Of(caps.CHOWN, caps.KILL), 0},
		// a later line adds
		{"CapabilityBoundingSet=CAP_CHOWN\nCapabilityBoundingSet=CAP_KILL\n", caps.Of(caps.CHOWN, caps.KILL), 0},
		// "~" takes away
		{"CapabilityBoundingSet=~CAP_SYS_ADMIN\n", all.Remove(caps.SYS_ADMIN), 0},
		{"CapabilityBoundingSet=CAP_CHOWN CAP_KILL\nCapabilityBoundingSet=~CAP_KILL\n", caps.Of(caps.CHOWN), 0},
		// empty: nothing at all; "~" alone: everything
		{"CapabilityBoundingSet=CAP_CHOWN\nCapabilityBoundingSet=\n", 0, 0},
		{"CapabilityBoundingSet=\nCapabilityBoundingSet=~\n", all, 0},
		// the ambient set cannot hold what the bounding set does not
		{"CapabilityBoundingSet=CAP_NET_RAW\nAmbientCapabilities=CAP_NET_RAW CAP_CHOWN\n", caps.Of(caps.NET_RAW), caps.Of(caps.NET_RAW)},
		// implied drops
		{"PrivateDevices=yes\nProtectClock=true\n", all.Minus(caps.Of(caps.MKNOD, caps.SYS_RAWIO, caps.SYS_TIME, caps.WAKE_ALARM)), 0},
		{"ProtectKernelModules=1\nProtectKernelLogs=on\nProtectKernelModules=no\n", all.Remove(caps.SYSLOG), 0},
	} {
		s, err := read(t, "a.service", "[Service]\n"+c.lines)
		if err != nil {
			t.Fatalf("%q: %v", c.lines, err)
		}
		if s.Bounding != c.want || s.Ambient != c.ambient {
			t.Errorf("%q: bounding %s ambient %s, want %s and %s", c.lines, s.Bounding, s.Ambient, c.want, c.ambient)
		}
	}
}

// systemd sets no_new_privs when asked, and when a filter is installed
// by a process without CAP_SYS_ADMIN once its user is set.
func TestNoNewPrivs(t *testing.T) {
	for _, c := range []struct {
		lines string
		want  bool
	}{
		{"", false},
		{"NoNewPrivileges=yes\n", true},
		{"DynamicUser=yes\n", true},
		{"SystemCallFilter=@system-service\n", false}, // root keeps CAP_SYS_ADMIN
		{"SystemCallFilter=@system-service\nCapabilityBoundingSet=~CAP_SYS_ADMIN\n", false}, // root holds it until exec
		{"User=nobody\nRestrictNamespaces=yes\n", true},                                     // a user holds none
		{"User=nobody\nRestrictNamespaces=no\n", false},                                     // no filter
		{"User=nobody\nAmbientCapabilities=CAP_SYS_ADMIN\nProtectClock=yes\n", false},       // ambient keeps it
		{"User=nobody\nProtectSystem=strict\nPrivateTmp=yes\n", false},                      // mounts only
		{"User=nobody\nSystemCallFilter=@system-service\nSystemCallFilter=\n", false},       // reset
		{"User=nobody\nRestrictAddressFamilies=AF_UNIX\nRestrictAddressFamilies=\n", false}, // reset
		{"User=nobody\nRestrictNamespaces=~user\n", true},                                   // a list
		{"User=nobody\nMemoryDenyWriteExecute=yes\nMemoryDenyWriteExecute=no\n", false},     // last wins
		{"User=nobody\nSystemCallArchitectures=native\n", true},                             // an arch filter
		{"User=nobody\nPrivateDevices=yes\n", true},                                         // @raw-io
		{"User=nobody\nSystemCallLog=@mount\n", true},                                       // a filter that logs
	} {
		s, err := read(t, "a.service", "[Service]\n"+c.lines)
		if err != nil {
			t.Fatalf("%q: %v", c.lines, err)
		}
		if got := s.NoNewPrivs(); got != c.want {
			t.Errorf("%q: no_new_privs %v, want %v", c.lines, got, c.want)
		}
	}
}

// What would be a guess is refused at its file and line.
func TestRefused(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"a.service", "[Service]\nCapabilityBoundingSett=CAP_KILL\n", `2: CapabilityBoundingSett: CapabilityBoundingSett=: not a key systemd`},
		{"a.service", "[Service]\nCapabilityBoundingSet=NET_RAW\n", `2: CapabilityBoundingSet: "NET_RAW": not a capability name`},
		{"a.service", "[Service]\nNoNewPrivileges=maybe\n", `2: NoNewPrivileges: "maybe": not a boolean`},
		{"a.service", "[Socket]\nListenStream=1\n", `2: [Socket]: not a section of a service unit`},
		{"a.service", "[Service]\nUser=%u\n", `%u: a specifier only systemd on its host can replace`},
		{"a@.service", "[Service]\nCapabilityBoundingSet=%i\n", `the specifier stands for the instance`},
		{"a.service", "[Service]\nUser=x\nGroup=no-such-group-here\n", ``},
	} {
		_, err := read(t, c.name, c.body)
		if c.want == "" {
			if err != nil {
				t.Errorf("%q: %v", c.body, err)
			}
			continue
		}
		var e *unitfile.Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.body, err, c.want)
		}
	}
}

// An instance's name fills %i; a template's user is a non-root one.
func TestSpecifiers(t *testing.T) {
	s, err := read(t, "getty@65534.service", "[Service]\nUser=%i\n")
	if err != nil || s.UID != 65534 || s.Root || !s.UserKnown {
		t.Fatalf("%+v %v", s, err)
	}
	s, err = read(t, "user@.service", "[Service]\nUser=%i\n")
	if err != nil || s.Root || s.UserKnown || len(s.Notes) == 0 {
		t.Fatalf("%+v %v", s, err)
	}
	for v, want := range map[string]string{"%n": "web@a.service", "%N": "web@a", "%p": "web", "%i": "a", "%%i": "%i"} {
		got, ok, err := specifiers("web@a.service", v)
		if err != nil || !ok || got != want {
			t.Errorf("%s: %q %v %v", v, got, ok, err)
		}
	}
}

// What rampart run cannot give the process exactly is refused; the rest
// is the policy, and the mounts are named.
func TestPolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f := write("web.service", "[Service]\nExecStart=/bin/web\nUser=nobody\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE\nSystemCallFilter=@system-service\nProtectSystem=strict\n")
	b, _ := os.ReadFile(f)
	p, notes, err := Policy(f, b)
	if err != nil {
		t.Fatal(err)
	}
	if p.User == nil || p.User.UID != 65534 || !p.Capabilities.InheritBase || !p.Capabilities.Ambient ||
		p.Capabilities.Resolve(caps.Full, caps.Full) != caps.Of(caps.NET_BIND_SERVICE) ||
		p.Seccomp.Kind != policy.SeccompFile || p.Seccomp.Path != f || !p.WantsNoNewPrivs() {
		t.Errorf("%+v %+v", p, p.Capabilities)
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "ProtectSystem=strict") }) {
		t.Errorf("notes %q", notes)
	}
	for body, want := range map[string]string{
		"[Service]\nUser=nobody\nAmbientCapabilities=CAP_NET_RAW\n": "rampart run raises the whole set",
		"[Service]\nDynamicUser=yes\n":                              "DynamicUser=yes",
		"[Service]\nUser=no-such-user-here\n":                       "not this machine's",
		"[Service]\nUser=nobody\nSupplementaryGroups=adm\n":         "supplementary groups",
		"[Unit]\nDescription=x\n":                                   "no [Service] section",
	} {
		f := write("x.service", body)
		if _, _, err := Policy(f, []byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}

// Every Debian unit is read without an error.
func TestDebianUnits(t *testing.T) {
	ms, _ := filepath.Glob("/lib/systemd/system/*.service")
	if len(ms) == 0 {
		t.Skip("no units in /lib/systemd/system")
	}
	for _, m := range ms {
		if _, err := Read(m); err != nil {
			t.Error(err)
		}
	}
	t.Logf("%d units", len(ms))
}

// No unit makes the reader panic, and what it accepts it reads whole.
func FuzzService(f *testing.F) {
	f.Add("[Service]\nUser=nobody\nCapabilityBoundingSet=~CAP_SYS_ADMIN\nAmbientCapabilities=CAP_NET_RAW\n")
	f.Add("[Unit]\nDescription=x\n[Service]\nDynamicUser=yes\nPrivateDevices=yes\nSystemCallFilter=@system-service\n")
	f.Fuzz(func(t *testing.T, body string) {
		s, err := ReadBytes("/nonexistent/f.service", []byte(body))
		if err != nil {
			return
		}
		if s.Ambient&^s.Bounding != 0 || s.Bounding&^caps.Full != 0 {
			t.Fatalf("ambient %s outside bounding %s", s.Ambient, s.Bounding)
		}
		Policy("/nonexistent/f.service", []byte(body))
		Pod("/nonexistent/f.service", []byte(body))
	})
}
