package compose

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/k8syaml"
	"github.com/rampart-sec/rampart/policy"
)

// Service is a Compose service as the Pod it stands for (Pods).
type Service struct {
	Name string
	// Pod is the pod spec of the service's container, each node at the
	// position in the Compose file of what it was read from.
	Pod *yaml.Node
	// ProfileDir is the directory its Localhost seccomp profile (a
	// seccomp= file) is relative to.
	ProfileDir string
	Notes      []string
	// Err is why the service could not be read, at its place.
	Err error
}

// Pods reads every service of the Compose file as the Pod it stands for,
// for rampart audit on a Docker node: Docker's capabilities resolved in
// Docker's order (written as drop ALL and the result added, or
// privileged), its RuntimeDefault unless the file says otherwise, the
// AppArmor profile left to the node (docker-default where it has
// AppArmor) unless security_opt names one, no_new_privs, the user, a
// read-only root filesystem, the host's pid, ipc and network namespaces
// where the file asks for them, and bind mounts as hostPath volumes.
func Pods(file string, body []byte) ([]Service, error) {
	svcs, names, err := services(file, body)
	if err != nil {
		return nil, err
	}
	return podsOf(file, svcs, names), nil
}

// podsOf is Pods of a parsed document's services.
func podsOf(file string, svcs *yaml.Node, names []string) []Service {
	var out []Service
	for _, name := range names {
		sv := Service{Name: name, ProfileDir: filepath.Dir(file)}
		e, err := readService(file, name, svcs)
		if err == nil {
			err = e.pod(&sv)
		}
		sv.Err = err
		out = append(out, sv)
	}
	return out
}

func (e *entry) pod(sv *Service) error {
	s, node := e.s, e.node
	key := func(k string) *yaml.Node {
		if n := lookup(node, k); n != nil {
			return n
		}
		return node
	}
	var sc []any
	c, err := capabilities(s, node, e.at)
	if err != nil {
		return err
	}
	capsAt := key("cap_add")
	if lookup(node, "cap_add") == nil {
		capsAt = key("cap_drop")
	}
	names := func(set caps.Set) []*yaml.Node {
		var ns []*yaml.Node
		for _, n := range caps.Sorted(set, caps.Cap.String) {
			ns = append(ns, k8syaml.Str(n, capsAt))
		}
		return ns
	}
	all := k8syaml.Str("ALL", capsAt)
	switch {
	case s.Privileged:
		sc = append(sc, "privileged", k8syaml.Bool(true, key("privileged")))
	case c.AddAll:
		// a pod spec's order adds ALL, then drops: Docker's answer too
		sc = append(sc, "capabilities", k8syaml.Map(capsAt, "add", k8syaml.Seq(capsAt, all), "drop", k8syaml.Seq(capsAt, names(c.Drop)...)))
	default:
		sc = append(sc, "capabilities", k8syaml.Map(capsAt, "drop", k8syaml.Seq(capsAt, all), "add", k8syaml.Seq(capsAt, names(c.Base)...)))
	}
	opts, err := e.dockerOpts()
	if err != nil {
		return err
	}
	optAt := key("security_opt")
	switch opts.Seccomp.Kind {
	case "":
		sc = append(sc, "seccompProfile", k8syaml.Map(node, "type", k8syaml.Str("RuntimeDefault", node)))
	case policy.SeccompRuntimeDefault:
		sc = append(sc, "seccompProfile", k8syaml.Map(optAt, "type", k8syaml.Str("RuntimeDefault", optAt)))
	case policy.SeccompUnconfined:
		if !s.Privileged { // privileged says it
			sc = append(sc, "seccompProfile", k8syaml.Map(optAt, "type", k8syaml.Str("Unconfined", optAt)))
		}
	case policy.SeccompFile:
		rel, err := filepath.Rel(sv.ProfileDir, opts.Seccomp.Path)
		if err != nil || strings.HasPrefix(rel, "..") {
			sv.ProfileDir, rel = filepath.Dir(opts.Seccomp.Path), filepath.Base(opts.Seccomp.Path)
		}
		sc = append(sc, "seccompProfile", k8syaml.Map(optAt, "type", k8syaml.Str("Localhost", optAt), "localhostProfile", k8syaml.Str(rel, optAt)))
	}
	// nil: left to the node (docker-default where it has AppArmor)
	if a := opts.AppArmor; a != nil {
		switch a.Kind {
		case policy.AppArmorUnconfined:
			sc = append(sc, "appArmorProfile", k8syaml.Map(optAt, "type", k8syaml.Str("Unconfined", optAt)))
		case policy.AppArmorLocalhost:
			sc = append(sc, "appArmorProfile", k8syaml.Map(optAt, "type", k8syaml.Str("Localhost", optAt), "localhostProfile", k8syaml.Str(a.Name, optAt)))
		}
	}
	if opts.NoNewPrivs != nil {
		sc = append(sc, "allowPrivilegeEscalation", k8syaml.Bool(!*opts.NoNewPrivs, optAt))
	}
	if s.User != "" {
		u, err := user(s.User)
		if err != nil {
			return e.at("user", lookup(node, "user"), err)
		}
		sc = append(sc, "runAsUser", k8syaml.Int(int64(u.UID), key("user")), "runAsGroup", k8syaml.Int(int64(u.GID), key("user")))
	}
	if s.ReadOnly {
		sc = append(sc, "readOnlyRootFilesystem", k8syaml.Bool(true, key("read_only")))
	}
	var spec, podSC []any
	for _, ns := range []struct{ key, value, field string }{{"pid", s.Pid, "hostPID"}, {"ipc", s.Ipc, "hostIPC"}, {"network_mode", s.NetworkMode, "hostNetwork"}} {
		switch ns.value {
		case "":
		case "host":
			spec = append(spec, ns.field, k8syaml.Bool(true, key(ns.key)))
		default:
			sv.Notes = append(sv.Notes, fmt.Sprintf("%s: %s: another container's namespace, which the audit does not follow", ns.key, ns.value))
		}
	}
	for _, ns := range []struct{ key, value string }{{"uts", s.Uts}, {"cgroup", s.Cgroup}} {
		if ns.value == "host" {
			sv.Notes = append(sv.Notes, fmt.Sprintf("%s: host: the host's %s namespace, which a pod spec cannot say; the audit predicts without it", ns.key, ns.key))
		}
	}
	if len(s.GroupAdd) > 0 {
		gn := lookup(node, "group_add")
		var gs []*yaml.Node
		for i, g := range s.GroupAdd {
			n, err := strconv.Atoi(fmt.Sprint(g))
			if err != nil || n < 0 {
				return e.at("group_add", item(gn, i), fmt.Errorf("%v: Docker resolves a group name in the image's /etc/group; write the GID", g))
			}
			gs = append(gs, k8syaml.Int(int64(n), item(gn, i)))
		}
		podSC = append(podSC, "supplementalGroups", k8syaml.Seq(gn, gs...))
	}
	if len(s.Devices) > 0 {
		sv.Notes = append(sv.Notes, fmt.Sprintf("devices: %d device(s) in the container's /dev, which the audit does not model outside privileged", len(s.Devices)))
	}
	volumes, mounts := e.binds(sv)
	ctr := []any{"name", k8syaml.Str(e.name, node), "image", k8syaml.Str("service", node), "securityContext", k8syaml.Map(node, sc...)}
	if len(mounts) > 0 {
		ctr = append(ctr, "volumeMounts", k8syaml.Seq(key("volumes"), mounts...))
	}
	spec = append(spec, "containers", k8syaml.Seq(node, k8syaml.Map(node, ctr...)))
	if len(podSC) > 0 {
		spec = append(spec, "securityContext", k8syaml.Map(key("group_add"), podSC...))
	}
	if len(volumes) > 0 {
		spec = append(spec, "volumes", k8syaml.Seq(key("volumes"), volumes...))
	}
	sv.Pod = k8syaml.Map(node, "apiVersion", k8syaml.Str("v1", node), "kind", k8syaml.Str("Pod", node),
		"metadata", k8syaml.Map(node, "name", k8syaml.Str(e.name, node)), "spec", k8syaml.Map(node, spec...))
	return nil
}

