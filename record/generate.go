package record

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/harden"
	"github.com/rampart-sec/rampart/internal/atomicfile"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/seccomp"
)

// The files WritePolicy writes; the AppArmor profile's file is named
// after the profile, so that --apparmor-dir finds it by name.
const (
	PolicyFile          = "policy.json"
	SeccompFile         = "seccomp.json"
	SecurityContextFile = "securitycontext.yaml"
	SPOFile             = "spo.yaml"
	NotesFile           = "notes.txt"
)

// GenerateOptions tune Generate.
type GenerateOptions struct {
	// Name names the profiles: the AppArmor profile, the seccomp file on
	// the node, the SPO objects. Default: rampart-<command's base name>.
	Name string
	// Namespace is the SPO objects' namespace ("default" when empty).
	Namespace string
	// IoctlMax conditions ioctl on the requests seen when there were at
	// most this many distinct ones; 0 means DefaultIoctlMax, negative
	// never conditions ioctl.
	IoctlMax int
	// Dir is where the files will be written: the policy names the
	// seccomp profile there. Empty leaves the reference relative.
	Dir string
	// Check, when set, is the second judge of the AppArmor profile
	// (apparmor_parser, where installed): a profile it refuses is an
	// error, not a file a node would fail to load. Its Validation says
	// whether the parser judged.
	Check *apparmor.Checker
}

// DefaultIoctlMax is GenerateOptions.IoctlMax's default: few enough
// requests that the list is the program's, not a terminal library's.
const DefaultIoctlMax = 16

// Generated is the least privilege of a recording, for every layer and
// in every form rampart emits.
type Generated struct {
	Name string
	// Caps are what the workload adds back after dropping ALL: the
	// capabilities its granted checks used.
	Caps caps.Set
	// Seccomp is the allow-list profile, resolved and checked as
	// `rampart run` loads it.
	Seccomp *seccomp.Profile
	// AppArmor is the allow-list profile.
	AppArmor *apparmor.Document
	// Landlock is the filesystem allow list that stands in for AppArmor
	// where the kernel has none.
	Landlock []policy.FSRule
	// Policy combines capabilities, seccomp (the file at
	// Dir/SeccompFile) and the Landlock rules, for `rampart run --policy`.
	Policy *policy.Policy
	// SecurityContext is a Kubernetes container securityContext using
	// the profiles as Localhost profiles.
	SecurityContext []byte
	// SPOAbstract is the AppArmor profile in the allow-list form the
	// Security Profiles Operator's AppArmorProfile holds.
	SPOAbstract *harden.SPOAbstract
	// SPO are Security Profiles Operator SeccompProfile and
	// AppArmorProfile objects holding the profiles.
	SPO []byte
	// Notes say what was left out or widened, and why.
	Notes []string

	network []apparmor.NetworkAllow // the socket kinds, as AppArmor names them
}

// Generate turns a recording into policies that allow what it used and
// nothing else. It reads the file system only to anchor Landlock rules on
// paths that exist and to find the ELF interpreters of executed programs.
func Generate(rec *Recording, o GenerateOptions) (*Generated, error) {
	if rec == nil {
		return nil, errors.New("no recording")
	}
	name, err := profileName(cmp.Or(o.Name, rec.Name), rec.Command)
	if err != nil {
		return nil, err
	}
	g := &Generated{Name: name}
	g.capabilities(rec)
	if g.Seccomp, err = g.seccompProfile(rec, o.IoctlMax); err != nil {
		return nil, err
	}
	if g.AppArmor, err = g.apparmorProfile(rec, o.Check); err != nil {
		return nil, err
	}
	g.Landlock = g.landlockRules(rec)
	// no_new_privs makes the launcher load the filter right before
	// execve; without it runc and rampart load it before setting the
	// capabilities and the user, calls the allow list does not hold.
	nnp := true
	g.note("seccomp: the profile expects no_new_privs (allowPrivilegeEscalation: false), so that the runtime loads it right before execve")
	g.Policy = &policy.Policy{
		Source:       "recording of " + strings.Join(rec.Command, " "),
		Capabilities: &policy.Capabilities{DropAll: true, Add: g.Caps},
		NoNewPrivs:   &nnp,
		Seccomp:      policy.Seccomp{Kind: policy.SeccompFile, Path: filepath.Join(o.Dir, SeccompFile)},
		Landlock:     g.Landlock,
		Scope:        g.scopes(rec),
	}
	if u := rec.User; u != nil {
		g.Policy.User = &policy.User{UID: u.UID, GID: u.GID}
	}
	if g.SecurityContext, err = g.securityContext(rec); err != nil {
		return nil, err
	}
	g.SPOAbstract = g.spoAbstract(rec)
	if g.SPO, err = g.spo(o.Namespace); err != nil {
		return nil, err
	}
	if rec.Runs > 1 {
		g.coverage(rec)
	}
	for _, l := range rec.Limits {
		g.note("the recorder's limit: %s", l)
	}
	return g, nil
}

