// Package audit predicts, without running anything, what each container
// of Kubernetes manifests runs under on a node — its effective capability
// set, seccomp profile and AppArmor profile, resolved against the node's
// defaults — which attack paths of the probe catalog stay open, and its
// Pod Security Standards level.
//
// Each path is decided in kernel order from the catalog's static models:
// seccomp first (the wall answers before any permission check), then
// capabilities, then what the node decides by itself ("other": the
// runtime's read-only /proc mounts, file permissions against the user's
// groups, sysctls; gates.go), then AppArmor. A runtime socket no mount
// brings in is "other" before all of them. A path is open when nothing
// refuses it.
package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/kube"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/bpf"
	"github.com/rampart-sec/rampart/version"
)

// Schema names the JSON report's version.
const Schema = "rampart.audit/v1"

// Verdicts and layers, as package attack names them.
const (
	Open    = attack.Open
	Blocked = attack.Blocked
)

// Node is what the audit assumes of the node the manifests run on.
type Node struct {
	// Runtime is containerd, cri-o, docker or podman (runtimes.Lookup); it picks
	// the default capability set when DefaultCaps is zero, the read-only
	// paths and sockets, and with RuntimeVersion the RuntimeDefault
	// seccomp profile.
	Runtime string
	// RuntimeVersion is the runtime's release ("1.6", "1.7.35"), as
	// runtimes.Lookup reads it; empty for the newest modeled. Each
	// release's RuntimeDefault differs.
	RuntimeVersion string
	// DefaultCaps is the runtime's default capability set.
	DefaultCaps caps.Set
	// SeccompDefault is the kubelet's seccompDefault: an unset seccomp
	// profile becomes RuntimeDefault.
	SeccompDefault bool
	// AppArmor says the node's kernel has AppArmor: an unset profile gets
	// the runtime's default profile, and a pod asking for a profile is
	// admitted (without AppArmor the kubelet refuses it).
	AppArmor bool
	// ProfilesDir holds Localhost profiles: seccomp JSON by relative path
	// (as the kubelet's seccomp root), AppArmor profiles by name.
	ProfilesDir string
	// Sysctls are the node's that decide a path (Sysctls lists them), by
	// dotted name; an absent one is assumed at its default, and the
	// paths it decides say so.
	Sysctls map[string]string
	// Kernel are facts of the node's kernel (KernelFacts).
	Kernel []string
	// ImageShadow is /etc/shadow's mode in the workloads' images; nil
	// assumes DebianShadow.
	ImageShadow *FileMode
	// Disk is the mode of the node's disk device nodes, which a
	// privileged container has in its /dev; nil assumes UdevDisk.
	Disk *FileMode
	// DiskRefused: the node refuses to open its disks to any container,
	// privileged root included (a device cgroup or LSM above the
	// runtime's).
	DiskRefused bool
	// RuntimeSockets are where the node's runtimes listen; nil assumes
	// Runtime's usual (RuntimeSockets).
	RuntimeSockets []RuntimeSocket
	// Arch is the node's architecture, amd64 or arm64
	// (seccomp.PlatformByName); empty for seccomp.DefaultPlatform. Seccomp
	// profiles are resolved and compiled for it (a runtime's archMap and
	// includes.arches), and the catalog's calls take its numbers: on
	// arm64 there is no open(2) or fork(2) to try, and i386's calls are
	// AArch32's.
	Arch string
}

// allCaps is what a privileged container gets: every capability rampart
// can name (the kernel's set, statically).
var allCaps = caps.Set(1<<(caps.Last+1) - 1)

// Auditor audits containers against one node. It caches compiled seccomp
// profiles and parsed AppArmor profiles; it is not safe for concurrent use.
type Auditor struct {
	node    Node
	rt      *runtimes.Release
	rtSec   *seccomp.RuntimeDefault
	plat    seccomp.Platform
	paths   []*attack.Path
	sec     map[string]*secEntry
	aa      map[string]*aaEntry
	generic *aaEntry // the runtime-default AppArmor profile
	pss     *pssChecker
	accept  Acceptance
	byNS    bool // count each namespace in the summary
	// onNodes names the live nodes the workloads being audited are
	// predicted for (Cluster); nil for a file audit.
	onNodes []string

	// aaCheck compiles each Localhost profile file with apparmor_parser
	// once; aaRefused are the files it refused, waiting to be reported
	// (aaFailed: once each).
	aaCheck   apparmor.Checker
	aaRefused []DocError
	aaFailed  map[string]bool

	// dialects audit the containers of other dialects' files whose
	// runtime or profile directory is their own (forContainer).
	dialects map[string]*Auditor
}

// New makes an Auditor. The node's DefaultCaps is filled in from Runtime.
func New(n Node) (*Auditor, error) {
	rt, err := runtimes.Lookup(n.Runtime, n.RuntimeVersion)
	if err != nil {
		return nil, err
	}
	if n.DefaultCaps == 0 {
		n.DefaultCaps = rt.Caps
	}
	if n.Runtime == "" {
		n.Runtime = rt.Name
	}
	// One spelling of each value ("00", " 0", "+0" are 0), so that every
	// model that compares one sees what the kernel would parse.
	if len(n.Sysctls) > 0 {
		canon := make(map[string]string, len(n.Sysctls))
		for k, v := range n.Sysctls {
			if i, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				v = strconv.Itoa(i)
			}
			canon[k] = v
		}
		n.Sysctls = canon
	}
	plat, err := seccomp.PlatformByName(n.Arch)
	if err != nil {
		return nil, err
	}
	n.Arch = plat.GOARCH
	pss, err := newPSSChecker()
	if err != nil {
		return nil, err
	}
	return &Auditor{node: n, rt: rt, rtSec: &seccomp.RuntimeDefault{Seccomp: rt.Seccomp}, plat: plat, paths: attack.Catalog(), sec: map[string]*secEntry{}, aa: map[string]*aaEntry{}, aaFailed: map[string]bool{}, pss: pss}, nil
}

