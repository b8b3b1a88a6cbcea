// Package kube reads Kubernetes manifests and turns one container's
// securityContext into a policy.Policy, the way a node running the kubelet,
// containerd and runc would apply it.
//
// Every Container remembers where its fields were written, so errors and
// policy origins point at "file:line:col".
package kube

import (
	"errors"
	"fmt"
	"github.com/rampart-sec/rampart/caps"
	"io"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampart-sec/rampart/internal/k8syaml"
)

// Container types, as the pod spec lists them.
const (
	TypeContainer          = "container"
	TypeInitContainer      = "initContainer"
	TypeEphemeralContainer = "ephemeralContainer"
)

// Container is one container found in a manifest, with everything needed
// to build its policy.
type Container struct {
	File string // as given to Read ("<stdin>" for ReadFile("-"))
	Doc  int    // 0-based YAML document index in the file

	// Kind, Name and Namespace are the top-level object's (Deployment
	// "flask-app"); for a List, the item's.
	Kind, Name, Namespace string

	Container string // container name
	Type      string // TypeContainer, TypeInitContainer or TypeEphemeralContainer

	Pod  *corev1.PodSpec   // shared by the containers of one pod template
	Meta metav1.ObjectMeta // the pod template's metadata (annotations live there)
	Spec *corev1.Container // an ephemeral container is converted to a Container
	// Target is an ephemeral container's targetContainerName: it runs in
	// that container's pid namespace (kubectl debug --target).
	Target string

	// For a container read from another dialect as the Pod it stands for
	// (FromNode): Runtime is the runtime whose defaults apply to it
	// ("docker" for a Compose service; "" for the node's), ProfileDir the
	// directory its Localhost seccomp profile is relative to ("" for the
	// node's), and Notes what the translation says of it.
	Runtime, ProfileDir string
	Notes               []string
	// Ambient is the ambient set the dialect gives the process, which a
	// pod spec cannot say (an OCI config's, a systemd service's
	// AmbientCapabilities=): a non-root user keeps it across exec.
	Ambient caps.Set

	at anchors
}

// anchors are the YAML nodes positions are looked up from.
type anchors struct {
	file string
	ctr  *yaml.Node // the container's mapping
	pod  *yaml.Node // the pod spec mapping, nil if absent
	meta *yaml.Node // the pod template's metadata mapping, nil if absent
	tmpl *yaml.Node // the pod template (for a Pod, the object): the fallback
	obj  *yaml.Node // the top-level object (for a List, the item)
}

// Pos says where a field of the container is written, as "file:line:col".
// path is made of field names (string) and list indexes (int), relative to
// the container: Pos("securityContext", "capabilities", "drop", 0). A field
// that is not written falls back to its nearest written ancestor. A
// scalar's position is its value's; a block mapping's or list's is its
// key's.
func (c Container) Pos(path ...any) string { return c.at.pos(c.at.ctr, path) }

// PodPos is Pos relative to the pod spec: PodPos("securityContext",
// "runAsUser").
func (c Container) PodPos(path ...any) string { return c.at.pos(c.at.pod, path) }

// MetaPos is Pos relative to the pod template's metadata:
// MetaPos("annotations", key).
func (c Container) MetaPos(path ...any) string { return c.at.pos(c.at.meta, path) }

// Annotation is an annotation of the object (Deployment "web"), or
// else of its pod template, with where its value is written: what the
// object's author says of the object, which the decoded pod template's
// Meta does not hold.
func (c Container) Annotation(key string) (value, pos string, ok bool) {
	for _, n := range []*yaml.Node{k8syaml.Lookup(c.at.obj, "metadata", "annotations", key), k8syaml.Lookup(c.at.meta, "annotations", key)} {
		if n = k8syaml.Deref(n); n != nil && n.Kind == yaml.ScalarNode {
			return n.Value, c.at.file + ":" + strconv.Itoa(n.Line) + ":" + strconv.Itoa(n.Column), true
		}
	}
	return "", "", false
}

