package apparmor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/caps"
)

// Class is what an access is about.
type Class string

const (
	ClassFile       Class = "file"
	ClassNetwork    Class = "network"
	ClassCapability Class = "capability"
	ClassMount      Class = "mount"
	ClassPtrace     Class = "ptrace"
	ClassSignal     Class = "signal"
)

// Access is one request to decide: a file opened, a socket created, a
// capability used.
type Access struct {
	Class Class

	// ClassFile: the path (a directory's ends with '/'), the permissions
	// asked for (any of r w a l k m x), and whether the file's owner is the
	// task's fsuid, which `owner` rules require.
	// LinkTarget, with Perms l, asks for a hard link at Path to the
	// existing file LinkTarget; without it, l asks whether Path may be
	// made a link whatever the target.
	Path       string
	Perms      Perm
	Owner      bool
	LinkTarget string

	// ClassNetwork: the socket's family and type; "" stands for every
	// one, and the access is allowed only if all of them are. A protocol
	// (tcp, udp, icmp) stands for the family and type apparmor_parser
	// maps it to.
	Family, Type string

	// ClassCapability.
	Capability caps.Cap

	// ClassMount: Op is mount (a new filesystem of type FSType at Path),
	// umount (of Path) or pivot_root.
	Op, FSType string

	// ClassPtrace: Ptrace is PtraceRead (PTRACE_MODE_READ: another
	// task's /proc files, kcmp) or PtraceTrace (attach; process_vm_readv),
	// asked of a task labeled Peer: "unconfined", or a profile's name
	// (this profile's own for a task it confines, a child of the tracer).
	Ptrace uint32
	Peer   string

	// ClassSignal: Signal (AppArmor's name: kill, term, "exists" for
	// signal 0) sent to a task labeled Peer, as for ClassPtrace.
	Signal string
}

func (a Access) String() string {
	switch a.Class {
	case ClassFile:
		s := quotePath(a.Path) + " " + a.Perms.String()
		if a.LinkTarget != "" {
			s = "link " + quotePath(a.Path) + " -> " + quotePath(a.LinkTarget)
		}
		if a.Owner {
			s += " owner"
		}
		return s
	case ClassNetwork:
		s := "network"
		for _, w := range []string{a.Family, a.Type} {
			if w != "" {
				s += " " + w
			}
		}
		return s
	case ClassCapability:
		return "capability " + a.Capability.AppArmor()
	case ClassMount, ClassPtrace, ClassSignal:
		return a.taskString()
	}
	return "?"
}

// ParseAccess reads an access written as on the command line:
//
//	/etc/shadow r              a file and the permissions asked for
//	/etc/shadow r owner        ... of a file the task owns (or: owner /etc/shadow r)
//	/usr/bin/id x              executing a file
//	/tmp/ r                    a directory (its path ends with '/')
//	network inet raw           creating a socket: family and type (or protocol)
//	network packet             ... of every type of a family
//	capability net_raw         using a capability (any spelling: NET_RAW, CAP_NET_RAW)
//	link /tmp/l -> /etc/passwd a hard link /tmp/l made to the existing /etc/passwd
//	mount tmpfs /mnt           mounting a new filesystem of a type at a mount point
//	umount /mnt                unmounting
//	pivot_root                 pivot_root(2)
//	ptrace trace unconfined    attaching to a task of a label (read: its /proc files)
//	signal send kill unconfined sending a signal to a task of a label (exists: signal 0)
func ParseAccess(s string) (Access, error) {
	fields, err := splitAccess(s)
	if err != nil {
		return Access{}, err
	}
	var a Access
	var rest []string
	for _, f := range fields {
		if f == "owner" {
			a.Owner = true
			continue
		}
		rest = append(rest, f)
	}
	if len(rest) == 0 {
		return a, fmt.Errorf("empty access")
	}
	switch rest[0] {
	case "network":
		if a.Owner {
			return a, fmt.Errorf("access %q: owner applies to files only", s)
		}
		a.Class = ClassNetwork
		switch len(rest) {
		case 1:
		case 2:
			if isFamily(rest[1]) {
				a.Family = rest[1]
			} else {
				a.Type = rest[1]
			}
		case 3:
			a.Family, a.Type = rest[1], rest[2]
		default:
			return a, fmt.Errorf("access %q: want network [FAMILY] [TYPE]", s)
		}
		if err := checkNetwork(a.Family, a.Type); err != nil {
			return a, fmt.Errorf("access %q: %v", s, err)
		}
		return a, nil
	case "link":
		if len(rest) != 4 || rest[2] != "->" || !strings.HasPrefix(rest[1], "/") || !strings.HasPrefix(rest[3], "/") {
			return a, fmt.Errorf("access %q: want link /PATH -> /TARGET (a link at /PATH to the existing /TARGET)", s)
		}
		for _, p := range []string{rest[1], rest[3]} {
			if err := resolvedPath(p); err != nil {
				return a, fmt.Errorf("access %q: %v", s, err)
			}
		}
		a.Class, a.Path, a.LinkTarget, a.Perms = ClassFile, rest[1], rest[3], PermLink
		return a, nil
	case "mount", "umount", "pivot_root", "ptrace", "signal":
		if a.Owner {
			return a, fmt.Errorf("access %q: owner applies to files only", s)
		}
		return parseTaskAccess(s, rest)
	case "capability":
		if a.Owner {
			return a, fmt.Errorf("access %q: owner applies to files only", s)
		}
		if len(rest) != 2 {
			return a, fmt.Errorf("access %q: want capability NAME", s)
		}
		c, err := caps.Parse(rest[1])
		if err != nil {
			return a, fmt.Errorf("access %q: %v", s, err)
		}
		a.Class, a.Capability = ClassCapability, c
		return a, nil
	}
	if len(rest) != 2 {
		return a, fmt.Errorf("access %q: want PATH PERMS (/etc/shadow r), link PATH -> TARGET, network [FAMILY] [TYPE], capability NAME, mount FSTYPE PATH, umount PATH, pivot_root, ptrace read|trace PEER, or signal send SIGNAL PEER", s)
	}
	path, perms := rest[0], rest[1]
	if !strings.HasPrefix(path, "/") {
		path, perms = perms, path
	}
	if !strings.HasPrefix(path, "/") {
		return a, fmt.Errorf("access %q: a path starts with /", s)
	}
	if perms == "" || strings.Trim(perms, "rwalkmx") != "" {
		return a, fmt.Errorf("access %q: permissions are letters of r w a l k m x (the exec mode comes from the profile)", s)
	}
	if err := resolvedPath(path); err != nil {
		return a, fmt.Errorf("access %q: %v", s, err)
	}
	a.Class, a.Path = ClassFile, path
	for _, l := range permLetters {
		if strings.IndexByte(perms, l.c) >= 0 {
			a.Perms |= l.p
		}
	}
	return a, nil
}

