package apparmor

import (
	"errors"
	"strings"
	"testing"
)

// Each input below was run through apparmor_parser 3.0.8 (-Q -K, and -N
// for the names it defines); the expectations are what it did.

// accepts parses src as file "x" and compiles every profile in it, as
// the conformance suite does.
func accepts(src string) error {
	d, err := ParseDocument("x", []byte(src))
	if err != nil {
		return err
	}
	var compile func(p *Profile) error
	compile = func(p *Profile) error {
		c, err := Compile(p, BundledIncludes)
		if err != nil {
			return err
		}
		for _, k := range c.Children() {
			if err := compile(k); err != nil {
				return err
			}
		}
		return nil
	}
	for _, p := range d.Profiles {
		if err := compile(p); err != nil {
			return err
		}
	}
	return nil
}

const nested = `@{X}=/srv
profile top /usr/bin/top {
  /usr/bin/grep Cx,
  /usr/bin/sed cx -> sed,
  /usr/bin/x px -> top//sed,
  /usr/bin/y px,
  /etc/passwd r,

  profile /usr/bin/grep {
    /etc/** r,
  }
  # the sed child
  profile sed flags=(complain) {
    /run/@{profile_name} r,
    ^deeper {
      @{X}/** w,
    }
  }
  hat web {
  }
}
`

func TestHatsAndChildProfilesParse(t *testing.T) {
	d, err := ParseDocument("nested", []byte(nested))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range d.All() {
		names = append(names, p.FullName())
	}
	// apparmor_parser -N lists the same four (and deeper).
	if got := strings.Join(names, " "); got != "top top///usr/bin/grep top//sed top//sed//deeper top//web" {
		t.Fatalf("profiles: %s", got)
	}
	sed := d.Find("top//sed")
	if sed == nil || sed.Hat || sed.Parent != d.Profiles[0] || sed.Mode() != Complain || sed.Line != 13 || sed.Comments[0] != " the sed child" {
		t.Fatalf("top//sed: %+v", sed)
	}
	if deeper := d.Find("top//sed//deeper"); deeper == nil || !deeper.Hat || deeper.Parent != sed {
		t.Fatalf("top//sed//deeper: %+v", deeper)
	}
	if web := d.Find("top//web"); web == nil || !web.Hat {
		t.Fatalf("top//web: %+v", web)
	}
	if _, err := d.Pick("top//nope"); err == nil || !strings.Contains(err.Error(), "top//sed") {
		t.Fatalf("Pick of a missing child: %v", err)
	}
	out, err := roundTrip(t, "nested", []byte(nested))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "\n  profile sed flags=(complain) {\n    /run/@{profile_name} r,\n    hat deeper {\n") {
		t.Errorf("render:\n%s", out)
	}
}

