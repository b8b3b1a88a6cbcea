package apparmor

import "testing"

// Escapes in paths mean what apparmor_parser's pattern lexer makes of
// them (its -D expr-tree output for these rules): a rule written with
// \x73 guards the s it names, not the letters x73.
func TestGlobEscapesAsTheParserReadsThem(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		match         bool
	}{
		{`/etc/\x73hadow`, "/etc/shadow", true},
		{`/etc/\x73hadow`, "/etc/x73hadow", false},
		{`/etc/\d115hadow`, "/etc/shadow", true},
		{`/etc/\163hadow`, "/etc/shadow", true},
		{`/etc/\1234`, "/etc/S4", true},
		{`/etc/\d1234`, "/etc/{4", true},
		{`/e/\x7q`, "/e/\aq", true},
		{`/l/\x4142`, "/l/A42", true},
		{`/etc/sh\adow`, "/etc/shadow", false},
		{`/etc/sh\adow`, "/etc/sh\adow", true},
		{`/etc/\ttab`, "/etc/\ttab", true},
		{`/j/\v`, "/j/v", true},
		{`/k/\q`, "/k/q", true},
		{`/k/[\x61-c]`, "/k/b", true},
		{`/k/\*`, "/k/*", true},
	} {
		g, err := CompileGlob(c.pattern)
		if err != nil {
			t.Fatalf("%s: %v", c.pattern, err)
		}
		if got := g.Match(c.path); got != c.match {
			t.Errorf("%s matches %q: %v, want %v", c.pattern, c.path, got, c.match)
		}
	}
	if _, err := CompileGlob(`/x/\d999`); err == nil {
		t.Error(`\d999 names no byte, and was taken`)
	}
	// Landlock's stand-in path decodes the same way
	if got := unescapeGlob(`/etc/\x73hadow`); got != "/etc/shadow" {
		t.Errorf("unescapeGlob: %q", got)
	}
}

// A generated deny rule must guard the path the user named: an escape
// that stands for another byte is refused.
func TestCheckPathRefusesByteEscapes(t *testing.T) {
	for _, p := range []string{`/etc/sh\adow`, `/etc/\x73hadow`, `/etc/\163x`, `/etc/\ttab`} {
		if err := CheckPath(p); err == nil {
			t.Errorf("%s accepted", p)
		}
	}
	for _, p := range []string{`/etc/\*`, `/a/\{b\}`, `/k/\q`} {
		if err := CheckPath(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// The kernel decides on resolved paths; an access with . or .. would be
// decided on text the kernel never sees.
func TestParseAccessRefusesDotComponents(t *testing.T) {
	for _, s := range []string{"/etc/../etc/shadow r", "/etc/./shadow r", "link /tmp/l -> /etc/../etc/shadow", "/etc/shadow/.. r"} {
		if _, err := ParseAccess(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	for _, s := range []string{"/etc/.shadow r", "/etc/..x r", "/tmp/ w"} {
		if _, err := ParseAccess(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
}

// The subset test on exec transitions, as the lab's kernel decided it
// (TestLabDifferential, lab-link3): a link that scrubs the environment
// may point at a target that does not, not the other way round.
func TestLinkSubsetScrubbing(t *testing.T) {
	src := "profile p {\n  /etc/passwd rpx,\n  /etc/group rPx,\n  /etc/lnk-px rlPx,\n  /etc/lnk-up rlpx,\n}\n"
	ps, err := Parse("p", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for acc, want := range map[string]bool{"link /etc/lnk-px -> /etc/passwd": true, "link /etc/lnk-up -> /etc/group": false} {
		a, err := ParseAccess(acc)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Eval(ps[0], a)
		if err != nil || d.Allowed != want {
			t.Errorf("%s: allowed=%v (%s) %v, want %v", acc, d.Allowed, d.Reason, err, want)
		}
	}
}

// When a literal rule's transition wins over a glob's, the decision names
// the literal rule: it is the one that runs.
func TestExecDecisionNamesTheWinningRule(t *testing.T) {
	ps, err := Parse("p", []byte("profile p {\n  /usr/bin/* ix,\n  /usr/bin/foo px,\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ParseAccess("/usr/bin/foo x")
	d, err := Eval(ps[0], a)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed || d.Exec != "px" || d.Rule == nil || d.Rule.Path != "/usr/bin/foo" {
		t.Errorf("allowed=%v exec %s by %v", d.Allowed, d.Exec, d.Rule)
	}
}
