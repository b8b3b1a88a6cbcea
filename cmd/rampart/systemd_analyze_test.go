//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/systemd"
)

// analyzeChecks are, for each catalog path, the checks of systemd-analyze
// security that claim part of the way to it: a path rampart finds open
// while one of them is marked done is where the two disagree.
var analyzeChecks = map[string][]string{
	"raw-socket":      {"CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)", "RestrictAddressFamilies=~AF_(INET|INET6)"},
	"packet-socket":   {"CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)", "RestrictAddressFamilies=~AF_PACKET"},
	"userns-netns":    {"RestrictNamespaces=~user", "RestrictNamespaces=~net"},
	"setns-host":      {"CapabilityBoundingSet=~CAP_SYS_ADMIN", "RestrictNamespaces=~mnt"},
	"kernel-module":   {"CapabilityBoundingSet=~CAP_SYS_MODULE", "ProtectKernelModules=", "SystemCallFilter=~@module"},
	"set-clock":       {"CapabilityBoundingSet=~CAP_SYS_TIME", "ProtectClock=", "SystemCallFilter=~@clock"},
	"reboot":          {"CapabilityBoundingSet=~CAP_SYS_BOOT", "SystemCallFilter=~@reboot"},
	"mount-tmpfs":     {"CapabilityBoundingSet=~CAP_SYS_ADMIN", "SystemCallFilter=~@mount"},
	"cgroup-mount":    {"CapabilityBoundingSet=~CAP_SYS_ADMIN", "SystemCallFilter=~@mount", "ProtectControlGroups="},
	"pivot-root":      {"CapabilityBoundingSet=~CAP_SYS_ADMIN", "SystemCallFilter=~@mount"},
	"chroot":          {"CapabilityBoundingSet=~CAP_SYS_CHROOT", "SystemCallFilter=~@mount"},
	"ptrace-child":    {"SystemCallFilter=~@debug"},
	"perf-event-open": {"SystemCallFilter=~@debug"},
	"bpf-load":        {"CapabilityBoundingSet=~CAP_BPF", "SystemCallFilter=~@privileged"},
	"mknod-block":     {"CapabilityBoundingSet=~CAP_MKNOD", "PrivateDevices=", "DeviceAllow="},
	"personality":     {"LockPersonality="},
	"setuid-root":     {"NoNewPrivileges="},
	"open-by-handle":  {"CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)", "SystemCallFilter=~@privileged"},
	"read-shadow":     {"User=/DynamicUser=", "CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)"},
	"core-pattern":    {"ProtectKernelTunables="},
	"sysrq-trigger":   {"ProtectKernelTunables="},
}

const analyzeDoc = "../../docs/systemd-analyze.md"

// analyzeVersion is the Debian systemd package the file is of.
const analyzeVersion = "252.38-1~deb12u1"