func (g *Generated) note(format string, a ...any) {
	g.Notes = append(g.Notes, fmt.Sprintf(format, a...))
}

var unsafeName = regexp.MustCompile(`[^a-z0-9.-]+`)

// profileName is a name both AppArmor and Kubernetes objects accept.
// CheckName says whether name can name the profiles (record --name),
// before anything is recorded.
func CheckName(name string) error {
	_, err := profileName(name, nil)
	return err
}

func profileName(name string, command []string) (string, error) {
	if name == "" {
		base := "recorded"
		if len(command) > 0 && filepath.Base(command[0]) != "." {
			base = filepath.Base(command[0])
		}
		name = strings.Trim(unsafeName.ReplaceAllString(strings.ToLower("rampart-"+base), "-"), "-.")
	}
	switch {
	case name == "" || len(name) > 253 || unsafeName.MatchString(name) || strings.Trim(name, "-.") != name:
		return "", fmt.Errorf("profile name %q: want lower-case letters, digits, '-' and '.' (a Kubernetes object name)", name)
	case name == PolicyFile || name == SeccompFile || name == SecurityContextFile || name == SPOFile || name == NotesFile || name == RecordingFile:
		return "", fmt.Errorf("profile name %q is one of the files written beside the profile", name)
	}
	return name, nil
}

// capabilities adds back what granted checks used. A check that was only
// ever denied did not stop the workload from doing what it did.
func (g *Generated) capabilities(rec *Recording) {
	var denied []string
	for _, u := range rec.Capabilities {
		c, err := caps.Parse(u.Cap)
		if err != nil {
			g.note("capability %q: %v; not added", u.Cap, err)
			continue
		}
		switch {
		case u.Granted > 0:
			g.Caps = g.Caps.Add(c)
		case u.Denied > 0:
			denied = append(denied, fmt.Sprintf("%s (%d)", c, u.Denied))
		}
	}
	if len(denied) > 0 {
		g.note("capability checks seen denied and not added (the workload did without them): %s", strings.Join(denied, ", "))
	}
}

// coverage says which syscalls not every merged run made: the merged
// profile allows them on the strength of fewer runs.
func (g *Generated) coverage(rec *Recording) {
	for _, abi := range slices.Sorted(maps.Keys(rec.Syscalls)) {
		var partial []string
		for _, name := range slices.Sorted(maps.Keys(rec.Syscalls[abi])) {
			if n := rec.RunsUsing[abi][name]; n > 0 && n < rec.Runs {
				partial = append(partial, fmt.Sprintf("%s (%d)", name, n))
			}
		}
		if len(partial) > 0 {
			g.note("%s: made in only some of the %d runs merged (runs using it): %s", abi, rec.Runs, strings.Join(partial, ", "))
		}
	}
}

// securityContext is the container securityContext: drop ALL and add
// back, the profiles as Localhost, and no privilege escalation (which
// also makes runc load the filter right before execve).
func (g *Generated) securityContext(rec *Recording) ([]byte, error) {
	seccompPath := "rampart/" + g.Name + ".json"
	sc := corev1.SecurityContext{
		Capabilities:    &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:  &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: &seccompPath},
		AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: &g.Name},
	}
	for _, n := range caps.Sorted(g.Caps, caps.Cap.String) {
		sc.Capabilities.Add = append(sc.Capabilities.Add, corev1.Capability(n))
	}
	if u := rec.User; u != nil {
		uid, gid := int64(u.UID), int64(u.GID)
		sc.RunAsUser, sc.RunAsGroup = &uid, &gid
		if u.UID != 0 {
			t := true
			sc.RunAsNonRoot = &t
		}
	}
	if g.Caps.Has(caps.SYS_ADMIN) {
		g.note("kubernetes: allowPrivilegeEscalation left unset, as the API server refuses false with SYS_ADMIN added; without no_new_privs runc loads the filter before its own capability and user setup, which the profile does not allow")
	} else {
		f := false
		sc.AllowPrivilegeEscalation = &f
	}
	b, err := json.Marshal(map[string]any{"securityContext": sc})
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := yamlv3.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	var y bytes.Buffer
	enc := yamlv3.NewEncoder(&y)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	head := fmt.Sprintf(`# The least privilege rampart recorded for %s, for the container that runs it.
# seccomp: copy %s to /var/lib/kubelet/seccomp/%s on every node (with %s
# applied instead, the Security Profiles Operator installs it as
# operator/<namespace>/%s.json: use that path).
# AppArmor: load the profile file %s on every node (rampart apparmor load, which checks the kernel then lists it), or apply %s.
`, oneLine(strings.Join(rec.Command, " ")), SeccompFile, seccompPath, SPOFile, g.Name, g.Name, SPOFile)
	return append([]byte(head), y.Bytes()...), nil
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// spo renders the profiles as Security Profiles Operator objects, the way
// `rampart harden --spo` does.
func (g *Generated) spo(ns string) ([]byte, error) {
	if ns == "" {
		ns = "default"
	}
	js, err := g.Seccomp.JSON()
	if err != nil {
		return nil, err
	}
	sec, err := harden.SPOSeccomp([]harden.SeccompProfile{{Name: g.Name, JSON: js, Namespace: ns}})
	if err != nil {
		return nil, err
	}
	aa, err := harden.SPO([]harden.Profile{{Name: g.Name, Text: g.AppArmor.Render(), Namespace: ns, Abstract: g.SPOAbstract}})
	if err != nil {
		return nil, err
	}
	return append(append(sec, "---\n"...), aa...), nil
}

