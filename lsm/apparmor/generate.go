package apparmor

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
)

// Options describe a generated profile: a container profile that allows
// what it does not deny, as the seed article's flask-deny-shadow does.
type Options struct {
	// Name is the profile's name ("rampart" when empty).
	Name string
	// DenyRead and DenyWrite are AppArmor globs, used as written
	// (variables such as @{PROC} and @{HOME} included); a path ending in
	// '/' stands for the directory and everything beneath it.
	DenyRead, DenyWrite []string
	// ContainerDefault appends rampart's container defaults: rules in
	// the spirit of the container runtimes' default profiles, which keep
	// the workload from the host kernel's controls in /proc and /sys, and
	// from mounting.
	ContainerDefault bool
	// Complain generates the profile in complain mode.
	Complain bool
	// Allow, when set, makes the profile an allow list: only its rules
	// in place of the blanket `file, network, capability,`.
	Allow *AllowList
	// Includes are where the profile's includes resolve when it is
	// loaded: Generate compiles what it wrote with them. nil means
	// SystemIncludes (the bundled files stand in where the machine has
	// no /etc/apparmor.d).
	Includes *Includes
}

// AllowList is what an allow-list profile permits besides
// <abstractions/base>. Deny rules and the container defaults still
// follow it, and win.
type AllowList struct {
	Files   []FileAllow
	Network []NetworkAllow
	// Caps are capability names (any spelling: NET_RAW, net_raw).
	Caps []string
}

// FileAllow is one file rule: a glob, as for Options.DenyRead, and its
// permissions. Exec is set exactly when Perms has PermExec (ix: the
// program runs under this same profile).
type FileAllow struct {
	Path  string
	Perms Perm
	Exec  ExecMode
}

// NetworkAllow is one network rule: an address family and a socket type
// (or protocol), "" for any.
type NetworkAllow struct{ Family, Type string }

// Generate builds the profile. With DenyRead /etc/shadow and the name
// flask-deny-shadow it is the seed article's profile, line for line:
//
//	#include <tunables/global>
//
//	profile flask-deny-shadow flags=(attach_disconnected,mediate_deleted) {
//	  #include <abstractions/base>
//
//	  file,
//	  network,
//	  capability,
//
//	  deny /etc/shadow r,
//	}
//
// Generate fails closed: what it returns has been rendered, parsed back
// and compiled by rampart's own parser with o.Includes, so a profile no
// node could load (a misspelt variable in a deny path, say) is refused
// here, naming the option that caused it, rather than written.
func Generate(o Options) (*Document, error) {
	inc := SystemIncludes
	if o.Includes != nil {
		inc = *o.Includes
	}
	name := o.Name
	if name == "" {
		name = "rampart"
	}
	if strings.ContainsAny(name, "\x00\n\r") || strings.TrimSpace(name) != name {
		return nil, fmt.Errorf("profile name %q: no line breaks or surrounding blanks", name)
	}
	p := &Profile{
		Name:     name,
		Flags:    []string{"attach_disconnected", "mediate_deleted"},
		File:     name,
		Preamble: []*Rule{{Kind: KindInclude, Include: "tunables/global", Angle: true, Hash: true}},
		Space:    true,
		Rules: []*Rule{
			{Kind: KindInclude, Include: "abstractions/base", Angle: true, Hash: true},
			{Kind: KindFile, Space: true},
			{Kind: KindNetwork},
			{Kind: KindCapability},
		},
	}
	if o.Complain {
		p.Flags = append(p.Flags, "complain")
	}
	if o.Allow != nil {
		rules, err := allowRules(o.Allow, inc)
		if err != nil {
			return nil, err
		}
		p.Rules = append(p.Rules[:1], rules...)
	}
	type deny struct {
		glob  string
		perms Perm
	}
	var denies []*deny
	seen := map[string]*deny{}
	for _, l := range []struct {
		flag  string
		paths []string
		perms Perm
	}{{"deny-read", o.DenyRead, PermRead}, {"deny-write", o.DenyWrite, PermWrite}} {
		for _, path := range l.paths {
			g, err := denyGlob(path, inc)
			if err != nil {
				return nil, fmt.Errorf("--%s %q: %w", l.flag, path, err)
			}
			if d := seen[g]; d != nil {
				d.perms |= l.perms
				continue
			}
			d := &deny{g, l.perms}
			seen[g] = d
			denies = append(denies, d)
		}
	}
	for i, d := range denies {
		p.Rules = append(p.Rules, &Rule{Kind: KindFile, Deny: true, Path: d.glob, Perms: d.perms, Space: i == 0})
	}
	if o.ContainerDefault {
		tail, err := parseFragment("container-default", []byte(containerDefault()), true)
		if err != nil {
			return nil, fmt.Errorf("rampart's container defaults: %w", err) // a bug, caught by the tests
		}
		tail[0].Space = true
		p.Rules = append(p.Rules, tail...)
	}
	for _, r := range append(p.Preamble, p.Rules...) {
		r.Pos = Pos{File: name} // made, not read: render and parse for lines
	}
	d := &Document{Name: name, Profiles: []*Profile{p}}
	if err := selfCheck(d, inc, o); err != nil {
		return nil, err
	}
	return d, nil
}