func TestChildProfilesCompileAndEval(t *testing.T) {
	d, err := ParseDocument("nested", []byte(nested))
	if err != nil {
		t.Fatal(err)
	}
	decide := func(name, access string) Decision {
		t.Helper()
		c, err := Compile(d.Find(name), BundledIncludes)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ParseAccess(access)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := c.Eval(a)
		if err != nil {
			t.Fatal(err)
		}
		return dec
	}
	// The child's rules are its own: the parent's /etc/passwd r does not
	// reach the grep child, and the child's /etc/** r does not reach top.
	if dec := decide("top///usr/bin/grep", "/etc/shadow r"); !dec.Allowed || dec.Rule.Pos.Line != 10 {
		t.Errorf("grep child /etc/shadow r: %+v", dec)
	}
	if dec := decide("top", "/etc/shadow r"); dec.Allowed {
		t.Errorf("top /etc/shadow r: %+v", dec)
	}
	if dec := decide("top//web", "/etc/passwd r"); dec.Allowed {
		t.Errorf("a hat does not inherit its parent's rules: %+v", dec)
	}
	// @{profile_name} in a child is its full name (apparmor_parser: a
	// child's `/run/@{profile_name} px` conflicts with `/run/top//sed ix`).
	if dec := decide("top//sed", "/run/top//sed r"); !dec.Allowed || dec.Rule == nil {
		t.Errorf("@{profile_name} in top//sed: %+v", dec)
	}
	// The parent's variables reach the grandchild.
	if dec := decide("top//sed//deeper", "/srv/a w"); !dec.Allowed || dec.Rule == nil {
		t.Errorf("@{X} in top//sed//deeper: %+v", dec)
	}
	c, err := Compile(d.Find("top//sed"), BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range c.Entries {
		got = append(got, e.Rule.String()+" "+e.Where())
	}
	if strings.Join(got, "; ") != "/usr/bin/sed cx -> sed, nested:4:3; /usr/bin/x px -> top//sed, nested:5:3" {
		t.Errorf("entries of top//sed: %q", got)
	}
	c, err = Compile(d.Find("top///usr/bin/grep"), BundledIncludes)
	if err != nil || len(c.Entries) != 1 || c.Entries[0].Rule.Pos.Line != 3 {
		t.Errorf("entries of the grep child: %v %+v", err, c)
	}
}

func TestProfileHeadersRefused(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		// apparmor_parser: unexpected TOK_OPEN, expecting TOK_MODE
		{"/p {\n  /bin/foo {\n  }\n}\n", "x:2:3: a child profile in a body starts with the keyword profile"},
		// Multiple definitions for hat h
		{"/p {\n  ^h {\n  }\n  profile h {\n  }\n}\n", "x:4:3: profile /p//h is defined twice (first at x:2:3)"},
		// Multiple definitions for profile /t (in one namespace)
		{"profile :ns:/t {\n}\nprofile :ns:/t {\n}\n", "x:3:1: profile :ns:///t is defined twice"},
		{"/p {\n}\n/p {\n}\n", "x:3:1: profile /p is defined twice"},
		// Lexer found unexpected character: ' ' in state: SUB_ID
		{"/p {\n  ^ h {\n  }\n}\n", "x:2:3: a hat's name follows `^` without a space"},
		// Namespace not terminated: :ns/t
		{"profile :ns/t {\n}\n", "x:1:9: namespace not terminated"},
		// Empty namespace: ::/does/not/exist
		{"::/does/not/exist {\n}\n", "x:1:1: empty namespace"},
		// Empty named transition profile name: :ns:
		{":ns: {\n}\n", "x:1:1: no profile name after the namespace"},
		// Profile names must begin with a '/', namespace or keyword
		{"foo {\n}\n", "x:1:1: expected a profile header"},
		// Profile attachment must begin with a '/' or variable.
		{"profile foo bar {\n}\n", "x:1:13: a profile's attachment begins with / or a variable"},
		// hat profiles can't use xattrs matches
		{"/p {\n  ^h xattrs=(a=b) {\n  }\n}\n", "x:2:6: a hat cannot have xattrs"},
		// unexpected TOK_CONDLISTID, expecting TOK_OPEN
		{"/p flags=(complain) xattrs=(a=b) {\n}\n", "x:1:4: unexpected \"xattrs=(a=b)\" after flags=(...)"},
		// Profile flag 'debug' is no longer valid.
		{"/p {\n  ^h flags=(debug) {\n  }\n}\n", "x:2:6: profile flag debug is no longer valid"},
		// Profile flag mediate_deleted conflicts with delegate_deleted
		{"/p flags=(mediate_deleted,delegate_deleted) {\n}\n", "profile flags mediate_deleted and delegate_deleted conflict"},
		{"/p flags=(no_attach_disconnected attach_disconnected) {\n}\n", "profile flags attach_disconnected and no_attach_disconnected conflict"},
		{"/p flags=(chroot_attach,chroot_no_attach) {\n}\n", "profile flags chroot_attach and chroot_no_attach conflict"},
		{"/p flags=(namespace_relative,chroot_relative) {\n}\n", "profile flags chroot_relative and namespace_relative conflict"},
		// unexpected TOK_CLOSEPAREN, expecting TOK_VALUE
		{"/p flags=(,) {\n}\n", "x:1:4: empty flags=() list"},
		{"/p (  ) {\n}\n", "x:1:4: empty flags=() list"},
		// Found reference to variable FOO, but is never declared
		{"/p@{FOO} {\n}\n", "x:1:1: profile name /p@{FOO}: variable @{FOO} is used but never assigned"},
		{"profile @{profile_name} {\n}\n", "variable @{profile_name} is used but never assigned"},
	} {
		err := accepts(c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
}

func TestProfileHeadersAccepted(t *testing.T) {
	// Forms apparmor_parser 3.0.8 accepts, each kept by a round trip.
	for _, src := range []string{
		"/foo//local1 /** {\n}\n",
		"profile xattrs-test /usr/bin/hi xattrs=(user.foo=* user.bar=\"a b\" plain) flags=(audit, mediate_deleted) {\n}\n",
		":ns:/t {\n}\nprofile :ns://t2 {\n}\n/t {\n}\n",
		"hat /does/not/exist//HAT1 {\n}\n^top {\n}\n",
		"/p flags = ( complain , audit ,) {\n  ^h (complain) {\n  }\n  hat h2 /bin/x {\n  }\n  profile :ns:c {\n  }\n}\n",
		"/a/b {\n  ^c {\n  }\n}\nhat /a/b//c {\n}\n",
	} {
		if err := accepts(src); err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if _, err := roundTrip(t, "x", []byte(src)); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
	d, _ := ParseDocument("x", []byte(":ns:/t {\n}\nprofile :ns://t2 xattrs=(user.foo=\"a b\") {\n}\n"))
	if p := d.Find(":ns://t2"); p == nil || p.Namespace != "ns" || p.Name != "t2" || p.Xattrs[0] != "user.foo=a b" {
		t.Errorf("namespaced profile: %+v", p)
	}
	if d.Find(":other:/t") != nil || d.Find("/t") == nil {
		t.Errorf("Find by namespace")
	}
}

func TestQualifierBlocks(t *testing.T) {
	src := `profile p {
  owner {
    /home/** rw,
    # the whole tree
    audit {
      /srv/** r, # logged
      capability net_raw,
    }
  }
  allow {
    deny /home/secret r,
  }
  audit allow owner {
  }
  owner {
    capability chown,
  }
}
`
	if err := accepts(src); err != nil {
		t.Fatal(err)
	}
	out, err := roundTrip(t, "q", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if out != src {
		t.Errorf("render:\n%s", out)
	}
	d, _ := ParseDocument("q", []byte(src))
	c, err := Compile(d.Profiles[0], BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		access          string
		allowed, logged bool
		line            int
	}{
		{"/home/u/notes r", false, true, 0}, // owner from the block: not the task's file
		{"/home/u/notes r owner", true, false, 3},
		{"/srv/a r owner", true, true, 6}, // audit owner from the two blocks
		{"/srv/a r", false, true, 0},
		{"/home/secret r owner", false, false, 11}, // the deny inside `allow {` still denies
		{"capability net_raw", true, true, 7},      // owner means nothing to it; audit does
		{"capability chown", true, false, 16},
	} {
		a, err := ParseAccess(x.access)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := c.Eval(a)
		if err != nil {
			t.Fatal(err)
		}
		line := 0
		if dec.Rule != nil {
			line = dec.Rule.Pos.Line
		}
		if dec.Allowed != x.allowed || dec.Logged != x.logged || line != x.line {
			t.Errorf("%s: allowed %v logged %v line %d, want %v %v %d (%s)", x.access, dec.Allowed, dec.Logged, line, x.allowed, x.logged, x.line, dec.Reason)
		}
	}
}

func TestQualifierBlocksRefused(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		// apparmor_parser: deny prefix not allowed (whatever the block holds)
		{"/p {\n  deny {\n  }\n}\n", "x:2:3: a deny block is not allowed"},
		{"/p {\n  audit deny owner {\n    /x r,\n  }\n}\n", "x:2:9: a deny block is not allowed"},
		// syntax error, unexpected TOK_AUDIT
		{"/p {\n  owner audit {\n  }\n}\n", "x:2:9: a qualifier block takes each of audit, allow, owner once"},
		{"/p {\n  audit audit {\n  }\n}\n", "x:2:9: a qualifier block takes each of audit, allow, owner once"},
		// not at the top of a file
		{"audit {\n}\n", "x:1:1: a qualifier block (audit {) lives inside a profile"},
		{"/p {\n  audit {\n    /x r,\n}\n", "x:1:1: profile /p is not closed with }"},
	} {
		if err := accepts(c.src); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
}

const conditionals = `$ON = True
${OFF}=false
@{SET}=/srv
profile p {
  if $ON {
    /on r,
  } else {
    /on-else r,
  }
  if not $ON {
    /not r,
  } else if defined @{SET} {
    @{SET}/** r,
  } else {
    /never r,
  }
  if defined $MISSING {
    /missing r,
  } else if defined @UNSET {
    /unset r,
  }
  if not not ${OFF} {
    ^offhat {
    }
  } else {
    ^offhat {
      /hat r,
    }
  }
}
`

func TestConditionals(t *testing.T) {
	// apparmor_parser accepts it, and -N names p and p//offhat.
	if err := accepts(conditionals); err != nil {
		t.Fatal(err)
	}
	d, err := ParseDocument("c", []byte(conditionals))
	if err != nil {
		t.Fatal(err)
	}
	if b := d.Profiles[0].Preamble[1]; b.Kind != KindBool || b.Var != "OFF" || b.Bool {
		t.Errorf("${OFF}=false: %+v", b)
	}
	out, err := roundTrip(t, "c", []byte(conditionals))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "$ON=true\n$OFF=false\n") || !strings.Contains(out, "  } else if defined @{SET} {\n    @{SET}/** r,\n  } else {\n") ||
		!strings.Contains(out, "  if not not $OFF {") && !strings.Contains(out, "  if $OFF {") {
		t.Errorf("render:\n%s", out)
	}
	c, err := Compile(d.Profiles[0], BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		access  string
		allowed bool
		line    int
	}{
		{"/on r", true, 6},
		{"/on-else r", false, 0}, // the else of a condition that holds
		{"/not r", false, 0},
		{"/srv/x r", true, 13}, // else if defined @{SET}
		{"/never r", false, 0},
		{"/missing r", false, 0},
		{"/unset r", false, 0}, // defined @UNSET: @{UNSET} is not
	} {
		a, _ := ParseAccess(x.access)
		dec, err := c.Eval(a)
		if err != nil {
			t.Fatal(err)
		}
		line := 0
		if dec.Rule != nil {
			line = dec.Rule.Pos.Line
		}
		if dec.Allowed != x.allowed || line != x.line {
			t.Errorf("%s: allowed %v at line %d, want %v at %d", x.access, dec.Allowed, line, x.allowed, x.line)
		}
	}
	// Of the two ^offhat, the one in the branch taken is defined.
	kids := c.Children()
	if len(kids) != 1 || kids[0].Line != 26 {
		t.Fatalf("children: %+v", kids)
	}
	hc, err := Compile(kids[0], BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	if dec, _ := hc.Eval(Access{Class: ClassFile, Path: "/hat", Perms: PermRead}); !dec.Allowed {
		t.Errorf("/hat r in the defined offhat: %+v", dec)
	}
	// The name means the hat the parser defines, whichever is picked.
	if oc, err := Compile(d.Find("p//offhat"), BundledIncludes); err != nil || oc.Profile != kids[0] {
		t.Errorf("p//offhat: %v %+v", err, oc)
	}
	src := "$F=false\nprofile p {\n  if $F {\n    ^h {\n    }\n  }\n}\n"
	d, _ = ParseDocument("c", []byte(src))
	if _, err := Compile(d.Find("p//h"), BundledIncludes); err == nil || !strings.Contains(err.Error(), "c:4:5: hat p//h stands in a branch of a conditional that p does not take") {
		t.Errorf("a hat in the branch not taken: %v", err)
	}
}

func TestConditionalsRefused(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		// Invalid boolean assignment for ($F): maybe is not true or false
		{"$F=maybe\n", "x:1:1: $F is assigned \"maybe\": a boolean is true or false"},
		{"$F = true false\n/p {\n}\n", "x:1:1: $F is assigned \"true false\""},
		// 'F' is already defined
		{"$F=true\n${F} = TRUE\n", "x:2:1: $F is assigned again (first at x:1:1)"},
		// unexpected TOK_VALUE (the comment is read as a value)
		{"$F = true # on\n/p {\n}\n", "x:1:1: a boolean assignment takes no comment"},
		// unexpected TOK_ADD_ASSIGN, expecting TOK_EQUALS
		{"$F += true\n/p {\n}\n", "x:1:1: boolean variables are assigned with ="},
		// unexpected TOK_BOOL_VAR, expecting TOK_ID or TOK_MODE or TOK_SET_VAR
		{"/p {\n  $F=true\n}\n", "x:2:3: boolean variables are assigned before the profile"},
		// unexpected TOK_BOOL_VAR, expecting end of file
		{"/p {\n}\n$F=true\n", "x:3:1: variables are assigned before the first profile"},
		{"/p {\n}\n@{X}=/a\n", "x:3:1: variables are assigned before the first profile"},
		// unexpected TOK_IF, expecting end of file
		{"$F=true\nif $F {\n}\n", "x:2:1: conditionals live inside a profile"},
		// unexpected TOK_ELSE
		{"$F=true\n/p {\n  else {\n  }\n}\n", "x:3:3: `else` follows the `}` of an if"},
		{"$F=true\n/p {\n  if $F {\n  } else ^h {\n  }\n}\n", "x:4:10: `else` is followed by `{` or by `if`"},
		// unexpected TOK_ID, expecting TOK_OPEN
		{"$F=true\n/p {\n  if $F and $F {\n  }\n}\n", "x:3:9: unexpected \"and $F\" after the condition"},
		// unexpected TOK_SET_VAR, expecting TOK_BOOL_VAR or TOK_NOT or TOK_DEFINED
		{"@{S}=a\n/p {\n  if @{S} {\n  }\n}\n", "x:3:6: a set variable is tested with `defined @{S}`"},
		// unexpected TOK_NOT, expecting TOK_SET_VAR or TOK_BOOL_VAR
		{"$F=true\n/p {\n  if defined not $F {\n  }\n}\n", "x:3:14: a condition tests $BOOL"},
		// Unset boolean variable $F used in if-expression
		{"/p {\n  if not $F {\n  }\n}\n", "x:2:3: $F is tested but never assigned"},
		// Multiple definitions for hat h (both branches taken)
		{"$F=true\n/p {\n  if $F {\n    ^h {\n    }\n  }\n  if $F {\n    ^h {\n    }\n  }\n}\n", "x:8:5: profile /p//h is defined twice (first at x:4:5)"},
	} {
		if err := accepts(c.src); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
}

func TestLexerAsTheParser(t *testing.T) {
	// apparmor_parser 3.0.8 accepts this file.
	src := "@{int}=[0-9]\nprofile p {\n  /sys/cooling_device[@{int}/ r,\n  /run/smb-share:server=*,share=**/ r,\n" +
		"  /sys/fs/cgroup/cpu,cpuacct/** r,\n  dbus send peer=(label=splat\\ ),\n  \"/a!b\" r,\n}\n"
	if err := accepts(src); err != nil {
		t.Fatal(err)
	}
	out, err := roundTrip(t, "l", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if out != src {
		t.Errorf("render:\n%s", out)
	}
	d, _ := ParseDocument("l", []byte(src))
	if got, ok := d.Profiles[0].Rules[3].Model.(*DBusRule); !ok || *got != (DBusRule{Access: DBusSend, Peer: true, PeerLabel: `splat\ `}) {
		t.Errorf("the escaped blank in the group: %+v", d.Profiles[0].Rules[3].Model)
	}
	c, err := Compile(d.Profiles[0], BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	for access, line := range map[string]int{
		"/sys/cooling_device7/ r":                    3, // the class closes in @{int}: [[0-9]
		"/sys/cooling_device[/ r":                    3,
		"/run/smb-share:server=nas,share=media/a/ r": 4,
		"/sys/fs/cgroup/cpu,cpuacct/tasks r":         5,
		"/a!b r":                                     7,
	} {
		a, err := ParseAccess(access)
		if err != nil {
			t.Fatal(err)
		}
		if dec, _ := c.Eval(a); !dec.Allowed || dec.Rule.Pos.Line != line {
			t.Errorf("%s: %+v", access, dec)
		}
	}
	// A value may open an alternation its use closes (apparmor_parser
	// accepts both files; their globs are checked once expanded).
	for src, yes := range map[string]string{
		"@{BAR}={bar,baz,blort\n/p {\n  /d/@{BAR},exist} r,\n}\n":    "/d/blort r",
		"@{BAR}=bar,baz,blort}\n/p {\n  /d/{exist,x@{BAR}/m r,\n}\n": "/d/baz/m r",
	} {
		d, err := ParseDocument("v", []byte(src))
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		c, err := Compile(d.Profiles[0], BundledIncludes)
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		a, _ := ParseAccess(yes)
		if dec, _ := c.Eval(a); !dec.Allowed {
			t.Errorf("%q: %s: %+v", src, yes, dec)
		}
	}
	// A `{` that begins a word, or follows flags=(...), a qualifier or a
	// boolean, opens a block (apparmor_parser accepts each of these).
	for _, src := range []string{"/p {}\n", "/p flags=(complain){/x r,}\n", "$F=true\n/p {\n  owner{/x r,}\n  if $F{\n  }\n}\n"} {
		if err := accepts(src); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
	for _, c := range []struct{ src, want string }{
		// Lexer found unexpected character: '!' in state: INITIAL
		{"/usr/bin/foo^!!!^BLAH {\n}\n", "x:1:14: unexpected character `!`"},
		{"/p {\n  /foo!bar r,\n}\n", "x:2:7: unexpected character `!`"},
		// ... in state: ASSIGN_MODE
		{"@{A} = lib!virt\n/p {\n}\n", "x:1:11: unexpected character `!`"},
		// ... in state: LIST_COND_MODE
		{"/p {\n  dbus send peer=(name=a!b),\n}\n", "x:2:25: unexpected character `!`"},
		// unexpected TOK_END_OF_RULE, expecting TOK_MODE: a comma and a
		// blank end the rule, a comma ending the path too
		{"/p {\n  /run/a, r,\n}\n", "x:2:3: file rule \"/run/a\" needs a path and permissions"},
		{"/p {\n  /run/a,b,\n}\n", "x:2:3: file rule \"/run/a,b\" needs a path and permissions"},
		// unexpected TOK_ID: white space ends a word, in a class too
		{"/p {\n  /a/[ b] r,\n}\n", "x:2:6: `[` is not closed"},
		// Lexer found unexpected character: '+' in state: INITIAL
		{"@{FOO} = /foo\n/p {\n  @{FOO}+/.foo/* r,\n}\n", "x:3:9: unexpected `+` after @{FOO}"},
		// Regex grouping error: Unclosed grouping or character class
		{"@{V}=a\n/p {\n  /x/{@{V} r,\n}\n", "x:3:3: glob \"/x/{a\": `{` is not closed"},
		{"/p {\n  dbus send bus=s{ession,ystem peer=(label=splat),\n}\n", "x:2:18: `{` is not closed before the white space"},
		{"@{int}=0\n/p {\n  /sys/d[@{int}/ r,\n}\n", "x:3:3: glob \"/sys/d[0/\": `[` is not closed"},
	} {
		if err := accepts(c.src); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
}

// TestCxTargetsAreBelowTheProfile: apparmor_parser writes a cx target
// below the rule's profile whatever it looks like (cx -> c is p//c, and
// cx -> p//c is p//p//c), unless it names a namespace; a px target is
// taken as written. Measured with apparmor_parser -S (its exec table).
func TestCxTargetsAreBelowTheProfile(t *testing.T) {
	const src = `profile p {
  /bin/a cx -> p//c,
  /bin/b cx -> c,
  /bin/d Px -> p//c,
  /bin/e Cx -> :ns:p//c,
  /bin/f px -> c,
  profile c { }
}
profile :ns:q {
  /bin/a cx -> :ns:q//c,
  /bin/b cx -> :ns://q//c,
  /bin/d cx -> q//c,
  profile c { }
}
`
	d, err := ParseDocument("cx", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	entries := func(name string) string {
		t.Helper()
		c, err := Compile(d.Find(name), BundledIncludes)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range c.Entries {
			got = append(got, e.Rule.String())
		}
		return strings.Join(got, " ")
	}
	if got := entries("p//c"); got != "/bin/b cx -> c, /bin/d Px -> p//c," {
		t.Errorf("entries of p//c: %q", got)
	}
	if got := entries("q//c"); got != "/bin/a cx -> :ns:q//c, /bin/b cx -> :ns://q//c," {
		t.Errorf("entries of :ns:q//c: %q", got)
	}
	c, err := Compile(d.Find("p"), BundledIncludes)
	if err != nil {
		t.Fatal(err)
	}
	for access, want := range map[string]string{
		"/bin/a x": "(profile p//p//c)",
		"/bin/b x": "(profile p//c)",
		"/bin/d x": "(profile p//c)",
		"/bin/f x": "(profile c)",
	} {
		a, err := ParseAccess(access)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := c.Eval(a)
		if err != nil || !strings.HasSuffix(dec.Reason, want) {
			t.Errorf("%s: %v %q, want the reason to end in %q", access, err, dec.Reason, want)
		}
	}
}

// A `{` glued to a name is part of the name for apparmor_parser (profile
// x{ } has no block: unexpected TOK_CLOSE, expecting TOK_OPEN); glued to
// flags=(...), a qualifier or a condition it opens the block.
func TestBraceGluedToANameIsNoBlock(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"profile x{ }\n", "x:1:10: `{` is not closed"},
		{"hat h{ }\n", "x:1:6: `{` is not closed"},
		{"/x{a,b}{\n}\n", "x:1:1: rule does not end with a comma"},
		{"profile p {\n  ^h{ }\n}\n", "x:2:5: `{` is not closed"},
		{"profile p {\n  ^h{\n  }\n}\n", "x:2:5: `{` is not closed"},
		{"profile p {\n  profile c{ }\n}\n", "x:2:12: `{` is not closed"},
		{"@{X}=a\nprofile p {\n  if defined @{X}{ /a r, }\n}\n", "x:3:3: unknown rule \"if\""},
	} {
		_, err := ParseDocument("x", []byte(c.src))
		var pe *Error
		if err == nil || !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.src, err, c.want)
		}
	}
	for _, src := range []string{
		"profile x flags=(complain){ }\n",
		"profile x xattrs=(a=b){ }\n",
		"profile p {\n  audit owner{ /a r, }\n}\n",
		"$B=true\nprofile p {\n  if not $B{ /a r, } else{ /b r, }\n}\n",
		"profile x {}\n",
	} {
		if _, err := compileSrc(src); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}
