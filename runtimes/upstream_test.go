//go:build linux && cgo

package runtimes

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/opencontainers/runc/libcontainer/specconv"

	"github.com/rampart-sec/rampart/caps"
)

// upstream is what a runtime's own source declares (testdata/upstream,
// written by gen/main.go from the module proxy's copy of it).
type upstream struct {
	Comment, Runtime, Version  string
	Capabilities               []string
	MaskedPaths, ReadonlyPaths []string
}

func readUpstream(t *testing.T) map[string]upstream {
	files, err := filepath.Glob("testdata/upstream/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no references: %v", err)
	}
	out := map[string]upstream{}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var u upstream
		if err := json.Unmarshal(body, &u); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = u
	}
	return out
}

// The newest release of each runtime declares what the tables say, and
// no older one masked or made read-only a path the tables leave open.
func TestTablesAreTheRuntimesOwn(t *testing.T) {
	newest := map[string]string{
		"containerd-2.4.2.json": "containerd",
		"docker-28.5.2.json":    "docker",
		"kubelet-1.35.0.json":   "cri-o", // CRI-O applies the kubelet's lists
	}
	for file, u := range readUpstream(t) {
		r, err := Lookup(u.Runtime, u.Version)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if u.Capabilities != nil {
			want, err := caps.FromNames(u.Capabilities)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if r.Caps != want {
				t.Errorf("%s: %s's capabilities are %s, %s declares %s", file, r.Name, r.Caps, u.Comment, want)
			}
		}
		for _, l := range []struct {
			what       string
			have, want []string
		}{{"masked", r.MaskedPaths, u.MaskedPaths}, {"read-only", r.ReadOnlyPaths, u.ReadonlyPaths}} {
			if l.want == nil {
				t.Errorf("%s: no %s paths", file, l.what)
				continue
			}
			if missing := minus(l.want, l.have); len(missing) > 0 {
				t.Errorf("%s: %s's %s paths lack %q (%s)", file, r.Name, l.what, missing, u.Comment)
			}
			if extra := minus(l.have, l.want); newest[file] == u.Runtime && len(extra) > 0 {
				t.Errorf("%s: %s's %s paths have %q, which its newest release does not (%s)", file, r.Name, l.what, extra, u.Comment)
			}
		}
		delete(newest, file)
	}
	for file := range newest {
		t.Errorf("no reference %s", file)
	}
	if !slices.Equal(CRIO.MaskedPaths, KubeletMaskedPaths) || !slices.Equal(CRIO.ReadOnlyPaths, KubeletReadOnlyPaths) {
		t.Error("CRI-O's paths are not the kubelet's")
	}
}

// runc's example spec, the base every runtime's default spec grew from:
// each runtime masks at least its paths, and makes the same read-only.
func TestTablesHoldRuncs(t *testing.T) {
	ex := specconv.Example().Linux
	for _, r := range All {
		ro := r.ReadOnlyPaths
		if r == Podman {
			// containers/common makes /proc/asound read-only instead of
			// masking it: hidden from writes, not from reads
			if !slices.Contains(ro, "/proc/asound") {
				t.Error("podman neither masks /proc/asound nor makes it read-only")
			}
			ro = minus(ro, []string{"/proc/asound"})
			if m := minus(ex.MaskedPaths, append(r.MaskedPaths, "/proc/asound")); len(m) > 0 {
				t.Errorf("%s does not mask runc's %q", r.Name, m)
			}
		} else if m := minus(ex.MaskedPaths, r.MaskedPaths); len(m) > 0 {
			t.Errorf("%s does not mask runc's %q", r.Name, m)
		}
		if len(minus(ex.ReadonlyPaths, ro)) > 0 || len(minus(ro, ex.ReadonlyPaths)) > 0 {
			t.Errorf("%s's read-only paths %q, runc's %q", r.Name, r.ReadOnlyPaths, ex.ReadonlyPaths)
		}
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
