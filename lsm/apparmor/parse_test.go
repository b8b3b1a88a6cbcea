package apparmor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// stripPos clears positions, which rendering changes, so that documents
// can be compared by what they say.
func stripPos(d *Document) *Document {
	d.Name = ""
	clear := func(rs []*Rule) {
		for _, r := range rs {
			r.Pos = Pos{}
		}
	}
	for _, p := range d.All() {
		p.File, p.Line, p.Col = "", 0, 0
		clear(p.Preamble)
		walkRules(p.Rules, func(r *Rule) { r.Pos = Pos{} })
	}
	clear(d.Trailer)
	return d
}

// roundTrip checks parse(render(p)) == p and that rendering is stable.
func roundTrip(t testing.TB, name string, src []byte) (string, error) {
	t.Helper()
	d, err := ParseDocument(name, src)
	if err != nil {
		return "", err
	}
	out, err := renderReparse(name, d)
	if err != nil {
		t.Fatal(err)
	}
	return out, nil
}

// renderReparse renders a parsed document, parses the render, and says
// how the two differ, if they do.
func renderReparse(name string, d *Document) (string, error) {
	out := d.Render()
	d2, err := ParseDocument(name, []byte(out))
	if err != nil {
		return "", fmt.Errorf("%s: the render does not parse: %v\n%s", name, err, out)
	}
	if out2 := d2.Render(); out2 != out {
		return "", fmt.Errorf("%s: render is not stable:\n--- first\n%s--- second\n%s", name, out, out2)
	}
	if a, b := stripPos(d), stripPos(d2); !reflect.DeepEqual(a, b) {
		return "", fmt.Errorf("%s: parse(render(p)) != p\n%s", name, out)
	}
	return out, nil
}

func TestAppArmorSeedRendersAsWritten(t *testing.T) {
	out, err := roundTrip(t, "seed", seed(t))
	if err != nil {
		t.Fatal(err)
	}
	if out != string(seed(t)) {
		t.Fatalf("the seed profile renders differently:\n%s", out)
	}
}

func TestAppArmorRichRoundTrip(t *testing.T) {
	src, err := os.ReadFile("testdata/parse/rich.profile")
	if err != nil {
		t.Fatal(err)
	}
	out, err := roundTrip(t, "rich", src)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := ParseDocument("rich", src)
	web := d.Profiles[0]
	if web.Name != "web" || web.Attach != "/usr/bin/web{,-worker}" || strings.Join(web.Flags, ",") != "attach_disconnected,mediate_deleted,complain" ||
		web.Mode() != Complain || web.LineComment != " header comment" || len(web.Preamble) != 7 {
		t.Errorf("header: %+v", web)
	}
	if d.Profiles[1].Name != "second one" || len(d.Profiles[1].inherited) != 7 {
		t.Errorf("second profile: %+v", d.Profiles[1])
	}
	for _, want := range []string{
		"abi <abi/3.0>,\ninclude <tunables/global>\n#include if exists <tunables/local.d>\n",
		"@{DATA}=/srv/data/ /var/lib/data/ # two values\n@{DATA}+=\"/opt/my data/\"\n@{EMPTY}=\"\"\nalias /usr/ -> /User/,\n",
		"\nprofile web /usr/bin/web{,-worker} flags=(attach_disconnected,mediate_deleted,complain) { # header comment\n",
		"  # files, both orders, with and without the file keyword\n  /etc/web/** r,\n  /etc/web.conf r,\n  /var/log/web.log rw,\n",
		"  owner @{HOME}/.web/{,**} rwk,\n  audit deny /etc/shadow r,\n  deny owner /etc/gshadow rw,\n  allow /usr/bin/python3* rix,\n",
		"  /usr/bin/helper Px -> helper,\n  \"/srv/with space/*\" r,\n  /srv/escaped\\ space r,\n  /usr/lib/**.so* mr,\n  deny /usr/bin/{su,sudo} x,\n",
		"  /tmp/link l,\n",
		"  network inet stream,\n  network inet6 tcp,\n  network raw,\n  deny network packet,\n  audit network netlink dgram,\n",
		"  capability net_bind_service setuid setgid,\n  deny capability sys_admin,\n  capability,\n",
		"  signal (send, receive) set=(exists hup) peer=web,\n",
		"  dbus send bus=system path=/org/freedesktop/DBus interface=org.freedesktop.DBus member={Hello,GetId},\n",
		"  unix (send, receive, connect) type=stream peer=(label=other addr=@sock),\n",
		"  mount options=(rw nosuid) fstype=tmpfs tmpfs -> /tmp/,\n  remount /data/,\n  umount /mnt/**,\n  deny pivot_root,\n",
		"  change_profile -> helper,\n  link subset /tmp/l* -> /tmp/** ,\n",
		"  set rlimit nofile <= 1024,\n  userns,\n  # before the end\n}\n\nprofile \"second one\" {\n  file,\n}\n\n# the end\n",
	} {
		want = strings.Replace(want, "/tmp/** ,", "/tmp/**,", 1)
		if !strings.Contains(out, want) {
			t.Errorf("render lacks\n%s\nin\n%s", want, out)
		}
	}
	// Each kind of statement is recognised.
	kinds := map[Kind]int{}
	for _, r := range append(web.Preamble, web.Rules...) {
		kinds[r.Kind]++
	}
	for _, k := range []Kind{KindFile, KindNetwork, KindCapability, KindInclude, KindABI, KindVariable, KindAlias, KindOther} {
		if kinds[k] == 0 {
			t.Errorf("no %s statement", k)
		}
	}
}

