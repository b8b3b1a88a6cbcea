package compose

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/k8syaml"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

const file = `x-hardening: &hardening
  cap_drop: [ALL]
  security_opt:
    - no-new-privileges:true
services:
  web:
    image: nginx
    <<: *hardening
    cap_add: [NET_BIND_SERVICE, chown]
    user: "1000:1000"
  both:
    cap_add: [SYS_ADMIN]
    cap_drop: [net_raw, CAP_SYS_ADMIN]
    security_opt: ["seccomp=profile.json", "apparmor=web-profile", "no-new-privileges=false"]
  all:
    cap_add: [ALL]
    cap_drop: [SYS_MODULE]
    security_opt: ["seccomp:unconfined", "apparmor:unconfined"]
  privileged:
    privileged: true
    user: "0"
  plain:
    image: busybox
`

// Each service's layers are what Docker gives its container: its
// defaults, then the file's options in Docker's order.
func TestPolicy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	for _, c := range []struct {
		service string
		caps    caps.Set
		addAll  bool
		drop    caps.Set
		seccomp policy.Seccomp
		nnp     *bool
		user    *policy.User
		aa      string
	}{
		{service: "web", caps: caps.Of(caps.NET_BIND_SERVICE, caps.CHOWN), seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault}, nnp: &yes, user: &policy.User{UID: 1000, GID: 1000}},
		// an add beats a drop of the same capability, in Docker's order
		{service: "both", caps: runtimes.Docker.Caps.Minus(caps.Of(caps.NET_RAW)).Union(caps.Of(caps.SYS_ADMIN)),
			seccomp: policy.Seccomp{Kind: policy.SeccompFile, Path: filepath.Join(dir, "profile.json")}, nnp: &no, aa: "web-profile"},
		{service: "all", addAll: true, drop: caps.Of(caps.SYS_MODULE), seccomp: policy.Seccomp{Kind: policy.SeccompUnconfined}, aa: "unconfined"},
		{service: "privileged", addAll: true, seccomp: policy.Seccomp{Kind: policy.SeccompUnconfined}, user: &policy.User{}, aa: "unconfined"},
		{service: "plain", caps: runtimes.Docker.Caps, seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault}},
	} {
		t.Run(c.service, func(t *testing.T) {
			p, notes, err := Policy(path, c.service, []byte(file))
			if err != nil {
				t.Fatal(err)
			}
			pc := p.Capabilities
			if pc.AddAll != c.addAll || pc.Drop != c.drop || !c.addAll && pc.Base != c.caps {
				t.Errorf("capabilities %s", pc)
			}
			if p.Seccomp.Kind != c.seccomp.Kind || p.Seccomp.Path != c.seccomp.Path {
				t.Errorf("seccomp %+v", p.Seccomp)
			}
			if (p.NoNewPrivs == nil) != (c.nnp == nil) || c.nnp != nil && *p.NoNewPrivs != *c.nnp {
				t.Errorf("no_new_privs %v", p.NoNewPrivs)
			}
			if (p.User == nil) != (c.user == nil) || c.user != nil && *p.User != *c.user {
				t.Errorf("user %v", p.User)
			}
			switch {
			case c.aa == "unconfined" && (p.AppArmor == nil || p.AppArmor.Kind != policy.AppArmorUnconfined),
				c.aa != "" && c.aa != "unconfined" && (p.AppArmor == nil || p.AppArmor.Name != c.aa):
				t.Errorf("apparmor %+v", p.AppArmor)
			}
			if !strings.Contains(notes[0], "services."+c.service+": rampart run enforces the service's process layers on the host") {
				t.Errorf("notes %q", notes)
			}
		})
	}
}

