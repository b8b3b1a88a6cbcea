// Package accept reads what a repository says of its own audit: the
// findings it accepts, each with a reason (a .rampart.yaml file, or a
// rampart.dev/accept annotation on a workload), and the facts of the
// node it deploys to. A finding accepted stays in every report, marked
// with its reason, and no longer fails a gate.
//
// Everything here is refused rather than skipped when it is not
// understood: an acceptance that silently matched nothing would let a
// reviewer believe a finding was looked at, and one that silently
// matched too much would hide new ones.
package accept

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rampart-sec/rampart/internal/k8syaml"
	"github.com/rampart-sec/rampart/internal/strictjson"
)

// FileName is the config file looked for upward from the audited files.
const FileName = ".rampart.yaml"

// Annotation is the workload annotation that accepts findings in the
// manifest itself: "RULE=REASON; RULE=REASON".
const Annotation = "rampart.dev/accept"

// Kinds of acceptance, SARIF's suppression kinds.
const (
	KindInSource = "inSource" // an annotation in the manifest
	KindExternal = "external" // the config file
	KindBaseline = "baseline" // a baseline file (--baseline)
)

// Error is a refused config or annotation, at a position.
type Error struct {
	File      string
	Line, Col int
	Field     string
	Err       error
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d:%d", e.Line, e.Col)
	}
	s += ": "
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Config is a .rampart.yaml.
type Config struct {
	// File is where it was read from; Dir its directory, which paths in
	// it are relative to.
	File, Dir string
	Node      Node
	Accept    []Entry
	// Found is set when the config was found by searching upward from
	// the audited files (not given with --config): it then speaks for
	// the files beneath Dir only.
	Found bool
}

// Node is the node's facts, by the audit flag each stands for: a flag
// given on the command line wins over the file.
type Node struct {
	Runtime        *string           `json:"runtime"`
	RuntimeVersion *string           `json:"runtimeVersion"`
	SeccompDefault *bool             `json:"seccompDefault"`
	AppArmorNode   *bool             `json:"apparmorNode"`
	Profiles       *string           `json:"profiles"`
	Sysctls        map[string]Number `json:"sysctls"`
	Kernel         []string          `json:"nodeKernel"`
	ImageShadow    *string           `json:"imageShadow"`
	Disk           *string           `json:"nodeDisk"`
	RuntimeSockets []string          `json:"nodeRuntimeSockets"`
	Arch           *string           `json:"arch"`
	pos            map[string]string // flag -> file:line:col
	applied        map[string]bool   // flags ApplyNode set
}

// Number is a sysctl's value, written as YAML writes a number (3) or as
// a string ("3"); --sysctl parses it.
type Number string

func (n *Number) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*n = Number(s)
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return errors.New("want a number")
	}
	*n = Number(num)
	return nil
}

