// Package harden rewrites Kubernetes manifests so that every container
// runs under the three layers: capabilities.drop [ALL] plus only the
// capabilities the workload declares, seccompProfile RuntimeDefault, a
// generated Localhost AppArmor profile, allowPrivilegeEscalation false,
// and runAsNonRoot where the user is known (or assumed) non-root.
//
// Edits are made with kyaml on the parsed documents, so comments, key
// order and formatting of everything not edited are kept; a file with
// nothing to change comes back byte for byte. Fields already at least as
// strict are left alone (a Localhost seccomp or AppArmor profile, drop
// [ALL], a pod-level setting that already applies). Edits are always made
// at container level.
//
// Manifest and Stream harden text; Files hardens files on disk as rampart
// harden does, writing each profile before the manifest that names it.
package harden

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/k8syaml"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/seccomp"
)

// DefaultDenyRead is what the generated AppArmor profiles deny reading
// unless Options.DenyRead says otherwise: the seed article's
// flask-deny-shadow rule, which closes the read-shadow path for a
// container running as root.
var DefaultDenyRead = []string{"/etc/shadow"}

// DefaultDenyWrite is what the generated profiles deny writing unless
// Options.DenyWrite says otherwise: the container runtimes' sockets (the
// catalog's runtime-socket path; connecting to a Unix socket needs write
// access to it), which a workload reaches only through a hostPath mount
// and which give host root. Built on first use: every rampart program links
// this package, and most never read the catalog.
func DefaultDenyWrite() []string { return slices.Clone(defaultDenyWrite()) }

var defaultDenyWrite = sync.OnceValue(runtimeSockets)

func runtimeSockets() []string {
	var out []string
	for _, p := range attack.Catalog() {
		if p.ID != "runtime-socket" {
			continue
		}
		for _, a := range p.Model.LSM {
			if a.Kind == attack.AccessFile && strings.HasPrefix(a.Path, "/") {
				out = append(out, a.Path)
			}
		}
	}
	return out
}

// Options choose the edits.
type Options struct {
	// Keep are the capabilities the workload needs (any spelling:
	// NET_BIND_SERVICE, CAP_NET_BIND_SERVICE). When KeepSet is false,
	// a container keeps the capabilities its manifest already adds.
	Keep    []string
	KeepSet bool
	// AssumeNonRoot sets runAsNonRoot: true where the user is not known.
	// Without it runAsNonRoot is set only where runAsUser is a non-zero
	// UID.
	AssumeNonRoot bool
	// Unprivileged turns privileged: true into false; otherwise a
	// privileged container is reported and left as it is.
	Unprivileged bool
	// NoAppArmor leaves AppArmor alone.
	NoAppArmor bool
	// UserNS sets hostUsers: false where the Pod allows a user namespace
	// of its own (userns.go), and says why not elsewhere.
	UserNS bool
	// DenyRead and DenyWrite go into the generated AppArmor profiles
	// (see apparmor.Options); nil means DefaultDenyRead and
	// DefaultDenyWrite, an empty slice nothing.
	DenyRead, DenyWrite []string
	// SeccompLocalhost replaces RuntimeDefault (set or missing) with a
	// Localhost profile per container: RuntimeDefault narrowed for the
	// capabilities it keeps (seccomp.Narrowed), written beside the
	// AppArmor profiles.
	SeccompLocalhost bool
	// SPO makes Localhost seccomp references point where the Security
	// Profiles Operator installs SeccompProfile objects
	// (operator/NAMESPACE/NAME.json) instead of rampart/NAME.json.
	SPO bool
	// Recorded, when set, gives the containers it applies to the
	// profiles generated from a recording (rampart record), in place of
	// what harden would generate or keep: exactly its capabilities, its
	// seccomp profile as Localhost and its AppArmor profile.
	Recorded *Recorded
	// Check judges every AppArmor profile before it is handed out, as
	// a node's apparmor_parser would: a profile it refuses fails the
	// file. nil: a Checker of the stream's own. Share one across files
	// to compile each distinct profile once and to ask it, at the end,
	// whether the parser was there (Checker.Validation).
	Check *apparmor.Checker
}

// Recorded are the profiles of a recorded workload.
type Recorded struct {
	// Container names the container they are for; empty: every one.
	Container string
	// Name is the AppArmor profile's name and the seccomp profile's
	// (rampart/NAME.json).
	Name     string
	Caps     caps.Set
	AppArmor string // the profile's text
	Seccomp  []byte // the profile's JSON
	// Abstract is the AppArmor profile as the operator's allow-lists.
	Abstract *SPOAbstract
}

