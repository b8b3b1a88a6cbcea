package apparmor

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// The parser's refusal carries its own message, the file named as the
// caller named it, without the parser's note about this kernel's cache.
func TestCheckerRefusesWithTheParsersMessage(t *testing.T) {
	if _, err := parserPath(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI installs apparmor (scripts/deps.sh test): %v", err)
		}
		t.Skipf("apparmor_parser is not installed: %v", err)
	}
	var c Checker
	if v := c.Validation(); v != nil {
		t.Errorf("nothing checked, yet %+v", v)
	}
	err := c.Check("dir/debug.aa", []byte("profile dbg flags=(debug) {\n  file,\n}\n"))
	var pe *ParserError
	if !errors.As(err, &pe) || pe.File != "dir/debug.aa" {
		t.Fatalf("got %v, want a *ParserError naming dir/debug.aa", err)
	}
	if want := "apparmor_parser -Q -K refuses dir/debug.aa: AppArmor parser error for dir/debug.aa in profile dir/debug.aa at line 1: Profile flag 'debug' is no longer valid."; err.Error() != want {
		t.Errorf("message %q\nwant    %q", err, want)
	}
	if err := c.Check("seed", seed(t)); err != nil {
		t.Errorf("the seed: %v", err)
	}
	if v := c.Validation(); strings.Join(v.By, ",") != "rampart,apparmor_parser" || v.Note != "" {
		t.Errorf("validation %+v", v)
	}
	// Both judges refusing: rampart's positioned error first.
	own := &Error{Pos: Pos{File: "x", Line: 2, Col: 3}, Msg: "bad"}
	if got := Refusal(own, err).Error(); !strings.HasPrefix(got, "x:2:3: bad\napparmor_parser -Q -K refuses dir/debug.aa: ") {
		t.Errorf("joined: %q", got)
	}
	if j := Refusal(own, err); !errors.As(j, &pe) {
		t.Errorf("the joined refusal hides the parser's: %v", j)
	}
	if Refusal(nil, nil) != nil || Refusal(own, nil) != own || Refusal(nil, err) != err {
		t.Error("a single refusal is not passed on as it is")
	}
}

// RAMPART_APPARMOR_PARSER=none runs no parser, and the Checker says
// validation was rampart's alone, and why.
func TestCheckerWithoutParser(t *testing.T) {
	t.Setenv(ParserEnv, "none")
	var c Checker
	if err := c.Check("debug.aa", []byte("profile dbg flags=(debug) {\n  file,\n}\n")); err != nil {
		t.Fatalf("no parser, yet %v", err)
	}
	v := c.Validation()
	if strings.Join(v.By, ",") != "rampart" || !strings.Contains(v.Note, "rampart's parser alone") || !strings.Contains(v.Note, ParserEnv+"=none") {
		t.Errorf("validation %+v", v)
	}
	t.Setenv(ParserEnv, t.TempDir()+"/apparmor_parser")
	if err := CheckCompile("x", seed(t)); !errors.Is(err, ErrNoParser) || !strings.Contains(err.Error(), "is no file") {
		t.Errorf("a parser named that is not there: %v", err)
	}
}
