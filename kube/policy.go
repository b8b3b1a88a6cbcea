package kube

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

// DefaultSeccompDir is the kubelet's default seccomp profile root.
const DefaultSeccompDir = runtimes.KubeletSeccompDir

// Options describes the node a manifest is imagined running on.
type Options struct {
	// ApparmorDir holds the sources of Localhost AppArmor profiles. When
	// set, a profile must be found there (see Policy); when empty, the
	// policy names the profile only and it must already be loaded.
	ApparmorDir string
	// SeccompDir is the kubelet's seccomp root, which Localhost profiles
	// are relative to. Empty means DefaultSeccompDir.
	SeccompDir string
	// DefaultCaps is the runtime's default capability set. Zero means
	// runtimes.Containerd.Caps.
	DefaultCaps caps.Set
	// SeccompDefault is the kubelet's --seccomp-default: a container with
	// no seccomp profile gets RuntimeDefault instead of none.
	SeccompDefault bool
}

// Policy maps the container's effective securityContext to a policy, with
// the semantics of the kubelet, containerd and runc, and with the checks
// of API validation that concern these fields (a manifest the API server
// would reject has no policy). Every problem is an *Error at the field's
// position; all of them are returned, joined.
//
// The mapping:
//   - Container-level runAsUser, runAsGroup, runAsNonRoot, seccompProfile
//     and appArmorProfile override the pod-level ones; capabilities,
//     privileged and allowPrivilegeEscalation are container-only.
//   - Capabilities start from o.DefaultCaps; "ALL" (any case) adds or
//     drops everything, then single names are added, then dropped. A name
//     must work on a node: NET_RAW or net_raw, not CAP_NET_RAW, which
//     containerd turns into CAP_CAP_NET_RAW and runc ignores.
//   - runAsNonRoot: true needs a non-zero runAsUser, since the image's
//     user, which the kubelet would check, is not in the manifest.
//   - privileged gives every capability and no seccomp filter, and
//     replaces a RuntimeDefault (or unset) AppArmor profile with none; a
//     Localhost AppArmor profile still applies, as containerd does.
//   - allowPrivilegeEscalation: false sets no_new_privs; unset leaves it
//     off (NoNewPrivs points to false), as the kubelet does.
//   - Seccomp and AppArmor come from the fields or from the deprecated
//     annotations, in the order the API server and the kubelet use.
func (c Container) Policy(o Options) (*policy.Policy, error) {
	if c.Spec == nil || c.Pod == nil {
		return nil, errors.New("kube: Container has no spec (make it with Read)")
	}
	if o.SeccompDir == "" {
		o.SeccompDir = DefaultSeccompDir
	}
	if o.DefaultCaps == 0 {
		o.DefaultCaps = runtimes.Containerd.Caps
	}
	m := mapper{c: c, o: o, flagged: map[int]bool{}}
	p := m.build()
	if len(m.errs) > 0 {
		return nil, errors.Join(m.errs...)
	}
	return p, nil
}

type mapper struct {
	c       Container
	o       Options
	errs    []error
	flagged map[int]bool // capabilities.add entries already reported
}

// where names a field: relative to the container, the pod spec or the pod
// template's metadata.
type where struct {
	level int // ctrLevel, podLevel or metaLevel
	path  []any
}

const (
	ctrLevel = iota
	podLevel
	metaLevel
)

// mapKey is a path element that is a key of a map (an annotation), printed
// in brackets.
type mapKey string

func ctrField(path ...any) where  { return where{ctrLevel, path} }
func podField(path ...any) where  { return where{podLevel, path} }
func metaField(path ...any) where { return where{metaLevel, path} }

// lookup is the path as Pos takes it.
func (w where) lookup() []any {
	out := make([]any, len(w.path))
	for i, p := range w.path {
		if k, ok := p.(mapKey); ok {
			p = string(k)
		}
		out[i] = p
	}
	return out
}