// SeccompProfile is a generated seccomp profile that a hardened manifest
// references as Localhost.
type SeccompProfile struct {
	Name string
	// Path is the localhostProfile: relative to the kubelet's seccomp
	// directory (and to --profiles-out).
	Path      string
	JSON      []byte
	Namespace string
}

// Profile is a generated AppArmor profile that a hardened manifest
// references.
type Profile struct {
	Name      string
	Text      string
	Namespace string   // of the workload, for SPO objects
	Images    []string // the images of the containers that use it
	// Abstract is the profile as allow-lists, when it can be written so:
	// the only form the Security Profiles Operator carries (see SPO).
	Abstract *SPOAbstract
}

// Change is one edit, or one finding that was not edited (Skipped).
type Change struct {
	Object    string // "Deployment flask-app"
	Container string
	Field     string // securityContext.capabilities.drop
	What      string
	Skipped   bool
}

func (c Change) String() string {
	s := c.Object
	if c.Container != "" {
		s += " container " + c.Container
	}
	if c.Field != "" {
		s += ": " + c.Field
	}
	return s + ": " + c.What
}

// Result is one hardened file.
type Result struct {
	// Data is the hardened file; the input itself when nothing changed.
	Data     []byte
	Changed  bool
	Changes  []Change
	Profiles []Profile
	Seccomp  []SeccompProfile
}

// Edits lists the changes that were made.
func (r *Result) Edits() []Change {
	var out []Change
	for _, c := range r.Changes {
		if !c.Skipped {
			out = append(out, c)
		}
	}
	return out
}

// Findings lists what was reported and left.
func (r *Result) Findings() []Change {
	var out []Change
	for _, c := range r.Changes {
		if c.Skipped {
			out = append(out, c)
		}
	}
	return out
}

type hardener struct {
	o        Options
	keep     caps.Set
	sink     Sink
	changes  []Change
	profiles map[string]*Profile
	order    []string
	seccomp  []SeccompProfile
	// digests are the seccomp profiles handed out, by path.
	digests map[string][sha256.Size]byte
	// annotations are kyaml's reader's, carried from one document to the
	// next as its reader carries them through a whole file.
	annotations map[string]string
	edited      bool  // the current document
	err         error // the first field harden cannot read as kubectl does (see field)
}

func newHardener(o Options, s Sink) (*hardener, error) {
	h := &hardener{o: o, sink: s, profiles: map[string]*Profile{}, digests: map[string][sha256.Size]byte{}, annotations: map[string]string{}}
	if h.o.Check == nil {
		h.o.Check = &apparmor.Checker{}
	}
	if o.KeepSet {
		k, err := caps.FromNames(o.Keep)
		if err != nil {
			return nil, fmt.Errorf("--keep: %w", err)
		}
		h.keep = k
	}
	if h.o.DenyRead == nil {
		h.o.DenyRead = DefaultDenyRead
	}
	if h.o.DenyWrite == nil {
		h.o.DenyWrite = DefaultDenyWrite()
	}
	return h, nil
}

// readKeys are the keys harden reads or edits on its way to a container's
// securityContext.
var readKeys = map[string]bool{
	"kind": true, "metadata": true, "name": true, "namespace": true, "annotations": true,
	"spec": true, "template": true, "jobTemplate": true, "items": true,
	"containers": true, "initContainers": true, "ephemeralContainers": true, "image": true,
	"securityContext": true, "privileged": true, "capabilities": true, "add": true, "drop": true,
	"seccompProfile": true, "appArmorProfile": true, "type": true, "localhostProfile": true,
	"allowPrivilegeEscalation": true, "runAsNonRoot": true, "runAsUser": true,
}

// duplicateKey refuses a document with one of readKeys written twice in
// one mapping. kubectl keeps the last one, but an edit lands on the first:
// a privileged securityContext written after an empty one would stay
// privileged while the hardened file looked fixed. (Other duplicates,
// such as a repeated resources, are left for kubectl to resolve.)
func duplicateKey(n *yaml.Node) error {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Value == "<<" {
				continue
			}
			if line, ok := seen[k.Value]; ok && readKeys[k.Value] {
				return fmt.Errorf("line %d: duplicate key %q (first at line %d): kubectl keeps the last, an edit would change the first; remove one", k.Line, k.Value, line)
			}
			seen[k.Value] = k.Line
		}
	}
	for _, c := range n.Content {
		if err := duplicateKey(c); err != nil {
			return err
		}
	}
	return nil
}

