//go:build linux

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/internal/runc"
	"github.com/rampart-sec/rampart/layers"
)

func layersJSON(t *testing.T, r result) *layers.Matrix {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("rampart layers: exit %d\n%s", r.code, r.stderr)
	}
	var m layers.Matrix
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	// Four steps, and a fifth (+userns) for a policy with a user
	// namespace; fewer with --steps.
	if m.Schema != layers.SchemaVersion || len(m.Steps) < 1 || len(m.Steps) > 5 {
		t.Fatalf("schema %q, %d steps", m.Schema, len(m.Steps))
	}
	return &m
}

// closedAt asserts where a row is first closed and by which layer ("" =
// a gap, open under every step).
func closedAt(t *testing.T, m *layers.Matrix, id, step, layer string) {
	t.Helper()
	r := m.Row(id)
	if r == nil {
		t.Fatalf("no row %s", id)
	}
	if r.ClosedAt != step || r.ClosedBy != layer {
		t.Errorf("%s: closed at %q by %q (cells %+v), want at %q by %q", id, r.ClosedAt, r.ClosedBy, r.Cells, step, layer)
	}
	if step != "" && r.Cells[0].Verdict != attack.Open {
		t.Errorf("%s: not open at baseline: %+v", id, r.Cells[0])
	}
}

// The main job on its embedded default reproduces the article: each
// layer closes its path, and no earlier one does.
func TestLayersDefaultReproducesTheSeed(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	m := layersJSON(t, rampart(t, "", "layers", "-o", "json"))
	closedAt(t, m, "raw-socket", layers.PlusCaps, attack.ByCapabilities)
	closedAt(t, m, "userns-netns", layers.PlusSeccomp, attack.BySeccomp)
	closedAt(t, m, "read-shadow", layers.PlusLSM, attack.ByLSM)
	if r := m.Row("read-shadow"); r.LSM != "Landlock" {
		t.Errorf("read-shadow closed by %q, want Landlock standing in for AppArmor on this kernel", r.LSM)
	}
	found := false
	for _, n := range m.Notes {
		found = found || strings.Contains(n, "enforced by Landlock")
	}
	if !found {
		t.Errorf("no note that Landlock stands in for AppArmor: %q", m.Notes)
	}
	if len(m.Rows) < 24 {
		t.Errorf("%d rows, want the whole catalog", len(m.Rows))
	}
}

// Each of the seed's manifests as POLICY: step 1 closes only the raw
// socket, step 2 adds unshare, step 3 adds the shadow file.
func TestLayersSeedManifests(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	seed := []string{"raw-socket", "userns-netns", "read-shadow"}
	for _, c := range []struct {
		file  string
		steps [3]string // where each seed path closes ("" = open throughout)
	}{
		{"0-baseline.yaml", [3]string{"", "", ""}},
		{"1-drop-net-raw.yaml", [3]string{layers.PlusCaps, "", ""}},
		{"2-seccomp.yaml", [3]string{layers.PlusCaps, layers.PlusSeccomp, ""}},
		{"3-apparmor.yaml", [3]string{layers.PlusCaps, layers.PlusSeccomp, layers.PlusLSM}},
	} {
		t.Run(c.file, func(t *testing.T) {
			m := layersJSON(t, rampart(t, "", "layers", "../../examples/seed/"+c.file,
				"--apparmor-dir", "../../examples/seed", "--only", strings.Join(seed, ","), "-o", "json"))
			layer := map[string]string{layers.PlusCaps: attack.ByCapabilities, layers.PlusSeccomp: attack.BySeccomp, layers.PlusLSM: attack.ByLSM, "": ""}
			for i, id := range seed {
				closedAt(t, m, id, c.steps[i], layer[c.steps[i]])
			}
		})
	}
}

// The article's literal commands as extra rows.
func TestLayersAttackRows(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	m := layersJSON(t, rampart(t, "", "layers", "--only", "raw-socket", "-o", "json",
		"--attack", "/usr/bin/python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)'",
		"--attack", "unshare -r -n sh -c true",
		"--attack", "cat /etc/shadow >/dev/null"))
	closedAt(t, m, "attack-1", layers.PlusCaps, attack.ByCapabilities)
	closedAt(t, m, "attack-2", layers.PlusSeccomp, attack.BySeccomp)
	closedAt(t, m, "attack-3", layers.PlusLSM, attack.ByLSM)
}

func TestLayersOutputs(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	for _, c := range []struct{ format, want string }{
		{"table", "+seccomp closed 1: userns-netns"},
		{"markdown", "| `raw-socket` | open | blocked | blocked | blocked | capabilities |"},
		{"svg", "<svg xmlns=\"http://www.w3.org/2000/svg\""},
		{"html", "<td class=\"open\""},
	} {
		r := rampart(t, "", "layers", "--only", strings.Join(attack.Seed, ","), "-o", c.format)
		if r.code != 0 || !strings.Contains(r.stdout, c.want) {
			t.Errorf("-o %s: exit %d, output lacks %q:\n%s\n%s", c.format, r.code, c.want, r.stdout, r.stderr)
		}
		if c.format == "table" && strings.Contains(r.stdout, "\x1b[") {
			t.Error("colour escapes in a pipe")
		}
	}
}

