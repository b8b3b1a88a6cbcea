package report

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/audit"
	"github.com/rampart-sec/rampart/cluster/clustertest"
	"github.com/rampart-sec/rampart/drift"
	"github.com/rampart-sec/rampart/internal/doctest"
	"github.com/rampart-sec/rampart/layers"
	"github.com/rampart-sec/rampart/record"
	"github.com/rampart-sec/rampart/seccomp/lint"
	"github.com/rampart-sec/rampart/version"
)

// The JSON Schemas of rampart's JSON outputs are held to the outputs two
// ways: every output, made by the real code from real inputs, must
// validate against its schema (TestSchemasHoldForRealOutput); and every
// schema rampart owns must describe, field for field, the Go type the
// output encodes (TestSchemasMatchGoTypes), so that a field renamed on
// either side fails even when no run here writes it.
//
// A new JSON output gets a line in schemaCases: its schema, the Go type
// it encodes, and the runs that make it.

// schemaCase is one JSON output and its schema.
type schemaCase struct {
	name string
	// schema is a file under docs/ (the schemas rampart owns), or a
	// schema of a format rampart writes but does not own (sarifSchema,
	// ociSchema), with a fragment naming the part that applies.
	schema string
	// draft4 compiles a schema that names no draft as draft-04, as its
	// authors wrote it.
	draft4 bool
	// goType is what the output encodes; nil for a schema rampart does
	// not own.
	goType reflect.Type
	// outputs makes the output from real runs, each named for failures.
	outputs func(t *testing.T) []output
}

type output struct {
	what string
	data []byte
}

const docsDir = "../docs"

// sarifSchema is SARIF 2.1.0's own schema, the one rampart's logs name
// (report/sarif/testdata/ORIGIN.md says where it comes from).
const sarifSchema = "sarif/testdata/sarif-schema-2.1.0.json"

