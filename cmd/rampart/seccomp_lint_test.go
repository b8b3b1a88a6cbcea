//go:build linux && cgo && seccomp

package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/seccomp/lint"
)

// lintJSON runs `rampart seccomp lint -o json ARGS...` and decodes it.
func lintJSON(t *testing.T, args ...string) lint.Report {
	t.Helper()
	r := rampart(t, "", append([]string{"seccomp", "lint", "-o", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("lint %v: exit %d: %s", args, r.code, r.stderr)
	}
	var rep lint.Report
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("lint %v: %v\n%s", args, err, r.stdout)
	}
	return rep
}

// errnoNamed is the errno an action string ends with:
// "SCMP_ACT_ERRNO(EACCES)" is 13.
func errnoNamed(t *testing.T, action string) int64 {
	t.Helper()
	_, name, ok := strings.Cut(strings.TrimSuffix(action, ")"), "(")
	if !ok {
		t.Fatalf("%s: no errno", action)
	}
	for e := syscall.Errno(1); e < 4096; e++ {
		if unix.ErrnoName(e) == name {
			return int64(e)
		}
	}
	if n, err := strconv.Atoi(name); err == nil {
		return int64(n)
	}
	t.Fatalf("%s: unknown errno %q", action, name)
	return 0
}

func callString(c lint.Call) string {
	return fmt.Sprintf("%s %s(%s)", c.Arch, c.Syscall, strings.Join(c.Args[:], ", "))
}

func callerCallOf(t *testing.T, c lint.Call) callerCall {
	t.Helper()
	cc := callerCall{ABI: callerSyscall, Nr: c.Nr}
	if c.Arch == "x86" {
		cc.ABI = callerInt80
	}
	for i, a := range c.Args {
		v, err := strconv.ParseUint(strings.TrimPrefix(a, "0x"), 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		cc.Args[i] = v
	}
	return cc
}

// For every variant `seccomp lint` reports on the crafted profiles, the
// kernel agrees under `rampart run --seccomp PROFILE`: the refused call
// gets the deny's errno, and each call of the variant gets past the
// profile. The calls are made by testdata/seccompcaller.c under its
// safety net, so none of them runs: a call the profile lets through
// comes back ENOSYS from the net's SECCOMP_RET_TRACE, a refused one with
// the profile's own errno (the crafted denies answer EACCES or EPERM,
// never ENOSYS). i386 calls are made where the kernel runs them.
func TestLintVariantsPassUnderRun(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	callerCheckNet(t)
	caller := buildCaller(t)
	env := []string{"RAMPART_CACHE_DIR=" + t.TempDir()}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	i386 := features.HaveIA32()
	checked := map[string]int{}
	for _, file := range []string{"flag-eq.json", "ioctl-eq64.json", "clone-eq.json", "clone-masked.json", "unshare-only.json",
		"mount-only.json", "open-only.json", "ptrace-only.json", "init-module-only.json", "socket-i386.json",
		"socket-x86_64.json", "flag-masked.json", "spo-unshare.yaml", "refuses-execve.json"} {
		t.Run(file, func(t *testing.T) {
			profile := lintData + file
			if file == "refuses-execve.json" {
				// rampart run refuses it (125): lint says so too, as an error
				rep := lintJSON(t, profile)
				if !slices.ContainsFunc(rep.Profiles[0].Findings, func(f lint.Finding) bool { return f.Check == lint.CheckRefusesStart && f.Severity == lint.Error }) {
					t.Errorf("lint does not say rampart run refuses it")
				}
				if r := rampart(t, "", "run", "--seccomp", profile, "--", "true"); r.code != exitRefused {
					t.Errorf("rampart run: exit %d, want %d: %s", r.code, exitRefused, r.stderr)
				}
				return
			}
			rep := lintJSON(t, profile)
			var calls []callerCall
			var want []int64
			var what []string
			skipped := 0
			for _, f := range rep.Profiles[0].Findings {
				switch f.Check {
				case lint.CheckArgumentVariant, lint.CheckABIVariant, lint.CheckSibling:
				default:
					continue
				}
				for _, v := range f.Variants {
					if !v.Live {
						skipped++
						continue
					}
					deny := errnoNamed(t, v.DenyAction)
					if deny == int64(unix.ENOSYS) {
						t.Fatalf("%s: a deny answering ENOSYS cannot be told from the net", f.Rule)
					}
					calls = append(calls, callerCallOf(t, v.Refused))
					want = append(want, -deny)
					what = append(what, fmt.Sprintf("%s: refused %s", f.Check, callString(v.Refused)))
					for _, c := range v.Calls {
						calls = append(calls, callerCallOf(t, c))
						want = append(want, -int64(unix.ENOSYS))
						what = append(what, fmt.Sprintf("%s (%s): %s", f.Check, v.Kind, callString(c)))
					}
				}
			}
			if skipped > 0 {
				t.Logf("%d variant(s) on ABIs this kernel does not run left out (%v)", skipped, i386)
			}
			if len(calls) == 0 {
				if file == "socket-i386.json" && i386 != nil {
					t.Skipf("its variant is i386's socketcall: %v", i386)
				}
				t.Logf("no variant to ask the kernel about")
				return
			}
			run := callerLaunch(t, caller, env, []string{"--seccomp", profile}, calls, 0)
			if run.err != nil {
				t.Fatal(run.err)
			}
			for i, o := range run.obs {
				if o.How != howReturned || o.Ret != want[i] {
					t.Errorf("%s: %s, want returned %d", what[i], o, want[i])
				}
			}
			checked[file] = len(calls)
			t.Logf("%d calls: the kernel agrees with lint (%s)", len(calls), run.summary())
		})
	}
	// the flagged profiles had variants to ask about; their close cases
	// had no finding of that class, so nothing was asked
	for _, f := range []string{"flag-eq.json", "ioctl-eq64.json", "clone-eq.json", "unshare-only.json", "mount-only.json", "open-only.json", "ptrace-only.json", "init-module-only.json", "spo-unshare.yaml"} {
		if checked[f] == 0 {
			t.Errorf("%s: no variant was checked by the kernel", f)
		}
	}
}

// An ENOSYS deny's fallback: unshare answers ENOSYS, and the kernel lets
// clone(CLONE_NEWNS) and clone3 through, as lint says. The net cannot
// tell the profile's ENOSYS from its own, so the calls run for real
// (testdata/nrcall.c): unshare answers 38, clone makes its child (both
// print 0, or the capability layer's EPERM), clone3 reads its struct
// (EFAULT at the placeholder pointer) — anything but the profile's 38.
func TestLintFallbackPassesUnderRun(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	profile := lintData + "enosys-unshare.json"
	rep := lintJSON(t, profile)
	var variants []lint.Variant
	for _, f := range rep.Profiles[0].Findings {
		if f.Check == lint.CheckFallback {
			variants = append(variants, f.Variants...)
		}
	}
	var names []string
	for _, v := range variants {
		names = append(names, v.Calls[0].Syscall)
	}
	if !slices.Equal(names, []string{"clone", "clone3"}) {
		t.Fatalf("fallbacks %v, want clone and clone3", names)
	}
	dir := t.TempDir()
	nrcall := filepath.Join(dir, "nrcall")
	if out, err := exec.Command("gcc", "-O1", "-static", "-o", nrcall, "testdata/nrcall.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	call := func(c lint.Call) string {
		t.Helper()
		args := []string{"run", "--seccomp", profile, "--", nrcall, strconv.Itoa(int(c.Nr))}
		for _, a := range c.Args[:3] {
			args = append(args, a)
		}
		r := rampart(t, "", args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	if got := call(variants[0].Refused); got != "38" {
		t.Errorf("unshare under the profile: %q, want 38 (ENOSYS, the profile's)", got)
	}
	for _, v := range variants {
		got := call(v.Calls[0])
		if got == "" || strings.Contains(got, "38") {
			t.Errorf("%s under the profile: %q: the filter refused it", callString(v.Calls[0]), got)
		}
		t.Logf("%s under the profile: %s", callString(v.Calls[0]), strings.ReplaceAll(got, "\n", " "))
	}
}

// --fail-on: exit 1 at the severity or above, 0 below; bad values are
// usage errors. The table names the rule's place and the fix.
func TestLintFailOnAndTable(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"--fail-on", "warning", lintData + "flag-eq.json"}, 1},
		{[]string{"--fail-on", "error", lintData + "flag-eq.json"}, 0},
		{[]string{"--fail-on", "error", lintData + "conflict.json"}, 1},
		{[]string{"--fail-on", "warning", lintData + "arch-native.json"}, 0},
		{[]string{"--fail-on", "info", lintData + "arch-native.json"}, exitUsage},
		{[]string{"-o", "xml", lintData + "arch-native.json"}, exitUsage},
		{[]string{"runtime-default:rkt"}, exitUsage},
		{[]string{"--fail-on", "warning", "runtime-default:podman"}, 1}, // its setns conflict
	} {
		r := rampart(t, "", append([]string{"seccomp", "lint"}, c.args...)...)
		if r.code != c.code {
			t.Errorf("%v: exit %d, want %d: %s", c.args, r.code, c.code, r.stderr)
		}
	}
	r := rampart(t, "", "seccomp", "lint", lintData+"flag-eq.json")
	for _, want := range []string{
		lintData + "flag-eq.json:6:16: warning: socket SCMP_ACT_ERRNO(EACCES) when arg1 == 0x3 does not hold: x86_64 socket(0x0, 0x80003, 0x0) gets SCMP_ACT_ALLOW",
		`fix: replace {"index": 1, "value": 3, "op": "SCMP_CMP_EQ"} with {"index": 1, "value": 15, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}`,
		"1 profile(s): 0 error(s), 3 warning(s), 0 info",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
}

// The SARIF log: one rule per check, results at the rule's line and
// column by a relative URI, a runtime's own profile by a logical
// location; the SARIF multitool validates it.
func TestLintSARIF(t *testing.T) {
	needRoot(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	// The profiles are above the working directory: relative to a
	// --sarif-base above them, they are relative URIs.
	r := rampart(t, "", "seccomp", "lint", "-o", "sarif", "--sarif-base", "../..", lintData+"flag-eq.json", lintData+"invalid.json", "runtime-default:containerd@2.2.1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name, Version string
					Rules         []struct{ ID string }
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
					LogicalLocations []struct{ FullyQualifiedName string }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Tool.Driver.Rules) != len(lint.Checks) {
		t.Fatalf("bad SARIF header: %+v", log)
	}
	rules := log.Runs[0].Tool.Driver.Rules
	found := map[string]bool{}
	for _, res := range log.Runs[0].Results {
		if rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("ruleIndex %d is %s, not %s", res.RuleIndex, rules[res.RuleIndex].ID, res.RuleID)
		}
		if len(res.Locations) != 1 {
			t.Fatalf("%s: %d locations", res.RuleID, len(res.Locations))
		}
		loc := res.Locations[0]
		switch {
		case loc.PhysicalLocation != nil:
			uri := loc.PhysicalLocation.ArtifactLocation.URI
			if strings.HasPrefix(uri, "/") || strings.Contains(uri, "://") {
				t.Errorf("%s: URI %q is not relative", res.RuleID, uri)
			}
			found[fmt.Sprintf("%s %s:%d:%d %s", res.RuleID, uri, loc.PhysicalLocation.Region.StartLine, loc.PhysicalLocation.Region.StartColumn, res.Level)] = true
		case len(loc.LogicalLocations) == 1:
			found[res.RuleID+" "+loc.LogicalLocations[0].FullyQualifiedName+" "+res.Level] = true
		default:
			t.Errorf("%s: no location", res.RuleID)
		}
	}
	for _, want := range []string{
		"rampart/seccomp-lint/argument-variant seccomp/testdata/lint/flag-eq.json:6:16 warning",
		"rampart/seccomp-lint/invalid seccomp/testdata/lint/invalid.json:4:3 error",
		"rampart/seccomp-lint/argument-variant RuntimeDefault of containerd 2.2.1 syscalls[1] warning",
		"rampart/seccomp-lint/arch-without-rules RuntimeDefault of containerd 2.2.1 architectures[2] note",
	} {
		if !found[want] {
			t.Errorf("no result %q among %v", want, found)
		}
	}
	validateSARIF(t, "seccomp lint", r.stdout)
}
