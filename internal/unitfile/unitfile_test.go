package unitfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	body := "# a comment\n; another\n[Unit]\nDescription = a unit \n\n[Service]\nExecStart=/bin/true \\\n  --flag \\\n# skipped inside the value\n  last\nCapabilityBoundingSet=\nUser=nobody\r\n[Service]\nNoNewPrivileges=yes\n"
	es, ss, err := Parse("a.service", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{"Unit", "Description", "a unit", "a.service", 4},
		{"Service", "ExecStart", "/bin/true  --flag  last", "a.service", 7},
		{"Service", "CapabilityBoundingSet", "", "a.service", 11},
		{"Service", "User", "nobody", "a.service", 12},
		{"Service", "NoNewPrivileges", "yes", "a.service", 14},
	}
	if len(es) != len(want) {
		t.Fatalf("got %d entries %+v", len(es), es)
	}
	for i := range want {
		if es[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, es[i], want[i])
		}
	}
	// a value continued to the end of the file is the file's last line
	if es, _, err := Parse("b.service", []byte("[Service]\nUser=x \\\n  y \\")); err != nil || len(es) != 1 || es[0].Value != "x  y" {
		t.Errorf("continued to the end: %+v %v", es, err)
	}
	if strings.Join(ss, ",") != "Unit,Service" {
		t.Errorf("sections %v", ss)
	}
}

// What systemd would skip with a log line is refused at its line: a
// layer written there would otherwise be believed applied.
func TestParseRefuses(t *testing.T) {
	for _, c := range []struct {
		body string
		line int
		want string
	}{
		{"[Service]\nNoNewPrivileges yes\n", 2, `no "="`},
		{"NoNewPrivileges=yes\n[Service]\n", 1, "before any [Section]"},
		{"[Service\nUser=x\n", 1, "not a section header"},
		{"[Service]\n=x\n", 2, "without a key"},
	} {
		_, _, err := Parse("u.service", []byte(c.body))
		var e *Error
		if !errors.As(err, &e) || e.Line != c.line || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want line %d and %q", c.body, err, c.line, c.want)
		}
	}
}

// A backslash that escapes the one before it does not continue the line.
func TestContinues(t *testing.T) {
	for l, want := range map[string]bool{`a\`: true, `a\\`: false, `a\\\`: true, `a`: false, `\`: true} {
		if got := continues(l); got != want {
			t.Errorf("%q: %v", l, got)
		}
	}
}

// Drop-ins apply after the unit, in file-name order, an instance's own
// directory replacing its template's file of the same name.
func TestReadDropIns(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("web@a.service", "[Service]\nUser=one\n")
	write("web@.service.d/10-user.conf", "[Service]\nUser=template\n")
	write("web@.service.d/20-nnp.conf", "[Service]\nNoNewPrivileges=yes\n")
	write("web@a.service.d/10-user.conf", "[Service]\nUser=instance\n")
	write("web@a.service.d/ignored.txt", "[Service]\nUser=no\n")
	u, err := Read(filepath.Join(dir, "web@a.service"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range u.Section("Service") {
		got = append(got, e.Key+"="+e.Value+"@"+filepath.Base(e.File))
	}
	want := "User=one@web@a.service User=instance@10-user.conf NoNewPrivileges=yes@20-nnp.conf"
	if strings.Join(got, " ") != want {
		t.Errorf("got %v\nwant %s", got, want)
	}
	if Template("web@a.service") != "web@.service" || Template("web.service") != "" || Type("web@a.service") != "service" {
		t.Error("Template or Type")
	}
}

// Every unit Debian ships parses.
func TestParseDebianUnits(t *testing.T) {
	ms, _ := filepath.Glob("/lib/systemd/system/*.*")
	if len(ms) == 0 {
		t.Skip("no units in /lib/systemd/system")
	}
	n := 0
	for _, m := range ms {
		if st, err := os.Stat(m); err != nil || st.IsDir() {
			continue
		}
		if _, err := Read(m); err != nil {
			t.Errorf("%v", err)
		}
		n++
	}
	t.Logf("%d units", n)
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("[Service]\nUser=x\\\n y\n#c\nA=b\n"))
	f.Add([]byte("[Unit]\n;x\n[Service]\nSystemCallFilter=@system-service\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, _, err := Parse("f", b)
		if err != nil {
			return
		}
		lines := strings.Count(string(b), "\n") + 1
		for _, e := range es {
			if e.Key == "" || e.Section == "" || e.Line < 1 || e.Line > lines {
				t.Fatalf("entry %+v from %q", e, b)
			}
			if strings.TrimSpace(e.Value) != e.Value {
				t.Fatalf("untrimmed value %q", e.Value)
			}
		}
	})
}

// keys.go is the installed systemd's table, when it is the same systemd.
func TestKeysAreSystemds(t *testing.T) {
	out, err := exec.Command("systemd-analyze", "--version").Output()
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	if m := regexp.MustCompile(`^systemd (\d+)`).FindSubmatch(out); m == nil || string(m[1]) != "252" {
		t.Skipf("the installed systemd is not 252, whose table keys.go holds: %s", out)
	}
	gen := filepath.Join(t.TempDir(), "keys.go")
	cmd := exec.Command("../../scripts/systemd-unit-keys.sh", gen)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	a, _ := os.ReadFile("keys.go")
	b, _ := os.ReadFile(gen)
	if string(a) != string(b) {
		t.Error("keys.go is not the installed systemd's table: run scripts/systemd-unit-keys.sh")
	}
}