func TestPolicyRefuses(t *testing.T) {
	for _, c := range []struct{ name, body, service, want string }{
		{"no service named", file, "", "c.yaml: 5 services (web, both, all, privileged, plain): name one as c.yaml#SERVICE"},
		{"unknown service", file, "db", `c.yaml: no service "db"`},
		{"unknown capability", "services:\n  s:\n    cap_add: [NET_RAWW]\n", "", `c.yaml:3:15: services.s.cap_add[0]: unknown capability "NET_RAWW"`},
		{"a variable", "services:\n  s:\n    security_opt: [\"seccomp=${PROFILE}\"]\n", "", `c.yaml:3:20: services.s.security_opt: "seccomp=${PROFILE}": Compose substitutes variables`},
		{"a user name", "services:\n  s:\n    user: www-data\n", "", `c.yaml:3:11: services.s.user: "www-data": Docker resolves a user name in the image's /etc/passwd`},
		{"an SELinux label", "services:\n  s:\n    security_opt: [label=type:svirt_apache_t]\n", "", `c.yaml:3:20: services.s.security_opt[0]: "label=type:svirt_apache_t" is an SELinux option`},
		{"an unknown option", "services:\n  s:\n    security_opt: [seccom=unconfined]\n", "", `c.yaml:3:20: services.s.security_opt[0]: "seccom=unconfined": not a security option Docker knows`},
		{"extends", "services:\n  s:\n    extends: {file: base.yaml, service: b}\n", "", `c.yaml:3:14: services.s.extends: the service extends another`},
		{"privileged as text", "services:\n  s:\n    privileged: \"yes\"\n", "", `c.yaml:3:17: services.s.privileged: "yes": Compose takes true or false`},
		{"a capability list as text", "services:\n  s:\n    cap_drop: ALL\n", "", `c.yaml:3:5: services.s: yaml: unmarshal errors`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Policy("c.yaml", c.service, []byte(c.body))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("got  %v\nwant %s…", err, c.want)
			}
		})
	}
}

// A file docker compose merges in beside the one read is named.
func TestOverrideNoted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	os.WriteFile(path, []byte("services:\n  s:\n    image: x\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "compose.override.yaml"), []byte("services:\n  s:\n    privileged: true\n"), 0o644)
	_, notes, err := Policy(path, "", []byte("services:\n  s:\n    image: x\n"))
	if err != nil || !strings.Contains(strings.Join(notes, "\n"), "compose.override.yaml is beside the file and docker compose merges it in") {
		t.Fatalf("%q %v", notes, err)
	}
}

func TestIsFile(t *testing.T) {
	for body, want := range map[string]bool{
		file:             true,
		"services: {}\n": true,
		"apiVersion: v1\nkind: Service\nspec: {}\n": false,
		"kind: List\nservices: {}\n":                false,
		"services: [a]\n":                           false,
		`{"ociVersion": "1.2.0"}`:                   false,
		"::\n":                                      false,
	} {
		if IsFile([]byte(body)) != want {
			t.Errorf("%q: %v", body, !want)
		}
	}
}

func TestIsFileForms(t *testing.T) {
	for body, want := range map[string]bool{
		"# a comment\nservices:\n  web: {image: x}\n": true,
		`{"services": {"web": {"image": "x"}}}`:       true,
		"metadata:\n  services: {}\n":                 false,
	} {
		if IsFile([]byte(body)) != want {
			t.Errorf("%q: %v", body, !want)
		}
	}
}

func BenchmarkIsFileManifest(b *testing.B) {
	body, err := os.ReadFile("../examples/seed/3-apparmor.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		IsFile(body)
	}
}

// Docker loads no filter into a privileged container whatever seccomp=
// says, and keeps an AppArmor profile apparmor= names; a key written twice
// and a variable a merge key brings in are refused, as Compose refuses or
// substitutes them.
func TestPrivilegedOptionsAndSharedNodes(t *testing.T) {
	body := "services:\n  s:\n    privileged: true\n    security_opt: [seccomp=profile.json, apparmor=tight]\n"
	p, _, err := Policy("c.yaml", "", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if p.Seccomp.Kind != policy.SeccompUnconfined || p.AppArmor == nil || p.AppArmor.Kind != policy.AppArmorLocalhost || p.AppArmor.Name != "tight" {
		t.Errorf("seccomp %+v, apparmor %+v", p.Seccomp, p.AppArmor)
	}
	svcs, err := Pods("c.yaml", []byte(body))
	if err != nil || len(svcs) != 1 || svcs[0].Err != nil {
		t.Fatalf("%v %+v", err, svcs)
	}
	if sc := k8syaml.Lookup(svcs[0].Pod, "spec", "containers", 0, "securityContext"); k8syaml.Lookup(sc, "seccompProfile") != nil || k8syaml.Lookup(sc, "appArmorProfile", "localhostProfile").Value != "tight" {
		t.Errorf("pod securityContext: seccomp %v, apparmor %v", k8syaml.Lookup(sc, "seccompProfile"), k8syaml.Lookup(sc, "appArmorProfile"))
	}
	for _, c := range []struct{ name, body, want string }{
		{"service twice", "services:\n  s:\n    cap_drop: [ALL]\n  s:\n    privileged: true\n", `mapping key "s" already defined`},
		{"variable through a merge key", "x: &x\n  user: ${UID}\nservices:\n  s:\n    <<: *x\n", `"${UID}": Compose substitutes variables`},
	} {
		if _, _, err := Policy("c.yaml", "s", []byte(c.body)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}