// selfCheck parses the rendered profile back and compiles it as a node
// would load it: what rampart writes must be what rampart itself accepts.
// The checks on each option catch the mistakes known to slip through;
// this catches the rest, whatever the option. The error names the option
// whose value is on the line refused, where one is.
func selfCheck(d *Document, inc Includes, o Options) error {
	text := d.Render()
	err := compileText(d.Name, text, inc)
	if err == nil {
		return nil
	}
	var at string
	var e *Error
	if errors.As(err, &e) && e.Pos.File == d.Name && e.Pos.Line > 0 {
		lines := strings.Split(text, "\n")
		if e.Pos.Line <= len(lines) {
			at = lines[e.Pos.Line-1]
		}
	}
	origin := ""
	if at != "" {
		for _, l := range []struct {
			flag  string
			paths []string
		}{{"--deny-read", o.DenyRead}, {"--deny-write", o.DenyWrite}} {
			for _, p := range l.paths {
				if strings.Contains(at, strings.TrimSuffix(p, "/")) {
					origin = fmt.Sprintf(" (from %s %q)", l.flag, p)
				}
			}
		}
		if o.Allow != nil && origin == "" {
			for _, f := range o.Allow.Files {
				if strings.Contains(at, f.Path) {
					origin = fmt.Sprintf(" (from allow %q)", f.Path)
				}
			}
		}
	}
	if origin == "" && strings.Contains(err.Error(), d.Name) {
		origin = fmt.Sprintf(" (from the profile name %q)", d.Name)
	}
	return fmt.Errorf("generated AppArmor profile %s does not compile with rampart's parser%s: %w", d.Name, origin, err)
}

// selfChecked holds the verdicts of compileText in this process, by
// includes and text: harden generates one profile per container, most of
// them alike.
var selfChecked sync.Map // string -> error

// compileText parses text and compiles each profile it defines.
func compileText(name, text string, inc Includes) error {
	key := fmt.Sprintf("%q %v %q\x00%s", inc.Dirs, inc.NoBundled, name, text)
	if v, ok := selfChecked.Load(key); ok {
		err, _ := v.(error)
		return err
	}
	err := func() error {
		doc, err := ParseDocument(name, []byte(text))
		if err != nil {
			return err
		}
		for _, p := range doc.All() {
			if _, err := Compile(p, inc); err != nil {
				return err
			}
		}
		return nil
	}()
	selfChecked.Store(key, err)
	return err
}

// allowRules turns an allow list into rules, in its order.
func allowRules(a *AllowList, inc Includes) ([]*Rule, error) {
	var out []*Rule
	for _, f := range a.Files {
		if err := checkPathIn(f.Path, inc); err != nil {
			return nil, fmt.Errorf("allow %q: %w", f.Path, err)
		}
		perms := f.Perms
		if perms&PermWrite != 0 {
			perms &^= PermAppend // w already allows appending
		}
		if perms == 0 || (perms&PermExec != 0) != (f.Exec != "") || f.Exec == "x" {
			return nil, fmt.Errorf("allow %q: permissions %q: want some of r w a l k m, and an exec mode exactly with x", f.Path, formatPerms(perms, f.Exec))
		}
		out = append(out, &Rule{Kind: KindFile, Path: f.Path, Perms: perms, Exec: f.Exec})
	}
	for _, n := range a.Network {
		if err := checkNetwork(n.Family, n.Type); err != nil {
			return nil, fmt.Errorf("allow network %s %s: %w", n.Family, n.Type, err)
		}
		out = append(out, &Rule{Kind: KindNetwork, Family: n.Family, Type: n.Type})
	}
	for _, name := range a.Caps {
		c, err := caps.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("allow capability: %w", err)
		}
		out = append(out, &Rule{Kind: KindCapability, Caps: []string{c.AppArmor()}})
	}
	if len(out) > 0 {
		out[0].Space = true
	}
	return out, nil
}

