// Package compose reads the layers of a Docker Compose service: its
// capabilities, seccomp and AppArmor options, no_new_privs and user, with
// Docker's own defaults for what the file does not say (its 14
// capabilities, its RuntimeDefault seccomp profile, docker-default where
// the kernel has AppArmor), as the policy rampart run, layers and oci
// spec enforce. Settings that make the service a container rather than a
// process (its root filesystem, namespaces, devices) are named in notes;
// settings rampart cannot read exactly (a variable to substitute, a user
// name the image resolves, a service that extends another) are refused
// where they are written.
package compose

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/k8syaml"
	"github.com/rampart-sec/rampart/internal/strictjson"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

// IsFile says whether body is a Compose file: a YAML mapping with a
// services mapping and no Kubernetes apiVersion or kind.
func IsFile(body []byte) bool {
	// Audit asks this of every document of a stream: look for the key
	// at the start of a line before parsing anything. A Kubernetes
	// object has no top-level services.
	if !bytes.HasPrefix(body, []byte("services:")) && !bytes.Contains(body, []byte("\nservices:")) &&
		!(bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) && bytes.Contains(body, []byte(`"services"`))) {
		return false
	}
	var root yaml.Node
	if yaml.Unmarshal(body, &root) != nil || len(root.Content) == 0 {
		return false
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return false
	}
	s := lookup(m, "services")
	return s != nil && s.Kind == yaml.MappingNode && lookup(m, "apiVersion") == nil && lookup(m, "kind") == nil
}

// service is what Policy reads of a service; the rest of Compose's many
// fields are the service's, not its layers'.
type service struct {
	CapAdd      []string `yaml:"cap_add"`
	CapDrop     []string `yaml:"cap_drop"`
	Privileged  bool     `yaml:"privileged"`
	SecurityOpt []string `yaml:"security_opt"`
	User        string   `yaml:"user"`
	ReadOnly    bool     `yaml:"read_only"`
	Pid         string   `yaml:"pid"`
	Ipc         string   `yaml:"ipc"`
	Uts         string   `yaml:"uts"`
	Cgroup      string   `yaml:"cgroup"`
	GroupAdd    []any    `yaml:"group_add"`
	DeviceRules []string `yaml:"device_cgroup_rules"`
	NetworkMode string   `yaml:"network_mode"`
	UsernsMode  string   `yaml:"userns_mode"`
	Devices     []any    `yaml:"devices"`
	Volumes     []any    `yaml:"volumes"`
	Extends     any      `yaml:"extends"`
}

// Error is a problem at a place in a Compose file (Path names the
// field: services.web.cap_add[0]).
type Error = strictjson.Error

// entry is one service as read, for both readings of it: the policy of
// its process (Policy) and the Pod it stands for (Pods).
type entry struct {
	file, name, field string
	node              *yaml.Node
	s                 service
}

// at is an error at n (the service's node when nil), under the
// service's field path.
func (e *entry) at(sub string, n *yaml.Node, err error) error {
	if n == nil {
		n = e.node
	}
	f := e.field
	if sub != "" {
		f += "." + sub
	}
	return &Error{File: e.file, Line: n.Line, Col: n.Column, Path: f, Err: err}
}

// services is the file's services mapping and the services' names.
func services(file string, body []byte) (*yaml.Node, []string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil {
		return nil, nil, &Error{File: file, Err: err}
	}
	if len(root.Content) == 0 {
		return nil, nil, &Error{File: file, Err: errors.New("empty")}
	}
	// A key written twice: Compose refuses the file, and reading one of
	// the two would audit or run a service Compose never starts.
	var whole any
	if err := yaml.Unmarshal(body, &whole); err != nil {
		return nil, nil, &Error{File: file, Err: err}
	}
	return servicesOf(file, root.Content[0])
}

// servicesOf is the services mapping of a Compose document and the
// services' names.
func servicesOf(file string, doc *yaml.Node) (*yaml.Node, []string, error) {
	svcs := lookup(doc, "services")
	if svcs == nil || svcs.Kind != yaml.MappingNode {
		return nil, nil, &Error{File: file, Err: errors.New("no services mapping: not a Compose file")}
	}
	var names []string
	for i := 0; i+1 < len(svcs.Content); i += 2 {
		names = append(names, svcs.Content[i].Value)
	}
	return svcs, names, nil
}

