// Package seccomp loads seccomp profiles (OCI, Docker and containerd JSON,
// and RuntimeDefault), resolves them the way container runtimes do against
// a bounding set, and installs them with the same libseccomp-based engine
// runc uses, so that a profile enforced by rampart is the filter a
// Kubernetes node would enforce.
package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/strictjson"
	"github.com/rampart-sec/rampart/internal/unitfile"
	"github.com/rampart-sec/rampart/policy"
)

// Profile is a resolved profile: conditional rules (includes / excludes on
// capabilities, architectures and kernel versions) have been decided, and
// every syscall name is known to the filter compiler.
type Profile struct {
	// Name says where it came from: "runtime-default" or a file path.
	Name string
	// Spec is the resolved OCI form, what runc receives in config.json.
	Spec *specs.LinuxSeccomp
	// Bounding is the bounding set the profile was resolved for.
	Bounding caps.Set
	// Notes are facts the user should know about the resolution, such as
	// syscalls newer than this machine's libseccomp; Details are for -v.
	Notes, Details []string
	// ByNumber are the rules on syscalls newer than this machine's
	// libseccomp that deny more than the default: rampart installs them
	// itself, in front of the engine's program.
	ByNumber []NumberedRule
	// Unapplied are the deny entries of the file that resolution left
	// out on this host (includes.arches, minKernel); each is in Notes.
	Unapplied []Unapplied
	// Dropped are the rules on syscalls newer than this machine's
	// libseccomp that deny no more than the default: left out of the
	// filter (the calls get its default action or ENOSYS), as runc does.
	Dropped []NumberedRule
	// loc says where the profile's values are written in its file, for
	// RuleSource and RulePos; nil without a file.
	loc *locator
	// unit, for a systemd unit's filters, is the directive each rule of
	// Spec.Syscalls is written for.
	unit []unitfile.Entry
	// platform is the machine the profile was resolved for; zero for
	// DefaultPlatform.
	platform Platform
}

// Platform is the machine architecture the profile was resolved for: its
// filter covers that platform's native ABI and decides its numbers.
func (p *Profile) Platform() Platform {
	if p.platform.GOARCH == "" {
		return DefaultPlatform()
	}
	return p.platform
}