func (a anchors) pos(start *yaml.Node, path []any) string {
	line, col := a.lineCol(start, path)
	if line == 0 {
		return a.file
	}
	return a.file + ":" + strconv.Itoa(line) + ":" + strconv.Itoa(col)
}

func (a anchors) lineCol(start *yaml.Node, path []any) (int, int) {
	if start == nil {
		start, path = a.tmpl, nil
	}
	if start == nil {
		return 0, 0
	}
	key, val := (*yaml.Node)(nil), k8syaml.Deref(start)
	for _, p := range path {
		k, v := k8syaml.Child(val, p)
		if v == nil {
			break
		}
		key, val = k, v
	}
	n := k8syaml.NodeAt(key, val)
	return n.Line, n.Column
}

// Error is a problem at a place in a manifest. Read returns them (joined)
// for documents it cannot use; Policy for fields it cannot map.
type Error struct {
	File         string
	Line, Column int    // 0 when unknown (YAML syntax errors have no column)
	Doc          int    // 1-based document number; 0 when the error is about a container's policy
	Object       string // "Deployment flask-app", when known
	Field        string // "securityContext.capabilities.drop[0]", when known
	Msg          string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	if e.Doc > 0 {
		b.WriteString(": document " + strconv.Itoa(e.Doc))
		if e.Object != "" {
			b.WriteString(" (" + e.Object + ")")
		}
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// ReadFile reads the manifests in path ("-" is standard input). It returns
// the containers of every document it could read, and the errors of the
// others joined.
func ReadFile(path string) ([]Container, error) {
	var (
		data []byte
		err  error
		name = path
	)
	if path == "-" {
		name = "<stdin>"
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	return Read(name, data)
}

// Select picks a container by name. An empty name picks the only
// container, or else the only regular (not init or ephemeral) one. A name
// may be qualified as "object/container" or "kind/object/container" when
// several objects have a container of that name. The error lists the
// candidates.
func Select(cs []Container, name string) (Container, error) {
	if len(cs) == 0 {
		return Container{}, errors.New("no containers found")
	}
	if name == "" {
		if len(cs) == 1 {
			return cs[0], nil
		}
		var regular []Container
		for _, c := range cs {
			if c.Type == TypeContainer {
				regular = append(regular, c)
			}
		}
		if len(regular) == 1 {
			return regular[0], nil
		}
		return Container{}, fmt.Errorf("%s has %d containers; choose one with #NAME: %s", cs[0].File, len(cs), names(cs))
	}
	parts := strings.Split(name, "/")
	if len(parts) > 3 {
		return Container{}, fmt.Errorf("container %q: expected NAME, OBJECT/NAME or KIND/OBJECT/NAME", name)
	}
	var found []Container
	for _, c := range cs {
		n := len(parts)
		if c.Container != parts[n-1] ||
			n >= 2 && c.Name != parts[n-2] ||
			n == 3 && !strings.EqualFold(c.Kind, parts[0]) {
			continue
		}
		found = append(found, c)
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Container{}, fmt.Errorf("no container %q in %s; have: %s", name, cs[0].File, names(cs))
	}
	return Container{}, fmt.Errorf("container %q is ambiguous in %s; qualify it as one of: %s", name, cs[0].File, names(found))
}

// names lists containers for messages: bare names when they all belong to
// one object, KIND/OBJECT/NAME otherwise.
func names(cs []Container) string {
	qualify := false
	for _, c := range cs {
		if c.Kind != cs[0].Kind || c.Name != cs[0].Name || c.Doc != cs[0].Doc {
			qualify = true
		}
	}
	var out []string
	for _, c := range cs {
		s := c.Container
		if qualify {
			s = c.Kind + "/" + c.Name + "/" + c.Container
		}
		if c.Type != TypeContainer {
			s += " (" + c.Type + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}
