package runc

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

// staticRampart is built once per test run: the container needs the
// static binary `make build` makes, not the dynamically linked test.
var staticRampart string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rampart-runc-test-")
	if err != nil {
		panic(err)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if os.Geteuid() == 0 {
			staticRampart = filepath.Join(dir, "rampart")
			cmd := exec.Command("go", "build", "-tags", "seccomp osusergo netgo",
				"-ldflags", "-s -w -linkmode external -extldflags -static", "-o", staticRampart, "../../cmd/rampart")
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "building static rampart: %v\n%s", err, out)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

func needRuncRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running runc containers needs root")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		t.Fatal("runc not installed (Debian package runc; `make test` installs it)")
	}
}

// probeInContainer runs `rampart probe -o json` as the container's
// process under p and returns the results by ID.
func probeInContainer(t *testing.T, p *policy.Policy) (map[string]attack.Result, *attack.Report) {
	t.Helper()
	bundle := t.TempDir()
	if err := Rootfs(filepath.Join(bundle, "rootfs"), staticRampart); err != nil {
		t.Fatal(err)
	}
	spec, err := oci.Spec(p, []string{RampartInRootfs, "probe", "-o", "json"}, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, bundle, spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("container exit %d:\n%s", res.ExitCode, res.Stderr)
	}
	var rep attack.Report
	if err := json.Unmarshal(res.Stdout, &rep); err != nil {
		t.Fatalf("%v:\n%s\n%s", err, res.Stdout, res.Stderr)
	}
	out := map[string]attack.Result{}
	for _, r := range rep.Results {
		out[r.ID] = r
	}
	return out, &rep
}

func expect(t *testing.T, res map[string]attack.Result, id, layer string) {
	t.Helper()
	r, ok := res[id]
	if !ok {
		t.Errorf("%s: no result", id)
		return
	}
	if layer == "" && r.Verdict != attack.Open {
		t.Errorf("%s: blocked by %s (%s %s), want open", id, r.Layer, r.Errno, r.Evidence)
	}
	if layer != "" && (r.Verdict != attack.Blocked || r.Layer != layer) {
		t.Errorf("%s: %s %s (%s %s), want blocked by %s", id, r.Verdict, r.Layer, r.Errno, r.Evidence, layer)
	}
}

// The container's own configuration decides: containerd's default set
// keeps NET_RAW (raw socket open) but lacks SYS_MODULE and SYS_ADMIN.
func TestProbeInContainerDefaults(t *testing.T) {
	needRuncRoot(t)
	res, rep := probeInContainer(t, &policy.Policy{})
	if rep.State.Container != "container" && rep.State.Container == "" {
		t.Errorf("probe did not notice it runs in a container: %+v", rep.State)
	}
	if rep.State.Namespaces["pid"] != "private" {
		t.Errorf("pid namespace %q", rep.State.Namespaces["pid"])
	}
	if got := rep.State.CapBnd; len(got) != runtimes.Containerd.Caps.Len() {
		t.Errorf("bounding set %v, want containerd's %d", got, runtimes.Containerd.Caps.Len())
	}
	expect(t, res, "raw-socket", "")
	expect(t, res, "read-shadow", "")
	for _, id := range []string{"mount-tmpfs", "cgroup-mount", "reboot", "set-clock", "pivot-root", "open-by-handle", "bpf-load"} {
		expect(t, res, id, attack.ByCapabilities)
	}
	// A kernel built without module support has no init_module at all.
	if _, err := os.Stat("/proc/modules"); err == nil {
		expect(t, res, "kernel-module", attack.ByCapabilities)
	} else {
		expect(t, res, "kernel-module", attack.ByOther)
	}
	// /proc/sys is read-only in the container's mount table: no layer's doing
	if _, ok := res["core-pattern"]; ok {
		expect(t, res, "core-pattern", attack.ByOther)
	}
}

// The seed's second step inside the container: NET_RAW dropped and
// RuntimeDefault loaded by runc.
func TestProbeInContainerSeedStep2(t *testing.T) {
	needRuncRoot(t)
	res, rep := probeInContainer(t, &policy.Policy{
		Capabilities: &policy.Capabilities{InheritBase: true, Drop: caps.Of(caps.NET_RAW)},
		Seccomp:      policy.Seccomp{Kind: policy.SeccompRuntimeDefault},
	})
	if rep.State.Seccomp != 2 {
		t.Fatalf("seccomp mode %d inside the container", rep.State.Seccomp)
	}
	expect(t, res, "raw-socket", attack.ByCapabilities)
	expect(t, res, "userns-netns", attack.BySeccomp)
	expect(t, res, "read-shadow", "")
}