// resolvedPath refuses a path with . or .. components: the kernel
// decides on the path resolved, so /etc/../etc/shadow must be asked as
// /etc/shadow, or a rule for /etc/** would seem to allow it where
// `deny /etc/shadow` denies it.
func resolvedPath(p string) error {
	for _, c := range strings.Split(p, "/") {
		if c == "." || c == ".." {
			return fmt.Errorf("%s has a %q component; the kernel decides on the resolved path: ask for that", p, c)
		}
	}
	return nil
}

// splitAccess splits on blanks, keeping "quoted paths" whole.
func splitAccess(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			break
		}
		if s[i] == '"' {
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("access %q: quote is not closed", s)
			}
			out = append(out, s[i+1:i+1+j])
			i += j + 2
			continue
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		out = append(out, s[i:j])
		i = j
	}
	return out, nil
}

// Decision is the outcome of an access under a profile.
type Decision struct {
	Access  Access
	Allowed bool
	Mode    Mode
	// Logged says whether the kernel writes an audit record for it.
	Logged bool
	// Rule is the rule that decided: the deny rule that denied, or an
	// allow rule that granted. It is nil when no rule matched (denied in
	// enforce mode, allowed in complain mode) or the profile is in
	// unconfined mode.
	Rule *Rule
	// Via lists the include statements that brought Rule in, the
	// profile's own first.
	Via []Pos
	// Exec and Target are the exec transition of an allowed x.
	Exec   ExecMode
	Target string
	// Reason explains the decision in words.
	Reason string
	// NotEvaluated names the rule classes of the profile that evaluation
	// does not read ("mount, dbus rules (3 rules)"), "" when there are
	// none: what they would allow or deny is not in the decision.
	NotEvaluated string
}

// Verdict is "allowed" or "denied".
func (d Decision) Verdict() string {
	if d.Allowed {
		return "allowed"
	}
	return "denied"
}

// Where is the deciding rule's position, with the includes that brought
// it in: "/etc/apparmor.d/abstractions/base:31:3 (included from p:4:3)".
func (d Decision) Where() string {
	if d.Rule == nil {
		return ""
	}
	return where(d.Rule, d.Via)
}

func where(r *Rule, via []Pos) string {
	s := r.Pos.String()
	for i := len(via) - 1; i >= 0; i-- {
		s += fmt.Sprintf(" (included from %s)", via[i])
	}
	return s
}

// Eval decides an access under a profile, with includes resolved as
// SystemIncludes does. To decide many accesses, Compile once.
func Eval(p *Profile, a Access) (Decision, error) {
	c, err := Compile(p, SystemIncludes)
	if err != nil {
		return Decision{}, err
	}
	return c.Eval(a)
}

// Compiled is a profile ready to decide accesses: includes read,
// variables expanded, globs compiled.
type Compiled struct {
	Profile *Profile
	Mode    Mode
	// AuditAll is the profile's audit flag: every access is logged.
	AuditAll bool
	// Sources lists the files includes brought in, in order.
	Sources []string
	// Entries are the rules of the parent profile by which an exec moves
	// a task into this child profile (none for a top-level profile or a
	// hat, which change_hat enters).
	Entries []Transition

	vars  map[string]*variable
	bools map[string]*Rule
	// defined are the hats and child profiles in the branches the
	// conditionals take: the ones apparmor_parser defines.
	defined map[*Profile]bool
	files   []*fileRule
	index   *fileIndex
	nets    []ruleRef
	caps    []ruleRef
	// others are the rules of classes evaluation does not read.
	others []ruleRef
}

type variable struct {
	values []string
	pos    Pos
}

type ruleRef struct {
	rule *Rule
	via  []Pos
}