// node is where w's path starts.
func (m *mapper) node(w where) *yaml.Node {
	switch w.level {
	case podLevel:
		return m.c.at.pod
	case metaLevel:
		return m.c.at.meta
	}
	return m.c.at.ctr
}

// pos is "file:line:col".
func (m *mapper) pos(w where) string { return m.c.at.pos(m.node(w), w.lookup()) }

// field prints the path for messages: "securityContext.capabilities.drop[0]",
// "spec.securityContext.runAsUser", "metadata.annotations[KEY]".
func (w where) field() string {
	var b strings.Builder
	switch w.level {
	case podLevel:
		b.WriteString("spec")
	case metaLevel:
		b.WriteString("metadata")
	}
	for _, p := range w.path {
		switch p := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case mapKey:
			b.WriteString("[" + string(p) + "]")
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		}
	}
	return b.String()
}

func (w where) child(p ...any) where {
	return where{w.level, append(append([]any{}, w.path...), p...)}
}

func (m *mapper) errorf(w where, format string, args ...any) {
	line, col := m.c.at.lineCol(m.node(w), w.lookup())
	m.errs = append(m.errs, &Error{File: m.c.File, Line: line, Column: col, Field: w.field(), Msg: fmt.Sprintf(format, args...)})
}

func (m *mapper) build() *policy.Policy {
	c := m.c
	if c.Pod.OS != nil && c.Pod.OS.Name == corev1.Windows {
		m.errorf(podField("os", "name"), "the pod is for Windows; Linux security layers do not apply")
		return nil
	}
	sc, psc := c.SecurityContexts()
	privileged := sc.Privileged != nil && *sc.Privileged

	p := &policy.Policy{Source: c.File + "#" + c.Container}
	m.escalation(sc, privileged)
	p.Capabilities = m.capabilities(sc, privileged)
	p.User = m.user(sc, psc)
	// The kubelet sets no_new_privs only for an explicit
	// allowPrivilegeEscalation: false; unset means the API default, true.
	nnp := sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
	p.NoNewPrivs = &nnp
	p.Seccomp = m.seccomp(sc, psc, privileged)
	p.AppArmor = m.apparmor(sc, psc, privileged)
	p.UserNS = m.userNS()
	// Not mapped: supplementalGroups and fsGroup (runc would add them as
	// supplementary groups; policy.User clears them), SELinux options.
	return p
}

// userNS maps hostUsers: false, a user namespace of the Pod's own on ids
// the kubelet picks, in which the runtime makes the Pod's other
// namespaces; with them the API server refuses the host's (Kubernetes
// v1.37, validateHostUsers; hostNetwork behind an alpha gate).
func (m *mapper) userNS() *policy.UserNS {
	pod := m.c.Pod
	if pod.HostUsers == nil || *pod.HostUsers {
		return nil
	}
	for _, f := range []struct {
		name string
		on   bool
	}{{"hostNetwork", pod.HostNetwork}, {"hostPID", pod.HostPID}, {"hostIPC", pod.HostIPC}} {
		if f.on {
			m.errorf(podField(f.name), "cannot be true when hostUsers is false (the API server rejects this)")
		}
	}
	return &policy.UserNS{OwnsOthers: true}
}

// escalation applies the API server's checks on allowPrivilegeEscalation.
func (m *mapper) escalation(sc *corev1.SecurityContext, privileged bool) {
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		return
	}
	if privileged {
		m.errorf(ctrField("securityContext", "allowPrivilegeEscalation"), "cannot be false when privileged is true (the API server rejects this)")
	}
	if sc.Capabilities != nil {
		for i, a := range sc.Capabilities.Add {
			// The API server compares this exact spelling only; "SYS_ADMIN"
			// passes validation (and is what actually grants the capability).
			if string(a) == "CAP_SYS_ADMIN" {
				m.errorf(ctrField("securityContext", "capabilities", "add", i), "cannot add CAP_SYS_ADMIN when allowPrivilegeEscalation is false (the API server rejects this)")
				m.flagged[i] = true
			}
		}
	}
}

