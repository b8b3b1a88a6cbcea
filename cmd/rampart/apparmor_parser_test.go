//go:build linux

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// parserDir holds a profile apparmor_parser 3.0.8 refuses (a one-item
// alternation, {shadow}) and a pod that names it.
const (
	parserDir     = "testdata/apparmor-parser"
	parserRefuses = parserDir + "/parser-refuses"
	parserPod     = parserDir + "/pod.yaml"
	parserMsg     = "Invalid number of items between {}"
	// aloneNote is what every command says when no parser judged.
	aloneNote = "parser alone, not compiled by apparmor_parser"
)

// strictMsg is what strictParser says of every profile.
const strictMsg = "stricter than this release: refused"

// strictParser is an apparmor_parser that refuses every profile after
// the real one has compiled it: the nodes' parser, stricter than the one
// installed here, for the commands whose profiles rampart writes itself
// (rampart and the installed parser agree on them).
func strictParser(t *testing.T) string {
	t.Helper()
	needParser(t)
	real, err := exec.LookPath("apparmor_parser")
	if err != nil {
		real = "/usr/sbin/apparmor_parser"
	}
	p := filepath.Join(t.TempDir(), "apparmor_parser")
	script := "#!/bin/sh\n'" + real + "' \"$@\" || exit\necho \"" + strictMsg + "\" >&2\nexit 1\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// needParser skips where apparmor_parser is missing; CI installs it
// (scripts/deps.sh test), so there it fails instead.
func needParser(t *testing.T) {
	t.Helper()
	if err := apparmor.CheckCompile("seed", []byte("profile seed {\n  file,\n}\n")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI installs apparmor (scripts/deps.sh test): %v", err)
		}
		t.Skipf("apparmor_parser is not installed: %v", err)
	}
}

// hideParser makes the rampart processes this test starts find no
// apparmor_parser: PATH without it, and the variable that would name
// one pointing at nothing, which also bars the sbin fallbacks.
func hideParser(t *testing.T) {
	t.Helper()
	var keep []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "apparmor_parser")); err != nil {
			keep = append(keep, d)
		}
	}
	t.Setenv("PATH", strings.Join(keep, string(os.PathListSeparator)))
	t.Setenv(apparmor.ParserEnv, filepath.Join(t.TempDir(), "apparmor_parser"))
	if _, err := exec.LookPath("apparmor_parser"); err == nil {
		t.Fatal("apparmor_parser is still on PATH")
	}
}

// rampartAccepts logs whether rampart's own parser takes the file: the
// refusal the test checks must be the parser's whichever it is.
func rampartAccepts(t *testing.T, file string) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d, err := apparmor.ParseDocument(file, src)
	if err == nil {
		_, err = apparmor.Compile(d.Profiles[0], apparmor.SystemIncludes)
	}
	t.Logf("rampart's own parser on %s: %v", file, err)
}

// mustRefuse checks a command's refusal: its status and the parser's own
// message naming the file.
func mustRefuse(t *testing.T, r result, code int, file, msg string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, code, r.stderr)
	}
	if want := "apparmor_parser -Q -K refuses " + file + ": "; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, msg) {
		t.Fatalf("stderr does not carry the parser's refusal of %s (%q):\n%s", file, msg, r.stderr)
	}
}

