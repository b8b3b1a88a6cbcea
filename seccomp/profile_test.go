package seccomp

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/linuxabi"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

func TestMain(m *testing.M) {
	if file := os.Getenv(exportEnv); file != "" {
		os.Exit(exportPrograms(file))
	}
	stackHook()
	// As rampart's main: a cache miss compiles the profile in this test
	// binary, re-executed as the compile helper.
	if os.Getenv(noHelperEnv) != "1" {
		HelperMain()
	}
	// These tests check names against libseccomp; a build without it
	// would pass vacuously, so it fails instead.
	if err := features.HaveSeccompFilter(); err != nil {
		fmt.Fprintln(os.Stderr, "seccomp tests:", err, "- run `make test`")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func allowed(p *Profile, name string) bool {
	for _, s := range p.Spec.Syscalls {
		if s.Action == "SCMP_ACT_ALLOW" && len(s.Args) == 0 && slices.Contains(s.Names, name) {
			return true
		}
	}
	return false
}

// RuntimeDefault follows the bounding set, as Docker and containerd
// resolve it: unshare and mount are allowed only with CAP_SYS_ADMIN.
func TestRuntimeDefaultFollowsBoundingSet(t *testing.T) {
	full, err := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	noAdmin, err := Load(policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, caps.Full.Remove(caps.SYS_ADMIN))
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"unshare", "mount", "setns"} {
		if !allowed(full, sc) {
			t.Errorf("%s not allowed with SYS_ADMIN in the bounding set", sc)
		}
		if allowed(noAdmin, sc) {
			t.Errorf("%s allowed without SYS_ADMIN", sc)
		}
	}
	if !allowed(noAdmin, "read") || allowed(noAdmin, "kexec_load") {
		t.Error("basic allow/deny wrong")
	}
	if full.Spec.DefaultAction != "SCMP_ACT_ERRNO" {
		t.Errorf("default action %s", full.Spec.DefaultAction)
	}
}

func TestProfileErrorsHavePositions(t *testing.T) {
	for file, want := range map[string]string{
		"unknown-syscall.json":  `testdata/unknown-syscall.json:5:48: syscalls[].names: unknown syscall "opne"`,
		"misspelled-field.json": `testdata/misspelled-field.json:3:3: syscals: unknown field`,
		"syntax.json":           `testdata/syntax.json:4:55: invalid character '}'`,
		"bad-op.json":           `testdata/bad-op.json:5:46: syscalls[0].args[0].op: unknown operator "SCMP_CMP_EQUAL"`,
	} {
		_, err := Load(policy.Seccomp{Kind: policy.SeccompFile, Path: "testdata/" + file}, caps.Full)
		var pe *Error
		if err == nil || !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s:\n got  %v\n want %s…", file, err, want)
		}
	}
}

func TestNewerSyscallsAreNotedNotFatal(t *testing.T) {
	p, err := Load(policy.Seccomp{Kind: policy.SeccompFile, Path: "testdata/newer.json"}, caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "mseal (Linux 6.10)") {
		t.Fatalf("notes %q", p.Notes)
	}
}

func TestMissingFileNamesOrigin(t *testing.T) {
	_, err := Load(policy.Seccomp{Kind: policy.SeccompFile, Path: "testdata/nope.json", Origin: "pod.yaml:12:9"}, caps.Full)
	if err == nil || !strings.HasPrefix(err.Error(), "pod.yaml:12:9: seccomp profile: ") {
		t.Fatalf("got %v", err)
	}
}

func TestEmptyProfileRefused(t *testing.T) {
	if _, err := Parse("empty.json", []byte(`{}`), caps.Full); err == nil {
		t.Fatal("an empty profile would mean unconfined; want an error")
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"deny-unshare.json", "newer.json", "bad-op.json", "syntax.json"} {
		b, _ := os.ReadFile("testdata/" + n)
		f.Add(b)
	}
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["unshare"],"action":"SCMP_ACT_ERRNO","includes":{"arches":["amd64"],"caps":["CAP_SYS_ADMIN"]}}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[{"names":["mseal","statmount"],"action":"SCMP_ACT_KILL"}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","DefaultAction":"SCMP_ACT_ALLOW"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse("fuzz.json", b, runtimes.Containerd.Caps)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error without position type: %v", err)
			}
			return
		}
		for _, s := range p.Spec.Syscalls {
			if len(s.Names) == 0 {
				t.Fatal("rule with no names survived")
			}
		}
		// The rules installed by number assemble into a program the
		// kernel accepts.
		prefix, err := numberedPrefix(p)
		if err != nil {
			t.Fatalf("accepted, but its rules by number do not assemble: %v", err)
		}
		if len(prefix) > 0 {
			if err := bpf.Validate(append(prefix, bpf.Insn{Code: linuxabi.BPF_RET | linuxabi.BPF_K, K: bpf.RetAllow})); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// noHelperEnv makes the test binary a program that imports seccomp but
// does not call HelperMain.
const noHelperEnv = "RAMPART_SECCOMP_TEST_NO_HELPER"
