package seccomp

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

// Every name in a list the runtimes match silently is refused where it
// stands, as an unknown capability is: a rule that never matches would
// vanish without a word (includes) or stay against the profile's intent
// (excludes).
func TestProfileNamesRefusedWithPositions(t *testing.T) {
	const deny = `"names":["unshare"],"action":"SCMP_ACT_ERRNO"`
	for _, c := range []struct{ name, body, want string }{
		{"includes arch spelt as the kernel does", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{` + deny + `,"includes":{"arches":["x86_64"]}}]}`,
			`p.json:1:116: syscalls[0].includes.arches[0]: unknown architecture "x86_64"`},
		{"excludes arch in OCI form", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{` + deny + `,` + "\n" + `"excludes":{"arches":["amd64","SCMP_ARCH_X86"]}}]}`,
			`p.json:2:31: syscalls[0].excludes.arches[1]: unknown architecture "SCMP_ARCH_X86"`},
		{"includes cap without CAP_", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{` + deny + `,"includes":{"caps":["SYS_ADMIN"]}}]}`,
			`syscalls[0].includes.caps[0]: "SYS_ADMIN": write it "CAP_SYS_ADMIN"`},
		{"excludes cap in lower case", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{` + deny + `,"excludes":{"caps":["cap_sys_admin"]}}]}`,
			`syscalls[0].excludes.caps[0]: "cap_sys_admin": write it "CAP_SYS_ADMIN"`},
		{"unknown cap", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{` + deny + `,"includes":{"caps":["CAP_SYS_ADMINN"]}}]}`,
			`syscalls[0].includes.caps[0]: unknown capability`},
		{"architectures", `{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86-64"]}`,
			`p.json:1:71: architectures[1]: unknown architecture "SCMP_ARCH_X86-64"`},
		{"archMap architecture", `{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"x86_64","subArchitectures":[]}]}`,
			`archMap[0].architecture: unknown architecture "x86_64"`},
		{"archMap subarchitecture", `{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_I386"]}]}`,
			`archMap[0].subArchitectures[0]: unknown architecture "SCMP_ARCH_I386"`},
		{"flag", `{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_LOGG"]}`,
			`flags[0]: unknown flag "SECCOMP_FILTER_FLAG_LOGG"`},
		{"minKernel", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{` + deny + `,"includes":{"minKernel":"5"}}]}`,
			`syscalls[0].includes.minKernel: invalid kernel version`},
		{"name and names", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"mount",` + deny + `}]}`,
			`syscalls[0].name: both name and names`},
		{"duplicate defaultAction", "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\n \"defaultAction\":\"SCMP_ACT_ALLOW\"}",
			`p.json:2:2: defaultAction: key "defaultAction" written twice (first at 1:2)`},
		{"duplicate in a rule", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{` + deny + `,"action":"SCMP_ACT_ALLOW"}]}`,
			`syscalls[0].action: key "action" written twice`},
		{"case variant", `{"defaultAction":"SCMP_ACT_ERRNO","DefaultAction":"SCMP_ACT_ALLOW"}`,
			`p.json:1:35: DefaultAction: key "DefaultAction" differs from "defaultAction" only in case`},
		{"case variant in includes", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{` + deny + `,"includes":{"Caps":["CAP_SYS_ADMIN"]}}]}`,
			`syscalls[0].includes.Caps: key "Caps" differs from "caps"`},
		{"unknown field deep down", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{` + deny + `,"args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ","valuetwo":2}]}]}`,
			`syscalls[0].args[0].valuetwo: key "valuetwo" differs from "valueTwo"`},
		{"empty file", "", `p.json: the file is empty`},
		{"blank file", " \n\t\n", `p.json: the file is empty`},
		{"trailing data", `{"defaultAction":"SCMP_ACT_ALLOW"} {"defaultAction":"SCMP_ACT_ERRNO"}`,
			`p.json:1:36: data after the end of the document`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("p.json", []byte(c.body), caps.Full)
			var pe *Error
			if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got  %v\nwant %s", err, c.want)
			}
		})
	}
}

// What the runtimes' own profiles spell is accepted: every modeled
// RuntimeDefault names its arches and caps as the runtimes match them.
func TestRuntimeProfilesSpellNamesAsMatched(t *testing.T) {
	for _, rt := range []string{"containerd", "cri-o"} {
		for _, v := range runtimes.SeccompReleases(rt) {
			d, err := RuntimeDefaultFor(rt, v)
			if err != nil {
				t.Fatal(err)
			}
			_, body, err := d.Profile()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(rt+"-"+v, body, caps.Full); err != nil {
				t.Errorf("%s %s: %v", rt, v, err)
			}
		}
	}
}

// A SeccompProfile object's spec is held to the same rules, located in
// the YAML.
func TestSPOKeysChecked(t *testing.T) {
	head := "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: p\n"
	for _, c := range []struct{ name, spec, want string }{
		{"duplicate", "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  defaultAction: SCMP_ACT_ALLOW\n", `spo.yaml:7:3: spec.defaultAction: key "defaultAction" written twice (first at 6:3)`},
		{"case variant", "spec:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n  - Names: [unshare]\n    action: SCMP_ACT_ERRNO\n", `spo.yaml:8:5: spec.syscalls[0].Names: key "Names" differs from "names"`},
		{"arch", "spec:\n  defaultAction: SCMP_ACT_ALLOW\n  architectures: [SCMP_ARCH_X86_64, x86]\n", `spo.yaml:7:37: spec.architectures[1]: unknown architecture "x86"`},
		{"top-level duplicate", "spec:\n  defaultAction: SCMP_ACT_ALLOW\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n", `spo.yaml:7:1: spec: key "spec" written twice`},
		// containers/common's errno names: the API server would prune them
		{"errno name", "spec:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n  - names: [unshare]\n    action: SCMP_ACT_ERRNO\n    errno: EACCES\n", `spo.yaml:10:12: spec.syscalls[0].errno: an errno name is containers/common's field`},
		{"default errno name", "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  defaultErrno: ENOSYS\n", `spo.yaml:7:17: spec.defaultErrno: an errno name`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("spo.yaml", []byte(head+c.spec), caps.Full)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("got  %v\nwant %s…", err, c.want)
			}
		})
	}
}

func TestSPOStillReads(t *testing.T) {
	p, err := Load(policy.Seccomp{Kind: policy.SeccompFile, Path: "testdata/spo.yaml"}, caps.Full)
	if err != nil || p.Spec.DefaultAction != "SCMP_ACT_ERRNO" {
		t.Fatalf("%v", err)
	}
}

// A SeccompProfile object whose file starts with comments is still one:
// read as JSON it would fail on the '#'. Its rules are placed in the
// YAML (line and column of the syscall's name).
func TestSPOAfterComments(t *testing.T) {
	body := []byte("# the operator's object, written by hand\n# second line\napiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: x\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n  - action: SCMP_ACT_ERRNO\n    names:\n    - getpid\n    - unshare\n")
	p, err := Parse("spo.yaml", body, runtimes.Containerd.Caps)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Rules() {
		l, c := p.RulePos(r)
		got = append(got, fmt.Sprintf("%s@%d:%d", r.Name, l, c))
	}
	if want := "getpid@12:7 unshare@13:7"; strings.Join(got, " ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, " "), want)
	}
}
