package harden

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/rampart-sec/rampart/internal/k8syaml/k8syamltest"
)

// hardenReads is what harden reads of container c's securityContext in a
// Pod manifest, through the reads container makes, or the error that
// stops it.
func hardenReads(data []byte) (*corev1.SecurityContext, error) {
	h, err := newHardener(Options{}, Sink{})
	if err != nil {
		return nil, err
	}
	n, err := h.parse(doc{text: string(data), line: 1})
	if err != nil {
		return nil, err
	}
	var sc *yaml.RNode
	if cs := h.lookup(n, "spec", "containers"); cs != nil {
		for _, c := range h.elements(cs, "containers") {
			if h.str(c, "name") == "c" {
				sc = h.field(c, "securityContext")
			}
		}
	}
	if h.err != nil || sc == nil {
		return nil, h.err
	}
	out := &corev1.SecurityContext{
		Privileged:               read[bool](h, sc, "privileged"),
		AllowPrivilegeEscalation: read[bool](h, sc, "allowPrivilegeEscalation"),
		RunAsNonRoot:             read[bool](h, sc, "runAsNonRoot"),
		RunAsUser:                read[int64](h, sc, "runAsUser"),
	}
	if c := h.field(sc, "capabilities"); c != nil && c.YNode().Kind == yaml.MappingNode {
		out.Capabilities = &corev1.Capabilities{}
		if l := read[[]string](h, c, "add"); l != nil {
			out.Capabilities.Add = toCaps(*l)
		}
		if l := read[[]string](h, c, "drop"); l != nil {
			out.Capabilities.Drop = toCaps(*l)
		}
	}
	if p := h.field(sc, "seccompProfile"); p != nil && p.YNode().Kind == yaml.MappingNode {
		out.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileType(h.str(sc, "seccompProfile", "type"))}
	}
	return out, h.err
}

func toCaps(l []string) []corev1.Capability {
	out := []corev1.Capability{}
	for _, c := range l {
		out = append(out, corev1.Capability(c))
	}
	return out
}

// placed is how harden places an error: at a line (and for what it
// reads, a column) of the file.
var placed = regexp.MustCompile(`line [0-9]+`)

// TestReadsAsAPIServer: harden reads each securityContext field it
// decides on as the API server decodes the same text, whatever its
// written form, or refuses the file at the field's line. Where the two
// differed, harden edited beside a field the cluster reads otherwise:
// "runAsUser: 1e3" (1000) got no runAsNonRoot, "privileged: ! true"
// (a string, which the API server refuses) was taken as privileged, and
// a merge of an alias of a list was read as no merge at all.
func TestReadsAsAPIServer(t *testing.T) {
	check := func(name string, data []byte, structural bool) {
		t.Helper()
		want, werr := k8syamltest.Pod(data)
		got, err := hardenReads(data)
		switch {
		case werr != nil && err == nil:
			t.Errorf("%s: read, but the API server refuses it (%v)\n%s", name, werr, data)
		case werr != nil && !placed.MatchString(err.Error()):
			t.Errorf("%s: refused without a line: %v", name, err)
		case werr != nil:
		case err != nil && !structural:
			t.Errorf("%s: refused (%v), but the API server reads it\n%s", name, err, data)
		case err != nil && !placed.MatchString(err.Error()):
			t.Errorf("%s: refused without a line: %v", name, err)
		case err != nil:
			// harden refuses to edit through merge keys, aliases of
			// mappings and duplicates: it says where.
		default:
			var wsc *corev1.SecurityContext
			for _, c := range want.Spec.Containers {
				if c.Name == "c" {
					wsc = c.SecurityContext
				}
			}
			for _, f := range k8syamltest.Fields {
				var w, g any
				if wsc != nil {
					w = f.Get(wsc)
				}
				if got != nil {
					g = f.Get(got)
				}
				if !reflect.DeepEqual(w, g) {
					t.Errorf("%s: %s read as %#v, the API server reads %#v\n%s", name, f.Name, g, w, data)
				}
			}
		}
	}
	for _, f := range k8syamltest.Fields {
		for _, form := range k8syamltest.Scalars {
			check(fmt.Sprintf("%s: %q", f.Name, form), k8syamltest.PodYAML("", f.SC(form)), false)
		}
	}
	for _, c := range k8syamltest.Structural {
		check(c.Name, k8syamltest.PodYAML(c.PodExtra, c.SC), true)
	}
}

