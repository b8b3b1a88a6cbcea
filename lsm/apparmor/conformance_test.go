package apparmor

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// updateConformance rewrites the list of known disagreements:
// go test ./lsm/apparmor -run TestConformanceSuite -args -update-conformance
var updateConformance = flag.Bool("update-conformance", false, "rewrite testdata/conformance/disagreements.txt")

// conformanceReport names a file to write each disagreement to, with
// rampart's error or the parser's: -args -conformance-report=FILE
var conformanceReport = flag.String("conformance-report", "", "write each disagreement with its reason to this file")

// knownDisagreements lists the suite's tests on which rampart's verdict
// still differs from apparmor_parser's, one "FILE\tVERDICT" per line
// (VERDICT: accepted, refused; round-trip for a test both accept whose
// render does not parse back to the same model). The
// test fails on any disagreement not listed (a regression) and on any
// listed test that now agrees (so the list only shrinks).
const knownDisagreements = "testdata/conformance/disagreements.txt"

// conformanceDir finds AppArmor 3.0.8's parser test suite beside the
// repository (as CI lays it out), or at the workplace's path.
func conformanceDir() string {
	for _, d := range []string{"../../../shared/conformance/apparmor-3.0.8", "/work/shared/conformance/apparmor-3.0.8"} {
		if st, err := os.Stat(filepath.Join(d, "parser-3.0.8-verdicts.tsv")); err == nil && st.Mode().IsRegular() {
			abs, _ := filepath.Abs(d)
			return abs
		}
	}
	return ""
}

// conformanceCase is one test of the suite with the real parser's verdict.
type conformanceCase struct {
	file   string // under simple_tests/
	expect string // the file's EXRESULT
	accept bool   // what apparmor_parser 3.0.8 did
	msg    string // its first error line
}

func readVerdicts(t *testing.T, dir string) []conformanceCase {
	f, err := os.Open(filepath.Join(dir, "parser-3.0.8-verdicts.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []conformanceCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		fs := strings.Split(line, "\t")
		if len(fs) < 3 {
			t.Fatalf("verdicts: bad line %q", line)
		}
		c := conformanceCase{file: fs[0], expect: fs[1], accept: fs[2] == "accept"}
		if len(fs) > 3 {
			c.msg = fs[3]
		}
		out = append(out, c)
	}
	return out
}

// suiteInput is what the suite's runner feeds the parser: the file
// without its #= header lines, and nothing after #=DISABLED.
func suiteInput(b []byte) []byte {
	var out bytes.Buffer
	for _, l := range bytes.SplitAfter(b, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("#=DISABLED")) {
			break
		}
		if bytes.HasPrefix(l, []byte("#=")) {
			continue
		}
		out.Write(l)
	}
	return out.Bytes()
}

// rampartVerdict is nil when rampart accepts the input as the parser
// would: it parses and every profile compiles with its includes.
func rampartVerdict(dir string, src []byte) error {
	d, err := ParseDocument("-", src)
	if err != nil {
		return err
	}
	inc := Includes{Dirs: []string{filepath.Join(dir, "simple_tests")}, NoBundled: true}
	var compile func(p *Profile) error
	compile = func(p *Profile) error {
		c, err := Compile(p, inc)
		if err != nil {
			return err
		}
		for _, k := range c.Children() {
			if err := compile(k); err != nil {
				return err
			}
		}
		return nil
	}
	for _, p := range d.Profiles {
		if err := compile(p); err != nil {
			return err
		}
	}
	return nil
}

func TestConformanceSuite(t *testing.T) {
	dir := conformanceDir()
	if dir == "" {
		t.Skip("AppArmor's parser test suite is not beside the repository (../shared/conformance/apparmor-3.0.8)")
	}
	cases := readVerdicts(t, dir)
	wd, _ := os.Getwd()
	// Quoted includes are relative to the runner's directory, which is
	// AppArmor's parser/tst: some tests reach their helpers through
	// "../tst/simple_tests/...". Run from a directory named tst that
	// links to the suite.
	tst := filepath.Join(t.TempDir(), "tst")
	if err := os.Mkdir(tst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "simple_tests"), filepath.Join(tst, "simple_tests")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(tst); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var aa, rr int
	var accWrong, refWrong, trips []string
	for _, c := range cases {
		b, err := os.ReadFile(filepath.Join(dir, "simple_tests", c.file))
		if err != nil {
			t.Fatal(err)
		}
		src := suiteInput(b)
		err = rampartVerdict(dir, src)
		switch {
		case c.accept && err == nil:
			aa++
			// apparmor parse round-trips what both accept: render,
			// re-parse, the same model.
			d, _ := ParseDocument(c.file, src)
			if _, err := renderReparse(c.file, d); err != nil {
				trips = append(trips, fmt.Sprintf("%s\tround-trip; %v", c.file, err))
			}
		case !c.accept && err != nil:
			rr++
		case c.accept:
			refWrong = append(refWrong, fmt.Sprintf("%s\trefused; %v", c.file, err))
		default:
			accWrong = append(accWrong, fmt.Sprintf("%s\taccepted; apparmor_parser: %s", c.file, c.msg))
		}
	}
	sort.Strings(accWrong)
	sort.Strings(refWrong)
	t.Logf("%d tests: accepted by both %d, refused by both %d; apparmor_parser accepts and rampart refuses %d; apparmor_parser refuses and rampart accepts %d",
		len(cases), aa, rr, len(refWrong), len(accWrong))
	if len(trips) > 0 {
		t.Logf("%d tests accepted by both do not round-trip", len(trips))
	}
	all := append(append(append([]string(nil), refWrong...), accWrong...), trips...)
	if *conformanceReport != "" {
		body := strings.Join(all, "\n") + "\n"
		if err := os.WriteFile(*conformanceReport, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, l := range all {
		f, why, _ := strings.Cut(l, "\t")
		got = append(got, f+"\t"+strings.SplitN(why, ";", 2)[0])
	}
	sort.Strings(got)
	detail := map[string]string{}
	for _, l := range all {
		f, why, _ := strings.Cut(l, "\t")
		detail[f] += why
	}
	ratchet{path: filepath.Join(wd, knownDisagreements), flag: "update-conformance",
		header: "# Tests of AppArmor 3.0.8's parser suite on which rampart's verdict still differs\n" +
			"# from apparmor_parser's. Written by: go test ./lsm/apparmor -run TestConformanceSuite -args -update-conformance\n",
	}.check(t, got, detail, *updateConformance)
}