// Every command that decides on a profile a node would load refuses
// what apparmor_parser refuses, with its message and the file.
func TestParserRefusesProfile(t *testing.T) {
	needParser(t)
	rampartAccepts(t, parserRefuses)

	t.Run("apparmor eval", func(t *testing.T) {
		for _, o := range []string{"text", "json"} {
			r := rampart(t, "", "apparmor", "eval", "-o", o, parserRefuses, "/etc/shadow r")
			mustRefuse(t, r, 125, parserRefuses, parserMsg)
			if r.stdout != "" {
				t.Errorf("-o %s: a decision under a profile that never loads: %s", o, r.stdout)
			}
		}
		// The same profile from standard input is named as such.
		src, _ := os.ReadFile(parserRefuses)
		mustRefuse(t, rampart(t, string(src), "apparmor", "eval", "-", "/etc/shadow r"), 125, "<stdin>", parserMsg)
		// Both refuse: rampart's positioned error first, the parser's after.
		r := rampart(t, "profile p flags=(debug) {\n  file,\n}\n", "apparmor", "eval", "-", "/x r")
		mustRefuse(t, r, 125, "<stdin>", "Profile flag 'debug' is no longer valid")
		switch own := strings.Index(r.stderr, "rampart: <stdin>:1:"); {
		case own < 0:
			t.Logf("rampart's own parser does not refuse the flag debug: %q", r.stderr)
		case own > strings.Index(r.stderr, "apparmor_parser -Q -K refuses"):
			t.Errorf("rampart's positioned error comes after the parser's: %q", r.stderr)
		}
		// What the parser accepts, it says it judged.
		r = rampart(t, "", "apparmor", "eval", "-o", "json", seedProfile, "/etc/shadow r")
		var ds []struct {
			ValidatedBy []string `json:"validatedBy"`
			Note        string   `json:"validationNote"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &ds); err != nil || len(ds) != 1 {
			t.Fatalf("exit %d: %v: %s%s", r.code, err, r.stdout, r.stderr)
		}
		if strings.Join(ds[0].ValidatedBy, ",") != "rampart,apparmor_parser" || ds[0].Note != "" || strings.Contains(r.stderr, aloneNote) {
			t.Errorf("validatedBy %q, note %q, stderr %q", ds[0].ValidatedBy, ds[0].Note, r.stderr)
		}
	})

	t.Run("audit --profiles", func(t *testing.T) {
		args := []string{"audit", "--apparmor-node", "--profiles", parserDir, parserPod}
		r := rampart(t, "", args...)
		if r.code != 0 {
			t.Fatalf("exit %d without --fail-on: %s", r.code, r.stderr)
		}
		for _, want := range []string{"REFUSED       the node cannot load AppArmor profile \"parser-refuses\"", "[refused by apparmor_parser]",
			"error: apparmor_parser -Q -K refuses " + filepath.Join(parserDir, "parser-refuses") + ": ", parserMsg, "1 refused"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("table lacks %q:\n%s", want, r.stdout)
			}
		}
		// The pod is baseline: only the refused profile fails the gate.
		r = rampart(t, "", append(args, "--fail-on", "baseline", "-o", "json")...)
		mustRefuse(t, r, 1, filepath.Join(parserDir, "parser-refuses"), parserMsg)
		var rep struct {
			Errors []struct {
				File, Message string
			}
			Workloads []struct {
				Containers []struct{ Refused string }
			}
			Validation *apparmor.Validation `json:"apparmorValidation"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Errors) != 1 || rep.Errors[0].File != filepath.Join(parserDir, "parser-refuses") || !strings.Contains(rep.Errors[0].Message, parserMsg) {
			t.Errorf("errors %+v", rep.Errors)
		}
		if len(rep.Workloads) != 1 || rep.Workloads[0].Containers[0].Refused == "" {
			t.Errorf("the container is not refused: %+v", rep.Workloads)
		}
		if rep.Validation == nil || strings.Join(rep.Validation.By, ",") != "rampart,apparmor_parser" || rep.Validation.Note != "" {
			t.Errorf("apparmorValidation %+v", rep.Validation)
		}
	})

	t.Run("harden", func(t *testing.T) {
		// A profile the nodes' parser refuses (a stricter version
		// stands in): a node could not load the profile the manifest
		// would name.
		t.Setenv(apparmor.ParserEnv, strictParser(t))
		out := t.TempDir()
		r := rampart(t, "", "harden", "--out", out, "../../examples/seed/0-baseline.yaml")
		mustRefuse(t, r, 1, "rampart-flask-app-flask", strictMsg)
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Errorf("harden wrote %v for a profile the parser refuses", entries)
		}
	})

	t.Run("run --lsm-fallback", func(t *testing.T) {
		if features.HaveAppArmor() == nil {
			t.Skip("this kernel has AppArmor: the profile is loaded by apparmor_parser -r, not stood in for")
		}
		marker := filepath.Join(t.TempDir(), "ran")
		r := rampart(t, "", argv([]string{"--apparmor", parserRefuses, "--lsm-fallback", "landlock"}, []string{"touch", marker})...)
		mustRefuse(t, r, 125, parserRefuses, parserMsg)
		if _, err := os.Stat(marker); err == nil {
			t.Error("the command ran under a profile the parser refuses")
		}
	})
}