// Error is a profile error with its position.
type Error struct {
	File      string
	Line, Col int // 0 when unknown
	Field     string
	Err       error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Load resolves a policy's seccomp reference against the bounding set the
// workload will have (RuntimeDefault allows namespace and admin syscalls
// only when CAP_SYS_ADMIN is in it, as Docker and containerd decide), on
// the default platform (LoadOn names another).
// RuntimeDefault is Docker's; RuntimeDefaultFor has the others.
// It returns nil for unconfined.
func Load(ref policy.Seccomp, bounding caps.Set) (*Profile, error) {
	return LoadOn(DefaultPlatform(), ref, bounding)
}

// LoadOn is Load for a host of plat: a profile's archMap,
// includes.arches and excludes.arches are decided for it, and its filter
// covers plat's native ABI.
func LoadOn(plat Platform, ref policy.Seccomp, bounding caps.Set) (*Profile, error) {
	switch ref.Kind {
	case policy.SeccompNone, policy.SeccompUnconfined:
		return nil, nil
	case policy.SeccompRuntimeDefault:
		if ref.Runtime != "" {
			d, err := RuntimeDefaultFor(ref.Runtime, "")
			if err != nil {
				return nil, err
			}
			return d.LoadOn(plat, bounding)
		}
		return Docker.LoadOn(plat, bounding)
	case policy.SeccompFile:
		body, err := os.ReadFile(ref.Path)
		if err != nil {
			if ref.Origin != "" {
				return nil, fmt.Errorf("%s: seccomp profile: %w", ref.Origin, err)
			}
			return nil, err
		}
		return ParseOn(plat, ref.Path, body, bounding)
	}
	return nil, fmt.Errorf("unknown seccomp profile kind %q", ref.Kind)
}

// Parse reads an OCI, Docker / containerd or containers/common JSON
// profile, the filter of an OCI runtime config (a bundle's config.json),
// the filters a systemd service unit's directives build (NAME.service),
// or a Security Profiles Operator SeccompProfile object. It refuses a profile with two
// rules that answer differently for one call (see conflict).
func Parse(name string, body []byte, bounding caps.Set) (*Profile, error) {
	return ParseOn(DefaultPlatform(), name, body, bounding)
}

// ParseOn is Parse for a host of plat (see LoadOn).
func ParseOn(plat Platform, name string, body []byte, bounding caps.Set) (*Profile, error) {
	p, err := parseAll(plat, name, body, bounding)
	if err != nil {
		return nil, err
	}
	if err := p.Conflict(); err != nil {
		return nil, err
	}
	return p, nil
}

// ParseAll reads a profile as Parse does but keeps two rules that answer
// differently for one call, for a tool that reports such a pair beside
// the rest of what it finds (Conflict names it) instead of refusing.
func ParseAll(name string, body []byte, bounding caps.Set) (*Profile, error) {
	return parseAll(DefaultPlatform(), name, body, bounding)
}

// ParseAllOn is ParseAll for a host of plat (see LoadOn).
func ParseAllOn(plat Platform, name string, body []byte, bounding caps.Set) (*Profile, error) {
	return parseAll(plat, name, body, bounding)
}

func parseAll(plat Platform, name string, body []byte, bounding caps.Set) (*Profile, error) {
	if isUnit(name) {
		return parseUnit(plat, name, body, bounding)
	}
	if isOCIConfig(body) {
		return parseOCIConfig(plat, name, body, bounding)
	}
	if isSPO(body) {
		return parseSPO(plat, name, body, bounding)
	}
	return parseOn(plat, name, body, bounding)
}

// Conflict is Parse's refusal of p's first pair of rules that answer
// differently for a call both match (see conflict), with the position
// of the second; nil when there is none.
func (p *Profile) Conflict() error {
	if c := p.conflict(); c != nil {
		return p.conflictError(c)
	}
	return nil
}

// parse reads a JSON profile as it is, rules that conflict included: a
// runtime's own default profile is modeled as the runtime enforces it.
func parse(name string, body []byte, bounding caps.Set) (*Profile, error) {
	return parseOn(DefaultPlatform(), name, body, bounding)
}

// parseOn is parse, resolved for a host of plat.
func parseOn(plat Platform, name string, body []byte, bounding caps.Set) (*Profile, error) {
	loc, err := checkJSON(name, body)
	if err != nil {
		return nil, err
	}
	numeric, notes, err := errnoNumbers(body, loc)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	s, err := resolveJSON(numeric, bounding, plat)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	if s == nil {
		return nil, &Error{File: name, Err: errors.New("profile has neither defaultAction nor syscalls; an empty profile would leave the workload unconfined")}
	}
	p, err := finish(name, s, body)
	if err != nil {
		return nil, err
	}
	p.Bounding, p.loc, p.platform = bounding, loc, plat
	p.Notes = append(p.Notes, notes...)
	p.findUnapplied()
	return p, nil
}

// Unapplied is a deny entry of the file that resolution left out on this
// host, and why.
type Unapplied struct {
	Entry int // in the file's syscalls[]
	Names []string
	Field string // the includes or excludes field that removed it
	Why   string
}

// findUnapplied names the deny entries that resolution dropped for this
// host's architecture or kernel. The runtimes do the same, and a profile
// shared between hosts may mean it; but includes.arches is compared with
// the host's architecture, not with the ABI of the call, so a deny
// written for i386 calls ("x86") vanishes on every amd64 host without a
// word. Drops for the bounding set (includes.caps) are the format's
// purpose and are not named.
func (p *Profile) findUnapplied() {
	if p.loc == nil {
		return
	}
	host := mobyArch[p.Platform().GOARCH]
	defRet := p.defaultRet()
	for i, e := range p.loc.entries {
		if !stricter(Ret(specs.LinuxSeccompAction(e.Action), ruleErrno(e.ErrnoRet, specs.LinuxSeccompAction(e.Action))), defRet) {
			continue
		}
		names := e.Names
		if e.Name != "" {
			names = []string{e.Name}
		}
		add := func(field, why string) {
			p.Unapplied = append(p.Unapplied, Unapplied{Entry: i, Names: names, Field: field, Why: why})
			p.Notes = append(p.Notes, fmt.Sprintf("syscalls[%d] (%s %s) does not apply on this host: %s", i, strings.Join(names, ", "), e.Action, why))
		}
		if in := e.Includes; in != nil {
			if len(in.Arches) > 0 && !slices.Contains(in.Arches, host) {
				add("includes.arches", fmt.Sprintf("includes.arches %v does not name this host's architecture (%s); the runtimes compare it with the host, not with the ABI of the call: to refuse a call of another ABI, list that ABI in architectures and drop includes.arches", in.Arches, host))
			}
			if in.MinKernel != "" && !kernelReaches(in.MinKernel) {
				add("includes.minKernel", fmt.Sprintf("includes.minKernel %s is newer than this kernel", in.MinKernel))
			}
		}
		if ex := e.Excludes; ex != nil {
			if slices.Contains(ex.Arches, host) {
				add("excludes.arches", fmt.Sprintf("excludes.arches %v names this host's architecture (%s)", ex.Arches, host))
			}
			if ex.MinKernel != "" && kernelReaches(ex.MinKernel) {
				add("excludes.minKernel", fmt.Sprintf("excludes.minKernel %s: this kernel is that or newer", ex.MinKernel))
			}
		}
	}
}

// mobyArch is the architecture name includes.arches is compared with,
// by GOARCH (the runtimes' profile reader's own table).
var mobyArch = map[string]string{"386": "x86", "amd64": "amd64", "arm": "arm", "arm64": "arm64",
	"loong64": "loongarch64", "ppc64le": "ppc64le", "riscv64": "riscv64", "s390x": "s390x"}

// kernelReaches says whether the running kernel is v ("5.8") or newer,
// as the runtimes compare it (kernel and major number).
func kernelReaches(v string) bool {
	var k mobyseccomp.KernelVersion
	q, _ := json.Marshal(v)
	if k.UnmarshalJSON(q) != nil {
		return false
	}
	return kernelReachesVersion(k)
}

func kernelReachesVersion(k mobyseccomp.KernelVersion) bool {
	return features.KernelAtLeast(int(k.Kernel), int(k.Major))
}

// checkJSON reads the profile strictly enough to give positions: syntax
// errors, wrong types, unknown fields (a misspelled "defaultAction" would
// otherwise silently produce an empty, unconfined profile), keys the
// runtimes' decoders would match ignoring case ("DefaultAction") and keys
// written twice (the decoders keep the last one, so a second
// "defaultAction" far down a long file would turn a deny-by-default
// profile into an allow-by-default one).
func checkJSON(name string, body []byte) (*locator, error) {
	doc, err := strictjson.Check(body, reflect.TypeFor[strictProfile](), strictjson.Options{DisallowUnknown: true, Locate: true})
	if err != nil {
		if errors.Is(err, strictjson.ErrEmpty) {
			return nil, &Error{File: name, Err: errors.New("the file is empty: a profile needs at least a defaultAction, and an empty one would leave the workload unconfined")}
		}
		var se *strictjson.Error
		if errors.As(err, &se) {
			return nil, &Error{File: name, Line: se.Line, Col: se.Col, Field: se.Path, Err: se.Err}
		}
		return nil, &Error{File: name, Err: err}
	}
	var probe strictProfile
	if err := json.Unmarshal(body, &probe); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			l, c := lineCol(body, typ.Offset)
			return nil, &Error{File: name, Line: l, Col: c, Field: typ.Field, Err: fmt.Errorf("expected %s, found a JSON %s", typ.Type, typ.Value)}
		}
		return nil, &Error{File: name, Err: err}
	}
	if err := validate(name, doc, &probe); err != nil {
		return nil, err
	}
	return &locator{doc: doc, entries: probe.Syscalls, defaultErrno: probe.DefaultErrno, defaultErrnoRet: probe.DefaultErrnoRet}, nil
}