// rampart audit beside systemd-analyze security, for every service unit
// Debian's systemd package ships (the units of other packages come and
// go with what a machine has installed): docs/systemd-analyze.md is what
// both say of them (held to the installed package, of the version the
// file names; RAMPART_UPDATE_DOCS=1 rewrites it). A path
// rampart finds open where systemd-analyze marks a check that claims
// it done is listed with rampart's reason: that is a difference between
// the two, explained.
func TestSystemdAnalyzeComparison(t *testing.T) {
	needSeccomp(t)
	out, err := exec.Command("systemd-analyze", "--version").Output()
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	if !strings.HasPrefix(string(out), "systemd 252 ") {
		t.Skipf("the comparison is of Debian 12's systemd 252: %s", out)
	}
	pkg, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "systemd").Output()
	if err != nil {
		t.Skipf("systemd is not a Debian package here: %v", err)
	}
	if want := analyzeVersion; string(pkg) != want {
		t.Skipf("docs/systemd-analyze.md is of Debian's systemd %s; this machine has %s", want, pkg)
	}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	list, err := exec.Command("dpkg-query", "-L", "systemd").Output()
	if err != nil {
		t.Fatal(err)
	}
	var ms []string
	for _, f := range strings.Split(string(list), "\n") {
		if strings.HasPrefix(f, "/lib/systemd/system/") && strings.HasSuffix(f, ".service") && !strings.Contains(strings.TrimPrefix(f, "/lib/systemd/system/"), "/") {
			ms = append(ms, f)
		}
	}
	slices.Sort(ms)
	var rows []string
	disagree := 0
	for _, m := range ms {
		if st, err := os.Lstat(m); err != nil || !st.Mode().IsRegular() {
			continue
		}
		text, err := exec.Command("systemd-analyze", "security", "--offline=true", "--no-pager", m).CombinedOutput()
		if err != nil {
			continue // a unit systemd-analyze itself does not assess (no [Service])
		}
		score := regexp.MustCompile(`Overall exposure level for \S+: (\S+ \S+)`).FindSubmatch(text)
		js, err := exec.Command("systemd-analyze", "security", "--offline=true", "--no-pager", "--json=short", m).Output()
		if err != nil || score == nil {
			t.Fatalf("%s: %v %s", m, err, text)
		}
		var checks []struct {
			Name string `json:"name"`
			Set  *bool  `json:"set"`
		}
		if err := json.Unmarshal(js, &checks); err != nil {
			t.Fatal(err)
		}
		done := map[string]bool{}
		for _, c := range checks {
			done[c.Name] = c.Set != nil && *c.Set
		}
		r := rampart(t, "", "audit", "-o", "json", m)
		var rep struct {
			Workloads []struct {
				Name       string
				Containers []struct {
					Open  []string
					Paths []struct{ ID, Verdict, Why string }
				}
			}
		}
		if r.code == 125 && strings.Contains(r.stderr, "no workload found") {
			// no [Service]: systemd starts no process for it
			rows = append(rows, fmt.Sprintf("| %s | %s | no process of its own | – | – |", filepath.Base(m), score[1]))
			continue
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Workloads) != 1 {
			t.Fatalf("%s: audit: exit %d %v: %s", m, r.code, err, r.stderr)
		}
		if rep.Workloads[0].Name != systemd.PodName(filepath.Base(m)) {
			t.Fatalf("%s: workload %s", m, rep.Workloads[0].Name)
		}
		c := rep.Workloads[0].Containers[0]
		var claimed, unchecked []string
		for _, p := range c.Paths {
			if p.Verdict != "open" {
				continue
			}
			var by []string
			for _, check := range analyzeChecks[p.ID] {
				if done[check] {
					by = append(by, "`"+check+"`")
				}
			}
			switch {
			case len(by) > 0:
				claimed = append(claimed, fmt.Sprintf("**%s** (%s): %s", p.ID, strings.Join(by, ", "), oneLine(p.Why)))
			case len(analyzeChecks[p.ID]) == 0:
				unchecked = append(unchecked, p.ID)
			}
		}
		disagree += len(claimed)
		slices.Sort(unchecked)
		rows = append(rows, fmt.Sprintf("| %s | %s | %d of %d | %s | %s |", filepath.Base(m), score[1], len(c.Open), len(c.Paths),
			orNone(strings.Join(claimed, "<br>")), orNone(strings.Join(unchecked, ", "))))
	}
	if len(rows) < 40 {
		t.Fatalf("only %d units compared", len(rows))
	}
	doc := fmt.Sprintf(`# rampart audit beside systemd-analyze security

For every service unit Debian 12's systemd package (%s) ships in
/lib/systemd/system, the exposure `+"`systemd-analyze security --offline=true`"+` gives it, and what
`+"`rampart audit`"+` finds open of the attack paths of its catalog. Written by
`+"`RAMPART_UPDATE_DOCS=1 go test -tags seccomp ./cmd/rampart -run TestSystemdAnalyzeComparison`"+`,
which fails when this file and the installed units disagree.

The two measure different things. systemd-analyze weighs directives: a
check is done when a directive is set, whatever the way around it.
rampart asks, path by path, whether the process can still do the
thing. Where rampart finds a path open although systemd-analyze marks a
check that claims it done, the row names the path, the check and
rampart's reason (%d such differences). The last column lists open
paths systemd-analyze has no check for at all.

| unit | systemd-analyze | rampart: open | open, though systemd-analyze marks it done | open, no systemd-analyze check |
|---|---|---|---|---|
%s
`, analyzeVersion, disagree, strings.Join(rows, "\n"))
	if os.Getenv("RAMPART_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(analyzeDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, _ := os.ReadFile(analyzeDoc)
	if string(old) != doc {
		t.Errorf("docs/systemd-analyze.md is not what rampart and systemd-analyze say of this machine's units (RAMPART_UPDATE_DOCS=1 go test -tags seccomp ./cmd/rampart -run TestSystemdAnalyzeComparison)")
	}
	t.Logf("%d units, %d differences", len(rows), disagree)
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 160 {
		s = s[:157] + "…"
	}
	return s
}
