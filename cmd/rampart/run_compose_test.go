package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