var (
	staticOnce sync.Once
	staticBin  string
	staticErr  error
)

// staticRampart builds the static binary the runc engine copies into its
// containers (the test binary is dynamically linked).
func staticRampart(t *testing.T) string {
	t.Helper()
	staticOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rampart-static-")
		if err != nil {
			staticErr = err
			return
		}
		staticBin = filepath.Join(dir, "rampart")
		cmd := exec.Command("go", "build", "-tags", "seccomp osusergo netgo",
			"-ldflags", "-s -w -linkmode external -extldflags -static", "-o", staticBin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			staticErr = err
			staticBin = string(out)
		}
	})
	if staticErr != nil {
		t.Fatalf("building the static rampart: %v\n%s", staticErr, staticBin)
	}
	return staticBin
}

// needRunc fails where runc is missing: `make test` installs it.
func needRunc(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("runc"); err != nil {
		t.Fatal("runc not installed (Debian package runc; `make test` installs it)")
	}
}

// runcRootfs is a busybox root filesystem with the static rampart in it,
// for runc containers; it needs runc and busybox.
func runcRootfs(t *testing.T) string {
	t.Helper()
	needRunc(t)
	needTools(t, "/bin/busybox")
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	if err := runc.Rootfs(rootfs, staticRampart(t)); err != nil {
		t.Fatal(err)
	}
	return rootfs
}

// In real runc containers the same three conclusions hold.
func TestLayersRuncEngine(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	needRunc(t)
	bin := staticRampart(t)
	cmd := exec.Command(bin, "layers", "--engine", "runc", "-o", "json", "--only", strings.Join(attack.Seed, ","),
		"--attack", "cat /etc/shadow >/dev/null")
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	m := layersJSON(t, result{code: map[bool]int{true: 0, false: 1}[err == nil], stdout: string(out), stderr: stderr})
	if m.Engine != "runc" {
		t.Fatalf("engine %q", m.Engine)
	}
	closedAt(t, m, "raw-socket", layers.PlusCaps, attack.ByCapabilities)
	closedAt(t, m, "userns-netns", layers.PlusSeccomp, attack.BySeccomp)
	closedAt(t, m, "read-shadow", layers.PlusLSM, attack.ByLSM)
	closedAt(t, m, "attack-1", layers.PlusLSM, attack.ByLSM)
}

func TestOCISpec(t *testing.T) {
	r := rampart(t, "", "oci", "spec", "../../examples/seed/2-seccomp.yaml", "--", "/app/server", "--port", "5000")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var s struct {
		Process struct {
			Args            []string
			NoNewPrivileges bool
			Capabilities    struct{ Bounding, Effective []string }
		}
		Linux struct {
			Seccomp *struct {
				DefaultAction string
				Syscalls      []struct{ Names []string }
			}
			ReadonlyPaths []string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Process.Args, " ") != "/app/server --port 5000" {
		t.Errorf("args %q", s.Process.Args)
	}
	if len(s.Process.Capabilities.Bounding) != 13 || strings.Contains(strings.Join(s.Process.Capabilities.Bounding, ","), "NET_RAW") {
		t.Errorf("bounding %v: want containerd's 14 without NET_RAW", s.Process.Capabilities.Bounding)
	}
	if s.Process.NoNewPrivileges {
		t.Error("the manifest leaves allowPrivilegeEscalation unset: no_new_privs must be off, as the kubelet sets it")
	}
	if s.Linux.Seccomp == nil || s.Linux.Seccomp.DefaultAction != "SCMP_ACT_ERRNO" {
		t.Fatalf("seccomp %+v", s.Linux.Seccomp)
	}
	for _, sc := range s.Linux.Seccomp.Syscalls {
		for _, n := range sc.Names {
			if n == "unshare" {
				t.Error("RuntimeDefault resolved without SYS_ADMIN must not allow unshare")
			}
		}
	}
}

// A format layers cannot write is refused before the run: no step runs
// (the attack that would leave a file leaves none), and the status is
// a usage error's.
func TestLayersBadFormatRefusedFirst(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	r := rampart(t, "", "layers", "--only", "raw-socket", "--attack", "touch "+marker, "-o", "bogus")
	if r.code != exitUsage || !strings.Contains(r.stderr, `-o "bogus": want table, json, markdown, svg or html`) {
		t.Errorf("exit %d, want %d with the formats named:\n%s", r.code, exitUsage, r.stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the layers ran before -o was checked")
	}
}