func schemaCases() []schemaCase {
	seedProfile := filepath.Join(seedDir, "flask-deny-shadow")
	return []schemaCase{
		{name: "audit -o json", schema: "audit.schema.json", goType: reflect.TypeFor[audit.Report](), outputs: auditJSONOutputs},
		{name: "audit -o sarif", schema: sarifSchema, outputs: func(t *testing.T) []output {
			return []output{
				rampartOut(t, "", "audit", "-o", "sarif", seedDir, "--apparmor-node", "--profiles", seedDir),
				rampartOut(t, "", "audit", "-o", "sarif", "../audit/testdata/psa"),
				rampartOut(t, "", "audit", "-o", "sarif", "../audit/testdata/psa", "--config", acceptConfig(t)),
			}
		}},
		{name: "probe --all -o json", schema: "drift.schema.json", goType: reflect.TypeFor[drift.Report](), outputs: driftJSONOutputs},
		{name: "layers -o json", schema: "layers.schema.json", goType: reflect.TypeFor[layers.Matrix](), outputs: layersJSONOutputs},
		{name: "probe -o json", schema: "probe.schema.json", goType: reflect.TypeFor[attack.Report](), outputs: probeJSONOutputs},
		{name: "probe --list -o json", schema: "catalog.schema.json", goType: reflect.TypeFor[[]*attack.Path](), outputs: func(t *testing.T) []output {
			return []output{rampartOut(t, "", "probe", "--list", "-o", "json")}
		}},
		{name: "seccomp lint -o json", schema: "seccomp-lint.schema.json", goType: reflect.TypeFor[lint.Report](), outputs: func(t *testing.T) []output {
			return []output{rampartOut(t, "", append([]string{"seccomp", "lint", "-o", "json"}, lintProfiles(t)...)...)}
		}},
		{name: "seccomp lint -o sarif", schema: sarifSchema, outputs: func(t *testing.T) []output {
			return []output{rampartOut(t, "", append([]string{"seccomp", "lint", "-o", "sarif"}, lintProfiles(t)...)...)}
		}},
		{name: "apparmor eval -o json", schema: "apparmor-eval.schema.json", goType: reflect.TypeFor[[]AppArmorDecision](), outputs: func(t *testing.T) []output {
			// complain mode, owner rules, exec transitions with and
			// without a target, an audit deny, an included rule, and an
			// access no rule decides; a rule class not evaluated
			profile := "#include <tunables/global>\nprofile home flags=(complain) {\n  #include <abstractions/base>\n  owner @{HOME}/** rw,\n  /usr/bin/* ix,\n  /opt/x px -> other,\n  audit deny /secret r,\n  mount options=(ro) /dev/sda1 -> /mnt/,\n}\n"
			return []output{
				rampartOut(t, "", "apparmor", "eval", "-o", "json", seedProfile, "/etc/shadow r", "network inet raw", "capability net_raw", "/usr/bin/curl x", "/home/u/x r owner"),
				rampartOut(t, profile, "apparmor", "eval", "--includes", "bundled", "-o", "json", "-",
					"/home/u/notes r", "/home/u/notes r owner", "/usr/bin/id x", "/opt/x x", "/secret r", "/etc/ld.so.cache r", "network inet raw"),
				// a child profile with the parent's rules that lead
				// into it, one of them included; a hat
				rampartOut(t, nested, "apparmor", "eval", "--includes", "bundled", "-o", "json", "--profile", "top//c", "-", "/etc/hosts r"),
				rampartOut(t, nested, "apparmor", "eval", "--includes", "bundled", "-o", "json", "--profile", "top//h", "-", "/etc/hosts r"),
			}
		}},
		{name: "apparmor load -o json", schema: "apparmor-load.schema.json", goType: reflect.TypeFor[AppArmorLoadResult](), outputs: func(t *testing.T) []output {
			// --check is the run a kernel without AppArmor makes (the lab
			// loads and removes for real); hats and children by the
			// kernel's names, two modes
			f := filepath.Join(t.TempDir(), "nested")
			if err := os.WriteFile(f, []byte(nested+"profile other flags=(complain) {\n}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return []output{rampartOut(t, "", "apparmor", "load", "--check", "-o", "json", seedProfile, f)}
		}},
		{name: "version -o json", schema: "version.schema.json", goType: reflect.TypeFor[version.Info](), outputs: func(t *testing.T) []output {
			return []output{rampartOut(t, "", "version", "-o", "json"), rampartOut(t, "", "version", "-v", "-o", "json")}
		}},
		{name: "recording.json", schema: "recording.schema.json", goType: reflect.TypeFor[record.Recording](), outputs: func(t *testing.T) []output {
			var out []output
			for _, f := range recordings(t) {
				out = append(out, readOutput(t, filepath.Join(f, record.RecordingFile)))
			}
			return out
		}},
		// The seccomp profiles rampart writes are OCI's LinuxSeccomp, and
		// the configs it writes are OCI's: they answer to the
		// runtime-spec's own schema.
		{name: "seccomp show", schema: "oci:config-linux.json#/linux/properties/seccomp", draft4: true, outputs: func(t *testing.T) []output {
			return []output{
				rampartOut(t, "", "seccomp", "show", "runtime-default"),
				rampartOut(t, "", "seccomp", "show", "runtime-default", "--caps", "ALL"),
				rampartOut(t, "", "seccomp", "show", "../seccomp/testdata/lint/flag-eq.json"),
			}
		}},
		{name: "record's seccomp.json", schema: "oci:config-linux.json#/linux/properties/seccomp", draft4: true, outputs: func(t *testing.T) []output {
			var out []output
			for _, f := range recordings(t) {
				out = append(out, readOutput(t, filepath.Join(f, "seccomp.json")))
			}
			return out
		}},
		{name: "oci spec", schema: "oci:config-schema.json", draft4: true, outputs: func(t *testing.T) []output {
			return []output{
				rampartOut(t, "", "oci", "spec", filepath.Join(seedDir, "2-seccomp.yaml")),
				rampartOut(t, "", "oci", "spec", "--cap-drop", "ALL", "--seccomp", "runtime-default", "--", "/app/server"),
			}
		}},
	}
}

func readOutput(t *testing.T, file string) output {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return output{what: file, data: b}
}

func auditJSONOutputs(t *testing.T) []output {
	// Every optional node field, a namespace, a malformed document, a
	// pod for Windows and a container the API server would reject.
	stdin := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations: {rampart.dev/accept: "pss/seccompProfile_restricted=accepted in the manifest"}
spec:
  template:
    spec:
      containers:
      - name: app
        image: x
        securityContext: {capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}, runAsUser: 1000}
---
kind: [
---
apiVersion: v1
kind: Pod
metadata: {name: win}
spec:
  os: {name: windows}
  containers: [{name: c, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers: [{name: c, image: x, securityContext: {capabilities: {add: [CAP_CHOWN]}}}]
`
	return []output{
		rampartOut(t, "", "audit", "-o", "json", seedDir, "--apparmor-node", "--profiles", seedDir),
		rampartOut(t, "", "audit", "-o", "json", "../audit/testdata/psa", "--runtime", "cri-o", "--runtime-version", "1.31",
			"--sysctl", "kernel.perf_event_paranoid=3", "--node-kernel", "no-modules", "--seccomp-default",
			"--image-shadow", "0000:0:0", "--node-disk", "refused", "--node-runtime-socket", "/run/docker.sock=0660:0:999"),
		rampartOut(t, stdin, "audit", "-o", "json", "-", "--runtime", "docker", "--config", acceptConfig(t)),
		rampartOut(t, stdin, "audit", "-o", "json", "-", "--summary"),
	}
}

func layersJSONOutputs(t *testing.T) []output {
	needRoot(t)
	return []output{
		// the embedded seed: Landlock standing in for AppArmor, a note
		rampartOut(t, "", "layers", "-o", "json"),
		// attack rows, and steps that close nothing
		rampartOut(t, "", "layers", filepath.Join(seedDir, "1-drop-net-raw.yaml"), "--only", strings.Join(attack.Seed, ","),
			"--attack", "cat /etc/shadow", "--attack", "true", "-o", "json"),
		// no gaps
		rampartOut(t, "", "layers", filepath.Join(seedDir, "1-drop-net-raw.yaml"), "--only", "raw-socket", "-o", "json"),
	}
}

func probeJSONOutputs(t *testing.T) []output {
	needRoot(t)
	self := rampartBin(t)
	return []output{
		rampartOut(t, "", "probe", "-o", "json"),
		// every layer closing something: capabilities, seccomp, Landlock
		rampartOut(t, "", "run", "--cap-drop", "NET_RAW", "--seccomp", "runtime-default", "--deny-read", "/etc/shadow", "--", self, "probe", "-o", "json"),
		// a user with no capabilities
		rampartOut(t, "", "run", "--user", "65534", "--cap-drop", "ALL", "--", self, "probe", "-o", "json"),
	}
}

// lintProfiles are the lint corpus and every runtime's own profile.
func lintProfiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../seccomp/testdata/lint/*.[jy][sa]*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no lint corpus: %v", err)
	}
	return append(files, "runtime-default:all")
}

var (
	recordOnce sync.Once
	recordRoot string // removed by TestMain
	recordDirs []string
	recordErr  error
)

// recordings records one run with each recorder and merges them: a
// recording of every shape (a user and a name, runsUsing, a joined
// recorder, sockets, files, limits).
func recordings(t *testing.T) []string {
	t.Helper()
	needRoot(t)
	bin := rampartBin(t)
	recordOnce.Do(func() {
		root, err := os.MkdirTemp("", "rampart-schema-")
		if err != nil {
			recordErr = err
			return
		}
		recordRoot = root
		ebpf, ptrace, merged := filepath.Join(root, "ebpf"), filepath.Join(root, "ptrace"), filepath.Join(root, "merged")
		for _, args := range [][]string{
			{"record", "--recorder", "ebpf", "--name", "schema-test", "--out", ebpf, "--", "/bin/sh", "-c",
				"echo hi > " + filepath.Join(root, "x") + "; cat /etc/hostname; python3 -c 'import socket; socket.socket()'"},
			{"record", "--recorder", "ptrace", "--user", "65534:65534", "--out", ptrace, "--", "/bin/true"},
			{"record", "--merge", ebpf, ptrace, "--out", merged},
		} {
			cmd := exec.Command(bin, args...)
			if out, err := cmd.CombinedOutput(); err != nil {
				recordErr = fmt.Errorf("rampart %s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
		recordDirs = []string{ebpf, ptrace, merged}
	})
	if recordErr != nil {
		t.Fatal(recordErr)
	}
	return recordDirs
}

// compileSchema compiles a case's schema; formats are asserted.
func compileSchema(t *testing.T, c schemaCase) *jsonschema.Schema {
	t.Helper()
	comp := jsonschema.NewCompiler()
	comp.AssertFormat()
	if c.draft4 {
		comp.DefaultDraft(jsonschema.Draft4)
	}
	loc := c.schema
	if rest, ok := strings.CutPrefix(loc, "oci:"); ok {
		loc = addOCISchemas(t, comp) + "/" + rest
	} else {
		if !strings.Contains(loc, "/") {
			loc = filepath.Join(docsDir, loc)
		}
		abs, err := filepath.Abs(loc)
		if err != nil {
			t.Fatal(err)
		}
		loc = "file://" + abs
	}
	s, err := comp.Compile(loc)
	if err != nil {
		t.Fatalf("%s: %v", c.schema, err)
	}
	return s
}

// addOCISchemas adds the runtime-spec's schemas, from the module rampart
// builds with, to comp, and returns their base URL.
func addOCISchemas(t *testing.T, comp *jsonschema.Compiler) string {
	t.Helper()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gobin, "list", "-m", "-f", "{{.Dir}}", "github.com/opencontainers/runtime-spec").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/opencontainers/runtime-spec: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "schema")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no runtime-spec schemas in %s", dir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// defs.json writes one reference without its pointer's slash
		// ("#definitions/uint32"), which a validator that reads it as
		// JSON Pointer, as the drafts say, cannot follow.
		b = bytes.ReplaceAll(b, []byte(`"#definitions/`), []byte(`"#/definitions/`))
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := comp.AddResource("file://"+f, doc); err != nil {
			t.Fatal(err)
		}
	}
	return "file://" + dir
}

var (
	outputsMu    sync.Mutex
	outputsCache = map[string][]output{}
)

// outputsOf makes a case's outputs once for all the tests here.
func outputsOf(t *testing.T, c schemaCase) []output {
	t.Helper()
	outputsMu.Lock()
	defer outputsMu.Unlock()
	if outs, ok := outputsCache[c.name]; ok {
		return outs
	}
	outs := c.outputs(t)
	outputsCache[c.name] = outs
	return outs
}

func TestSchemasHoldForRealOutput(t *testing.T) {
	for _, c := range schemaCases() {
		t.Run(c.name, func(t *testing.T) {
			s := compileSchema(t, c)
			outs := outputsOf(t, c)
			if len(outs) == 0 {
				t.Fatal("no output to validate")
			}
			for _, o := range outs {
				v, err := jsonschema.UnmarshalJSON(bytes.NewReader(o.data))
				if err != nil {
					t.Errorf("%s: not one JSON document: %v", o.what, err)
					continue
				}
				if err := s.Validate(v); err != nil {
					t.Errorf("%s: does not hold to %s:\n%v", o.what, c.schema, err)
				}
			}
		})
	}
}

// TestSchemasRefuseWrongOutput: each schema rampart owns fails an output
// with a field renamed, one of the wrong type, and one added, so a
// passing validation says something.
func TestSchemasRefuseWrongOutput(t *testing.T) {
	for _, c := range schemaCases() {
		if c.goType == nil {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			s := compileSchema(t, c)
			outs := outputsOf(t, c)
			var doc any
			if err := json.Unmarshal(outs[0].data, &doc); err != nil {
				t.Fatal(err)
			}
			obj := firstObject(doc)
			if obj == nil {
				t.Fatalf("%s: no object", outs[0].what)
			}
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			k := keys[0]
			for _, m := range []struct {
				what   string
				mutate func(map[string]any)
			}{
				{"renamed " + k, func(o map[string]any) { o[k+"X"] = o[k]; delete(o, k) }},
				{"mistyped " + k, func(o map[string]any) { o[k] = map[string]any{"not": "this"} }},
				{"added a field", func(o map[string]any) { o["unknownField"] = 1 }},
			} {
				var copied any
				json.Unmarshal(outs[0].data, &copied)
				m.mutate(firstObject(copied))
				b, _ := json.Marshal(copied)
				v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(b))
				if err := s.Validate(v); err == nil {
					t.Errorf("%s: the output with %s validates", c.schema, m.what)
				}
			}
		})
	}
}

// firstObject is doc, or the first object of a list.
func firstObject(doc any) map[string]any {
	switch v := doc.(type) {
	case map[string]any:
		return v
	case []any:
		for _, e := range v {
			if o := firstObject(e); o != nil {
				return o
			}
		}
	}
	return nil
}

func TestSchemasMatchGoTypes(t *testing.T) {
	for _, c := range schemaCases() {
		if c.goType == nil {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(docsDir, c.schema))
			if err != nil {
				t.Fatal(err)
			}
			var root map[string]any
			if err := json.Unmarshal(b, &root); err != nil {
				t.Fatal(err)
			}
			m := &typeMatcher{t: t, root: root, schema: c.schema}
			m.match(root, c.goType, c.goType.String())
		})
	}
}

