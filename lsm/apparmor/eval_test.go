package apparmor

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
)

// decide evaluates accesses under src's first profile, with the bundled
// includes (so that the answer does not depend on the machine).
func decide(t *testing.T, src string, accesses ...string) []Decision {
	t.Helper()
	ps, err := Parse("p", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(ps[0], BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	var out []Decision
	for _, s := range accesses {
		a, err := ParseAccess(s)
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Eval(a)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		out = append(out, d)
	}
	return out
}

type want struct {
	access  string
	allowed bool
	line    int    // the deciding rule's line; 0: no rule
	reason  string // a part of the reason
	logged  *bool
}

var yes, no = true, false

func check(t *testing.T, name, src string, wants ...want) {
	t.Helper()
	var as []string
	for _, w := range wants {
		as = append(as, w.access)
	}
	for i, d := range decide(t, src, as...) {
		w := wants[i]
		line := 0
		if d.Rule != nil {
			line = d.Rule.Pos.Line
		}
		if d.Allowed != w.allowed || line != w.line || !strings.Contains(d.Reason, w.reason) || w.logged != nil && d.Logged != *w.logged {
			t.Errorf("%s: %s: got %s by line %d (logged %v): %s\n  want allowed=%v line %d, reason with %q", name, w.access, d.Verdict(), line, d.Logged, d.Reason, w.allowed, w.line, w.reason)
		}
	}
}

func TestAppArmorEvalDenyWinsOverAllow(t *testing.T) {
	check(t, "seed-like", `profile p {
  file,
  deny /etc/shadow r,
}`,
		want{"/etc/shadow r", false, 3, "deny rules win over allow rules (file, at p:2:3 allows it)", &no},
		want{"/etc/shadow w", true, 2, "grants w", &no},
		want{"/etc/shadow rw", false, 3, "covers r", nil},
		want{"/etc/shadow r owner", false, 3, "", nil},
		want{"/etc/passwd r", true, 2, "", nil},
	)
	check(t, "audit deny is logged", "profile p {\n  file,\n  audit deny /s r,\n}",
		want{"/s r", false, 3, "logged as DENIED", &yes})
}

func TestAppArmorEvalWriteImpliesAppend(t *testing.T) {
	check(t, "w grants a", "profile p {\n  /x w,\n  /y a,\n}",
		want{"/x a", true, 2, "", nil},
		want{"/x wa", true, 2, "", nil},
		want{"/y a", true, 3, "", nil},
		want{"/y w", false, 0, "no rule allows w on /y", nil},
	)
	check(t, "deny w denies a", "profile p {\n  file,\n  deny /x w,\n  deny /y a,\n}",
		want{"/x a", false, 3, "", nil},
		want{"/y a", false, 4, "", nil},
		want{"/y w", true, 2, "", nil},
	)
}

func TestAppArmorEvalUnmatchedDenied(t *testing.T) {
	check(t, "allow list", `profile p {
  /etc/** r,
  /tmp/* rw,
  /data/ r,
}`,
		want{"/etc/passwd r", true, 2, "", nil},
		want{"/etc/passwd w", false, 0, "no rule allows w on /etc/passwd, and what a profile does not allow is denied", &yes},
		want{"/etc/passwd rw", false, 0, "(r: /etc/** r, (p:2:3))", nil},
		want{"/etc/ r", false, 0, "", nil},
		want{"/tmp/x w", true, 3, "", nil},
		want{"/tmp/ r", false, 0, "", nil},
		want{"/tmp/a/b r", false, 0, "", nil},
		want{"/data/ r", true, 4, "", nil},
		want{"/data r", false, 0, "", nil},
		want{"/usr/bin/id x", false, 0, "", nil},
	)
	check(t, "permissions from several rules", "profile p {\n  /x r,\n  /x w,\n}",
		want{"/x rw", true, 2, "no single rule grants rw: r by /x r, (p:2:3), w by /x w, (p:3:3)", nil})
}

func TestAppArmorEvalOwner(t *testing.T) {
	check(t, "owner allow", "profile p {\n  owner /home/*/** rw,\n  /home/*/public/** r,\n}",
		want{"/home/u/secret r", false, 0, "owner /home/*/** rw, (p:2:3) applies only to files the task owns", nil},
		want{"/home/u/secret r owner", true, 2, "", nil},
		want{"owner /home/u/secret w", true, 2, "", nil},
		want{"/home/u/public/x r", true, 3, "", nil},
		want{"/home/u/public/x w", false, 0, "applies only to files the task owns", nil},
	)
	check(t, "owner deny", "profile p {\n  file,\n  deny owner /x w,\n}",
		want{"/x w", true, 2, "", nil},
		want{"/x w owner", false, 3, "", nil},
	)
}

func TestAppArmorEvalModes(t *testing.T) {
	src := `profile p flags=(complain) {
  /x r,
  deny /quiet r,
  audit deny /loud r,
  audit /audited r,
}`
	check(t, "complain", src,
		want{"/x r", true, 2, "", &no},
		want{"/y r", true, 0, "complain mode", &yes},
		want{"/quiet r", false, 3, "an explicit deny rule without audit denies quietly in every mode", &no},
		want{"/loud r", true, 4, "complain mode", &yes},
		want{"/audited r", true, 5, "logged (audit)", &yes},
		want{"network inet raw", true, 0, "complain mode", &yes},
		want{"capability sys_admin", true, 0, "complain mode", &yes},
	)
	check(t, "complain with the audit flag", strings.Replace(src, "(complain)", "(complain,audit)", 1),
		want{"/quiet r", true, 3, "complain mode", &yes},
		want{"/x r", true, 2, "logged (audit)", &yes},
	)
	check(t, "kill", "profile p flags=(kill) {\n  /x r,\n  deny /q r,\n}",
		want{"/y r", false, 0, "the task is killed as well", &yes},
		want{"/q r", false, 3, "not logged", &no},
	)
	check(t, "unconfined", "profile p flags=(unconfined) {\n  deny /x r,\n}",
		want{"/x r", true, 0, "unconfined mode", &no},
		want{"capability sys_admin", true, 0, "unconfined mode", nil},
	)
	check(t, "enforce explicitly", "profile p flags=(enforce) {\n}",
		want{"/x r", false, 0, "", &yes})
}

func TestAppArmorEvalExec(t *testing.T) {
	ds := decide(t, `profile p {
  /usr/bin/* ix,
  /usr/bin/curl Px -> curl-profile,
  /usr/bin/tool cux,
  deny /usr/bin/su x,
  /lib/** mr,
  /opt/tool px,
}`, "/usr/bin/ls x", "/usr/bin/curl x", "/usr/bin/tool x", "/usr/bin/su x", "/usr/bin/su r", "/usr/bin/ls m", "/opt/tool m", "/lib/x.so m", "/lib/x.so x")
	for i, w := range []struct {
		allowed bool
		exec    ExecMode
		target  string
		reason  string
	}{
		{true, "ix", "", "the program runs under this same profile"},
		{true, "Px", "curl-profile", "runs under its own profile"},
		{true, "cux", "", "or unconfined"},
		{false, "", "", "the deny rule covers x"},
		{false, "", "", "no rule allows r"},
		{true, "", "", ""},                  // ix implies m
		{false, "", "", "no rule allows m"}, // px does not
		{true, "", "", ""},
		{false, "", "", "no rule allows x"},
	} {
		d := ds[i]
		if d.Allowed != w.allowed || d.Exec != w.exec || d.Target != w.target || !strings.Contains(d.Reason, w.reason) {
			t.Errorf("%s: %s exec %q -> %q: %s", d.Access, d.Verdict(), d.Exec, d.Target, d.Reason)
		}
	}
	// file, grants ix; a literal rule wins over it.
	ds = decide(t, "profile p {\n  file,\n  /usr/bin/curl px,\n}", "/usr/bin/curl x", "/usr/bin/id x")
	if ds[0].Exec != "px" || ds[1].Exec != "ix" {
		t.Errorf("exec %s, %s", ds[0].Exec, ds[1].Exec)
	}
	// Two globs with different transitions that meet on some file do
	// not compile, as apparmor_parser refuses them, before any access
	// is asked about.
	ps, _ := Parse("p", []byte("profile p {\n  /usr/bin/* ix,\n  owner /usr/bin/f* px,\n}"))
	_, err := Compile(ps[0], BundledIncludes)
	if err == nil || !strings.Contains(err.Error(), "conflicting x modifiers") || !strings.HasPrefix(err.Error(), "p:3:3:") {
		t.Errorf("conflict: %v", err)
	}
}

func TestAppArmorEvalLinkTarget(t *testing.T) {
	// A trailing `l -> TARGET` does not narrow the target: apparmor_parser
	// compiles it as plain l (and the kernel lets /a link anywhere the
	// subset test allows); only a link rule or a leading l names one.
	check(t, "link pair", "profile p {\n  /a rwl -> /b,\n  /c l,\n  link /d -> /b,\n}",
		want{"/a rw", true, 2, "", nil},
		want{"/a l", true, 2, "", nil},
		want{"/c l", true, 3, "", nil},
		want{"/d l", false, 0, "", nil})
}

func TestAppArmorEvalNetwork(t *testing.T) {
	check(t, "allow list", `profile p {
  network inet stream,
  network inet6 tcp,
  network icmp,
  network netlink,
}`,
		want{"network inet stream", true, 2, "", nil},
		want{"network inet tcp", true, 2, "", nil},
		want{"network inet6 stream", true, 3, "", nil},
		want{"network inet dgram", false, 0, "no rule allows network inet dgram", nil},
		want{"network inet raw", true, 4, "", nil},
		want{"network inet6 raw", false, 0, "", nil},
		want{"network netlink", true, 5, "all 6 family and type pairs", nil},
		want{"network inet", false, 0, "network inet stands for 6 family and type pairs, and not all are allowed: no rule allows network inet dgram", nil},
		want{"network packet raw", false, 0, "", nil},
	)
	check(t, "deny raw", "profile p {\n  network,\n  deny network raw,\n}",
		want{"network inet raw", false, 3, "deny rules win", nil},
		want{"network packet", false, 3, "not all are allowed", nil},
		want{"network packet dgram", true, 2, "", nil},
		want{"network inet stream", true, 2, "", nil},
		want{"network inet icmp", false, 3, "", nil},
	)
	check(t, "deny a family", "profile p {\n  network,\n  deny network packet,\n}",
		want{"network packet", false, 3, "", nil},
		want{"network inet raw", true, 2, "", nil})
}

func TestAppArmorEvalCapability(t *testing.T) {
	check(t, "allow list", "profile p {\n  capability net_bind_service chown,\n}",
		want{"capability net_bind_service", true, 2, "the task still needs CAP_NET_BIND_SERVICE", nil},
		want{"capability CHOWN", true, 2, "", nil},
		want{"capability CAP_NET_RAW", false, 0, "no rule allows capability net_raw", nil},
	)
	check(t, "deny one", "profile p {\n  capability,\n  deny capability net_raw,\n}",
		want{"capability net_raw", false, 3, "deny rules win", nil},
		want{"capability sys_admin", true, 2, "", nil})
}

func TestAppArmorEvalVariablesAndIncludes(t *testing.T) {
	src := `#include <tunables/global>
@{DATA}=/srv/a/ /srv/b/
@{ONE}=/opt/one/

profile p {
  #include <abstractions/base>
  @{DATA}/** r,
  @{ONE}/*/conf r,
  owner @{HOME}/** rw,
  @{PROC}/@{pid}/fd/ r,
  @{sys}/fs/cgroup/** r,
  include if exists <nothing/here>
}`
	ds := decide(t, src, "/srv/a/x r", "/srv/b/x/y r", "/srv/c/x r", "/opt/one/x/conf r", "/opt/one/conf r",
		"/home/u/f w owner", "/root/f w owner", "/home/f w owner", "/proc/42/fd/ r", "/proc/self/fd/ r",
		"/sys/fs/cgroup/cpu.max r", "/etc/ld.so.cache m", "/dev/null w")
	for i, w := range []bool{true, true, false, true, false, true, true, false, true, false, true, true, true} {
		if ds[i].Allowed != w {
			t.Errorf("%s: %s (%s)", ds[i].Access, ds[i].Verdict(), ds[i].Reason)
		}
	}
	d := ds[11]
	if !strings.HasPrefix(d.Where(), BundledPrefix+"abstractions/base:") || !strings.HasSuffix(d.Where(), "(included from p:6:3)") || len(d.Via) != 1 {
		t.Errorf("ld.so.cache decided at %s", d.Where())
	}
	for _, c := range []struct{ src, want string }{
		{"profile p {\n  @{NOPE}/x r,\n}", "p:2:3: variable @{NOPE} is used but never assigned"},
		{"@{A}=/a\n@{A}=/b\nprofile p {\n}", "p:2:1: @{A} is assigned again (first at p:1:1)"},
		{"@{A}+=/a\nprofile p {\n}", "p:1:1: @{A} += adds to a variable never assigned"},
		{"@{A}=@{B}\n@{B}=@{A}\nprofile p {\n  @{A} r,\n}", "p:4:3: variables refer to each other too deeply"},
		{"profile p {\n  #include <abstractions/nope>\n}", "p:2:3: include <abstractions/nope>: not found nowhere (no include directory) nor among rampart's bundled files"},
		{"profile p {\n  include <../etc>\n}", "p:2:3: include <../etc> leaves the include directories"},
	} {
		ps, err := Parse("p", []byte(c.src))
		if err == nil { // a document's own mistakes are refused as it is read
			_, err = Compile(ps[0], BundledIncludes)
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.src, err, c.want)
		}
	}
	// An include that is a directory reads its files in name order.
	dir := t.TempDir()
	os.MkdirAll(dir+"/local/p.d", 0o755)
	os.WriteFile(dir+"/local/p.d/b", []byte("/b r,\n"), 0o644)
	os.WriteFile(dir+"/local/p.d/a", []byte("/a r,\n"), 0o644)
	os.WriteFile(dir+"/local/p.d/.hidden", []byte("/hidden r,\n"), 0o644)
	ps, _ := Parse("p", []byte("profile p {\n  include <local/p.d>\n}"))
	c, err := Compile(ps[0], Includes{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Sources, " ") != dir+"/local/p.d/a "+dir+"/local/p.d/b" {
		t.Errorf("sources %v", c.Sources)
	}
	if _, err := Compile(ps[0], Includes{Dirs: []string{dir + "/nope"}, NoBundled: true}); err == nil {
		t.Error("missing include found")
	}
}

// With the system's policy directory, includes come from it.
func TestAppArmorEvalSystemIncludes(t *testing.T) {
	if _, err := os.Stat("/etc/apparmor.d/abstractions/base"); err != nil {
		t.Skip("no /etc/apparmor.d/abstractions/base (Debian package apparmor; `make test` installs it)")
	}
	ps, err := ParseFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Eval(ps[0], Access{Class: ClassFile, Path: "/usr/share/zoneinfo/UTC", Perms: PermRead})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed || !strings.HasPrefix(d.Where(), "/etc/apparmor.d/abstractions/base:") {
		t.Errorf("zoneinfo: %s at %s", d.Verdict(), d.Where())
	}
}

// The seed article's three attacker commands against its profile.
func TestAppArmorEvalSeedArticle(t *testing.T) {
	ps, err := ParseFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(ps[0], BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	for access, allowed := range map[string]bool{
		"/etc/shadow r":        false, // cat /etc/shadow: AppArmor closes it
		"network inet raw":     true,  // a raw socket: the capability layer closes it (NET_RAW dropped)
		"capability net_raw":   true,
		"capability sys_admin": true, // unshare -r -n: seccomp closes it
		"/etc/passwd r":        true,
	} {
		a, _ := ParseAccess(access)
		d, err := c.Eval(a)
		if err != nil || d.Allowed != allowed {
			t.Errorf("%s: %s %v (%s)", access, d.Verdict(), err, d.Reason)
		}
	}
}

func TestAppArmorParseAccess(t *testing.T) {
	for s, want := range map[string]Access{
		"/etc/shadow r":            {Class: ClassFile, Path: "/etc/shadow", Perms: PermRead},
		"/etc/shadow r owner":      {Class: ClassFile, Path: "/etc/shadow", Perms: PermRead, Owner: true},
		"owner /x wx":              {Class: ClassFile, Path: "/x", Perms: PermWrite | PermExec, Owner: true},
		"rw /x":                    {Class: ClassFile, Path: "/x", Perms: PermRead | PermWrite},
		`"/a b/" r`:                {Class: ClassFile, Path: "/a b/", Perms: PermRead},
		"network":                  {Class: ClassNetwork},
		"network packet":           {Class: ClassNetwork, Family: "packet"},
		"network raw":              {Class: ClassNetwork, Type: "raw"},
		"network inet raw":         {Class: ClassNetwork, Family: "inet", Type: "raw"},
		"network inet tcp":         {Class: ClassNetwork, Family: "inet", Type: "tcp"},
		"capability net_raw":       {Class: ClassCapability, Capability: caps.NET_RAW},
		"capability CAP_SYS_ADMIN": {Class: ClassCapability, Capability: caps.SYS_ADMIN},
	} {
		got, err := ParseAccess(s)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v", s, got, err)
		}
	}
	for _, s := range []string{"", "/x", "/x q", "/x ix", "x r", "network bogus", "network inet6 icmp", "network a b c",
		"capability", "capability nope", "owner network", "owner capability chown", `"/x r`} {
		if a, err := ParseAccess(s); err == nil {
			t.Errorf("%q accepted: %+v", s, a)
		}
	}
	a, _ := ParseAccess("owner /x rw")
	if a.String() != "/x rw owner" {
		t.Errorf("String: %q", a)
	}
}

// The rule index decides every access as a scan of every rule would:
// same verdict, same deciding rule, same reason.
func FuzzFileIndex(f *testing.F) {
	f.Add("/etc/shadow\n/etc/**\n/usr/lib/libc.so*\n/tmp//x", "/etc/shadow", uint8(1))
	f.Add("/proc/[0-9]*/maps\n/**\n/proc/self/status", "/proc/12/maps", uint8(3))
	f.Add("/a/{b,c}/d\n/a/b/d\n/a/*/d", "/a//b/d", uint8(6))
	f.Fuzz(func(t *testing.T, patterns, path string, flags uint8) {
		if len(patterns) > 2048 || len(path) > 256 || strings.ContainsAny(path, "\x00\n") {
			return
		}
		var b strings.Builder
		b.WriteString("profile p {\n")
		for i, p := range strings.Split(patterns, "\n") {
			if p == "" || strings.ContainsAny(p, " ,#\"") {
				continue
			}
			switch {
			case flags>>(i%8)&1 == 0:
				fmt.Fprintf(&b, "  %s rw,\n", p)
			case i%3 == 0:
				fmt.Fprintf(&b, "  deny %s w,\n", p)
			default:
				fmt.Fprintf(&b, "  owner %s r,\n", p)
			}
		}
		b.WriteString("}\n")
		ps, err := Parse("p", []byte(b.String()))
		if err != nil || len(ps) != 1 {
			return
		}
		indexed, err := Compile(ps[0], BundledIncludes)
		if err != nil {
			return
		}
		scan, _ := Compile(ps[0], BundledIncludes)
		for i := range scan.files {
			scan.index.all = append(scan.index.all, i)
		}
		for _, a := range []Access{
			{Class: ClassFile, Path: path, Perms: PermRead},
			{Class: ClassFile, Path: path, Perms: PermWrite, Owner: true},
			{Class: ClassFile, Path: path, Perms: PermRead | PermAppend},
		} {
			d1, err1 := indexed.Eval(a)
			d2, err2 := scan.Eval(a)
			if (err1 == nil) != (err2 == nil) || d1.Allowed != d2.Allowed || d1.Rule != d2.Rule || d1.Reason != d2.Reason {
				t.Fatalf("%s on\n%s\nindexed: %v %v %q\nscan:    %v %v %q", a.Path, b.String(), d1.Allowed, err1, d1.Reason, d2.Allowed, err2, d2.Reason)
			}
		}
	})
}
