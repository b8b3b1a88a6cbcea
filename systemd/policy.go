package systemd

import (
	"errors"
	"fmt"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/k8syaml"
	"github.com/rampart-sec/rampart/internal/unitfile"
	"github.com/rampart-sec/rampart/policy"
)

// NoNewPrivs says whether systemd sets no_new_privs: when the unit asks
// (NoNewPrivileges=, DynamicUser=), or when it builds a seccomp filter
// and the process, once its user is set, has no effective CAP_SYS_ADMIN:
// the kernel lets only such a process install a filter without
// no_new_privs. A root service still holds every capability then (the
// bounding set takes effect at exec), whatever CapabilityBoundingSet=
// says; any other user holds its ambient set.
func (s *Service) NoNewPrivs() bool {
	if s.NoNewPrivileges {
		return true
	}
	return s.Seccomp && !s.Root && !s.Ambient.Has(caps.SYS_ADMIN)
}

// at is the entry of key, if the unit wrote it.
func (s *Service) at(key string) string { return s.At[key] }

// Policy reads the layers of a service unit's process as rampart run
// enforces them on this machine: the unit's bounding set (systemd's
// "all" is what its caller holds: the launcher's own set, less what the
// unit takes away), its ambient set, user, no_new_privs, the unit's own
// seccomp filters (the unit is the profile: see the seccomp package) and
// AppArmor profile. What rampart run cannot give the process exactly
// (part of the bounding set raised into the ambient set, a user this
// machine does not know, one allocated at start, supplementary groups)
// is refused; what systemd builds with mounts and namespaces is named in
// the notes.
func Policy(file string, body []byte) (*policy.Policy, []string, error) {
	s, err := ReadBytes(file, body)
	if err != nil {
		return nil, nil, err
	}
	if len(s.Unit.Section("Service")) == 0 {
		return nil, nil, &Error{File: file, Line: 1, Err: ErrNoService}
	}
	refuse := func(key string, err error) error {
		return fmt.Errorf("%s: %w", s.at(key), err)
	}
	p := &policy.Policy{Source: file + " (systemd service)"}
	p.Capabilities = &policy.Capabilities{InheritBase: true, Drop: caps.Full.Minus(s.Bounding)}
	var notes []string
	switch {
	case s.Ambient == 0:
	case s.Ambient == s.Bounding:
		p.Capabilities.Ambient = true
	case s.Root:
		// root holds its bounding set after exec whatever its ambient
		// set, which it loses on leaving uid 0
		notes = append(notes, fmt.Sprintf("%s: AmbientCapabilities= %s: as root the process holds its whole bounding set anyway; rampart run leaves its ambient set empty", s.at("AmbientCapabilities"), s.Ambient))
	default:
		return nil, nil, refuse("AmbientCapabilities", fmt.Errorf("AmbientCapabilities= %s beside a bounding set of %s: rampart run raises the whole set into the ambient set or none of it, and will not run the service with other capabilities than systemd gives", s.Ambient, s.Bounding))
	}
	switch {
	case s.At["DynamicUser"] != "" && !s.UserKnown:
		return nil, nil, refuse("DynamicUser", errors.New("DynamicUser=yes: systemd allocates a user when the service starts; rampart run has none to give it"))
	case !s.UserKnown:
		return nil, nil, refuse("User", errors.New("a user (or group) that is not this machine's: rampart run will not guess its number"))
	case len(s.Groups) > 0:
		return nil, nil, refuse("SupplementaryGroups", errors.New("supplementary groups: rampart run clears them and has no way to set them"))
	}
	if !s.Root || s.GID != 0 {
		p.User = &policy.User{UID: s.UID, GID: s.GID}
	}
	nnp := s.NoNewPrivs()
	p.NoNewPrivs = &nnp
	p.Seccomp = policy.Seccomp{Kind: policy.SeccompUnconfined}
	if s.Seccomp {
		p.Seccomp = policy.Seccomp{Kind: policy.SeccompFile, Path: file, Origin: s.firstFilterAt()}
	}
	notes = append(notes, s.Notes...)
	if s.AppArmor != "" {
		p.AppArmor = &policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: s.AppArmor, Origin: s.at("AppArmorProfile")}
		if s.AppArmorOptional {
			notes = append(notes, fmt.Sprintf("%s: AppArmorProfile=-%s: systemd runs the service without the profile where it is not loaded; rampart run refuses to", s.at("AppArmorProfile"), s.AppArmor))
		}
	}
	for _, d := range s.Unit.DropIns {
		notes = append(notes, "read with its drop-in "+d)
	}
	return p, notes, nil
}

// firstFilterAt is where the first directive that builds a filter is
// written.
func (s *Service) firstFilterAt() string {
	for _, e := range s.Unit.Section("Service") {
		if _, ok := seccompKeys[e.Key]; ok {
			return e.At()
		}
	}
	return s.Unit.File
}

