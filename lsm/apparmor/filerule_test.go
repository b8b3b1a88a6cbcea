package apparmor

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// compileSrc parses src and compiles its first profile with the bundled
// includes.
func compileSrc(src string) (*Compiled, error) {
	ps, err := Parse("p", []byte(src))
	if err != nil {
		return nil, err
	}
	return Compile(ps[0], BundledIncludes)
}

// Permission words as apparmor_parser 3.0.8 reads them (each verdict
// checked against the parser).
func TestAppArmorParsePermsAsTheParser(t *testing.T) {
	for _, c := range []struct {
		in    string
		perms string
		exec  ExecMode
	}{
		{"RWM", "mrw", ""},
		{"rL", "rl", ""},
		{"iX", "x", "ix"},
		{"IX", "x", "ix"},
		{"UX", "x", "Ux"},
		{"pIx", "x", "pix"},
		{"PIx", "x", "Pix"},
		{"rPux", "rx", "PUx"},
		{"rpUx", "rx", "pux"},
		{"cUx", "x", "cux"},
		{"pxpxpxpxpx", "x", "px"},
		{"ixixixix", "x", "ix"},
		{"xix", "x", "ix"},
		{"ixx", "x", "ix"},
		{"pixpix", "x", "pix"},
	} {
		p, m, err := ParsePerms(c.in)
		if err != nil || p.String() != c.perms || m != c.exec {
			t.Errorf("%s: got %s %s %v, want %s %s", c.in, p, m, err, c.perms, c.exec)
		}
	}
	for _, bad := range []string{"A", "K", "rK", "pxPx", "pxix", "xpx", "pixpx", "Pixpix", "pxcx", "wa", "ri", "pi", "xi", "uxx"[:2] + "i"} {
		if _, _, err := ParsePerms(bad); err == nil {
			t.Errorf("%s: accepted, apparmor_parser refuses it", bad)
		}
	}
}