// Entry accepts one rule's findings where its globs all match (an empty
// glob matches everything).
type Entry struct {
	Rule      string `json:"rule"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Container string `json:"container"`
	// Path is a glob of the manifest's path, relative to the config's
	// directory; ** crosses directories.
	Path    string `json:"path"`
	Reason  string `json:"reason"`
	Expires string `json:"expires"` // YYYY-MM-DD: accepted through that day
	// Pos is where the entry is written, file:line:col.
	Pos     string `json:"-"`
	path    *regexp.Regexp
	expires time.Time
}

type file struct {
	Node   Node    `json:"node"`
	Accept []Entry `json:"accept"`
}

// Find looks for FileName upward from each audited argument ("-" from
// the working directory), as linters find theirs: it stops at the
// filesystem's root or at a repository's root (a directory with .git).
// It returns "" when there is none; arguments under different configs
// are refused, since one audit has one node.
func Find(args []string) (string, error) {
	found := ""
	for i, a := range args {
		dir := a
		if a == "-" {
			dir = "."
		} else if st, err := os.Stat(a); err != nil || !st.IsDir() {
			dir = filepath.Dir(a)
		}
		dir, err := filepath.Abs(dir)
		if err != nil {
			return "", err
		}
		f := ""
		for {
			if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
				f = filepath.Join(dir, FileName)
				break
			}
			if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
				break
			}
			up := filepath.Dir(dir)
			if up == dir {
				break
			}
			dir = up
		}
		if wd, err := os.Getwd(); err == nil && f != "" {
			// Named as the user would: errors point into it.
			if rel, err := filepath.Rel(wd, f); err == nil && !strings.HasPrefix(rel, "..") {
				f = rel
			}
		}
		// One audit has one node and one set of acceptances: files under
		// another config, or under none, must not take this one's.
		if i > 0 && f != found {
			switch {
			case found == "":
				return "", fmt.Errorf("%s is under %s but %s is under no config: audit them apart, or give one with --config", a, f, args[0])
			case f == "":
				return "", fmt.Errorf("%s is under %s but %s is under no config: audit them apart, or give one with --config", args[0], found, a)
			}
			return "", fmt.Errorf("the audited files are under two configs, %s and %s: give one with --config", found, f)
		}
		found = f
	}
	return found, nil
}

// Load reads a config strictly: an unknown key, a missing reason, a bad
// date or glob, or a rule that known does not know is an *Error at its
// position.
func Load(name string, known func(rule string) bool) (*Config, error) {
	body, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	fail := func(line, col int, field string, err error) error {
		return &Error{File: name, Line: line, Col: col, Field: field, Err: err}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil {
		return nil, fail(0, 0, "", err)
	}
	if err := k8syaml.Prepare(&root, body); err != nil {
		return nil, nodeError(name, err)
	}
	doc, err := strictjson.CheckYAML(&root, reflect.TypeFor[file](), strictjson.Options{DisallowUnknown: true, Locate: true})
	if errors.Is(err, strictjson.ErrEmpty) {
		return &Config{File: name, Dir: filepath.Dir(name)}, nil
	}
	if se := (*strictjson.Error)(nil); errors.As(err, &se) {
		return nil, fail(se.Line, se.Col, se.Path, se.Err)
	} else if err != nil {
		return nil, fail(0, 0, "", err)
	}
	var f file
	budget := 1 << 20
	if err := k8syaml.Decode(root.Content[0], &f, &budget); err != nil {
		return nil, nodeError(name, err)
	}
	at := func(p string) string {
		l, c := doc.Pos(p)
		return fmt.Sprintf("%s:%d:%d", name, l, c)
	}
	failAt := func(p string, err error) error {
		l, c := doc.Pos(p)
		return fail(l, c, p, err)
	}
	dir, err := filepath.Abs(filepath.Dir(name))
	if err != nil {
		return nil, err
	}
	c := &Config{File: name, Dir: dir, Node: f.Node, Accept: f.Accept}
	c.Node.pos = map[string]string{}
	for flag, key := range nodeKeys {
		if l, _ := doc.Pos("node." + key); l > 0 {
			c.Node.pos[flag] = at("node." + key)
		}
	}
	for i := range c.Accept {
		e, p := &c.Accept[i], fmt.Sprintf("accept[%d]", i)
		e.Pos = at(p)
		if e.Rule == "" {
			return nil, failAt(p, errors.New("rule: missing"))
		}
		if !known(e.Rule) {
			return nil, failAt(p+".rule", fmt.Errorf("%q: no such rule (open-path/ID or pss/CHECK, as in the audit's SARIF without rampart/)", e.Rule))
		}
		if strings.TrimSpace(e.Reason) == "" {
			return nil, failAt(p, errors.New("reason: missing: an accepted finding says why"))
		}
		for _, g := range []struct{ key, glob string }{{"kind", e.Kind}, {"namespace", e.Namespace}, {"name", e.Name}, {"container", e.Container}} {
			if _, err := path.Match(g.glob, ""); err != nil {
				return nil, failAt(p+"."+g.key, fmt.Errorf("%q: %v", g.glob, err))
			}
		}
		if e.Path != "" {
			re, err := globRegexp(e.Path)
			if err != nil {
				return nil, failAt(p+".path", fmt.Errorf("%q: %v", e.Path, err))
			}
			e.path = re
		}
		if e.Expires != "" {
			t, err := time.Parse(time.DateOnly, e.Expires)
			if err != nil {
				return nil, failAt(p+".expires", fmt.Errorf("%q: want a date, YYYY-MM-DD", e.Expires))
			}
			e.expires = t
		}
	}
	return c, nil
}

func nodeError(name string, err error) error {
	var ne *k8syaml.NodeError
	if errors.As(err, &ne) && ne.Node != nil {
		return &Error{File: name, Line: ne.Node.Line, Col: ne.Node.Column, Field: strings.TrimPrefix(ne.Path, "."), Err: errors.New(ne.Msg)}
	}
	return &Error{File: name, Err: err}
}

// globRegexp compiles a path glob: * and ? within a directory, **
// across directories, [...] as path.Match has it.
func globRegexp(g string) (*regexp.Regexp, error) {
	if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		switch c := g[i]; c {
		case '*':
			if i+1 < len(g) && g[i+1] == '*' {
				i++
				if i+1 < len(g) && g[i+1] == '/' {
					i++
					b.WriteString("(?:.*/)?")
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(g[i:], ']')
			class := g[i+1 : i+j]
			if strings.HasPrefix(class, "^") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		case '\\':
			if i+1 < len(g) {
				i++
				b.WriteString(regexp.QuoteMeta(g[i : i+1]))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// Finding is what an acceptance is matched against.
type Finding struct {
	Rule                             string // open-path/ID, pss/CHECK
	File                             string // the manifest, as audited
	Kind, Namespace, Name, Container string
}

// Match is the config's first entry that accepts f, or nil.
func (c *Config) Match(f Finding) *Entry {
	if c == nil {
		return nil
	}
	// A config found beside the files speaks for the files beneath its
	// directory only: a file outside it ("../x.yaml", which ** would
	// match) is accepted by none of its entries.
	abs, err := filepath.Abs(f.File)
	if err != nil {
		return nil
	}
	rel, err := filepath.Rel(c.Dir, abs)
	if rel = filepath.ToSlash(rel); err != nil || c.Found && (rel == ".." || strings.HasPrefix(rel, "../")) {
		return nil
	}
	for i := range c.Accept {
		e := &c.Accept[i]
		if e.Rule != f.Rule || !glob(e.Kind, f.Kind) || !glob(e.Namespace, f.Namespace) || !glob(e.Name, f.Name) || !glob(e.Container, f.Container) {
			continue
		}
		if e.path != nil && !e.path.MatchString(rel) {
			continue
		}
		return e
	}
	return nil
}

func glob(g, s string) bool {
	if g == "" {
		return true
	}
	ok, _ := path.Match(g, s)
	return ok
}

// Expired says whether the entry's acceptance has run out by now: it
// holds through its expiry date, in UTC.
func (e *Entry) Expired(now time.Time) bool {
	return !e.expires.IsZero() && !now.UTC().Before(e.expires.AddDate(0, 0, 1))
}

// ParseAnnotation reads an Annotation's value: RULE=REASON entries
// separated by ";" or new lines, each rule known and each reason given.
func ParseAnnotation(value string, known func(string) bool) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.FieldsFunc(value, func(r rune) bool { return r == ';' || r == '\n' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		rule, reason, ok := strings.Cut(part, "=")
		rule, reason = strings.TrimSpace(rule), strings.TrimSpace(reason)
		if !ok || reason == "" {
			return nil, fmt.Errorf("%q: want RULE=REASON: an accepted finding says why", part)
		}
		if !known(rule) {
			return nil, fmt.Errorf("%q: no such rule (open-path/ID or pss/CHECK)", rule)
		}
		if _, dup := out[rule]; dup {
			return nil, fmt.Errorf("%q: accepted twice", rule)
		}
		out[rule] = reason
	}
	return out, nil
}

// NodePos is where the config set the node fact of an audit flag
// ("runtime") by ApplyNode, as file:line:col: node.KEY; "" when it did
// not (the file does not give it, or the command line did).
func (c *Config) NodePos(flag string) string {
	if c == nil || !c.Node.applied[flag] {
		return ""
	}
	return c.Node.pos[flag] + ": node." + nodeKeys[flag]
}

// nodeKeys maps each audit flag to its key under node:.
var nodeKeys = map[string]string{
	"runtime": "runtime", "runtime-version": "runtimeVersion", "seccomp-default": "seccompDefault",
	"apparmor-node": "apparmorNode", "profiles": "profiles", "sysctl": "sysctls", "node-kernel": "nodeKernel",
	"image-shadow": "imageShadow", "node-disk": "nodeDisk", "node-runtime-socket": "nodeRuntimeSockets",
	"arch": "arch",
}

// Flags is what a command line's flags are set through
// (*pflag.FlagSet is one).
type Flags interface {
	Changed(name string) bool
	Set(name, value string) error
}

// ApplyNode sets each node fact of the config on the flag it stands for,
// unless the command line gave that flag, so the file's values are
// parsed and checked exactly as the flags' are. Profiles is relative to
// the config's directory.
func (c *Config) ApplyNode(fs Flags) error {
	n := &c.Node
	n.applied = map[string]bool{}
	vals := map[string][]string{}
	str := func(flag string, s *string) {
		if s != nil {
			vals[flag] = []string{*s}
		}
	}
	boolean := func(flag string, b *bool) {
		if b != nil {
			vals[flag] = []string{fmt.Sprint(*b)}
		}
	}
	str("runtime", n.Runtime)
	str("runtime-version", n.RuntimeVersion)
	str("arch", n.Arch)
	boolean("seccomp-default", n.SeccompDefault)
	boolean("apparmor-node", n.AppArmorNode)
	if n.Profiles != nil {
		p := *n.Profiles
		if !filepath.IsAbs(p) {
			p = filepath.Join(c.Dir, p)
		}
		vals["profiles"] = []string{p}
	}
	for _, k := range slices.Sorted(maps.Keys(n.Sysctls)) {
		vals["sysctl"] = append(vals["sysctl"], k+"="+string(n.Sysctls[k]))
	}
	vals["node-kernel"] = n.Kernel
	str("image-shadow", n.ImageShadow)
	str("node-disk", n.Disk)
	vals["node-runtime-socket"] = n.RuntimeSockets
	for _, flag := range slices.Sorted(maps.Keys(vals)) {
		vs := vals[flag]
		if len(vs) == 0 || fs.Changed(flag) {
			continue
		}
		n.applied[flag] = true
		for _, v := range vs {
			if err := fs.Set(flag, v); err != nil {
				return fmt.Errorf("%s: %v", c.NodePos(flag), err)
			}
		}
	}
	return nil
}
