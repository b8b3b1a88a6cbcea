package apparmor

import (
	"strings"
	"testing"
)

// A word that starts with a variable followed by + or = is an
// assignment for apparmor_parser's lexer, never a path: refused, so that
// `@{FOO}+/.foo/* r,` cannot allow /foo+/.foo/bar.
func TestAppArmorVariableThenPlusRefused(t *testing.T) {
	for _, r := range []string{"@{FOO}+/.foo/* r,", "r @{FOO}+/x,", "@{FOO}+ r,", "@{FOO}=/x r,", "@{FOO}+=/x r,"} {
		src := "@{FOO} = /foo /bar\nprofile t {\n  " + r + "\n}\n"
		if _, err := Parse("p", []byte(src)); err == nil {
			t.Errorf("%s: accepted, apparmor_parser refuses it", r)
		}
	}
	for _, r := range []string{`"@{FOO}+/x" r,`, "/x@{FOO}+/x r,", "@{FOO}x+ r,", "@{FOO}-/x r,"} {
		src := "@{FOO} = /foo /bar\nprofile t {\n  " + r + "\n}\n"
		if _, err := compileSrc(src); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
}

func TestAppArmorVariableDefinitions(t *testing.T) {
	// Assigned twice in the document: refused even without a profile.
	if _, err := ParseDocument("p", []byte("@{FOO}=foo\n@{FOO}=bar\n")); err == nil || !strings.Contains(err.Error(), "assigned again") {
		t.Errorf("reassignment: %v", err)
	}
	if _, err := ParseDocument("p", []byte("@{profile_name}=foo\nprofile t {\n}\n")); err == nil {
		t.Errorf("@{profile_name} assigned: accepted, apparmor_parser refuses it")
	}
	if _, err := Parse("p", []byte("@{LIBVIRT} = lib!virt libfail\nprofile t {\n}\n")); err == nil {
		t.Errorf("! in a value: accepted, apparmor_parser refuses it")
	}
	if _, err := compileSrc("@{X}=\"a!b\"\nprofile t {\n}\n"); err != nil {
		t.Errorf("quoted !: %v", err)
	}
	// A line ending in \ goes on.
	if _, err := compileSrc("@{FOO} = blah \\\n@{BAR} = baz\n@{BAR} = notbaz\nprofile t {\n  /@{FOO} r,\n}\n"); err != nil {
		t.Errorf("continued assignment: %v", err)
	}
	if _, err := compileSrc("@{FOO} = blah \\\n@{BAR} = baz\nprofile t {\n  /@{FOO} r,\n}\n"); err == nil {
		t.Errorf("continued assignment naming an unassigned @{BAR}: accepted")
	}
}

// Variables are substituted as text: a value may open a brace that the
// path closes.
func TestAppArmorVariableAlternationText(t *testing.T) {
	check(t, "open brace in value", "@{BAR}={bar,baz,blort\nprofile p {\n  /does/not/@{BAR},exist,notexist} r,\n}",
		want{"/does/not/baz r", true, 3, "", nil},
		want{"/does/not/notexist r", true, 3, "", nil},
		want{"/does/not/{bar r", false, 0, "", nil})
	check(t, "commas in value", "@{BAR}=bar,baz,blort\nprofile p {\n  /does/not/{exist@{BAR}notexist}/meep r,\n}",
		want{"/does/not/existbar/meep r", true, 3, "", nil},
		want{"/does/not/baz/meep r", true, 3, "", nil},
		want{"/does/not/blortnotexist/meep r", true, 3, "", nil})
	if _, err := compileSrc("@{BAR}=bar\nprofile p {\n  /does/not/{exist@{BAR}/meep r,\n}"); err == nil {
		t.Errorf("a brace no value closes: accepted")
	}
}

// Every rule class refuses a variable nobody assigned; an exec target is
// a name, not expanded.
func TestAppArmorUndeclaredVariables(t *testing.T) {
	for _, r := range []string{"signal peer=@{FOO},", "dbus (send) bus=@{MISSING_VAR} path=\"/a\",", "/@{profile_name}/@{FOO} r,", "\"/foo@{FOO}\" r,"} {
		if _, err := compileSrc("profile t {\n  " + r + "\n}\n"); err == nil || !strings.Contains(err.Error(), "never assigned") {
			t.Errorf("%s: %v", r, err)
		}
	}
	for _, r := range []string{"/foo px -> @{FOO},", "/@{profile_name} r,", "signal peer=@{profile_name},"} {
		if _, err := compileSrc("profile t {\n  " + r + "\n}\n"); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
}

// apparmor_parser takes variables, abi and alias only before the first
// profile of a file.
func TestAppArmorPreambleBeforeProfiles(t *testing.T) {
	for _, src := range []string{
		"profile t {\n}\n@{Y}=a\nprofile u {\n}\n",
		"profile t {\n}\nabi <abi/3.0>,\nprofile u {\n}\n",
		"profile t {\n}\nalias /a -> /b,\nprofile u {\n}\n",
		"@{X}=a\nprofile t {\n}\n@{X}+=b\n",
	} {
		if _, err := ParseDocument("p", []byte(src)); err == nil || !strings.Contains(err.Error(), "after") {
			t.Errorf("%q: %v", src, err)
		}
	}
	if _, err := ParseDocument("p", []byte("@{X}=a\nabi <abi/3.0>,\nalias /a -> /b,\nprofile t {\n}\n#include <x>\nprofile u {\n}\n")); err != nil {
		t.Error(err)
	}
}

// `@NAME = value` assigns @{NAME}, with white space before the =.
func TestAppArmorVariableWithoutBraces(t *testing.T) {
	check(t, "@FOO", "@FOO = bar\n@FOO += baz\nprofile p {\n  /@{FOO} r,\n}",
		want{"/bar r", true, 4, "", nil},
		want{"/baz r", true, 4, "", nil})
	if _, err := Parse("p", []byte("@FOO = bar\n@{FOO} = baz\nprofile t {\n}\n")); err == nil || !strings.Contains(err.Error(), "assigned again") {
		t.Errorf("@FOO and @{FOO}: %v", err)
	}
	if _, err := Parse("p", []byte("@FOO=bar\nprofile t {\n}\n")); err == nil {
		t.Errorf("@FOO=bar: accepted, apparmor_parser refuses it")
	}
}

// apparmor_parser splits a value's word where a quoted string starts or
// ends: @{X}=a"b c"d compiles as @{X}=a "b c" d (its compiled policy is
// the same); an unclosed quote is refused.
func TestAppArmorVariableValueQuotesSplit(t *testing.T) {
	d, err := ParseDocument("p", []byte("@{X}=a\"b c\"d\n@{X}+=\"e\"f\nprofile t {\n  /@{X} r,\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range d.Profiles[0].Preamble {
		got = append(got, strings.Join(r.Values, "|"))
	}
	if strings.Join(got, " ") != "a|b c|d e|f" {
		t.Errorf("values: %q", got)
	}
	if _, err := compileSrc("@{X}=a\"b\"\nprofile t {\n  /@{X} r,\n}\n"); err != nil {
		t.Errorf("a\"b\": %v", err)
	}
	if _, err := Parse("p", []byte("@{X}=a\"b\nprofile t {\n}\n")); err == nil {
		t.Errorf("unclosed quote: accepted, apparmor_parser refuses it")
	}
}
