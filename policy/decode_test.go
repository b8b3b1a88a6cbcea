package policy

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/caps"
)

// full is a policy with every part set, as a file would say it.
func full(dir string) *Policy {
	no := false
	return &Policy{Source: "flags", Recording: filepath.Join(dir, "recording.json"),
		Capabilities: &Capabilities{InheritBase: true, Drop: caps.Of(caps.NET_RAW), AddAll: true, Ambient: true},
		User:         &User{UID: 1000, GID: 1000}, NoNewPrivs: &no,
		Seccomp:  Seccomp{Kind: SeccompFile, Path: filepath.Join(dir, "p.json"), Origin: "--seccomp"},
		AppArmor: &AppArmor{Kind: AppArmorLocalhost, Name: "x", File: filepath.Join(dir, "profiles", "x"), Origin: "pod.yaml:3:4"},
		Landlock: []FSRule{{Mode: DenyRead, Path: "/etc/shadow", Origin: "--deny-read /etc/shadow"},
			{Mode: Allow, Path: "/usr", Access: "rx", Origin: "--allow /usr:rx"}},
		Scope:        []string{ScopeAbstractUnix, ScopeSignal},
		AllowDevices: []string{"/dev/sda"}, LSMFallback: "landlock"}
}

func TestFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := full(dir)
	if err := WriteFile(filepath.Join(dir, "policy.json"), p); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(filepath.Join(dir, "policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", got, p)
	}
	// A user namespace, with its block or left to the launcher.
	for _, u := range []*UserNS{{}, {HostID: 1000000}, {HostID: 1000000, Size: 1000}} {
		q := &Policy{Source: "s", UserNS: u}
		b, err := Encode(q, dir)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Decode(filepath.Join(dir, "u.json"), b); err != nil || !reflect.DeepEqual(got, q) {
			t.Errorf("userns %+v: %v\n%s\n%+v", u, err, b, got)
		}
	}
	// Podman's RuntimeDefault keeps its runtime.
	q := &Policy{Source: "s", Seccomp: Seccomp{Kind: SeccompRuntimeDefault, Runtime: "podman", Origin: "u.container"}}
	if b, err := Encode(q, dir); err != nil {
		t.Fatal(err)
	} else if got, err := Decode(filepath.Join(dir, "r.json"), b); err != nil || !reflect.DeepEqual(got, q) {
		t.Errorf("runtime: %v\n%s\n%+v", err, b, got)
	}
	// A base, and none where ALL makes it moot.
	for _, c := range []*Capabilities{{Base: caps.Of(caps.CHOWN, caps.KILL, caps.NET_RAW), Drop: caps.Of(caps.NET_RAW)}, {DropAll: true, Add: caps.Of(caps.NET_BIND_SERVICE)}, {}} {
		q := &Policy{Source: "s", Capabilities: c}
		b, err := Encode(q, dir)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(filepath.Join(dir, "c.json"), b)
		if err != nil || !reflect.DeepEqual(got, q) {
			t.Errorf("capabilities %+v: %v\n%s\n%+v", c, err, b, got.Capabilities)
		}
	}
}

