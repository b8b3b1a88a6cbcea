package oci

import (
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
)

// A config's process layers become the policy rampart run enforces; what
// the policy cannot hold exactly is refused where it is written.
func TestPolicyOfConfig(t *testing.T) {
	const head = "{\n  \"ociVersion\": \"1.2.0\",\n"
	good := head + `  "process": {"user": {"uid": 1000, "gid": 1001},
    "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_KILL", "CAP_CHOWN"], "permitted": ["CAP_CHOWN", "CAP_KILL"]},
    "noNewPrivileges": true, "apparmorProfile": "web"},
  "linux": {"maskedPaths": ["/proc/kcore"], "seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}
}`
	p, notes, err := Policy("c.json", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if p.Capabilities == nil || p.Capabilities.Resolve(0, caps.Full) != caps.Of(caps.CHOWN, caps.KILL) || p.Capabilities.Ambient {
		t.Errorf("capabilities %v", p.Capabilities)
	}
	if p.User == nil || *p.User != (policy.User{UID: 1000, GID: 1001}) {
		t.Errorf("user %v", p.User)
	}
	if p.NoNewPrivs == nil || !*p.NoNewPrivs {
		t.Errorf("no_new_privs %v", p.NoNewPrivs)
	}
	if p.AppArmor == nil || p.AppArmor.Kind != policy.AppArmorLocalhost || p.AppArmor.Name != "web" || p.AppArmor.Origin != "c.json:5" {
		t.Errorf("apparmor %+v", p.AppArmor)
	}
	if p.Seccomp.Kind != policy.SeccompFile || p.Seccomp.Path != "c.json" || p.Seccomp.Origin != "c.json:6" {
		t.Errorf("seccomp %+v", p.Seccomp)
	}
	if len(p.Landlock) != 0 || !strings.Contains(strings.Join(notes, "\n"), "the 1 masked and 0 read-only paths are mounts runc makes") {
		t.Errorf("landlock %v, notes %q", p.Landlock, notes)
	}

	// no filter: explicitly unconfined, as runc runs it; no capabilities
	// object: the caller's, as runc leaves them
	p, notes, err = Policy("c.json", []byte(head+`  "process": {"args": ["sh"]}, "linux": {}}`))
	if err != nil || p.Seccomp.Kind != policy.SeccompUnconfined || p.Capabilities != nil || !strings.Contains(strings.Join(notes, "\n"), "process.capabilities is absent") {
		t.Errorf("%+v %q %v", p, notes, err)
	}

	for _, c := range []struct{ name, body, want string }{
		{"no process", head + `  "linux": {}}`, "c.json: process: missing"},
		{"effective differs", head + `  "process": {"capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN", "CAP_KILL"]}}}`,
			`c.json:3:84: process.capabilities.effective: effective is CHOWN and bounding CHOWN,KILL`},
		{"ambient alone", head + `  "process": {"capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"], "ambient": ["CAP_KILL"]}}}`,
			`c.json:3:123: process.capabilities.ambient: inheritable none and ambient KILL, bounding KILL`},
		{"a name runc drops", head + `  "process": {"capabilities": {"bounding": ["NET_RAW"]}}}`,
			`c.json:3:45: process.capabilities.bounding[0]: "NET_RAW": runc knows capabilities as "CAP_NET_RAW"`},
		{"groups", head + `  "process": {"user": {"uid": 0, "gid": 0, "additionalGids": [42]}}}`,
			`process.user.additionalGids: supplementary groups`},
		{"selinux", head + `  "process": {"selinuxLabel": "system_u:system_r:container_t:s0"}}`, `process.selinuxLabel: an SELinux label`},
		{"case variant", head + `  "Process": {"args": ["sh"]}}`, `c.json:3:3: Process: key "Process" differs from "process"`},
		{"written twice", head + `  "process": {"noNewPrivileges": true, "noNewPrivileges": false}}`, `noNewPrivileges" written twice`},
		// A user namespace rampart run cannot make exactly is refused:
		// run without it, the process would be the host's root.
		{"userns twice", head + `  "process": {}, "linux": {"namespaces": [{"type": "user"}, {"type": "user", "path": "/proc/1/ns/user"}]}}`, `linux.namespaces[1]: a second user namespace (the first is linux.namespaces[0])`},
		{"userns joined", head + `  "process": {}, "linux": {"namespaces": [{"type": "user", "path": "/proc/1/ns/user"}]}}`, `linux.namespaces[0].path: joins a user namespace that exists`},
		{"userns, two lines", head + `  "process": {}, "linux": {"namespaces": [{"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 1}, {"containerID": 1, "hostID": 200000, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 1}]}}`, `linux.uidMappings: rampart run maps uids and gids as one block`},
		{"userns to host root", head + `  "process": {}, "linux": {"namespaces": [{"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}]}}`, `linux.uidMappings[0]: 0 0 65536: rampart run maps the workload's 0 to an unprivileged host id`},
		{"maps without userns", head + `  "process": {}, "linux": {"uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}}`, `id maps without a new user namespace`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Policy("c.json", []byte(c.body))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got  %v\nwant …%s…", err, c.want)
			}
		})
	}
	// runc's user namespace is the policy's.
	p, _, err = Policy("c.json", []byte(head+`  "process": {}, "linux": {"namespaces": [{"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}}`))
	if err != nil || p.UserNS == nil || *p.UserNS != (policy.UserNS{HostID: 100000, Size: 65536}) {
		t.Errorf("userns: %+v, %v", p, err)
	}
	if IsConfig([]byte(`{"apiVersion": "v1", "kind": "Pod"}`)) || !IsConfig([]byte(good)) {
		t.Error("IsConfig")
	}
}
