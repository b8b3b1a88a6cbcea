//go:build linux && cgo && seccomp

package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/record"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("reading a compiled filter back needs root")
	}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
}

func lintFile(t *testing.T, path string, bounding caps.Set) Result {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := seccomp.ParseAll(path, body, bounding)
	r := Lint(Target{Name: path, Profile: p, Err: err})
	logResult(t, r)
	return r
}

func logResult(t *testing.T, r Result) {
	t.Helper()
	for _, f := range r.Findings {
		t.Logf("%s: %s: %s [%s]", f.Position(r.Name), f.Severity, f.Message, f.Check)
	}
}

func checks(r Result) map[string][]Finding {
	out := map[string][]Finding{}
	for _, f := range r.Findings {
		out[f.Check] = append(out[f.Check], f)
	}
	return out
}

// Each crafted profile under testdata/lint is flagged for its class, and
// its close case is not; a variant finding names the rule's line and
// column and carries the variant that passes.
func TestCrafted(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		file     string
		want     []string // checks that must be there
		not      []string // checks that must not
		pos      string   // where the first wanted finding points
		variants []string // "kind syscall" of variants the first one must list
	}{
		{"flag-eq.json", []string{CheckArgumentVariant, CheckDefaultAllow}, nil, "6:16", []string{"flag socket", "high-bits socket"}},
		{"flag-masked.json", []string{CheckDefaultAllow}, []string{CheckArgumentVariant}, "3:20", nil},
		{"ioctl-eq64.json", []string{CheckArgumentVariant}, nil, "6:16", []string{"high-bits ioctl"}},
		{"ioctl-masked32.json", nil, []string{CheckArgumentVariant, CheckSibling}, "", nil},
		{"clone-eq.json", []string{CheckArgumentVariant}, nil, "6:16", []string{"flag clone"}},
		{"clone-masked.json", nil, []string{CheckArgumentVariant}, "", nil},
		{"unshare-only.json", []string{CheckSibling}, nil, "6:16", []string{"sibling clone", "sibling clone3"}},
		{"unshare-clone.json", nil, []string{CheckSibling, CheckArgumentVariant, CheckFallback}, "", nil},
		{"mount-only.json", []string{CheckSibling}, nil, "6:16", []string{"sibling fsopen"}},
		{"mount-family.json", nil, []string{CheckSibling}, "", nil},
		{"open-only.json", []string{CheckSibling}, nil, "6:16", []string{"sibling openat", "sibling openat2", "io_uring io_uring_setup"}},
		{"open-family.json", nil, []string{CheckSibling}, "", nil},
		{"ptrace-only.json", []string{CheckSibling}, nil, "6:16", []string{"sibling process_vm_readv", "sibling process_vm_writev"}},
		{"ptrace-family.json", nil, []string{CheckSibling}, "", nil},
		{"init-module-only.json", []string{CheckSibling}, nil, "6:16", []string{"sibling finit_module"}},
		{"module-family.json", nil, []string{CheckSibling}, "", nil},
		{"socket-i386.json", []string{CheckABIVariant, CheckArchUnused}, nil, "6:16", []string{"multiplexer socketcall"}},
		{"socket-x86_64.json", nil, []string{CheckABIVariant, CheckArchUnused}, "", nil},
		{"arch-x32.json", []string{CheckArchUnused}, []string{CheckDefaultAllow}, "4:41", nil},
		{"arch-native.json", nil, []string{CheckArchUnused, CheckArchMissing}, "", nil},
		{"arch-missing.json", []string{CheckArchMissing}, nil, "7:16", nil},
		{"arch-i386.json", nil, []string{CheckArchMissing, CheckArchUnused}, "", nil},
		{"log-default.json", []string{CheckLog}, []string{CheckDefaultAllow}, "3:20", nil},
		{"log-rule-allow.json", []string{CheckLog, CheckDefaultAllow}, nil, "6:16", nil},
		{"log-rule-deny.json", nil, []string{CheckLog, CheckDefaultAllow}, "", nil},
		{"enosys-unshare.json", []string{CheckFallback, CheckENOSYS}, []string{CheckSibling}, "6:16", []string{"fallback clone"}},
		{"enosys-unshare-held.json", []string{CheckENOSYS}, []string{CheckFallback, CheckSibling}, "6:16", nil},
		{"enosys-clone3.json", nil, []string{CheckENOSYS, CheckFallback}, "", nil},
		{"newer-deny.json", []string{CheckNewerDeny}, nil, "6:16", nil},
		{"newer-allow.json", []string{CheckNewerAllow}, []string{CheckNewerDeny}, "7:16", nil},
		{"deny-arch-x86.json", []string{CheckDenyUnapplied, CheckArchUnused}, nil, "6:94", nil},
		{"deny-arch-host.json", nil, []string{CheckDenyUnapplied}, "", nil},
		{"conflict.json", []string{CheckConflict}, nil, "8:1", nil},
		{"no-conflict.json", nil, []string{CheckConflict}, "", nil},
		{"refuses-execve.json", []string{CheckRefusesStart}, nil, "6:16", nil},
		{"arch-native.json", nil, []string{CheckRefusesStart}, "", nil},
		{"invalid.json", []string{CheckInvalid}, nil, "4:3", nil},
		{"spo-unshare.yaml", []string{CheckSibling, CheckDefaultAllow}, nil, "13:7", []string{"sibling clone"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			if c.file == "newer-deny.json" || c.file == "newer-allow.json" {
				if _, err := seccomp.SyscallNumber("mseal", seccomp.Arches[0]); err == nil && seccomp.NewerSince("mseal") != "" && libseccompKnows("mseal") {
					t.Skipf("libseccomp %s knows mseal: nothing is newer than it here", seccomp.LibseccompVersion())
				}
			}
			r := lintFile(t, filepath.Join("../testdata/lint", c.file), runtimes.Containerd.Caps)
			got := checks(r)
			for _, w := range c.want {
				if len(got[w]) == 0 {
					t.Errorf("no %s finding", w)
				}
			}
			for _, n := range c.not {
				for _, f := range got[n] {
					t.Errorf("flagged %s: %s", n, f.Message)
				}
			}
			if len(c.want) == 0 || c.pos == "" {
				return
			}
			f := got[c.want[0]][0]
			if pos := fmt.Sprintf("%d:%d", f.Line, f.Col); pos != c.pos || f.File != filepath.Join("../testdata/lint", c.file) {
				t.Errorf("%s at %s:%s, want :%s", c.want[0], f.File, pos, c.pos)
			}
			if f.Fix == "" || f.Message == "" {
				t.Errorf("%s: no message or fix", c.want[0])
			}
			var kinds []string
			for _, v := range f.Variants {
				for _, call := range v.Calls {
					kinds = append(kinds, v.Kind+" "+call.Syscall)
				}
			}
			for _, w := range c.variants {
				if !slices.Contains(kinds, w) {
					t.Errorf("%s: no variant %q among %v", c.want[0], w, kinds)
				}
			}
		})
	}
}

