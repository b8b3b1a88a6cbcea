// Package k8syamltest is the reference rampart's manifest readers are
// tested against: the API server's own decoding of a manifest (its YAML
// serializer: sigs.k8s.io/yaml, that is go-yaml v2 and YAML 1.1, to JSON,
// then a case-sensitive JSON decoding into the typed object), and the
// written forms of the securityContext fields that decide a layer, which
// YAML readers are known to disagree on.
//
// Only tests import it: it links the API machinery that rampart's own
// readers do not use.
package k8syamltest

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// serializer is the API server's YAML serializer for the core types.
var serializer = func() *json.Serializer {
	s := runtime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		panic(err)
	}
	return json.NewSerializerWithOptions(json.DefaultMetaFactory, s, s, json.SerializerOptions{Yaml: true})
}()

// Pod is the API server's reading of a Pod manifest, or its refusal.
func Pod(doc []byte) (*corev1.Pod, error) {
	obj, _, err := serializer.Decode(doc, nil, nil)
	if err != nil {
		return nil, err
	}
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("decoded a %T, not a Pod", obj)
	}
	return p, nil
}

// Scalars are ways to write a field's value that YAML 1.1 (the API
// server's reading), YAML 1.2 and hand-written readers resolve
// differently: booleans of every spelling, integers in every base and
// with separators, floats, nulls, quoted and block forms, and explicit
// tags, the non-specific one ("!") included. A line break in a form
// continues it on the next line, indented under its key.
var Scalars = []string{
	"true", "True", "TRUE", "tRUE", "false", "False", "FALSE",
	"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
	"0", "1", "0o17", "0O17", "017", "08", "0x1F", "0X1f", "0b101", "-0b11", "0x0", "00", "-0", "+12", "-1",
	"1000", "1e3", "1E3", "1_000", "0x_3e8", "1.5", "1.", ".5", "0.0", "1e400", ".inf", "-.Inf", ".NaN",
	"9223372036854775807", "9223372036854775808", "18446744073709551616", "4294967296",
	"~", "null", "Null", "NULL", "",
	`""`, `''`, `"true"`, `'yes'`, `"0x1F"`, `"1000"`, `'~'`,
	"|\n  true", ">-\n  yes", "|-\n  1000",
	"!!str true", "!!str 1000", "!!bool yes", "!!bool true", "!!int 017", "!!int '1000'", "!!float 1",
	"!!int 1.5", "!!bool 1", "!!null ''", "!!binary dHJ1ZQ==", "!!binary MTAwMA==", "!!binary '!!'",
	"!!timestamp 2001-12-14", "!!timestamp 1000", "2001-12-14", "2001-12-14 21:59:43.10",
	"! true", "! on", "! Y", "! 1000", "! ~", "&a ! no", "! &a off", "!custom true", "!<tag:yaml.org,2002:bool> yes",
	"ALL", "all", "NET_RAW", "CAP_SYS_ADMIN", "RuntimeDefault", "Localhost", "Unconfined", `"RuntimeDefault"`,
	"<<", "1:20", "0.1.2",
}

// Field is a securityContext field whose reading decides a layer.
type Field struct {
	Name string // its path in the securityContext: "capabilities.add"
	// SC writes the field with form as its value (as one element, for a
	// list), as lines of a container's securityContext (indented 6).
	SC func(form string) string
	// Get is its value as decoded: nil when absent, else a bool, an
	// int64, a string or a []string.
	Get func(*corev1.SecurityContext) any
}

// Fields are the fields rampart's readers are compared on.
var Fields = []Field{
	{"privileged", scalar("privileged"), func(sc *corev1.SecurityContext) any { return deref(sc.Privileged) }},
	{"allowPrivilegeEscalation", scalar("allowPrivilegeEscalation"), func(sc *corev1.SecurityContext) any { return deref(sc.AllowPrivilegeEscalation) }},
	{"runAsNonRoot", scalar("runAsNonRoot"), func(sc *corev1.SecurityContext) any { return deref(sc.RunAsNonRoot) }},
	{"runAsUser", scalar("runAsUser"), func(sc *corev1.SecurityContext) any { return deref(sc.RunAsUser) }},
	{"capabilities.add", element("add"), func(sc *corev1.SecurityContext) any { return capList(sc.Capabilities, true) }},
	{"capabilities.drop", element("drop"), func(sc *corev1.SecurityContext) any { return capList(sc.Capabilities, false) }},
	{"seccompProfile.type", func(form string) string {
		return "      seccompProfile:\n        type: " + At(8, form) + "\n"
	}, func(sc *corev1.SecurityContext) any {
		if sc.SeccompProfile == nil {
			return nil
		}
		return string(sc.SeccompProfile.Type)
	}},
}