// CountNamespaces makes the reports' summaries count each namespace
// too (Summary.Namespaces). What it holds grows with the namespaces, not
// with the objects.
func (a *Auditor) CountNamespaces() { a.byNS = true }

// Paths is the catalog the audit decides.
func (a *Auditor) Paths() []*attack.Path { return a.paths }

// Report is a whole audit.
type Report struct {
	Schema string `json:"schema"`
	// RampartVersion is the version of the rampart that wrote this.
	RampartVersion string     `json:"rampartVersion"`
	Node           NodeInfo   `json:"node"`
	Workloads      []Workload `json:"workloads"`
	// Errors are documents or files that could not be read.
	Errors  []DocError `json:"errors"`
	Summary Summary    `json:"summary"`
	// AppArmorValidation says who judged the Localhost AppArmor
	// profiles read from --profiles: rampart, and apparmor_parser when
	// it is installed. Absent when no profile file was read.
	AppArmorValidation *apparmor.Validation `json:"apparmorValidation,omitempty"`
	// Cluster is a live cluster's nodes and their facts (audit
	// --cluster); Node is then the first node's. Absent for files.
	Cluster *ClusterInfo `json:"cluster,omitempty"`
	// failed are the --fail-on conditions the workloads met, kept as
	// they are emitted (Stream keeps no workload).
	failed map[string]bool
}

// NodeInfo is the node assumed.
type NodeInfo struct {
	// Arch is the node's architecture (amd64, arm64), which the
	// seccomp predictions are made for.
	Arch    string `json:"arch"`
	Runtime string `json:"runtime"`
	// RuntimeVersion is the version asked for; empty for the newest.
	RuntimeVersion string `json:"runtimeVersion,omitempty"`
	// SeccompRuntimeDefault is the release whose RuntimeDefault profile
	// was modeled ("containerd 1.6.20").
	SeccompRuntimeDefault string `json:"seccompRuntimeDefault"`
	// AppArmorRuntimeDefault is the profile a container asking for no
	// AppArmor profile, or RuntimeDefault, runs under where the node has
	// AppArmor ("containerd 1.6.20's cri-containerd.apparmor.d"), or
	// rampart's stand-in where the runtime's own is not modeled.
	AppArmorRuntimeDefault string   `json:"apparmorRuntimeDefault"`
	DefaultCaps            []string `json:"defaultCapabilities"`
	SeccompDefault         bool     `json:"seccompDefault"`
	AppArmor               bool     `json:"apparmor"`
	ProfilesDir            string   `json:"profilesDir,omitempty"`
	// Sysctls and Kernel are the node's facts given (--sysctl,
	// --node-kernel); what is not given is assumed, and the paths it
	// decides say so.
	Sysctls map[string]string `json:"sysctls,omitempty"`
	Kernel  []string          `json:"kernel,omitempty"`
	// ImageShadow, Disk and RuntimeSockets are the files whose modes
	// decide paths by their permission bits, each "(given)" by its flag
	// or "(assumed)".
	ImageShadow    string   `json:"imageShadow"`
	Disk           string   `json:"disk"`
	RuntimeSockets []string `json:"runtimeSockets"`
}