// Profile files inside the policy's directory are written relative to
// it and read back against wherever the directory now is: a directory
// `rampart record` wrote can be moved or committed. Others stay absolute.
func TestFileRelativePaths(t *testing.T) {
	dir := t.TempDir()
	p := &Policy{Source: "s", Seccomp: Seccomp{Kind: SeccompFile, Path: filepath.Join(dir, "seccomp.json")},
		AppArmor: &AppArmor{Kind: AppArmorLocalhost, Name: "x", File: "/etc/apparmor.d/x"}}
	b, err := Encode(p, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"path": "seccomp.json"`, `"file": "/etc/apparmor.d/x"`, `"schema": "rampart.policy/v1"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("encoded file lacks %s:\n%s", want, b)
		}
	}
	moved := t.TempDir()
	got, err := Decode(filepath.Join(moved, "policy.json"), b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seccomp.Path != filepath.Join(moved, "seccomp.json") || got.AppArmor.File != "/etc/apparmor.d/x" {
		t.Errorf("read from %s: seccomp %q, apparmor %q", moved, got.Seccomp.Path, got.AppArmor.File)
	}
	// A file named relative to the working directory is found there.
	rel, err := Decode("sub/policy.json", []byte(`{"schema": "rampart.policy/v1", "seccomp": {"kind": "file", "path": "../p.json"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if wd, _ := os.Getwd(); rel.Seccomp.Path != filepath.Join(wd, "p.json") {
		t.Errorf("sub/policy.json naming ../p.json: %q", rel.Seccomp.Path)
	}
}

// Every refusal names the file, line and column and the field, and is a
// policy-layer refusal: a misspelt or unknown value would otherwise be no
// layer at all.
func TestDecodeRefusals(t *testing.T) {
	const h = `{"schema": "rampart.policy/v1", `
	for _, c := range []struct{ body, want string }{
		{"", "f.json: empty file"},
		{"  \n", "f.json: empty file"},
		{"null", "f.json:1:1: want a JSON object"},
		{`{"seccomp": {"kind": "runtime-default"}}`, `f.json:1:1: no "schema"`},
		{`{"schema": "rampart.policy/v2"}`, `f.json:1:12: schema "rampart.policy/v2": want "rampart.policy/v1"`},
		{`{"schema": "rampart.recording/v1", "command": []}`, `schema "rampart.recording/v1"`},
		{h + `"seccomp": {"kind": "runtime_default"}}`, `f.json:1:53: seccomp.kind: "runtime_default": want one of`},
		{h + `"secomp": {"kind": "runtime-default"}}`, `f.json:1:33: secomp: unknown field`},
		{h + `"Seccomp": {"kind": "runtime-default"}}`, `f.json:1:33: Seccomp: key "Seccomp" differs from "seccomp" only in case`},
		{h + "\"seccomp\": {\"kind\": \"runtime-default\"},\n \"seccomp\": {\"kind\": \"unconfined\"}}", `f.json:2:2: seccomp: key "seccomp" written twice (first at 1:33)`},
		{h + `"seccomp": {"kind": "runtime-default"}} {}`, "f.json:1:73: data after the end of the document"},
		{h + `"seccomp": {"kind": "file"}}`, `f.json:1:44: seccomp: kind "file" needs a path`},
		{h + `"seccomp": {"kind": "unconfined", "path": "x"}}`, `seccomp.path: kind "unconfined" takes no path`},
		{h + `"seccomp": {"kind": "unconfined", "runtime": "podman"}}`, `seccomp.runtime: kind "unconfined" takes no runtime`},
		{h + `"seccomp": {"kind": "runtime-default", "runtime": "cri-o"}}`, `seccomp.runtime: "cri-o": want docker or podman`},
		{h + `"apparmor": {"kind": "Localhost", "name": "x"}}`, `f.json:1:54: apparmor.kind: "Localhost": want one of`},
		{h + `"apparmor": {"kind": "localhost"}}`, `apparmor: kind "localhost" needs a name`},
		{h + `"apparmor": {"kind": "runtime-default", "name": "x"}}`, `kind "runtime-default" takes no name and no file`},
		{h + "\"landlock\": [\n  {\"mode\": \"deny-read\", \"path\": \"/a\"},\n  {\"mode\": \"deny-reed\", \"path\": \"/etc/shadow\"}]}", `f.json:3:12: landlock[1].mode: "deny-reed": want one of`},
		{h + `"landlock": [{"mode": "allow", "path": "/usr", "access": "rwxs"}]}`, `landlock[0].access: "rwxs": want a combination of r, w and x`},
		{h + `"landlock": [{"mode": "deny-read", "path": "/usr", "access": "r"}]}`, `landlock[0].access: mode "deny-read" takes no access`},
		{h + `"landlock": [{"mode": "deny-read", "path": "etc/shadow"}]}`, `landlock[0].path: "etc/shadow" is relative`},
		{h + `"allowDevices": ["dev/vda"]}`, `allowDevices[0]: "dev/vda" is relative`},
		{h + `"landlock": [{"mode": "deny-read", "path": ""}]}`, `landlock[0].path: empty path`},
		{h + `"capabilities": {"inherit": true, "drop": ["NET_RAWW"]}}`, `f.json:1:76: capabilities.drop[0]: "NET_RAWW": no capability rampart knows`},
		{h + `"capabilities": {"inherit": true, "drop": ["net_raw"]}}`, `capabilities.drop[0]: "net_raw": write NET_RAW (or CAP_NET_RAW)`},
		{h + `"capabilities": {"drop": ["NET_RAW"]}}`, `capabilities: say what the adds and drops apply to`},
		{h + `"capabilities": {"inherit": true, "base": []}}`, `capabilities.base: "inherit": true and a base: choose one`},
		{h + `"capabilities": {"base": ["ALL"]}}`, `capabilities.base[0]: ALL is for add and drop`},
		{h + `"capabilities": {"inherit": true, "drop": 8}}`, `f.json:1:75: capabilities.drop: want a list, found number`},
		{h + `"user": {"uid": 1000}}`, `f.json:1:41: user: want both "uid" and "gid"`},
		{h + `"user": {"uid": -1, "gid": 0}}`, `user: uid -1, gid 0: want 0 to`},
		{h + `"user": {"uid": "1000", "gid": 0}}`, `f.json:1:49: user.uid: want a whole number in range, found string`},
		{h + `"user": {"uid": 1e3, "gid": 0}}`, `f.json:1:49: user.uid: want a whole number in range, found number 1e3`},
		{h + `"lsmFallback": "selinux"}`, `lsmFallback: "selinux": the only fallback is "landlock"`},
		{h + `"allowDevices": ["/dev/sda", ""]}`, `allowDevices[1]: empty path`},
		{h + `"scope": ["signal", "abstract"]}`, `scope[1]: "abstract": want abstract-unix or signal`},
		{h + `"scope": "signal"}`, `scope: want a list, found string`},
		{h + `"userns": {"hostID": 0}}`, `userns.hostID: 0 maps the workload's root to the host's root`},
		{h + `"userns": {"hostID": 100000, "size": 0}}`, `userns.size: 0 ids map nothing`},
		{h + `"userns": {"hostID": 4294967000}}`, `userns: host ids 4294967000 to 4295032535: the last id a map may reach is 4294967294`},
		{h + `"userns": {"hostID": 100000, "size": 10}, "user": {"uid": 10, "gid": 0}}`, `user 10:0 is outside the 10 ids the namespace maps`},
		{h + `"userns": {"hostid": 100000}}`, `hostid`},
	} {
		_, err := Decode("f.json", []byte(c.body))
		var le *LayerError
		if !errors.As(err, &le) || le.Layer != LayerPolicy {
			t.Errorf("%s: %v, want a policy refusal", c.body, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %s", c.body, err, c.want)
		}
	}
}

// What older rampart wrote (encoding/json of Policy as it was, bit
// masks for capabilities) is refused with the command that converts it,
// and the conversion says the same policy.
func TestLegacy(t *testing.T) {
	dir := t.TempDir()
	old := `{"Source":"recording of /bin/true","Capabilities":{"InheritBase":false,"Base":0,"AddAll":false,"DropAll":true,"Add":1024,"Drop":0,"Ambient":false},` +
		`"User":null,"NoNewPrivs":true,"Seccomp":{"Kind":"file","Path":"` + dir + `/seccomp.json","Origin":"` + dir + `/policy.json"},"AppArmor":null,` +
		`"Landlock":[{"Mode":"allow","Path":"/usr","Access":"rx","Origin":""}],"LSMFallback":""}`
	_, err := Decode("old.json", []byte(old))
	if err == nil || !strings.Contains(err.Error(), "rampart policy convert old.json -o NEW.json") {
		t.Fatalf("an old dump: %v, want the command that converts it", err)
	}
	v1, err := Convert("old.json", []byte(old), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"drop": [` + "\n" + `      "ALL"`, `"NET_BIND_SERVICE"`, `"path": "seccomp.json"`} {
		if !strings.Contains(string(v1), want) {
			t.Errorf("converted file lacks %s:\n%s", want, v1)
		}
	}
	got, err := Decode(filepath.Join(dir, "policy.json"), v1)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := &Policy{Source: "recording of /bin/true", Capabilities: &Capabilities{DropAll: true, Add: caps.Of(caps.NET_BIND_SERVICE)}, NoNewPrivs: &yes,
		Seccomp:  Seccomp{Kind: SeccompFile, Path: filepath.Join(dir, "seccomp.json"), Origin: filepath.Join(dir, "policy.json")},
		Landlock: []FSRule{{Mode: Allow, Path: "/usr", Access: "rx", Origin: filepath.Join(dir, "policy.json") + ":19:5"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("converted:\n%#v\nwant\n%#v\n%s", got, want, v1)
	}
	// The old reading stays as strict as it was.
	for _, bad := range []string{`{"Seccomp":{"Kind":"runtime_default"}}`, `{"Capabilitiez":{}}`, `{"Capabilities":{"Drop":18446744073709551615}}`} {
		if _, err := Convert("old.json", []byte(bad), dir); err == nil {
			t.Errorf("converted %s", bad)
		}
	}
}

// Whatever Decode accepts is valid and survives a round trip; whatever
// it refuses is a policy-layer refusal. Nothing decodes to a policy
// with a part the launcher would skip.
func FuzzDecode(f *testing.F) {
	const h = `{"schema":"rampart.policy/v1",`
	for _, s := range []string{h + `"source":"s"}`, h + `"seccomp":{"kind":"runtime-default"}}`, h + `"landlock":[{"mode":"allow","path":"/","access":"rwx"}]}`,
		h + `"apparmor":{"kind":"localhost","name":"a","file":"../a"}}`, h + `"seccomp":{"kind":"runtime_default"}}`,
		h + `"capabilities":{"base":["CHOWN"],"add":["CAP_NET_RAW"],"drop":["ALL"]}} x`, h + `"user":{"uid":0,"gid":4294967294},"noNewPrivs":false}`,
		h + `"seccomp":{"kind":"file","path":"/a/../b.json","origin":"x"},"recording":"r.json","allowDevices":["/dev/sda"]}`,
		`{"Capabilities":{"Add":8}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode("f", b)
		if err != nil {
			var le *LayerError
			if !errors.As(err, &le) || le.Layer != LayerPolicy {
				t.Fatalf("error %v is not a policy refusal", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("decoded an invalid policy: %v", err)
		}
		if p.Seccomp.Kind != SeccompNone && p.Seccomp.Kind != SeccompUnconfined && !p.Seccomp.Enabled() {
			t.Fatalf("seccomp kind %q would be skipped", p.Seccomp.Kind)
		}
		again, err := Encode(p, ".")
		if err != nil {
			t.Fatal(err)
		}
		q, err := Decode("again", again)
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip: %v\n%+v\n%+v\n%s", err, p, q, again)
		}
	})
}