func scalar(key string) func(string) string {
	return func(form string) string { return "      " + key + ": " + At(6, form) + "\n" }
}

func element(list string) func(string) string {
	return func(form string) string {
		return "      capabilities:\n        " + list + ":\n        - " + At(8, form) + "\n"
	}
}

// At is form as the value of a key indented by indent: its next lines
// indented under the key.
func At(indent int, form string) string {
	return strings.ReplaceAll(form, "\n", "\n"+strings.Repeat(" ", indent))
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func capList(c *corev1.Capabilities, add bool) any {
	if c == nil {
		return nil
	}
	l := c.Drop
	if add {
		l = c.Add
	}
	if l == nil {
		return nil
	}
	out := []string{}
	for _, x := range l {
		out = append(out, string(x))
	}
	return out
}

// PodYAML is a Pod with one container, c, whose securityContext holds
// sc (lines indented 6) and whose spec holds podExtra (lines indented 2)
// before its containers. Its first four lines do not change: positions
// in sc start on line 9.
func PodYAML(podExtra, sc string) []byte {
	return []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + podExtra +
		"  containers:\n  - name: c\n    image: x\n    securityContext:\n" + sc)
}

// Structural are Pods whose container c's securityContext is read
// through anchors, aliases, merge keys (<<) or a duplicate key, each of
// which readers have resolved otherwise than the API server.
var Structural = []struct {
	Name     string
	PodExtra string // lines of the pod spec, before its containers
	SC       string // lines of the container's securityContext
}{
	{"alias of a scalar", "  automountServiceAccountToken: &t yes\n", "      privileged: *t\n"},
	{"alias of a number", "  terminationGracePeriodSeconds: &u 0x0\n", "      runAsUser: *u\n"},
	{"merge of a mapping", "  securityContext: &p {runAsUser: 0x3e8, runAsNonRoot: on}\n", "      <<: *p\n"},
	{"merge, then written", "  securityContext: &p {runAsUser: 0}\n", "      <<: *p\n      runAsUser: 1000\n"},
	{"written, then merge", "  securityContext: &p {runAsUser: 0}\n", "      runAsUser: 1000\n      <<: *p\n"},
	{"merge of a list", "  securityContext: &a {runAsUser: 1}\n" + initCtr("&b {runAsUser: 2, runAsNonRoot: yes}"), "      <<: [*a, *b]\n"},
	{"merge of a list of mappings written out", "", "      <<: [{privileged: on}, {privileged: off, runAsUser: 7}]\n"},
	{"merge of an alias of a list", "  imagePullSecrets: &l [{name: x}]\n", "      <<: *l\n"},
	{"merge of a scalar", "  automountServiceAccountToken: &t yes\n", "      <<: *t\n"},
	{"merge in a nested mapping", initCtr("{capabilities: &c {add: [NET_RAW], drop: [ALL]}}"), "      capabilities: {<<: *c}\n"},
	{"quoted merge key", "  securityContext: &p {runAsUser: 0}\n", "      \"<<\": *p\n      runAsUser: 5\n"},
	{"tagged merge key", "  securityContext: &p {runAsUser: 0}\n", "      !!merge <<: *p\n"},
	{"non-specific tag on a merge key", "  securityContext: &p {runAsUser: 0}\n", "      ! <<: *p\n"},
	{"duplicate key", "", "      privileged: true\n      privileged: false\n"},
	{"duplicate key, another spelling", "", "      runAsUser: 1\n      ? !!str runAsUser\n      : 2\n"},
	{"alias of a mapping", "  securityContext: &p {runAsUser: 1000, runAsNonRoot: y}\n", "      *p\n"},
	{"anchored value read in place", "", "      privileged: &t True\n      allowPrivilegeEscalation: *t\n"},
	{"alias of an anchored list", initCtr("{capabilities: {drop: &g [ALL]}}"), "      capabilities: {drop: *g}\n"},
	{"key written as a tagged string", "", "      !!str privileged: yes\n"},
	{"key that resolves to a boolean", "", "      y: 1\n      runAsUser: 2\n"},
	{"null securityContext entries", "", "      capabilities: ~\n      seccompProfile: null\n"},
}

// initCtr is an init container whose securityContext is sc: a place the
// API server reads, for anchors.
func initCtr(sc string) string {
	return "  initContainers:\n  - {name: i, image: x, securityContext: " + sc + "}\n"
}

// JSON is the API server's reading of any object: its YAML made JSON as
// the serializer makes it, decoded with numbers as written.
func JSON(doc []byte) (map[string]any, error) {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &m); err != nil {
		return nil, err
	}
	return m, nil
}