// DocError is a file or document that could not be used.
type DocError struct {
	File    string `json:"file"`
	Doc     int    `json:"document,omitempty"` // 1-based; 0 when the whole file
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Workload is one object with a pod template.
type Workload struct {
	File      string `json:"file"`
	Doc       int    `json:"document"` // 1-based
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	// Nodes are the live nodes the workload was predicted for (audit
	// --cluster): a Pod's own, or the nodes a template may run on that
	// share one set of facts. Absent for files.
	Nodes      []string    `json:"nodes,omitempty"`
	PSS        PSS         `json:"podSecurity"`
	Containers []Container `json:"containers"`
}

// Container is one container's layers and predictions.
type Container struct {
	Name string `json:"name"`
	Type string `json:"type"` // container, initContainer, ephemeralContainer
	Pos  string `json:"position"`
	// Error says why no policy could be built (the API server would
	// reject the manifest, or the pod is for Windows); then only PSS is
	// filled in.
	Error        string       `json:"error,omitempty"`
	Privileged   bool         `json:"privileged"`
	User         string       `json:"user"`
	Capabilities Capabilities `json:"capabilities"`
	Seccomp      Layer        `json:"seccomp"`
	AppArmor     Layer        `json:"apparmor"`
	// Refused is set when the kubelet would not start the pod on this
	// node (an AppArmor profile on a node without AppArmor).
	Refused string       `json:"refused,omitempty"`
	Paths   []PathResult `json:"paths"`
	Open    []string     `json:"open"`
	PSS     PSS          `json:"podSecurity"`
	Notes   []string     `json:"notes,omitempty"`
	// Accepted are the findings above that the repository accepted
	// (Auditor.Accept, the rampart.dev/accept annotation).
	Accepted []Accepted `json:"accepted,omitempty"`
}

// Capabilities are the resolved sets, Kubernetes spelling.
type Capabilities struct {
	Bounding  []string `json:"bounding"`
	Effective []string `json:"effective"`
	// Change is the request relative to the runtime default ("-NET_RAW").
	Change string `json:"change,omitempty"`
	Pos    string `json:"position"`
}

// Layer is the seccomp or AppArmor profile that applies.
type Layer struct {
	Profile string `json:"profile"`
	// Origin is the field or annotation, or the node default, that chose it.
	Origin string `json:"origin,omitempty"`
	// Evaluated says how decisions were made ("compiled filter", "profile
	// rules", "AppArmor evaluator"), or why they could not be.
	Evaluated string `json:"evaluated,omitempty"`
	Pos       string `json:"position"`
}

// PathResult is one attack path's predicted verdict.
type PathResult struct {
	ID      string `json:"id"`
	Verdict string `json:"verdict"`         // open or blocked
	Layer   string `json:"layer,omitempty"` // seccomp, capabilities, lsm, or other (a read-only mount)
	Why     string `json:"why"`
	// Fix is where to change the manifest to close (or that keeps open)
	// the path: file:line:col.
	Fix string `json:"fix"`
}

// Summary counts the report.
type Summary struct {
	Files      int            `json:"files"`
	Objects    int            `json:"objects"`
	Containers int            `json:"containers"`
	Errors     int            `json:"errors"`
	Invalid    int            `json:"invalid"` // containers without a policy
	Refused    int            `json:"refused"`
	Privileged int            `json:"privileged"`
	WithOpen   int            `json:"containersWithOpenPaths"`
	OpenPaths  map[string]int `json:"openPaths"`   // path ID -> containers
	PSSLevels  map[string]int `json:"podSecurity"` // level -> objects
	// Namespaces are the counts per namespace as written ("" where the
	// manifest names none), kept only when the Auditor was asked
	// (CountNamespaces): a compact report of a large audit.
	Namespaces map[string]*Counts `json:"namespaces,omitempty"`
	// Nodes are the counts per live node (audit --cluster): the
	// workloads predicted for it.
	Nodes map[string]*Counts `json:"nodes,omitempty"`
}

// Counts are a namespace's share of the summary.
type Counts struct {
	Objects    int            `json:"objects"`
	Containers int            `json:"containers"`
	WithOpen   int            `json:"containersWithOpenPaths"`
	OpenPaths  map[string]int `json:"openPaths"`   // path ID -> containers
	PSSLevels  map[string]int `json:"podSecurity"` // level -> objects
}

// Files audits files and directories ("-" is standard input; directories
// are walked for *.yaml, *.yml and *.json). Unreadable files and
// malformed documents land in Report.Errors. The report holds every
// workload; Stream keeps none.
func (a *Auditor) Files(args []string) *Report {
	var ws []Workload
	r, _ := a.Stream(args, 0, func(w *Workload) error {
		ws = append(ws, *w)
		return nil
	})
	r.Workloads = append(r.Workloads, ws...)
	return r
}

// Read audits one file's contents.
func (a *Auditor) Read(name string, data []byte) *Report {
	r := a.newReport()
	_ = a.stream(r, []source{dataSource(name, data)}, 0, func(w *Workload) error {
		r.Workloads = append(r.Workloads, *w)
		return nil
	})
	a.finish(r)
	return r
}

// Report is an empty report on the auditor's node: what a Writer's Begin
// takes.
func (a *Auditor) Report() *Report { return a.newReport() }

func (a *Auditor) newReport() *Report {
	r := &Report{
		Schema: Schema, RampartVersion: version.Version(),
		Node: NodeInfo{Runtime: a.node.Runtime, RuntimeVersion: a.node.RuntimeVersion,
			Arch: a.plat.GOARCH, SeccompRuntimeDefault: a.rtSec.String(), AppArmorRuntimeDefault: a.rt.AppArmor.String(), DefaultCaps: caps.Sorted(a.node.DefaultCaps, caps.Cap.String),
			SeccompDefault: a.node.SeccompDefault, AppArmor: a.node.AppArmor, ProfilesDir: a.node.ProfilesDir,
			Sysctls: a.node.Sysctls, Kernel: a.node.Kernel},
		Workloads: []Workload{},
		Errors:    []DocError{},
		Summary:   Summary{OpenPaths: map[string]int{}, PSSLevels: map[string]int{}},
		failed:    map[string]bool{},
	}
	if a.byNS {
		r.Summary.Namespaces = map[string]*Counts{}
	}
	a.describeFiles(&r.Node)
	return r
}

func expand(arg string, r *Report) []string {
	if arg == "-" {
		return []string{"-"}
	}
	st, err := os.Stat(arg)
	if err != nil {
		r.Errors = append(r.Errors, DocError{File: arg, Message: err.Error()})
		return nil
	}
	if !st.IsDir() {
		return []string{arg}
	}
	var out []string
	err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			r.Errors = append(r.Errors, DocError{File: p, Message: err.Error()})
			return nil
		}
		if d.IsDir() {
			if p != arg && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json", ".service", ".container":
			if d.Type().IsRegular() {
				out = append(out, p)
			}
		}
		return nil
	})
	if err != nil {
		r.Errors = append(r.Errors, DocError{File: arg, Message: err.Error()})
	}
	sort.Strings(out)
	return out
}