type fileRule struct {
	ruleRef
	all   bool // bare `file,`
	glob  *Glob
	perms Perm // effective: w implies a, inheriting exec modes imply m
	exec  ExecMode
	// exact is the one path the glob matches, when it matches one (and
	// isExact says so): compared, not run.
	exact   string
	isExact bool
	// plain says the glob has no wildcard and no class (alternation
	// allowed): apparmor_parser lets the exec transition of such a rule
	// win over those of the globs that match the same file.
	plain bool
	// link is the l of the rule, on the link's path; linkTo, when set,
	// is the only target a link may point to (nil: any target), and
	// subset asks for the subset test.
	link   bool
	linkTo *Glob
	subset bool
	// alias is the alias rule that rewrote this copy of the rule.
	alias *Rule
}

// match takes a path with its runs of '/' folded.
func (f *fileRule) match(path string) bool {
	switch {
	case f.all:
		return true
	case f.isExact:
		return path == f.exact
	}
	return f.glob.Match(path)
}

// maxIncludeDepth bounds nested includes (and include cycles).
const maxIncludeDepth = 16

// Compile prepares a profile for evaluation: it reads the includes of
// its preamble (and of the preambles before it in its file) and of its
// body, expands variables and compiles globs. Errors name the rule's
// position. A hat or child profile compiles with its parent's file-level
// statements; one that stands in a branch of a conditional its parent
// does not take is an error, unless a sibling of the same name is
// defined, which is then the one compiled (Compiled.Profile).
func Compile(p *Profile, inc Includes) (*Compiled, error) {
	c := &Compiled{Profile: p, Mode: p.Mode(), vars: map[string]*variable{}, bools: map[string]*Rule{}, defined: map[*Profile]bool{}}
	for _, f := range p.Flags {
		if f == "audit" {
			c.AuditAll = true
		}
	}
	cc := &compiler{c: c, inc: inc}
	// A hat or child profile sees the file-level statements of the
	// profile that holds it, as apparmor_parser reads them.
	root := p.Root()
	for _, r := range append(append([]*Rule(nil), root.inherited...), root.Preamble...) {
		if err := cc.statement(r, nil, false); err != nil {
			return nil, err
		}
	}
	// Variables in a name or attachment must be defined, as
	// apparmor_parser requires; @{profile_name} is not yet, in the name.
	if strings.Contains(p.Name, "@{") {
		if _, err := c.expand(p.Name, 0); err != nil {
			return nil, &Error{Pos: p.Pos(), Msg: fmt.Sprintf("profile name %s: %v", p.Name, err)}
		}
	}
	cc.seen = nil // the profile's body includes afresh what its preamble did
	if v, ok := c.vars["profile_name"]; ok {
		return nil, &Error{Pos: v.pos, Msg: "'profile_name' is already defined: apparmor_parser sets @{profile_name} to each profile's name"}
	}
	// A child's @{profile_name} is its full name, parent//child, without
	// the namespace.
	c.vars["profile_name"] = &variable{values: []string{p.FullName()}}
	if p.Attach != "" {
		if _, err := c.expand(p.Attach, 0); err != nil {
			return nil, &Error{Pos: p.Pos(), Msg: fmt.Sprintf("attachment %s: %v", p.Attach, err)}
		}
	}
	for _, r := range p.Rules {
		if err := cc.statement(r, nil, true); err != nil {
			return nil, err
		}
	}
	c.index = newFileIndex(c.files)
	if err := execConflicts(p, c.files); err != nil {
		return nil, err
	}
	if p.Parent != nil {
		// The parent is compiled too: its exec rules are how a task
		// gets here, its conditionals decide whether the child exists,
		// and the parser refuses the file if it is wrong.
		pc, err := Compile(p.Parent, inc)
		if err != nil {
			return nil, err
		}
		if !pc.defined[p] {
			// `if $B { ^h {} } else { ^h {} }`: the name means the one
			// the parser defines.
			for k := range pc.defined {
				if k.Name == p.Name {
					return Compile(k, inc)
				}
			}
			return nil, &Error{Pos: p.Pos(), Msg: fmt.Sprintf("%s stands in a branch of a conditional that %s does not take: apparmor_parser does not define it", p.describe(), p.Parent.FullName())}
		}
		if !p.Hat {
			c.Entries = pc.entries(p)
		}
	}
	return c, nil
}

// fileIndex finds the file rules that may match a path without running
// every glob: a rule for one exact path is found by that path, the others
// by the literal prefix every path they match begins with. Candidates
// come back in rule order, which the decision's reasons depend on.
type fileIndex struct {
	exact    map[string][]int
	byPrefix map[string][]int
	lens     []int // the distinct lengths of byPrefix's keys, ascending
	all      []int // set by tests: every rule, as a linear scan sees them
}

func newFileIndex(files []*fileRule) *fileIndex {
	x := &fileIndex{exact: map[string][]int{}, byPrefix: map[string][]int{}}
	for i, fr := range files {
		p, whole := "", false // bare `file,` matches every path
		if !fr.all {
			p, whole = fr.glob.Prefix()
		}
		if whole {
			fr.exact, fr.isExact = p, true
			x.exact[p] = append(x.exact[p], i)
			continue
		}
		if _, ok := x.byPrefix[p]; !ok && !slices.Contains(x.lens, len(p)) {
			x.lens = append(x.lens, len(p))
		}
		x.byPrefix[p] = append(x.byPrefix[p], i)
	}
	slices.Sort(x.lens)
	return x
}

