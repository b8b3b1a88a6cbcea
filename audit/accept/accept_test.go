package accept

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/strictjson"
)

func known(rule string) bool { return rule == "open-path/tiocsti" || rule == "pss/runAsNonRoot" }

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMatch(t *testing.T) {
	dir := t.TempDir()
	cfg := write(t, dir, FileName, `accept:
  - rule: open-path/tiocsti
    kind: Deploy*
    namespace: shop
    name: "web-?"
    container: app
    path: "k8s/**/prod/*.yaml"
    reason: legacy tty tool
`)
	c, err := Load(cfg, known)
	if err != nil {
		t.Fatal(err)
	}
	base := Finding{Rule: "open-path/tiocsti", File: filepath.Join(dir, "k8s/eu/west/prod/web.yaml"), Kind: "Deployment", Namespace: "shop", Name: "web-1", Container: "app"}
	if e := c.Match(base); e == nil || e.Reason != "legacy tty tool" || e.Pos != cfg+":2:5" {
		t.Fatalf("Match(%+v) = %+v", base, e)
	}
	for name, change := range map[string]func(*Finding){
		"rule":         func(f *Finding) { f.Rule = "pss/runAsNonRoot" },
		"kind":         func(f *Finding) { f.Kind = "Pod" },
		"namespace":    func(f *Finding) { f.Namespace = "shop2" },
		"name":         func(f *Finding) { f.Name = "web-10" },
		"container":    func(f *Finding) { f.Container = "sidecar" },
		"path depth":   func(f *Finding) { f.File = filepath.Join(dir, "k8s/prod/x/web.yaml") },
		"path outside": func(f *Finding) { f.File = filepath.Join(dir, "../k8s/prod/web.yaml") },
	} {
		f := base
		change(&f)
		if e := c.Match(f); e != nil {
			t.Errorf("%s: %+v matches", name, f)
		}
	}
	f := base
	f.File = filepath.Join(dir, "k8s/prod/web.yaml") // ** is zero or more directories
	if c.Match(f) == nil {
		t.Errorf("k8s/**/prod/*.yaml does not match %s", f.File)
	}

	// A config found beside the files accepts nothing outside its
	// directory, even by an entry with no path or a ** path.
	wide := write(t, dir, "sub/"+FileName, "accept:\n  - rule: open-path/tiocsti\n    reason: x\n  - rule: open-path/tiocsti\n    path: \"**\"\n    reason: wide\n")
	w, err := Load(wide, known)
	if err != nil {
		t.Fatal(err)
	}
	w.Found = true
	out := Finding{Rule: "open-path/tiocsti", File: filepath.Join(dir, "elsewhere.yaml")}
	if e := w.Match(out); e != nil {
		t.Errorf("a found config accepts %s, outside its directory: %+v", out.File, e)
	}
	if e := w.Match(Finding{Rule: "open-path/tiocsti", File: filepath.Join(dir, "sub/k.yaml")}); e == nil {
		t.Error("a found config accepts nothing beneath it")
	}
}

func TestExpired(t *testing.T) {
	e := Entry{Expires: "2027-01-31"}
	e.expires, _ = time.Parse(time.DateOnly, e.Expires)
	for now, want := range map[string]bool{
		"2027-01-31T23:59:59Z": false, // accepted through the day
		"2027-02-01T00:00:00Z": true,  // the day after, from its first second
		"2027-02-01T00:00:01Z": true,
	} {
		at, _ := time.Parse(time.RFC3339, now)
		if got := e.Expired(at); got != want {
			t.Errorf("Expired(%s) = %v, want %v", now, got, want)
		}
	}
	if (&Entry{}).Expired(time.Now()) {
		t.Error("an entry without a date expired")
	}
}

func TestParseAnnotation(t *testing.T) {
	m, err := ParseAnnotation("open-path/tiocsti=legacy tty tool, ticket 123; pss/runAsNonRoot = image runs as root\n", known)
	if err != nil || m["open-path/tiocsti"] != "legacy tty tool, ticket 123" || m["pss/runAsNonRoot"] != "image runs as root" || len(m) != 2 {
		t.Fatalf("= %v, %v", m, err)
	}
	for v, want := range map[string]string{
		"open-path/tiocsti":                        "want RULE=REASON",
		"open-path/tiocsti=  ":                     "want RULE=REASON",
		"open-path/tiocst=x":                       "no such rule",
		"open-path/tiocsti=a; open-path/tiocsti=b": "accepted twice",
	} {
		if _, err := ParseAnnotation(v, known); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", v, err, want)
		}
	}
}