func (m *mapper) capabilities(sc *corev1.SecurityContext, privileged bool) *policy.Capabilities {
	cp := &policy.Capabilities{Base: m.o.DefaultCaps}
	if privileged {
		// containerd gives a privileged container every capability the
		// kernel has and does not look at add or drop.
		cp.AddAll = true
		return cp
	}
	if sc.Capabilities == nil {
		return cp
	}
	for i, n := range sc.Capabilities.Add {
		if m.flagged[i] {
			continue
		}
		c, all, ok := m.capName(string(n), ctrField("securityContext", "capabilities", "add", i))
		switch {
		case all:
			cp.AddAll = true
		case ok:
			cp.Add = cp.Add.Add(c)
		}
	}
	for i, n := range sc.Capabilities.Drop {
		c, all, ok := m.capName(string(n), ctrField("securityContext", "capabilities", "drop", i))
		switch {
		case all:
			cp.DropAll = true
		case ok:
			cp.Drop = cp.Drop.Add(c)
		}
	}
	return cp
}

// capName reads a capability as containerd does: "ALL" in any case, else
// "CAP_" + the upper-cased name, which runc silently ignores when it does
// not know it. So only names that work on a node are accepted.
func (m *mapper) capName(name string, w where) (c caps.Cap, all, ok bool) {
	if strings.EqualFold(name, "ALL") {
		return 0, true, false
	}
	up := strings.ToUpper(name)
	c, err := caps.Parse(name) // more lenient than containerd: see below
	switch {
	case err != nil || name != strings.TrimSpace(name):
		m.errorf(w, "unknown capability %q", name)
	case strings.HasPrefix(up, "CAP_"):
		m.errorf(w, "write %s, not %q: containerd adds the CAP_ prefix itself and runc ignores the unknown %q, so this entry has no effect on a node", c, name, "CAP_"+up)
	default:
		return c, false, true
	}
	return 0, false, false
}

func (m *mapper) user(sc *corev1.SecurityContext, psc *corev1.PodSecurityContext) *policy.User {
	// The API server checks both levels even when one overrides the other.
	for _, id := range []struct {
		v *int64
		w where
	}{
		{sc.RunAsUser, ctrField("securityContext", "runAsUser")},
		{sc.RunAsGroup, ctrField("securityContext", "runAsGroup")},
		{psc.RunAsUser, podField("securityContext", "runAsUser")},
		{psc.RunAsGroup, podField("securityContext", "runAsGroup")},
	} {
		if id.v != nil && (*id.v < 0 || *id.v > math.MaxInt32) {
			m.errorf(id.w, "must be between 0 and 2147483647, inclusive")
		}
	}
	uid, uidAt := sc.RunAsUser, ctrField("securityContext", "runAsUser")
	if uid == nil {
		uid, uidAt = psc.RunAsUser, podField("securityContext", "runAsUser")
	}
	gid := sc.RunAsGroup
	if gid == nil {
		gid = psc.RunAsGroup
	}
	nonRoot, nonRootAt := sc.RunAsNonRoot, ctrField("securityContext", "runAsNonRoot")
	if nonRoot == nil {
		nonRoot, nonRootAt = psc.RunAsNonRoot, podField("securityContext", "runAsNonRoot")
	}
	if nonRoot != nil && *nonRoot {
		switch {
		case uid == nil:
			// The kubelet would check the image's user, which a manifest
			// does not show; only an explicit UID can be checked here.
			m.errorf(nonRootAt, "runAsNonRoot is true but runAsUser is not set: the kubelet would check the image's user, which the manifest does not say; set runAsUser to a non-zero UID")
		case *uid == 0:
			m.errorf(uidAt, "runAsUser 0 breaks runAsNonRoot: true (the kubelet refuses to start the container)")
		}
	}
	if uid == nil && gid == nil {
		return nil // the image's user
	}
	u := &policy.User{}
	if uid != nil {
		u.UID = int(*uid)
	}
	// Without runAsUser the image's user applies: unknown here, and the
	// kubelet takes 0 for an image that names none.
	if gid != nil {
		u.GID = int(*gid)
	}
	// Without runAsGroup containerd uses the UID's group in the image's
	// /etc/passwd, or 0 when it has none: 0 here.
	return u
}