// strictProfile mirrors the union of the OCI, Docker and containers/common
// profile formats, only to reject unknown fields with a position.
type strictProfile struct {
	DefaultAction   string `json:"defaultAction"`
	DefaultErrnoRet *uint  `json:"defaultErrnoRet"`
	// DefaultErrno and a rule's Errno are containers/common's: an errno
	// name or decimal number, read by CRI-O and Podman in place of the
	// numeric field when given.
	DefaultErrno     string          `json:"defaultErrno"`
	Architectures    []string        `json:"architectures"`
	ArchMap          []strictArch    `json:"archMap"`
	Flags            []string        `json:"flags"`
	ListenerPath     string          `json:"listenerPath"`
	ListenerMetadata string          `json:"listenerMetadata"`
	Syscalls         []strictSyscall `json:"syscalls"`
	Comment          string          `json:"comment"`
}

type strictArch struct {
	Arch      string   `json:"architecture"`
	SubArches []string `json:"subArchitectures"`
}

type strictSyscall struct {
	Name     string       `json:"name"`
	Names    []string     `json:"names"`
	Action   string       `json:"action"`
	ErrnoRet *uint        `json:"errnoRet"`
	Errno    string       `json:"errno"`
	Args     []strictArg  `json:"args"`
	Comment  string       `json:"comment"`
	Includes *strictMatch `json:"includes"`
	Excludes *strictMatch `json:"excludes"`
}

