//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// seedPolicy writes a policy file naming the seed's profile file, or
// another one, as a Localhost profile.
func seedPolicy(t *testing.T, name, file string) string {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "policy.json")
	js := `{"schema": "rampart.policy/v1", "apparmor": {"kind": "localhost", "name": "` + name + `", "file": "` + abs + `"}}`
	if err := os.WriteFile(p, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The commands that print or write a profile for a node to load have it
// judged by apparmor_parser as well: what the nodes' parser refuses (a
// stricter release stands in here) is refused, and nothing is written.
func TestHandedProfilesJudgedByParser(t *testing.T) {
	t.Setenv(apparmor.ParserEnv, strictParser(t))
	t.Run("apparmor generate", func(t *testing.T) {
		r := rampart(t, "", "apparmor", "generate", "--name", "web", "--deny-read", "/etc/shadow")
		mustRefuse(t, r, 125, "web", strictMsg)
		if r.stdout != "" {
			t.Errorf("printed a profile the parser refuses:\n%s", r.stdout)
		}
	})
	t.Run("apparmor parse", func(t *testing.T) {
		r := rampart(t, "", "apparmor", "parse", seedProfile)
		mustRefuse(t, r, 125, seedProfile, strictMsg)
		if r.stdout != "" {
			t.Errorf("printed a profile the parser refuses:\n%s", r.stdout)
		}
	})
	t.Run("oci spec", func(t *testing.T) {
		r := rampart(t, "", "oci", "spec", "--apparmor", seedProfile)
		mustRefuse(t, r, 125, seedProfile, strictMsg)
		if r.stdout != "" {
			t.Errorf("printed a config naming a profile the parser refuses:\n%s", r.stdout)
		}
	})
	t.Run("record", func(t *testing.T) {
		out := t.TempDir()
		r := rampart(t, "", "record", "--recorder", "ptrace", "--out", out, "--", "true")
		if r.code == 0 || !strings.Contains(r.stderr, "apparmor_parser -Q -K refuses rampart-true: ") || !strings.Contains(r.stderr, strictMsg) {
			t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "rampart-true")); err == nil {
			t.Error("record wrote a profile the parser refuses")
		}
		if _, err := os.Stat(filepath.Join(out, "recording.json")); err != nil {
			t.Errorf("the recording is lost with the profile: %v", err)
		}
	})
	t.Run("record --check", func(t *testing.T) {
		pol := seedPolicy(t, "flask-deny-shadow", seedProfile)
		r := rampart(t, "", "record", "--recorder", "ptrace", "--policy=false", "--out", t.TempDir(), "--check", pol, "--", "true")
		if r.code == 0 || !strings.Contains(r.stderr, "--check "+pol+": apparmor_parser -Q -K refuses ") || !strings.Contains(r.stderr, strictMsg) {
			t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
		}
	})
}

// Without apparmor_parser, each of them says once that validation was
// rampart's alone.
func TestHandedProfilesParserMissing(t *testing.T) {
	hideParser(t)
	once := func(t *testing.T, r result) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if n := strings.Count(r.stderr, aloneNote); n != 1 {
			t.Errorf("says %d times that validation was rampart's alone, want once:\n%s", n, r.stderr)
		}
	}
	once(t, rampart(t, "", "apparmor", "generate", "--deny-read", "/etc/shadow"))
	once(t, rampart(t, "", "apparmor", "parse", seedProfile))
	once(t, rampart(t, "", "oci", "spec", "--apparmor", seedProfile))
	once(t, rampart(t, "", "record", "--recorder", "ptrace", "--out", t.TempDir(), "--", "true"))
	once(t, rampart(t, "", "record", "--recorder", "ptrace", "--out", t.TempDir(), "--check", seedPolicy(t, "flask-deny-shadow", seedProfile), "--", "true"))
	// --check asks for the node's verdict: without the parser, none.
	for _, args := range [][]string{{"apparmor", "generate", "--check"}, {"apparmor", "parse", "--check", seedProfile}} {
		if r := rampart(t, "", args...); r.code != 125 || !strings.Contains(r.stderr, aloneNote) || r.stdout != "" {
			t.Errorf("%v: exit %d, want 125; stdout %q stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}
