package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/strictjson"
	"github.com/rampart-sec/rampart/policy"
)

// IsConfig says whether body is an OCI runtime config: a JSON object
// with an ociVersion at its top level (a Kubernetes object in JSON never
// has one).
func IsConfig(body []byte) bool { return strictjson.HasKey(body, "ociVersion") }

// config is what Policy reads of a runtime config, for strictjson: the
// keys runc's decoder would match ignoring case, or keep the last of, are
// refused there, so that rampart reads what runc reads.
type config struct {
	OCIVersion string `json:"ociVersion"`
	Process    *struct {
		User *struct {
			UID            *int64  `json:"uid"`
			GID            *int64  `json:"gid"`
			Umask          *uint32 `json:"umask"`
			AdditionalGids []int64 `json:"additionalGids"`
		} `json:"user"`
		Capabilities *struct {
			Bounding    []string `json:"bounding"`
			Effective   []string `json:"effective"`
			Inheritable []string `json:"inheritable"`
			Permitted   []string `json:"permitted"`
			Ambient     []string `json:"ambient"`
		} `json:"capabilities"`
		NoNewPrivileges bool   `json:"noNewPrivileges"`
		ApparmorProfile string `json:"apparmorProfile"`
		SelinuxLabel    string `json:"selinuxLabel"`
	} `json:"process"`
	Root *struct {
		Readonly bool `json:"readonly"`
	} `json:"root"`
	Mounts []struct {
		Destination string   `json:"destination"`
		Type        string   `json:"type"`
		Source      string   `json:"source"`
		Options     []string `json:"options"`
	} `json:"mounts"`
	Linux *linuxConfig `json:"linux"`
}

// linuxConfig is the config's linux object, as far as rampart reads it.
type linuxConfig struct {
	Namespaces []struct {
		Type string `json:"type"`
		Path string `json:"path"`
	} `json:"namespaces"`
	UIDMappings   []idMap  `json:"uidMappings"`
	GIDMappings   []idMap  `json:"gidMappings"`
	MaskedPaths   []string `json:"maskedPaths"`
	ReadonlyPaths []string `json:"readonlyPaths"`
	Seccomp       any      `json:"seccomp"`
}

// idMap is one line of an id map.
type idMap struct {
	ContainerID uint32 `json:"containerID"`
	HostID      uint32 `json:"hostID"`
	Size        uint32 `json:"size"`
}

// userNS reads a new user namespace (linux.namespaces' "user" with no
// path) and its maps as rampart run makes one: one line each, the same
// for uids and gids, from 0, never the host's root. Anything else is
// refused: the process would run as the host's root with capabilities
// runc gives only inside a namespace.
func userNS(l *linuxConfig, at func(string, error) error) (*policy.UserNS, error) {
	first := -1
	for i, n := range l.Namespaces {
		if n.Type != "user" {
			continue
		}
		if first >= 0 {
			// Which one runc takes is runc's: neither is read for it.
			return nil, at(fmt.Sprintf("linux.namespaces[%d]", i), fmt.Errorf("a second user namespace (the first is linux.namespaces[%d])", first))
		}
		first = i
	}
	for i, n := range l.Namespaces {
		if n.Type != "user" {
			continue
		}
		where := fmt.Sprintf("linux.namespaces[%d]", i)
		if n.Path != "" {
			return nil, at(where+".path", errors.New("joins a user namespace that exists: rampart run makes a new one and cannot join another's"))
		}
		if len(l.UIDMappings) != 1 || len(l.GIDMappings) != 1 || l.UIDMappings[0] != l.GIDMappings[0] {
			return nil, at("linux.uidMappings", errors.New("rampart run maps uids and gids as one block, one line each: this map it cannot make exactly"))
		}
		m := l.UIDMappings[0]
		if m.ContainerID != 0 || m.HostID == 0 || m.Size == 0 {
			return nil, at("linux.uidMappings[0]", fmt.Errorf("%d %d %d: rampart run maps the workload's 0 to an unprivileged host id, for one or more ids", m.ContainerID, m.HostID, m.Size))
		}
		u := &policy.UserNS{HostID: m.HostID, Size: m.Size}
		if err := (&policy.Policy{UserNS: u}).Validate(); err != nil {
			return nil, at("linux.uidMappings[0]", err)
		}
		return u, nil
	}
	if len(l.UIDMappings)+len(l.GIDMappings) > 0 {
		return nil, at("linux.uidMappings", errors.New("id maps without a new user namespace (linux.namespaces has no \"user\"): runc refuses this"))
	}
	return nil, nil
}