// Pod is the service as the Pod it stands for, for rampart audit: one
// container with the unit's layers, each field at the line of the
// directive it was read from. The capabilities are the bounding set
// (drop ALL, add each); the seccomp filter is the unit's own (a
// Localhost profile: the unit file, relative to profileDir); the
// namespaces are the host's (a service shares them) but for
// PrivateNetwork= and PrivateIPC=; /proc is unmasked unless
// ProtectKernelTunables= makes its tunables read-only. The ambient set,
// which a pod spec cannot say, is returned beside it (kube.Container's
// Ambient). Notes say what a pod spec cannot say.
func Pod(file string, body []byte) (pod *yaml.Node, profileDir string, ambient caps.Set, notes []string, err error) {
	s, err := ReadBytes(file, body)
	if err != nil {
		return nil, "", 0, nil, err
	}
	svc := s.Unit.Section("Service")
	if len(svc) == 0 {
		return nil, "", 0, nil, &Error{File: file, Line: 1, Err: ErrNoService}
	}
	top := &yaml.Node{Line: svc[0].Line, Column: 1}
	pos := func(key string) *yaml.Node {
		for i := len(svc) - 1; i >= 0; i-- {
			if svc[i].Key == key && svc[i].File == file {
				return &yaml.Node{Line: svc[i].Line, Column: 1}
			}
		}
		return top
	}
	notes = append(notes, s.Notes...)
	capsAt := pos("CapabilityBoundingSet")
	var add []*yaml.Node
	for _, name := range caps.Sorted(s.Bounding, caps.Cap.String) {
		add = append(add, k8syaml.Str(name, capsAt))
	}
	sc := []any{"capabilities", k8syaml.Map(capsAt, "drop", k8syaml.Seq(capsAt, k8syaml.Str("ALL", capsAt)), "add", k8syaml.Seq(capsAt, add...))}
	nnpAt := pos("NoNewPrivileges")
	sc = append(sc, "allowPrivilegeEscalation", k8syaml.Bool(!s.NoNewPrivs(), nnpAt))
	userAt := pos("User")
	if s.At["DynamicUser"] != "" {
		userAt = pos("DynamicUser")
	}
	sc = append(sc, "runAsUser", k8syaml.Int(int64(s.UID), userAt), "runAsGroup", k8syaml.Int(int64(s.GID), pos("Group")))
	if s.Seccomp {
		at := filterNode(svc, file, top)
		sc = append(sc, "seccompProfile", k8syaml.Map(at, "type", k8syaml.Str("Localhost", at), "localhostProfile", k8syaml.Str(filepath.Base(file), at)))
	} else {
		sc = append(sc, "seccompProfile", k8syaml.Map(top, "type", k8syaml.Str("Unconfined", top)))
	}
	// systemd applies no AppArmor profile where the kernel has none, and
	// the audit knows the node only later: predicted without it.
	sc = append(sc, "appArmorProfile", k8syaml.Map(top, "type", k8syaml.Str("Unconfined", top)))
	if s.AppArmor != "" {
		notes = append(notes, fmt.Sprintf("%s: AppArmorProfile=%s: the audit predicts without the profile (systemd applies it only where the kernel has AppArmor)", s.at("AppArmorProfile"), s.AppArmor))
	}
	if tunables, _ := boolFlag(svc, "ProtectKernelTunables"); !tunables {
		sc = append(sc, "procMount", k8syaml.Str("Unmasked", top))
	}
	var podSC []any
	if len(s.Groups) > 0 {
		var gs []*yaml.Node
		for _, g := range s.Groups {
			gid, ok := lookupGroup(g)
			if !ok {
				notes = append(notes, fmt.Sprintf("%s: SupplementaryGroups=%s is not a group on this machine; predicted without it", s.at("SupplementaryGroups"), g))
				continue
			}
			gs = append(gs, k8syaml.Int(int64(gid), pos("SupplementaryGroups")))
		}
		if len(gs) > 0 {
			podSC = append(podSC, "supplementalGroups", k8syaml.Seq(pos("SupplementaryGroups"), gs...))
		}
	}
	spec := []any{"hostPID", k8syaml.Bool(true, top)}
	if on, _ := boolFlag(svc, "PrivateNetwork"); !on {
		spec = append(spec, "hostNetwork", k8syaml.Bool(true, top))
	}
	if on, _ := boolFlag(svc, "PrivateIPC"); !on {
		spec = append(spec, "hostIPC", k8syaml.Bool(true, top))
	}
	name := s.Unit.Name
	ctr := k8syaml.Map(top, "name", k8syaml.Str("service", top), "image", k8syaml.Str("host", top), "securityContext", k8syaml.Map(top, sc...))
	spec = append(spec, "containers", k8syaml.Seq(top, ctr))
	if len(podSC) > 0 {
		spec = append(spec, "securityContext", k8syaml.Map(top, podSC...))
	}
	for _, d := range s.Unit.DropIns {
		notes = append(notes, "read with its drop-in "+d)
	}
	pod = k8syaml.Map(top, "apiVersion", k8syaml.Str("v1", top), "kind", k8syaml.Str("Pod", top),
		"metadata", k8syaml.Map(top, "name", k8syaml.Str(PodName(name), top)),
		"spec", k8syaml.Map(top, spec...))
	return pod, filepath.Dir(file), s.Ambient, notes, nil
}

// filterNode is the position of the first directive that builds a
// filter, in the main file.
func filterNode(svc []unitfile.Entry, file string, top *yaml.Node) *yaml.Node {
	for _, e := range svc {
		if _, ok := seccompKeys[e.Key]; ok && e.File == file {
			return &yaml.Node{Line: e.Line, Column: 1}
		}
	}
	return top
}

// boolFlag is the last value of a boolean key.
func boolFlag(svc []unitfile.Entry, key string) (bool, error) {
	v := false
	for _, e := range svc {
		if e.Key == key {
			b, err := boolean(e)
			if err != nil {
				return false, err
			}
			v = b
		}
	}
	return v, nil
}

// PodName is the name of the Pod a unit stands for (its workload's
// name in audit): lower case alphanumerics and dashes.
func PodName(unit string) string {
	b := []byte{}
	for _, c := range []byte(unit) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			if len(b) > 0 && b[len(b)-1] != '-' {
				b = append(b, '-')
			}
		}
	}
	for len(b) > 0 && b[len(b)-1] == '-' {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return "service"
	}
	if len(b) > 63 {
		b = b[:63]
	}
	return string(b)
}
