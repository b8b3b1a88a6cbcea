package policy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/record"
)

const policySchema = "../docs/policy.schema.json"

func compilePolicySchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	abs, err := filepath.Abs(policySchema)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jsonschema.NewCompiler().Compile("file://" + abs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(s *jsonschema.Schema, b []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// docs/policy.schema.json says what the decoder says: every file
// rampart writes (record's, an encoded policy, a converted old file, the
// document's examples) validates and decodes, and every shape the
// decoder refuses the schema refuses too. An editor holding a user's
// file to the schema tells them what rampart would.
func TestPolicySchema(t *testing.T) {
	s := compilePolicySchema(t)
	dir := t.TempDir()
	var good []string
	rec := &record.Recording{Schema: record.Schema, Command: []string{"/bin/true"}, Recorder: "test", Runs: 1, Started: time.Unix(0, 0).UTC(),
		Syscalls: map[string]map[string]uint64{record.ABIx86_64: {"execve": 1, "exit_group": 1}},
		Files:    []record.FileAccess{{Path: "/etc/hostname", Mode: "r", Raw: []string{"/etc/hostname"}, Count: 1}}}
	written, err := record.Save(filepath.Join(dir, "rec"), rec, true)
	if err != nil {
		t.Fatal(err)
	}
	good = append(good, written[1])
	no := false
	for i, p := range []*policy.Policy{
		{Source: "all", Recording: filepath.Join(dir, "r.json"),
			Capabilities: &policy.Capabilities{InheritBase: true, AddAll: true, Drop: caps.Of(caps.NET_RAW), Ambient: true},
			User:         &policy.User{UID: 4294967294, GID: 0}, NoNewPrivs: &no,
			Seccomp:      policy.Seccomp{Kind: policy.SeccompFile, Path: filepath.Join(dir, "s.json"), Origin: "--seccomp"},
			AppArmor:     &policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: "x", File: "/etc/apparmor.d/x"},
			Landlock:     []policy.FSRule{{Mode: policy.Allow, Path: "/usr", Access: "rx"}, {Mode: policy.ReadOnly, Path: "/etc"}},
			AllowDevices: []string{"/dev/sda"}, LSMFallback: "landlock"},
		{Source: "base", Capabilities: &policy.Capabilities{Base: caps.Of(caps.CHOWN)}, Seccomp: policy.Seccomp{Kind: policy.SeccompUnconfined},
			AppArmor: &policy.AppArmor{Kind: policy.AppArmorRuntimeDefault}},
		{Source: "empty base", Capabilities: &policy.Capabilities{}},
		{Source: "nothing"},
	} {
		f := filepath.Join(dir, "p"+string(rune('0'+i))+".json")
		if err := policy.WriteFile(f, p); err != nil {
			t.Fatal(err)
		}
		good = append(good, f)
	}
	old := filepath.Join(dir, "old.json")
	v1, err := policy.Convert(old, []byte(`{"Source":"x","Capabilities":{"InheritBase":false,"Base":0,"AddAll":false,"DropAll":true,"Add":1024,"Drop":0,"Ambient":false},"Seccomp":{"Kind":"runtime-default"}}`), dir)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(old, v1, 0o644)
	good = append(good, old)
	doc, err := os.ReadFile("../docs/policy-json.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, ex := range strings.Split(string(doc), "```json\n")[1:] {
		body, _, _ := strings.Cut(ex, "```")
		f := filepath.Join(dir, "example"+string(rune('0'+i))+".json")
		os.WriteFile(f, []byte(body), 0o644)
		good = append(good, f)
	}
	for _, f := range good {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(s, b); err != nil {
			t.Errorf("%s does not validate: %v\n%s", f, err, b)
		}
		if _, err := policy.Decode(f, b); err != nil {
			t.Errorf("%s does not decode: %v", f, err)
		}
	}

	const h = `{"schema": "rampart.policy/v1", `
	for _, bad := range []string{
		`{"seccomp": {"kind": "runtime-default"}}`,
		`{"schema": "rampart.policy/v2"}`,
		h + `"secomp": {"kind": "runtime-default"}}`,
		h + `"seccomp": {"kind": "runtime_default"}}`,
		h + `"seccomp": {"kind": "file"}}`,
		h + `"seccomp": {"kind": "unconfined", "path": "x"}}`,
		h + `"apparmor": {"kind": "Localhost", "name": "x"}}`,
		h + `"apparmor": {"kind": "localhost"}}`,
		h + `"apparmor": {"kind": "runtime-default", "file": "x"}}`,
		h + `"landlock": [{"mode": "deny-reed", "path": "/etc/shadow"}]}`,
		h + `"landlock": [{"mode": "allow", "path": "/usr", "access": "rwxs"}]}`,
		h + `"landlock": [{"mode": "allow", "path": "/usr"}]}`,
		h + `"landlock": [{"mode": "deny-read", "path": "/usr", "access": "r"}]}`,
		h + `"landlock": [{"mode": "deny-read", "path": ""}]}`,
		h + `"capabilities": {"inherit": true, "drop": ["NET_RAWW"]}}`,
		h + `"capabilities": {"inherit": true, "drop": ["net_raw"]}}`,
		h + `"capabilities": {"drop": ["NET_RAW"]}}`,
		h + `"capabilities": {"inherit": true, "base": []}}`,
		h + `"capabilities": {"base": ["ALL"]}}`,
		h + `"capabilities": {"inherit": true, "drop": 8}}`,
		h + `"user": {"uid": 1000}}`,
		h + `"user": {"uid": -1, "gid": 0}}`,
		h + `"user": {"uid": 4294967295, "gid": 0}}`,
		h + `"user": {"uid": "1000", "gid": 0}}`,
		h + `"lsmFallback": "selinux"}`,
		h + `"allowDevices": [""]}`,
	} {
		if _, err := policy.Decode("bad.json", []byte(bad)); err == nil {
			t.Errorf("the decoder accepts %s", bad)
		}
		if validate(s, []byte(bad)) == nil {
			t.Errorf("the schema accepts %s, which the decoder refuses", bad)
		}
	}
}

// The schema describes the file's Go types field for field: each
// object's properties are the type's JSON fields, and its required ones
// those always written (no omitempty).
func TestPolicySchemaMatchesFile(t *testing.T) {
	b, err := os.ReadFile(policySchema)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	defs := root["$defs"].(map[string]any)
	for name, obj := range map[reflect.Type]map[string]any{
		reflect.TypeFor[policy.File]():             root,
		reflect.TypeFor[policy.FileCapabilities](): defs["capabilities"].(map[string]any),
		reflect.TypeFor[policy.FileUser]():         defs["user"].(map[string]any),
		reflect.TypeFor[policy.FileSeccomp]():      defs["seccomp"].(map[string]any),
		reflect.TypeFor[policy.FileAppArmor]():     defs["apparmor"].(map[string]any),
		reflect.TypeFor[policy.FileRule]():         defs["rule"].(map[string]any),
	} {
		var fields, required []string
		for f := range name.Fields() {
			tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields = append(fields, tag)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, tag)
			}
		}
		var props, req []string
		for k := range obj["properties"].(map[string]any) {
			props = append(props, k)
		}
		if r, ok := obj["required"].([]any); ok {
			for _, k := range r {
				req = append(req, k.(string))
			}
		}
		slices.Sort(fields)
		slices.Sort(props)
		slices.Sort(required)
		slices.Sort(req)
		if !slices.Equal(fields, props) || !slices.Equal(required, req) {
			t.Errorf("%s: fields %q (required %q), the schema has %q (required %q)", name, fields, required, props, req)
		}
		if obj["additionalProperties"] != false {
			t.Errorf("%s: the schema's object is not closed", name)
		}
	}
	// The capability names are this build's.
	capName := defs["capName"].(map[string]any)["pattern"].(string)
	inner := strings.TrimSuffix(strings.TrimPrefix(capName, "^(CAP_)?("), ")$")
	if got, want := strings.Split(inner, "|"), caps.Full.Names(caps.Cap.String); !slices.Equal(got, want) {
		t.Errorf("capName lists %q, want %q", got, want)
	}
}
