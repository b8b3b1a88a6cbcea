package kube

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/internal/k8syaml"
)

// Read parses manifests: multi-document YAML or JSON, List objects, and
// every kind with a pod template (Pod; Deployment, StatefulSet, DaemonSet,
// ReplicaSet, ReplicationController and Job in spec.template; CronJob in
// spec.jobTemplate.spec.template; PodTemplate in template; any other
// object whose spec.template has spec.containers). Other objects are
// skipped. name is used in positions and messages. It returns the
// containers of every document it could read, and an *Error for each
// document it could not, joined.
func Read(name string, data []byte) ([]Container, error) {
	var (
		out  []Container
		errs []error
	)
	s := NewSplitter(name, bytes.NewReader(data), 0)
	for doc := 0; ; {
		d, err := s.Next()
		if err != nil { // io.EOF: a bytes.Reader fails no other way
			break
		}
		cs, n, es := d.Read(doc)
		out, errs, doc = append(out, cs...), append(errs, es...), doc+n
	}
	return out, errors.Join(errs...)
}

// FromNode reads the containers of one object already parsed into obj:
// another dialect's file translated into the Kubernetes object it stands
// for, whose nodes carry the positions of what they were translated from
// (compose, oci). name is used in positions and messages.
func FromNode(name string, obj *yaml.Node) ([]Container, error) {
	r := reader{file: name, budget: 1 << 20}
	r.object(obj, 0, "", 0)
	return r.out, errors.Join(r.errs...)
}

// safeDecode turns a panic in the YAML parser into an error: a manifest
// is untrusted input.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("yaml: parser failed: %v", p)
		}
	}()
	return dec.Decode(n)
}

type reader struct {
	file   string
	budget int // nodes a document may still expand to; aliases make it a concern
	out    []Container
	errs   []error
}

// TemplatePaths says where each workload kind keeps its pod template
// (package harden edits the same places this package reads).
var TemplatePaths = map[string][]string{
	"Pod":                   {},
	"PodTemplate":           {"template"},
	"Deployment":            {"spec", "template"},
	"StatefulSet":           {"spec", "template"},
	"DaemonSet":             {"spec", "template"},
	"ReplicaSet":            {"spec", "template"},
	"ReplicationController": {"spec", "template"},
	"Job":                   {"spec", "template"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template"},
}

// templatePath is TemplatePaths[kind] as node lookup keys.
func templatePath(kind string) ([]any, bool) {
	p, ok := TemplatePaths[kind]
	out := make([]any, len(p))
	for i, k := range p {
		out[i] = k
	}
	return out, ok
}

func (r *reader) object(n *yaml.Node, doc int, path string, depth int) {
	n = k8syaml.Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	kind := scalarText(k8syaml.Lookup(n, "kind"))
	name := scalarText(k8syaml.Lookup(n, "metadata", "name"))
	ns := scalarText(k8syaml.Lookup(n, "metadata", "namespace"))
	obj := strings.TrimSpace(kind + " " + name)

	if items := k8syaml.Lookup(n, "items"); (kind == "List" || strings.HasSuffix(kind, "List")) && items != nil && items.Kind == yaml.SequenceNode {
		if depth >= 8 {
			r.errs = append(r.errs, r.errAt(n, doc, obj, path, "Lists nested too deep"))
			return
		}
		for i, it := range items.Content {
			r.object(it, doc, path+"items["+strconv.Itoa(i)+"].", depth+1)
		}
		return
	}

	tpath, known := templatePath(kind)
	tmpl := n
	if !known {
		tpath = []any{"spec", "template"}
		tmpl = k8syaml.Lookup(n, tpath...)
		if c := k8syaml.Lookup(tmpl, "spec", "containers"); c == nil || c.Kind != yaml.SequenceNode {
			return // not a workload
		}
	} else if len(tpath) > 0 {
		tmpl = k8syaml.Lookup(n, tpath...)
	}
	prefix := path + fieldPath(tpath)
	if tmpl == nil || tmpl.Kind != yaml.MappingNode {
		// Point at the deepest part of the path that is written.
		at, p := n, path
		for i := range tpath {
			next := k8syaml.Lookup(n, tpath[:i+1]...)
			if next == nil {
				break
			}
			at, p = next, path+fieldPath(tpath[:i+1])
		}
		r.errs = append(r.errs, r.errAt(at, doc, obj, strings.TrimSuffix(p, "."), fmt.Sprintf("%s has no pod template at %s", kind, strings.TrimSuffix(prefix, "."))))
		return
	}

	var pt corev1.PodTemplateSpec
	if err := k8syaml.Decode(tmpl, &pt, &r.budget); err != nil {
		var ne *k8syaml.NodeError
		if !errors.As(err, &ne) {
			ne = &k8syaml.NodeError{Msg: err.Error()}
		}
		if ne.Node == nil {
			ne.Node = tmpl
		}
		r.errs = append(r.errs, r.errAt(ne.Node, doc, obj, prefix+strings.TrimPrefix(ne.Path, "."), ne.Msg))
		return
	}
	// The API server defaults a volume that names no source to emptyDir
	// before admission sees it; do the same, or Pod Security's
	// restrictedVolumes check would fail a pod the cluster admits.
	for i := range pt.Spec.Volumes {
		if pt.Spec.Volumes[i].VolumeSource == (corev1.VolumeSource{}) {
			pt.Spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}

	specNode, metaNode := k8syaml.Lookup(tmpl, "spec"), k8syaml.Lookup(tmpl, "metadata")
	spec := &pt.Spec
	add := func(typ, list string, i int, c *corev1.Container) *Container {
		r.out = append(r.out, Container{
			File: r.file, Doc: doc,
			Kind: kind, Name: name, Namespace: ns,
			Container: c.Name, Type: typ,
			Pod: spec, Meta: pt.ObjectMeta, Spec: c,
			at: anchors{file: r.file, ctr: k8syaml.Lookup(specNode, list, i), pod: specNode, meta: metaNode, tmpl: tmpl, obj: n},
		})
		return &r.out[len(r.out)-1]
	}
	// Listed in the order the kubelet starts them.
	for i := range spec.InitContainers {
		add(TypeInitContainer, "initContainers", i, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		add(TypeContainer, "containers", i, &spec.Containers[i])
	}
	for i := range spec.EphemeralContainers {
		// EphemeralContainerCommon has exactly Container's fields.
		c := corev1.Container(spec.EphemeralContainers[i].EphemeralContainerCommon)
		add(TypeEphemeralContainer, "ephemeralContainers", i, &c).Target = spec.EphemeralContainers[i].TargetContainerName
	}
}

func (r *reader) errAt(n *yaml.Node, doc int, obj, field, msg string) *Error {
	e := &Error{File: r.file, Doc: doc + 1, Object: obj, Field: strings.TrimSuffix(field, "."), Msg: msg}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// fieldPath prints a path as a field path prefix: "spec.template.".
func fieldPath(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case string:
			b.WriteString(p + ".")
		case int:
			b.WriteString("[" + strconv.Itoa(p) + "].")
		}
	}
	return b.String()
}

// scalarText is a scalar's text, "" for anything else.
func scalarText(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
