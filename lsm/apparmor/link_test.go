package apparmor

import (
	"strings"
	"testing"
)

// The link cases of the lab's kernel differential (Debian 12's
// apparmor_parser on its kernel), decided by the evaluator.
func TestAppArmorEvalLinksAsTheKernel(t *testing.T) {
	check(t, "l in file rules", `profile lab-link {
  /etc/passwd r,
  /etc/lnk-to l -> /etc/passwd,
  /etc/lnk-any l,
  /etc/lnk-rw rwl,
  /etc/lnk-r rl,
  /proc/** r,
}`,
		want{"link /etc/lnk-to -> /etc/passwd", true, 3, "subset test holds", nil},
		want{"link /etc/lnk-to -> /etc/group", true, 3, "", nil}, // the trailing target does not narrow
		want{"link /etc/lnk-any -> /etc/group", true, 4, "", nil},
		want{"link /etc/lnk-rw -> /etc/group", false, 5, "the subset test fails: the profile grants rwa on /etc/lnk-rw", nil},
		want{"link /etc/lnk-r -> /etc/passwd", true, 6, "", nil},
		want{"link /etc/nolink -> /etc/passwd", false, 0, "no rule allows a link", nil})
	check(t, "link rules", `profile lab-link2 {
  /etc/passwd r,
  link /etc/lnk-to -> /etc/passwd,
  link subset /etc/lnk-sub -> /etc/*,
  /etc/lnk-sub r,
  /proc/** r,
}`,
		want{"link /etc/lnk-to -> /etc/passwd", true, 3, "", nil},
		want{"link /etc/lnk-to -> /etc/group", false, 0, "no rule allows", nil},
		want{"link /etc/lnk-sub -> /etc/passwd", true, 4, "subset test holds", nil},
		want{"link /etc/lnk-sub -> /etc/group", false, 4, "the subset test fails: the profile grants r on /etc/lnk-sub", nil})
}

// apparmor.d(5)'s example, deny, owner, a leading l and exec
// transitions under the subset test.
func TestAppArmorEvalLinkRules(t *testing.T) {
	check(t, "manual", `profile p {
  /file1 r,
  /file2 rwk,
  /link* rw,
  link subset /link* -> /**,
}`,
		want{"link /link -> /file1", false, 5, "grants wa on /link", nil},
		want{"link /link -> /file2", true, 5, "", nil})
	check(t, "deny", `profile p {
  /tmp/** rwl,
  deny link /tmp/x -> /etc/shadow,
  /etc/shadow rw,
  deny /tmp/y l,
}`,
		want{"link /tmp/x -> /etc/shadow", false, 3, "deny rules win", &no},
		want{"link /tmp/z -> /etc/shadow", true, 2, "", nil},
		want{"link /tmp/y -> /etc/shadow", false, 5, "", nil},
		want{"link /tmp/z -> /etc/passwd", false, 2, "the subset test fails", nil})
	check(t, "leading l names its target, without the subset test", `profile p {
  l /tmp/a -> /etc/*,
  /tmp/a rw,
}`,
		want{"link /tmp/a -> /etc/passwd", true, 2, "", nil},
		want{"link /tmp/a -> /var/x", false, 0, "", nil},
		want{"/tmp/a l", false, 0, "", nil})
	// The pair's permissions are the union of the rules that cover it:
	// one rule asking for the subset test puts the pair under it.
	check(t, "union", "profile p {\n  /tmp/** rwl,\n  /etc/passwd r,\n  link /tmp/only -> /etc/passwd,\n}",
		want{"link /tmp/only -> /etc/passwd", false, 2, "subset test fails", nil})
	check(t, "owner", "profile p {\n  owner link /tmp/a -> /b,\n}",
		want{"owner link /tmp/a -> /b", true, 2, "", nil},
		want{"link /tmp/a -> /b", false, 0, "", nil})
	check(t, "exec transitions must match", `profile p {
  /bin/a px,
  /bin/b ix,
  /bin/c px,
  /bin/* l,
}`,
		want{"link /bin/a -> /bin/b", false, 5, "x on /bin/a runs px", nil},
		want{"link /bin/a -> /bin/c", true, 5, "", nil})
}

