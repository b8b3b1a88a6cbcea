//go:build linux

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/runc"
	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/policy"
)

// probe --enter, from the node, measures what the probe measures inside
// the container through runc exec (what kubectl exec runs): the same
// state and the same verdict, layer and errno on every path, for
// containers whose layers differ in every way the kernel keeps apart
// (capability sets, user and groups, no_new_privs before or after the
// filter, a filter with the LOG flag, a read-only root). The container
// keeps running: its process is stopped only while its filters are read.
func TestProbeEnterEqualsExec(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	bin := staticRampart(t)
	yes := true
	for _, c := range []struct {
		name string
		p    *policy.Policy
		edit func(*specs.Spec)
	}{
		{"containerd's defaults", &policy.Policy{Capabilities: &policy.Capabilities{InheritBase: true}}, nil},
		{"RuntimeDefault, root, no no_new_privs", &policy.Policy{Capabilities: &policy.Capabilities{InheritBase: true, Drop: caps.Of(caps.NET_RAW)},
			Seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault}}, nil},
		// (runc 1.1 refuses seccomp flags, so the LOG flag's round trip
		// is TestDumpFiltersKeepsLog's.)
		{"restricted: user 1000, groups, no_new_privs, read-only root",
			&policy.Policy{Capabilities: &policy.Capabilities{Base: caps.Of(caps.NET_BIND_SERVICE)}, User: &policy.User{UID: 1000, GID: 1000},
				NoNewPrivs: &yes, Seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault}},
			func(s *specs.Spec) {
				s.Root.Readonly = true
				s.Process.User.AdditionalGids = []uint32{5, 7}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ct := startContainer(t, c.p, c.edit)
			viaExec, stderr, err := ct.Exec(context.Background(), runc.RampartInRootfs, "probe", "-o", "json")
			if err != nil {
				t.Fatalf("runc exec rampart probe: %v: %s", err, stderr)
			}
			out, err := exec.Command(bin, "probe", "--enter", "containerd://"+ct.ID, "-o", "json").Output()
			if err != nil {
				t.Fatalf("rampart probe --enter: %v: %s", err, stderrOf(err))
			}
			if !ct.Running() {
				t.Fatal("the container stopped running")
			}
			a, b := measured(t, viaExec), measured(t, out)
			if !reflect.DeepEqual(a.State, b.State) {
				t.Errorf("state differs:\nrunc exec: %s\n--enter:   %s", a.State, b.State)
			}
			if len(a.Results) != len(b.Results) || len(a.Results) < 20 {
				t.Fatalf("%d results through runc exec, %d from the node", len(a.Results), len(b.Results))
			}
			for i := range a.Results {
				// a probe's own scratch names differ from run to run
				a.Results[i].Step = scratchName.ReplaceAllString(a.Results[i].Step, "rampart-probe-*")
				b.Results[i].Step = scratchName.ReplaceAllString(b.Results[i].Step, "rampart-probe-*")
				if a.Results[i] != b.Results[i] {
					t.Errorf("runc exec: %+v\n--enter:   %+v", a.Results[i], b.Results[i])
				}
			}
		})
	}
}

// What the probe cannot enter or take on, it refuses, and says why: a
// container in a user namespace of its own (a Go program cannot join
// one), an ID that is not a whole runtime ID.
func TestProbeEnterRefuses(t *testing.T) {
	needRoot(t)
	bin := staticRampart(t)
	ct := startContainer(t, &policy.Policy{Capabilities: &policy.Capabilities{InheritBase: true}}, func(s *specs.Spec) {
		// the container's root reaches its rootfs through the test's
		// private directories
		for d := filepath.Dir(s.Root.Path); d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
			os.Chmod(d, 0o755)
		}
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	})
	for _, c := range []struct{ id, want string }{
		{ct.ID, "a user namespace of its own"},
		{ct.ID[:12], "want the runtime's 64 hex digits"},
		{strings.Repeat("0", 64), "no process on this node runs in container"},
	} {
		out, err := exec.Command(bin, "probe", "--enter", c.id).Output()
		if err == nil || !strings.Contains(stderrOf(err), c.want) {
			t.Errorf("--enter %s: %v, stdout %q, stderr %q; want an error saying %q", c.id, err, out, stderrOf(err), c.want)
		}
	}
}

// startContainer starts sleep in a detached runc container under p.
func startContainer(t *testing.T, p *policy.Policy, edit func(*specs.Spec)) *runc.Container {
	t.Helper()
	rootfs := runcRootfs(t)
	bundle := filepath.Dir(rootfs)
	spec, err := oci.Spec(p, []string{"/bin/sleep", "600"}, oci.Options{Rootfs: rootfs})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(spec)
	}
	ct, err := runc.Start(context.Background(), bundle, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ct.Delete() })
	return ct
}

var scratchName = regexp.MustCompile(`rampart-probe-[0-9]+-[0-9]+`)

// measurement is what two probes of one container must agree on.
type measurement struct {
	State   string // the whole state, as JSON
	Results []struct{ ID, Verdict, Layer, Errno, Step string }
}

func measured(t *testing.T, report []byte) measurement {
	t.Helper()
	var r struct {
		State   json.RawMessage
		Results []struct{ ID, Verdict, Layer, Errno, Step string }
	}
	if err := json.Unmarshal(report, &r); err != nil {
		t.Fatalf("%v: %s", err, report)
	}
	return measurement{State: string(r.State), Results: r.Results}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