func TestAppArmorRuleFields(t *testing.T) {
	p := mustProfile(t, `profile p {
  audit deny owner /a/** rw,
  /usr/bin/x Cx -> child,
  file,
  network inet raw,
  capability net_raw sys_admin,
  ptrace (trace) peer=x,
}`)
	r := p.Rules
	if !r[0].Audit || !r[0].Deny || !r[0].Owner || r[0].Path != "/a/**" || r[0].Perms != PermRead|PermWrite || r[0].Pos != (Pos{"p", 2, 3}) {
		t.Errorf("rule 0: %+v", r[0])
	}
	if r[1].Exec != "Cx" || r[1].Target != "child" || r[1].Perms != PermExec {
		t.Errorf("rule 1: %+v", r[1])
	}
	if r[2].Kind != KindFile || r[2].Path != "" {
		t.Errorf("rule 2: %+v", r[2])
	}
	if r[3].Family != "inet" || r[3].Type != "raw" || strings.Join(r[4].Caps, " ") != "net_raw sys_admin" {
		t.Errorf("rules 3, 4: %+v %+v", r[3], r[4])
	}
	if pt, ok := r[5].Model.(*PtraceRule); r[5].Kind != KindOther || r[5].Keyword != "ptrace" || !ok || *pt != (PtraceRule{Access: PtraceTrace, Peer: "x"}) {
		t.Errorf("rule 5: %+v", r[5])
	}
}