// readService reads service name: what would be a guess is refused where
// it is written.
func readService(file, name string, svcs *yaml.Node) (*entry, error) {
	e := &entry{file: file, name: name, field: "services." + name, node: lookup(svcs, name)}
	// Compose's schema wants true or false; yaml.v3 would also decode
	// "yes" or "on" into a bool, where Compose refuses the file.
	for _, key := range []string{"privileged", "read_only"} {
		if n := lookup(e.node, key); n != nil && n.ShortTag() != "!!bool" {
			return nil, e.at(key, n, fmt.Errorf("%q: Compose takes true or false here and refuses the file otherwise", n.Value))
		}
	}
	if err := e.node.Decode(&e.s); err != nil {
		return nil, e.at("", nil, err)
	}
	if len(e.s.DeviceRules) > 0 {
		// with MKNOD, a rule that allows a block device opens the disk
		return nil, e.at("device_cgroup_rules", lookup(e.node, "device_cgroup_rules"), errors.New("device cgroup rules open devices to the container, which rampart does not model: it would predict the disk closed where the rule opens it"))
	}
	if e.s.Extends != nil {
		return nil, e.at("extends", lookup(e.node, "extends"), errors.New("the service extends another, whose settings Compose merges in; rampart reads one service as written: give it the merged file (docker compose config)"))
	}
	// A variable is substituted by Compose from the environment or an
	// .env file rampart does not see: the layer would be a guess.
	if err := noVariables(e.node, e.at); err != nil {
		return nil, err
	}
	return e, nil
}

// Policy reads service name of the Compose file (the only one when name
// is empty) as the policy Docker gives its container's process.
func Policy(file, name string, body []byte) (*policy.Policy, []string, error) {
	svcs, names, err := services(file, body)
	if err != nil {
		return nil, nil, err
	}
	return policyOf(file, name, svcs, names)
}

// policyOf is Policy of a parsed document's services.
func policyOf(file, name string, svcs *yaml.Node, names []string) (*policy.Policy, []string, error) {
	switch {
	case name == "" && len(names) == 1:
		name = names[0]
	case name == "":
		return nil, nil, &Error{File: file, Err: fmt.Errorf("%d services (%s): name one as %s#SERVICE", len(names), strings.Join(names, ", "), file)}
	case !slices.Contains(names, name):
		return nil, nil, &Error{File: file, Err: fmt.Errorf("no service %q (services: %s)", name, strings.Join(names, ", "))}
	}
	e, err := readService(file, name, svcs)
	if err != nil {
		return nil, nil, err
	}
	s, node, field, at := e.s, e.node, e.field, e.at

	p := &policy.Policy{Source: fmt.Sprintf("%s service %s (Docker Compose)", file, name)}
	var notes []string
	note := func(format string, args ...any) {
		notes = append(notes, fmt.Sprintf("%s: %s: ", file, field)+fmt.Sprintf(format, args...))
	}
	notes = append(notes, fmt.Sprintf("%s: %s: rampart run enforces the service's process layers on the host, with Docker's defaults for what the file does not say; the image, its root filesystem, networks, volumes and namespaces are Docker's and not applied", file, field))

	c, err := capabilities(s, node, at)
	if err != nil {
		return nil, nil, err
	}
	p.Capabilities = c
	o, err := e.dockerOpts()
	if err != nil {
		return nil, nil, err
	}
	p.Seccomp, p.AppArmor, p.NoNewPrivs = o.Seccomp, o.AppArmor, o.NoNewPrivs
	if s.Privileged {
		note("privileged: every capability, no seccomp filter, no AppArmor profile unless apparmor= names one, and the host's devices (not given here)")
	}
	if p.Seccomp.Kind == "" {
		p.Seccomp = policy.Seccomp{Kind: policy.SeccompRuntimeDefault, Origin: origin(file, node)}
	}
	if p.AppArmor == nil {
		if features.HaveAppArmor() == nil {
			p.AppArmor = &policy.AppArmor{Kind: policy.AppArmorRuntimeDefault, Origin: origin(file, node)}
		} else {
			note("Docker confines a container with its docker-default AppArmor profile where the kernel has AppArmor; this kernel has none, and neither has the process here")
		}
	}
	if s.User != "" {
		u, err := user(s.User)
		if err != nil {
			return nil, nil, at("user", lookup(node, "user"), err)
		}
		p.User = u
	}
	if s.ReadOnly {
		note("read_only: the container's root filesystem is read-only; the host's is not made so")
	}
	if len(s.GroupAdd) > 0 {
		return nil, nil, at("group_add", lookup(node, "group_add"), errors.New("supplementary groups: rampart run clears them and has no way to set them, and will not run the process with other permissions than Docker gives"))
	}
	for _, f := range []struct{ key, value string }{{"pid", s.Pid}, {"ipc", s.Ipc}, {"network_mode", s.NetworkMode}, {"userns_mode", s.UsernsMode}, {"uts", s.Uts}, {"cgroup", s.Cgroup}} {
		if f.value != "" {
			note("%s: %s is a namespace setting: the process here runs in rampart's caller's namespaces", f.key, f.value)
		}
	}
	if len(s.Devices) > 0 {
		note("devices: %d device(s) Docker would create in the container's /dev; the process here sees the host's /dev as its user may", len(s.Devices))
	}
	for _, o := range []string{"docker-compose.override.yml", "docker-compose.override.yaml", "compose.override.yml", "compose.override.yaml"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(file), o)); err == nil {
			note("%s is beside the file and docker compose merges it in; rampart reads %s alone (give it the merged file: docker compose config)", o, filepath.Base(file))
		}
	}
	return p, notes, nil
}