func (h *hardener) object(n *yaml.RNode, depth int) error {
	if n == nil || n.YNode().Kind != yaml.MappingNode {
		return nil
	}
	kind := h.str(n, "kind")
	if items := h.lookup(n, "items"); items != nil && strings.HasSuffix(kind, "List") && items.YNode().Kind == yaml.SequenceNode {
		if depth >= 8 {
			// Skipping it would leave its Pods unhardened without a word.
			return fmt.Errorf("line %d: Lists nested too deep", n.YNode().Line)
		}
		for _, it := range h.elements(items, "items") {
			if err := h.object(it, depth+1); err != nil {
				return err
			}
		}
		return h.err
	}
	path, known := kube.TemplatePaths[kind]
	if !known {
		path = []string{"spec", "template"}
	}
	tmpl := h.lookup(n, path...)
	spec := h.lookup(tmpl, "spec")
	if h.err != nil || tmpl == nil || tmpl.YNode().Kind != yaml.MappingNode || spec == nil || spec.YNode().Kind != yaml.MappingNode {
		return h.err
	}
	if c := h.lookup(spec, "containers"); c == nil || c.YNode().Kind != yaml.SequenceNode {
		return h.err
	}
	name := h.str(n, "metadata", "name")
	obj := strings.TrimSpace(kind + " " + name)
	w := &workload{h: h, obj: obj, name: name, ns: h.str(n, "metadata", "namespace"), kind: kind, tmpl: tmpl, spec: spec}
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		f := h.lookup(spec, list)
		if f == nil || f.YNode().Kind != yaml.SequenceNode {
			continue
		}
		for _, c := range h.elements(f, list) {
			if c.YNode().Kind == yaml.MappingNode {
				if err := w.container(c); err != nil {
					return err
				}
			}
		}
	}
	if h.err != nil {
		return h.err
	}
	if err := w.podUnconfined("seccompProfile"); err != nil {
		return err
	}
	if h.o.UserNS {
		if err := w.hostUsers(); err != nil {
			return err
		}
	}
	if !h.o.NoAppArmor {
		return w.podUnconfined("appArmorProfile")
	}
	return nil
}

// podUnconfined turns a pod-level profile of type Unconfined into
// RuntimeDefault. Every container harden edited now names its own
// profile, so the pod's applies to none of them (nor to a privileged
// container, which runs unconfined whatever it says); but Pod Security
// refuses Unconfined at pod level even when every container overrides
// it, and the hardened pod would not even meet baseline.
func (w *workload) podUnconfined(field string) error {
	if w.podSC(field, "type") != "Unconfined" {
		return w.h.err
	}
	prof, _ := yaml.Parse("type: RuntimeDefault")
	if err := w.spec.PipeE(yaml.Lookup("securityContext"), yaml.SetField(field, prof)); err != nil {
		return fmt.Errorf("%s: securityContext.%s: %w", w.obj, field, err)
	}
	w.note("", "spec.securityContext."+field, "Unconfined -> RuntimeDefault (pod level; every container names its own profile)", false)
	return nil
}

type workload struct {
	h                   *hardener
	obj, name, ns, kind string
	tmpl, spec          *yaml.RNode
}

func (w *workload) note(ctr, field, what string, skipped bool) {
	c := Change{Object: w.obj, Container: ctr, Field: field, What: what, Skipped: skipped}
	if w.h.sink.Change != nil {
		w.h.sink.Change(c)
	}
	if w.h.sink.Collect {
		w.h.changes = append(w.h.changes, c)
	}
	if !skipped {
		w.h.edited = true
	}
}