// libseccompKnows says whether the linked libseccomp has name itself.
func libseccompKnows(name string) bool {
	p, err := seccomp.Parse("probe.json", []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["`+name+`"],"action":"SCMP_ACT_ERRNO"}]}`), caps.Full)
	return err == nil && len(p.ByNumber) == 0
}

// The fixes say what to write: the rule's condition rewritten with
// SCMP_CMP_MASKED_EQ on the bits that matter, or the siblings to refuse.
func TestFixes(t *testing.T) {
	needRoot(t)
	for _, c := range []struct{ file, check, want string }{
		{"flag-eq.json", CheckArgumentVariant, `replace {"index": 1, "value": 3, "op": "SCMP_CMP_EQ"} with {"index": 1, "value": 15, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}`},
		{"ioctl-eq64.json", CheckArgumentVariant, `replace {"index": 1, "value": 21522, "op": "SCMP_CMP_EQ"} with {"index": 1, "value": 4294967295, "valueTwo": 21522, "op": "SCMP_CMP_MASKED_EQ"}`},
		{"clone-eq.json", CheckArgumentVariant, `{"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}`},
		{"unshare-only.json", CheckSibling, "refuse clone when it asks for a namespace"},
		{"mount-only.json", CheckSibling, "refuse the new mount API (fsopen, fsconfig, fsmount, move_mount, open_tree, fspick, mount_setattr) too"},
		{"ptrace-only.json", CheckSibling, "refuse process_vm_readv, process_vm_writev too"},
		{"socket-i386.json", CheckABIVariant, "remove SCMP_ARCH_X86 from the architectures"},
	} {
		r := lintFile(t, filepath.Join("../testdata/lint", c.file), runtimes.Containerd.Caps)
		fs := checks(r)[c.check]
		if len(fs) == 0 || !strings.Contains(fs[0].Fix, c.want) {
			t.Errorf("%s: %s fix %v, want it to say %q", c.file, c.check, fs, c.want)
		}
	}
}