// spoAbstract writes the AppArmor allow list in the operator's terms:
// executables, libraries, paths by access, TCP, UDP and raw sockets,
// capabilities. The operator has no words for other socket families nor
// for deny rules, so its profile refuses the former and lacks rampart's
// container defaults (which the allow list mostly makes moot).
func (g *Generated) spoAbstract(rec *Recording) *harden.SPOAbstract {
	a := &harden.SPOAbstract{Capabilities: caps.Sorted(g.Caps, caps.Cap.AppArmor)}
	for _, f := range rec.Files {
		if apparmor.CheckPath(f.Path) != nil {
			continue
		}
		r, w := strings.Contains(f.Mode, "r"), strings.ContainsAny(f.Mode, "wacl")
		switch {
		case strings.Contains(f.Mode, "x"):
			a.Executables = append(a.Executables, f.Path)
			if w {
				a.WriteOnly = append(a.WriteOnly, f.Path)
			}
		case r && strings.Contains(path.Base(f.Path), ".so"):
			a.Libraries = append(a.Libraries, f.Path)
		case r && w:
			a.ReadWrite = append(a.ReadWrite, f.Path)
		case r:
			a.ReadOnly = append(a.ReadOnly, f.Path)
		case w:
			a.WriteOnly = append(a.WriteOnly, f.Path)
		}
	}
	var other []string
	for _, n := range g.network {
		switch {
		case n.Type == "raw":
			a.AllowRaw = true
		case (n.Family == "inet" || n.Family == "inet6") && n.Type == "stream":
			a.AllowTCP = true
		case (n.Family == "inet" || n.Family == "inet6") && n.Type == "dgram":
			a.AllowUDP = true
		default:
			other = append(other, strings.TrimSpace(n.Family+" "+n.Type))
		}
	}
	if len(other) > 0 {
		g.note("spo: the operator's AppArmorProfile cannot allow %s sockets: under its profile they are refused (load the profile file instead where they matter)", strings.Join(other, ", "))
	}
	return a
}

// Write puts every form into dir (created if needed) and returns the
// paths written: PolicyFile, SeccompFile, the AppArmor profile (named
// after it), SecurityContextFile, SPOFile and NotesFile. The policy file
// is rampart.policy/v1, naming the seccomp profile beside it, and the
// recording when dir holds one (as `rampart record` writes it first).
func (g *Generated) Write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := *g.Policy
	p.Seccomp.Path = filepath.Join(dir, SeccompFile)
	if rec := filepath.Join(dir, RecordingFile); fileExists(rec) {
		p.Recording = rec
	}
	pol, err := policy.Encode(&p, dir)
	if err != nil {
		return nil, err
	}
	sec, err := g.Seccomp.JSON()
	if err != nil {
		return nil, err
	}
	notes := strings.Join(g.Notes, "\n")
	if notes != "" {
		notes += "\n"
	}
	var paths []string
	for _, f := range []struct {
		name string
		data []byte
	}{
		{PolicyFile, pol}, {SeccompFile, sec}, {g.Name, []byte(g.AppArmor.Render())},
		{SecurityContextFile, g.SecurityContext}, {SPOFile, g.SPO}, {NotesFile, []byte(notes)},
	} {
		p := filepath.Join(dir, f.name)
		if err := atomicfile.WriteFile(p, f.data, 0o644); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// WritePolicy generates the policy of rec with the default options and
// writes it into dir (see Generated.Write). The policy names its seccomp
// profile relative to itself, so `rampart run --policy DIR/policy.json`
// works from anywhere, and DIR can be moved.
func WritePolicy(dir string, rec *Recording) ([]string, error) {
	return writePolicy(dir, rec, nil)
}

// writePolicy is WritePolicy with the AppArmor profile judged by check
// too (see GenerateOptions.Check).
func writePolicy(dir string, rec *Recording, check *apparmor.Checker) ([]string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	g, err := Generate(rec, GenerateOptions{Dir: abs, Check: check})
	if err != nil {
		return nil, err
	}
	return g.Write(abs)
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