func mustProfile(t testing.TB, src string) *Profile {
	t.Helper()
	ps, err := Parse("p", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return ps[0]
}

func TestAppArmorParseErrorPositions(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"profile p {\n  file\n}\n", `f:2:3: rule does not end with a comma: "file"`},
		{"profile p {\n  /x r\n", `f:2:3: rule does not end with a comma: "/x r"`},
		{"profile p {\n  file,\n", "f:1:1: profile p is not closed with }"},
		{"}\n", "f:1:1: `}` closes no profile"},
		{"deny /x r,\n", "f:1:1: expected a profile header"},
		{"profile {\n}\n", "f:1:1: `profile` needs a name"},
		{"prof p {\n}\n", "f:1:1: expected a profile header"},
		{"profile p flags=(complain,enforce) {\n}\n", "f:1:11: profile flags complain and enforce conflict"},
		{"profile p flags=(bogus) {\n}\n", `f:1:11: unknown profile flag "bogus"`},
		{"profile p xattrs=(=b) {\n}\n", `f:1:11: bad xattr name in "=b"`},
		{"profile p {\n}\nprofile p {\n}\n", "f:3:1: profile p is defined twice (first at f:1:1)"},
		{"profile p {\n  profile child {\n  }\n", "f:1:1: profile p is not closed with }"},
		{"profile p {\n  profile child {\n  ^hat {\n  }\n}\n", "f:1:1: profile p is not closed with }"},
		{"^ hat {\n}\n", "f:1:1: a hat's name follows `^` without a space"},
		{"profile p {\n  /x rq,\n}\n", `f:2:6: unknown permission "q"`},
		{"profile p {\n  /x wa,\n}\n", "f:2:6: \"wa\": w and a conflict"},
		{"profile p {\n  /x ixpx,\n}\n", "f:2:6: \"ixpx\" names two exec modes"},
		{"profile p {\n  deny /x ix,\n}\n", "f:2:11: deny rules take a bare x"},
		{"profile p {\n  /x x,\n}\n", "f:2:6: x needs an exec mode"},
		{"profile p {\n  lpx /x -> /y,\n}\n", "f:2:10: link and exec perms conflict"},
		{"profile p {\n  /x r y,\n}\n", `f:2:8: unexpected "y"`},
		{"profile p {\n  deny file,\n}\n", "f:2:3: `deny file,` is not valid"},
		{"profile p {\n  /a/{b r,\n}\n", "f:2:7: `{` is not closed: /a/{b"},
		{"profile p {\n  /a/b} r,\n}\n", "f:2:7: `}` closes no `{`: /a/b}"},
		{"profile p {\n  \"/a/[]\" r,\n}\n", "f:2:7: empty character class: /a/[]"},
		{"profile p {\n  /a/{} r,\n}\n", "f:2:6: empty alternation"},
		{"profile p {\n  @{HOME r,\n}\n", "f:2:3: variable at byte 1 is not closed with }"},
		{"profile p {\n  /a/@{HOME r,\n}\n", "f:2:3: variable at byte 4 is not closed with }"},
		{"profile p {\n  \"/a/@{HOME\" r,\n}\n", "f:2:3: variable at byte 4 is not closed"},
		{"profile p {\n  /a/@{9x} r,\n}\n", `f:2:3: bad variable name "9x"`},
		{"profile p {\n  relative r,\n}\n", `f:2:3: unknown rule "relative"`},
		{"profile p {\n  owner network,\n}\n", "f:2:3: owner applies to file and link rules only"},
		{"profile p {\n  owner deny /x r,\n}\n", "f:2:9: qualifiers go in the order audit, allow or deny, owner"},
		{"profile p {\n  allow deny /x r,\n}\n", "f:2:9: qualifiers go in the order"},
		{"profile p {\n  deny,\n}\n", "f:2:3: qualifiers without a rule"},
		{"profile p {\n  network inet bogus,\n}\n", `f:2:3: unknown socket type or protocol "bogus"`},
		{"profile p {\n  network inet6 icmp,\n}\n", "f:2:3: protocol icmp does not go with family inet6"},
		{"profile p {\n  network inet stream raw,\n}\n", "f:2:23: a network rule takes a family and a type"},
		{"profile p {\n  capability NET_RAW,\n}\n", `f:2:14: unknown capability "NET_RAW"`},
		{"profile p {\n  capability net_rawr,\n}\n", `f:2:14: unknown capability "net_rawr"`},
		{"profile p {\n  @{A}=/a\n}\n", "f:2:3: variables are assigned before the profile"},
		{"@{A}\nprofile p {\n}\n", "f:2:1: expected = or += after the variable @{A}"},
		{"@{A}=\nprofile p {\n}\n", "f:1:1: @{A} is assigned no value"},
		{"profile p {\n#include\n", "f:2:1: want include [if exists] <path>"},
		{"include <a>,\nprofile p {\n}\n", "f:1:12: unexpected `,` after an include"},
		{"profile p {\n  abi,\n}\n", "f:2:3: want abi <abi/3.0>,"},
		{"profile p {\n  alias /a -> /b,\n}\n", "f:2:3: alias rules go before the profile"},
		{"profile p {\n  signal (send\n}\n", "f:2:10: `(` is not closed"},
		{"profile p {\n  signal send),\n}\n", "f:2:14: `)` closes no `(`"},
		{"profile p {\n  \"/x r,\n}\n", "f:2:3: quote is not closed"},
		{"profile p {\n  set nofile,\n}\n", "f:2:3: want set rlimit"},
		{"profile p {\n  , \n}\n", "f:2:3: `,` with no rule before it"},
		{"", ""},
	} {
		_, err := ParseDocument("f", []byte(c.src))
		if c.want == "" {
			if err != nil {
				t.Errorf("%q: %v", c.src, err)
			}
			continue
		}
		var pe *Error
		if err == nil || !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), c.want) && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.src, err, c.want)
		}
	}
}