// field is the value of key in the mapping n as written, nil when it is
// absent (or n is not a mapping). harden reads and edits what is written;
// where the API server would read something else there, an edit could
// look applied and not be (a privileged: true brought in by a merge key
// stays privileged next to the allowPrivilegeEscalation: false harden
// adds, which the API server then refuses). So field fails, and the file
// is refused, where the API server's reading (k8syaml.Lookup) differs: a
// merge key (<<) that brings the key in or overrides it, a duplicate key,
// and an alias of a mapping or list, whose edit would change every place
// that shares the anchor. An alias of a scalar is read through (see
// read). The first failure sticks in h.err; field then returns nil.
func (h *hardener) field(n *yaml.RNode, key string) *yaml.RNode {
	if h.err != nil || n == nil || n.YNode().Kind != yaml.MappingNode {
		return nil
	}
	var lit, at *yaml.Node
	if f := n.Field(key); f != nil {
		lit, at = f.Value.YNode(), f.Key.YNode()
	}
	kubectl, err := k8syaml.Get(n.YNode(), key)
	var ne *k8syaml.NodeError
	if errors.As(err, &ne) {
		h.err = fmt.Errorf("line %d, column %d: %s (the API server refuses it)", ne.Node.Line, ne.Node.Column, ne.Msg)
		return nil
	}
	switch {
	case lit == nil && kubectl == nil:
		return nil
	case lit == nil:
		h.err = fmt.Errorf("line %d: %q comes from a merge key (<<): kubectl reads it, an edit here would not see it; write it out", n.YNode().Line, key)
	case k8syaml.Deref(lit) != kubectl:
		h.err = fmt.Errorf("line %d: %q is overridden by a merge key (<<) or a duplicate: kubectl reads another value than the one written here; remove one", at.Line, key)
	case lit.Kind == yaml.AliasNode && kubectl.Kind != yaml.ScalarNode:
		h.err = fmt.Errorf("line %d: %q is an alias (*%s): an edit would change every place that shares the anchor; write it out", at.Line, key, lit.Value)
	default:
		return yaml.NewRNode(lit)
	}
	return nil
}

// lookup follows path from n through field.
func (h *hardener) lookup(n *yaml.RNode, path ...string) *yaml.RNode {
	for _, k := range path {
		n = h.field(n, k)
	}
	return n
}

// elements are the elements of a list harden reads, each refused when it
// is an alias of a mapping, as field refuses one.
func (h *hardener) elements(list *yaml.RNode, name string) []*yaml.RNode {
	els, _ := list.Elements()
	for i, e := range els {
		if e.YNode().Kind == yaml.AliasNode && h.err == nil {
			if d := k8syaml.Deref(e.YNode()); d != nil && d.Kind != yaml.ScalarNode {
				h.err = fmt.Errorf("line %d: %s[%d] is an alias (*%s): an edit would change every place that shares the anchor; write it out", e.YNode().Line, name, i, e.YNode().Value)
			}
		}
	}
	if h.err != nil {
		return nil
	}
	return els
}

// read is the value at path under n as the API server decodes it into a
// field of type T (k8syaml: YAML 1.1, so "privileged: True", yes or on
// is true and "runAsUser: 0x0" is root); nil when absent or null. A value
// the API server would refuse (privileged: "yes", runAsUser: 1.5) is not
// guessed at: it stops harden (h.err), at its line and column, since an
// edit beside it would harden a field the cluster reads otherwise.
func read[T any](h *hardener, n *yaml.RNode, path ...string) *T {
	v := h.lookup(n, path...)
	if v == nil {
		return nil
	}
	var out *T
	budget := 1 << 16
	err := k8syaml.Decode(v.YNode(), &out, &budget)
	if err == nil {
		return out
	}
	at, msg := v.YNode(), err.Error()
	var ne *k8syaml.NodeError
	if errors.As(err, &ne) && ne.Node != nil {
		at = ne.Node
	}
	h.err = fmt.Errorf("line %d, column %d: %s: %s", at.Line, at.Column, strings.Join(path, "."), msg)
	return nil
}

// str is the string at path under n, "" when absent.
func (h *hardener) str(n *yaml.RNode, path ...string) string {
	if s := read[string](h, n, path...); s != nil {
		return *s
	}
	return ""
}

// is says whether the boolean at path under n is written and is b.
func (h *hardener) is(n *yaml.RNode, b bool, path ...string) bool {
	v := read[bool](h, n, path...)
	return v != nil && *v == b
}

// localhost is a Localhost seccompProfile or appArmorProfile naming
// profile, which the API server reads as the string it is (a recording
// may be named yes or 1e3).
func localhost(profile string) *yaml.RNode {
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: s} }
	return yaml.NewRNode(&yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Content: []*yaml.Node{
		str("type"), str("Localhost"), str("localhostProfile"), k8syaml.String(profile),
	}})
}

func boolNode(b bool) *yaml.RNode {
	return yaml.NewRNode(&yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: fmt.Sprint(b)})
}

func (w *workload) podSC(path ...string) string {
	return w.h.str(w.spec, append([]string{"securityContext"}, path...)...)
}

