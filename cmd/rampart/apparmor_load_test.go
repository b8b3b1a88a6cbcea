//go:build linux

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// loadProfiles are two profiles, one in complain mode, and a child: what
// rampart apparmor load would load, each by the kernel's name for it.
const loadProfiles = `profile ld-enf {
  file,
  deny /etc/shadow r,
  profile kid {
    /etc/group r,
  }
}
profile ld-cmp flags=(complain) {
  /etc/passwd r,
}
`

func loadFile(t *testing.T, name, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// On a kernel without AppArmor, load and --remove refuse the layer
// (exit 125) with the kernel's reason, and print no profile: nothing was
// loaded. The parser is one that would leave a mark: it must not run.
func TestAppArmorLoadWithoutAppArmor(t *testing.T) {
	if features.HaveAppArmor() == nil {
		t.Skip("this kernel has AppArmor: the lab loads for real (internal/lab TestLabAppArmorLoad)")
	}
	mark := filepath.Join(t.TempDir(), "ran")
	fake := loadFile(t, "apparmor_parser", "#!/bin/sh\ntouch '"+mark+"'\n")
	os.Chmod(fake, 0o755)
	t.Setenv(apparmor.ParserEnv, fake)
	f := loadFile(t, "two", loadProfiles)
	for _, args := range [][]string{{f}, {"--remove", f}, {"-o", "json", f}} {
		r := rampart(t, "", append([]string{"apparmor", "load"}, args...)...)
		if r.code != exitRefused || r.stdout != "" || !strings.Contains(r.stderr, "AppArmor is not available: it is not in this kernel's active LSMs") {
			t.Errorf("apparmor load %s: exit %d, stdout %q, stderr %q; want 125 and the kernel's reason", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat(mark); err == nil {
		t.Error("apparmor_parser ran on a kernel without AppArmor")
	}
}

// --check reads and compiles without loading: one line per profile,
// name, mode and file, in text and in JSON; a second file the parser
// refuses fails the whole run with its message and the file named, and
// nothing is printed as if it were loaded.
func TestAppArmorLoadCheck(t *testing.T) {
	needParser(t)
	f := loadFile(t, "two", loadProfiles)
	r := rampart(t, "", "apparmor", "load", "--check", f)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	want := "ld-enf enforce F|ld-enf//kid enforce F|ld-cmp complain F"
	if got := strings.ReplaceAll(strings.Join(lines, "|"), f, "F"); r.code != 0 || got != want || !strings.Contains(r.stderr, "nothing was loaded") {
		t.Errorf("exit %d\nstdout:\n%s\nwant: %s\nstderr: %s", r.code, r.stdout, want, r.stderr)
	}
	r = rampart(t, "", "apparmor", "load", "--check", "-o", "json", f)
	var got struct {
		Action   string
		Profiles []apparmor.Loaded
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v:\n%s", r.code, err, r.stdout)
	}
	if got.Action != "check" || len(got.Profiles) != 3 || got.Profiles[1] != (apparmor.Loaded{Name: "ld-enf//kid", Mode: apparmor.Enforce, File: f}) {
		t.Errorf("JSON: %+v", got)
	}
	r = rampart(t, "", "apparmor", "load", "--check", f, parserRefuses)
	if r.code != exitRefused || r.stdout != "" || !strings.Contains(r.stderr, "refuses "+parserRefuses+": ") || !strings.Contains(r.stderr, parserMsg) {
		t.Errorf("a refused second file: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestAppArmorLoadUsage(t *testing.T) {
	f := loadFile(t, "two", loadProfiles)
	for _, args := range [][]string{{}, {"--check", "--remove", f}, {"--includes", "bundled", "--check", f}, {"-o", "xml", "--check", f}} {
		r := rampart(t, "", append([]string{"apparmor", "load"}, args...)...)
		if r.code != exitUsage || r.stdout != "" {
			t.Errorf("apparmor load %s: exit %d, stdout %q, stderr %q; want 2", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
	r := rampart(t, "", "apparmor", "load", "--help")
	for _, want := range []string{"apparmor_parser -r -K", "/sys/kernel/security/apparmor/profiles", "parent//child", "not rolled back", "125", "--remove", "--check"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("load --help lacks %q", want)
		}
	}
}