// read checks and decodes a config: doc says where its values are.
func read(file string, body []byte) (*config, *strictjson.Doc, error) {
	doc, err := strictjson.Check(body, reflect.TypeFor[config](), strictjson.Options{Locate: true})
	if err != nil {
		return nil, nil, strictjson.InFile(err, file)
	}
	var c config
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	if c.Process == nil {
		return nil, nil, &strictjson.Error{File: file, Path: "process", Err: errors.New("missing: the config starts no process")}
	}
	return &c, doc, nil
}

// Policy reads the layers of the process an OCI runtime config (a
// bundle's config.json) starts, as rampart run enforces them on the
// host: its capability sets, its seccomp filter (linux.seccomp, which the
// seccomp package reads in the file), its AppArmor profile, no_new_privs
// and its user. What makes the config a container — its root
// filesystem, mounts (the masked and read-only paths among them),
// namespaces, devices, cgroups, hooks — rampart run does not build:
// notes say so. A layer the policy model cannot hold
// exactly (capability sets that differ from one another, supplementary
// groups, an SELinux label) is refused, not approximated.
func Policy(file string, body []byte) (*policy.Policy, []string, error) {
	c, doc, err := read(file, body)
	if err != nil {
		return nil, nil, err
	}
	at := func(path string, err error) error {
		l, col := doc.Pos(path)
		return &strictjson.Error{File: file, Line: l, Col: col, Path: path, Err: err}
	}
	origin := func(path string) string {
		l, _ := doc.Pos(path)
		return fmt.Sprintf("%s:%d", file, l)
	}
	p := &policy.Policy{Source: file + " (OCI runtime config)"}
	notes := []string{file + ": rampart run enforces the process's layers on the host's filesystem and in the caller's namespaces; the config's root filesystem, mounts, namespaces, devices, cgroups, rlimits and hooks, which make it a container, are runc's and not applied"}
	pr := c.Process
	if pr.Capabilities == nil {
		notes = append(notes, file+": process.capabilities is absent: runc then leaves the process the capabilities of its caller, and so does rampart run")
	} else {
		set, ambient, err := capSets(pr.Capabilities.Bounding, pr.Capabilities.Effective, pr.Capabilities.Permitted, pr.Capabilities.Inheritable, pr.Capabilities.Ambient, at)
		if err != nil {
			return nil, nil, err
		}
		p.Capabilities = &policy.Capabilities{Base: set, Ambient: ambient}
	}
	nnp := pr.NoNewPrivileges
	p.NoNewPrivs = &nnp
	if u := pr.User; u != nil {
		if len(u.AdditionalGids) > 0 {
			return nil, nil, at("process.user.additionalGids", errors.New("supplementary groups: rampart run clears them and has no way to set them; a launch without them would run with other permissions than runc gives"))
		}
		if u.UID != nil || u.GID != nil {
			usr := &policy.User{}
			if u.UID != nil {
				usr.UID = int(*u.UID)
			}
			if u.GID != nil {
				usr.GID = int(*u.GID)
			}
			p.User = usr
		}
		if u.Umask != nil {
			notes = append(notes, fmt.Sprintf("%s: process.user.umask %#o is not applied: rampart run keeps its caller's umask", file, *u.Umask))
		}
	}
	if pr.SelinuxLabel != "" {
		return nil, nil, at("process.selinuxLabel", errors.New("an SELinux label: rampart enforces AppArmor or Landlock, not SELinux, and will not run the process without the label it asks for"))
	}
	switch a := pr.ApparmorProfile; a {
	case "":
	case "unconfined":
		p.AppArmor = &policy.AppArmor{Kind: policy.AppArmorUnconfined, Origin: origin("process.apparmorProfile")}
	default:
		p.AppArmor = &policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: a, Origin: origin("process.apparmorProfile")}
	}
	p.Seccomp = policy.Seccomp{Kind: policy.SeccompUnconfined}
	if l := c.Linux; l != nil {
		if p.UserNS, err = userNS(l, at); err != nil {
			return nil, nil, err
		}
		if p.UserNS != nil {
			notes[0] = file + ": rampart run makes the config's user namespace (" + p.UserNS.String() + ") and enforces the process's layers in it, on the host's filesystem and in the caller's other namespaces; the config's root filesystem, mounts, other namespaces, devices, cgroups, rlimits and hooks, which make it a container, are runc's and not applied"
		}
		if l.Seccomp != nil {
			p.Seccomp = policy.Seccomp{Kind: policy.SeccompFile, Path: file, Origin: origin("linux.seccomp")}
		}
		if n, r := len(l.MaskedPaths), len(l.ReadonlyPaths); n+r > 0 {
			// Landlock cannot stand in: a path under /proc denied by
			// complement leaves every /proc/PID made later ungranted, so
			// the workload's children could not read /proc/self.
			notes = append(notes, fmt.Sprintf("%s: the %d masked and %d read-only paths are mounts runc makes in the container's /proc and /sys; rampart run does not apply them (Landlock cannot deny a /proc path without denying every process started later its own /proc/PID), and the workload reads the host's /proc and /sys as its user and capabilities allow", file, n, r))
		}
	}
	return p, notes, nil
}