// profile is a seccomp or AppArmor profile reference, from a field or an
// annotation.
type profile struct {
	typ   string // RuntimeDefault, Unconfined or Localhost
	local string // for Localhost
	at    where  // the field or annotation, for Origin
	annot bool
}

func (m *mapper) seccomp(sc *corev1.SecurityContext, psc *corev1.PodSecurityContext, privileged bool) policy.Seccomp {
	name := m.c.Container
	cf := m.seccompField(sc.SeccompProfile, ctrField("securityContext", "seccompProfile"))
	pf := m.seccompField(psc.SeccompProfile, podField("securityContext", "seccompProfile"))
	ca := m.seccompAnnotation(corev1.SeccompContainerAnnotationKeyPrefix + name)
	pa := m.seccompAnnotation(corev1.SeccompPodAnnotationKey)
	// The API server rejects a field and an annotation of the same level
	// that disagree.
	m.sameProfile(cf, ca, "seccomp")
	m.sameProfile(pf, pa, "seccomp")
	// The annotations are validated, but since Kubernetes v1.27 nothing
	// applies them: the API server no longer copies them into the fields
	// and the kubelet reads only the fields (measured on a v1.37 node:
	// a Pod with only the annotation runs with no filter). The kubelet
	// prefers the container's field to the pod's.
	var chosen *profile
	for _, p := range []*profile{cf, pf} {
		if p != nil {
			chosen = p
			break
		}
	}
	if privileged {
		// containerd loads no seccomp filter into a privileged container.
		return policy.Seccomp{Kind: policy.SeccompUnconfined, Origin: m.pos(ctrField("securityContext", "privileged"))}
	}
	if chosen == nil {
		if m.o.SeccompDefault {
			return policy.Seccomp{Kind: policy.SeccompRuntimeDefault, Origin: "kubelet --seccomp-default"}
		}
		return policy.Seccomp{Kind: policy.SeccompNone}
	}
	s := policy.Seccomp{Origin: m.pos(chosen.at)}
	switch chosen.typ {
	case string(corev1.SeccompProfileTypeRuntimeDefault):
		s.Kind = policy.SeccompRuntimeDefault
	case string(corev1.SeccompProfileTypeUnconfined):
		s.Kind = policy.SeccompUnconfined
	case string(corev1.SeccompProfileTypeLocalhost):
		s.Kind, s.Path = policy.SeccompFile, filepath.Join(m.o.SeccompDir, chosen.local)
	}
	return s
}

// seccompField validates a seccompProfile field as the API server does.
func (m *mapper) seccompField(sp *corev1.SeccompProfile, w where) *profile {
	if sp == nil {
		return nil
	}
	ok := true
	switch sp.Type {
	case corev1.SeccompProfileTypeLocalhost:
		if sp.LocalhostProfile == nil || *sp.LocalhostProfile == "" {
			m.errorf(w.child("localhostProfile"), "must be set when type is Localhost")
			ok = false
		} else if msg := descendingPath(*sp.LocalhostProfile); msg != "" {
			m.errorf(w.child("localhostProfile"), "%q %s", *sp.LocalhostProfile, msg)
			ok = false
		}
	case corev1.SeccompProfileTypeRuntimeDefault, corev1.SeccompProfileTypeUnconfined:
		if sp.LocalhostProfile != nil {
			m.errorf(w.child("localhostProfile"), "can only be set when type is Localhost")
			ok = false
		}
	default:
		m.errorf(w.child("type"), "unsupported value %q: expected RuntimeDefault, Unconfined or Localhost", sp.Type)
		ok = false
	}
	if !ok {
		return nil
	}
	p := &profile{typ: string(sp.Type), at: w}
	if sp.LocalhostProfile != nil {
		p.local = *sp.LocalhostProfile
	}
	return p
}

