package systemd

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/k8syaml"
	"github.com/rampart-sec/rampart/internal/unitfile"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

// A Podman Quadlet .container unit starts a container with podman run:
// Quadlet turns its [Container] section into podman run's flags, over
// Podman's defaults (runtimes.Podman: containers.conf's 11
// capabilities, containers-common's seccomp.json, its AppArmor profile
// where the kernel has AppArmor). rampart reads the keys that set the
// container process's layers as Podman applies them; a key Quadlet does
// not know is refused, as Quadlet refuses the unit; keys that pass
// flags rampart cannot read (PodmanArgs=, GlobalArgs=) or change what
// the layers mean (a user namespace, another containers.conf) are
// refused at their line.

// IsQuadlet says whether name is a Quadlet container unit.
func IsQuadlet(name string) bool { return unitfile.Type(name) == "container" }

// quadletKeys are the [Container] keys of Quadlet (Podman 5's
// supportedContainerKeys, which hold 4.4's), by what rampart does with
// them: read, refused (with why), or not a layer.
var quadletRefused = map[string]string{
	"PodmanArgs":           "passes podman run flags rampart does not read; write them as Quadlet keys",
	"GlobalArgs":           "passes podman flags rampart does not read",
	"ContainersConfModule": "loads another containers.conf, whose defaults rampart does not know",
	"UserNS":               "a user namespace: the capabilities hold in it, which rampart does not model yet",
	"UIDMap":               "a user namespace: the capabilities hold in it, which rampart does not model yet",
	"GIDMap":               "a user namespace: the capabilities hold in it, which rampart does not model yet",
	"SubUIDMap":            "a user namespace: the capabilities hold in it, which rampart does not model yet",
	"SubGIDMap":            "a user namespace: the capabilities hold in it, which rampart does not model yet",
	"RemapUsers":           "a user namespace: the capabilities hold in it, which rampart does not model yet",
	"RemapUid":             "a user namespace: the capabilities hold in it, which rampart does not model yet",
	"RemapGid":             "a user namespace: the capabilities hold in it, which rampart does not model yet",
	"RemapUidSize":         "a user namespace: the capabilities hold in it, which rampart does not model yet",
	"Mount":                "--mount's bind mounts are not read yet: write them as Volume=SRC:DST[:ro]",
	"GroupAdd":             "supplementary groups, which Podman resolves in the image",
}

// quadletNoted are [Container] keys that confine the container with
// what rampart does not model; the note says so.
var quadletNoted = map[string]string{
	"SecurityLabelDisable":  "SELinux labelling, which rampart does not model",
	"SecurityLabelType":     "an SELinux type, which rampart does not model",
	"SecurityLabelLevel":    "an SELinux level, which rampart does not model",
	"SecurityLabelFileType": "an SELinux file type, which rampart does not model",
	"SecurityLabelNested":   "nested SELinux labels, which rampart does not model",
	"Mask":                  "masks paths beside Podman's, which the audit does not model",
	"Sysctl":                "sets sysctls in the container's namespaces",
	"AddDevice":             "adds host devices to the container, which the audit does not model",
	"Pod":                   "joins a pod, whose namespaces are its infra container's",
}

// quadletOther are the other [Container] keys: not the process's layers.
var quadletOther = []string{"AddHost", "Annotation", "AutoUpdate", "CgroupsMode", "ContainerName", "DNS", "DNSOption",
	"DNSSearch", "Environment", "EnvironmentFile", "EnvironmentHost", "Entrypoint", "Exec", "ExposeHostPort",
	"HealthCmd", "HealthInterval", "HealthOnFailure", "HealthLogDestination", "HealthMaxLogCount", "HealthMaxLogSize",
	"HealthRetries", "HealthStartPeriod", "HealthStartupCmd", "HealthStartupInterval", "HealthStartupRetries",
	"HealthStartupSuccess", "HealthStartupTimeout", "HealthTimeout", "HostName", "IP6", "IP", "Image", "Label",
	"LogDriver", "LogOpt", "Memory", "NetworkAlias", "Notify", "PidsLimit", "PublishPort", "Pull", "ReadOnlyTmpfs",
	"ReloadCmd", "ReloadSignal", "Retry", "RetryDelay", "Rootfs", "RunInit", "Secret", "ServiceName", "ShmSize",
	"StopSignal", "StartWithPod", "StopTimeout", "Timezone", "Tmpfs", "Ulimit", "VolatileTmp", "WorkingDir"}