// Every variant a finding lists is what the program does: the refused
// call refused, each call of the variant let through. (The kernel check
// of the same is cmd/rampart's TestLintVariantsPassUnderRun.)
func assertVariantsDecided(t *testing.T, name string, p *seccomp.Profile, fs []Finding) {
	t.Helper()
	f, err := seccomp.Compile(p)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	prog, _ := f.Analysed()
	for _, fd := range fs {
		for _, v := range fd.Variants {
			if got := decide(t, prog, v.Refused); passes(got) {
				t.Errorf("%s: %s: the refused call %s gets %#x", name, fd.Check, v.Bypass.Refused, got)
			}
			for i, c := range v.Calls {
				if got := decide(t, prog, c); !passes(got) {
					t.Errorf("%s: %s: variant call %s gets %#x", name, fd.Check, v.Bypass.Variant[i], got)
				}
			}
		}
	}
}

func decide(t *testing.T, prog []bpf.Insn, c Call) uint32 {
	t.Helper()
	arch, err := seccomp.ArchByName(c.Arch)
	if err != nil {
		t.Fatal(err)
	}
	var args [6]uint64
	for i, a := range c.Args {
		if args[i], err = strconv.ParseUint(strings.TrimPrefix(a, "0x"), 16, 64); err != nil {
			t.Fatal(err)
		}
	}
	ret, _, err := bpf.Run(prog, bpf.Data{Nr: c.Nr, Arch: arch.Audit, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	return ret
}

func passes(ret uint32) bool {
	act, _ := bpf.Action(ret)
	return act == bpf.RetAllow || act == bpf.RetLog
}

// What lint finds in every runtime's own profile rampart models, resolved
// against that runtime's default capabilities: the facts the README
// states. Nothing rampart run refuses, no default that refuses nothing;
// the variant findings are those of the analysis (socket's families
// compared on 64 bits in the containerd releases that write them with
// != or ranges, socketcall for every one that lets i386 in with socket
// rules, io_uring in 1.7), each decided by the program.
func TestRuntimeDefaults(t *testing.T) {
	needRoot(t)
	type rd struct {
		d        *seccomp.RuntimeDefault
		bounding caps.Set
	}
	all := []rd{{seccomp.Docker, runtimes.Containerd.Caps}}
	for _, rt := range []string{"containerd", "cri-o", "podman"} {
		for _, v := range runtimes.SeccompReleases(rt) {
			d, err := seccomp.RuntimeDefaultFor(rt, v)
			if err != nil {
				t.Fatal(err)
			}
			b := runtimes.Containerd.Caps
			switch rt {
			case "cri-o":
				b = runtimes.CRIO.Caps
			case "podman":
				b = runtimes.Podman.Caps
			}
			all = append(all, rd{d, b})
		}
	}
	summary := map[string][]string{}
	for _, x := range all {
		p, err := x.d.Load(x.bounding)
		if err != nil {
			t.Fatalf("%s: %v", x.d, err)
		}
		r := Lint(Target{Name: "runtime-default", Runtime: x.d.String(), Profile: p})
		got := checks(r)
		var line []string
		for _, c := range Checks {
			if n := len(got[c.ID]); n > 0 {
				line = append(line, fmt.Sprintf("%s×%d", c.ID, n))
			}
		}
		key := strings.Join(line, " ")
		summary[key] = append(summary[key], x.d.String())
		for _, f := range r.Findings {
			if f.Severity == Error {
				t.Errorf("%s: error %s: %s", x.d, f.Check, f.Message)
			}
			if f.Line != 0 || f.File != "" {
				t.Errorf("%s: %s placed in a file (%s:%d): a runtime's own profile has none to point in", x.d, f.Check, f.File, f.Line)
			}
		}
		for _, n := range []string{CheckDefaultAllow, CheckLog, CheckRefusesStart, CheckInvalid, CheckFallback, CheckNewerDeny, CheckArchMissing} {
			if len(got[n]) > 0 {
				t.Errorf("%s: %s: %s", x.d, n, got[n][0].Message)
			}
		}
		// every one lets x32 in with no rule for it, and lists i386's own
		// calls
		if len(got[CheckArchUnused]) != 1 || !strings.Contains(got[CheckArchUnused][0].Message, "SCMP_ARCH_X32") {
			t.Errorf("%s: arch-without-rules %v, want x32's alone", x.d, got[CheckArchUnused])
		}
		var vs []Finding
		for _, c := range []string{CheckArgumentVariant, CheckABIVariant, CheckSibling} {
			vs = append(vs, got[c]...)
		}
		assertVariantsDecided(t, x.d.String(), p, vs)
		// where the releases stand
		release := x.d.Runtime + " " + x.d.Release
		switch {
		case x.d.Runtime == "containerd" && strings.HasPrefix(x.d.Release, "1.6."):
			if len(vs) != 0 {
				t.Errorf("%s: %d variant findings, want none (clone's namespace flags hold)", release, len(vs))
			}
		case x.d.Runtime == "docker", slices.Contains([]string{"2.0.14", "2.3.7", "2.4.2"}, x.d.Release):
			if len(vs) != 1 || vs[0].Check != CheckABIVariant || vs[0].Variants[0].Calls[0].Syscall != "socketcall" {
				t.Errorf("%s: want the one socketcall finding, got %v", release, vs)
			}
		case x.d.Runtime == "containerd":
			if len(got[CheckArgumentVariant]) != 1 || got[CheckArgumentVariant][0].Variants[0].Kind != "high-bits" {
				t.Errorf("%s: want socket's family compared on 64 bits, got %v", release, got[CheckArgumentVariant])
			}
			if uring := strings.HasPrefix(x.d.Release, "1.7."); uring != (len(got[CheckSibling]) == 1) {
				t.Errorf("%s: io_uring sibling finding %v, want one only in 1.7", release, got[CheckSibling])
			}
		case x.d.Runtime == "cri-o":
			if len(got[CheckConflict]) != 1 || len(got[CheckArgumentVariant]) != 1 {
				t.Errorf("%s: want the setns conflict and the audit socket's high bits, got %v", release, got)
			}
		case x.d.Runtime == "podman":
			// containers/common's own file: CRI-O's without CRI-O's
			// change to unshare, the same setns conflict
			if len(got[CheckConflict]) != 1 || len(got[CheckArgumentVariant]) != 1 {
				t.Errorf("%s: want the setns conflict and the audit socket's high bits, got %v", release, got)
			}
		}
	}
	for k, v := range summary {
		t.Logf("%s: %s", strings.Join(v, ", "), k)
	}
}

// The Localhost profiles the shared corpus names and that are published
// (testdata/lint/corpus/NOTE.md): the tutorial's audit profile enforces
// nothing, its violation profile refuses execve, and its fine-grained one
// lets i386, x32 (and aarch64) in with no rule for them. Nothing else: a
// finding beyond these would be a false one.
func TestCorpusProfiles(t *testing.T) {
	needRoot(t)
	for _, c := range []struct {
		file string
		want []string
	}{
		{"audit.json", []string{CheckLog}},
		{"violation.json", []string{CheckRefusesStart, CheckRefusesStart}},
		{"fine-grained.json", []string{CheckArchUnused, CheckArchUnused}},
	} {
		r := lintFile(t, filepath.Join("../testdata/lint/corpus", c.file), runtimes.Containerd.Caps)
		var got []string
		for _, f := range r.Findings {
			got = append(got, f.Check)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.file, got, c.want)
		}
	}
}

// The profiles rampart record writes: an allow list that refuses by
// default and conditions socket, clone, ioctl, prctl and personality on
// what the run used. Lint finds no deny that a variant gets past, and
// nothing rampart run would refuse; the ABIs it lets in are those the
// recording used.
func TestRecordedProfiles(t *testing.T) {
	needRoot(t)
	files, err := filepath.Glob("../../record/testdata/gen-*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recordings: %v", err)
	}
	for _, file := range files {
		rec, err := record.ReadRecording(file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		g, err := record.Generate(rec, record.GenerateOptions{})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		r := Lint(Target{Name: file + " (generated)", Profile: g.Seccomp})
		logResult(t, r)
		for _, f := range r.Findings {
			if f.Severity != Info {
				t.Errorf("%s: %s %s: %s", file, f.Severity, f.Check, f.Message)
			}
		}
	}
}

// A profile for arm64 nodes, linted as one: the ways around its denies
// are AArch64's and AArch32's (the open(2) AArch64 lacks, setuid32), the
// compat ABI it lists without rules is AArch32, and no x86 ABI is named.
func TestLintARM64(t *testing.T) {
	tg := FileOn(seccomp.ARM64, "testdata/arm64-deny-list.json", nil)
	r := Lint(tg)
	logResult(t, r)
	cs := checks(r)
	var sib []string
	for _, f := range cs[CheckSibling] {
		sib = append(sib, f.Message)
	}
	all := strings.Join(sib, "\n")
	for _, want := range []string{"arm open(0x0, 0x0, 0x0) gets SCMP_ACT_ALLOW", "setuid SCMP_ACT_ERRNO(EPERM) does not hold"} {
		if !strings.Contains(all, want) {
			t.Errorf("no sibling finding %q in:\n%s", want, all)
		}
	}
	if len(cs[CheckArchUnused]) != 1 || !strings.Contains(cs[CheckArchUnused][0].Message, "SCMP_ARCH_ARM lets arm calls in") {
		t.Errorf("arch-without-rules: %v", cs[CheckArchUnused])
	}
	for _, f := range r.Findings {
		if strings.Contains(f.Message, "x86") || strings.Contains(f.Message, "i386") || strings.Contains(f.Message, "this kernel runs no") {
			t.Errorf("an amd64 host's fact in an arm64 lint: %s", f.Message)
		}
	}
}