// candidates are the indexes of the rules that may match path, ascending.
func (x *fileIndex) candidates(path string) []int {
	if x.all != nil {
		return x.all
	}
	out := append([]int(nil), x.exact[path]...)
	for _, n := range x.lens {
		if n > len(path) {
			break
		}
		out = append(out, x.byPrefix[path[:n]]...)
	}
	slices.Sort(out)
	return out
}

type compiler struct {
	c       *Compiled
	inc     Includes
	aliases []*Rule
	// seen holds the files already included in the preamble or in the
	// body: apparmor_parser reads a file once there and skips it after,
	// which also ends include cycles.
	seen map[string]bool
	// audit and owner are the qualifiers of the blocks being read
	// (`audit owner { ... }`), which their rules and includes take.
	audit, owner bool
	// onExec holds the change_profile rules with an exec condition seen
	// so far, to find conflicting ones.
	onExec map[string]*Rule
}

// qualify gives a rule the qualifiers of the blocks around it: a copy,
// so that the rule as written stays as it is. owner only means
// something to file rules.
func (cc *compiler) qualify(r *Rule) *Rule {
	switch r.Kind {
	case KindFile, KindNetwork, KindCapability, KindOther:
	default:
		return r
	}
	owner := cc.owner && r.Kind == KindFile
	if !cc.audit && !owner {
		return r
	}
	q := *r
	q.Audit = q.Audit || cc.audit
	q.Owner = q.Owner || owner
	return &q
}

func (cc *compiler) statement(r *Rule, via []Pos, body bool) error {
	c := cc.c
	r = cc.qualify(r)
	ctx := func(err error) error {
		if len(via) > 0 {
			return fmt.Errorf("%w (included from %s)", err, via[0])
		}
		return err
	}
	switch r.Kind {
	case KindInclude:
		if len(via) >= maxIncludeDepth {
			return ctx(&Error{Pos: r.Pos, Msg: "includes nest too deep"})
		}
		srcs, err := cc.inc.resolve(r)
		if err != nil {
			return ctx(err)
		}
		inner := append(append([]Pos(nil), via...), r.Pos)
		for _, s := range srcs {
			if cc.seen[s.key] {
				continue
			}
			if cc.seen == nil {
				cc.seen = map[string]bool{}
			}
			cc.seen[s.key] = true
			c.Sources = append(c.Sources, s.name)
			rules, err := parseFragment(s.name, s.data, body)
			if err != nil {
				return ctx(err)
			}
			for _, ir := range rules {
				if err := cc.statement(ir, inner, body); err != nil {
					return err
				}
			}
		}
	case KindVariable:
		v, ok := c.vars[r.Var]
		switch {
		case r.Append && !ok:
			return ctx(&Error{Pos: r.Pos, Msg: fmt.Sprintf("@{%s} += adds to a variable never assigned", r.Var)})
		case r.Append:
			v.values = append(v.values, r.Values...)
		case ok:
			return ctx(&Error{Pos: r.Pos, Msg: fmt.Sprintf("@{%s} is assigned again (first at %s)", r.Var, v.pos)})
		default:
			c.vars[r.Var] = &variable{values: append([]string(nil), r.Values...), pos: r.Pos}
		}
	case KindABI:
		if err := cc.inc.checkABI(r); err != nil {
			return ctx(err)
		}
	case KindAlias:
		// `alias /a -> /b,` gives every file rule whose path starts with
		// /a a copy for the path rewritten to start with /b, as
		// apparmor_parser does (the original stays; a link target is not
		// rewritten).
		cc.aliases = append(cc.aliases, r)
	case KindProfile:
		// Two hats or children of one name: apparmor_parser refuses
		// the file (a task could not be told which one to enter).
		for k := range c.defined {
			if k.Name == r.Child.Name {
				return ctx(&Error{Pos: r.Pos, Msg: fmt.Sprintf("profile %s is defined twice (first at %s); apparmor_parser refuses it", r.Child.FullName(), k.Pos())})
			}
		}
		c.defined[r.Child] = true
	case KindBool:
		if first, ok := c.bools[r.Var]; ok {
			return ctx(&Error{Pos: r.Pos, Msg: fmt.Sprintf("$%s is assigned again (first at %s)", r.Var, first.Pos)})
		}
		c.bools[r.Var] = r
	case KindIf:
		// The branch the values select is compiled; the other is text.
		hold, err := c.holds(r)
		if err != nil {
			return ctx(err)
		}
		branch := r.Else
		if hold {
			branch = r.Body
		}
		for _, in := range branch {
			if err := cc.statement(in, via, body); err != nil {
				return err
			}
		}
	case KindBlock:
		audit, owner := cc.audit, cc.owner
		cc.audit, cc.owner = audit || r.Audit, owner || r.Owner
		for _, in := range r.Body {
			if err := cc.statement(in, via, body); err != nil {
				return err
			}
		}
		cc.audit, cc.owner = audit, owner
	case KindFile:
		if r.Path == "" {
			c.files = append(c.files, cc.fileRule(r, via, "", nil))
			break
		}
		expanded, err := c.expand(r.Path, 0)
		if err != nil {
			return ctx(&Error{Pos: r.Pos, Msg: err.Error()})
		}
		var linkTo *Glob
		if r.Link {
			t, err := c.expand(r.Target, 0)
			if err == nil {
				linkTo, err = CompileGlob(t)
			}
			if err != nil {
				return ctx(&Error{Pos: r.Pos, Msg: "link target: " + err.Error()})
			}
		}
		paths := []string{expanded}
		var by []*Rule
		for _, a := range cc.aliases {
			if strings.HasPrefix(expanded, a.Path) {
				paths, by = append(paths, a.Target+expanded[len(a.Path):]), append(by, a)
			}
		}
		for i, p := range paths {
			fr := cc.fileRule(r, via, p, linkTo)
			if fr.glob, err = CompileGlob(p); err != nil {
				return ctx(&Error{Pos: r.Pos, Msg: err.Error()})
			}
			if i > 0 {
				fr.alias = by[i-1]
			}
			c.files = append(c.files, fr)
		}
	case KindOther:
		// Rules rampart keeps without evaluating still must not name a
		// variable nobody assigned: apparmor_parser refuses them.
		if err := c.declared(r.Pos, r.Args...); err != nil {
			return ctx(err)
		}
		if err := cc.classRule(r, via); err != nil {
			return ctx(err)
		}
		// A kernel without AppArmor's unix mediation (Debian's, whose
		// parser pins features without it) gets unix rules compiled down
		// by apparmor_parser: an allow rule, whatever its permissions and
		// conditions, becomes `network unix [type]`; a deny rule is
		// dropped, since narrowing it would deny more than it says. The
		// lab's kernel confirms both.
		if _, ok := r.Model.(*UnixRule); ok && !r.Deny {
			c.nets = append(c.nets, ruleRef{r, via})
		}
	case KindNetwork:
		c.nets = append(c.nets, ruleRef{r, via})
	case KindCapability:
		c.caps = append(c.caps, ruleRef{r, via})
	}
	return nil
}