// TestHardensAsAPIServerReads: the edits follow the reading. A runAsUser
// written 1e3 or 0x3e8 is a non-root UID (runAsNonRoot is set), one
// written 0e0 is root (reported, with --assume-nonroot too), and a
// capabilities: null container is hardened like one without the field:
// it used to be left whole, unhardened and unreported.
func TestHardensAsAPIServerReads(t *testing.T) {
	for _, tc := range []struct {
		name, sc string
		o        Options
		edited   []string // fields harden must edit
		finding  string
	}{
		{name: "runAsUser 1e3", sc: "      runAsUser: 1e3\n", edited: []string{"securityContext.runAsNonRoot"}},
		{name: "runAsUser 0x3e8", sc: "      runAsUser: 0x3e8\n", edited: []string{"securityContext.runAsNonRoot"}},
		{name: "runAsUser 0e0", sc: "      runAsUser: 0e0\n", o: Options{AssumeNonRoot: true}, finding: "runAsUser is 0 (root)"},
		{name: "capabilities null", sc: "      capabilities: ~\n", edited: []string{"securityContext.capabilities.drop", "securityContext.seccompProfile", "securityContext.allowPrivilegeEscalation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := k8syamltest.PodYAML("", tc.sc)
			res, r := hardenAudit(t, "p.yaml", data, tc.o)
			if len(r.Errors) > 0 || len(r.Workloads) != 1 {
				t.Fatalf("audit of the hardened manifest: %+v\n%s", r.Errors, res.Data)
			}
			if c := r.Workloads[0].Containers[0]; c.Error != "" {
				t.Errorf("the API server would refuse the hardened manifest: %s\n%s", c.Error, res.Data)
			}
			var edited []string
			for _, c := range res.Edits() {
				edited = append(edited, c.Field)
			}
			for _, f := range tc.edited {
				if !strings.Contains(strings.Join(edited, " "), f) {
					t.Errorf("%s not edited (edits %v)\n%s", f, edited, res.Data)
				}
			}
			if tc.finding != "" && !strings.Contains(fmt.Sprint(res.Findings()), tc.finding) {
				t.Errorf("findings %v, want %q\n%s", res.Findings(), tc.finding, res.Data)
			}
			if tc.finding != "" && strings.Contains(string(res.Data), "runAsNonRoot") {
				t.Errorf("runAsNonRoot set for a root UID:\n%s", res.Data)
			}
		})
	}
}

// TestRefusesWhatTheAPIServerRefuses: a field harden reads in a form the
// API server refuses stops harden at its line and column, rather than
// editing beside it as if it were absent.
func TestRefusesWhatTheAPIServerRefuses(t *testing.T) {
	for _, tc := range []struct{ sc, err string }{
		{"      privileged: ! true\n", "line 9, column 19: securityContext.privileged: expected a boolean"},
		{"      runAsUser: 1.5\n", "line 9, column 18: runAsUser: expected an integer"},
		{"      capabilities: {drop: [ALL, 1]}\n", "line 9, column 34: drop: expected a string, got number"},
		{"      capabilities: {add: yes}\n", "line 9, column 27: add: expected a list, got bool"},
		{"      capabilities: []\n", "line 9, column 21: securityContext.capabilities: not a mapping"},
		{"      seccompProfile: {type: !!binary '!!'}\n", "line 9, column 30: seccompProfile.type: !!binary value contains invalid base64 data"},
	} {
		_, err := Manifest("p.yaml", k8syamltest.PodYAML("", tc.sc), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: err = %v, want %q", tc.sc, err, tc.err)
		}
		if _, werr := k8syamltest.Pod(k8syamltest.PodYAML("", tc.sc)); werr == nil {
			t.Errorf("%q: the API server reads it", tc.sc)
		}
	}
}

// TestWritesWhatWasRead: what harden does not edit, the API server reads
// from the hardened manifest as from the original, whatever its written
// form. kyaml's writer dropped the non-specific tag: "args: [! on]" (the
// string "on") came back as [on], which the API server reads as true and
// refuses in a list of strings.
func TestWritesWhatWasRead(t *testing.T) {
	for _, form := range k8syamltest.Scalars {
		for _, f := range []struct{ name, podExtra, ctr string }{
			{"args", "", "    args:\n    - " + k8syamltest.At(6, form) + "\n"},
			{"stdin", "", "    stdin: " + k8syamltest.At(4, form) + "\n"},
			{"terminationGracePeriodSeconds", "  terminationGracePeriodSeconds: " + k8syamltest.At(2, form) + "\n", ""},
		} {
			data := []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + f.podExtra + "  containers:\n  - name: c\n    image: x\n" + f.ctr)
			before, err := k8syamltest.Pod(data)
			if err != nil {
				continue // the API server refuses the original
			}
			res, err := Manifest("p.yaml", data, Options{})
			if err != nil {
				t.Errorf("%s %q: %v", f.name, form, err)
				continue
			}
			after, err := k8syamltest.Pod(res.Data)
			if err != nil {
				t.Errorf("%s %q: the API server refuses the hardened manifest: %v\n%s", f.name, form, err, res.Data)
				continue
			}
			b, a := before.Spec, after.Spec
			if !reflect.DeepEqual(b.Containers[0].Args, a.Containers[0].Args) || b.Containers[0].Stdin != a.Containers[0].Stdin ||
				!reflect.DeepEqual(b.TerminationGracePeriodSeconds, a.TerminationGracePeriodSeconds) {
				t.Errorf("%s %q: hardened, the API server reads it otherwise\n%s", f.name, form, res.Data)
			}
		}
	}
}

