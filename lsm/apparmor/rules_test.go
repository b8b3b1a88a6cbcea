package apparmor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// classRulesParser re-checks the recorded verdicts with apparmor_parser.
var classRulesParser = flag.Bool("classrules-parser", false, "check testdata/classrules against the installed apparmor_parser")

// classRuleProfile is how each recorded rule was fed to the parser.
func classRuleProfile(rule string) []byte { return classRuleIn("", rule) }

func classRuleIn(preamble, rule string) []byte {
	return []byte(preamble + "profile foo {\n  " + rule + "\n}\n")
}

// classRuleFiles are the recorded verdicts, each with the variables its
// rules were run with.
var classRuleFiles = []struct{ file, preamble string }{
	{"testdata/classrules/parser-3.0.8.tsv", ""},
	{"testdata/classrules/parser-3.0.8-vars.tsv", "@{V1}=one\n@{V2}=a b\n@{P}=/tmp\n@{A}=@foo\n@{E}=\"\"\n"},
}

type classRuleCase struct {
	accept bool
	rule   string
	src    []byte
}

func readClassRules(t *testing.T) []classRuleCase {
	var out []classRuleCase
	for _, f := range classRuleFiles {
		out = append(out, readClassRuleFile(t, f.file, f.preamble)...)
	}
	return out
}

func readClassRuleFile(t *testing.T, file, preamble string) []classRuleCase {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []classRuleCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		v, rule, ok := strings.Cut(l, "\t")
		if !ok || v != "accept" && v != "reject" {
			t.Fatalf("bad line %q", l)
		}
		out = append(out, classRuleCase{v == "accept", rule, classRuleIn(preamble, rule)})
	}
	return out
}

