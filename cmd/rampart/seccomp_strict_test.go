package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A profile that would silently not hold is a refused layer: exit 125,
// the layer, the file and the reason, and CMD never runs.
func TestSeccompProfileRefused(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	dir := t.TempDir()
	for _, c := range []struct{ name, body, msg string }{
		// The rule would vanish: unshare -U would run.
		{"unknown-arch", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["unshare"],"action":"SCMP_ACT_ERRNO","includes":{"arches":["x86_64"]}}]}`,
			`unknown-arch.json:1:116: syscalls[0].includes.arches[0]: unknown architecture "x86_64"`},
		{"cap-spelling", `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["unshare"],"action":"SCMP_ACT_ERRNO","excludes":{"caps":["SYS_ADMIN"]}}]}`,
			`cap-spelling.json:1:114: syscalls[0].excludes.caps[0]: "SYS_ADMIN": write it "CAP_SYS_ADMIN"`},
		// The last of two keys would win: allow-by-default.
		{"duplicate-key", "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\n\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}],\n\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
			`duplicate-key.json:3:1: defaultAction: key "defaultAction" written twice (first at 1:2)`},
		{"case-variant", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}],"DefaultAction":"SCMP_ACT_ALLOW"}`,
			`case-variant.json:1:93: DefaultAction: key "DefaultAction" differs from "defaultAction" only in case`},
		{"empty", "", `empty.json: the file is empty`},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, c.name+".json")
			os.WriteFile(file, []byte(c.body), 0o644)
			marker := filepath.Join(dir, c.name+".ran")
			r := rampart(t, "", argv([]string{"--seccomp", file}, []string{"sh", "-c", "touch " + marker})...)
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("the command ran (exit %d); stderr: %s", r.code, r.stderr)
			}
			if r.code != exitRefused {
				t.Fatalf("exit %d (signal %v), want %d; stderr: %s", r.code, r.signal, exitRefused, r.stderr)
			}
			if want := "rampart: seccomp: " + filepath.Join(dir, c.msg); !strings.HasPrefix(r.stderr, want) {
				t.Fatalf("stderr %q\nwant     %q…", r.stderr, want)
			}
		})
	}
}