// typeMatcher walks a schema and the Go type encoding/json writes in
// step: a struct is a closed object whose properties are its JSON fields
// and whose required ones are those without omitempty; a slice an
// array, a map an object of its values; a string, number or bool the
// same type.
type typeMatcher struct {
	t      *testing.T
	root   map[string]any
	schema string
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

func (m *typeMatcher) resolve(s map[string]any, at string) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		var next any = m.root
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			o, _ := next.(map[string]any)
			next = o[part]
		}
		n, ok := next.(map[string]any)
		if !ok {
			m.t.Errorf("%s: %s: $ref %q resolves to nothing", m.schema, at, ref)
			return map[string]any{}
		}
		s = n
	}
}

// types are the JSON types s allows, from "type", or from "const" and
// "enum" values.
func types(s map[string]any) []string {
	switch v := s["type"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	var vals []any
	if c, ok := s["const"]; ok {
		vals = []any{c}
	}
	if e, ok := s["enum"].([]any); ok {
		vals = e
	}
	var out []string
	for _, v := range vals {
		switch v.(type) {
		case string:
			out = append(out, "string")
		case bool:
			out = append(out, "boolean")
		case float64:
			out = append(out, "integer", "number")
		}
	}
	return out
}

func (m *typeMatcher) want(s map[string]any, at string, ty reflect.Type, jsonTypes ...string) {
	got := types(s)
	for _, w := range jsonTypes {
		if slices.Contains(got, w) {
			return
		}
	}
	m.t.Errorf("%s: %s is %s in Go, the schema says %v", m.schema, at, ty, got)
}

func (m *typeMatcher) match(s map[string]any, ty reflect.Type, at string) {
	s = m.resolve(s, at)
	if ty.Implements(jsonMarshaler) || ty.Implements(textMarshaler) ||
		reflect.PointerTo(ty).Implements(jsonMarshaler) || reflect.PointerTo(ty).Implements(textMarshaler) {
		return // writes itself (time.Time): a value, not an object
	}
	switch ty.Kind() {
	case reflect.Pointer:
		m.match(s, ty.Elem(), at)
	case reflect.Struct:
		m.want(s, at, ty, "object")
		if s["additionalProperties"] != false {
			m.t.Errorf("%s: %s: the object is not closed (additionalProperties: false)", m.schema, at)
		}
		props, _ := s["properties"].(map[string]any)
		var required []string
		for _, r := range s["required"].([]any) {
			required = append(required, r.(string))
		}
		fields := doctest.StructFields(ty)
		for _, f := range fields {
			p, ok := props[f.JSON].(map[string]any)
			if !ok {
				m.t.Errorf("%s: %s.%s: the field %q has no property in the schema", m.schema, at, f.Go, f.JSON)
				continue
			}
			if slices.Contains(required, f.JSON) == f.OmitEmpty {
				m.t.Errorf("%s: %s.%s: %q is required in the schema: %v, but omitted when empty in Go: %v", m.schema, at, f.Go, f.JSON, !f.OmitEmpty, f.OmitEmpty)
			}
			m.match(p, f.Type, at+"."+f.Go)
		}
		for name := range props {
			if !slices.ContainsFunc(fields, func(f doctest.Field) bool { return f.JSON == name }) {
				m.t.Errorf("%s: %s: the schema's property %q is no field of %s", m.schema, at, name, ty)
			}
		}
	case reflect.Slice, reflect.Array:
		m.want(s, at, ty, "array")
		items, _ := s["items"].(map[string]any)
		if items == nil {
			m.t.Errorf("%s: %s: an array without items", m.schema, at)
			return
		}
		m.match(items, ty.Elem(), at+"[]")
	case reflect.Map:
		m.want(s, at, ty, "object")
		values, _ := s["additionalProperties"].(map[string]any)
		if values == nil {
			m.t.Errorf("%s: %s: a map without additionalProperties for its values", m.schema, at)
			return
		}
		m.match(values, ty.Elem(), at+"{}")
	case reflect.String:
		m.want(s, at, ty, "string")
	case reflect.Bool:
		m.want(s, at, ty, "boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		m.want(s, at, ty, "integer")
	case reflect.Float32, reflect.Float64:
		m.want(s, at, ty, "number")
	default:
		m.t.Errorf("%s: %s: %s has no JSON form this test knows", m.schema, at, ty)
	}
}

// TestLintSchemaNamesEveryCheck: the schema's enum of checks is the
// linter's list.
func TestLintSchemaNamesEveryCheck(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(docsDir, "seccomp-lint.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs struct {
			Finding struct {
				Properties struct {
					Check struct {
						Enum []string `json:"enum"`
					} `json:"check"`
				} `json:"properties"`
			} `json:"finding"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range lint.Checks {
		ids = append(ids, c.ID)
	}
	got := s.Defs.Finding.Properties.Check.Enum
	sort.Strings(ids)
	sort.Strings(got)
	if !slices.Equal(got, ids) {
		t.Errorf("the schema's checks %v, the linter's %v", got, ids)
	}
}

// acceptConfig accepts findings of every kind of the audit's fixtures,
// one acceptance expired, so that the outputs show both.
func acceptConfig(t *testing.T) string {
	f := filepath.Join(t.TempDir(), ".rampart.yaml")
	body := `accept:
  - rule: pss/runAsNonRoot
    reason: accepted in the config
  - rule: pss/capabilities_restricted
    reason: accepted until 2000
    expires: 2000-01-01
`
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// driftJSONOutputs is probe --all against a kubectl that answers with
// what the kube tier's lab answered (cluster/testdata) and can exec into
// no container: a foreseen refusal, and containers not measured.
func driftJSONOutputs(t *testing.T) []output {
	kc := clustertest.Kubectl(t)
	args := []string{"probe", "--all", "--kubectl", kc, "-n", "demo2", "-o", "json"}
	cmd := exec.Command(rampartBin(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("rampart %s: %v, want exit 1 (drift found)\n%s", strings.Join(args, " "), err, errb.String())
	}
	var r drift.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || len(r.Drift) == 0 || len(r.Unmeasured) == 0 {
		t.Fatalf("probe --all: %v; %d drift, %d unmeasured: want both\n%s", err, len(r.Drift), len(r.Unmeasured), out.Bytes())
	}
	return []output{{what: "rampart " + strings.Join(args, " "), data: out.Bytes()}}
}