// compileDoc parses and compiles every profile, without includes.
func compileDoc(src []byte) (*Document, error) {
	d, err := ParseDocument("p", src)
	if err != nil {
		return nil, err
	}
	for _, p := range d.Profiles {
		if _, err := Compile(p, Includes{NoBundled: true}); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Each rule of the recorded set is accepted or refused as apparmor_parser
// 3.0.8 does, alone in a profile; what is accepted round-trips.
func TestClassRulesAgainstParser(t *testing.T) {
	cases := readClassRules(t)
	for _, c := range cases {
		d, err := compileDoc(c.src)
		switch {
		case c.accept && err != nil:
			t.Errorf("%q: apparmor_parser accepts it, rampart refuses: %v", c.rule, err)
		case !c.accept && err == nil:
			t.Errorf("%q: apparmor_parser refuses it, rampart accepts it as %q", c.rule, d.Profiles[0].Rules[0])
		case err == nil:
			if _, err := renderReparse("p", d); err != nil {
				t.Errorf("%q: %v", c.rule, err)
			}
		}
	}
	if !*classRulesParser {
		return
	}
	dir := conformanceDir()
	if _, err := exec.LookPath("apparmor_parser"); err != nil || dir == "" {
		t.Skip("needs apparmor_parser and the conformance suite's directory")
	}
	for _, c := range cases {
		cmd := exec.Command("apparmor_parser", "--config-file=./parser.conf", "-M", "features_files/features.all", "-Q", "-K", "-I", "simple_tests")
		cmd.Dir, cmd.Stdin = dir, bytes.NewReader(c.src)
		out, err := cmd.CombinedOutput()
		if got := err == nil && len(out) == 0; got != c.accept {
			t.Errorf("%q: recorded accept=%v, apparmor_parser says %v: %s", c.rule, c.accept, got, out)
		}
	}
}

// classRulesDiff names a file of rules, one a line, to run through both
// rampart and apparmor_parser, reporting where they differ (a tool for
// finding rules to record in testdata/classrules).
var classRulesDiff = flag.String("classrules-diff", "", "run each rule of this file through rampart and apparmor_parser and report disagreements")

func TestClassRulesDiff(t *testing.T) {
	if *classRulesDiff == "" {
		t.Skip("-classrules-diff=FILE")
	}
	dir := conformanceDir()
	b, err := os.ReadFile(*classRulesDiff)
	if err != nil || dir == "" {
		t.Fatal(err, dir)
	}
	for _, rule := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		cmd := exec.Command("apparmor_parser", "--config-file=./parser.conf", "-M", "features_files/features.all", "-Q", "-K", "-I", "simple_tests")
		cmd.Dir, cmd.Stdin = dir, bytes.NewReader(classRuleProfile(rule))
		out, err := cmd.CombinedOutput()
		parser := err == nil && len(out) == 0
		_, rerr := compileDoc(classRuleProfile(rule))
		if parser != (rerr == nil) {
			t.Errorf("%s\tapparmor_parser accept=%v %s\trampart: %v", rule, parser, strings.SplitN(string(out), "\n", 2)[0], rerr)
		}
	}
}

// The model says what the rule says, in normal form.
func TestClassRuleModels(t *testing.T) {
	for _, c := range []struct {
		rule string
		want ClassRule
		text string
	}{
		{"signal (r send,,,, receive,write,rw, send) set=(hup int) set=rtmin+001 peer=/bin/*,",
			&SignalRule{Access: SignalSend | SignalReceive, Signals: []string{"hup", "int", "rtmin+1"}, Peer: "/bin/*"},
			"signal (send, receive) set=(hup int rtmin+1) peer=/bin/*,"},
		{"signal set = hup,", &SignalRule{Signals: []string{"hup"}}, "signal set=hup,"},
		{"ptrace (w read, r rw,,,, tracedby ),", &PtraceRule{Access: PtraceRead | PtraceTrace | PtraceTracedBy},
			"ptrace (read, trace, tracedby),"},
		{"unix (connect, send, receive) type=stream peer=(label=other,addr=\"@sock\"),",
			&UnixRule{Access: UnixConnect | UnixSend | UnixReceive, Type: "stream", Peer: true, PeerLabel: "other", PeerAddr: "@sock"},
			"unix (send, receive, connect) type=stream peer=(label=other addr=@sock),"},
		{"unix peer=(label=\"splat \\\"\"),", &UnixRule{Peer: true, PeerLabel: `splat "`}, `unix peer=(label="splat \"")`},
		{"dbus bind bus=session name=org.x,", &DBusRule{Access: DBusBind, Bus: "session", Name: "org.x"},
			"dbus bind bus=session name=org.x,"},
		{"dbus send peer=(path=/a name=n),", &DBusRule{Access: DBusSend, Path: "/a", Peer: true, PeerName: "n"},
			"dbus send path=/a peer=(name=n),"},
		{"mount fstype=tmpfs options=(rw,nosuid) options in (ro) tmpfs -> /tmp/,",
			&MountRule{Op: "mount", Options: []string{"rw", "nosuid"}, OptionsIn: []string{"ro"}, FSTypes: []string{"tmpfs"}, HasSource: true, Source: "tmpfs", HasTarget: true, Target: "/tmp/"},
			"mount options=(rw nosuid) options in (ro) fstype=tmpfs tmpfs -> /tmp/,"},
		{"unmount /mnt/**,", &MountRule{Op: "umount", HasTarget: true, Target: "/mnt/**"}, "unmount /mnt/**,"},
		{"pivot_root oldroot=(/o /p) /new -> child,", &PivotRootRule{OldRoot: []string{"/o", "/p"}, NewRoot: "/new", HasProfile: true, Profile: "child"},
			"pivot_root oldroot=(/o /p) /new -> child,"},
		{"change_profile unsafe /bin/x -> \"\",", &ChangeProfileRule{Mode: "unsafe", Exec: "/bin/x", HasTarget: true},
			`change_profile unsafe /bin/x -> "",`},
		{"set rlimit rttime<=60minutes,", &RlimitRule{Name: "rttime", Value: "60", Unit: "minutes"}, "set rlimit rttime <= 60 minutes,"},
	} {
		d, err := compileDoc(classRuleProfile(c.rule))
		if err != nil {
			t.Errorf("%q: %v", c.rule, err)
			continue
		}
		r := d.Profiles[0].Rules[0]
		if !reflect.DeepEqual(r.Model, c.want) {
			g, _ := json.Marshal(r.Model)
			w, _ := json.Marshal(c.want)
			t.Errorf("%q: model %s, want %s", c.rule, g, w)
		}
		if got := r.String(); got != c.text && got != c.text+"," {
			t.Errorf("%q renders as %q, want %q", c.rule, got, c.text)
		}
	}
}

// A refusal names the line and column, and what is wrong.
func TestClassRuleErrors(t *testing.T) {
	for rule, want := range map[string]string{
		"signal set=(hup nohup),":              `p:2:10: unknown signal "nohup"`,
		"signal set=rtmin+33,":                 `p:2:10: unknown signal "rtmin+33"`,
		"ptrace (read readby peer=/dev/null),": `p:2:23: unknown ptrace access "p"`,
		"unix getattr peer=(addr=none),":       "p:2:3: unix rule: the create, shutdown",
		"unix bind addr=abcd]efg,":             `p:2:13: unix rule: invalid value for addr="abcd]efg"`,
		"dbus bind bus=session member=blort,":  "p:2:3: dbus rule: the bind access cannot be used with message conditionals",
		"mount options=(suidXXX) /a -> /1,":    `p:2:9: unsupported mount option "suidXXX"`,
		"mount options=(private) /a -> /1,":    "p:2:3: mount rule cannot be encoded",
		"change_profile safe -> baz,":          "p:2:3: change_profile: an exec condition is required with safe",
		"set rlimit rttime <= 60 m,":           "p:2:24: rlimit rttime: invalid value 60 m",
		"dbus send path=@{MISSING_VAR}/x,":     "p:2:3: variable @{MISSING_VAR} is used but never assigned",
	} {
		_, err := compileDoc(classRuleProfile(rule))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error %v, want %s...", rule, err, want)
		}
	}
}