// holds evaluates an if's condition with the variables assigned so far,
// as apparmor_parser does while it reads: testing a boolean never
// assigned is an error, `defined` is not.
func (c *Compiled) holds(r *Rule) (bool, error) {
	cond := r.Cond
	var v bool
	switch {
	case cond.Defined && cond.Set:
		_, v = c.vars[cond.Var]
	case cond.Defined:
		_, v = c.bools[cond.Var]
	default:
		b, ok := c.bools[cond.Var]
		if !ok {
			return false, &Error{Pos: r.Pos, Msg: fmt.Sprintf("$%s is tested but never assigned before the profile (test `defined $%s` for that)", cond.Var, cond.Var)}
		}
		v = b.Bool
	}
	return v != cond.Not, nil
}

// declared checks that every @{NAME} in texts is assigned (or is
// @{profile_name}), as apparmor_parser does for every rule class:
// "Found reference to variable NAME, but is never declared". Rule
// classes call it on the words they hold.
func (c *Compiled) declared(at Pos, texts ...string) error {
	for _, s := range texts {
		for _, name := range usedVariables(s) {
			if _, ok := c.vars[name]; !ok && name != "profile_name" {
				return &Error{Pos: at, Msg: fmt.Sprintf("variable @{%s} is used but never assigned (include <tunables/global>?)", name)}
			}
		}
	}
	return nil
}

// fileRule prepares a file rule for the expanded glob pattern ("" for
// bare `file,`) with the effective permissions the kernel gets.
func (cc *compiler) fileRule(r *Rule, via []Pos, pattern string, linkTo *Glob) *fileRule {
	fr := &fileRule{ruleRef: ruleRef{r, via}, exec: r.Exec, perms: r.Perms, plain: pattern != "" && !hasWildcard(pattern)}
	if r.Path == "" {
		fr.all = true
		fr.perms = PermRead | PermWrite | PermAppend | PermLink | PermLock | PermMmap | PermExec
		fr.exec = "ix"
	}
	if fr.perms&PermWrite != 0 {
		fr.perms |= PermAppend
	}
	if fr.perms&PermLink != 0 {
		// l is decided on the link and its target together: a rule
		// that names its target (link PATH -> TARGET, l PATH -> TARGET)
		// allows that target only, and without the subset test unless
		// it says subset; any other l allows every target, with the
		// subset test (a trailing `PATH l -> TARGET` too: apparmor_parser
		// ignores that target).
		fr.link, fr.subset = true, !r.Link || r.Subset
		fr.linkTo = linkTo
		if r.Link {
			fr.perms &^= PermLink
		}
	}
	if !r.Deny && fr.exec.Inherits() {
		fr.perms |= PermMmap
	}
	return fr
}

// maxExpansion bounds what variables may expand to.
const maxExpansion = 1 << 20