func TestAppArmorLinkRuleForms(t *testing.T) {
	for _, c := range []struct {
		src            string
		link, subset   bool
		target, render string
	}{
		{"link /a -> /b,", true, false, "/b", "link /a -> /b,"},
		{"link subset /a -> /b,", true, true, "/b", "link subset /a -> /b,"},
		{"link /a ->/b,", true, false, "/b", "link /a -> /b,"},
		{"l /a -> /b,", true, false, "/b", "link /a -> /b,"},
		{"rl /a -> /b,", true, false, "/b", "rl /a -> /b,"},
		{"/a rl -> /b,", false, false, "/b", "/a rl -> /b,"},
		{"deny /a l -> /b,", false, false, "/b", "deny /a l -> /b,"},
		{"deny link /a -> /b,", true, false, "/b", "deny link /a -> /b,"},
		{"owner link /a -> /b,", true, false, "/b", "owner link /a -> /b,"},
		{"link /a -> b,", true, false, "b", "link /a -> b,"},
		{"/x r -> /y,", false, false, "/y", "/x r -> /y,"},
		{"link /a,b -> /c,d,", true, false, "/c,d", "link /a,b -> /c,d,"},
		{"/foo px -> a,b,", false, false, "a,b", `/foo px -> "a,b",`},
	} {
		ps, err := Parse("p", []byte("profile t {\n  "+c.src+"\n}\n"))
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		r := ps[0].Rules[0]
		if r.Kind != KindFile || r.Link != c.link || r.Subset != c.subset || r.Target != c.target || r.String() != c.render {
			t.Errorf("%s: %+v renders %q", c.src, r, r.String())
		}
	}
	for _, bad := range []string{"link /a,", "link subset /a,", "link /a -> /b -> /c,", "link a -> /b,", "link /a->/b,", "link subset -> /b,", "lpx /a -> /b,", "link /a -> ,"} {
		if _, err := Parse("p", []byte("profile t {\n  "+bad+"\n}\n")); err == nil {
			t.Errorf("%s: accepted, apparmor_parser refuses it", bad)
		}
	}
	for _, bad := range []string{"link /a", "link /a /b", "link a -> /b", "link /a -> b"} {
		if _, err := ParseAccess(bad); err == nil {
			t.Errorf("access %q accepted", bad)
		}
	}
	a, err := ParseAccess("owner link /tmp/l -> /etc/passwd")
	if err != nil || a.Path != "/tmp/l" || a.LinkTarget != "/etc/passwd" || a.Perms != PermLink || !a.Owner || a.String() != "link /tmp/l -> /etc/passwd owner" {
		t.Errorf("%+v %v %q", a, err, a.String())
	}
}

// alias rules give each file rule under the alias's path a copy for the
// rewritten path, as apparmor_parser does (checked by comparing its
// compiled policy with the rules written out): the original stays, a
// plain string prefix decides, aliases do not chain, deny rules and
// link names are rewritten, link targets are not.
func TestAppArmorEvalAlias(t *testing.T) {
	check(t, "alias", `alias /tmp -> /var/tmp,
alias /usr/ -> /A/,
alias /usr/ -> /B/,
alias /a -> /b,
alias /b -> /c,
profile p {
  /tmp/meep rw,
  /tmpfoo r,
  /usr/x r,
  /a/x r,
  /** w,
  deny /tmp/secret w,
  /tm* k,
}`,
		want{"/tmp/meep w", true, 7, "", nil},
		want{"/var/tmp/meep w", true, 7, "", nil},
		want{"/var/tmpfoo r", true, 8, "", nil},
		want{"/A/x r", true, 9, "", nil},
		want{"/B/x r", true, 9, "", nil},
		want{"/b/x r", true, 10, "", nil},
		want{"/c/x r", false, 0, "", nil},
		want{"/var/tmp/secret w", false, 12, "", nil},
		want{"/var/tmp/x k", false, 0, "", nil})
	check(t, "alias and links", "alias /tmp -> /X,\nprofile p {\n  link /tmp/a -> /tmp/b,\n}",
		want{"link /X/a -> /tmp/b", true, 3, "through alias /tmp -> /X", nil},
		want{"link /X/a -> /X/b", false, 0, "", nil})
	// Variables are expanded first; several values make an alternation,
	// which no alias prefix matches.
	check(t, "alias and variables", "@{V}=/tmp/a\n@{W}=/tmp/b /tmp/c\nalias /tmp -> /X,\nprofile p {\n  @{V} r,\n  @{W} r,\n}",
		want{"/X/a r", true, 5, "", nil},
		want{"/X/b r", false, 0, "", nil},
		want{"/tmp/c r", true, 6, "", nil})
	if _, err := Parse("p", []byte("profile p {\n  alias /tmp -> /var/tmp,\n}\n")); err == nil || !strings.Contains(err.Error(), "before the profile") {
		t.Errorf("alias in a profile: %v", err)
	}
}

// The alias shapes apparmor_parser 3.0.8 accepts and refuses.
func TestAppArmorAliasForms(t *testing.T) {
	for _, r := range []string{"alias /a -> b,", "alias /a* -> /b,", "alias \"/a b\" -> \"/c d\",", "alias foo -> /b,", "alias /a -> rw,"} {
		if _, err := ParseDocument("p", []byte(r+"\nprofile t {\n}\n")); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	for _, r := range []string{"alias a -> /b,", "alias rw -> /b,", "alias @{X} -> /b,", "alias \"a\" -> /b,", "alias /a -> /b -> /c,", "alias /a /b,", "audit alias /a -> /b,", "alias /a->/b,"} {
		if _, err := ParseDocument("p", []byte("@{X}=/x\n"+r+"\nprofile t {\n}\n")); err == nil {
			t.Errorf("%s: accepted, apparmor_parser refuses it", r)
		}
	}
}