// binds are the service's bind mounts of host paths as hostPath volumes
// and their mounts: "SRC:DST[:MODE]" with a path for SRC (relative ones
// are the Compose file's directory's), or {type: bind, source, target}.
// Named volumes are Docker's own and hold no host path.
func (e *entry) binds(sv *Service) (volumes, mounts []*yaml.Node) {
	list := lookup(e.node, "volumes")
	for i, v := range e.s.Volumes {
		at := item(list, i)
		var src, dst string
		ro := false
		switch v := v.(type) {
		case string:
			parts := strings.Split(v, ":")
			if len(parts) < 2 {
				continue // an anonymous volume
			}
			src, dst = parts[0], parts[1]
			ro = len(parts) > 2 && strings.Contains(","+parts[2]+",", ",ro,")
			if !strings.HasPrefix(src, "/") && !strings.HasPrefix(src, ".") {
				if strings.HasPrefix(src, "~") {
					sv.Notes = append(sv.Notes, fmt.Sprintf("volumes[%d]: %s is in the home of whoever runs docker compose, which the audit does not know", i, src))
				}
				continue // a named volume
			}
		case map[string]any:
			if t, _ := v["type"].(string); t != "bind" {
				continue
			}
			src, _ = v["source"].(string)
			dst, _ = v["target"].(string)
			ro, _ = v["read_only"].(bool)
		default:
			continue
		}
		if src == "" || dst == "" {
			continue
		}
		if !filepath.IsAbs(src) {
			src = filepath.Join(filepath.Dir(e.file), src)
		}
		name := fmt.Sprintf("volume-%d", i)
		volumes = append(volumes, k8syaml.Map(at, "name", k8syaml.Str(name, at), "hostPath", k8syaml.Map(at, "path", k8syaml.Str(filepath.Clean(src), at))))
		mounts = append(mounts, k8syaml.Map(at, "name", k8syaml.Str(name, at), "mountPath", k8syaml.Str(dst, at), "readOnly", k8syaml.Bool(ro, at)))
	}
	return volumes, mounts
}