// capabilities are the sets Docker gives the service (moby's
// TweakCapabilities): every capability when privileged; ALL in cap_add:
// every capability but those dropped; ALL in cap_drop: those added;
// otherwise the 14 defaults less the drops, then the adds (an add beats
// a drop of the same capability, unlike containerd's order). Every
// capability means what the launcher can hand down, as --cap-add ALL.
func capabilities(s service, node *yaml.Node, at func(string, *yaml.Node, error) error) (*policy.Capabilities, error) {
	read := func(key string, list []string) (caps.Set, bool, error) {
		var set caps.Set
		all := false
		for i, n := range list {
			if strings.EqualFold(strings.TrimSpace(n), "ALL") {
				all = true
				continue
			}
			c, err := caps.Parse(n)
			if err != nil {
				return 0, false, at(fmt.Sprintf("%s[%d]", key, i), item(lookup(node, key), i), err)
			}
			set = set.Union(caps.Of(c))
		}
		return set, all, nil
	}
	add, addAll, err := read("cap_add", s.CapAdd)
	if err != nil {
		return nil, err
	}
	drop, dropAll, err := read("cap_drop", s.CapDrop)
	if err != nil {
		return nil, err
	}
	switch {
	case s.Privileged:
		return &policy.Capabilities{AddAll: true}, nil
	case addAll:
		return &policy.Capabilities{AddAll: true, Drop: drop}, nil
	case dropAll:
		return &policy.Capabilities{Base: add}, nil
	}
	return &policy.Capabilities{Base: runtimes.Docker.Caps.Minus(drop).Union(add)}, nil
}

// dockerOpts are the seccomp profile, AppArmor profile and no_new_privs
// Docker gives the service, as moby decides them: a privileged container
// gets no filter whatever seccomp= says, and no AppArmor profile unless
// apparmor= names one. A zero Seccomp kind and a nil AppArmor stand for
// Docker's defaults, which Policy and Pods each spell their way.
func (e *entry) dockerOpts() (*policy.Policy, error) {
	o := &policy.Policy{}
	if err := securityOpts(e.file, e.s, e.node, o, e.at); err != nil {
		return nil, err
	}
	if e.s.Privileged {
		at := origin(e.file, lookup(e.node, "privileged"))
		o.Seccomp = policy.Seccomp{Kind: policy.SeccompUnconfined, Origin: at}
		if o.AppArmor == nil {
			o.AppArmor = &policy.AppArmor{Kind: policy.AppArmorUnconfined, Origin: at}
		}
	}
	return o, nil
}