func TestAppArmorUnsupportedIsMarked(t *testing.T) {
	d, err := ParseDocument("f", []byte("alias /a/ -> /b/,\nprofile p {\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	// alias rules, the last construct the model did not evaluate, are
	// evaluated now (TestAppArmorEvalAlias): nothing is left to mark.
	if _, err := Compile(d.Profiles[0], BundledIncludes); err != nil {
		t.Errorf("alias: %v", err)
	}
	if _, err := ParseDocument("f", []byte("profile p {\n  file\n}\n")); errors.Is(err, ErrUnsupported) {
		t.Error("a syntax error is marked unsupported")
	}
}

// Renders normalise: qualifier and permission order, the trailing form of
// file rules, white space, quotes.
func TestAppArmorRenderNormalises(t *testing.T) {
	for in, want := range map[string]string{
		"file   /x   rw  ,":                   "/x rw,",
		"r /x,":                               "/x r,",
		"file r /x,":                          "/x r,",
		"/x rrmw,":                            "/x mrw,",
		"/x ixr,":                             "/x rix,",
		"/x Pxr -> \"other\",":                "/x rPx -> other,",
		"\"/x\" r,":                           "/x r,",
		"\"/x y\" r,":                         "\"/x y\" r,",
		"/x lk,":                              "/x lk,",
		"signal ( send ,  receive ) peer=x ,": "signal (send, receive) peer=x,",
		"network\n  inet\n  raw,":             "network inet raw,",
		"audit allow owner /x r,":             "audit allow owner /x r,",
	} {
		p := mustProfile(t, "profile p {\n  "+in+"\n}\n")
		if got := p.Rules[0].String(); got != want {
			t.Errorf("%q renders as %q, want %q", in, got, want)
		}
	}
}

// Every file of the system's policy directory that holds only what the
// model handles parses, and round-trips; the others are refused as
// unsupported, not as errors.
func TestAppArmorSystemPolicyFiles(t *testing.T) {
	const dir = "/etc/apparmor.d"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no /etc/apparmor.d (Debian package apparmor; `make test` installs it)")
	}
	n, unsupported := 0, 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "/disable/") || strings.Contains(p, "/force-complain/") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		n++
		rel, _ := filepath.Rel(dir, p)
		var perr error
		switch {
		case strings.HasPrefix(rel, "abstractions/"), strings.HasPrefix(rel, "local/"):
			_, perr = parseFragment(p, src, true)
		case strings.HasPrefix(rel, "tunables/"), strings.HasPrefix(rel, "abi/"):
			_, perr = parseFragment(p, src, false)
		default:
			_, perr = roundTrip(t, p, src)
		}
		switch {
		case errors.Is(perr, ErrUnsupported):
			unsupported++
		case perr != nil && strings.HasPrefix(rel, "abi/"):
			// feature ABI files are not policy
		case perr != nil:
			t.Errorf("%v", perr)
		}
		return nil
	})
	t.Logf("%d files, %d with constructs rampart does not model", n, unsupported)
	if n == 0 {
		t.Fatal("no files read")
	}
}

var fuzzAccesses = []Access{
	{Class: ClassFile, Path: "/etc/shadow", Perms: PermRead},
	{Class: ClassFile, Path: "/usr/bin/x", Perms: PermExec | PermMmap, Owner: true},
	{Class: ClassNetwork, Family: "inet"},
	{Class: ClassCapability},
}

func FuzzParseRender(f *testing.F) {
	f.Add(seed(f))
	if b, err := os.ReadFile("testdata/parse/rich.profile"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"profile p {\n  file,\n  deny /etc/** r,\n}\n",
		"@{A}=a \"b c\" \"\"\nprofile \"x y\" /a{b,c} flags=(complain) { # c\n  # d\n\n  owner \"/a b\" rwk -> x, # e\n}\n# f\n",
		"profile p {\n  dbus send\n bus=system # x\n member={a,b},\n}\n",
		"#include <x>\n\n\n# c\n\nprofile p {\n}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4096 {
			return
		}
		if _, err := roundTrip(t, "fuzz", b); err != nil {
			return
		}
		ps, _ := Parse("fuzz", b)
		for _, p := range ps {
			// Evaluation must not panic either (includes come from the
			// bundled files only).
			if !strings.Contains(string(b), "include") {
				if c, err := Compile(p, Includes{NoBundled: false}); err == nil {
					for _, a := range fuzzAccesses {
						c.Eval(a)
					}
				}
			}
			rules, err := p.LandlockRules()
			if err != nil {
				continue
			}
			for _, r := range rules {
				// Only literal absolute paths may come out.
				if !strings.HasPrefix(r.Path, "/") || strings.ContainsAny(r.Path, "*?[]{}@") && !strings.Contains(string(b), "\\") {
					t.Fatalf("rule %+v from %q", r, b)
				}
			}
		}
	})
}
