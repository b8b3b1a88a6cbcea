//go:build linux

package lab

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// evalSetup makes the files the differential accesses: a tree with globs
// to tell apart, a file owned by another uid (owner rules), and symlinks
// (AppArmor decides on the resolved path).
const evalSetup = `mkdir -p /tmp/data/sub
for f in a.txt b.log x sub/c.txt; do echo data > /tmp/data/$f; done
echo data > /tmp/owned-by-1000; chown 1000:1000 /tmp/owned-by-1000
ln -sf /etc/shadow /tmp/link-to-shadow
ln -sf /tmp/data/a.txt /tmp/link-to-data
ls -la /tmp /tmp/data`

// evalProfiles cover globs (*, **, ?, [], {,}), variables, deny over
// allow, owner, audit, complain mode and network rules.
// evalProfile is a profile text and the profile in it the access runs
// under (its full name; "" for the first).
type evalProfile struct{ text, name string }

var evalProfiles = []evalProfile{
	{"profile ed-star {\n  /etc/* r,\n}\n", ""},
	{"profile ed-deny {\n  /etc/** r,\n  deny /etc/shadow r,\n}\n", ""},
	{"profile ed-tree {\n  /tmp/data/** rw,\n  deny /tmp/data/*.log w,\n}\n", ""},
	{"profile ed-owner {\n  owner /tmp/** rw,\n  /etc/passwd r,\n}\n", ""},
	{"profile ed-alt {\n  /tmp/data/{a,b}.* r,\n  /tmp/data/? r,\n  /tmp/data/sub/*.txt a,\n}\n", ""},
	{"profile ed-class {\n  /tmp/data/[ab]* r,\n  /tmp/data/[^ab]* w,\n  /tmp/** a,\n}\n", ""},
	{"profile ed-file {\n  file,\n  deny /tmp/data/** w,\n}\n", ""},
	{"profile ed-denyowner {\n  /** r,\n  deny owner /tmp/** r,\n}\n", ""},
	{"#include <tunables/global>\nprofile ed-vars {\n  #include <abstractions/base>\n  @{PROC}/sys/** r,\n  /etc/pass* r,\n  /tmp/data/** r,\n}\n", ""},
	{"@{DATA}=/tmp/data\n@{EXT}=txt log\n@{EXT}+=none\n@{TREE}=@{DATA}/sub\nprofile ed-vars2 {\n  @{DATA}/*.@{EXT} r,\n  @{TREE}/** w,\n  @{DATA}/{b,x}* a,\n}\n", ""},
	{"profile ed-complain flags=(complain) {\n  /etc/passwd r,\n  deny /etc/shadow r,\n}\n", ""},
	{"profile ed-audit {\n  /etc/** r,\n  audit deny /etc/shadow r,\n  audit /tmp/** w,\n}\n", ""},
	{"profile ed-net {\n  network inet dgram,\n  network inet6 stream,\n  /etc/passwd r,\n}\n", ""},
	{"profile ed-netdeny {\n  network,\n  capability,\n  deny network raw,\n  /etc/** r,\n}\n", ""},
	{"profile ed-allnet {\n  network,\n  capability net_raw,\n}\n", ""},
	// link rules: l on the new name, the target's permissions covering
	// the link's (subset), and a link rule's target
	{"profile ed-link {\n  /tmp/data/** r,\n  /tmp/data/lnk l,\n  link subset /tmp/data/sub/lnk -> /tmp/data/*.txt,\n  /tmp/data/sub/** r,\n  /tmp/data/ln2 rwl,\n}\n", ""},
	// hats and child profiles decide with their own rules
	{edParent, ""},
	{edParent, "ed-parent//kid"},
	{edParent, "ed-parent//hat"},
	// conditionals take the branch the booleans select; qualifier
	// blocks qualify what they hold
	{"$ON = true\n$OFF = false\nprofile ed-cond {\n  if $ON {\n    /etc/passwd r,\n  } else {\n    /etc/group r,\n  }\n  if not $OFF {\n    /tmp/data/*.txt r,\n  }\n  if $OFF {\n    /tmp/** rw,\n  }\n  audit {\n    /tmp/data/sub/** r,\n  }\n  owner {\n    /tmp/** w,\n  }\n}\n", ""},
}

const edParent = `profile ed-parent {
  /etc/passwd r,
  /tmp/data/** r,
  profile kid {
    /etc/group r,
    deny /tmp/data/*.log r,
    /tmp/data/** rw,
  }
  ^hat {
    /etc/shadow r,
    /tmp/data/sub/** r,
  }
}
`

// An access as the harness makes it can ask the kernel for more than its
// name says, and the expectation must ask rampart the same:
//   - the harness opens "a" and "w" with O_CREAT (as a shell's >> and >
//     do); AppArmor then also asks for create, which only w grants;
//   - root writing a file another uid owns, mode 0644, needs
//     CAP_DAC_OVERRIDE, and AppArmor mediates that capability too;
//   - a raw socket needs CAP_NET_RAW, likewise.
type evalAccess struct {
	lab   string   // as the lab harness takes it
	eval  string   // as apparmor.ParseAccess takes it (the resolved path)
	extra []string // what else the kernel asks the profile for
}

func fileAccess(path, perm, resolved string, owner bool) evalAccess {
	e := resolved + " " + perm
	if owner {
		e += " owner"
	}
	return evalAccess{lab: "file " + path + " " + perm, eval: e}
}