// add audits the containers of one piece of a file, grouped into
// workloads (the consecutive containers of one object), hands each
// workload to emit and counts it in the summary.
func (a *Auditor) add(r *Report, file string, cs []kube.Container, err error, emit func(*Workload) error) error {
	if err != nil {
		r.Errors = append(r.Errors, docErrors(file, err)...)
	}
	var (
		w     *Workload
		first kube.Container // w's first, which carries its annotations
	)
	flush := func() error {
		if w == nil {
			return nil
		}
		a.mark(r, w, first)
		return r.emit(w, emit)
	}
	for _, c := range cs {
		if w == nil || w.Doc != c.Doc+1 || w.Kind != c.Kind || w.Name != c.Name || w.File != c.File || w.Namespace != c.Namespace {
			if err := flush(); err != nil {
				return err
			}
			w = &Workload{File: c.File, Doc: c.Doc + 1, Kind: c.Kind, Name: c.Name, Namespace: c.Namespace, Nodes: a.onNodes}
			w.PSS = a.pss.pod(c, nil)
			first = c
		}
		ca, err := a.forContainer(c)
		if err != nil {
			r.Errors = append(r.Errors, DocError{File: c.File, Doc: c.Doc + 1, Message: err.Error()})
			continue
		}
		out := ca.Container(c)
		out.Notes = append(out.Notes, c.Notes...)
		w.Containers = append(w.Containers, out)
		r.Errors = append(r.Errors, ca.takeRefused(a)...)
	}
	// A profile file apparmor_parser refuses is a file that could not be
	// used: reported once, where the first container named it.
	r.Errors = append(r.Errors, a.aaRefused...)
	a.aaRefused = nil
	return flush()
}

// emit counts a workload in the summary and hands it on.
func (r *Report) emit(w *Workload, emit func(*Workload) error) error {
	if w == nil {
		return nil
	}
	s := &r.Summary
	s.Objects++
	s.PSSLevels[w.PSS.Level]++
	var counts []*Counts // the namespace's and the nodes' shares
	if ns := s.namespace(w.Namespace); ns != nil {
		counts = append(counts, ns)
	}
	for _, n := range w.Nodes {
		if s.Nodes != nil {
			counts = append(counts, s.share(s.Nodes, n))
		}
	}
	for _, n := range counts {
		n.Objects++
		n.PSSLevels[w.PSS.Level]++
	}
	for _, c := range w.Containers {
		s.Containers++
		for _, n := range counts {
			n.container(c)
		}
		if c.Error != "" {
			s.Invalid++
		}
		if c.Refused != "" {
			s.Refused++
		}
		if c.Privileged {
			s.Privileged++
		}
		if len(c.Open) > 0 {
			s.WithOpen++
		}
		for _, id := range c.Open {
			s.OpenPaths[id]++
		}
	}
	for _, on := range []string{FailOpenPath, FailBaseline, FailRestricted} {
		if w.fails(on) {
			r.failed[on] = true
		}
	}
	return emit(w)
}

// namespace is the Counts of namespace ns; nil when namespaces are not
// counted.
func (s *Summary) namespace(ns string) *Counts {
	if s.Namespaces == nil {
		return nil
	}
	return s.share(s.Namespaces, ns)
}

// share is the Counts of key in m, made on first use.
func (s *Summary) share(m map[string]*Counts, key string) *Counts {
	c := m[key]
	if c == nil {
		c = &Counts{OpenPaths: map[string]int{}, PSSLevels: map[string]int{}}
		m[key] = c
	}
	return c
}

func (n *Counts) container(c Container) {
	n.Containers++
	if len(c.Open) > 0 {
		n.WithOpen++
	}
	for _, id := range c.Open {
		n.OpenPaths[id]++
	}
}

// docErrors splits kube.Read's joined errors.
func docErrors(file string, err error) []DocError {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var out []DocError
	for _, e := range errs {
		var ke *kube.Error
		if errors.As(e, &ke) {
			out = append(out, DocError{File: ke.File, Doc: ke.Doc, Line: ke.Line, Message: ke.Error()})
			continue
		}
		out = append(out, DocError{File: file, Message: e.Error()})
	}
	return out
}

// finish completes the summary once every workload is counted.
func (a *Auditor) finish(r *Report) {
	r.Summary.Errors = len(r.Errors)
	r.AppArmorValidation = a.aaCheck.Validation()
}

