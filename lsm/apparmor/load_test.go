package apparmor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/features"
)

// needParserHere skips where apparmor_parser is missing; CI installs it.
func needParserHere(t *testing.T) {
	t.Helper()
	if _, err := parserPath(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI installs apparmor (scripts/deps.sh test): %v", err)
		}
		t.Skipf("apparmor_parser is not installed: %v", err)
	}
}

func writeProfile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// two profiles, one in complain mode with a hat and a child of its own
// mode, and a child defined only in the branch a conditional takes
const loadFile = `$kid=false
profile lt-enf {
  file,
  deny /etc/shadow r,
  if $kid {
    profile never {
    }
  } else {
    profile kid {
      /etc/group r,
    }
  }
}
profile lt-cmp flags=(audit,complain) {
  /etc/passwd r,
  ^hat {
  }
  profile kid flags=(complain) {
  }
}
`

// The dry run lists what a load would verify: the names the kernel gives
// hats and children, each with its own mode (a child does not take its
// parent's: apparmor_parser 3.0.8 writes each profile's flags alone),
// and only the children the conditionals define; apparmor_parser -N
// agrees, or the run would have been refused.
func TestCheckLoadListsTheKernelsNames(t *testing.T) {
	needParserHere(t)
	f := writeProfile(t, "two", loadFile)
	got, err := CheckLoad([]string{f}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range got {
		if l.File != f {
			t.Errorf("%s: file %q, want %q", l.Name, l.File, f)
		}
		lines = append(lines, l.Name+" "+string(l.Mode))
	}
	want := "lt-enf enforce, lt-enf//kid enforce, lt-cmp complain, lt-cmp//hat enforce, lt-cmp//kid complain"
	if s := strings.Join(lines, ", "); s != want {
		t.Errorf("profiles:\n got %s\nwant %s", s, want)
	}
}

// A file the parser refuses stops the dry run with its message and the
// file named, though an earlier file was fine; rampart's refusal comes
// with the parser's; a namespaced profile is refused at its position.
func TestCheckLoadRefusals(t *testing.T) {
	needParserHere(t)
	good := writeProfile(t, "good", "profile lt-good {\n  file,\n}\n")
	// rampart reads the debug flag as unknown; so does the parser
	bad := writeProfile(t, "bad", "profile lt-bad flags=(debug) {\n  file,\n}\n")
	_, err := CheckLoad([]string{good, bad}, LoadOptions{})
	var pe *ParserError
	if !errors.As(err, &pe) || pe.File != bad || !strings.Contains(err.Error(), "Profile flag 'debug' is no longer valid") {
		t.Errorf("got %v, want the parser's refusal of %s", err, bad)
	}
	var own *Error
	if !errors.As(err, &own) || own.Pos.File != bad || own.Pos.Line != 1 {
		t.Errorf("got %v, want rampart's refusal at %s:1", err, bad)
	}
	ns := writeProfile(t, "ns", "profile lt-top {\n}\nprofile :lt-ns:lt-in {\n}\n")
	if _, err := CheckLoad([]string{ns}, LoadOptions{}); err == nil || !strings.HasPrefix(err.Error(), ns+":3:1: profile lt-in is in namespace lt-ns") {
		t.Errorf("namespaced profile: %v", err)
	}
}

// A parser that defines a profile rampart does not see is refused before
// anything loads: the profile would load unverified.
func TestCheckLoadRefusesNamesTheParserDisagreesWith(t *testing.T) {
	needParserHere(t)
	real, err := parserPath()
	if err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(t.TempDir(), "apparmor_parser")
	script := fmt.Sprintf("#!/bin/sh\ncase \"$1\" in -N) '%s' \"$@\" && echo lt-one//extra;; *) exec '%s' \"$@\";; esac\n", real, real)
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(ParserEnv, fake)
	f := writeProfile(t, "one", "profile lt-one {\n  file,\n}\n")
	_, err = CheckLoad([]string{f}, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "apparmor_parser -N reads lt-one, lt-one//extra") {
		t.Errorf("got %v, want a refusal naming both lists", err)
	}
}

// On a kernel without AppArmor, loading and removing refuse with the
// typed error, before running any parser.
func TestLoadWithoutAppArmor(t *testing.T) {
	if features.HaveAppArmor() == nil {
		t.Skip("this kernel has AppArmor: the lab shows loading (internal/lab)")
	}
	// a parser that would leave a mark if it ran
	mark := filepath.Join(t.TempDir(), "ran")
	fake := filepath.Join(t.TempDir(), "apparmor_parser")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\ntouch '"+mark+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(ParserEnv, fake)
	f := writeProfile(t, "one", "profile lt-one {\n  file,\n}\n")
	for name, do := range map[string]func([]string, LoadOptions) ([]Loaded, error){"Load": Load, "Remove": Remove} {
		got, err := do([]string{f}, LoadOptions{})
		var ns *features.NotSupportedError
		if !errors.As(err, &ns) || ns.Feature != "AppArmor" || !errors.Is(err, features.ErrNotSupported) || got != nil {
			t.Errorf("%s: %v, %v; want a *features.NotSupportedError for AppArmor", name, got, err)
		}
	}
	if _, err := os.Stat(mark); err == nil {
		t.Error("the parser ran")
	}
}

// The kernel's list as 6.1 writes it, read back; a profile missing, in
// another mode, or left after a removal is a VerifyError naming it.
func TestVerifyAgainstTheKernelsList(t *testing.T) {
	list := writeProfile(t, "profiles", "lt-enf//kid (enforce)\nlt-cmp (complain)\nlt-enf (enforce)\nname with spaces (enforce)\n")
	if got := parseList("a (enforce)\nb//c (complain)\nname with spaces (kill)\nbroken\n"); fmt.Sprint(got) != "map[a:enforce b//c:complain name with spaces:kill]" {
		t.Errorf("parseList: %v", got)
	}
	e := &loadEnv{list: list}
	plan := func(ps ...Loaded) *loadPlan { return &loadPlan{file: "f", profiles: ps} }
	if err := e.verify(plan(Loaded{Name: "lt-enf", Mode: Enforce}, Loaded{Name: "lt-enf//kid", Mode: Enforce}, Loaded{Name: "lt-cmp", Mode: Complain}), false); err != nil {
		t.Errorf("all listed: %v", err)
	}
	for _, c := range []struct {
		p       *loadPlan
		removed bool
		want    string
	}{
		{plan(Loaded{Name: "lt-enf", Mode: Enforce}, Loaded{Name: "lt-enf//hat", Mode: Enforce}), false, "f: profile lt-enf//hat is not in the kernel's list after apparmor_parser -r"},
		{plan(Loaded{Name: "lt-cmp", Mode: Enforce}), false, "f: profile lt-cmp asks for enforce mode, the kernel lists it in complain"},
		{plan(Loaded{Name: "lt-gone", Mode: Enforce}, Loaded{Name: "lt-enf//kid", Mode: Enforce}), true, "f: profile lt-enf//kid is still loaded (enforce) after apparmor_parser -R"},
	} {
		err := e.verify(c.p, c.removed)
		var ve *VerifyError
		if !errors.As(err, &ve) || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
	if got := e.listed(plan(Loaded{Name: "lt-cmp"}, Loaded{Name: "lt-x"})); fmt.Sprint(got) != "[lt-cmp (complain)]" {
		t.Errorf("listed: %v", got)
	}
}

// The parser runs with -K (no cache read or written) on a private copy.
func TestParserArgs(t *testing.T) {
	d := t.TempDir()
	got := strings.Join(parserArgs("-r", "/tmp/x/p", Includes{Dirs: []string{d, "/no/such/dir"}}, ""), " ")
	if want := "-r -K -I " + d + " /tmp/x/p"; got != want {
		t.Errorf("args %q, want %q", got, want)
	}
}

// A failure says what the kernel holds of the failed file and which
// earlier files stay loaded (or removed); a refusal before any load says
// nothing was loaded.
func TestLoadErrorSaysWhatStays(t *testing.T) {
	cause := errors.New("apparmor_parser -r -K refuses b: no")
	e := &LoadError{File: "b", Loaded: []Loaded{{Name: "x", File: "a"}, {Name: "x//k", File: "a"}}, Listed: []string{"y (enforce)"}, Err: cause}
	want := "apparmor_parser -r -K refuses b: no\nthe kernel lists y (enforce) of b (an earlier version, or what loaded before the failure)\nloaded before it, and left so: a"
	if e.Error() != want || !errors.Is(e, cause) {
		t.Errorf("%q\nwant %q", e, want)
	}
	e = &LoadError{File: "a", Removed: true, Err: cause}
	if want := "apparmor_parser -r -K refuses b: no\nno file was removed before it"; e.Error() != want {
		t.Errorf("%q\nwant %q", e, want)
	}
	if err := (nothingDone{cause, "loaded"}); err.Error() != cause.Error()+"\nnothing was loaded" || !errors.Is(err, cause) {
		t.Errorf("%v", err)
	}
}
