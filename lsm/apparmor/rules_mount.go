package apparmor

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// mountOpt is what a mount option asks of mount(2): a command (remount,
// bind, move, a propagation change) or a flag of a new mount.
type mountOpt int

const (
	optFlag mountOpt = iota
	optRemount
	optBind
	optMove
	optPropagation
	// optNone is norelatime, which apparmor_parser accepts but encodes as
	// no flag at all.
	optNone
)

// mountOptions are the options apparmor_parser 3.0.8 knows, as spelt.
var mountOptions = map[string]mountOpt{
	"ro": optFlag, "r": optFlag, "read-only": optFlag, "rw": optFlag, "w": optFlag,
	"suid": optFlag, "nosuid": optFlag, "dev": optFlag, "nodev": optFlag, "exec": optFlag, "noexec": optFlag,
	"sync": optFlag, "async": optFlag, "mand": optFlag, "nomand": optFlag, "dirsync": optFlag,
	"atime": optFlag, "noatime": optFlag, "diratime": optFlag, "nodiratime": optFlag,
	"verbose": optFlag, "silent": optFlag, "loud": optFlag, "acl": optFlag, "noacl": optFlag,
	"relatime": optFlag, "norelatime": optNone, "iversion": optFlag, "noiversion": optFlag,
	"strictatime": optFlag, "user": optFlag, "nouser": optFlag,
	"remount": optRemount,
	"bind":    optBind, "B": optBind, "rbind": optBind, "R": optBind,
	"move": optMove, "M": optMove,
	"unbindable": optPropagation, "make-unbindable": optPropagation, "runbindable": optPropagation, "make-runbindable": optPropagation,
	"private": optPropagation, "make-private": optPropagation, "rprivate": optPropagation, "make-rprivate": optPropagation,
	"slave": optPropagation, "make-slave": optPropagation, "rslave": optPropagation, "make-rslave": optPropagation,
	"shared": optPropagation, "make-shared": optPropagation, "rshared": optPropagation, "make-rshared": optPropagation,
}

// MountRule is `mount [options=(...)] [options in (...)] [fstype=(...)]
// [fstype in (...)] [SOURCE] [-> MOUNTPOINT]`, and `umount` and `remount`
// with the conditionals and a MOUNTPOINT. Values other than options are
// patterns.
type MountRule struct {
	Op string // mount, umount, remount
	// Options must all be set (options=); OptionsIn may be set (options in).
	Options, OptionsIn []string
	// FSTypes: the filesystem type is one of them (fstype= or in).
	FSTypes, FSTypesIn []string
	// Source is mount's device or directory, when HasSource (it may be
	// ""); none is any.
	HasSource bool
	Source    string
	// HasTarget says a mount point was written: Target, after -> for
	// mount, the one value of umount and remount; none is any.
	HasTarget bool
	Target    string
}

func (m *MountRule) Class() string { return "mount" }

func (m *MountRule) String() string {
	var b strings.Builder
	if len(m.Options) > 0 {
		b.WriteString(" " + condEq("options", m.Options))
	}
	if len(m.OptionsIn) > 0 {
		b.WriteString(" options in " + condList(m.OptionsIn))
	}
	if len(m.FSTypes) > 0 {
		b.WriteString(" " + condEq("fstype", m.FSTypes))
	}
	if len(m.FSTypesIn) > 0 {
		b.WriteString(" fstype in " + condList(m.FSTypesIn))
	}
	if m.Op == "mount" {
		if m.HasSource {
			b.WriteString(" " + condSingle(m.Source))
		}
		if m.HasTarget {
			b.WriteString(" -> " + condSingle(m.Target))
		}
	} else if m.HasTarget {
		b.WriteString(" " + condSingle(m.Target))
	}
	return b.String()
}

func (m *MountRule) patterns() []string {
	return append(append(append([]string(nil), m.FSTypes...), m.FSTypesIn...), nonEmpty(m.Source, m.Target)...)
}