// Without apparmor_parser every such command says, once, that
// validation was rampart's alone.
func TestParserMissingSaysSo(t *testing.T) {
	hideParser(t)
	once := func(t *testing.T, s string) {
		t.Helper()
		if n := strings.Count(s, aloneNote); n != 1 {
			t.Errorf("says %d times that validation was rampart's alone, want once:\n%s", n, s)
		}
	}

	t.Run("apparmor eval", func(t *testing.T) {
		r := rampart(t, "", "apparmor", "eval", seedProfile, "/etc/shadow r", "/etc/passwd r")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		once(t, r.stderr)
		r = rampart(t, "", "apparmor", "eval", "-o", "json", seedProfile, "/etc/shadow r")
		var ds []struct {
			ValidatedBy []string `json:"validatedBy"`
			Note        string   `json:"validationNote"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &ds); err != nil || len(ds) != 1 {
			t.Fatalf("exit %d: %v: %s%s", r.code, err, r.stdout, r.stderr)
		}
		if strings.Join(ds[0].ValidatedBy, ",") != "rampart" || !strings.Contains(ds[0].Note, aloneNote) {
			t.Errorf("validatedBy %q, note %q", ds[0].ValidatedBy, ds[0].Note)
		}
		if strings.Contains(r.stderr, aloneNote) {
			t.Errorf("-o json says it on standard error too: %s", r.stderr)
		}
	})

	t.Run("audit --profiles", func(t *testing.T) {
		args := []string{"audit", "--apparmor-node", "--profiles", "../../examples/seed", "../../examples/seed"}
		r := rampart(t, "", args...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		once(t, r.stderr)
		r = rampart(t, "", append(args, "-o", "json")...)
		var rep struct {
			Validation *apparmor.Validation `json:"apparmorValidation"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Validation == nil || strings.Join(rep.Validation.By, ",") != "rampart" || !strings.Contains(rep.Validation.Note, aloneNote) {
			t.Errorf("apparmorValidation %+v", rep.Validation)
		}
		r = rampart(t, "", append(args, "-o", "sarif")...)
		var log struct {
			Runs []struct {
				Invocations []struct {
					Notifications []struct {
						Level   string
						Message struct{ Text string }
					} `json:"toolExecutionNotifications"`
				}
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
			t.Fatal(err)
		}
		if inv := log.Runs[0].Invocations; len(inv) != 1 || len(inv[0].Notifications) != 1 || inv[0].Notifications[0].Level != "note" ||
			!strings.Contains(inv[0].Notifications[0].Message.Text, aloneNote) {
			t.Errorf("SARIF invocations %+v", inv)
		}
		r = rampart(t, "", append(args, "-o", "junit")...)
		once(t, r.stdout)
		if !strings.Contains(r.stdout, `<testsuite name="AppArmor profiles: validation"`) {
			t.Errorf("JUnit has no validation suite:\n%s", r.stdout)
		}
		// With no AppArmor profile file to judge, there is nothing to say.
		r = rampart(t, "", "audit", "-o", "json", "../../examples/seed/0-baseline.yaml")
		if strings.Contains(r.stdout, "apparmorValidation") || strings.Contains(r.stderr, aloneNote) {
			t.Errorf("a note with no profile read: %s%s", r.stdout, r.stderr)
		}
	})

	t.Run("harden", func(t *testing.T) {
		r := rampart(t, "", "harden", "--out", t.TempDir(), "../../examples/seed/0-baseline.yaml", "../../examples/seed/1-drop-net-raw.yaml")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		once(t, r.stderr)
	})

	t.Run("run --lsm-fallback", func(t *testing.T) {
		needRoot(t)
		if features.HaveAppArmor() == nil {
			t.Skip("this kernel has AppArmor: the profile is loaded by apparmor_parser -r, not stood in for")
		}
		r := rampart(t, "", argv([]string{"--apparmor", seedProfile, "--lsm-fallback", "landlock"}, readPasswd)...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		once(t, r.stderr)
	})
}

// The parser runs once per distinct profile file in a command, however
// many containers name it and accesses are decided under it.
func TestParserRunsOncePerFile(t *testing.T) {
	needParser(t)
	real, err := exec.LookPath("apparmor_parser")
	if err != nil {
		real = "/usr/sbin/apparmor_parser"
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "runs")
	wrapper := filepath.Join(dir, "apparmor_parser")
	script := "#!/bin/sh\necho run >> '" + log + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(apparmor.ParserEnv, wrapper)
	runs := func(t *testing.T, want int, args ...string) {
		t.Helper()
		os.Remove(log)
		r := rampart(t, "", args...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		b, _ := os.ReadFile(log)
		if n := strings.Count(string(b), "run"); n != want {
			t.Errorf("%v: apparmor_parser ran %d times, want %d", args, n, want)
		}
	}
	// Three containers of one manifest name the seed's profile.
	pods := filepath.Join(dir, "pods.yaml")
	var b strings.Builder
	for _, n := range []string{"a", "b", "c"} {
		b.WriteString("---\napiVersion: v1\nkind: Pod\nmetadata: {name: " + n + "}\nspec:\n  containers:\n    - name: " + n +
			"\n      image: nginx\n      securityContext:\n        appArmorProfile: {type: Localhost, localhostProfile: flask-deny-shadow}\n")
	}
	if err := os.WriteFile(pods, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	runs(t, 1, "audit", "--apparmor-node", "--profiles", "../../examples/seed", pods, "../../examples/seed/3-apparmor.yaml")
	runs(t, 1, "apparmor", "eval", seedProfile, "/etc/shadow r", "/etc/passwd r", "network inet raw")
	// harden: a profile per container, the same rules: one compile.
	bare := filepath.Join(dir, "bare.yaml")
	var bb strings.Builder
	for _, n := range []string{"a", "b", "c"} {
		bb.WriteString("---\napiVersion: v1\nkind: Pod\nmetadata: {name: " + n + "}\nspec:\n  containers:\n    - {name: " + n + ", image: nginx}\n")
	}
	if err := os.WriteFile(bare, []byte(bb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	runs(t, 1, "harden", "--out", out, bare)
	if ps, _ := filepath.Glob(filepath.Join(out, "rampart-*")); len(ps) != 3 {
		t.Errorf("harden wrote profiles %v, want 3", ps)
	}
}
