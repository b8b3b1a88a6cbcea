package apparmor

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// updateRealWorld rewrites the list of known disagreements on real
// profiles: go test ./lsm/apparmor -run TestRealWorldProfiles -args -update-realworld
var updateRealWorld = flag.Bool("update-realworld", false, "rewrite testdata/realworld/disagreements.txt")

// realWorldReport names a file to write each disagreement to, with
// rampart's error or the parser's: -args -realworld-report=FILE
var realWorldReport = flag.String("realworld-report", "", "write each real-profile disagreement with its reason to this file")

// knownRealWorld lists the packaged profiles on which rampart's verdict
// still differs from apparmor_parser's, one "FILE\tVERDICT" per line
// (VERDICT: refused when only rampart refuses, accepted when only the
// parser does; round-trip for a file both accept whose render does not
// parse back to the same model). Like the conformance list, it only
// shrinks.
const knownRealWorld = "testdata/realworld/disagreements.txt"

// realWorldPackages ship the profiles people run: Debian's own set, the
// upstream collection (enabled in /etc/apparmor.d and the rest in
// extra-profiles), and the extra set Debian maintains. scripts/deps.sh
// installs them for the test tier.
var realWorldPackages = []string{"apparmor", "apparmor-profiles", "apparmor-profiles-extra"}

// realWorldIncludes is where the packaged profiles find their includes,
// for the parser (-I) and for rampart alike; rampart's bundled stand-ins
// are left out, since the parser has none.
const realWorldIncludes = "/etc/apparmor.d"

// realWorldFiles lists the profile files the packages install: the
// top-level files of /etc/apparmor.d and of the extra-profiles
// directory. Subdirectories hold what profiles include (abstractions,
// tunables, abi, local, hats such as apache2.d), not profiles to load.
// It returns the packages that are installed.
func realWorldFiles(t *testing.T) (files, have []string) {
	seen := map[string]bool{}
	for _, pkg := range realWorldPackages {
		out, err := exec.Command("dpkg-query", "-L", pkg).Output()
		if err != nil {
			continue // not installed (or no dpkg)
		}
		have = append(have, pkg)
		for _, f := range strings.Split(string(out), "\n") {
			dir, base := filepath.Split(f)
			if dir != "/etc/apparmor.d/" && dir != "/usr/share/apparmor/extra-profiles/" || base == "README" || seen[f] {
				continue
			}
			if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	return files, have
}

// parserVerdict compiles a file with apparmor_parser as a node would
// (without loading it), within a time limit; nil when it accepts.
func parserVerdict(parser, file string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, parser, "-Q", "-K", "-I", realWorldIncludes, file)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("timed out after 20s")
		}
		return errors.New(parserMessage(stderr.String()))
	}
	return nil
}

// realWorldVerdict is nil when rampart accepts the file as the parser
// would: it parses and every profile compiles with the same includes.
// trip is whether what it accepts round-trips (render, re-parse, the
// same model), as `rampart apparmor parse` promises.
func realWorldVerdict(file string) (verdict, trip error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return err, nil
	}
	d, err := ParseDocument(file, src)
	if err != nil {
		return err, nil
	}
	inc := Includes{Dirs: []string{realWorldIncludes}, NoBundled: true}
	for _, p := range d.Profiles {
		if _, err := Compile(p, inc); err != nil {
			return err, nil
		}
	}
	_, trip = renderReparse(file, d)
	return nil, trip
}

// reasonClass groups rampart's refusals by what they say, without the
// position and the quoted specifics, so the commonest gaps stand out.
var (
	posPrefix = regexp.MustCompile(`^\S+:\d+:\d+: `)
	quoted    = regexp.MustCompile(`"[^"]*"|'[^']*'|<[^>]*>`)
)