// Two change_profile rules for one exec and target, one unsafe and one
// not, conflict, also across an include.
func TestChangeProfileConflict(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "inc"), []byte("change_profile unsafe /bin/x -> /t,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for src, ok := range map[string]bool{
		"profile p {\n  change_profile safe /bin/x -> /t,\n  change_profile /bin/x -> /t,\n}\n":             true,
		"profile p {\n  change_profile unsafe /bin/x -> /t,\n  change_profile unsafe /bin/x -> /t,\n}\n":    true,
		"profile p {\n  change_profile safe /bin/x -> /t,\n  change_profile unsafe /bin/x -> /u,\n}\n":      true,
		"profile p {\n  change_profile unsafe /bin/x -> /t,\n  deny change_profile /bin/x -> /t,\n}\n":      true,
		"profile p {\n  change_profile safe /bin/x -> /t,\n  change_profile unsafe /bin/x -> /t,\n}\n":      false,
		"profile p {\n  change_profile unsafe /bin/x,\n  change_profile /bin/x,\n}\n":                       false,
		"profile p {\n  change_profile /bin/x -> /t,\n  include \"" + filepath.Join(dir, "inc") + "\"\n}\n": false,
	} {
		d, err := ParseDocument("p", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Compile(d.Profiles[0], Includes{NoBundled: true})
		if (err == nil) != ok {
			t.Errorf("%s: compile error %v, want ok=%v", src, err, ok)
		}
	}
}

// Evaluation names the rule classes it does not read, with includes,
// and does not guess under them.
func TestEvalNamesClassesNotEvaluated(t *testing.T) {
	p := mustProfile(t, `profile p {
  /etc/** r,
  mount options=(ro) /dev/sda1 -> /mnt/,
  dbus send bus=system,
  umount /mnt/,
  deny ptrace,
}`)
	c, err := Compile(p, Includes{NoBundled: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"/etc/passwd r", "network inet tcp", "capability net_raw"} {
		acc, err := ParseAccess(a)
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Eval(acc)
		if err != nil {
			t.Fatal(err)
		}
		// The ptrace rule is read (evalPtrace); the conditional mount
		// and umount rules and the dbus rule are not.
		if d.NotEvaluated != "mount, dbus rules (3 rules)" {
			t.Errorf("%s: NotEvaluated %q", a, d.NotEvaluated)
		}
	}
	if d, err := c.Eval(Access{Class: ClassPtrace, Ptrace: PtraceRead, Peer: "unconfined"}); err != nil || d.Allowed || d.Rule == nil || d.Rule.Pos.Line != 6 {
		t.Errorf("deny ptrace: %+v, %v", d, err)
	}
	if _, err := c.Eval(Access{Class: ClassMount, Op: "mount", FSType: "tmpfs", Path: "/mnt"}); err == nil {
		t.Error("a mount under a conditional mount rule was decided")
	}
	plain, err := Compile(mustProfile(t, "profile q {\n  /etc/** r,\n}\n"), Includes{NoBundled: true})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := plain.Eval(Access{Class: ClassFile, Path: "/etc/x", Perms: PermRead}); d.NotEvaluated != "" {
		t.Errorf("a profile of file rules only: NotEvaluated %q", d.NotEvaluated)
	}
}

// FuzzClassRule feeds rule text of the classes rampart validates: it
// never panics, and what it accepts renders, re-parses to the same
// model, and renders the same again; compiling it does not panic.
func FuzzClassRule(f *testing.F) {
	for _, cf := range classRuleFiles {
		b, err := os.ReadFile(cf.file)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if _, rule, ok := strings.Cut(l, "\t"); ok && !strings.HasPrefix(l, "#") {
				f.Add(rule)
			}
		}
	}
	f.Fuzz(func(t *testing.T, rule string) {
		if len(rule) > 1024 {
			return
		}
		d, err := ParseDocument("fuzz", classRuleProfile(rule))
		if err != nil {
			return
		}
		if _, err := renderReparse("fuzz", d); err != nil {
			t.Fatalf("%q: %v", rule, err)
		}
		for _, p := range d.Profiles {
			if c, err := Compile(p, Includes{NoBundled: true}); err == nil {
				c.NotEvaluated()
			}
		}
	})
}