// CheckPath reports whether path can be a rule's glob: absolute or
// starting with a variable (@{HOME}), on one line, a valid glob, its
// variables defined by <tunables/global> as SystemIncludes finds it.
func CheckPath(path string) error { return checkPathIn(path, SystemIncludes) }

// checkPathIn is CheckPath with the variables <tunables/global> defines
// under inc. An undefined variable is refused here, before any profile is
// written: apparmor_parser refuses the whole profile for it, so a rule
// naming @{HOEM} would leave the workload with no profile a node loads.
func checkPathIn(path string, inc Includes) error {
	if !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "@{") {
		return fmt.Errorf("want an absolute path or glob (or one starting with a variable such as @{HOME})")
	}
	if strings.ContainsAny(path, "\x00\n\r") {
		return fmt.Errorf("no line breaks")
	}
	// `\a`, `\t`, `\x73` ... are apparmor_parser's escapes for other
	// bytes: a deny rule written `/etc/sh\adow` guards a path with a BEL
	// in it and leaves /etc/shadow open.
	for i := 0; i+1 < len(path); i++ {
		if path[i] != '\\' {
			continue
		}
		if b, _, err := unescapeAt(path, i+1); err != nil || b != path[i+1] {
			return fmt.Errorf("%q is apparmor_parser's escape for another byte, not the letter %q: write the character itself", path[i:i+2], path[i+1])
		}
		i++
	}
	masked, err := maskVariables(path)
	if err != nil {
		return err
	}
	if _, err = CompileGlob(masked); err != nil {
		return err
	}
	if !strings.Contains(path, "@{") {
		return nil
	}
	vars, err := globalVariables(inc)
	if err != nil {
		return err
	}
	for _, v := range usedVariables(path) {
		if !slices.Contains(vars, v) {
			return fmt.Errorf("variable @{%s} is not defined by <tunables/global> (%s); it defines %s", v, includesWhere(inc), variableList(vars))
		}
	}
	return nil
}

// usedVariables are the names of the @{NAME} references in s (escaped
// ones left out), which maskVariables has checked are closed.
func usedVariables(s string) []string {
	var out []string
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] != '@' || s[i+1] != '{' {
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			break
		}
		out = append(out, s[i+2:i+end])
		i += end
	}
	return out
}

// globals holds globalVariables' answers, by includes.
var globals sync.Map // string -> []string

// globalVariables are the variables <tunables/global> defines under inc
// (with @{profile_name}, which apparmor_parser sets), sorted.
func globalVariables(inc Includes) ([]string, error) {
	key := fmt.Sprintf("%q %v", inc.Dirs, inc.NoBundled)
	if v, ok := globals.Load(key); ok {
		return v.([]string), nil
	}
	p := &Profile{Name: "variables", File: "variables",
		Preamble: []*Rule{{Kind: KindInclude, Include: "tunables/global", Angle: true, Hash: true, Pos: Pos{File: "variables"}}}}
	c, err := Compile(p, inc)
	if err != nil {
		return nil, fmt.Errorf("reading <tunables/global>: %w", err)
	}
	var vars []string
	for v := range c.vars {
		vars = append(vars, v)
	}
	sort.Strings(vars)
	globals.Store(key, vars)
	return vars, nil
}

func includesWhere(inc Includes) string {
	var where []string
	for _, d := range inc.Dirs {
		where = append(where, "in "+d)
	}
	if !inc.NoBundled {
		where = append(where, "rampart's bundled files standing in")
	}
	return strings.Join(where, ", ")
}

func variableList(vars []string) string {
	var out []string
	for _, v := range vars {
		if v != "profile_name" {
			out = append(out, "@{"+v+"}")
		}
	}
	return strings.Join(out, " ")
}

// denyGlob turns a --deny-read/--deny-write path into the glob of a deny
// rule.
func denyGlob(path string, inc Includes) (string, error) {
	if err := checkPathIn(path, inc); err != nil {
		return "", err
	}
	if strings.HasSuffix(path, "/") {
		path += "{,**}"
	}
	return path, nil
}