// securityOpts applies security_opt: seccomp=, apparmor=,
// no-new-privileges, as the Docker CLI reads them ('=' or ':').
func securityOpts(file string, s service, node *yaml.Node, p *policy.Policy, at func(string, *yaml.Node, error) error) error {
	list := lookup(node, "security_opt")
	for i, o := range s.SecurityOpt {
		n := item(list, i)
		key, value, hasValue := strings.Cut(o, "=")
		if !hasValue {
			key, value, hasValue = strings.Cut(o, ":")
		}
		path := fmt.Sprintf("security_opt[%d]", i)
		switch key {
		case "no-new-privileges":
			v := true
			if hasValue {
				b, err := strconv.ParseBool(value)
				if err != nil {
					return at(path, n, fmt.Errorf("%q: no-new-privileges takes true or false", o))
				}
				v = b
			}
			p.NoNewPrivs = &v
		case "seccomp":
			switch {
			case !hasValue || value == "":
				return at(path, n, errors.New("seccomp= needs unconfined or a profile file"))
			case value == "unconfined":
				p.Seccomp = policy.Seccomp{Kind: policy.SeccompUnconfined, Origin: origin(file, n)}
			case value == "builtin":
				p.Seccomp = policy.Seccomp{Kind: policy.SeccompRuntimeDefault, Origin: origin(file, n)}
			default:
				// The Docker CLI reads the file from where it runs, the
				// Compose file's directory for docker compose.
				f := value
				if !filepath.IsAbs(f) {
					f = filepath.Join(filepath.Dir(file), f)
				}
				p.Seccomp = policy.Seccomp{Kind: policy.SeccompFile, Path: f, Origin: origin(file, n)}
			}
		case "apparmor":
			switch {
			case !hasValue || value == "":
				return at(path, n, errors.New("apparmor= needs unconfined or a profile name"))
			case value == "unconfined":
				p.AppArmor = &policy.AppArmor{Kind: policy.AppArmorUnconfined, Origin: origin(file, n)}
			default:
				p.AppArmor = &policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: value, Origin: origin(file, n)}
			}
		case "label":
			return at(path, n, fmt.Errorf("%q is an SELinux option: rampart enforces AppArmor or Landlock, and will not run the service without the label it asks for", o))
		case "systempaths":
			// unconfined unmasks /proc and /sys in the container; the
			// host's are not masked here in any case
		default:
			return at(path, n, fmt.Errorf("%q: not a security option Docker knows (seccomp=, apparmor=, no-new-privileges, label=, systempaths=)", o))
		}
	}
	return nil
}

// user reads UID[:GID] in numbers: a name is looked up by Docker in the
// image's /etc/passwd, which is not the host's.
func user(s string) (*policy.User, error) {
	us, gs, hasGroup := strings.Cut(s, ":")
	uid, err := strconv.Atoi(us)
	if err != nil || uid < 0 {
		return nil, fmt.Errorf("%q: Docker resolves a user name in the image's /etc/passwd, not the host's; write UID[:GID] in numbers", s)
	}
	// Without a group Docker takes the user's primary group from the
	// image; for a UID the image does not list, that is 0.
	gid := 0
	if hasGroup {
		if gid, err = strconv.Atoi(gs); err != nil || gid < 0 {
			return nil, fmt.Errorf("%q: Docker resolves a group name in the image's /etc/group; write UID[:GID] in numbers", s)
		}
	}
	return &policy.User{UID: uid, GID: gid}, nil
}

// noVariables refuses ${VAR} and $VAR in the fields read.
func noVariables(svc *yaml.Node, at func(string, *yaml.Node, error) error) error {
	for _, key := range []string{"cap_add", "cap_drop", "privileged", "security_opt", "user", "group_add"} {
		n := lookup(svc, key)
		if n == nil {
			continue
		}
		var bad *yaml.Node
		var walk func(*yaml.Node)
		walk = func(n *yaml.Node) {
			if bad != nil || n == nil {
				return
			}
			if n.Kind == yaml.ScalarNode && strings.Contains(strings.ReplaceAll(n.Value, "$$", ""), "$") {
				bad = n
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(n)
		if bad != nil {
			return at(key, bad, fmt.Errorf("%q: Compose substitutes variables from the environment and .env files, which rampart does not read; write the value (or give it docker compose config's output)", bad.Value))
		}
	}
	return nil
}

// item is the i-th element of sequence n, or n itself.
func item(n *yaml.Node, i int) *yaml.Node {
	if e := k8syaml.Lookup(n, i); e != nil {
		return e
	}
	return n
}

// lookup is the value of key in mapping n as Compose reads it: aliases
// followed, merge keys (<<) applied; nil if absent.
func lookup(n *yaml.Node, key string) *yaml.Node { return k8syaml.Lookup(n, key) }

func origin(file string, n *yaml.Node) string {
	if n == nil {
		return file
	}
	return fmt.Sprintf("%s:%d", file, n.Line)
}