func TestAppArmorFileRuleForms(t *testing.T) {
	ok := []string{
		"r /foo1,", "px /foo1,", "unsafe px /foo6,", "safe ux /foo,", "unsafe /foo px,",
		"owner unsafe px /foo,", "file unsafe px /foo,", "deny safe x /foo,",
		"other /tmp/** rw,", "deny other /tmp/** rw,", "audit other /tmp/** rw,", "other file /foo r,",
		"other r /foo,", "/foo,bar r,", "r /foo,bar,", "/foo,{a,b} r,", "/foo r,/bar r,",
	}
	for _, r := range ok {
		if _, err := compileSrc("profile t {\n  " + r + "\n}\n"); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	bad := []string{
		"unsafe r /foo,", "safe r /foo,", "unsafe file,", "deny unsafe x /foo,", "unsafe owner px /foo,",
		"owner other /foo r,", "other owner /foo r,", "other network,", "deny other file,",
		"/foo, r,", "/foo,,bar r,", "/foo,bar, r,",
	}
	for _, r := range bad {
		if _, err := compileSrc("profile t {\n  " + r + "\n}\n"); err == nil {
			t.Errorf("%s: accepted, apparmor_parser refuses it", r)
		}
	}
}

// safe and unsafe force the scrubbing of the environment whatever the
// case of the letters; a rule's position (path first or last) does not
// change its mode.
func TestAppArmorExecQualifierModes(t *testing.T) {
	for _, c := range []struct {
		rule string
		exec ExecMode
	}{
		{"px /a,", "px"}, {"Px /a,", "Px"}, {"safe px /a,", "Px"}, {"unsafe Px /a,", "px"},
		{"safe /a px,", "Px"}, {"unsafe /a PUx,", "pux"}, {"safe pix /a,", "Pix"}, {"safe /a ix,", "ix"},
	} {
		ps, err := Parse("p", []byte("profile t {\n  "+c.rule+"\n}\n"))
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		r := ps[0].Rules[0]
		if r.Exec != c.exec {
			t.Errorf("%s: exec %s, want %s", c.rule, r.Exec, c.exec)
		}
		back, err := Parse("p", []byte(ps[0].Render()))
		if err != nil || back[0].Rules[0].Exec != c.exec || back[0].Rules[0].ExecQual != r.ExecQual {
			t.Errorf("%s: render %q does not read back: %v", c.rule, ps[0].Render(), err)
		}
	}
}

func TestAppArmorEvalOtherAndCommaPaths(t *testing.T) {
	check(t, "other", "profile p {\n  other /tmp/** rw,\n  /foo,bar r,\n}",
		want{"/tmp/x w", true, 2, "", nil},
		want{"/tmp/x w owner", false, 0, "no rule allows", nil},
		want{"/foo,bar r", true, 3, "", nil},
		want{"/foo r", false, 0, "", nil})
}

// Rules whose exec transitions differ on some file make the profile
// uncompilable, as apparmor_parser refuses it ("has merged rule with
// conflicting x modifiers"); each verdict was checked against the parser.
func TestAppArmorExecConflictsRefused(t *testing.T) {
	for _, c := range []struct {
		rules []string
		ok    bool
	}{
		{[]string{"/bin/cat Ux,", "/lib/lib*.so* rix,", "/bin/cat ux,"}, false},
		{[]string{"/b* px,", "/* Pixr,", "/a* Cx -> foo,"}, false},
		{[]string{"/bin/* px,", "/bin/cat ix,"}, true},
		{[]string{"/bin/* px,", "/bin/c* ix,", "/bin/cat ux,"}, false},
		{[]string{"/bin/ca? px,", "/bin/c?t ix,", "/bin/cat ux,"}, false},
		{[]string{"/bin/ca? px,", "/bin/cat ix,"}, true},
		{[]string{"/bin/cat px,", "safe px /bin/cat,"}, false},
		{[]string{"/bin/cat Px,", "safe px /bin/cat,"}, true},
		{[]string{"/bin/cat px,", "unsafe Px /bin/cat,"}, true},
		{[]string{"unsafe ix /a,", "/a ix,"}, false},
		{[]string{"safe ix /a,", "/a ix,"}, true},
		{[]string{"owner /bin/cat px,", "/bin/cat ix,"}, false},
		{[]string{"owner /bin/cat px,", "other /bin/cat ix,"}, true},
		{[]string{"owner /bin/* px,", "other /bin/c* ix,"}, true},
		{[]string{"/bin/cat px,", "deny /bin/cat x,"}, true},
		{[]string{"/bin/cat px -> a,", "/bin/cat px -> b,"}, false},
		{[]string{"/bin/{a,b} px,", "/bin/b ix,"}, false},
		{[]string{"/bin/{a,b} px,", "/bin/[bc] ix,"}, true},
		{[]string{"/bin/[a] px,", "/bin/a ix,"}, true},
		{[]string{"/bin/a px,", "/bin/\\a ix,"}, true},
		{[]string{"/bin/{cat,dog} px,", "/bin/c* ix,"}, true},
		{[]string{"/bin/** px,", "/{usr,bin}/** ix,"}, false},
		{[]string{"/a Pux,", "/a PUx,"}, true},
		{[]string{"/a pUx,", "/a PUx,"}, false},
		{[]string{"file,", "/usr/** px,"}, false},
		{[]string{"file,", "/usr/bin/curl px,"}, true},
	} {
		src := "profile t {\n  " + strings.Join(c.rules, "\n  ") + "\n}\n"
		_, err := compileSrc(src)
		if (err == nil) != c.ok {
			t.Errorf("%q: compiles %v (%v), apparmor_parser: %v", c.rules, err == nil, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "conflicting x modifiers") {
			t.Errorf("%q: %v", c.rules, err)
		}
	}
}

// `{one}` is not an alternation for apparmor_parser ("Invalid number of
// items between {}"): refused when parsed, and when a variable of one
// value makes it.
func TestAppArmorOneItemBracesRefused(t *testing.T) {
	for _, p := range []string{"/usr/bin/one{en}try", "/a{b{c,d}}", "/a{*}", "/a{\\,b}"} {
		if _, err := Parse("p", []byte("profile t {\n  "+p+" rw,\n}\n")); err == nil {
			t.Errorf("%s: accepted", p)
		}
	}
	for _, p := range []string{"/a{,}c", "/a{b,}c", "/a{b,{c,d}}", "/a{{a,b},{c,d}}"} {
		if _, err := Parse("p", []byte("profile t {\n  "+p+" rw,\n}\n")); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := compileSrc("@{X}=en\nprofile t {\n  /usr/bin/one{@{X}}try rw,\n}\n"); err == nil {
		t.Errorf("{@{X}} with one value: accepted")
	}
	if _, err := MatchGlob("/usr/bin/one{en}try", "/usr/bin/oneentry"); err == nil {
		t.Errorf("MatchGlob accepts {en}")
	}
}

func TestAppArmorGlobIntersects(t *testing.T) {
	for _, c := range []struct {
		a, b string
		meet bool
	}{
		{"/bin/*", "/bin/c*", true},
		{"/bin/ca?", "/bin/c?t", true},
		{"/bin/{a,b}", "/bin/[bc]", true},
		{"/bin/{a,d}", "/bin/[bc]", false},
		{"/tmp/*", "/tmp/", false},
		{"/a/**", "/b/**", false},
		{"/**", "/x/y/z", true},
		{"/a/*/b", "/a/**/b", true},
	} {
		if got := MustCompileGlob(c.a).Intersects(MustCompileGlob(c.b)); got != c.meet {
			t.Errorf("%s and %s: meet %v, want %v", c.a, c.b, got, c.meet)
		}
	}
}

// Network rule shapes apparmor_parser 3.0.8 accepts and refuses.
func TestAppArmorNetworkForms(t *testing.T) {
	for _, r := range []string{"network unspec,", "network unspec stream,", "network unspec raw,", "network inet icmp,",
		"network inet packet,", "network netlink raw,", "network mctp,", "network tcp,", "network inet6 udp,"} {
		if _, err := compileSrc("profile t {\n  " + r + "\n}\n"); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	for _, r := range []string{"network unspec tcp,", "network inet6 icmp,", "network unix tcp,", "network stream inet,",
		"network inet stream dgram,", "network inet dccp,", "network decnet,", "network local,", "network unspec unspec,"} {
		if _, err := compileSrc("profile t {\n  " + r + "\n}\n"); err == nil {
			t.Errorf("%s: accepted, apparmor_parser refuses it", r)
		}
	}
	// A rule for every family covers unspec too; socket families do not.
	check(t, "unspec", "profile p {\n  network unspec stream,\n}",
		want{"network unspec stream", true, 2, "", nil},
		want{"network inet stream", false, 0, "", nil})
}

// A profile of many exec globs compiles quickly: the conflict check
// compares only globs whose literal prefixes can meet.
func TestAppArmorExecConflictsScale(t *testing.T) {
	var b strings.Builder
	b.WriteString("profile t {\n")
	for i := 0; i < 3000; i++ {
		mode := []string{"ix", "px", "Px", "cx"}[i%4]
		fmt.Fprintf(&b, "  /opt/app%d/bin/* %s,\n", i, mode)
	}
	b.WriteString("}\n")
	start := time.Now()
	if _, err := compileSrc(b.String()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("3000 exec globs compile in %v", d)
	}
}