func (w *workload) podBool(field string) *bool {
	return read[bool](w.h, w.spec, "securityContext", field)
}

func (w *workload) podInt(field string) *int64 {
	return read[int64](w.h, w.spec, "securityContext", field)
}

func (w *workload) container(c *yaml.RNode) error {
	h := w.h
	name := h.str(c, "name")
	image := h.str(c, "image")
	rec := w.h.o.Recorded
	if rec != nil && rec.Container != "" && rec.Container != name {
		rec = nil
	}
	keepSet, keepCaps := w.h.o.KeepSet, w.h.keep
	if rec != nil {
		keepSet, keepCaps = true, rec.Caps
	}
	set := func(sc *yaml.RNode, field string, v *yaml.RNode, what string) error {
		if err := sc.PipeE(yaml.SetField(field, v)); err != nil {
			return fmt.Errorf("%s container %s: %s: %w", w.obj, name, field, err)
		}
		w.note(name, "securityContext."+field, what, false)
		return nil
	}
	if h.is(c, true, "securityContext", "privileged") && !w.h.o.Unprivileged {
		w.note(name, "securityContext.privileged", "privileged: true left as it is (every capability, no seccomp, no AppArmor): pass --unprivileged to set it to false", true)
		return nil
	}
	if n := h.field(c, "securityContext"); n != nil && n.YNode().Kind != yaml.MappingNode && n.YNode().Tag != yaml.NodeTagNull {
		w.note(name, "securityContext", "not a mapping: left as it is", true)
		return nil
	}
	sc, err := c.Pipe(yaml.LookupCreate(yaml.MappingNode, "securityContext"))
	if err != nil {
		return fmt.Errorf("%s container %s: securityContext: %w", w.obj, name, err)
	}
	if sc.YNode().Kind != yaml.MappingNode {
		// securityContext: null
		sc.YNode().Kind, sc.YNode().Tag, sc.YNode().Value = yaml.MappingNode, yaml.NodeTagMap, ""
	}
	if h.is(sc, true, "privileged") {
		if err := set(sc, "privileged", boolNode(false), "true -> false (--unprivileged)"); err != nil {
			return err
		}
	}

	// Capabilities.
	if n := h.field(sc, "capabilities"); h.err != nil {
		return h.err
	} else if n != nil && n.YNode().Kind != yaml.MappingNode && n.YNode().Tag != yaml.NodeTagNull {
		return fmt.Errorf("line %d, column %d: securityContext.capabilities: not a mapping: the API server refuses it", n.YNode().Line, n.YNode().Column)
	}
	capsNode, err := sc.Pipe(yaml.LookupCreate(yaml.MappingNode, "capabilities"))
	if err != nil {
		return fmt.Errorf("%s container %s: capabilities: %w", w.obj, name, err)
	}
	if capsNode.YNode().Kind != yaml.MappingNode {
		// capabilities: null, which the API server reads as absent: it
		// used to leave the whole container as it was.
		capsNode.YNode().Kind, capsNode.YNode().Tag, capsNode.YNode().Value = yaml.MappingNode, yaml.NodeTagMap, ""
	}
	adds := h.strs(capsNode, "add")
	drops := h.strs(capsNode, "drop")
	if h.err != nil {
		return h.err
	}
	addAll := false
	var added caps.Set
	for _, a := range adds {
		if strings.EqualFold(a, "ALL") || strings.EqualFold(a, "CAP_ALL") {
			addAll = true
			continue
		}
		if c, err := caps.Parse(a); err == nil {
			added = added.Add(c)
		}
	}
	hasDropAll := false
	for _, d := range drops {
		if strings.EqualFold(d, "ALL") {
			hasDropAll = true
		}
	}
	if !hasDropAll {
		what := "[ALL]"
		if len(drops) > 0 {
			what = fmt.Sprintf("%v -> [ALL]", drops)
		}
		if err := capsNode.PipeE(yaml.SetField("drop", yaml.NewListRNode("ALL"))); err != nil {
			return err
		}
		w.note(name, "securityContext.capabilities.drop", what, false)
	}
	keep := added
	if keepSet {
		keep = keepCaps
		if addAll || keep != added {
			names := caps.Sorted(keep, caps.Cap.String)
			if len(names) == 0 {
				if err := capsNode.PipeE(yaml.Clear("add")); err != nil {
					return err
				}
				w.note(name, "securityContext.capabilities.add", fmt.Sprintf("%v removed (--keep)", adds), false)
			} else {
				if err := capsNode.PipeE(yaml.SetField("add", yaml.NewListRNode(names...))); err != nil {
					return err
				}
				w.note(name, "securityContext.capabilities.add", fmt.Sprintf("%v -> %v (--keep)", adds, names), false)
			}
		}
	} else if addAll {
		w.note(name, "securityContext.capabilities.add", "adds ALL: left as it is; pass --keep with the capabilities the workload needs", true)
	}
	if len(capsNode.YNode().Content) == 0 {
		_ = sc.PipeE(yaml.Clear("capabilities"))
	}

	// Seccomp.
	ct, pt := h.str(sc, "seccompProfile", "type"), w.podSC("seccompProfile", "type")
	if rec != nil {
		path, err := w.h.recordedSeccomp(rec, w.ns)
		if err != nil {
			return fmt.Errorf("%s container %s: %w", w.obj, name, err)
		}
		if ct != "Localhost" || h.str(sc, "seccompProfile", "localhostProfile") != path {
			prof := localhost(path)
			if err := set(sc, "seccompProfile", prof, "Localhost "+path+" (recorded)"); err != nil {
				return err
			}
			w.clearAnnotation("container.seccomp.security.alpha.kubernetes.io/"+name, name)
		}
	} else if w.h.o.SeccompLocalhost && !(ct == "Localhost" || ct == "" && pt == "Localhost") {
		bounding := keep
		if addAll && !keepSet {
			bounding = caps.Full // add: [ALL] was left: RuntimeDefault widens for it
		}
		path, err := w.h.seccompProfile(profileName(w.name, w.kind, name), w.ns, bounding)
		if err != nil {
			return fmt.Errorf("%s container %s: seccomp profile: %w", w.obj, name, err)
		}
		prof := localhost(path)
		what := "Localhost " + path
		if ct != "" {
			what = ct + " -> " + what
		}
		if err := set(sc, "seccompProfile", prof, what); err != nil {
			return err
		}
		w.clearAnnotation("container.seccomp.security.alpha.kubernetes.io/"+name, name)
	} else if !(ct == "RuntimeDefault" || ct == "Localhost" || ct == "" && (pt == "RuntimeDefault" || pt == "Localhost")) {
		prof, _ := yaml.Parse("type: RuntimeDefault")
		what := "RuntimeDefault"
		if ct != "" {
			what = ct + " -> RuntimeDefault"
		}
		if err := set(sc, "seccompProfile", prof, what); err != nil {
			return err
		}
		w.clearAnnotation("container.seccomp.security.alpha.kubernetes.io/"+name, name)
	}

	// AppArmor.
	if !w.h.o.NoAppArmor {
		annKey := "container.apparmor.security.beta.kubernetes.io/" + name
		ann := h.str(w.tmpl, "metadata", "annotations", annKey)
		ct, pt := h.str(sc, "appArmorProfile", "type"), w.podSC("appArmorProfile", "type")
		strict := ct == "Localhost" || ct == "" && (strings.HasPrefix(ann, "localhost/") || ann == "" && pt == "Localhost")
		if rec != nil {
			if err := w.h.recordedProfile(rec, w.ns, image); err != nil {
				return fmt.Errorf("%s container %s: AppArmor profile: %w", w.obj, name, err)
			}
			if ct != "Localhost" || h.str(sc, "appArmorProfile", "localhostProfile") != rec.Name {
				prof := localhost(rec.Name)
				if err := set(sc, "appArmorProfile", prof, "Localhost "+rec.Name+" (recorded)"); err != nil {
					return err
				}
				w.clearAnnotation(annKey, name)
			}
		} else if !strict {
			pname := profileName(w.name, w.kind, name)
			if err := w.h.profile(pname, w.ns, image); err != nil {
				return fmt.Errorf("%s container %s: AppArmor profile: %w", w.obj, name, err)
			}
			prof := localhost(pname)
			what := "Localhost " + pname
			if ct != "" {
				what = ct + " -> " + what
			}
			if err := set(sc, "appArmorProfile", prof, what); err != nil {
				return err
			}
			w.clearAnnotation(annKey, name)
		} else if p := w.h.profiles[profileName(w.name, w.kind, name)]; p != nil && image != "" {
			p.addImage(image)
		}
	}

	// No privilege escalation. The API server refuses it with
	// CAP_SYS_ADMIN added, or with privileged.
	if !h.is(sc, false, "allowPrivilegeEscalation") {
		sysAdmin := keepSet && keepCaps.Has(caps.SYS_ADMIN) || !keepSet && (added.Has(caps.SYS_ADMIN) || addAll)
		if sysAdmin {
			w.note(name, "securityContext.allowPrivilegeEscalation", "left unset: the API server refuses false with CAP_SYS_ADMIN added", true)
		} else if err := set(sc, "allowPrivilegeEscalation", boolNode(false), "false"); err != nil {
			return err
		}
	}

	// Non-root. The container's fields, when written, override the
	// pod's.
	nonRoot := read[bool](h, sc, "runAsNonRoot")
	if nonRoot == nil {
		nonRoot = w.podBool("runAsNonRoot")
	}
	uid := read[int64](h, sc, "runAsUser")
	if uid == nil {
		uid = w.podInt("runAsUser")
	}
	if h.err != nil {
		return h.err
	}
	if nonRoot == nil || !*nonRoot {
		switch {
		case uid != nil:
			if *uid == 0 {
				w.note(name, "securityContext.runAsNonRoot", "not set: runAsUser is 0 (root)", true)
				break
			}
			if err := set(sc, "runAsNonRoot", boolNode(true), fmt.Sprintf("true (runAsUser %d)", *uid)); err != nil {
				return err
			}
		default:
			if w.h.o.AssumeNonRoot {
				if err := set(sc, "runAsNonRoot", boolNode(true), "true (--assume-nonroot: the kubelet refuses to start an image whose user is root or not numeric)"); err != nil {
					return err
				}
				break
			}
			w.note(name, "securityContext.runAsNonRoot", "not set: the image's user is not known (pass --assume-nonroot, or set runAsUser)", true)
		}
	}
	return h.err
}