var evalAccesses = func() []evalAccess {
	var out []evalAccess
	root := func(p, perm string) {
		a := fileAccess(p, perm, p, true)
		if perm == "a" {
			a.extra = append(a.extra, p+" w owner") // O_CREAT asks for create
		}
		out = append(out, a)
	}
	for _, p := range []string{"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/apparmor.d/tunables/global",
		"/tmp/data/a.txt", "/tmp/data/b.log", "/tmp/data/x", "/tmp/data/sub/c.txt"} {
		root(p, "r")
	}
	for _, p := range []string{"/tmp/data/a.txt", "/tmp/data/b.log", "/tmp/data/x", "/tmp/data/sub/c.txt", "/tmp/new-file"} {
		root(p, "w")
	}
	for _, p := range []string{"/tmp/data/b.log", "/tmp/data/sub/c.txt"} {
		root(p, "a")
	}
	root("/proc/sys/kernel/hostname", "r")
	out = append(out,
		fileAccess("/tmp/owned-by-1000", "r", "/tmp/owned-by-1000", false),
		func() evalAccess {
			a := fileAccess("/tmp/owned-by-1000", "w", "/tmp/owned-by-1000", false)
			a.extra = []string{"capability dac_override"}
			return a
		}(),
		// through symlinks: decided on the target
		fileAccess("/tmp/link-to-shadow", "r", "/etc/shadow", true),
		fileAccess("/tmp/link-to-data", "r", "/tmp/data/a.txt", true),
		// hard links, removed again after each case
		evalAccess{lab: "link /tmp/data/a.txt /tmp/data/lnk", eval: "link /tmp/data/lnk -> /tmp/data/a.txt"},
		evalAccess{lab: "link /tmp/data/a.txt /tmp/data/sub/lnk", eval: "link /tmp/data/sub/lnk -> /tmp/data/a.txt"},
		evalAccess{lab: "link /tmp/data/b.log /tmp/data/sub/lnk", eval: "link /tmp/data/sub/lnk -> /tmp/data/b.log"},
		evalAccess{lab: "link /tmp/data/a.txt /tmp/data/ln2", eval: "link /tmp/data/ln2 -> /tmp/data/a.txt"},
		evalAccess{lab: "network inet dgram", eval: "network inet dgram"},
		evalAccess{lab: "network inet stream", eval: "network inet stream"},
		evalAccess{lab: "network inet6 stream", eval: "network inet6 stream"},
		// a raw socket also needs CAP_NET_RAW, which AppArmor mediates too
		evalAccess{lab: "network inet raw icmp", eval: "network inet raw", extra: []string{"capability net_raw"}},
	)
	return out
}()

func evalPairs() []Pair {
	var out []Pair
	for _, p := range evalProfiles {
		for _, a := range evalAccesses {
			out = append(out, Pair{Profile: p.text, Access: a.lab, Name: p.name})
		}
	}
	return out
}

// What rampart's evaluator says of pair i.
func evalExpect(t *testing.T, i int) (bool, string) {
	prof := evalProfiles[i/len(evalAccesses)]
	acc := evalAccesses[i%len(evalAccesses)]
	doc, err := apparmor.ParseDocument(fmt.Sprintf("profile-%d", i/len(evalAccesses)), []byte(prof.text))
	if err != nil {
		t.Fatalf("parse %q: %v", prof.text, err)
	}
	p := doc.Profiles[0]
	if prof.name != "" {
		if p = doc.Find(prof.name); p == nil {
			t.Fatalf("no profile %s in %q", prof.name, prof.text)
		}
	}
	c, err := apparmor.Compile(p, apparmor.SystemIncludes)
	if err != nil {
		t.Fatalf("compile %q: %v", prof.text, err)
	}
	return expect(t, c, acc)
}

// expect is rampart's answer for an access under a compiled profile: the
// access allowed, and with it what else the kernel asks for.
func expect(t *testing.T, c *apparmor.Compiled, acc evalAccess) (bool, string) {
	decide := func(s string) apparmor.Decision {
		a, err := apparmor.ParseAccess(s)
		if err != nil {
			t.Fatalf("access %q: %v", s, err)
		}
		d, err := c.Eval(a)
		if err != nil {
			t.Fatalf("eval %q under %s: %v", s, c.Profile.Name, err)
		}
		return d
	}
	d := decide(acc.eval)
	if d.Allowed {
		for _, x := range acc.extra {
			if e := decide(x); !e.Allowed {
				return false, acc.eval + " allowed, but " + x + ": " + e.Reason
			}
		}
	}
	return d.Allowed, d.Reason
}

// rampart's AppArmor evaluator against the kernel's real decisions, on
// Debian's AppArmor kernel: every pair must agree.
func TestLabEvalDifferential(t *testing.T) {
	sec := labSection(t, "evaldiff")
	got, err := suiteEval.Parse(sec.Output)
	if err != nil {
		t.Fatal(err)
	}
	pairs := evalPairs()
	if len(got) != len(pairs) || len(pairs) < 200 {
		t.Fatalf("%d results for %d pairs (want at least 200)", len(got), len(pairs))
	}
	agree := 0
	for i, d := range got {
		if d.Verdict == Fail {
			t.Errorf("%s: the harness could not decide: %s %s", d, d.Errno, d.Detail)
			continue
		}
		want, why := evalExpect(t, i)
		if d.Allowed() != want {
			t.Errorf("%s under %q: kernel %s (%s), rampart says allowed=%v (%s)",
				d.Access, strings.ReplaceAll(d.Profile, "\n", " "), d.Verdict, d.Errno, want, why)
			continue
		}
		agree++
	}
	t.Logf("%d of %d pairs agree", agree, len(pairs))
}
