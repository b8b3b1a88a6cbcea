//go:build linux && cgo && seccomp

package seccomp

import (
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
)

// A bundle's config.json is read at linux.seccomp, held to the fields runc
// reads, with errors and rules placed in config.json.
func TestOCIConfigSeccomp(t *testing.T) {
	const head = "{\n  \"ociVersion\": \"1.2.0\",\n  \"process\": {\"args\": [\"sh\"]},\n"
	const filter = `{"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}`
	for _, c := range []struct{ name, body, want string }{
		{"no filter", head + "  \"linux\": {}\n}\n", `c.json: linux.seccomp: this OCI config has no seccomp filter`},
		{"null filter", head + "  \"linux\": {\"seccomp\": null}\n}\n", `c.json: linux.seccomp: this OCI config has no seccomp filter`},
		{"case variant", head + "  \"linux\": {\"Seccomp\": " + filter + "}\n}\n", `c.json:4:13: linux.Seccomp: key "Seccomp" differs from "seccomp"`},
		{"written twice", head + "  \"linux\": {\"seccomp\": " + filter + ",\n    \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"}}\n}\n", `c.json:6:5: linux.seccomp: key "seccomp" written twice`},
		{"linux twice", head + "  \"linux\": {},\n  \"Linux\": {\"seccomp\": " + filter + "}\n}\n", `c.json:5:3: Linux: key "Linux" differs from "linux"`},
		{"a Docker field", head + "  \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n    \"syscalls\": [{\"names\": [\"unshare\"], \"action\": \"SCMP_ACT_ERRNO\", \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}]}}\n}\n",
			`c.json:5:69: linux.seccomp.syscalls[0].excludes: unknown field: not a field of the runtime-spec's seccomp object; runc ignores it`},
		{"an unknown syscall", head + "  \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\",\n    \"syscalls\": [{\"names\": [\"unshar\"], \"action\": \"SCMP_ACT_ERRNO\"}]}}\n}\n",
			`c.json:5:29: linux.seccomp.syscalls[].names: unknown syscall "unshar"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("c.json", []byte(c.body), caps.Full)
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("got  %v\nwant %s…", err, c.want)
			}
		})
	}

	body := head + "  \"linux\": {\"namespaces\": [{\"type\": \"pid\"}],\n    \"seccomp\": " + filter + "}\n}\n"
	p, err := Parse("c.json", []byte(body), caps.Full)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Spec.Syscalls; len(got) != 1 || got[0].Names[0] != "getpid" || p.Spec.DefaultAction != "SCMP_ACT_ERRNO" {
		t.Fatalf("read %+v", p.Spec)
	}
	if l, c := p.EntryPos(0, "names"); l != 6 || c != 30 {
		t.Errorf("syscalls[0].names at %d:%d, want 6:30 (in config.json)", l, c)
	}
	if f := p.FieldPath("syscalls[0]"); f != "linux.seccomp.syscalls[0]" {
		t.Errorf("field %q", f)
	}
}
