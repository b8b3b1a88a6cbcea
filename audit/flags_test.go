package audit

import (
	"errors"
	"testing"

	"github.com/rampart-sec/rampart/runtimes"
)

// A node the audit cannot model is refused by the flag that gave it.
func TestNodeCheckNamesTheFlag(t *testing.T) {
	for _, c := range []struct {
		n    Node
		flag string
	}{
		{Node{Runtime: "rkt"}, "--runtime"},
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
	if err := (&Node{Runtime: "rkt"}).Check(); !errors.As(err, &ue) {
		t.Errorf("an unknown runtime is not a runtimes.UnknownError: %v", err)
	}
}
