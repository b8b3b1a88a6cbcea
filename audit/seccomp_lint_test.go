//go:build linux && cgo && seccomp

package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A container with a Localhost profile gets seccomp lint's findings as
// notes, placed in the profile's file: a profile that refuses unshare
// alone shows the sibling finding (clone makes the same namespaces), with
// its fix. A RuntimeDefault container gets none.
func TestAuditLintsLocalhostProfiles(t *testing.T) {
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	dir := t.TempDir()
	body, err := os.ReadFile("../seccomp/testdata/lint/unshare-only.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "no-unshare.json"), body, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := New(Node{ProfilesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r := a.Read("pod.yaml", []byte(`apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: local
    image: busybox
    securityContext:
      seccompProfile:
        type: Localhost
        localhostProfile: no-unshare.json
  - name: default
    image: busybox
    securityContext:
      seccompProfile:
        type: RuntimeDefault
`))
	if len(r.Workloads) != 1 || len(r.Workloads[0].Containers) != 2 {
		t.Fatalf("report: %+v", r)
	}
	local, def := r.Workloads[0].Containers[0], r.Workloads[0].Containers[1]
	want := "seccomp lint: " + filepath.Join(dir, "no-unshare.json") + ":6:16: warning: unshare SCMP_ACT_ERRNO(EACCES) does not hold: x86_64 clone(0x20000, 0x0, 0x0) gets SCMP_ACT_ALLOW"
	found := false
	for _, n := range local.Notes {
		found = found || strings.HasPrefix(n, want) && strings.Contains(n, "[sibling]; fix: refuse clone when it asks for a namespace")
	}
	if !found {
		t.Errorf("no lint note %q in\n%s", want, strings.Join(local.Notes, "\n"))
	}
	for _, n := range def.Notes {
		if strings.HasPrefix(n, "seccomp lint:") {
			t.Errorf("RuntimeDefault container has a lint note: %s", n)
		}
	}
}