// expand replaces the variables in a glob with their values, as
// apparmor_parser does: one value in place, several as {a,b}; a value
// followed by '/' loses its trailing slashes.
func (c *Compiled) expand(s string, depth int) (string, error) {
	if depth > maxIncludeDepth {
		return "", fmt.Errorf("variables refer to each other too deeply (a cycle?)")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == '\\' && i+1 < len(s) {
			b.WriteByte(ch)
			b.WriteByte(s[i+1])
			i++
			continue
		}
		if ch != '@' || i+1 >= len(s) || s[i+1] != '{' {
			b.WriteByte(ch)
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("variable in %q is not closed with }", s)
		}
		name := s[i+2 : i+end]
		v, ok := c.vars[name]
		if !ok {
			return "", fmt.Errorf("variable @{%s} is used but never assigned (include <tunables/global>?)", name)
		}
		next := i + end + 1
		vals := make([]string, 0, len(v.values))
		for _, raw := range v.values {
			e, err := c.expand(raw, depth+1)
			if err != nil {
				return "", err
			}
			if next < len(s) && s[next] == '/' {
				e = strings.TrimRight(e, "/")
			}
			vals = append(vals, e)
		}
		if len(vals) == 1 {
			b.WriteString(vals[0])
		} else {
			b.WriteByte('{')
			for k, v := range vals {
				if k > 0 {
					b.WriteByte(',')
				}
				b.WriteString(escapeTopCommas(v))
			}
			b.WriteByte('}')
		}
		if b.Len() > maxExpansion {
			return "", fmt.Errorf("variables expand to more than %d bytes", maxExpansion)
		}
		i = next - 1
	}
	return b.String(), nil
}