func reasonClass(err error) string {
	s := posPrefix.ReplaceAllString(err.Error(), "")
	// A quoted construct keeps its keyword or sigil ("profile …", "^…"):
	// a child profile and a hat are different gaps.
	s = quoted.ReplaceAllStringFunc(s, func(q string) string {
		inner := q[1 : len(q)-1]
		if w, _, _ := strings.Cut(inner, " "); w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyz_") == "" && w != inner {
			return q[:1] + w + " …" + q[len(q)-1:]
		}
		if inner != "" && strings.ContainsRune("^@$", rune(inner[0])) {
			return q[:2] + "…" + q[len(q)-1:]
		}
		return q[:1] + "…" + q[len(q)-1:]
	})
	if i := strings.IndexAny(s, "(;"); i > 20 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// Every profile file Debian's AppArmor packages install is judged by
// apparmor_parser and by rampart (ParseDocument, then Compile of every
// profile), and the verdicts must agree, but for the known
// disagreements (a ratchet, like TestConformanceSuite's).
func TestRealWorldProfiles(t *testing.T) {
	parser, err := parserPath()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI installs apparmor (scripts/deps.sh test): %v", err)
		}
		t.Skipf("no apparmor_parser to judge real profiles: %v", err)
	}
	files, have := realWorldFiles(t)
	if len(files) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI installs %s (scripts/deps.sh test), but no profile file is installed", strings.Join(realWorldPackages, ", "))
		}
		t.Skipf("none of the Debian packages %s is installed (scripts/deps.sh test installs them)", strings.Join(realWorldPackages, ", "))
	}
	if len(have) < len(realWorldPackages) && os.Getenv("CI") != "" {
		t.Fatalf("CI installs %s (scripts/deps.sh test); installed: %s", strings.Join(realWorldPackages, ", "), strings.Join(have, ", "))
	}

	type verdict struct{ parser, rampart, trip error }
	verdicts := make([]verdict, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				v := verdict{parser: parserVerdict(parser, files[i])}
				v.rampart, v.trip = realWorldVerdict(files[i])
				verdicts[i] = v
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()

	var agree, both int
	var lines, got []string
	classes := map[string]int{}
	for i, f := range files {
		v := verdicts[i]
		switch {
		case v.parser == nil && v.rampart == nil:
			agree++
			if v.trip != nil {
				lines = append(lines, fmt.Sprintf("%s\tround-trip; %v", f, v.trip))
				got = append(got, f+"\tround-trip")
			}
		case v.parser != nil && v.rampart != nil:
			agree++
			both++
		case v.parser == nil:
			lines = append(lines, fmt.Sprintf("%s\trefused; %v", f, v.rampart))
			got = append(got, f+"\trefused")
			classes[reasonClass(v.rampart)]++
		default:
			lines = append(lines, fmt.Sprintf("%s\taccepted; apparmor_parser: %v", f, v.parser))
			got = append(got, f+"\taccepted")
		}
	}
	sort.Strings(got)
	kinds := map[string]int{}
	for _, g := range got {
		_, kind, _ := strings.Cut(g, "\t")
		kinds[kind]++
	}
	t.Logf("packages %s: %d profile files; agree %d (%d refused by both); refused by rampart only %d; refused by apparmor_parser only %d; accepted by both but not round-tripping %d",
		strings.Join(have, ", "), len(files), agree, both, kinds["refused"], kinds["accepted"], kinds["round-trip"])
	type class struct {
		why string
		n   int
	}
	var cs []class
	for why, n := range classes {
		cs = append(cs, class{why, n})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].n > cs[j].n || cs[i].n == cs[j].n && cs[i].why < cs[j].why })
	for _, c := range cs {
		t.Logf("  rampart refuses %3d: %s", c.n, c.why)
	}
	if *realWorldReport != "" {
		if err := os.WriteFile(*realWorldReport, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	detail := map[string]string{}
	for _, l := range lines {
		f, why, _ := strings.Cut(l, "\t")
		detail[f] = why
	}
	installed := map[string]bool{}
	for _, f := range files {
		installed[f] = true
	}
	ratchet{path: knownRealWorld, flag: "update-realworld",
		header: "# Profile files of Debian's AppArmor packages on which rampart's verdict still differs\n" +
			"# from apparmor_parser's. Written by: go test ./lsm/apparmor -run TestRealWorldProfiles -args -update-realworld\n",
		counts: func(f string) bool { return installed[f] }, // a package not installed here judges nothing
	}.check(t, got, detail, *updateRealWorld)
}
