package apparmor

import (
	"errors"
	"fmt"
	"strings"
)

// Pos is a place in a policy file: 1-based line, and column in bytes.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// ErrUnsupported marks valid AppArmor that rampart's model does not
// handle (hats, child profiles, qualifier blocks, conditionals, alias
// rewriting): errors.Is(err, ErrUnsupported).
var ErrUnsupported = errors.New("not supported by rampart's AppArmor model")

// Error is a syntax or semantic error at a position in a policy file.
type Error struct {
	Pos Pos
	Msg string
	// Unsupported is set when the input is valid AppArmor that rampart
	// does not model.
	Unsupported bool
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Is makes errors.Is(err, ErrUnsupported) true for unsupported input.
func (e *Error) Is(target error) bool { return target == ErrUnsupported && e.Unsupported }

// Document is a parsed policy file: profiles with the file-level
// statements (preamble) written before each.
type Document struct {
	Name     string
	Profiles []*Profile
	// Trailer holds file-level statements after the last profile (or all
	// of them, in a file without profiles).
	Trailer []*Rule
	// EndComments are comment lines after everything else.
	EndComments []string
}

// Profile is one profile block: a profile at the top of a file, or a
// hat or child profile in another profile's body.
type Profile struct {
	Name   string
	Attach string   // attachment glob, if written apart from the name
	Flags  []string // as written: attach_disconnected, complain, ...
	File   string   // the file it was read from
	Line   int
	Col    int

	// Namespace is the policy namespace a top-level profile is loaded
	// into (`:ns:name`, `:ns://name`); "" is the current one.
	Namespace string
	// Hat marks a hat (`^name {` or `hat name {`): a child profile a task
	// enters with change_hat rather than by exec.
	Hat bool
	// Xattrs are the extended-attribute conditions of the attachment
	// (`xattrs=(user.foo=bar security.x)`): NAME or NAME=VALUE, the value
	// unquoted. rampart keeps them; eval does not test them.
	Xattrs []string
	// Parent is the profile whose body defines this one; nil at the top
	// of the file. The body holds the child as a KindProfile rule.
	Parent *Profile

	// Preamble holds the file-level statements written between the
	// previous profile (or the start of the file) and this one:
	// includes, variables, abi, alias.
	Preamble []*Rule
	Rules    []*Rule

	Comments    []string // comment lines directly above the header
	LineComment string   // comment after the `{`
	Space       bool     // a blank line precedes it (or its comments)
	EndComments []string // comment lines before the closing `}`

	// inherited are the preambles of earlier profiles in the same file,
	// which also apply to this one.
	inherited []*Rule
}

// Pos is where the profile's header starts.
func (p *Profile) Pos() Pos { return Pos{p.File, p.Line, p.Col} }

// Kind says what a statement is.
type Kind int

const (
	KindFile       Kind = iota + 1 // `/path perms,`, `perms /path,` or bare `file,`
	KindNetwork                    // `network [family] [type|protocol],`
	KindCapability                 // `capability [name...],`
	KindInclude                    // `#include <...>`, `include "..."`, `include if exists <...>`
	KindABI                        // `abi <abi/3.0>,`
	KindVariable                   // `@{NAME}=values` or `@{NAME}+=values`
	KindAlias                      // `alias /a/ -> /b/,`
	// KindOther is a rule rampart recognises, keeps and renders but does
	// not evaluate: ptrace, signal, mount, umount, remount, pivot_root,
	// unix, dbus, userns, change_profile, set rlimit, mqueue,
	// io_uring.
	KindOther
	// KindProfile is a hat or child profile defined in a body: Child.
	KindProfile
	// KindBlock is a qualifier block, `audit owner { ... }`: its
	// qualifiers (audit, allow, owner; never deny) apply to the rules of
	// Body.
	KindBlock
	// KindBool assigns a boolean variable before the profiles:
	// `$Var = true` (Bool).
	KindBool
	// KindIf is a conditional, `if [not] [defined] $VAR|@{VAR} {`: Body
	// applies when Cond holds, Else (after `} else {`) when it does not.
	KindIf
)

var kindNames = map[Kind]string{KindFile: "file", KindNetwork: "network", KindCapability: "capability",
	KindInclude: "include", KindABI: "abi", KindVariable: "variable", KindAlias: "alias", KindOther: "other",
	KindProfile: "profile", KindBlock: "block", KindBool: "boolean", KindIf: "if"}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// otherKeywords are the rule keywords kept as KindOther.
var otherKeywords = map[string]bool{
	"ptrace": true, "signal": true, "mount": true, "umount": true, "unmount": true, "remount": true,
	"pivot_root": true, "unix": true, "dbus": true, "userns": true, "change_profile": true,
	"set": true, "mqueue": true, "io_uring": true,
}

// Rule is one statement: a rule in a profile body, or a file-level
// statement (include, variable, abi, alias).
type Rule struct {
	Pos  Pos
	Kind Kind

	Comments    []string // comment lines directly above, without the '#'
	LineComment string   // comment after it on the same line, without the '#'
	Space       bool     // a blank line precedes it (or its comments)

	// Qualifiers: [audit] [allow|deny] [owner|other]. Other is the
	// opposite of owner: the rule applies only to files the task does
	// not own.
	Audit, Allow, Deny, Owner, Other bool

	// KindFile: Path is the glob as written (variables unexpanded, quotes
	// removed), "" for bare `file,`. Perms holds the permissions;
	// PermExec is set exactly when Exec is. Target follows `->`: the
	// profile an exec transition goes to, or the target a link (l) may
	// point to.
	// KindAlias: Path -> Target.
	// ExecQual is the file rule's `safe` or `unsafe` qualifier as
	// written ("" without one); Exec already holds the mode it forces.
	// Link marks a rule whose Target narrows what a link may point to:
	// `link [subset] PATH -> TARGET` (Subset as written) or leading
	// permissions with l (`l PATH -> TARGET`). A trailing `PATH l ->
	// TARGET` keeps its Target as written, but apparmor_parser compiles
	// it as plain l: a link to any target, with the subset test.
	Link, Subset bool
	Path         string
	Perms        Perm
	Exec         ExecMode
	ExecQual     string
	Target       string

	// KindNetwork: a family (inet, inet6, packet, ...) and a socket type
	// (stream, dgram, raw, ...) or protocol (tcp, udp, icmp); "" is any.
	Family, Type string

	// KindCapability: names in AppArmor's spelling (net_raw); none is all.
	Caps []string

	// KindInclude and KindABI: the included path, <...> (Angle) or "...",
	// `if exists`, and whether it was written `#include`.
	Include  string
	Angle    bool
	IfExists bool
	Hash     bool

	// KindVariable: @{Var}=Values, or += when Append.
	Var    string
	Append bool
	Values []string

	// KindOther: the keyword, and the rule's model in Model for the
	// classes rampart validates (signal, ptrace, unix, dbus, mount,
	// umount, remount, pivot_root, change_profile, set rlimit); for the
	// others, the rest of the rule word by word, as written (parenthesised
	// groups kept whole, white space folded).
	Keyword string
	Model   ClassRule
	Args    []string

	// KindProfile: the hat or child profile.
	Child *Profile

	// KindBlock and KindIf: the rules in the block, and the comment
	// lines before its `}`.
	Body        []*Rule
	EndComments []string

	// KindBool: the value assigned to $Var.
	Bool bool

	// KindIf: the condition, and the else branch (HasElse: written, if
	// empty). An `else if` is an Else of one KindIf rule.
	Cond    Cond
	HasElse bool
	Else    []*Rule
	ElseEnd []string
}

// Cond is the condition of an `if`: a boolean variable's value, or
// whether a variable is defined (`defined $B`, `defined @{S}`), negated
// when Not.
type Cond struct {
	Not     bool
	Defined bool
	Var     string // the name, without $ or @{}
	Set     bool   // @{Var}, a set variable (only with Defined)
}

func (c Cond) String() string {
	s := ""
	if c.Not {
		s = "not "
	}
	if c.Defined {
		s += "defined "
	}
	if c.Set {
		return s + "@{" + c.Var + "}"
	}
	return s + "$" + c.Var
}

// Perm is a set of file permissions.
type Perm uint8

const (
	PermRead   Perm = 1 << iota // r
	PermWrite                   // w (implies a)
	PermAppend                  // a
	PermLink                    // l
	PermLock                    // k
	PermMmap                    // m: mmap with PROT_EXEC
	PermExec                    // x, with an ExecMode in rules
)

// permLetters is the canonical rendering order.
var permLetters = []struct {
	p Perm
	c byte
}{{PermMmap, 'm'}, {PermRead, 'r'}, {PermWrite, 'w'}, {PermAppend, 'a'}, {PermLink, 'l'}, {PermLock, 'k'}, {PermExec, 'x'}}

// String renders the set in canonical order (mrwalkx).
func (p Perm) String() string {
	var b strings.Builder
	for _, l := range permLetters {
		if p&l.p != 0 {
			b.WriteByte(l.c)
		}
	}
	return b.String()
}

// ExecMode is a file rule's exec transition. "x" only appears in deny
// rules.
type ExecMode string

// execModes, longest first for parsing.
var execModes = []ExecMode{"PUx", "CUx", "pix", "Pix", "cix", "Cix", "pux", "cux", "ix", "px", "Px", "ux", "Ux", "cx", "Cx", "x"}

// Inherits reports whether the mode can run the program under the
// current profile (ix, pix, cix, ...). apparmor_parser grants m with
// these, as the profile then maps the program.
func (m ExecMode) Inherits() bool { return strings.Contains(string(m), "i") }

// Describe says what the transition does, in words.
func (m ExecMode) Describe() string {
	scrub := ""
	if strings.ContainsAny(string(m), "PUC") {
		scrub = ", with the environment scrubbed"
	}
	var what string
	switch strings.ToLower(string(m)) {
	case "ix":
		return "ix: the program runs under this same profile"
	case "px":
		what = "the program runs under its own profile, and the exec fails if none is loaded"
	case "cx":
		what = "the program runs under a child profile of this one, and the exec fails if there is none"
	case "ux":
		what = "the program runs unconfined"
	case "pix":
		what = "the program runs under its own profile, or under this one if it has none"
	case "cix":
		what = "the program runs under a child profile, or under this one if there is none"
	case "pux":
		what = "the program runs under its own profile, or unconfined if it has none"
	case "cux":
		what = "the program runs under a child profile, or unconfined if there is none"
	case "x":
		return "x"
	}
	return string(m) + ": " + what + scrub
}

// ParsePerms parses a rule's permission word as apparmor_parser reads
// it: any of r w a l k m (R W L M are accepted for r w l m), repeated or
// not, and at most one exec mode, which may be written more than once
// (pxpx; a bare x after it adds nothing, one before it only goes with ix). An exec mode is a qualifier and x: i, p, c or u (the upper case
// P, C and U scrub the environment), or p and c with the fallback i or u
// (pix, Pix, pux, PUx, ...; the fallback's case does not matter, pIx is
// pix and Pux is PUx). A bare x (deny rules only) comes back as "x".
func ParsePerms(s string) (Perm, ExecMode, error) {
	var p Perm
	var exec ExecMode
	if s == "" {
		return 0, "", errors.New("no permissions")
	}
	for i := 0; i < len(s); {
		var m ExecMode
		n := 1
		switch s[i] {
		case 'r', 'R':
			p |= PermRead
		case 'w', 'W':
			p |= PermWrite
		case 'a':
			p |= PermAppend
		case 'l', 'L':
			p |= PermLink
		case 'k':
			p |= PermLock
		case 'm', 'M':
			p |= PermMmap
		case 'x', 'X':
			m = "x"
		case 'i', 'I', 'u', 'U', 'p', 'P', 'c', 'C':
			m, n = execToken(s[i:])
			if m == "" {
				return 0, "", fmt.Errorf("unknown permission %q in %q: an exec qualifier (i p c u) is followed by x, or by i or u and then x", s[i:i+1], s)
			}
		default:
			return 0, "", fmt.Errorf("unknown permission %q in %q (r w a l k m, and an exec mode: ix px Px ux Ux cx Cx pix Pix cix Cix pux PUx cux CUx, or x in deny rules)", s[i:i+1], s)
		}
		if m != "" {
			// A repeated mode is the same mode; two different ones leave
			// the transition ambiguous, and the parser refuses them.
			// A bare x after a mode is that mode's x; before one it
			// reads as ix, so only ix may follow it.
			switch {
			case exec == "" || exec == "x" && m == "ix":
				exec = m
			case m == "x" || m == exec:
			default:
				return 0, "", fmt.Errorf("%q names two exec modes, %s and %s", s, exec, m)
			}
			p |= PermExec
		}
		i += n
	}
	if p&PermWrite != 0 && p&PermAppend != 0 {
		return 0, "", fmt.Errorf("%q: w and a conflict (w already allows appending)", s)
	}
	return p, exec, nil
}

// execToken reads an exec mode at the start of s (a qualifier, maybe a
// fallback, then x), in canonical spelling, and how many bytes it took;
// "" when s does not start with one.
func execToken(s string) (ExecMode, int) {
	q := s[0]
	scrub := q == 'P' || q == 'C' || q == 'U'
	lower := q | 0x20
	n, fallback := 1, byte(0)
	if (lower == 'p' || lower == 'c') && n < len(s) && strings.IndexByte("iIuU", s[n]) >= 0 {
		fallback, n = s[n]|0x20, n+1
	}
	if n >= len(s) || (s[n] != 'x' && s[n] != 'X') {
		return "", 0
	}
	var m string
	switch lower {
	case 'i':
		return "ix", n + 1
	case 'u':
		m = "ux"
	default:
		m = string(lower)
		if fallback != 0 {
			m += string(fallback)
		}
		m += "x"
	}
	if scrub {
		m = strings.ToUpper(m[:len(m)-1]) + "x"
		if m == "PIx" || m == "CIx" {
			m = m[:1] + "ix"
		}
	}
	return ExecMode(m), n + 1
}

// withScrub returns the mode with the environment scrubbed (safe) or
// not (unsafe), as the `safe` and `unsafe` rule qualifiers force it; ix
// has no scrubbed form.
func (m ExecMode) withScrub(safe bool) ExecMode {
	if m == "ix" || m == "x" || m == "" {
		return m
	}
	lower := strings.ToLower(string(m))
	if !safe {
		return ExecMode(lower)
	}
	up := strings.ToUpper(lower[:len(lower)-1]) + "x"
	if strings.HasSuffix(lower, "ix") && len(lower) == 3 {
		up = strings.ToUpper(lower[:1]) + "ix"
	}
	return ExecMode(up)
}

// formatPerms renders permissions in canonical order, the exec mode last.
func formatPerms(p Perm, exec ExecMode) string {
	s := (p &^ PermExec).String()
	if exec != "" {
		s += string(exec)
	}
	return s
}

// Networking names apparmor_parser 3 accepts.
var (
	netFamilies = []string{"unix", "inet", "ax25", "ipx", "appletalk", "netrom", "bridge", "atmpvc", "x25",
		"inet6", "rose", "netbeui", "security", "key", "netlink", "packet", "ash", "econet", "atmsvc", "rds",
		"sna", "irda", "pppox", "wanpipe", "llc", "ib", "mpls", "can", "tipc", "bluetooth", "iucv", "rxrpc",
		"isdn", "phonet", "ieee802154", "caif", "alg", "nfc", "vsock", "kcm", "qipcrtr", "smc", "xdp", "mctp"}
	netTypes     = []string{"stream", "dgram", "seqpacket", "rdm", "raw", "packet"}
	netProtocols = map[string]struct {
		typ      string
		families []string
	}{
		// As apparmor_parser maps them: the kernel mediates family and type.
		"tcp":  {"stream", []string{"inet", "inet6"}},
		"udp":  {"dgram", []string{"inet", "inet6"}},
		"icmp": {"raw", []string{"inet"}},
	}
)

// isFamily accepts unspec besides the families sockets are created in:
// apparmor_parser takes `network unspec [type],` (AF_UNSPEC, which no
// socket is created with, so evaluation never enumerates it).
func isFamily(s string) bool { return s == "unspec" || contains(netFamilies, s) }
func isType(s string) bool   { return contains(netTypes, s) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkNetwork validates a network rule's (or query's) family and type.
func checkNetwork(family, typ string) error {
	if family != "" && !isFamily(family) {
		return fmt.Errorf("unknown address family %q", family)
	}
	if typ == "" || isType(typ) {
		return nil
	}
	proto, ok := netProtocols[typ]
	if !ok {
		return fmt.Errorf("unknown socket type or protocol %q (types: %s; protocols: tcp, udp, icmp)", typ, strings.Join(netTypes, ", "))
	}
	if family != "" && !contains(proto.families, family) {
		return fmt.Errorf("protocol %s does not go with family %s", typ, family)
	}
	return nil
}

// Profile flags apparmor_parser 3 accepts, and the modes among them.
var (
	knownFlags = map[string]bool{"enforce": true, "complain": true, "kill": true, "unconfined": true, "prompt": true,
		"audit": true, "mediate_deleted": true, "delegate_deleted": true, "attach_disconnected": true,
		"no_attach_disconnected": true, "chroot_relative": true, "namespace_relative": true,
		"chroot_attach": true, "chroot_no_attach": true}
	modeFlags = []string{"enforce", "complain", "kill", "unconfined", "prompt"}
)

// Mode is how a profile enforces its rules.
type Mode string

const (
	Enforce    Mode = "enforce"    // what is not allowed is denied (and logged)
	Complain   Mode = "complain"   // what is not allowed is allowed, and logged
	Kill       Mode = "kill"       // enforce, and the task is killed
	Unconfined Mode = "unconfined" // nothing is mediated
	Prompt     Mode = "prompt"     // asks a user-space agent (treated as enforce)
)

// Mode returns the profile's mode from its flags (enforce by default).
func (p *Profile) Mode() Mode {
	for _, f := range p.Flags {
		if contains(modeFlags, f) {
			return Mode(f)
		}
	}
	return Enforce
}

// String renders the rule as one statement: a comma rule with its comma,
// an include or a variable line as written. Comments are not included.
func (r *Rule) String() string {
	var b strings.Builder
	if r.Audit {
		b.WriteString("audit ")
	}
	if r.Allow {
		b.WriteString("allow ")
	}
	if r.Deny {
		b.WriteString("deny ")
	}
	if r.Owner {
		b.WriteString("owner ")
	}
	if r.Other {
		b.WriteString("other ")
	}
	if r.ExecQual != "" {
		b.WriteString(r.ExecQual + " ")
	}
	switch r.Kind {
	case KindProfile:
		return r.Child.header()
	case KindBlock:
		return b.String() + "{"
	case KindBool:
		return fmt.Sprintf("$%s=%t", r.Var, r.Bool)
	case KindIf:
		return "if " + r.Cond.String() + " {"
	case KindInclude:
		if r.Hash {
			b.WriteString("#")
		}
		b.WriteString("include ")
		if r.IfExists {
			b.WriteString("if exists ")
		}
		b.WriteString(includeArg(r.Include, r.Angle))
		return b.String()
	case KindVariable:
		b.WriteString("@{" + r.Var + "}")
		if r.Append {
			b.WriteString("+=")
		} else {
			b.WriteString("=")
		}
		for i, v := range r.Values {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(quoteValue(v))
		}
		return b.String()
	case KindABI:
		b.WriteString("abi " + includeArg(r.Include, r.Angle))
	case KindAlias:
		b.WriteString("alias " + quotePath(r.Path) + " -> " + quotePath(r.Target))
	case KindFile:
		if r.Path == "" {
			b.WriteString("file")
			break
		}
		switch {
		case r.Link && r.Perms == PermLink && r.Exec == "":
			b.WriteString("link ")
			if r.Subset {
				b.WriteString("subset ")
			}
			b.WriteString(quotePath(r.Path) + " -> " + quotePath(r.Target))
		case r.Link: // leading permissions keep the target narrowing
			b.WriteString(formatPerms(r.Perms, r.Exec) + " " + quotePath(r.Path) + " -> " + quotePath(r.Target))
		default:
			b.WriteString(quotePath(r.Path) + " " + formatPerms(r.Perms, r.Exec))
			if r.Target != "" {
				b.WriteString(" -> " + quoteName(r.Target))
			}
		}
	case KindNetwork:
		b.WriteString("network")
		for _, w := range []string{r.Family, r.Type} {
			if w != "" {
				b.WriteString(" " + w)
			}
		}
	case KindCapability:
		b.WriteString("capability")
		for _, c := range r.Caps {
			b.WriteString(" " + c)
		}
	case KindOther:
		b.WriteString(r.Keyword)
		if r.Model != nil {
			b.WriteString(r.Model.String())
		}
		for _, a := range r.Args {
			b.WriteString(" " + a)
		}
	}
	b.WriteByte(',')
	return b.String()
}

func includeArg(path string, angle bool) string {
	if angle && strings.ContainsAny(path, " \t\"\\<>") {
		return "<" + quote(path) + ">"
	}
	if angle {
		return "<" + path + ">"
	}
	return quote(path)
}

// quote writes s in double quotes, escaping \ and ".
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// quoteWord writes s so that the lexer reads it back as one word with
// the same text: as it is when it can be, else in quotes.
func quoteWord(s string) string {
	if lexesAsWord(s) && !strings.Contains(s, "}=") && !strings.Contains(s, "}+=") && s != "->" {
		return s
	}
	return quote(s)
}

func quotePath(s string) string { return quoteWord(s) }
func quoteName(s string) string {
	if isFlagsWord(s) {
		return quote(s)
	}
	return quoteWord(s)
}
func quoteValue(s string) string { return quoteWord(s) }