// OptionsFromPolicy turns a policy's filesystem rules into deny rules:
// deny-read PATH becomes `deny PATH r,` and `deny PATH/** r,` (the path,
// and what lies beneath it if it is a directory, as the policy's rules
// mean), deny-write and read-only PATH the same with w. Allow-list rules
// cannot be written as deny rules and are refused.
func OptionsFromPolicy(name string, p *policy.Policy) (Options, error) {
	o := Options{Name: name}
	for _, r := range p.Landlock {
		var globs []string
		switch {
		case r.Path == "/":
			globs = []string{"/{,**}"}
		case strings.HasSuffix(r.Path, "/"):
			globs = []string{QuoteGlob(r.Path) + "{,**}"}
		default:
			globs = []string{QuoteGlob(r.Path), QuoteGlob(r.Path) + "/**"}
		}
		switch r.Mode {
		case policy.DenyRead:
			o.DenyRead = append(o.DenyRead, globs...)
		case policy.DenyWrite, policy.ReadOnly:
			o.DenyWrite = append(o.DenyWrite, globs...)
		default:
			return o, fmt.Errorf("%s: allow-list rules cannot be written as an AppArmor deny profile", r)
		}
	}
	return o, nil
}

// notComponent is a glob alternation matching every path component other
// than name, and, with prefix, other than every name that starts with
// name. A component also may not start with a byte of the class exclude
// ("1-9": not a process ID).
func notComponent(name string, prefix bool, exclude string) string {
	var alts []string
	for i := 0; i < len(name); i++ {
		ex := string(name[i])
		if i == 0 {
			ex += exclude
		}
		alts = append(alts, name[:i]+"[^"+ex+"/]*")
		if i > 0 {
			alts = append(alts, name[:i])
		}
	}
	if !prefix {
		alts = append(alts, name+"?*")
	}
	return "{" + strings.Join(alts, ",") + "}"
}

// containerDefault is rampart's container-default tail. The rules are
// rampart's own, written to the intent of the default profiles container
// runtimes load (containerd's, CRI-O's, Docker's): the workload shares the
// host's kernel, so the kernel's controls in /proc and /sys stay out of
// its reach, and so does mounting.
func containerDefault() string {
	return `# Container defaults (rampart's rules, in the spirit of the runtimes'
# default profiles): a container shares the host's kernel, so the kernel's
# controls stay out of the workload's reach.
#
# Files directly in /proc act on the whole machine (sysrq-trigger, ...).
deny @{PROC}/* w,
# /proc/<pid>/ is the workload's own processes; the other directories of
# /proc (fs, irq, bus, sysvipc, ...) hold host-wide state. /proc/sys has
# its own rules below.
deny @{PROC}/` + notComponent("sys", false, "1-9") + `/** w,
# Kernel settings outside /proc/sys/kernel (vm, fs, net, ...) are the
# host's, or the runtime's to set.
deny @{PROC}/sys/` + notComponent("kernel", false, "") + `{,/**} w,
# In /proc/sys/kernel only the shm* limits belong to the container's IPC
# namespace; core_pattern, modprobe and the rest act on the host.
deny @{PROC}/sys/kernel/` + notComponent("shm", true, "") + `{,/**} w,
# sysrq-trigger reboots or crashes the host; kcore is an image of the
# host's memory (as mem and kmem were, on kernels that had them).
deny @{PROC}/sysrq-trigger rwlkx,
deny @{PROC}/{kcore,kmem,mem} rwlkx,
# The host's physical memory and I/O ports.
deny /dev/{mem,kmem,port} rwlkx,
# /sys is the host's device and kernel model: nothing in it is written,
# except the container's own cgroup files under /sys/fs/cgroup.
deny /sys/` + notComponent("fs", false, "") + `/** wlkx,
deny /sys/fs/` + notComponent("cgroup", false, "") + `/** wlkx,
# Firmware tables and EFI variables, the security modules' policy files
# (AppArmor's own among them), and the RAPL energy counters (a side channel
# into the host's computations) are not read either.
deny /sys/firmware/** rwlkx,
deny /sys/kernel/security/** rwlkx,
deny /sys/devices/virtual/powercap/** rwlkx,
# Mounting is the runtime's job: a workload that mounts or unmounts can
# uncover what the runtime masked, or reach the host's file systems.
deny mount,
deny remount,
deny umount,
deny pivot_root,
`
}
