//go:build linux

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampart-sec/rampart/attack"
)

// rampart run --from a Compose service: the kernel's account of the
// process is the service's layers with Docker's defaults — the hardened
// service's two capabilities, no_new_privs, RuntimeDefault (the seed's
// unshare refused) and its user; the service that asks for no filter
// gets none, and keeps Docker's other defaults.
func TestRunFromCompose(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(`x-hardening: &hardening
  cap_drop: [ALL]
  security_opt: [no-new-privileges:true]
services:
  web:
    image: nginx
    <<: *hardening
    cap_add: [NET_BIND_SERVICE, chown]
    user: "1000:1000"
  legacy:
    image: app
    cap_drop: [NET_RAW]
    security_opt: [seccomp=unconfined]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	report := []string{"sh", "-c", `grep -E '^(Uid|CapBnd|CapEff|NoNewPrivs|Seccomp):' /proc/self/status; unshare -r true 2>/dev/null; echo unshare=$?`}
	for _, c := range []struct{ service, want string }{
		// CHOWN and NET_BIND_SERVICE; as uid 1000 none effective
		{"web", "Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000401\nNoNewPrivs:\t1\nSeccomp:\t2\nunshare=1\n"},
		// Docker's 14 less NET_RAW, as root
		{"legacy", "Uid:\t0\t0\t0\t0\nCapEff:\t00000000a80405fb\nCapBnd:\t00000000a80405fb\nNoNewPrivs:\t0\nSeccomp:\t0\nunshare=0\n"},
	} {
		t.Run(c.service, func(t *testing.T) {
			r := rampart(t, "", append([]string{"run", "--from", file + "#" + c.service, "--"}, report...)...)
			if r.code != 0 || r.stdout != c.want {
				t.Fatalf("exit %d\n%s\nwant\n%s\nstderr: %s", r.code, r.stdout, c.want, r.stderr)
			}
			if !strings.Contains(r.stderr, "services."+c.service+": rampart run enforces the service's process layers") {
				t.Errorf("no note of what is not applied: %s", r.stderr)
			}
		})
	}
}

// Prediction equals measurement for Compose services: what audit
// predicts for each service (as the Pod it stands for, on a Docker node)
// is what rampart probe measures under rampart run --from the same
// service (predictionMatchesMeasurement says for which paths).
func TestComposePredictionEqualsMeasurement(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	file := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(file, []byte(`services:
  defaults:
    image: app
  hardened:
    image: app
    cap_drop: [ALL]
    cap_add: [CHOWN, DAC_OVERRIDE, SETUID, SETGID]
    security_opt: [no-new-privileges:true]
  unfiltered:
    image: app
    cap_drop: [NET_RAW]
    cap_add: [SYS_ADMIN]
    security_opt: [seccomp=unconfined]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, paths := range auditPaths(t, file) {
		t.Run(name, func(t *testing.T) {
			measured, _ := probeUnder(t, []string{"--from", file + "#" + name})
			predictionMatchesMeasurement(t, paths, measured)
		})
	}
}

// auditedPath is a path of `rampart audit -o json`.
type auditedPath struct{ ID, Verdict, Layer string }

// auditPaths audits file (with audit's flags) and returns each
// workload's first container's paths, by workload name.
func auditPaths(t *testing.T, file string, flags ...string) map[string][]auditedPath {
	t.Helper()
	r := rampart(t, "", append(append([]string{"audit", "-o", "json"}, flags...), file)...)
	if r.code != 0 && r.code != 1 {
		t.Fatalf("audit: exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Workloads []struct {
			Name       string
			Containers []struct{ Paths []auditedPath }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	out := map[string][]auditedPath{}
	for _, w := range rep.Workloads {
		out[w.Name] = w.Containers[0].Paths
	}
	return out
}

// predictionMatchesMeasurement compares, for every path that only the
// capabilities and seccomp decide on both sides, what audit predicted
// with what the probe measured. Paths the node decides (its sockets,
// files, kernel modules) are a container's on one side and this host's
// on the other, and so is setns-host: the host's namespaces are
// another's from a container and the probe's own on the host.
func predictionMatchesMeasurement(t *testing.T, predicted []auditedPath, measured map[string]attack.Result) {
	t.Helper()
	decides := decidedByLayers
	compared := 0
	for _, p := range predicted {
		m, ok := measured[p.ID]
		if !ok {
			t.Fatalf("%s: not measured", p.ID)
		}
		if !decides(p.Layer) || !decides(m.Layer) || p.ID == "setns-host" {
			continue
		}
		if p.Verdict != m.Verdict || p.Layer != m.Layer {
			t.Errorf("%s: predicted %s by %s, measured %s by %s (%s)", p.ID, p.Verdict, p.Layer, m.Verdict, m.Layer, m.Evidence)
		}
		compared++
	}
	if compared < 10 {
		t.Errorf("only %d paths compared", compared)
	}
	t.Logf("%d paths compared, prediction = measurement", compared)
}

// decidedByLayers says whether a path's result is the process's own
// layers' (capabilities, seccomp, or none: open), not the node's.
func decidedByLayers(layer string) bool {
	return layer == "" || layer == attack.ByCapabilities || layer == attack.BySeccomp
}

// A Compose file and a bundle's config.json report as manifests do: a
// SARIF log Microsoft's validator accepts, its results placed at lines
// of those files, JSON that docs/audit.schema.json accepts, and
// --fail-on deciding on them.
func TestDialectsReport(t *testing.T) {
	needSeccomp(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	dir := t.TempDir()
	composeFile := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(composeFile, []byte("services:\n  web:\n    image: nginx\n    cap_drop: [NET_RAW]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "config.json")
	if err := os.WriteFile(config, []byte(`{
  "ociVersion": "1.2.0",
  "process": {"args": ["sh"], "noNewPrivileges": true,
    "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}},
  "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "mount"}]}
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(dir, "web.service")
	if err := os.WriteFile(unit, []byte("[Service]\nExecStart=/bin/web\nUser=nobody\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\nSystemCallFilter=@system-service\nSystemCallErrorNumber=EPERM\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	quadlet := filepath.Join(dir, "web.container")
	if err := os.WriteFile(quadlet, []byte("[Container]\nImage=web\nDropCapability=CAP_NET_RAW\nVolume=/run/podman/podman.sock:/run/podman/podman.sock\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(filepath.Join(repoRoot, "docs", "audit.schema.json"))
	schema, err := jsonschema.NewCompiler().Compile("file://" + abs)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{composeFile, config, unit, quadlet} {
		r := rampart(t, "", "audit", "-o", "sarif", "--sarif-base", dir, file)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", file, r.code, r.stderr)
		}
		var log sarifLog
		if err := json.Unmarshal([]byte(r.stdout), &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) == 0 {
			t.Fatalf("%s: %v %s", file, err, r.stdout)
		}
		for _, res := range log.Runs[0].Results {
			if loc := res.Locations[0].PhysicalLocation; loc == nil || loc.ArtifactLocation.URI != filepath.Base(file) {
				t.Errorf("%s: %s placed at %+v", file, res.RuleID, res.Locations)
			}
		}
		validateSARIF(t, file, r.stdout)
		j := rampart(t, "", "audit", "-o", "json", file)
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(j.stdout))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s: -o json against docs/audit.schema.json: %v", file, err)
		}
		if r := rampart(t, "", "audit", "--fail-on", "open-path", file); r.code != 1 {
			t.Errorf("%s: --fail-on open-path: exit %d: %s", file, r.code, r.stderr)
		}
	}
}

// A docker run command line is the Compose service it amounts to: audit
// predicts for the command what rampart probe measures under rampart run
// --from the same command, and what it predicts for the Compose service
// written for it by hand.
func TestDockerRunPredictionEqualsMeasurement(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	dir := t.TempDir()
	for _, c := range []struct{ cmd, service string }{
		{"docker run app", "    image: app\n"},
		{"docker run --rm -it --cap-drop ALL --cap-add CHOWN --cap-add=setuid -u 0 --security-opt no-new-privileges app sh",
			"    image: app\n    cap_drop: [ALL]\n    cap_add: [CHOWN, setuid]\n    user: \"0\"\n    security_opt: [no-new-privileges]\n"},
		{"docker container run --cap-drop NET_RAW --cap-add SYS_ADMIN --security-opt seccomp=unconfined -e A=1 app",
			"    image: app\n    cap_drop: [NET_RAW]\n    cap_add: [SYS_ADMIN]\n    security_opt: [seccomp=unconfined]\n"},
	} {
		t.Run(c.cmd, func(t *testing.T) {
			predicted := auditPaths(t, c.cmd)["run"]
			if predicted == nil {
				t.Fatalf("no prediction: %v", auditPaths(t, c.cmd))
			}
			measured, _ := probeUnder(t, []string{"--from", c.cmd})
			predictionMatchesMeasurement(t, predicted, measured)
			file := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(file, []byte("services:\n  run:\n"+c.service), 0o644); err != nil {
				t.Fatal(err)
			}
			asCompose := auditPaths(t, file)["run"]
			if len(asCompose) != len(predicted) {
				t.Fatalf("%d paths as Compose, %d as docker run", len(asCompose), len(predicted))
			}
			for i := range predicted {
				if predicted[i] != asCompose[i] {
					t.Errorf("%s: as docker run %+v, as Compose %+v", predicted[i].ID, predicted[i], asCompose[i])
				}
			}
		})
	}
}

// Prediction equals measurement for Podman Quadlet .container units:
// what audit predicts for each (as the Pod it stands for, on a Podman
// host) is what rampart probe measures under rampart run --from the
// unit, and the kernel's account of a non-root container is Podman's:
// its added capabilities raised into the ambient set.
func TestQuadletPredictionEqualsMeasurement(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	dir := t.TempDir()
	units := map[string]string{
		"defaults":   "",
		"hardened":   "DropCapability=all\nAddCapability=CAP_CHOWN CAP_SETUID CAP_SETGID\nNoNewPrivileges=true\n",
		"unfiltered": "DropCapability=CAP_NET_RAW\nAddCapability=CAP_SYS_ADMIN\nSeccompProfile=unconfined\n",
		"nonroot":    "DropCapability=all\nAddCapability=CAP_NET_BIND_SERVICE CAP_NET_RAW\nUser=1000\nGroup=1000\n",
	}
	self := selfForEveryone(t)
	for name, body := range units {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, name+".container")
			if err := os.WriteFile(file, []byte("[Unit]\nDescription=test\n\n[Container]\nImage=app\n"+body+"\n[Install]\nWantedBy=default.target\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			predicted := auditPaths(t, file)[name+"-container"]
			if predicted == nil {
				t.Fatalf("no prediction for %s", name)
			}
			r := rampart(t, "", "run", "--from", file, "--", self, "probe", "-o", "json")
			if r.code != 0 {
				t.Fatalf("run --from: exit %d: %s", r.code, r.stderr)
			}
			measured, _ := decodeProbe(t, "under run --from", []byte(r.stdout), nil)
			predictionMatchesMeasurement(t, predicted, measured)
		})
	}
	// uid 1000 keeps NET_BIND_SERVICE and NET_RAW, ambient as Podman
	// raises them
	r := rampart(t, "", "run", "--from", filepath.Join(dir, "nonroot.container"), "--", "grep", "-E", "^(Uid|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):", "/proc/self/status")
	want := "Uid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000002400\nCapBnd:\t0000000000002400\nCapAmb:\t0000000000002400\nNoNewPrivs:\t0\nSeccomp:\t2\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("exit %d\n%s\nwant\n%s\n%s", r.code, r.stdout, want, r.stderr)
	}
}