// TestFind: upward from the files, stopping at a repository's root.
func TestFind(t *testing.T) {
	dir := t.TempDir()
	outer := write(t, dir, FileName, "")
	write(t, dir, "repo/.git/HEAD", "")
	write(t, dir, "repo/k8s/a.yaml", "")
	inner := write(t, dir, "other/"+FileName, "")
	write(t, dir, "other/k8s/b.yaml", "")
	if f, err := Find([]string{filepath.Join(dir, "repo/k8s/a.yaml")}); err != nil || f != "" {
		t.Errorf("in a repository without one: %q, %v; want none (the search stops at .git)", f, err)
	}
	if f, err := Find([]string{filepath.Join(dir, "other/k8s")}); err != nil || !sameFile(f, inner) {
		t.Errorf("under other/: %q, %v; want %s", f, err, inner)
	}
	if f, err := Find([]string{filepath.Join(dir, "k.yaml")}); err != nil || !sameFile(f, outer) {
		t.Errorf("beside it: %q, %v; want %s", f, err, outer)
	}
	if _, err := Find([]string{filepath.Join(dir, "other/k8s"), filepath.Join(dir, "k.yaml")}); err == nil {
		t.Error("files under two configs: no error")
	}
	// A config and none: one file's acceptances must not reach the other.
	for _, args := range [][]string{{filepath.Join(dir, "other/k8s"), filepath.Join(dir, "repo/k8s/a.yaml")}, {filepath.Join(dir, "repo/k8s/a.yaml"), filepath.Join(dir, "other/k8s")}} {
		if _, err := Find(args); err == nil || !strings.Contains(err.Error(), "under no config") {
			t.Errorf("%v: %v, want a refusal (one under a config, one under none)", args, err)
		}
	}
}

func sameFile(a, b string) bool {
	x, err1 := os.Stat(a)
	y, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(x, y)
}

func TestLoadRefuses(t *testing.T) {
	for body, want := range map[string]string{
		"accept:\n  - rule: open-path/tiocsti\n    reason: x\n    path: \"k8s/[\"\n": ":4:11: accept[0].path: ",
		"accept:\n  - rule: open-path/tiocsti\n    reason: x\n    name: \"[\"\n":     ":4:11: accept[0].name: ",
		"accept:\n  - reason: x\n":                                           ":2:5: accept[0]: rule: missing",
		"accept:\n  - rule: open-path/tiocsti\n    reason: \"  \"\n":         ":2:5: accept[0]: reason: missing",
		"accept:\n  - rule: open-path/tiocsti\n    rule: pss/runAsNonRoot\n": ":3:5: accept[0].rule: ",
		"accept: {}\n": ":1:9: ",
	} {
		f := write(t, t.TempDir(), FileName, body)
		_, err := Load(f, known)
		if err == nil || !strings.Contains(err.Error(), f+want) {
			t.Errorf("%q: err %v, want %q", body, err, f+want)
		}
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	f := filepath.Join(t.TempDir(), "base.json")
	if err := WriteBaseline(f, []string{"b", "a", "b"}); err != nil {
		t.Fatal(err)
	}
	body, _ := os.ReadFile(f)
	if want := "{\n  \"schema\": \"" + BaselineSchema + "\",\n  \"fingerprints\": [\n    \"a\",\n    \"b\"\n  ]\n}\n"; string(body) != want {
		t.Errorf("baseline file:\n%s\nwant:\n%s", body, want)
	}
	b, err := ReadBaseline(f)
	if err != nil || !b.Has("a") || !b.Has("b") || b.Has("c") {
		t.Errorf("ReadBaseline: %v", err)
	}
	for body, want := range map[string]string{
		`{"schema": "` + BaselineSchema + `", "fingerprints": [], "extra": 1}`: "extra",
		`{"schema": "` + BaselineSchema + `", "Fingerprints": []}`:             "Fingerprints",
		`{"fingerprints": ["a"]}`: "schema",
		`{"schema": "` + BaselineSchema + `", "fingerprints": ["a", ""]}`: "empty fingerprint",
	} {
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadBaseline(f); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", body, err, want)
		}
	}
}

// TestSchemaKeys: docs/config.schema.json names exactly the keys Load
// reads.
func TestSchemaKeys(t *testing.T) {
	body, err := os.ReadFile("../../docs/config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties struct {
			Node   struct{ Properties map[string]any }
			Accept struct {
				Items struct{ Properties map[string]any }
			}
		}
	}
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		schema map[string]any
		typ    reflect.Type
	}{
		{"node", s.Properties.Node.Properties, reflect.TypeFor[Node]()},
		{"accept", s.Properties.Accept.Items.Properties, reflect.TypeFor[Entry]()},
	} {
		keys := strictjson.Fields(c.typ)
		for k := range keys {
			if _, ok := c.schema[k]; !ok {
				t.Errorf("%s.%s: read, not in the schema", c.name, k)
			}
		}
		for k := range c.schema {
			if _, ok := keys[k]; !ok {
				t.Errorf("%s.%s: in the schema, not read", c.name, k)
			}
		}
	}
}