// clearAnnotation removes a legacy per-container annotation that the
// field now set would contradict (the API server refuses a mismatch).
func (w *workload) clearAnnotation(key, ctr string) {
	ann := w.h.lookup(w.tmpl, "metadata", "annotations")
	if ann == nil || w.h.field(ann, key) == nil {
		return
	}
	_ = ann.PipeE(yaml.Clear(key))
	if len(ann.YNode().Content) == 0 {
		if md, err := w.tmpl.Pipe(yaml.Lookup("metadata")); err == nil && md != nil {
			_ = md.PipeE(yaml.Clear("annotations"))
		}
	}
	w.note(ctr, "metadata.annotations."+key, "removed (replaced by the field)", false)
}

// strs is the list of strings at field of n.
func (h *hardener) strs(n *yaml.RNode, field string) []string {
	if l := read[[]string](h, n, field); l != nil {
		return *l
	}
	return nil
}

var badName = regexp.MustCompile(`[^a-z0-9._-]+`)

// pathSegment is what a segment of a profile's path may be: a
// namespace's or name's characters, never "." or "..".
var pathSegment = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`)

// localPath refuses a profile path that could leave the directory the
// profiles are written to: its segments come from manifests (a
// namespace, a recording's name), and "../../etc" is no namespace.
func localPath(p string) error {
	for _, seg := range strings.Split(p, "/") {
		if !pathSegment.MatchString(strings.TrimSuffix(seg, ".json")) || strings.Contains(seg, "..") {
			return fmt.Errorf("%q: each part of the path must be a lower-case DNS name (a namespace, a workload's name)", p)
		}
	}
	return nil
}

// profileName is rampart-<workload>-<container>, in the characters a
// profile name and a Kubernetes object name both allow.
func profileName(workload, kind, ctr string) string {
	if workload == "" {
		workload = strings.ToLower(kind)
	}
	s := badName.ReplaceAllString(strings.ToLower("rampart-"+workload+"-"+ctr), "-")
	s = strings.Trim(s, "-.")
	if len(s) > 253 {
		s = s[:253]
	}
	return s
}

func (h *hardener) profile(name, ns, image string) error {
	if p, ok := h.profiles[name]; ok {
		p.addImage(image)
		return nil
	}
	doc, err := apparmor.Generate(apparmor.Options{Name: name, DenyRead: h.o.DenyRead, DenyWrite: h.o.DenyWrite, ContainerDefault: true})
	if err != nil {
		return err
	}
	return h.newProfile(&Profile{Name: name, Text: doc.Render(), Namespace: ns}, image)
}

// newProfile hands a profile to the sink, and keeps it (without its text
// unless collecting) for the next containers that use it.
func (h *hardener) newProfile(p *Profile, image string) error {
	if err := localPath(p.Name); err != nil {
		return fmt.Errorf("AppArmor profile: %w", err)
	}
	// A profile the node's parser refuses is never loaded, and the
	// kubelet then refuses every pod that names it: the manifest must
	// not be written to name it.
	if err := h.check(p); err != nil {
		return err
	}
	p.addImage(image)
	if h.sink.Profile != nil {
		if err := h.sink.Profile(*p); err != nil {
			return err
		}
	}
	if !h.sink.Collect {
		p.Text, p.Abstract = "", nil
	}
	h.profiles[p.Name] = p
	if h.sink.Collect {
		h.order = append(h.order, p.Name)
	}
	return nil
}

// checkedName stands for a profile's name when it is compiled.
const checkedName = "rampart-harden-profile"

// check has apparmor_parser compile the profile. The generated profiles
// of a run differ in little but their names, and the parser's verdict
// does not hang on a name of the characters harden gives them: each is
// compiled under one stand-in name, so a corpus of a thousand workloads
// runs the parser once per distinct set of rules, not once per
// container. A refusal names the profile itself.
func (h *hardener) check(p *Profile) error {
	decl := "profile " + p.Name + " "
	text := strings.Replace(p.Text, decl, "profile "+checkedName+" ", 1)
	name := checkedName
	if text == p.Text {
		name = p.Name
	}
	err := h.o.Check.Check(name, []byte(text))
	if pe := (*apparmor.ParserError)(nil); errors.As(err, &pe) && name == checkedName {
		named := *pe
		named.File, named.Msg = p.Name, strings.ReplaceAll(pe.Msg, checkedName, p.Name)
		return &named
	}
	return err
}

// newSeccomp hands a seccomp profile to the sink once per path. Two
// containers whose profiles land on one path must get the same rules:
// the second would silently replace the first's (a Deployment and a
// StatefulSet of one name, keeping different capabilities).
func (h *hardener) newSeccomp(p SeccompProfile) error {
	if err := localPath(p.Path); err != nil {
		return fmt.Errorf("seccomp profile: %w", err)
	}
	sum := sha256.Sum256(p.JSON)
	if old, ok := h.digests[p.Path]; ok {
		if old != sum {
			return fmt.Errorf("seccomp profile %s: generated twice with different rules (two workloads of one name keep different capabilities); rename one", p.Path)
		}
		return nil
	}
	h.digests[p.Path] = sum
	if h.sink.Seccomp != nil {
		if err := h.sink.Seccomp(p); err != nil {
			return err
		}
	}
	if h.sink.Collect {
		h.seccomp = append(h.seccomp, p)
	}
	return nil
}

// seccompProfile generates the narrowed RuntimeDefault for a container
// keeping caps and returns its localhostProfile path.
func (h *hardener) seccompProfile(name, ns string, keep caps.Set) (string, error) {
	p, err := seccomp.Narrowed(keep)
	if err != nil {
		return "", err
	}
	body, err := p.JSON()
	if err != nil {
		return "", err
	}
	path := "rampart/" + name + ".json"
	if h.o.SPO {
		if ns == "" {
			ns = "default"
		}
		path = "operator/" + ns + "/" + name + ".json"
	}
	return path, h.newSeccomp(SeccompProfile{Name: name, Path: path, JSON: body, Namespace: ns})
}

// recordedSeccomp adds the recording's seccomp profile (once per
// namespace) and returns its localhostProfile path.
func (h *hardener) recordedSeccomp(rec *Recorded, ns string) (string, error) {
	path := "rampart/" + rec.Name + ".json"
	if h.o.SPO {
		if ns == "" {
			ns = "default"
		}
		path = "operator/" + ns + "/" + rec.Name + ".json"
	}
	return path, h.newSeccomp(SeccompProfile{Name: rec.Name, Path: path, JSON: rec.Seccomp, Namespace: ns})
}

// recordedProfile adds the recording's AppArmor profile.
func (h *hardener) recordedProfile(rec *Recorded, ns, image string) error {
	if p, ok := h.profiles[rec.Name]; ok {
		p.addImage(image)
		return nil
	}
	return h.newProfile(&Profile{Name: rec.Name, Text: rec.AppArmor, Namespace: ns, Abstract: rec.Abstract}, image)
}

func (p *Profile) addImage(image string) {
	if image == "" {
		return
	}
	for _, i := range p.Images {
		if i == image {
			return
		}
	}
	p.Images = append(p.Images, image)
	sort.Strings(p.Images)
}