// descendingPath is the API server's check on a Localhost seccomp path: it
// must stay inside the kubelet's seccomp root.
func descendingPath(p string) string {
	if strings.HasPrefix(p, "/") {
		return "must be a relative path"
	}
	for _, e := range strings.Split(filepath.ToSlash(p), "/") {
		if e == ".." {
			return "must not contain '..'"
		}
	}
	return ""
}

func (m *mapper) seccompAnnotation(key string) *profile {
	v, ok := m.c.Meta.Annotations[key]
	if !ok {
		return nil
	}
	w := metaField("annotations", mapKey(key))
	switch {
	case v == corev1.SeccompProfileRuntimeDefault || v == corev1.DeprecatedSeccompProfileDockerDefault:
		return &profile{typ: string(corev1.SeccompProfileTypeRuntimeDefault), at: w, annot: true}
	case v == corev1.SeccompProfileNameUnconfined:
		return &profile{typ: string(corev1.SeccompProfileTypeUnconfined), at: w, annot: true}
	case strings.HasPrefix(v, corev1.SeccompLocalhostProfileNamePrefix):
		local := strings.TrimPrefix(v, corev1.SeccompLocalhostProfileNamePrefix)
		if local == "" {
			// The API server would not turn it into a field: it would be
			// silently ignored, which a policy must not be.
			m.errorf(w, "%q names no profile", v)
			return nil
		}
		if msg := descendingPath(local); msg != "" {
			m.errorf(w, "%q %s", local, msg)
			return nil
		}
		return &profile{typ: string(corev1.SeccompProfileTypeLocalhost), local: local, at: w, annot: true}
	}
	m.errorf(w, "%q is not a seccomp profile: expected runtime/default, docker/default, unconfined or localhost/PATH", v)
	return nil
}

// sameProfile reports a field and an annotation that disagree.
func (m *mapper) sameProfile(field, annot *profile, what string) {
	if field == nil || annot == nil {
		return
	}
	if field.typ == annot.typ && field.local == annot.local {
		return
	}
	m.errorf(field.at, "does not match the %s annotation at %s (the API server rejects a pod where they differ)", what, m.pos(annot.at))
}

func (m *mapper) apparmor(sc *corev1.SecurityContext, psc *corev1.PodSecurityContext, privileged bool) *policy.AppArmor {
	cf := m.apparmorField(sc.AppArmorProfile, ctrField("securityContext", "appArmorProfile"))
	pf := m.apparmorField(psc.AppArmorProfile, podField("securityContext", "appArmorProfile"))
	ca := m.apparmorAnnotation(corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + m.c.Container)
	// The API server compares the container's annotation with the field
	// that applies to it, the container's or else the pod's.
	eff := cf
	if eff == nil {
		eff = pf
	}
	m.sameProfile(eff, ca, "AppArmor")
	// The kubelet's order; there is no pod-level annotation.
	var chosen *profile
	for _, p := range []*profile{cf, ca, pf} {
		if p != nil {
			chosen = p
			break
		}
	}
	if privileged && (chosen == nil || chosen.typ == string(corev1.AppArmorProfileTypeRuntimeDefault)) {
		// containerd leaves a privileged container unconfined unless a
		// Localhost profile is named.
		return &policy.AppArmor{Kind: policy.AppArmorUnconfined, Origin: m.pos(ctrField("securityContext", "privileged"))}
	}
	if chosen == nil {
		// containerd would apply its default profile on a host with
		// AppArmor; nothing was asked for, so the policy says nothing.
		return nil
	}
	a := &policy.AppArmor{Origin: m.pos(chosen.at)}
	switch chosen.typ {
	case string(corev1.AppArmorProfileTypeRuntimeDefault):
		a.Kind = policy.AppArmorRuntimeDefault
	case string(corev1.AppArmorProfileTypeUnconfined):
		a.Kind = policy.AppArmorUnconfined
	case string(corev1.AppArmorProfileTypeLocalhost):
		a.Kind, a.Name = policy.AppArmorLocalhost, chosen.local
		if m.o.ApparmorDir != "" {
			f, err := apparmor.FindFile(m.o.ApparmorDir, chosen.local)
			if err != nil {
				w := chosen.at
				if !chosen.annot {
					w = w.child("localhostProfile")
				}
				m.errorf(w, "%v", err)
				return nil
			}
			a.File = f
		}
	}
	return a
}

