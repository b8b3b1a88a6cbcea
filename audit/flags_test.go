package audit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/runtimes"
)

// A node the audit cannot model is refused by the flag that gave it.
func TestNodeCheckNamesTheFlag(t *testing.T) {
	for _, c := range []struct {
		n    Node
		flag string
	}{
		{Node{Runtime: "podman"}, "--runtime"},
		{Node{Runtime: "containerd", RuntimeVersion: "1.5"}, "--runtime-version"},
		{Node{Runtime: "docker", RuntimeVersion: "27"}, "--runtime-version"},
		{Node{Sysctls: map[string]string{"kernel.perf_event_paranoia": "3"}}, "--sysctl"},
		{Node{Kernel: []string{"no-module"}}, "--node-kernel"},
		{Node{ProfilesDir: "flags_test.go"}, "--profiles"},
		{Node{Runtime: "crio", RuntimeVersion: "1.31.2", Sysctls: map[string]string{"kernel.io_uring_disabled": "1"}, Kernel: []string{KernelNoIA32}, ProfilesDir: "."}, ""},
	} {
		err := c.n.Check()
		var ne *NodeError
		switch {
		case c.flag == "" && err != nil:
			t.Errorf("%+v: %v", c.n, err)
		case c.flag != "" && (!errors.As(err, &ne) || ne.Flag != c.flag):
			t.Errorf("%+v: %v, want an error of %s", c.n, err, c.flag)
		}
	}
	var ue *runtimes.UnknownError
	if err := (&Node{Runtime: "podman"}).Check(); !errors.As(err, &ue) {
		t.Errorf("an unknown runtime is not a runtimes.UnknownError: %v", err)
	}
}

// An audit that found nothing says which of its files hold layers in a
// form it does not read, and what reads them.
func TestGateNamesOtherDialects(t *testing.T) {
	dir := t.TempDir()
	c := filepath.Join(dir, "compose.yaml")
	n := filepath.Join(dir, "notes.yaml")
	os.WriteFile(c, []byte("services:\n  web:\n    image: nginx\n"), 0o644)
	os.WriteFile(n, []byte("a: b\n"), 0o644)
	err := (&Report{}).Gate([]string{c, n}, "")
	want := c + " is a Docker Compose file, which audit does not read yet: rampart layers " + c + "#SERVICE"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("%v\nwant %q", err, want)
	}
	if strings.Contains(err.Error(), "notes.yaml is") {
		t.Errorf("a plain YAML file named: %v", err)
	}
}