// positional reads a source, mount point or profile: one word that is
// not ->, and not empty.
func (c *rscan) positional(what string) (string, error) {
	at := c.i
	raw := c.raw("")
	if strings.HasPrefix(raw, "=") || strings.HasPrefix(raw, "(") || raw == "->" {
		return "", c.errf(at, "unexpected %q where %s goes", raw, what)
	}
	v, err := c.value(raw, at)
	if err != nil {
		return "", err
	}
	if v == "" && raw == "" {
		return "", c.errf(at, "%s expected", what)
	}
	return v, c.checkGlob(v, at)
}

func (c *rscan) arrowAhead() bool {
	return c.peekRaw("") == "->"
}

func parseMount(op string, kw word, ws []word) (ClassRule, error) {
	c := newRScan(kw, ws)
	m := &MountRule{Op: op}
	for c.condAhead() {
		cd, err := c.cond(false)
		if err != nil {
			return nil, err
		}
		if cd.list && cd.empty {
			return nil, c.errf(cd.at, "%s names no value", cd.name)
		}
		switch cd.name {
		case "options", "option":
			for _, o := range cd.vals {
				if _, ok := mountOptions[o]; !ok {
					return nil, c.errf(cd.at, "unsupported mount option %q", o)
				}
			}
			if cd.in {
				m.OptionsIn = append(m.OptionsIn, cd.vals...)
			} else {
				m.Options = append(m.Options, cd.vals...)
			}
		case "fstype", "vfstype":
			for _, v := range cd.vals {
				if err := c.checkGlob(v, cd.at); err != nil {
					return nil, err
				}
			}
			if cd.in {
				m.FSTypesIn = append(m.FSTypesIn, cd.vals...)
			} else {
				m.FSTypes = append(m.FSTypes, cd.vals...)
			}
		default:
			return nil, c.errf(cd.at, "invalid mount conditional %q (options, fstype)", cd.name)
		}
	}
	var err error
	if !c.eof() && !c.arrowAhead() {
		v, err := c.positional("a path")
		if err != nil {
			return nil, err
		}
		if op == "mount" {
			m.HasSource, m.Source = true, v
		} else {
			m.HasTarget, m.Target = true, v
		}
	}
	if op == "mount" && c.arrowAhead() {
		c.raw("")
		if c.condAhead() {
			return nil, c.errf(c.i, "mount point conditionals are not supported by apparmor_parser")
		}
		if c.eof() {
			return nil, c.errf(c.i, "-> needs a mount point")
		}
		if m.Target, err = c.positional("a mount point"); err != nil {
			return nil, err
		}
		m.HasTarget = true
	}
	if err := c.rest(op); err != nil {
		return nil, err
	}
	return m, m.check(c)
}

// check refuses the rules apparmor_parser cannot encode: options that ask
// only for commands none of which applies to the rule as written (a
// propagation change or a remount names no source, and no command takes
// a filesystem type), as it would allow nothing.
func (m *MountRule) check(c *rscan) error {
	if m.Op == "umount" {
		return nil
	}
	kinds := map[mountOpt]bool{}
	for _, o := range append(append([]string(nil), m.Options...), m.OptionsIn...) {
		kinds[mountOptions[o]] = true
	}
	if m.Op == "remount" {
		kinds[optRemount] = true
	}
	delete(kinds, optNone)
	if len(kinds) == 0 || kinds[optFlag] {
		return nil // a new mount, with any flags or those named
	}
	fstype := len(m.FSTypes)+len(m.FSTypesIn) > 0
	switch {
	case kinds[optRemount] && !m.HasSource && !fstype,
		kinds[optBind] && !fstype,
		kinds[optPropagation] && !m.HasSource && !fstype,
		kinds[optMove] && !fstype:
		return nil
	}
	var names []string
	for o := range kinds {
		names = append(names, map[mountOpt]string{optRemount: "remount", optBind: "bind", optMove: "move", optPropagation: "a propagation change"}[o])
	}
	sort.Strings(names)
	return c.ruleErrf("%s rule cannot be encoded: its options name only commands (%s), and none applies: bind and move take no filesystem type, remount and propagation changes neither a source nor a filesystem type",
		m.Op, strings.Join(names, ", "))
}

