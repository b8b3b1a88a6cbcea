package harden

import (
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/compose"
	"github.com/rampart-sec/rampart/policy"
)

const shopCompose = `# The shop's services.
x-base: &base
  restart: always
services:
  web:
    <<: *base
    image: nginx
    # it binds :80
    cap_add: [NET_BIND_SERVICE]
  legacy:
    image: app
    cap_drop: [NET_RAW]
    security_opt:
      - seccomp=unconfined # "it needed ptrace once"
      - apparmor:unconfined
      - no-new-privileges=false
  debug:
    image: busybox
    privileged: true
`

// A Compose file is hardened service by service, comments kept, and what
// comes out is what rampart run --from and audit read as hardened:
// only the declared capabilities, no_new_privs, Docker's default
// seccomp profile. A privileged service is reported and left; hardening
// again changes nothing.
func TestCompose(t *testing.T) {
	r, err := Compose("c.yaml", []byte(shopCompose), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := string(r.Data)
	for _, keep := range []string{"# The shop's services.", "# it binds :80", "<<: *base", "cap_add: [NET_BIND_SERVICE]"} {
		if !strings.Contains(out, keep) {
			t.Errorf("lost %q:\n%s", keep, out)
		}
	}
	if f := r.Findings(); len(f) != 1 || f[0].Object != "Compose service debug" || f[0].Field != "privileged" {
		t.Errorf("findings %v", f)
	}
	if len(r.Edits()) != 6 {
		t.Errorf("edits %v", r.Edits())
	}
	for _, c := range []struct {
		service string
		caps    caps.Set
		seccomp policy.SeccompKind
	}{
		{"web", caps.Of(caps.NET_BIND_SERVICE), policy.SeccompRuntimeDefault},
		{"legacy", 0, policy.SeccompRuntimeDefault},
	} {
		p, _, err := compose.Policy("c.yaml", c.service, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Capabilities.Resolve(0, caps.Full); got != c.caps || p.NoNewPrivs == nil || !*p.NoNewPrivs || p.Seccomp.Kind != c.seccomp || p.AppArmor != nil && p.AppArmor.Kind == policy.AppArmorUnconfined {
			t.Errorf("%s hardened: capabilities %s, no_new_privs %v, seccomp %s, apparmor %v", c.service, got, p.NoNewPrivs, p.Seccomp.Kind, p.AppArmor)
		}
	}
	again, err := Compose("c.yaml", r.Data, Options{})
	if err != nil || again.Changed || string(again.Data) != out {
		t.Errorf("hardening again: changed %v, %v", again.Changed, err)
	}
	// --unprivileged, and the capabilities a workload needs
	r, err = Compose("c.yaml", []byte(shopCompose), Options{Unprivileged: true, Keep: []string{"chown"}, KeepSet: true})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := compose.Policy("c.yaml", "debug", r.Data)
	if err != nil || p.Capabilities.Resolve(0, caps.Full) != caps.Of(caps.CHOWN) || p.Seccomp.Kind != policy.SeccompRuntimeDefault {
		t.Errorf("debug unprivileged: %v %v", p, err)
	}
	// a file rampart cannot read exactly is not hardened
	if _, err := Compose("c.yaml", []byte("services:\n  s:\n    user: www-data\n"), Options{}); err == nil || !strings.Contains(err.Error(), "Docker resolves a user name") {
		t.Errorf("got %v", err)
	}
}

// An edit changes one service only: a service that is an alias, or a
// field a merge key brings in, is refused where manifests are too.
func TestComposeSharedNodesRefused(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"merged security_opt", "x: &x\n  security_opt: [apparmor=web]\nservices:\n  s:\n    <<: *x\n    image: a\n", "security_opt comes from a merge key"},
		{"aliased service", "x: &x\n  image: a\nservices:\n  s: *x\n", "the service is an alias of another"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Compose("c.yaml", []byte(c.body), Options{}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}
