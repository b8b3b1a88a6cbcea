//go:build linux

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/runc"
	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/policy"
)

// rampart run --from a bundle's config.json gives the process what runc
// gives it from the same file: the kernel's account of the process
// (identity, the five capability sets, no_new_privs, seccomp mode) read
// inside a runc container and inside rampart's launch, and the seed's
// unshare -r refused in both under RuntimeDefault (and allowed in both
// without a filter).
func TestRunFromOCIConfigIsRunc(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	rootfs := runcRootfs(t)
	yes := true
	argv := []string{"/bin/busybox", "sh", "-c", `grep -E '^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status; /bin/busybox unshare -r true 2>/dev/null; echo unshare=$?`}
	for _, c := range []struct {
		name    string
		p       *policy.Policy
		unshare string // unshare -r's exit status, the same in both
	}{
		{"root, RuntimeDefault", &policy.Policy{Capabilities: &policy.Capabilities{InheritBase: true, Drop: caps.Of(caps.NET_RAW, caps.SYS_ADMIN)},
			Seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault}}, "1"},
		{"user 1000, ambient", &policy.Policy{Capabilities: &policy.Capabilities{Base: caps.Of(caps.NET_BIND_SERVICE, caps.CHOWN), Ambient: true},
			User: &policy.User{UID: 1000, GID: 1000}, NoNewPrivs: &yes}, "0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec, err := oci.Spec(c.p, argv, oci.Options{Rootfs: rootfs})
			if err != nil {
				t.Fatal(err)
			}
			if c.p.Capabilities.Ambient {
				// oci.Spec writes no ambient set (Kubernetes has none);
				// a config can
				s := spec.Process.Capabilities
				s.Inheritable, s.Ambient = s.Bounding, s.Bounding
			}
			bundle := t.TempDir()
			res, err := runc.Run(context.Background(), bundle, spec)
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != 0 {
				t.Fatalf("runc: exit %d: %s", res.ExitCode, res.Stderr)
			}
			r := rampart(t, "", append([]string{"run", "--from", filepath.Join(bundle, "config.json"), "--"}, argv...)...)
			if r.code != 0 {
				t.Fatalf("rampart: exit %d: %s", r.code, r.stderr)
			}
			if r.stdout != string(res.Stdout) {
				t.Errorf("runc:\n%s\nrampart run --from config.json:\n%s", res.Stdout, r.stdout)
			}
			if !strings.Contains(r.stdout, "unshare="+c.unshare+"\n") || !strings.Contains(r.stdout, "CapBnd:") {
				t.Errorf("the workload did not report: %q", r.stdout)
			}
			if !strings.Contains(r.stderr, "the config's root filesystem, mounts, namespaces") {
				t.Errorf("no note of what rampart run does not apply: %q", r.stderr)
			}
		})
	}
}

// Prediction equals measurement for a bundle: what audit predicts for
// a config.json is what rampart probe measures under rampart run --from
// it (predictionMatchesMeasurement says for which paths).
func TestOCIConfigPredictionEqualsMeasurement(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	for _, c := range []struct {
		name string
		p    *policy.Policy
	}{
		{"runtime-default", &policy.Policy{Capabilities: &policy.Capabilities{InheritBase: true, Drop: caps.Of(caps.NET_RAW)},
			Seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault}}},
		{"no filter, SYS_ADMIN", &policy.Policy{Capabilities: &policy.Capabilities{InheritBase: true, Add: caps.Of(caps.SYS_ADMIN)}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec, err := oci.Spec(c.p, []string{"sh"}, oci.Options{})
			if err != nil {
				t.Fatal(err)
			}
			body, err := json.MarshalIndent(spec, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(file, body, 0o644); err != nil {
				t.Fatal(err)
			}
			predicted := auditPaths(t, file)
			if len(predicted) != 1 {
				t.Fatalf("%d workloads", len(predicted))
			}
			measured, _ := probeUnder(t, []string{"--from", file})
			for _, paths := range predicted {
				predictionMatchesMeasurement(t, paths, measured)
			}
		})
	}
}
