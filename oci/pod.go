package oci

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/k8syaml"
	"github.com/rampart-sec/rampart/internal/strictjson"
	"github.com/rampart-sec/rampart/runtimes"
)

// Pod is the config as the Pod it stands for, for rampart audit: one
// container with exactly the config's layers, written as a pod spec says
// them, each field at the position in config.json of what it was read
// from. Nothing is left to a runtime's defaults that the config decides:
// the capabilities are the bounding set (drop ALL, add each), the seccomp
// filter is the config's own (a Localhost profile, config.json itself,
// relative to the bundle: ProfileDir) or none, AppArmor the named
// profile or none (runc applies no default), and the namespaces the
// config does not unshare are the host's. The capability sets are held
// to what Policy accepts. The ambient set, which a pod spec cannot say,
// is returned beside it (kube.Container's Ambient). Notes say what the
// pod spec cannot say.
func Pod(file string, body []byte) (pod *yaml.Node, profileDir string, ambient caps.Set, notes []string, err error) {
	c, doc, err := read(file, body)
	if err != nil {
		return nil, "", 0, nil, err
	}
	pos := func(path string) *yaml.Node {
		l, col := doc.Pos(path)
		if l == 0 {
			return &yaml.Node{Line: 1, Column: 1}
		}
		return &yaml.Node{Line: l, Column: col}
	}
	at := func(path string, err error) error {
		l, col := doc.Pos(path)
		return &strictjson.Error{File: file, Line: l, Col: col, Path: path, Err: err}
	}
	pr := c.Process
	sc := []any{}
	if pr.Capabilities == nil {
		// runc leaves the process its caller's capabilities: root's, all
		notes = append(notes, "process.capabilities is absent: runc leaves the process the capabilities of its caller (all of them, as root)")
		sc = append(sc, "capabilities", k8syaml.Map(pos("process"), "add", k8syaml.Seq(pos("process"), k8syaml.Str("ALL", pos("process")))))
	} else {
		cs := pr.Capabilities
		set, isAmbient, err := capSets(cs.Bounding, cs.Effective, cs.Permitted, cs.Inheritable, cs.Ambient, at)
		if err != nil {
			return nil, "", 0, nil, err
		}
		if isAmbient {
			// a non-root user keeps it across exec: returned beside
			// the Pod, which cannot say so
			ambient = set
		}
		capsAt := pos("process.capabilities.bounding")
		var add []*yaml.Node
		for _, name := range caps.Sorted(set, caps.Cap.String) {
			add = append(add, k8syaml.Str(name, capsAt))
		}
		sc = append(sc, "capabilities", k8syaml.Map(capsAt, "drop", k8syaml.Seq(capsAt, k8syaml.Str("ALL", capsAt)), "add", k8syaml.Seq(capsAt, add...)))
	}
	// runc sets no_new_privs from the config alone; a pod spec says it as
	// allowPrivilegeEscalation: false.
	sc = append(sc, "allowPrivilegeEscalation", k8syaml.Bool(!pr.NoNewPrivileges, pos("process.noNewPrivileges")))
	var podSC []any
	if u := pr.User; u != nil {
		if u.UID != nil {
			sc = append(sc, "runAsUser", k8syaml.Int(*u.UID, pos("process.user.uid")))
		}
		if u.GID != nil {
			sc = append(sc, "runAsGroup", k8syaml.Int(*u.GID, pos("process.user.gid")))
		}
		if len(u.AdditionalGids) > 0 {
			var gs []*yaml.Node
			for i, g := range u.AdditionalGids {
				gs = append(gs, k8syaml.Int(g, pos(fmt.Sprintf("process.user.additionalGids[%d]", i))))
			}
			podSC = append(podSC, "supplementalGroups", k8syaml.Seq(pos("process.user.additionalGids"), gs...))
		}
	}
	if c.Root != nil && c.Root.Readonly {
		sc = append(sc, "readOnlyRootFilesystem", k8syaml.Bool(true, pos("root.readonly")))
	}
	if c.Linux != nil && c.Linux.Seccomp != nil {
		sc = append(sc, "seccompProfile", k8syaml.Map(pos("linux.seccomp"), "type", k8syaml.Str("Localhost", pos("linux.seccomp")), "localhostProfile", k8syaml.Str(filepath.Base(file), pos("linux.seccomp"))))
	} else {
		sc = append(sc, "seccompProfile", k8syaml.Map(pos("linux"), "type", k8syaml.Str("Unconfined", pos("linux"))))
	}
	switch a := pr.ApparmorProfile; a {
	case "", "unconfined":
		sc = append(sc, "appArmorProfile", k8syaml.Map(pos("process"), "type", k8syaml.Str("Unconfined", pos("process"))))
	default:
		at := pos("process.apparmorProfile")
		sc = append(sc, "appArmorProfile", k8syaml.Map(at, "type", k8syaml.Str("Localhost", at), "localhostProfile", k8syaml.Str(a, at)))
	}
	if pr.SelinuxLabel != "" {
		notes = append(notes, "process.selinuxLabel: an SELinux label, which the audit does not model")
	}
	var spec []any
	if c.Linux != nil {
		if len(c.Linux.MaskedPaths) == 0 {
			// nothing masked: what a pod spec says as procMount: Unmasked
			sc = append(sc, "procMount", k8syaml.Str("Unmasked", pos("linux")))
		} else if !slices.Equal(c.Linux.MaskedPaths, runtimes.Containerd.MaskedPaths) {
			notes = append(notes, fmt.Sprintf("linux.maskedPaths: the audit predicts with containerd's masked paths; this config masks %s", strings.Join(c.Linux.MaskedPaths, ", ")))
		}
	}
	// The namespaces the config does not unshare are its caller's.
	has := map[string]bool{}
	if c.Linux != nil {
		for _, n := range c.Linux.Namespaces {
			if n.Path == "" {
				has[n.Type] = true
			}
		}
	}
	for _, n := range []struct{ ns, field string }{{"pid", "hostPID"}, {"network", "hostNetwork"}, {"ipc", "hostIPC"}} {
		if !has[n.ns] {
			spec = append(spec, n.field, k8syaml.Bool(true, pos("linux.namespaces")))
		}
	}
	// A user namespace of its own, in which runc makes the others: what
	// a pod spec says with hostUsers: false, which it can say only beside
	// no host namespace.
	if has["user"] {
		if has["pid"] && has["network"] && has["ipc"] {
			spec = append(spec, "hostUsers", k8syaml.Bool(false, pos("linux.namespaces")))
		} else {
			notes = append(notes, "linux.namespaces: a user namespace beside the host's PID, network or IPC namespace, which a pod spec cannot say (hostUsers: false refuses them): the audit predicts without it")
		}
	}
	// Bind mounts of host paths are what a pod spec says with hostPath
	// volumes: the route to a runtime's socket among them.
	var volumes, mounts []*yaml.Node
	for i, m := range c.Mounts {
		bind := m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
		if !bind || m.Source == "" || !filepath.IsAbs(m.Source) {
			continue
		}
		at := pos(fmt.Sprintf("mounts[%d]", i))
		name := fmt.Sprintf("mount-%d", i)
		volumes = append(volumes, k8syaml.Map(at, "name", k8syaml.Str(name, at), "hostPath", k8syaml.Map(at, "path", k8syaml.Str(m.Source, at))))
		mounts = append(mounts, k8syaml.Map(at, "name", k8syaml.Str(name, at), "mountPath", k8syaml.Str(m.Destination, at), "readOnly", k8syaml.Bool(slices.Contains(m.Options, "ro"), at)))
	}
	top := pos("ociVersion")
	ctr := []any{"name", k8syaml.Str("process", pos("process")), "image", k8syaml.Str("bundle", top),
		"securityContext", k8syaml.Map(pos("process"), sc...)}
	if len(mounts) > 0 {
		ctr = append(ctr, "volumeMounts", k8syaml.Seq(pos("mounts"), mounts...))
	}
	spec = append(spec, "containers", k8syaml.Seq(pos("process"), k8syaml.Map(pos("process"), ctr...)))
	if len(podSC) > 0 {
		spec = append(spec, "securityContext", k8syaml.Map(pos("process.user"), podSC...))
	}
	if len(volumes) > 0 {
		spec = append(spec, "volumes", k8syaml.Seq(pos("mounts"), volumes...))
	}
	name := filepath.Base(filepath.Dir(file))
	if name == "." || name == "/" {
		name = "bundle"
	}
	pod = k8syaml.Map(top, "apiVersion", k8syaml.Str("v1", top), "kind", k8syaml.Str("Pod", top),
		"metadata", k8syaml.Map(top, "name", k8syaml.Str(name, top)),
		"spec", k8syaml.Map(top, spec...))
	return pod, filepath.Dir(file), ambient, notes, nil
}
