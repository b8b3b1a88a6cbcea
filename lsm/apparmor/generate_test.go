package apparmor

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/policy"
)

func TestAppArmorGenerateSeedProfile(t *testing.T) {
	d, err := Generate(Options{Name: "flask-deny-shadow", DenyRead: []string{"/etc/shadow"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Render(); got != string(seed(t)) {
		t.Fatalf("generated:\n%s\nwant the seed's:\n%s", got, seed(t))
	}
}

// seedAccesses are what the evaluation comparisons ask.
var seedAccesses = []string{
	"/etc/shadow r", "/etc/shadow w", "/etc/shadow r owner", "/etc/passwd r", "/etc/passwd w",
	"/usr/bin/id x", "/etc/ld.so.cache m", "/proc/sys/kernel/core_pattern w", "/proc/1/maps r",
	"network inet raw", "network packet", "network inet stream", "capability net_raw", "capability sys_admin",
}

func decisions(t *testing.T, p *Profile, accesses []string) []string {
	t.Helper()
	c, err := Compile(p, BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range accesses {
		a, err := ParseAccess(s)
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Eval(a)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s+": "+d.Verdict())
	}
	return out
}

// The seed's policy, as rampart reads it from the seed's profile, turns
// back into a profile that decides like the seed's.
func TestAppArmorGenerateFromSeedPolicy(t *testing.T) {
	ps, err := ParseFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ps[0].LandlockRules()
	if err != nil {
		t.Fatal(err)
	}
	o, err := OptionsFromPolicy("flask-deny-shadow", &policy.Policy{Landlock: rules})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	text := d.Render()
	if !strings.Contains(text, "  deny /etc/shadow r,\n  deny /etc/shadow/** r,\n") {
		t.Errorf("generated:\n%s", text)
	}
	gen, err := Parse("generated", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := decisions(t, gen[0], seedAccesses), decisions(t, ps[0], seedAccesses); !reflect.DeepEqual(got, want) {
		t.Errorf("generated decides\n%v\nthe seed\n%v", got, want)
	}
	// It differs only beneath /etc/shadow, which a file does not have:
	// the policy's rule covers what lies beneath a path.
	if got := decisions(t, gen[0], []string{"/etc/shadow/x r"}); got[0] != "/etc/shadow/x r: denied" {
		t.Error(got)
	}
	if _, err := OptionsFromPolicy("x", &policy.Policy{Landlock: []policy.FSRule{{Mode: policy.Allow, Path: "/usr", Access: "rx"}}}); err == nil {
		t.Error("allow-list rules turned into a deny profile")
	}
	o, _ = OptionsFromPolicy("x", &policy.Policy{Landlock: []policy.FSRule{{Mode: policy.ReadOnly, Path: "/srv/a b/"}, {Mode: policy.DenyRead, Path: "/weird*name"}}})
	if strings.Join(o.DenyWrite, "|") != `/srv/a b/{,**}` || strings.Join(o.DenyRead, "|") != `/weird\*name|/weird\*name/**` {
		t.Errorf("options %+v", o)
	}
}

func TestAppArmorGenerateDenyRules(t *testing.T) {
	d, err := Generate(Options{Name: "web app", DenyRead: []string{"/srv/secret/", "@{HOME}/.ssh/**", "/a b"}, DenyWrite: []string{"/srv/secret/", "/etc/**"}, Complain: true})
	if err != nil {
		t.Fatal(err)
	}
	text := d.Render()
	for _, want := range []string{
		`profile "web app" flags=(attach_disconnected,mediate_deleted,complain) {`,
		"  deny /srv/secret/{,**} rw,\n  deny @{HOME}/.ssh/** r,\n  deny \"/a b\" r,\n  deny /etc/** w,\n}",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []Options{{DenyRead: []string{"relative"}}, {DenyWrite: []string{"/a{b"}}, {Name: "a\nb"}, {DenyRead: []string{"/a\nb"}}} {
		if _, err := Generate(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestAppArmorContainerDefault(t *testing.T) {
	d, err := Generate(Options{Name: "c", ContainerDefault: true})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Parse("c", []byte(d.Render()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(ps[0], BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	for access, allowed := range map[string]bool{
		"/proc/sys/kernel/core_pattern w":                      false,
		"/proc/sys/kernel/modprobe w":                          false,
		"/proc/sys/kernel/sched_rt_period_us w":                false, // containerd's [^s][^h][^m] lets names starting with s through
		"/proc/sys/kernel/random/uuid w":                       false,
		"/proc/sys/kernel/shmmax w":                            true,
		"/proc/sys/kernel/shm_rmid_forced w":                   true,
		"/proc/sys/kernel/core_pattern r":                      true,
		"/proc/sys/net/ipv4/ip_forward w":                      false,
		"/proc/sys/vm/overcommit_memory w":                     false,
		"/proc/sys/keys/x w":                                   false,
		"/proc/sysrq-trigger w":                                false,
		"/proc/sysrq-trigger r":                                false,
		"/proc/sysvipc/shm w":                                  false,
		"/proc/fs/nfsd/threads w":                              false,
		"/proc/irq/1/smp_affinity w":                           false,
		"/proc/1/oom_score_adj w":                              true,
		"/proc/42/attr/current w":                              true,
		"/proc/kcore r":                                        false,
		"/proc/kmem r":                                         false,
		"/proc/cpuinfo r":                                      true,
		"/dev/mem r":                                           false,
		"/dev/null w":                                          true,
		"/sys/kernel/mm/transparent_hugepage/enabled w":        false,
		"/sys/kernel/mm/transparent_hugepage/enabled r":        true,
		"/sys/fs/cgroup/cpu.max w":                             true,
		"/sys/fs/fuse/connections/1/abort w":                   false,
		"/sys/firmware/efi/efivars/x r":                        false,
		"/sys/kernel/security/apparmor/profiles r":             false,
		"/sys/devices/virtual/powercap/intel-rapl/energy_uj r": false,
		"/sys/class/net/eth0/mtu r":                            true,
		"/etc/passwd w":                                        true,
		"network inet raw":                                     true,
		"capability sys_admin":                                 true,
	} {
		a, err := ParseAccess(access)
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Eval(a)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != allowed {
			t.Errorf("%s: %s by %s: %s", access, d.Verdict(), d.Where(), d.Reason)
		}
	}
	// The tail's rules come in groups, each with a comment saying why.
	commented := 0
	for _, r := range ps[0].Rules[4:] {
		if len(r.Comments) > 0 {
			commented++
		}
	}
	if commented < 8 {
		t.Errorf("%d commented groups in the container defaults", commented)
	}
}

// notComponent matches every component but the excluded ones.
func TestAppArmorNotComponent(t *testing.T) {
	names := []string{"s", "sy", "sys", "sysx", "sysvipc", "sx", "syx", "kernel", "kerne", "kernelx", "k", "x", "1", "12", "0", "shm", "shmmax", "sh", "shx", "cgroup", "cgroups", "fs", "f"}
	for _, c := range []struct {
		name    string
		prefix  bool
		exclude string
		out     func(string) bool
	}{
		{"sys", false, "1-9", func(n string) bool { return n == "sys" || n[0] >= '1' && n[0] <= '9' }},
		{"kernel", false, "", func(n string) bool { return n == "kernel" }},
		{"shm", true, "", func(n string) bool { return strings.HasPrefix(n, "shm") }},
		{"cgroup", false, "", func(n string) bool { return n == "cgroup" }},
	} {
		g := MustCompileGlob("/d/" + notComponent(c.name, c.prefix, c.exclude) + "/x")
		for _, n := range names {
			if got := g.Match("/d/" + n + "/x"); got == c.out(n) {
				t.Errorf("not %s: %s matched %v", c.name, n, got)
			}
		}
	}
}

// needParser skips when apparmor_parser is missing; `make test` installs
// Debian's apparmor package, so on CI it never skips.
func needParser(t *testing.T) string {
	t.Helper()
	p, err := parserPath()
	if err != nil {
		t.Skip("apparmor_parser is not installed (Debian package apparmor; `make test` installs it)")
	}
	return p
}

// Every profile rampart generates compiles with the real apparmor_parser.
func TestAppArmorGeneratedProfilesCompile(t *testing.T) {
	needParser(t)
	for _, o := range []Options{
		{Name: "flask-deny-shadow", DenyRead: []string{"/etc/shadow"}},
		{Name: "all", DenyRead: []string{"/etc/shadow", "@{HOME}/.ssh/", "/srv/a b/*.key"}, DenyWrite: []string{"/usr/**", "/etc/"}, ContainerDefault: true},
		{Name: "complain", ContainerDefault: true, Complain: true},
		{},
	} {
		d, err := Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckCompile(d.Name, []byte(d.Render())); err != nil {
			t.Errorf("%+v: %v\n%s", o, err, d.Render())
		}
	}
	if err := CheckCompile("seed", seed(t)); err != nil {
		t.Error(err)
	}
	// And the checker is not a yes-man.
	if err := CheckCompile("bad", []byte("profile bad {\n  /x wa,\n}\n")); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("a bad profile passed: %v", err)
	}
}

// rampart's bundled tunables/global and abstractions/base are valid
// AppArmor: apparmor_parser compiles the seed against them alone, with
// every variable they define in use.
func TestAppArmorBundledFilesCompile(t *testing.T) {
	parser := needParser(t)
	dir := t.TempDir()
	if err := WriteBundled(dir); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(seed(t)), "  deny /etc/shadow r,\n", `  deny /etc/shadow r,
  @{HOME}/x r,
  @{HOMEDIRS}/y r,
  @{PROC}/@{pid}/task/@{tid}/z r,
  @{PROC}/@{pids}/q r,
  @{sys}/a r,
  @{securityfs}/b r,
  @{apparmorfs}/c r,
  @{run}/d r,
  @{etc_ro}/e r,
  @{etc_rw}/f w,
  /usr/lib/@{multiarch}/g r,
  /uid/@{uid}/@{uids} r,
`, 1)
	file := filepath.Join(t.TempDir(), "seed")
	os.WriteFile(file, []byte(src), 0o644)
	out, err := exec.Command(parser, "-Q", "-K", "-b", dir, "-I", dir, file).CombinedOutput()
	if err != nil {
		t.Fatalf("apparmor_parser with the bundled files: %v\n%s", err, out)
	}
	// rampart reads them too.
	ps, err := Parse("seed", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(ps[0], BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sources) != 2 {
		t.Errorf("sources %v", c.Sources)
	}
}

func TestAppArmorCheckCompileNoParser(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	defer func(l []string) { parserLocations = l }(parserLocations)
	parserLocations = nil
	if err := CheckCompile("x", seed(t)); !errors.Is(err, ErrNoParser) {
		t.Errorf("got %v", err)
	}
}

// A generated profile is one rampart's own parser accepts, or none: an
// undefined variable in a user's path is refused up front, naming the
// option and value, and whatever else would not compile (a name that
// breaks @{profile_name}) is refused by compiling what was rendered.
func TestGenerateRefusesWhatDoesNotCompile(t *testing.T) {
	bundledOnly := BundledIncludes
	for _, inc := range []*Includes{nil, &bundledOnly} {
		for _, c := range []struct {
			o    Options
			want string
		}{
			{Options{DenyRead: []string{"@{HOEM}/.ssh/**"}}, `--deny-read "@{HOEM}/.ssh/**": variable @{HOEM} is not defined`},
			{Options{DenyWrite: []string{"/srv/@{nope}/"}}, `--deny-write "/srv/@{nope}/": variable @{nope} is not defined`},
			{Options{Allow: &AllowList{Files: []FileAllow{{Path: "@{PROCS}/1/maps", Perms: PermRead}}}}, `allow "@{PROCS}/1/maps": variable @{PROCS} is not defined`},
			{Options{Name: "x{y"}, `generated AppArmor profile x{y does not compile with rampart's parser (from the profile name "x{y")`},
			{Options{Name: "@{HOEM}"}, `does not compile with rampart's parser (from the profile name "@{HOEM}")`},
		} {
			c.o.Includes = inc
			d, err := Generate(c.o)
			if err == nil {
				t.Errorf("%+v: generated\n%s", c.o, d.Render())
				continue
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%+v: %v, want %q", c.o, err, c.want)
			}
		}
	}
	if err := CheckPath("@{HOEM}/x"); err == nil || !strings.Contains(err.Error(), "@{HOEM}") {
		t.Errorf("CheckPath of an undefined variable: %v", err)
	}
	// What the bundled and the system's tunables define is taken.
	for _, p := range []string{"@{HOME}/.ssh/**", "@{PROC}/@{pid}/mem"} {
		if _, err := Generate(Options{DenyRead: []string{p}, Includes: &bundledOnly, ContainerDefault: true}); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