// Container audits one container.
func (a *Auditor) Container(c kube.Container) Container {
	// Lists are [], never null (docs/audit-json.md), for an invalid
	// container too.
	out := Container{Name: c.Container, Type: c.Type, Pos: c.Pos(), Paths: []PathResult{}, Open: []string{},
		Capabilities: Capabilities{Bounding: []string{}, Effective: []string{}}}
	out.PSS = a.pss.pod(c, c.Spec)
	sc, psc := c.SecurityContexts()
	out.Privileged = sc.Privileged != nil && *sc.Privileged
	at := scPos(c)
	out.Capabilities.Pos = at("capabilities")
	out.Seccomp.Pos = at("seccompProfile")
	out.AppArmor.Pos = at("appArmorProfile")

	// The user: the image's when no runAsUser is written (root, unless
	// runAsNonRoot makes the kubelet insist on a non-root image user).
	uid := sc.RunAsUser
	if uid == nil {
		uid = psc.RunAsUser
	}
	nonRoot := sc.RunAsNonRoot
	if nonRoot == nil {
		nonRoot = psc.RunAsNonRoot
	}
	pc := c
	// Since Kubernetes v1.27 the seccomp annotations do nothing (see
	// kube's seccomp mapping): say so where a manifest still relies on them.
	if keys := seccompAnnotations(c.Meta.Annotations); len(keys) > 0 {
		out.Notes = append(out.Notes, "ignored (non-functional since Kubernetes v1.27; use securityContext.seccompProfile): annotation "+strings.Join(keys, ", "))
	}
	switch {
	case uid != nil:
		out.User = fmt.Sprint(*uid)
		if *uid == 0 {
			out.User = "0 (root)"
		}
	case nonRoot != nil && *nonRoot:
		out.User = "the image's, non-root (runAsNonRoot)"
		// kube.Policy wants a UID to check runAsNonRoot against; the
		// kubelet checks the image's. Stand one in.
		spec := *c.Spec
		s := *sc
		placeholder := int64(65534)
		s.RunAsUser = &placeholder
		spec.SecurityContext = &s
		pc.Spec = &spec
	default:
		out.User = "the image's (root if it names none)"
	}
	rootUser := uid == nil && (nonRoot == nil || !*nonRoot) || uid != nil && *uid == 0
	// pid 1 is the container's own first process unless the pod shares
	// the host's pid namespace or one among its containers (pause's), or
	// an ephemeral container joins its target's.
	ctx := attack.Context{Root: rootUser, Sysctls: a.node.Sysctls,
		ForeignPID1: c.Pod.HostPID || c.Pod.ShareProcessNamespace != nil && *c.Pod.ShareProcessNamespace || c.Target != ""}

	p, err := pc.Policy(kube.Options{ApparmorDir: a.node.ProfilesDir, SeccompDir: a.seccompDir(), DefaultCaps: a.node.DefaultCaps, SeccompDefault: a.node.SeccompDefault})
	if err != nil {
		out.Error = err.Error()
		return out
	}
	ctx.UserNS = p.UserNS != nil

	// Capabilities: what the runtime hands the process, then what
	// survives its execve of the workload (a program without file
	// capabilities). containerd and CRI-O grant no ambient capabilities,
	// so a non-root user keeps none.
	bounding := p.Capabilities.Resolve(a.node.DefaultCaps, allCaps)
	// A dialect's ambient set (an OCI config's, a systemd service's) is
	// kept across exec; containerd and CRI-O grant none.
	ambient := c.Ambient.Intersect(bounding)
	after, err := caps.Sets{Bounding: bounding, Effective: bounding, Permitted: bounding, Inheritable: ambient, Ambient: ambient}.Exec(caps.ExecContext{RealRoot: rootUser, EffectiveRoot: rootUser})
	if err != nil {
		out.Error = err.Error()
		return out
	}
	effective := after.Effective
	if !rootUser && ambient == 0 {
		out.Notes = append(out.Notes, "non-root user: the effective capability set after exec is empty (no ambient capabilities)")
	}
	who := newSubject(c, sc, psc, rootUser, effective)
	who.userns = ctx.UserNS
	out.Capabilities.Bounding = append([]string{}, caps.Sorted(bounding, caps.Cap.String)...)
	out.Capabilities.Effective = append([]string{}, caps.Sorted(effective, caps.Cap.String)...)
	out.Capabilities.Change = change(p.Capabilities)
	if out.Privileged {
		out.Notes = append(out.Notes, "privileged: every capability, no seccomp filter, no AppArmor confinement unless a Localhost profile is named, and the host's devices")
	}

	// Seccomp.
	sec := a.seccomp(p.Seccomp, bounding)
	out.Seccomp.Profile = p.Seccomp.String()
	out.Seccomp.Origin = p.Seccomp.Origin
	out.Seccomp.Evaluated = sec.how
	if sec.note != "" {
		out.Notes = append(out.Notes, sec.note)
	}
	out.Notes = append(out.Notes, sec.lint...)

	// AppArmor.
	lsm := a.apparmor(p.AppArmor)
	out.AppArmor.Profile, out.AppArmor.Origin, out.AppArmor.Evaluated = lsm.name, lsm.origin, lsm.how
	if lsm.note != "" {
		out.Notes = append(out.Notes, lsm.note)
	}
	if lsm.refused != "" {
		out.Refused = lsm.refused
	}
	if p.AppArmor != nil && (p.AppArmor.Kind == policy.AppArmorLocalhost || p.AppArmor.Kind == policy.AppArmorRuntimeDefault) && !a.node.AppArmor {
		out.Refused = fmt.Sprintf("the kubelet refuses the pod: it asks for AppArmor profile %s (%s) and the node has no AppArmor (pass --apparmor-node if it does)", p.AppArmor, p.AppArmor.Origin)
	}
	if p.UserNS != nil {
		if ok, why := a.rt.UserNamespaces(); !ok {
			out.Refused = fmt.Sprintf("the kubelet cannot start the pod: it asks for hostUsers: false (%s) and %s; the kubelet says \"can't set `spec.hostUsers: false`, runtime does not support user namespaces\" and the Pod's sandbox is never made", c.PodPos("hostUsers"), why)
		} else if why := who.idmapRefused(); why != "" {
			out.Refused = why
		}
	}

	for _, path := range a.paths {
		pr := PathResult{ID: path.ID}
		pr.Verdict, pr.Layer, pr.Why = a.decide(path, sec, effective, ctx, out.Privileged, lsm, who)
		pr.Fix = fixPos(at, path, pr, out.Privileged)
		if f := who.fix[path.ID]; f != "" {
			pr.Fix = f
		}
		out.Paths = append(out.Paths, pr)
		if pr.Verdict == Open {
			out.Open = append(out.Open, path.ID)
		}
	}
	return out
}