// PivotRootRule is `pivot_root [oldroot=PATH] [NEWROOT] [-> PROFILE]`.
type PivotRootRule struct {
	OldRoot []string // where the old root goes; none is anywhere
	NewRoot string
	// HasProfile says -> was written: the task changes to Profile (which
	// may be "").
	HasProfile bool
	Profile    string
}

func (*PivotRootRule) Class() string { return "pivot_root" }

func (p *PivotRootRule) String() string {
	out := ""
	if len(p.OldRoot) > 0 {
		out += " " + condEq("oldroot", p.OldRoot)
	}
	if p.NewRoot != "" {
		if loneVariable(p.NewRoot) {
			out += " " + quote(p.NewRoot) // as written: unquoted, the parser refuses it
		} else {
			out += " " + condSingle(p.NewRoot)
		}
	}
	if p.HasProfile {
		out += " -> " + condSingle(p.Profile)
	}
	return out
}

func (p *PivotRootRule) patterns() []string {
	return append(append([]string(nil), p.OldRoot...), nonEmpty(p.NewRoot)...) // the profile is a name, not expanded
}

func parsePivotRoot(kw word, ws []word) (ClassRule, error) {
	c := newRScan(kw, ws)
	p := &PivotRootRule{}
	for c.condAhead() {
		cd, err := c.cond(false)
		if err != nil {
			return nil, err
		}
		if cd.name != "oldroot" {
			return nil, c.errf(cd.at, "invalid pivot_root conditional %q (oldroot)", cd.name)
		}
		if cd.list && cd.empty {
			return nil, c.errf(cd.at, "oldroot names no path")
		}
		for _, v := range cd.vals {
			if v == "" {
				return nil, c.errf(cd.at, "oldroot= needs a value")
			}
			if err := c.checkGlob(v, cd.at); err != nil {
				return nil, err
			}
		}
		p.OldRoot = append(p.OldRoot, cd.vals...)
	}
	var err error
	if !c.eof() && !c.arrowAhead() {
		at := c.i
		if t := c.peekRaw(""); loneVariable(t) {
			// apparmor_parser's grammar takes no lone variable here.
			return nil, c.errf(at, "pivot_root: the new root cannot be a variable alone (%s); write it as a path", t)
		} else if pivotRootKeywords[t] || modeWord().MatchString(t) {
			// The parser lexes the new root as in a profile's body: a
			// keyword or a permission word is no path there.
			return nil, c.errf(at, "pivot_root: %q is a keyword or permissions, not a new root; write it as a path", t)
		}
		if p.NewRoot, err = c.positional("a path"); err != nil {
			return nil, err
		}
		if p.NewRoot == "" {
			return nil, c.errf(at, "an empty path")
		}
	}
	if c.arrowAhead() {
		c.raw("")
		if c.eof() {
			return nil, c.errf(c.i, "-> needs a profile name")
		}
		// What follows -> is read as a name, not a pattern: `(`, `=`
		// and `->` too.
		at := c.i
		if p.Profile, err = c.value(c.raw(""), at); err != nil {
			return nil, err
		}
		p.HasProfile = true
	}
	return p, c.rest("pivot_root")
}

// pivotRootKeywords are the words apparmor_parser 3.0.8 lexes as a
// keyword where pivot_root's new root stands, and so refuses there
// (pivot_root deny, is a syntax error; quiet, kill and exists are paths).
var pivotRootKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`abi alias allow audit bind capability change_profile dbus defined deny
		eavesdrop else file hat if in link mount network not owner peer pivot_root profile ptrace
		read readby receive remount rlimit safe send set signal subset trace tracedby umount unix
		unmount unsafe user write`) {
		m[k] = true
	}
	return m
}()

// modeWord matches a word apparmor_parser's lexer takes for permissions
// in a body: r w a l k m x (R W L M X), and the exec modes px, cx, ix,
// ux, pix, pux ... in any case, repeated (all, rwlkm, pxix).
var modeWord = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([rRwWalLkmMxX]|[pPcC][iIuU]?[xX]|[iIuU][xX])+$`)
})

// loneVariable reports whether s is one @{VARIABLE} and nothing else.
func loneVariable(s string) bool {
	return strings.HasPrefix(s, "@{") && strings.IndexByte(s, '}') == len(s)-1
}