// TestSPOWrittenAsRead: the Security Profiles Operator objects harden
// writes reach the API server with the values harden meant: strings that
// YAML 1.1 would read as booleans, numbers or nulls stay strings, and a
// seccomp rule's 64-bit argument stays an integer.
func TestSPOWrittenAsRead(t *testing.T) {
	odd := []string{"on", "yes", "y", "N", "off", "0o17", "017", "0x1F", "1e3", "1_000", "~", "null", "", "2001-12-14", "<<", "! x", "true"}
	out, err := SPO([]Profile{{Name: "on", Namespace: "0o17", Images: odd, Abstract: &SPOAbstract{Executables: odd, Capabilities: []string{"net_raw"}}}})
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(out), "\n---\n")
	var objs []map[string]any
	for _, d := range docs {
		js, err := k8syamltest.JSON([]byte(d))
		if err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		objs = append(objs, js)
	}
	prof := objs[0]
	if md := prof["metadata"].(map[string]any); md["name"] != "on" || md["namespace"] != "0o17" {
		t.Errorf("metadata read as %v", md)
	}
	ex := prof["spec"].(map[string]any)["abstract"].(map[string]any)["executable"].(map[string]any)["allowedExecutables"]
	if fmt.Sprint(ex) != fmt.Sprint(odd) {
		t.Errorf("allowedExecutables read as %#v, written %#v", ex, odd)
	}
	var images []string
	for _, o := range objs[1:] {
		images = append(images, fmt.Sprint(o["spec"].(map[string]any)["image"]))
	}
	if fmt.Sprint(images) != fmt.Sprint(odd) {
		t.Errorf("ProfileBinding images read as %q, written %q", images, odd)
	}

	sec, err := SPOSeccomp([]SeccompProfile{{Name: "s", Namespace: "ns", JSON: []byte(`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":9223372036854775807,"valueTwo":4294967295,"op":"SCMP_CMP_EQ"}]},{"names":["on"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}`)}})
	if err != nil {
		t.Fatal(err)
	}
	js, err := k8syamltest.JSON(sec)
	if err != nil {
		t.Fatal(err)
	}
	rules := js["spec"].(map[string]any)["syscalls"].([]any)
	arg := rules[0].(map[string]any)["args"].([]any)[0].(map[string]any)
	if fmt.Sprint(arg["value"], " ", arg["valueTwo"]) != "9223372036854775807 4294967295" {
		t.Errorf("argument read as %v %v\n%s", arg["value"], arg["valueTwo"], sec)
	}
	if r := rules[1].(map[string]any); fmt.Sprint(r["names"]) != "[on]" || r["errnoRet"] != "38" {
		t.Errorf("rule read as %v\n%s", r, sec)
	}
}

// TestRecordedNameWrittenAsString: a recording's name (rampart record
// --name) goes into the manifest as the string it is. It was written
// plain, so a profile named yes, on or 1e3 reached the API server as a
// boolean or a number, and the hardened manifest was refused.
func TestRecordedNameWrittenAsString(t *testing.T) {
	for _, name := range []string{"yes", "on", "n", "null", "1e3", "017", "0x1f", "1", "rampart-web"} {
		rec := &Recorded{Name: name, AppArmor: "profile " + name + " {}\n", Seccomp: []byte(`{"defaultAction":"SCMP_ACT_ERRNO"}`)}
		res, err := Manifest("p.yaml", k8syamltest.PodYAML("", "      {}\n"), Options{Recorded: rec})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pod, err := k8syamltest.Pod(res.Data)
		if err != nil {
			t.Errorf("%s: the API server refuses the hardened manifest: %v\n%s", name, err, res.Data)
			continue
		}
		sc := pod.Spec.Containers[0].SecurityContext
		if sc.AppArmorProfile == nil || sc.AppArmorProfile.LocalhostProfile == nil || *sc.AppArmorProfile.LocalhostProfile != name {
			t.Errorf("%s: appArmorProfile read as %+v\n%s", name, sc.AppArmorProfile, res.Data)
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.LocalhostProfile == nil || *sc.SeccompProfile.LocalhostProfile != "rampart/"+name+".json" {
			t.Errorf("%s: seccompProfile read as %+v\n%s", name, sc.SeccompProfile, res.Data)
		}
	}
}