// capSets reads the five sets as one: rampart run gives the workload one
// set as bounding, effective and permitted (and inheritable and ambient
// too, or neither). A config whose sets differ otherwise is refused,
// naming the set.
func capSets(bounding, effective, permitted, inheritable, ambient []string, at func(string, error) error) (caps.Set, bool, error) {
	read := func(field string, names []string) (caps.Set, error) {
		var s caps.Set
		for i, n := range names {
			path := fmt.Sprintf("process.capabilities.%s[%d]", field, i)
			c, err := caps.Parse(n)
			if err != nil {
				return 0, at(path, err)
			}
			if want := c.OCI(); n != want {
				return 0, at(path, fmt.Errorf("%q: runc knows capabilities as %q and drops a name it does not know", n, want))
			}
			s = s.Union(caps.Of(c))
		}
		return s, nil
	}
	sets := map[string]caps.Set{}
	for _, f := range []struct {
		name  string
		names []string
	}{{"bounding", bounding}, {"effective", effective}, {"permitted", permitted}, {"inheritable", inheritable}, {"ambient", ambient}} {
		s, err := read(f.name, f.names)
		if err != nil {
			return 0, false, err
		}
		sets[f.name] = s
	}
	b := sets["bounding"]
	for _, f := range []string{"effective", "permitted"} {
		if sets[f] != b {
			return 0, false, at("process.capabilities."+f, fmt.Errorf("%s is %s and bounding %s: rampart run gives the workload one set as bounding, effective and permitted, and will not run it with other capabilities than runc gives", f, sets[f], b))
		}
	}
	i, a := sets["inheritable"], sets["ambient"]
	switch {
	case i == 0 && a == 0:
		return b, false, nil
	case i == b && a == b:
		return b, true, nil
	}
	field := "ambient"
	if a == 0 {
		field = "inheritable"
	}
	return 0, false, at("process.capabilities."+field, fmt.Errorf("inheritable %s and ambient %s, bounding %s: rampart run raises the whole set into both, or leaves both empty", i, a, b))
}
