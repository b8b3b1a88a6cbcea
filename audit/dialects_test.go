//go:build linux && cgo && seccomp

package audit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/compose"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/oci"
	"github.com/rampart-sec/rampart/runtimes"
)

// A manifest and the OCI runtime config of its container (as oci spec
// writes it, with what the kubelet gives where the manifest is silent)
// audit alike, path by path: two readers, the Kubernetes one and the
// runtime config's, of one set of layers. The node is Docker's, whose
// RuntimeDefault is the profile oci spec writes into the config.
func TestOCIConfigAuditsAsItsManifest(t *testing.T) {
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	// The seed's three, and a workload whose user, no_new_privs, host
	// pid namespace and mount of Docker's socket decide paths too.
	own := filepath.Join(t.TempDir(), "own.yaml")
	if err := os.WriteFile(own, []byte(`apiVersion: v1
kind: Pod
metadata: {name: own}
spec:
  hostPID: true
  containers:
  - name: c
    image: busybox
    securityContext:
      runAsUser: 1000
      runAsGroup: 1000
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE, SYS_PTRACE]}
      seccompProfile: {type: RuntimeDefault}
    volumeMounts: [{name: sock, mountPath: /var/run/docker.sock}]
  volumes: [{name: sock, hostPath: {path: /run/docker.sock}}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	// Root with the socket mounted reaches it; a non-root user keeping
	// the default capabilities is held by no_new_privs alone.
	rootSock := filepath.Join(t.TempDir(), "root-sock.yaml")
	nnp := filepath.Join(t.TempDir(), "nnp.yaml")
	for f, body := range map[string]string{
		rootSock: `apiVersion: v1
kind: Pod
metadata: {name: root-sock}
spec:
  containers:
  - name: c
    image: busybox
    volumeMounts: [{name: sock, mountPath: /run/docker.sock}]
  volumes: [{name: sock, hostPath: {path: /run/docker.sock}}]
`,
		nnp: `apiVersion: v1
kind: Pod
metadata: {name: nnp}
spec:
  containers:
  - name: c
    image: busybox
    securityContext: {runAsUser: 1000, allowPrivilegeEscalation: false}
`,
	} {
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, file := range []string{"../examples/seed/0-baseline.yaml", "../examples/seed/1-drop-net-raw.yaml", "../examples/seed/2-seccomp.yaml", own, rootSock, nnp} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			a, err := New(Node{Runtime: "docker"})
			if err != nil {
				t.Fatal(err)
			}
			want := a.Files([]string{file})
			cs, err := kube.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := cs[0].Policy(kube.Options{DefaultCaps: runtimes.Docker.Caps})
			if err != nil {
				t.Fatal(err)
			}
			spec, err := oci.Spec(p, []string{"sh"}, oci.Options{DefaultCaps: runtimes.Docker.Caps})
			if err != nil {
				t.Fatal(err)
			}
			// as the kubelet gives it: off unless allowPrivilegeEscalation
			// is false
			spec.Process.NoNewPrivileges = p.NoNewPrivs != nil && *p.NoNewPrivs
			if sc := cs[0].Spec.SecurityContext; sc != nil && sc.AllowPrivilegeEscalation != nil {
				spec.Process.NoNewPrivileges = !*sc.AllowPrivilegeEscalation
			}
			if cs[0].Pod.HostPID {
				spec.Linux.Namespaces = spec.Linux.Namespaces[1:] // the pid namespace is first
			}
			for _, m := range cs[0].Spec.VolumeMounts {
				for _, v := range cs[0].Pod.Volumes {
					if v.Name == m.Name && v.HostPath != nil {
						spec.Mounts = append(spec.Mounts, specs.Mount{Destination: m.MountPath, Type: "bind", Source: v.HostPath.Path, Options: []string{"rbind"}})
					}
				}
			}
			body, err := json.MarshalIndent(spec, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(cfg, body, 0o644); err != nil {
				t.Fatal(err)
			}
			a, err = New(Node{Runtime: "docker"})
			if err != nil {
				t.Fatal(err)
			}
			got := a.Files([]string{cfg})
			if len(got.Errors) > 0 || len(got.Workloads) != 1 || len(got.Workloads[0].Containers) != 1 {
				t.Fatalf("config: %+v", got)
			}
			w := got.Workloads[0]
			if w.Kind != "OCIConfig" {
				t.Errorf("kind %q", w.Kind)
			}
			gc, wc := w.Containers[0], want.Workloads[0].Containers[0]
			if len(gc.Paths) != len(wc.Paths) {
				t.Fatalf("%d paths, want %d", len(gc.Paths), len(wc.Paths))
			}
			for i, pr := range gc.Paths {
				if w := wc.Paths[i]; pr.ID != w.ID || pr.Verdict != w.Verdict || pr.Layer != w.Layer {
					t.Errorf("%s: config %s by %s, manifest %s by %s (%s / %s)", pr.ID, pr.Verdict, pr.Layer, w.Verdict, w.Layer, pr.Why, w.Why)
				}
			}
			if gc.Seccomp.Evaluated != wc.Seccomp.Evaluated {
				t.Errorf("seccomp evaluated: config %q, manifest %q", gc.Seccomp.Evaluated, wc.Seccomp.Evaluated)
			}
			t.Logf("%d paths alike; open: %v", len(gc.Paths), gc.Open)
		})
	}
}

// A Compose file is audited service by service as the Pods its services
// stand for, on a Docker node: each service's verdicts are those of the
// manifest written for the same container by hand, its bounding set is
// the one rampart run gives the service's process (compose.Policy), and
// a service that cannot be read is an error at its place while the
// others are audited.
func TestComposeAudit(t *testing.T) {
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	body := `x-hardening: &hardening
  cap_drop: [ALL]
  security_opt:
    - no-new-privileges:true
services:
  web:
    image: nginx
    <<: *hardening
    cap_add: [NET_BIND_SERVICE]
    user: "1000:1000"
  agent:
    image: agent
    cap_drop: [NET_RAW]
    volumes:
      - /run/docker.sock:/var/run/docker.sock
      - data:/data
  debug:
    image: busybox
    privileged: true
    pid: host
  named:
    image: app
    user: www-data
`
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// What each service is, written as a Kubernetes manifest.
	manifests := map[string]string{
		"web": `securityContext: {runAsUser: 1000, runAsGroup: 1000, allowPrivilegeEscalation: false,
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}, seccompProfile: {type: RuntimeDefault}}`,
		"agent": `securityContext: {capabilities: {drop: [NET_RAW]}, seccompProfile: {type: RuntimeDefault}}
    volumeMounts: [{name: s, mountPath: /var/run/docker.sock}]
  volumes: [{name: s, hostPath: {path: /run/docker.sock}}]`,
		"debug": `securityContext: {privileged: true}
  hostPID: true`,
	}
	a, err := New(Node{Runtime: "containerd"}) // the Compose file brings Docker's
	if err != nil {
		t.Fatal(err)
	}
	r := a.Files([]string{file})
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, `compose.yaml:23:11: services.named.user: "www-data": Docker resolves a user name`) {
		t.Errorf("errors %+v", r.Errors)
	}
	got := map[string]Container{}
	for _, w := range r.Workloads {
		if w.Kind != "ComposeService" || len(w.Containers) != 1 {
			t.Fatalf("workload %s %s: %d containers", w.Kind, w.Name, len(w.Containers))
		}
		got[w.Name] = w.Containers[0]
	}
	for name, m := range manifests {
		t.Run(name, func(t *testing.T) {
			mf := filepath.Join(t.TempDir(), name+".yaml")
			text := "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n  containers:\n  - name: " + name + "\n    image: x\n    " + m + "\n"
			if err := os.WriteFile(mf, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := New(Node{Runtime: "docker"})
			if err != nil {
				t.Fatal(err)
			}
			mr := d.Files([]string{mf})
			if len(mr.Errors) > 0 || len(mr.Workloads) != 1 {
				t.Fatalf("manifest: %+v", mr)
			}
			want, gc := mr.Workloads[0].Containers[0], got[name]
			if len(gc.Paths) != len(want.Paths) {
				t.Fatalf("%d paths, want %d", len(gc.Paths), len(want.Paths))
			}
			for i, pr := range gc.Paths {
				if w := want.Paths[i]; pr.Verdict != w.Verdict || pr.Layer != w.Layer {
					t.Errorf("%s: compose %s by %s, manifest %s by %s", pr.ID, pr.Verdict, pr.Layer, w.Verdict, w.Layer)
				}
			}
			p, _, err := compose.Policy(file, name, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if b := strings.Join(caps.Sorted(p.Capabilities.Resolve(0, caps.Full), caps.Cap.String), ","); !gc.Privileged && b != strings.Join(gc.Capabilities.Bounding, ",") {
				t.Errorf("bounding: audit %v, rampart run %s", gc.Capabilities.Bounding, b)
			}
			t.Logf("open: %v", gc.Open)
		})
	}
	if web := got["web"]; web.Pos != file+":7:5" {
		t.Errorf("web at %s, want its service in %s", web.Pos, file)
	}
	if agent := got["agent"]; !slices.Contains(agent.Open, "runtime-socket") {
		t.Errorf("agent: Docker's socket mounted, runtime-socket not open: %v", agent.Open)
	}
}