// quadletRead are the keys read here.
var quadletRead = []string{"AddCapability", "DropCapability", "NoNewPrivileges", "SeccompProfile", "User", "Group",
	"ReadOnly", "Network", "Volume", "Unmask"}

// container is a .container unit's [Container] section as read.
type container struct {
	file            string
	adds, drops     []string
	addAll, dropAll bool
	nnp, readOnly   bool
	seccomp         string
	user, group     string
	network         string
	volumes         []unitfile.Entry
	unmaskAll       bool
	line            int // the first line of [Container]
	at              map[string]unitfile.Entry
	notes           []string
}

// readQuadlet reads the unit's [Container] section.
func readQuadlet(path string, body []byte) (*container, error) {
	u, err := unitfile.ReadBytes(path, body)
	if err != nil {
		return nil, err
	}
	c := &container{file: path, at: map[string]unitfile.Entry{}}
	for _, sec := range u.Sections {
		switch {
		case sec == "Container", sec == "Unit", sec == "Service", sec == "Install", sec == "Quadlet", strings.HasPrefix(sec, "X-"):
		default:
			e := first(u, sec)
			return nil, &Error{File: e.File, Line: e.Line, Err: fmt.Errorf("[%s]: not a section of a Quadlet container unit", sec)}
		}
	}
	if len(u.Section("Container")) == 0 {
		return nil, &Error{File: path, Line: 1, Err: errors.New("no [Container] section: Quadlet generates no container from it")}
	}
	c.line = u.Section("Container")[0].Line
	for _, e := range u.Entries {
		switch e.Section {
		case "Container":
		case "Service":
			// [Service] runs podman itself: a layer set there bounds the
			// container too, in ways rampart does not model
			if reads(e.Key) || noteKeys[e.Key] != "" || e.Key == "User" || e.Key == "Group" || e.Key == "DynamicUser" {
				return nil, bad(e, fmt.Errorf("%s= in [Service] applies to podman, and through it to the container; rampart reads the container's layers from [Container] and does not model that", e.Key))
			}
			if !unitfile.Known("Service", e.Key) {
				return nil, bad(e, fmt.Errorf("%s=: not a key systemd %d knows in [Service]; systemd ignores it", e.Key, unitfile.KeysVersion))
			}
			continue
		case "Unit", "Install":
			if !unitfile.Known(e.Section, e.Key) && !strings.HasPrefix(e.Key, "X-") {
				return nil, bad(e, fmt.Errorf("%s=: not a key systemd %d knows in [%s]; systemd ignores it", e.Key, unitfile.KeysVersion, e.Section))
			}
			continue
		default:
			continue
		}
		if why, ok := quadletRefused[e.Key]; ok && e.Value != "" {
			return nil, bad(e, errors.New(why))
		}
		if why, ok := quadletNoted[e.Key]; ok && e.Value != "" {
			if v, err := boolean(e); err != nil || v {
				c.notes = append(c.notes, fmt.Sprintf("%s: %s=%s %s", e.At(), e.Key, e.Value, why))
			}
			continue
		}
		if slices.Contains(quadletOther, e.Key) {
			continue
		}
		if !slices.Contains(quadletRead, e.Key) {
			return nil, bad(e, fmt.Errorf("%s=: not a key of Quadlet's [Container]; Quadlet refuses the unit", e.Key))
		}
		if strings.Contains(e.Value, "%") {
			return nil, bad(e, fmt.Errorf("%s=%s: a specifier, which systemd replaces on its host; write the value", e.Key, e.Value))
		}
		c.at[e.Key] = e
		var err error
		// An empty value clears what the key held, as Quadlet reads it.
		switch e.Key {
		case "AddCapability", "DropCapability":
			list := &c.adds
			if e.Key == "DropCapability" {
				list = &c.drops
			}
			if e.Value == "" {
				*list = nil
			}
			*list = append(*list, strings.Fields(e.Value)...)
		case "NoNewPrivileges":
			c.nnp, err = boolean(e)
		case "ReadOnly":
			c.readOnly, err = boolean(e)
		case "SeccompProfile":
			c.seccomp = e.Value
		case "User":
			c.user = e.Value
		case "Group":
			c.group = e.Value
		case "Network":
			c.network = e.Value
		case "Volume":
			if e.Value == "" {
				c.volumes = nil
			} else {
				c.volumes = append(c.volumes, e)
			}
		case "Unmask":
			c.unmaskAll = strings.EqualFold(e.Value, "ALL")
			if !c.unmaskAll && e.Value != "" {
				c.notes = append(c.notes, fmt.Sprintf("%s: Unmask=%s unmasks some of Podman's masked paths, which the audit does not model", e.At(), e.Value))
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if _, ok := c.at["Group"]; ok && c.user == "" {
		return nil, bad(c.at["Group"], errors.New("Group= without User=: Quadlet refuses the unit"))
	}
	return c, nil
}

// capabilities merges the adds and drops over Podman's defaults as
// containers/common does: drop all keeps the adds alone, add all is
// everything but the drops, a capability both added and dropped (or all
// both added and dropped) is refused by Podman, and so here.
func (c *container) capabilities() (set, added caps.Set, err error) {
	parse := func(key string, names []string) (caps.Set, bool, error) {
		var s caps.Set
		all := false
		for _, n := range names {
			if strings.EqualFold(n, "all") {
				all = true
				continue
			}
			x, perr := caps.Parse(n)
			if perr != nil {
				return 0, false, bad(c.at[key], perr)
			}
			s = s.Add(x)
		}
		return s, all, nil
	}
	adds, addAll, err := parse("AddCapability", c.adds)
	if err != nil {
		return 0, 0, err
	}
	drops, dropAll, err := parse("DropCapability", c.drops)
	if err != nil {
		return 0, 0, err
	}
	switch {
	case addAll && dropAll:
		return 0, 0, bad(c.at["AddCapability"], errors.New("all capabilities added and dropped: Podman refuses the container"))
	case dropAll:
		return adds, adds, nil
	case addAll:
		return caps.Full.Minus(drops), caps.Full.Minus(drops), nil
	}
	if both := adds.Intersect(drops); both != 0 {
		return 0, 0, bad(c.at["DropCapability"], fmt.Errorf("%s both added and dropped: Podman refuses the container", both))
	}
	return runtimes.Podman.Caps.Minus(drops).Union(adds), adds, nil
}

// ids reads User= and Group= in numbers: a name is resolved in the
// image, which rampart does not see.
func (c *container) ids() (uid, gid int, set bool, err error) {
	if c.user == "" {
		return 0, 0, false, nil
	}
	uid, err = strconv.Atoi(c.user)
	if err != nil || uid < 0 {
		return 0, 0, false, bad(c.at["User"], fmt.Errorf("%q: Podman resolves a user name in the image's /etc/passwd; write the UID", c.user))
	}
	gid = uid
	if c.group != "" {
		if gid, err = strconv.Atoi(c.group); err != nil || gid < 0 {
			return 0, 0, false, bad(c.at["Group"], fmt.Errorf("%q: Podman resolves a group name in the image's /etc/group; write the GID", c.group))
		}
	}
	return uid, gid, true, nil
}

// seccompRef is the container's filter: Podman's RuntimeDefault unless
// SeccompProfile= says otherwise.
func (c *container) seccompRef() (policy.Seccomp, error) {
	e := c.at["SeccompProfile"]
	switch {
	case c.seccomp == "":
		return policy.Seccomp{Kind: policy.SeccompRuntimeDefault, Runtime: runtimes.Podman.Name, Origin: c.file}, nil
	case c.seccomp == "unconfined":
		return policy.Seccomp{Kind: policy.SeccompUnconfined, Origin: e.At()}, nil
	case !filepath.IsAbs(c.seccomp):
		return policy.Seccomp{}, bad(e, fmt.Errorf("%q: podman reads a relative path from its working directory, not the unit's; write it absolute", c.seccomp))
	}
	return policy.Seccomp{Kind: policy.SeccompFile, Path: c.seccomp, Origin: e.At()}, nil
}

// QuadletPolicy reads a .container unit as the policy Podman gives its
// container's process, as rampart run enforces it on the host.
func QuadletPolicy(path string, body []byte) (*policy.Policy, []string, error) {
	c, err := readQuadlet(path, body)
	if err != nil {
		return nil, nil, err
	}
	set, added, err := c.capabilities()
	if err != nil {
		return nil, nil, err
	}
	p := &policy.Policy{Source: path + " (Podman Quadlet)"}
	notes := append([]string{path + ": rampart run enforces the container process's layers on the host, with Podman's defaults for what the unit does not say; the image, its root filesystem, mounts and namespaces are Podman's and not applied"}, c.notes...)
	uid, gid, hasUser, err := c.ids()
	if err != nil {
		return nil, nil, err
	}
	p.Capabilities = &policy.Capabilities{Base: set}
	if hasUser {
		p.User = &policy.User{UID: uid, GID: gid}
		// Podman raises a non-root user's added capabilities into its
		// ambient set; rampart run raises the whole set or none
		if uid != 0 && added != 0 {
			if added != set {
				return nil, nil, bad(c.at["AddCapability"], fmt.Errorf("as user %d the container keeps the added %s of its %s: rampart run raises the whole set into the ambient set or none of it, and will not run it with other capabilities than Podman gives", uid, added, set))
			}
			p.Capabilities.Ambient = true
		}
	}
	nnp := c.nnp
	p.NoNewPrivs = &nnp
	if p.Seccomp, err = c.seccompRef(); err != nil {
		return nil, nil, err
	}
	if features.HaveAppArmor() == nil {
		p.AppArmor = &policy.AppArmor{Kind: policy.AppArmorRuntimeDefault, Origin: path}
	} else {
		notes = append(notes, path+": Podman confines a container with its containers-default AppArmor profile where the kernel has AppArmor; this kernel has none, and neither has the process here")
	}
	if c.readOnly {
		notes = append(notes, path+": ReadOnly=: the container's root filesystem is read-only; the host's is not made so")
	}
	return p, notes, nil
}

// QuadletPod is a .container unit as the Pod it stands for, for audit on
// a Podman host: the capabilities merged as Podman merges them (drop
// ALL and the result added), Podman's RuntimeDefault unless
// SeccompProfile= says otherwise, the AppArmor profile left to the node,
// no_new_privs, the user, a read-only root, the host's network where
// Network=host, and bind mounts as hostPath volumes (the route to a
// runtime's socket). The ambient set (a non-root user's added
// capabilities) is returned beside it.
func QuadletPod(path string, body []byte) (pod *yaml.Node, profileDir string, ambient caps.Set, notes []string, err error) {
	c, err := readQuadlet(path, body)
	if err != nil {
		return nil, "", 0, nil, err
	}
	set, added, err := c.capabilities()
	if err != nil {
		return nil, "", 0, nil, err
	}
	uid, gid, hasUser, err := c.ids()
	if err != nil {
		return nil, "", 0, nil, err
	}
	sref, err := c.seccompRef()
	if err != nil {
		return nil, "", 0, nil, err
	}
	top := &yaml.Node{Line: c.line, Column: 1}
	pos := func(key string) *yaml.Node {
		if e, ok := c.at[key]; ok && e.File == path {
			return &yaml.Node{Line: e.Line, Column: 1}
		}
		return top
	}
	capsAt := pos("DropCapability")
	if _, ok := c.at["DropCapability"]; !ok {
		capsAt = pos("AddCapability")
	}
	var add []*yaml.Node
	for _, n := range caps.Sorted(set, caps.Cap.String) {
		add = append(add, k8syaml.Str(n, capsAt))
	}
	sc := []any{"capabilities", k8syaml.Map(capsAt, "drop", k8syaml.Seq(capsAt, k8syaml.Str("ALL", capsAt)), "add", k8syaml.Seq(capsAt, add...)),
		"allowPrivilegeEscalation", k8syaml.Bool(!c.nnp, pos("NoNewPrivileges"))}
	if hasUser {
		sc = append(sc, "runAsUser", k8syaml.Int(int64(uid), pos("User")), "runAsGroup", k8syaml.Int(int64(gid), pos("User")))
		if uid != 0 {
			ambient = added.Intersect(set)
		}
	}
	if c.readOnly {
		sc = append(sc, "readOnlyRootFilesystem", k8syaml.Bool(true, pos("ReadOnly")))
	}
	switch sref.Kind {
	case policy.SeccompUnconfined:
		sc = append(sc, "seccompProfile", k8syaml.Map(pos("SeccompProfile"), "type", k8syaml.Str("Unconfined", pos("SeccompProfile"))))
	case policy.SeccompFile:
		at := pos("SeccompProfile")
		profileDir = filepath.Dir(sref.Path)
		sc = append(sc, "seccompProfile", k8syaml.Map(at, "type", k8syaml.Str("Localhost", at), "localhostProfile", k8syaml.Str(filepath.Base(sref.Path), at)))
	default:
		sc = append(sc, "seccompProfile", k8syaml.Map(top, "type", k8syaml.Str("RuntimeDefault", top)))
	}
	if c.unmaskAll {
		sc = append(sc, "procMount", k8syaml.Str("Unmasked", pos("Unmask")))
	}
	var spec []any
	if c.network == "host" {
		spec = append(spec, "hostNetwork", k8syaml.Bool(true, pos("Network")))
	}
	var volumes, mounts []*yaml.Node
	for i, e := range c.volumes {
		parts := strings.Split(e.Value, ":")
		if len(parts) < 2 {
			continue
		}
		switch {
		case strings.HasPrefix(parts[0], "."):
			// Quadlet takes a relative source from the unit's directory:
			// a bind mount all the same
			parts[0] = filepath.Join(filepath.Dir(path), parts[0])
		case !filepath.IsAbs(parts[0]):
			continue // a named volume, not the host's files
		}
		at := &yaml.Node{Line: e.Line, Column: 1}
		name := fmt.Sprintf("volume-%d", i)
		ro := len(parts) > 2 && slices.Contains(strings.Split(parts[2], ","), "ro")
		volumes = append(volumes, k8syaml.Map(at, "name", k8syaml.Str(name, at), "hostPath", k8syaml.Map(at, "path", k8syaml.Str(parts[0], at))))
		mounts = append(mounts, k8syaml.Map(at, "name", k8syaml.Str(name, at), "mountPath", k8syaml.Str(parts[1], at), "readOnly", k8syaml.Bool(ro, at)))
	}
	ctr := []any{"name", k8syaml.Str("container", top), "image", k8syaml.Str("image", top), "securityContext", k8syaml.Map(top, sc...)}
	if len(mounts) > 0 {
		ctr = append(ctr, "volumeMounts", k8syaml.Seq(top, mounts...))
	}
	spec = append(spec, "containers", k8syaml.Seq(top, k8syaml.Map(top, ctr...)))
	if len(volumes) > 0 {
		spec = append(spec, "volumes", k8syaml.Seq(top, volumes...))
	}
	pod = k8syaml.Map(top, "apiVersion", k8syaml.Str("v1", top), "kind", k8syaml.Str("Pod", top),
		"metadata", k8syaml.Map(top, "name", k8syaml.Str(PodName(filepath.Base(path)), top)),
		"spec", k8syaml.Map(top, spec...))
	return pod, profileDir, ambient, c.notes, nil
}