// apparmor_parser takes a parenthesis inside a word for a character of
// it (dbus name=b) names "b)", /a( r, is a file rule), opens a group
// only at the start of a word or a value, and lets an access list follow
// signal, dbus, ptrace and unix without a space: signal(send) is
// signal (send). Each verdict was measured; the compiled policy of
// name=b) and name="b)" is the same.
func TestParenthesesInsideWords(t *testing.T) {
	ok := []string{
		"dbus name=b),", "dbus name=b(,", "dbus name=b(c),", "dbus name=b)c,", "signal peer=b),",
		"ptrace peer=b),", "signal (send) peer=b),", "/a) r,", "/a( r,", "/a(b) r,",
		"signal(send),", "dbus(send),", "ptrace(read),", "unix(send),", "audit signal(send),",
		"signal(send)peer=x,", "mount options=(ro) /a( -> /b),", "change_profile /a) -> a),",
	}
	for _, r := range ok {
		if _, err := compileSrc("profile p {\n  " + r + "\n}\n"); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	for r, want := range map[string]string{
		"dbus name=(b)),":      "p:2:16: `)` closes no `(`",
		"dbus name=b ),":       "p:2:15: `)` closes no `(`",
		"dbus ) name=b,":       "p:2:8: `)` closes no `(`",
		"signal set=(hup)),":   "p:2:19: `)` closes no `(`",
		"signal set=hup),":     `unknown signal "hup)"`,
		"unix addr=b),":        `invalid value for addr="b)"`,
		"mount options=ro),":   `unsupported mount option "ro)"`,
		"mount(ro),":           `unknown rule "mount(ro)"`,
		"pivot_root(x),":       `unknown rule "pivot_root(x)"`,
		"dbus(send)(receive),": `unexpected "(receive)"`,
		"signal send),":        "p:2:14: `)` closes no `(`",
		"signal(send,":         "p:2:9: `(` is not closed",
		"/a(b c) r,":           `unknown permission "c"`,
	} {
		_, err := compileSrc("profile p {\n  " + r + "\n}\n")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %s", r, err, want)
		}
	}
}

// Where pivot_root's new root stands, apparmor_parser 3.0.8 lexes a
// keyword or a permission word as such and refuses the rule (pivot_root
// deny, is a syntax error), while other words are paths. Each word here
// was run through the parser.
func TestPivotRootNewRootIsNoKeyword(t *testing.T) {
	for _, w := range []string{"deny", "safe", "unsafe", "audit", "owner", "user", "allow", "in", "send", "peer",
		"trace", "bind", "file", "mount", "if", "else", "profile", "hat", "subset", "defined", "not",
		"x", "r", "rw", "all", "ix", "PUx", "pxix", "iX"} {
		_, err := compileSrc("profile p {\n  pivot_root " + w + ",\n}\n")
		if err == nil || !strings.Contains(err.Error(), "p:2:14: pivot_root: \""+w+"\" is a keyword or permissions") {
			t.Errorf("pivot_root %s: %v", w, err)
		}
	}
	for _, w := range []string{"quiet", "kill", "priority", "complain", "include", "exists", "to", "exec",
		"label", "ab", "iu", "px1", "ppx", "A", "K", "i", "p", "/x", "-> deny"} {
		if _, err := compileSrc("profile p {\n  pivot_root " + w + ",\n}\n"); err != nil {
			t.Errorf("pivot_root %s: %v", w, err)
		}
	}
}