// apparmorField validates an appArmorProfile field as the API server does.
func (m *mapper) apparmorField(ap *corev1.AppArmorProfile, w where) *profile {
	if ap == nil {
		return nil
	}
	ok := true
	switch ap.Type {
	case corev1.AppArmorProfileTypeLocalhost:
		switch {
		case ap.LocalhostProfile == nil || *ap.LocalhostProfile == "":
			m.errorf(w.child("localhostProfile"), "must be set when type is Localhost")
			ok = false
		case strings.TrimSpace(*ap.LocalhostProfile) != *ap.LocalhostProfile:
			m.errorf(w.child("localhostProfile"), "must not be padded with whitespace")
			ok = false
		case len(*ap.LocalhostProfile) > 4095:
			m.errorf(w.child("localhostProfile"), "must be at most 4095 bytes")
			ok = false
		}
	case corev1.AppArmorProfileTypeRuntimeDefault, corev1.AppArmorProfileTypeUnconfined:
		if ap.LocalhostProfile != nil {
			m.errorf(w.child("localhostProfile"), "can only be set when type is Localhost")
			ok = false
		}
	case "":
		m.errorf(w.child("type"), "required when appArmorProfile is set")
		ok = false
	default:
		m.errorf(w.child("type"), "unsupported value %q: expected RuntimeDefault, Unconfined or Localhost", ap.Type)
		ok = false
	}
	if !ok {
		return nil
	}
	p := &profile{typ: string(ap.Type), at: w}
	if ap.LocalhostProfile != nil {
		p.local = *ap.LocalhostProfile
	}
	return p
}

func (m *mapper) apparmorAnnotation(key string) *profile {
	v, ok := m.c.Meta.Annotations[key]
	if !ok || v == "" { // the kubelet ignores an empty value
		return nil
	}
	w := metaField("annotations", mapKey(key))
	switch {
	case v == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault:
		return &profile{typ: string(corev1.AppArmorProfileTypeRuntimeDefault), at: w, annot: true}
	case v == corev1.DeprecatedAppArmorBetaProfileNameUnconfined:
		return &profile{typ: string(corev1.AppArmorProfileTypeUnconfined), at: w, annot: true}
	case strings.HasPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix):
		name := strings.TrimPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
		if name == "" {
			m.errorf(w, "%q names no profile (the kubelet refuses it)", v)
			return nil
		}
		return &profile{typ: string(corev1.AppArmorProfileTypeLocalhost), local: name, at: w, annot: true}
	}
	m.errorf(w, "%q is not an AppArmor profile: expected runtime/default, unconfined or localhost/NAME", v)
	return nil
}

// SecurityContexts returns the container's and the pod's security
// contexts, empty ones where the manifest has none.
func (c Container) SecurityContexts() (*corev1.SecurityContext, *corev1.PodSecurityContext) {
	sc, psc := c.Spec.SecurityContext, c.Pod.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	return sc, psc
}
