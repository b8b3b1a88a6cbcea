//go:build linux

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestAppArmorEvalSeed(t *testing.T) {
	r := rampart(t, "", "apparmor", "eval", seedProfile, "/etc/shadow r", "network inet raw", "capability net_raw", "/etc/shadow w owner")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"profile flask-deny-shadow (enforce mode) in " + seedProfile,
		"/etc/shadow r: denied\n  by   deny /etc/shadow r,   " + seedProfile + ":10:3\n",
		"deny rules win over allow rules (file, at " + seedProfile + ":6:3 allows it)",
		"network inet raw: allowed\n  by   network,   " + seedProfile + ":7:3\n",
		"capability net_raw: allowed\n  by   capability,   " + seedProfile + ":8:3\n",
		"the task still needs CAP_NET_RAW",
		"/etc/shadow w owner: allowed\n  by   file,   " + seedProfile + ":6:3\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestAppArmorEvalChildProfile(t *testing.T) {
	profile := "profile top {\n  /usr/bin/sed Cx -> sed,\n  /etc/passwd r,\n  profile sed {\n    /run/@{profile_name}/** w,\n  }\n}\n"
	r := rampart(t, profile, "apparmor", "eval", "--includes", "bundled", "--profile", "top//sed", "-", "/run/top//sed/x w", "/etc/passwd r")
	want := "profile top//sed (enforce mode) in <stdin>\na child profile of top, entered by:\n  /usr/bin/sed Cx -> sed,   <stdin>:2:3\n\n" +
		"/run/top//sed/x w: allowed\n  by   /run/@{profile_name}/** w,   <stdin>:5:5\n"
	if r.code != 0 || !strings.HasPrefix(r.stdout, want) || !strings.Contains(r.stdout, "/etc/passwd r: denied") {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = rampart(t, "profile x /usr/bin/x xattrs=(user.a=b) {\n}\n", "apparmor", "eval", "-", "/x r")
	if r.code != 0 || !strings.Contains(r.stdout, "\nit attaches only to programs with the xattrs user.a=b: not evaluated\n") {
		t.Errorf("xattrs: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = rampart(t, profile, "apparmor", "parse", "-")
	if r.code != 0 || r.stdout != profile {
		t.Errorf("parse: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestAppArmorEvalOwnerAndJSON(t *testing.T) {
	profile := "#include <tunables/global>\nprofile home {\n  owner @{HOME}/** rw,\n  /usr/bin/* ix,\n}\n"
	r := rampart(t, profile, "apparmor", "eval", "--includes", "bundled", "-o", "json", "-", "/home/u/notes r", "/home/u/notes r owner", "/usr/bin/id x")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var ds []struct {
		Access, Verdict, Rule, At, Exec, Reason string
		Allowed, Logged                         bool
	}
	if err := json.Unmarshal([]byte(r.stdout), &ds); err != nil || len(ds) != 3 {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if ds[0].Allowed || ds[0].Rule != "" || !strings.Contains(ds[0].Reason, "applies only to files the task owns") {
		t.Errorf("not owner: %+v", ds[0])
	}
	if !ds[1].Allowed || ds[1].Rule != "owner @{HOME}/** rw," || ds[1].At != "<stdin>:3:3" {
		t.Errorf("owner: %+v", ds[1])
	}
	if !ds[2].Allowed || ds[2].Exec != "ix" {
		t.Errorf("exec: %+v", ds[2])
	}
	r = rampart(t, profile, "apparmor", "eval", "--includes", "bundled", "--owner", "-", "/home/u/notes w")
	if r.code != 0 || !strings.Contains(r.stdout, "/home/u/notes w owner: allowed") || !strings.Contains(r.stdout, "rampart's bundled tunables/global stand in") {
		t.Errorf("--owner: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A profile with rule classes eval does not read says so, in text and
// in JSON, so that none of them counts as absent.
func TestAppArmorEvalNamesClassesNotEvaluated(t *testing.T) {
	profile := "profile p {\n  /etc/** r,\n  mount options=(ro) /dev/sda1 -> /mnt/,\n  dbus send bus=system,\n  umount /mnt/,\n}\n"
	r := rampart(t, profile, "apparmor", "eval", "--includes", "bundled", "-", "/etc/passwd r")
	if r.code != 0 || !strings.Contains(r.stdout, "\nnot evaluated: mount, dbus rules (3 rules)\n") {
		t.Errorf("text: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = rampart(t, profile, "apparmor", "eval", "--includes", "bundled", "-o", "json", "-", "/etc/passwd r", "capability net_raw")
	var ds []struct {
		NotEvaluated string `json:"not_evaluated"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &ds); err != nil || len(ds) != 2 {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	for _, d := range ds {
		if d.NotEvaluated != "mount, dbus rules (3 rules)" {
			t.Errorf("json: not_evaluated %q", d.NotEvaluated)
		}
	}
	r = rampart(t, "profile p {\n  /etc/** r,\n}\n", "apparmor", "eval", "--includes", "bundled", "-", "/etc/passwd r")
	if r.code != 0 || strings.Contains(r.stdout, "not evaluated") {
		t.Errorf("a profile of file rules only: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestAppArmorCommandErrors(t *testing.T) {
	two := "profile a {\n  file,\n}\nprofile b {\n}\n"
	for _, c := range []struct {
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"", []string{"apparmor", "eval", seedProfile, "/etc/shadow q"}, exitUsage, "permissions are letters of r w a l k m x"},
		{"", []string{"apparmor", "eval", seedProfile, "network bogus"}, exitUsage, `unknown socket type or protocol "bogus"`},
		{"", []string{"apparmor", "eval", seedProfile}, exitUsage, "requires at least 2 arg"},
		{two, []string{"apparmor", "eval", "-", "/x r"}, exitUsage, "<stdin> defines 2 profiles (a, b): name one with --profile"},
		{two, []string{"apparmor", "eval", "--profile", "c", "-", "/x r"}, exitUsage, `does not define profile "c"`},
		{"profile p {\n  file\n}\n", []string{"apparmor", "eval", "-", "/x r"}, exitRefused, `rampart: <stdin>:2:3: rule does not end with a comma: "file"`},
		{"profile p {\n  /x wa,\n}\n", []string{"apparmor", "parse", "-"}, exitRefused, `rampart: <stdin>:2:6: "wa": w and a conflict`},
		{"profile p {\n  ^hat {\n  }\n  hat hat {\n  }\n}\n", []string{"apparmor", "eval", "-", "/x r"}, exitRefused, "<stdin>:4:3: profile p//hat is defined twice (first at <stdin>:2:3)"},
		{"profile p {\n  ^hat {\n  }\n}\n", []string{"apparmor", "eval", "--profile", "p//other", "-", "/x r"}, exitUsage, `does not define profile "p//other" (it has p, p//hat)`},
		{"profile p {\n  #include <abstractions/nope>\n}\n", []string{"apparmor", "eval", "--includes", "bundled", "-", "/x r"}, exitRefused, "<stdin>:2:3: include <abstractions/nope>: not found"},
		{"", []string{"apparmor", "eval", "nope", "/x r"}, exitRefused, "no such file"},
		{"", []string{"apparmor", "generate", "--deny-read", "etc/shadow"}, exitUsage, "want an absolute path"},
		{"", []string{"apparmor", "eval", "-o", "yaml", seedProfile, "/x r"}, exitUsage, `-o "yaml"`},
	} {
		r := rampart(t, c.stdin, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.msg)
		}
	}
}

func TestAppArmorParseAndGenerate(t *testing.T) {
	seed, err := os.ReadFile(seedProfile)
	if err != nil {
		t.Fatal(err)
	}
	r := rampart(t, "", "apparmor", "parse", seedProfile)
	if r.code != 0 || r.stdout != string(seed) {
		t.Errorf("parse: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = rampart(t, "profile  p   flags=(complain)  {\n  r  /x ,  # why\n}\n", "apparmor", "parse", "-")
	if r.code != 0 || r.stdout != "profile p flags=(complain) {\n  /x r, # why\n}\n" {
		t.Errorf("parse -: exit %d:\n%q%s", r.code, r.stdout, r.stderr)
	}
	r = rampart(t, "", "apparmor", "generate", "--name", "flask-deny-shadow", "--deny-read", "/etc/shadow")
	if r.code != 0 || r.stdout != string(seed) {
		t.Errorf("generate: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = rampart(t, "", "apparmor", "generate", "--name", "web", "--deny-write", "/srv/www/", "--container-default")
	if r.code != 0 || !strings.Contains(r.stdout, "  deny /srv/www/{,**} w,\n") || !strings.Contains(r.stdout, "  deny mount,\n") {
		t.Fatalf("generate --container-default: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	// What generate prints, eval reads.
	e := rampart(t, r.stdout, "apparmor", "eval", "--includes", "bundled", "-", "/proc/sys/kernel/core_pattern w", "/srv/www/index.html w", "/proc/sys/kernel/shmmax w")
	if e.code != 0 || strings.Count(e.stdout, ": denied\n") != 2 || !strings.Contains(e.stdout, "/proc/sys/kernel/shmmax w: allowed") {
		t.Errorf("eval of the generated profile: exit %d:\n%s%s", e.code, e.stdout, e.stderr)
	}
}

// --check runs the real apparmor_parser.
func TestAppArmorCheck(t *testing.T) {
	if _, err := exec.LookPath("apparmor_parser"); err != nil {
		if _, err := os.Stat("/usr/sbin/apparmor_parser"); err != nil {
			t.Skip("apparmor_parser is not installed (Debian package apparmor; `make test` installs it)")
		}
	}
	r := rampart(t, "", "apparmor", "generate", "--container-default", "--deny-read", "@{HOME}/.ssh/", "--check")
	if r.code != 0 || !strings.Contains(r.stdout, "profile rampart flags=(attach_disconnected,mediate_deleted) {") {
		t.Errorf("generate --check: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = rampart(t, "", "apparmor", "parse", "--check", seedProfile)
	if r.code != 0 {
		t.Errorf("parse --check: exit %d: %s", r.code, r.stderr)
	}
	// rampart's model accepts a link target apparmor_parser checks; a
	// profile the parser refuses fails --check.
	r = rampart(t, "profile p {\n  /usr/bin/* ix,\n  /usr/bin/f* px,\n}\n", "apparmor", "parse", "--check", "-")
	if r.code != exitRefused || !strings.Contains(r.stderr, "apparmor_parser -Q -K refuses <stdin>") || !strings.Contains(r.stderr, "conflicting x modifiers") {
		t.Errorf("parse --check of a conflict: exit %d: %s", r.code, r.stderr)
	}
}

func TestAppArmorHelp(t *testing.T) {
	r := rampart(t, "", "apparmor", "eval", "--help")
	for _, want := range []string{"deny wins over allow", "complain mode", "owner rules apply only", "'network packet'", "capability net_raw", "rampart apparmor eval examples/seed/flask-deny-shadow"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("eval --help lacks %q", want)
		}
	}
	r = rampart(t, "", "apparmor", "--help")
	for _, want := range []string{"eval", "generate", "parse", "load", "--includes"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("apparmor --help lacks %q", want)
		}
	}
}

// A hard link is asked for by its pair; the subset test keeps a link
// from opening the target wider than the profile does.
func TestAppArmorEvalLinkAccess(t *testing.T) {
	profile := "profile p {\n  /tmp/** rwl,\n  /etc/passwd r,\n  link /var/only -> /etc/passwd,\n}\n"
	r := rampart(t, profile, "apparmor", "eval", "--includes", "bundled", "-o", "json", "-",
		"link /tmp/l -> /etc/shadow", "link /var/only -> /etc/passwd", "link /var/only -> /etc/group")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var ds []struct {
		Access, Rule, Reason string
		Allowed              bool
	}
	if err := json.Unmarshal([]byte(r.stdout), &ds); err != nil || len(ds) != 3 {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if ds[0].Allowed || ds[0].Access != "link /tmp/l -> /etc/shadow" || !strings.Contains(ds[0].Reason, "subset test fails") {
		t.Errorf("subset: %+v", ds[0])
	}
	if !ds[1].Allowed || ds[1].Rule != "link /var/only -> /etc/passwd," {
		t.Errorf("link rule: %+v", ds[1])
	}
	if ds[2].Allowed {
		t.Errorf("other target: %+v", ds[2])
	}
	if r := rampart(t, profile, "apparmor", "eval", "-", "link /tmp/l"); r.code != 2 || !strings.Contains(r.stderr, "link /PATH -> /TARGET") {
		t.Errorf("bad access: exit %d: %s", r.code, r.stderr)
	}
}