// seccompAnnotations are the seccomp annotation keys among ann, sorted.
func seccompAnnotations(ann map[string]string) []string {
	var keys []string
	for k := range ann {
		if k == corev1.SeccompPodAnnotationKey || strings.HasPrefix(k, corev1.SeccompContainerAnnotationKeyPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func (a *Auditor) seccompDir() string {
	if a.node.ProfilesDir != "" {
		return a.node.ProfilesDir
	}
	return kube.DefaultSeccompDir
}

func change(c *policy.Capabilities) string {
	var parts []string
	if c.AddAll {
		parts = append(parts, "+ALL")
	}
	if c.DropAll {
		parts = append(parts, "-ALL")
	}
	for _, x := range c.Add.List() {
		parts = append(parts, "+"+x.String())
	}
	for _, x := range c.Drop.List() {
		parts = append(parts, "-"+x.String())
	}
	return strings.Join(parts, " ")
}

// decide walks the layers in the kernel's order, with the node's own
// decisions (gates.go) where the kernel makes them.
func (a *Auditor) decide(p *attack.Path, sec *secEntry, effective caps.Set, ctx attack.Context, privileged bool, lsm *aaEntry, who *subject) (verdict, layer, why string) {
	if g := a.beforeFilter(p, who, ctx); g != nil {
		return Blocked, g.layer, g.why
	}
	// The variants past the filter: every one without a filter. Each
	// later layer must close all of them, and its evidence names the
	// variant that got furthest (a filter refusing mount(2) and not
	// fsopen leaves the path to CAP_SYS_ADMIN). A variant that needs
	// more than the layers let through (a user namespace to join, a
	// filesystem that encodes file handles) has it only where the node
	// provides it, which no manifest says: it is assumed absent, no way
	// in, as the probe finds it in a fresh container.
	passing, _ := usableVariants(p.Variants())
	filterWhy := ""
	if sec.profile != nil {
		pr, err := sec.predict(p)
		if err == nil && !pr.Open {
			return Blocked, attack.BySeccomp, pr.Why
		}
		if err == nil && len(pr.Passing) > 0 {
			var needing, noABI []attack.Variant
			passing, needing = usableVariants(pr.Passing)
			passing, noABI = a.runnable(passing)
			if len(passing) == 0 {
				var absent []string
				if len(needing) > 0 {
					absent = append(absent, assumedAbsent(needing, ctx))
				}
				for _, v := range noABI {
					absent = append(absent, v.Name+" passes the filter, but "+a.noCompatWhy())
				}
				return Blocked, attack.BySeccomp, "seccomp refuses " + strings.Join(pr.Refused, ", ") + "; " + strings.Join(absent, "; ")
			}
			if len(pr.Refused) > 0 {
				filterWhy = "seccomp refuses " + strings.Join(pr.Refused, ", ") + " but allows " + passing[0].Name
				if passing[0].Name == pr.Passing[0].Name && pr.Rule != "" {
					filterWhy += " (rule: " + pr.Rule + ")"
				}
			}
		}
	}
	if len(passing) == 0 {
		passing = []attack.Variant{{Name: p.ID}}
	}
	if g := a.beforeCaps(p); g != nil {
		return Blocked, g.layer, g.why
	}
	var missing caps.Set
	var via attack.Variant
	for i, v := range passing {
		m := attack.MissingCapsFor(p, v.Caps, effective, ctx)
		if m == 0 {
			missing, via = 0, v
			break
		}
		if i == 0 {
			missing, via = m, v
		}
	}
	if missing != 0 {
		why := "the effective set lacks " + strings.Join(missing.Names(caps.Cap.String), ", ")
		if cond := a.capsCondition(p); cond != "" {
			why += "; " + cond
		}
		if filterWhy != "" {
			why = filterWhy + "; " + via.Name + " passes the filter, then " + why
		}
		return Blocked, attack.ByCapabilities, why
	}
	// A host disk's node: not in a container's /dev, and its device
	// cgroup refuses block devices, unless privileged.
	if p.Model.HostDevice && !privileged {
		// Through a hostPath above the node's /dev, under hostUsers:
		// false, the node's disk is there but not idmapped: its
		// permission bits refuse the namespace's root before the device
		// cgroup is asked.
		if how := who.hostDevUnmapped(); ctx.UserNS && ctx.Root && how != "" {
			who.fix[p.ID] = who.c.PodPos("hostUsers")
			return Blocked, attack.ByUserNS, "hostUsers: false: " + how + ", a mount of its own that is not idmapped: the disk's node is owned by an id the Pod's user namespace does not map, and its root's CAP_DAC_OVERRIDE does not reach it (before the device cgroup's refusal)"
		}
		return Blocked, attack.ByOther, "a container that is not privileged has no node of the host's disks in its /dev, and its device cgroup refuses to open one"
	}
	// hostUsers: false. The capability is held, but in the Pod's own user
	// namespace, in which the runtime made its other namespaces; or root
	// passes a host file's permission bits as its owner, which the
	// namespace's root is not (before the read-only mount's EROFS: the
	// permission check comes first).
	if ctx.UserNS && !(p.ID == "runtime-socket" && a.reachSocket(who).idmapped()) {
		if why, closed := attack.UserNSCloses(p, ctx, podUserNS); closed {
			who.fix[p.ID] = who.c.PodPos("hostUsers")
			return Blocked, attack.ByUserNS, "hostUsers: false: " + why
		}
	}
	// The runtime's read-only mounts refuse the write after the
	// permission checks and before the LSM's file_open hook.
	// Past the read-only mount, through a hostPath of the node's procfs,
	// the write opens the file at the volume's mount path.
	var procAt map[string]string
	if f := readOnlyWrite(p, a.rt.ReadOnlyPaths); f != "" && !privileged {
		_, at := who.procWritableAt(f)
		if at == "" {
			return Blocked, attack.ByOther, "the runtime mounts " + f + " read-only in a container that is not privileged (EROFS)"
		}
		procAt = map[string]string{f: at}
	}
	if g := a.afterCaps(p, who, privileged); g != nil {
		return Blocked, g.layer, g.why
	}
	if lsm.compiled != nil {
		key, accs := p.ID, p.Model.LSM
		if p.ID == "runtime-socket" {
			// The sockets this container reaches, where it reaches them.
			var at []string
			for _, w := range a.reachSocket(who).via {
				at = append(at, w.at)
			}
			key, accs = p.ID+"\x00"+strings.Join(at, "\x00"), attack.SocketAccesses(at...)
		}
		if len(procAt) > 0 {
			accs = rerouted(accs, procAt)
			for f, at := range procAt {
				key += "\x00" + f + "=" + at
			}
		}
		peers := a.ptracePeers(who, lsm)
		accs, mediated := lsmMediated(accs, passing)
		key += "\x00" + peers.pid1 + "\x00" + mediated
		if denied, why := lsm.denies(key, accs, peers); denied {
			return Blocked, attack.ByLSM, why
		}
	}
	var parts []string
	switch {
	case sec.profile == nil:
		parts = append(parts, "no seccomp filter")
	case filterWhy != "":
		parts = append(parts, filterWhy)
	default:
		parts = append(parts, "seccomp allows it")
	}
	need := p.Model.Caps | via.Caps
	switch lacking := need.Minus(effective); {
	case need == 0:
		parts = append(parts, "needs no capability")
	case lacking == 0:
		parts = append(parts, "has "+strings.Join(need.Names(caps.Cap.String), ", "))
	default:
		// CAP_SYS_ADMIN stands in, or the check does not apply (see
		// attack.MissingCaps).
		parts = append(parts, "does not need "+strings.Join(lacking.Names(caps.Cap.String), ", ")+" here")
	}
	if lsm.compiled == nil {
		parts = append(parts, "no AppArmor confinement")
	} else {
		parts = append(parts, "AppArmor allows it")
	}
	if node := a.assumed(p, who, privileged); node != "" {
		parts = append(parts, node)
	}
	return Open, "", strings.Join(parts, "; ")
}

// runnable drops the variants the node's kernel cannot run (i386 calls
// where IA32 emulation is off, AArch32 calls on an arm64 node without
// it), returned apart.
func (a *Auditor) runnable(vs []attack.Variant) (kept, gone []attack.Variant) {
	if !a.node.kernel(KernelNoIA32) && !a.node.kernel(KernelNoAArch32) {
		return vs, nil
	}
	compat := func(c attack.Call) bool {
		arch, ok := a.plat.CallArch(c.Name, c.Compat)
		return ok && arch != a.plat.Native() && arch.Bits32
	}
	for _, v := range vs {
		if slices.ContainsFunc(v.Calls, compat) && a.node.kernel(a.noCompatFact()) {
			gone = append(gone, v)
		} else {
			kept = append(kept, v)
		}
	}
	return kept, gone
}

// noCompatWhy says why a 32-bit call is no way in on this node.
func (a *Auditor) noCompatWhy() string {
	if a.plat.GOARCH == "arm64" {
		return "the node runs no AArch32 code (--node-kernel " + KernelNoAArch32 + ")"
	}
	return "the node's kernel runs no i386 code (--node-kernel " + KernelNoIA32 + ")"
}

// noCompatFact is the --node-kernel fact that says the platform's
// 32-bit ABI does not run.
func (a *Auditor) noCompatFact() string {
	if a.plat.GOARCH == "arm64" {
		return KernelNoAArch32
	}
	return KernelNoIA32
}

// usableVariants drops the variants that need what no manifest says is
// there (attack.Variant.Needs), returned apart.
func usableVariants(vs []attack.Variant) (usable, needing []attack.Variant) {
	for i, v := range vs {
		if v.Needs == "" {
			if needing != nil {
				usable = append(usable, v)
			}
			continue
		}
		if needing == nil {
			usable = append([]attack.Variant{}, vs[:i]...)
		}
		needing = append(needing, v)
	}
	if needing == nil {
		return vs, nil
	}
	return usable, needing
}

// assumedAbsent says which variants were taken for absent, and why.
// Where the container sees processes other than its own (hostPID, a
// shared process namespace, an ephemeral container's target), one of
// them may be in a user namespace it can join: that is an assumption
// about the node, said as one.
func assumedAbsent(needing []attack.Variant, ctx attack.Context) string {
	var notes []string
	for i, v := range needing {
		if i == 2 {
			break
		}
		why := "no manifest provides one"
		if ctx.ForeignPID1 && v.Needs == attack.UserNSToJoin {
			why = "the container sees other processes; none is assumed to run in a user namespace it may join"
		}
		notes = append(notes, v.Name+" passes the filter but needs "+v.Needs+", assumed absent ("+why+")")
	}
	return strings.Join(notes, "; ")
}

// readOnlyWrite is the file under the runtime's read-only paths (which
// it mounts in every container that is not privileged) the path opens
// for writing, if any.
func readOnlyWrite(p *attack.Path, readOnly []string) string {
	for _, acc := range p.Model.LSM {
		if acc.Kind != attack.AccessFile || !strings.Contains(acc.Mode, "w") {
			continue
		}
		for _, ro := range readOnly {
			if acc.Path == ro || strings.HasPrefix(acc.Path, ro+"/") {
				return acc.Path
			}
		}
	}
	return ""
}

// fixPos is the field to change for a path: what closed it, or for an
// open path the first layer that could. at is the container's scPos.
func fixPos(at func(field string) string, p *attack.Path, r PathResult, privileged bool) string {
	if privileged {
		return at("privileged")
	}
	switch r.Layer {
	case attack.ByCapabilities:
		return at("capabilities")
	case attack.BySeccomp:
		return at("seccompProfile")
	case attack.ByLSM:
		return at("appArmorProfile")
	case attack.ByOther:
		return at("privileged")
	}
	switch {
	case p.Model.Caps != 0:
		return at("capabilities")
	case len(p.Model.Calls) > 0:
		return at("seccompProfile")
	}
	return at("appArmorProfile")
}

// scPos gives the position of a field of c's securityContext, each
// looked up once: every path of the catalog points at one of a handful
// of them, and a lookup walks the YAML.
func scPos(c kube.Container) func(field string) string {
	memo := map[string]string{}
	return func(field string) string {
		pos, ok := memo[field]
		if !ok {
			pos = c.Pos("securityContext", field)
			memo[field] = pos
		}
		return pos
	}
}

// secEntry is a seccomp profile resolved and compiled once.
type secEntry struct {
	profile *seccomp.Profile
	prog    []bpf.Insn
	how     string
	note    string
	// lint are seccomp lint's findings in a Localhost profile
	lint []string
	memo map[string]secVerdict
}

type secVerdict struct {
	pr  attack.SeccompPrediction
	err error
}

func (a *Auditor) seccomp(ref policy.Seccomp, bounding caps.Set) *secEntry {
	key := string(ref.Kind) + "\x00" + ref.Path + "\x00" + bounding.Hex()
	if e, ok := a.sec[key]; ok {
		return e
	}
	e := &secEntry{memo: map[string]secVerdict{}}
	a.sec[key] = e
	if !ref.Enabled() {
		e.how = "no filter"
		return e
	}
	var prof *seccomp.Profile
	var err error
	if ref.Kind == policy.SeccompRuntimeDefault {
		prof, err = a.rtSec.LoadOn(a.plat, bounding)
	} else {
		prof, err = seccomp.LoadOn(a.plat, ref, bounding)
	}
	if err != nil {
		e.how = "not evaluated"
		e.note = fmt.Sprintf("seccomp profile %s is refused (%v); predicted as if no filter: fix the profile (a missing one keeps the container from starting, a faulty one may be loaded differently by the runtime)", ref, err)
		return e
	}
	e.profile = prof
	e.lint = lintNotes(ref, prof)
	if f, err := seccomp.Compile(prof); err == nil && f != nil {
		if prog := f.Program(); prog != nil {
			e.prog = prog
			e.how = "compiled filter"
			return e
		}
	}
	e.how = "profile rules (" + a.plat.Native().Name + ")"
	return e
}

func (e *secEntry) predict(p *attack.Path) (attack.SeccompPrediction, error) {
	if v, ok := e.memo[p.ID]; ok {
		return v.pr, v.err
	}
	var v secVerdict
	// With the compiled program the filter decides; without, the
	// profile's rules (the node's native ABI, and a compat call on its
	// own).
	v.pr, v.err = attack.PredictSeccompVariants(p, e.profile, e.prog)
	e.memo[p.ID] = v
	return v.pr, v.err
}

// explainSeccomp is the prediction from the profile's rules, for when no
// compiled program is at hand.
func explainSeccomp(prof *seccomp.Profile, p *attack.Path) (bool, string, error) {
	pr, err := attack.PredictSeccompVariants(p, prof, nil)
	return pr.Open, pr.Why, err
}