type strictArg struct {
	Index    uint   `json:"index"`
	Value    uint64 `json:"value"`
	ValueTwo uint64 `json:"valueTwo"`
	Op       string `json:"op"`
}

type strictMatch struct {
	Caps      []string `json:"caps"`
	Arches    []string `json:"arches"`
	MinKernel string   `json:"minKernel"`
}

var (
	actions = map[string]bool{"SCMP_ACT_KILL": true, "SCMP_ACT_KILL_PROCESS": true,
		"SCMP_ACT_KILL_THREAD": true, "SCMP_ACT_TRAP": true, "SCMP_ACT_ERRNO": true,
		"SCMP_ACT_TRACE": true, "SCMP_ACT_ALLOW": true, "SCMP_ACT_LOG": true,
		"SCMP_ACT_NOTIFY": true}
	operators = map[string]bool{"SCMP_CMP_NE": true, "SCMP_CMP_LT": true,
		"SCMP_CMP_LE": true, "SCMP_CMP_EQ": true, "SCMP_CMP_GE": true,
		"SCMP_CMP_GT": true, "SCMP_CMP_MASKED_EQ": true}
)

// validate checks what the runtimes would reject later, and every name
// in a list that they would silently fail to match, with positions.
func validate(name string, doc *strictjson.Doc, p *strictProfile) error {
	at := func(path string, err error) error {
		l, c := doc.Pos(path)
		return &Error{File: name, Line: l, Col: c, Field: path, Err: err}
	}
	if p.DefaultAction != "" && !actions[p.DefaultAction] {
		return at("defaultAction", fmt.Errorf("unknown action %q", p.DefaultAction))
	}
	if e := p.DefaultErrnoRet; e != nil && *e > maxErrno {
		return at("defaultErrnoRet", fmt.Errorf("%d: errno values stop at %d", *e, maxErrno))
	}
	if err := checkErrnoName(p.DefaultErrno, p.DefaultErrnoRet); err != nil {
		return at("defaultErrno", err)
	}
	// runc refuses an architecture or a flag it does not know, but only
	// when the filter is built, without saying where.
	for i, a := range p.Architectures {
		if err := knownArch(a); err != nil {
			return at(fmt.Sprintf("architectures[%d]", i), err)
		}
	}
	// moby's reader keeps the archMap entry of the architecture it runs
	// on and ignores the others: a misspelt entry would silently leave
	// the filter with the native ABI only.
	for i, m := range p.ArchMap {
		if err := knownArch(m.Arch); err != nil {
			return at(fmt.Sprintf("archMap[%d].architecture", i), err)
		}
		for j, a := range m.SubArches {
			if err := knownArch(a); err != nil {
				return at(fmt.Sprintf("archMap[%d].subArchitectures[%d]", i, j), err)
			}
		}
	}
	if len(p.Architectures) > 0 && len(p.ArchMap) > 0 {
		return at("archMap", errors.New("both architectures and archMap are given; the runtimes refuse that, use one"))
	}
	for i, f := range p.Flags {
		if !slices.Contains(runcFlags(), f) {
			return at(fmt.Sprintf("flags[%d]", i), fmt.Errorf("unknown flag %q (known: %s)", f, strings.Join(runcFlags(), ", ")))
		}
	}
	for i, s := range p.Syscalls {
		path := fmt.Sprintf("syscalls[%d]", i)
		if !actions[s.Action] {
			return at(path+".action", fmt.Errorf("unknown action %q", s.Action))
		}
		if e := s.ErrnoRet; e != nil && *e > maxErrno {
			return at(path+".errnoRet", fmt.Errorf("%d: errno values stop at %d", *e, maxErrno))
		}
		if err := checkErrnoName(s.Errno, s.ErrnoRet); err != nil {
			return at(path+".errno", err)
		}
		if s.Action == "SCMP_ACT_NOTIFY" {
			// A notifying syscall blocks until a seccomp agent answers;
			// with no agent the workload would hang, not fail.
			return at(path+".action", errors.New("SCMP_ACT_NOTIFY needs a seccomp agent, which rampart does not run"))
		}
		if s.Name != "" && len(s.Names) > 0 {
			return at(path+".name", errors.New("both name and names are given; the runtimes refuse that, use names"))
		}
		for j, a := range s.Args {
			if !operators[a.Op] {
				return at(fmt.Sprintf("%s.args[%d].op", path, j), fmt.Errorf("unknown operator %q", a.Op))
			}
			if a.Index > 5 {
				return at(fmt.Sprintf("%s.args[%d].index", path, j), fmt.Errorf("index %d: a syscall has at most 6 arguments (0-5)", a.Index))
			}
		}
		for _, m := range []struct {
			path  string
			match *strictMatch
		}{{path + ".includes", s.Includes}, {path + ".excludes", s.Excludes}} {
			if err := validateMatch(m.path, m.match, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateMatch checks the conditions of an includes or excludes. The
// runtimes compare capability and architecture names as plain strings, so
// a name they do not spell exactly never matches: a misspelt includes
// silently drops the rule (a deny rule on unshare vanishes), a misspelt
// excludes silently keeps it. Both are refused instead.
func validateMatch(path string, m *strictMatch, at func(string, error) error) error {
	if m == nil {
		return nil
	}
	for i, c := range m.Caps {
		p := fmt.Sprintf("%s.caps[%d]", path, i)
		cp, err := caps.Parse(c)
		if err != nil {
			return at(p, err)
		}
		if want := cp.OCI(); c != want {
			return at(p, fmt.Errorf("%q: write it %q; the runtimes compare the bounding set's names exactly, so %q would never match", c, want, c))
		}
	}
	for i, a := range m.Arches {
		if !slices.Contains(matchArches, a) {
			return at(fmt.Sprintf("%s.arches[%d]", path, i), fmt.Errorf("unknown architecture %q: the runtimes match libseccomp's names (%s), so %q would never match", a, strings.Join(matchArches, ", "), a))
		}
	}
	if m.MinKernel != "" {
		var v mobyseccomp.KernelVersion
		q, _ := json.Marshal(m.MinKernel)
		if err := v.UnmarshalJSON(q); err != nil {
			return at(path+".minKernel", err)
		}
	}
	return nil
}

// matchArches are the names includes.arches and excludes.arches are
// compared with: the libseccomp names moby's profile reader gives the
// GOARCHes it knows (moby/profiles seccomp_linux.go, goToNative), which
// containerd's reader shares; "x86_64" or "SCMP_ARCH_X86_64" never match
// anything there. x32 is no GOARCH and so never matches either, but
// CRI-O's own RuntimeDefault lists it beside amd64.
var matchArches = []string{"x86", "amd64", "arm", "arm64", "loongarch64", "mips64",
	"mips64n32", "mipsel64", "mips3l64n32", "mipsel", "ppc", "ppc64", "ppc64le",
	"riscv64", "s390", "s390x", "x32"}

// knownArch accepts the architecture names runc accepts.
func knownArch(a string) error {
	if !runcKnowsArch(a) {
		return fmt.Errorf("unknown architecture %q (known: %s)", a, strings.Join(runcArchs(), ", "))
	}
	return nil
}

// finish checks every syscall name against the compiler's tables. runc
// silently skips names libseccomp does not know, which turns a typo in an
// allow rule into a denied syscall and, worse, a typo in a deny rule into
// an allowed one; rampart refuses instead, except for syscalls known to be
// newer than this machine's libseccomp. Allow rules on those are
// reported; rules that deny more than the default are installed by
// number (NumberedRule), or the profile is refused where they cannot be.
func finish(name string, s *specs.LinuxSeccomp, body []byte) (*Profile, error) {
	p := &Profile{Name: name, Spec: s}
	locate := func(e *Error, what string) *Error {
		if body != nil {
			e.Line, e.Col = find(body, `"`+what+`"`)
		}
		return e
	}
	defRet := Ret(s.DefaultAction, errnoOf(s.DefaultErrnoRet, s.DefaultAction))
	newer := map[string]string{}
	var numbered []NumberedRule
	for i, sc := range s.Syscalls {
		kept := sc.Names[:0:0]
		for _, n := range sc.Names {
			if err := knownSyscall(n); err == nil {
				kept = append(kept, n)
				continue
			} else if errors.Is(err, errNoCompiler) {
				return nil, err
			}
			ns, ok := newerSyscalls[n]
			if !ok {
				return nil, locate(&Error{File: name, Field: "syscalls[].names", Err: fmt.Errorf("unknown syscall %q (not in this machine's libseccomp %s tables, and not a known newer syscall)", n, libseccompVersion())}, n)
			}
			if !stricter(Ret(sc.Action, ruleErrno(sc.ErrnoRet, sc.Action)), defRet) {
				newer[n] = ns.since
				p.Dropped = append(p.Dropped, NumberedRule{Index: i, Name: n, Action: sc.Action, Errno: sc.ErrnoRet})
				continue
			}
			if len(sc.Args) > 0 {
				return nil, locate(&Error{File: name, Field: "syscalls[].names", Err: fmt.Errorf("%s (Linux %s) is newer than this machine's libseccomp %s, so rampart installs its rules by number, which it does for rules without conditions only; this rule has args, and dropping it would leave %s open", n, ns.since, libseccompVersion(), n)}, n)
			}
			numbered = append(numbered, NumberedRule{Index: i, Name: n, Action: sc.Action, Errno: sc.ErrnoRet})
		}
		s.Syscalls[i].Names = kept
	}
	// Drop rules left with no names, so the compiler sees no empty rule.
	out := s.Syscalls[:0]
	newIndex := make([]int, len(s.Syscalls))
	for i, sc := range s.Syscalls {
		newIndex[i] = -1
		if len(sc.Names) > 0 {
			newIndex[i] = len(out)
			out = append(out, sc)
		}
	}
	s.Syscalls = out
	for i := range p.Dropped {
		p.Dropped[i].Index = newIndex[p.Dropped[i].Index]
	}
	// Two rules on one such syscall with different actions: libseccomp
	// refuses that for the syscalls it knows (EEXIST), and so does rampart.
	for i, r := range numbered {
		for _, o := range numbered[:i] {
			if o.Name == r.Name && Ret(o.Action, ruleErrno(o.Errno, o.Action)) != Ret(r.Action, ruleErrno(r.Errno, r.Action)) {
				return nil, locate(&Error{File: name, Field: "syscalls[].names", Err: fmt.Errorf("%s has two rules with different actions (%s and %s)", r.Name, o.Action, r.Action)}, r.Name)
			}
		}
		if !slices.ContainsFunc(p.ByNumber, func(o NumberedRule) bool { return o.Name == r.Name }) {
			r.Index = newIndex[r.Index]
			p.ByNumber = append(p.ByNumber, r)
		}
	}
	if _, err := numberedPrefix(p); err != nil {
		return nil, &Error{File: name, Err: fmt.Errorf("a rule that denies a syscall newer than this machine's libseccomp %s cannot be installed: %w", libseccompVersion(), err)}
	}
	if len(newer) > 0 {
		var list []string
		for n, since := range newer {
			list = append(list, n+" (Linux "+since+")")
		}
		sort.Strings(list)
		p.Notes = append(p.Notes, fmt.Sprintf("libseccomp %s does not know %d syscall(s) the profile names; they get the filter's ENOSYS or default action: %s",
			libseccompVersion(), len(list), strings.Join(list, ", ")))
	}
	if len(p.ByNumber) > 0 {
		var list []string
		for _, r := range p.ByNumber {
			list = append(list, r.Name)
		}
		p.Details = append(p.Details, fmt.Sprintf("libseccomp %s does not know %s: rampart installs the profile's rules on them by number", libseccompVersion(), strings.Join(list, ", ")))
	}
	return p, nil
}

func specFor(bounding caps.Set) *specs.Spec {
	return &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{
		Bounding: bounding.Names(caps.Cap.OCI),
	}}}
}

func lineCol(body []byte, off int64) (int, int) {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	line, col := 1, 1
	for _, b := range body[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// find locates the first occurrence of s; positions of values are best
// effort (the first place the text appears).
func find(body []byte, s string) (int, int) {
	i := bytes.Index(body, []byte(s))
	if i < 0 {
		return 0, 0
	}
	return lineCol(body, int64(i))
}