// escapeTopCommas escapes commas outside braces and classes, so that a
// value stays one alternative.
func escapeTopCommas(s string) string {
	if !strings.Contains(s, ",") {
		return s
	}
	var b strings.Builder
	depth, class := 0, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\' && i+1 < len(s):
			b.WriteByte(ch)
			i++
			ch = s[i]
		case class:
			class = ch != ']'
		case ch == '[':
			class = true
		case ch == '{':
			depth++
		case ch == '}':
			depth--
		case ch == ',' && depth == 0:
			b.WriteByte('\\')
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// Eval decides one access.
func (c *Compiled) Eval(a Access) (Decision, error) {
	var d Decision
	var err error
	switch a.Class {
	case ClassFile:
		d, err = c.evalFile(a)
	case ClassNetwork:
		d = c.evalNetwork(a)
	case ClassCapability:
		d = c.evalCapability(a)
	case ClassMount:
		d, err = c.evalMount(a)
	case ClassPtrace:
		d, err = c.evalPtrace(a)
	case ClassSignal:
		d, err = c.evalSignal(a)
	default:
		return Decision{}, fmt.Errorf("access class %q is not evaluated", a.Class)
	}
	d.NotEvaluated = c.NotEvaluated()
	return d, err
}

// tally is what the matching rules say about the requested permissions,
// as the kernel computes it.
type tally struct {
	req, allow, deny, quiet, audit Perm
}

// count adds what rule r says of bits: allowed or denied, audited, and
// for a deny rule quiet unless marked audit.
func (t *tally) count(r *Rule, bits Perm) {
	if r.Deny {
		t.deny |= bits
		if !r.Audit {
			t.quiet |= bits
		}
		return
	}
	t.allow |= bits
	if r.Audit {
		t.audit |= bits
	}
}

// settle applies the profile mode to a tally, the way the kernel does:
// what is not allowed, or is denied, is refused; deny rules are quiet
// unless marked audit; complain mode lets refused accesses through and
// logs them, except the ones a quiet deny rule refuses (those stay
// denied, unlogged, as in enforce mode).
func (c *Compiled) settle(d *Decision, t tally) (denied Perm, quietDeny bool) {
	d.Mode = c.Mode
	denied = t.req &^ (t.allow &^ t.deny)
	if c.Mode == Unconfined {
		d.Allowed = true
		return denied, false
	}
	if denied == 0 {
		d.Allowed = true
		d.Logged = c.AuditAll || t.req&t.audit != 0
		return 0, false
	}
	loud := denied &^ t.quiet
	if c.AuditAll {
		loud = denied
	}
	switch c.Mode {
	case Complain:
		d.Allowed = loud != 0
		d.Logged = loud != 0
	default:
		d.Logged = loud != 0
	}
	return denied, loud == 0
}

func (c *Compiled) evalFile(a Access) (Decision, error) {
	if a.LinkTarget != "" {
		return c.evalLink(a), nil
	}
	d := Decision{Access: a}
	path := foldSlashes(a.Path)
	t := tally{req: a.Perms}
	var allowBy, denyBy, ownerOnly, execCands, execApply []*fileRule
	for _, i := range c.index.candidates(path) {
		fr := c.files[i]
		if !fr.match(path) {
			continue
		}
		r := fr.rule
		if a.Perms&PermExec != 0 && !r.Deny && fr.exec != "" {
			execCands = append(execCands, fr)
		}
		if r.Owner && !a.Owner {
			if !r.Deny && fr.perms&a.Perms != 0 {
				ownerOnly = append(ownerOnly, fr)
			}
			continue
		}
		if r.Other && a.Owner { // other rules cover only files the task does not own
			continue
		}
		t.count(r, fr.perms)
		if r.Deny {
			if fr.perms&a.Perms != 0 {
				denyBy = append(denyBy, fr)
			}
			continue
		}
		if fr.perms&a.Perms != 0 {
			allowBy = append(allowBy, fr)
		}
		if a.Perms&PermExec != 0 && fr.exec != "" {
			execApply = append(execApply, fr)
		}
	}
	if len(execCands) > 0 {
		if err := execConflict(path, execCands); err != nil {
			return d, err
		}
	}
	denied, quiet := c.settle(&d, t)
	var why []string
	switch {
	case c.Mode == Unconfined:
		why = append(why, "the profile is in unconfined mode: nothing is mediated")
	case denied == 0:
		d.Rule, d.Via = pickAllow(allowBy, a.Perms)
		if grantsAll(allowBy, a.Perms) {
			why = append(why, fmt.Sprintf("the rule grants %s and no deny rule covers it", a.Perms))
		} else {
			why = append(why, fmt.Sprintf("no single rule grants %s: %s; no deny rule covers it", a.Perms, grants(allowBy, a.Perms)))
		}
	case denied&t.deny != 0:
		fr := firstCovering(denyBy, denied)
		d.Rule, d.Via = fr.rule, fr.via
		s := fmt.Sprintf("the deny rule covers %s, and deny rules win over allow rules", denied&t.deny)
		if ok := firstCovering(allowBy, denied&t.deny); ok != nil {
			s += fmt.Sprintf(" (%s at %s allows it)", ok.rule, where(ok.rule, ok.via))
		}
		why = append(why, s)
	default:
		s := fmt.Sprintf("no rule allows %s on %s, and what a profile does not allow is denied", denied, a.Path)
		if rest := a.Perms &^ denied; rest != 0 && len(allowBy) > 0 {
			s += fmt.Sprintf(" (%s: %s)", rest, grants(allowBy, rest))
		}
		why = append(why, s)
		if len(ownerOnly) > 0 {
			why = append(why, fmt.Sprintf("%s (%s) applies only to files the task owns (add owner to the access)", ownerOnly[0].rule, where(ownerOnly[0].rule, ownerOnly[0].via)))
		}
	}
	if note := modeNote(d, quiet, c.Mode); note != "" {
		why = append(why, note)
	}
	if d.Allowed && a.Perms&PermExec != 0 && c.Mode != Unconfined && len(execApply) > 0 {
		w := execWinner(execApply)
		d.Exec, d.Target = w.exec, w.rule.Target
		if w.perms&a.Perms == a.Perms {
			// the rule whose transition runs is the one that decided
			d.Rule, d.Via = w.rule, w.via
		}
		s := "exec " + w.exec.Describe()
		if w.rule.Target != "" {
			s += " (profile " + execTarget(c.Profile, w.exec, w.rule.Target) + ")"
		}
		why = append(why, s)
	}
	d.Reason = strings.Join(why, "; ")
	return d, nil
}

// grantsAll reports whether one rule grants all of req.
func grantsAll(rs []*fileRule, req Perm) bool {
	for _, r := range rs {
		if r.perms&req == req {
			return true
		}
	}
	return false
}

// modeNote says what the profile's mode and audit flags did.
func modeNote(d Decision, quiet bool, m Mode) string {
	switch {
	case m == Unconfined:
		return ""
	case d.Allowed && m == Complain && (d.Rule == nil || d.Rule.Deny):
		return "allowed anyway: the profile is in complain mode, which lets through what it would deny and logs it as ALLOWED"
	case d.Allowed && d.Logged:
		return "logged (audit)"
	case d.Allowed:
		return ""
	case m == Complain:
		return "complain mode does not let it through: an explicit deny rule without audit denies quietly in every mode"
	case m == Kill && !quiet:
		return "the profile is in kill mode: the task is killed as well"
	case !d.Logged:
		return "not logged: deny rules are quiet unless marked audit"
	}
	return "logged as DENIED"
}

func firstCovering(rs []*fileRule, p Perm) *fileRule {
	for _, r := range rs {
		if r.perms&p != 0 {
			return r
		}
	}
	return nil
}

// pickAllow prefers a rule that grants every requested permission.
func pickAllow(rs []*fileRule, req Perm) (*Rule, []Pos) {
	for _, r := range rs {
		if r.perms&req == req {
			return r.rule, r.via
		}
	}
	if len(rs) > 0 {
		return rs[0].rule, rs[0].via
	}
	return nil, nil
}

// grants names the rules granting req: one that grants it all, else the
// first rule for each permission.
func grants(rs []*fileRule, req Perm) string {
	for _, r := range rs {
		if r.perms&req == req {
			return fmt.Sprintf("%s (%s)", r.rule, where(r.rule, r.via))
		}
	}
	var parts []string
	for _, l := range permLetters {
		if req&l.p == 0 {
			continue
		}
		if r := firstCovering(rs, l.p); r != nil {
			parts = append(parts, fmt.Sprintf("%c by %s (%s)", l.c, r.rule, where(r.rule, r.via)))
		}
	}
	return strings.Join(parts, ", ")
}

// execConflict applies apparmor_parser's rule for exec transitions: rules
// with a literal path win over globs; the remaining ones must agree, or
// the profile does not compile.
func execConflict(path string, cands []*fileRule) error {
	w := execWinners(cands)
	for _, o := range w[1:] {
		if o.exec != w[0].exec || o.rule.Target != w[0].rule.Target {
			return &Error{Pos: o.rule.Pos, Msg: fmt.Sprintf("%s and %s (%s) give %s conflicting exec transitions; apparmor_parser refuses the profile (\"conflicting x modifiers\")",
				o.rule, w[0].rule, where(w[0].rule, w[0].via), path)}
		}
	}
	return nil
}

func execWinners(cands []*fileRule) []*fileRule {
	var lit []*fileRule
	for _, c := range cands {
		if c.plain {
			lit = append(lit, c)
		}
	}
	if len(lit) > 0 {
		return lit
	}
	return cands
}

func execWinner(cands []*fileRule) *fileRule { return execWinners(cands)[0] }

// netCovers reports whether a network rule covers a socket of family fam
// and type typ.
func netCovers(r *Rule, fam, typ string) bool {
	if u, ok := r.Model.(*UnixRule); ok { // compiled down to network unix [type]
		return fam == "unix" && (u.Type == "" || u.Type == typ)
	}
	if p, ok := netProtocols[r.Type]; ok {
		if typ != p.typ || !contains(p.families, fam) {
			return false
		}
		return r.Family == "" || r.Family == fam
	}
	return (r.Family == "" || r.Family == fam) && (r.Type == "" || r.Type == typ)
}

// sockets lists the (family, type) pairs an access stands for.
func sockets(a Access) [][2]string {
	fams, types := netFamilies, netTypes
	if a.Family != "" {
		fams = []string{a.Family}
	}
	if p, ok := netProtocols[a.Type]; ok {
		types = []string{p.typ}
		if a.Family == "" {
			fams = p.families
		}
	} else if a.Type != "" {
		types = []string{a.Type}
	}
	var out [][2]string
	for _, f := range fams {
		for _, t := range types {
			out = append(out, [2]string{f, t})
		}
	}
	return out
}

func (c *Compiled) evalNetwork(a Access) Decision {
	socks := sockets(a)
	var first Decision
	for i, s := range socks {
		d := c.evalOne(a, c.nets, func(r *Rule) bool { return netCovers(r, s[0], s[1]) },
			fmt.Sprintf("network %s %s", s[0], s[1]))
		if !d.Allowed {
			if len(socks) > 1 {
				d.Reason = fmt.Sprintf("%s stands for %d family and type pairs, and not all are allowed: ", a, len(socks)) + d.Reason
			}
			return d
		}
		if i == 0 {
			first = d
		}
		first.Logged = first.Logged || d.Logged
	}
	if len(socks) > 1 && c.Mode != Unconfined {
		first.Reason = fmt.Sprintf("rules allow all %d family and type pairs %s stands for, and no deny rule covers one", len(socks), a)
		if note := modeNote(first, false, c.Mode); note != "" {
			first.Reason += "; " + note
		}
	}
	first.Reason += c.unixNote(a, first)
	return first
}

// unixNote says how unix rules took part in a decision on unix sockets:
// apparmor_parser compiles them down to network rules for a kernel
// without AppArmor's unix mediation, which is what rampart assumes.
func (c *Compiled) unixNote(a Access, d Decision) string {
	if a.Family != "" && a.Family != "unix" {
		return ""
	}
	var note string
	if d.Rule != nil {
		if _, ok := d.Rule.Model.(*UnixRule); ok {
			note = "; a unix rule allows creating the socket whatever its permissions and conditions: apparmor_parser compiles it to `network unix` for a kernel without AppArmor's unix mediation (Debian's; Ubuntu's kernels mediate unix sockets finer)"
		}
	}
	for _, o := range c.others {
		if u, ok := o.rule.Model.(*UnixRule); ok && o.rule.Deny && (a.Type == "" || u.Type == "" || u.Type == a.Type) {
			note += fmt.Sprintf("; %s at %s is not enforced: apparmor_parser drops deny unix rules for a kernel without AppArmor's unix mediation", o.rule, where(o.rule, o.via))
			break
		}
	}
	return note
}

func (c *Compiled) evalCapability(a Access) Decision {
	name := a.Capability.AppArmor()
	d := c.evalOne(a, c.caps, func(r *Rule) bool { return len(r.Caps) == 0 || contains(r.Caps, name) }, "capability "+name)
	if d.Allowed && c.Mode != Unconfined {
		d.Reason += fmt.Sprintf("; the task still needs %s in its effective set: AppArmor only restricts", a.Capability.OCI())
	}
	return d
}

// evalOne decides a one-permission access (a socket, a capability).
func (c *Compiled) evalOne(a Access, rules []ruleRef, covers func(*Rule) bool, subject string) Decision {
	d := Decision{Access: a}
	const bit = Perm(1)
	t := tally{req: bit}
	var allowBy, denyBy []ruleRef
	for _, rr := range rules {
		if !covers(rr.rule) {
			continue
		}
		t.count(rr.rule, bit)
		if rr.rule.Deny {
			denyBy = append(denyBy, rr)
		} else {
			allowBy = append(allowBy, rr)
		}
	}
	_, quiet := c.settle(&d, t)
	var why []string
	switch {
	case c.Mode == Unconfined:
		why = append(why, "the profile is in unconfined mode: nothing is mediated")
	case len(denyBy) > 0:
		d.Rule, d.Via = denyBy[0].rule, denyBy[0].via
		s := fmt.Sprintf("the deny rule covers %s, and deny rules win over allow rules", subject)
		if len(allowBy) > 0 {
			s += fmt.Sprintf(" (%s at %s allows it)", allowBy[0].rule, where(allowBy[0].rule, allowBy[0].via))
		}
		why = append(why, s)
	case len(allowBy) > 0:
		d.Rule, d.Via = allowBy[0].rule, allowBy[0].via
		why = append(why, fmt.Sprintf("the rule allows %s and no deny rule covers it", subject))
	default:
		why = append(why, fmt.Sprintf("no rule allows %s, and what a profile does not allow is denied", subject))
	}
	if note := modeNote(d, quiet, c.Mode); note != "" {
		why = append(why, note)
	}
	d.Reason = strings.Join(why, "; ")
	return d
}
