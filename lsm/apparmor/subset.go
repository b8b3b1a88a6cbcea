package apparmor

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/rampart-sec/rampart/policy"
)

// Profile is one profile block of a file, as far as this reader
// understands it: its name, flags and statements with their lines.
type Profile struct {
	Name  string
	Flags []string
	File  string
	Line  int
	Rules []Rule
}

// Rule is one statement of a profile body.
type Rule struct {
	Line int
	Text string // as written, without the trailing comma
}

// headerRe is compiled on first use: every rampart start would pay for it.
var headerRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:profile\s+(\S+)(?:\s+(/\S*))?|(/\S*))\s*(?:flags\s*=\s*\(([^)]*)\))?\s*\{$`)
})

// ParseFile reads the profiles in an AppArmor policy file. It understands
// the block structure, comments and includes; statements are kept as text
// for the consumers to interpret.
func ParseFile(path string) ([]*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse is ParseFile on bytes.
func Parse(name string, src []byte) ([]*Profile, error) {
	var out []*Profile
	var cur *Profile
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if isInclude(line) {
			if cur != nil {
				cur.Rules = append(cur.Rules, Rule{Line: n, Text: line})
			}
			continue
		}
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		switch {
		case cur == nil:
			if strings.HasPrefix(line, "@{") || strings.HasPrefix(line, "abi ") {
				continue // variable definitions and abi lines before a profile
			}
			m := headerRe().FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("%s:%d: expected a profile header such as `profile NAME flags=(...) {`, found %q", name, n, line)
			}
			cur = &Profile{Name: m[1], File: name, Line: n}
			if cur.Name == "" {
				cur.Name = m[3]
			}
			if m[4] != "" {
				for _, f := range strings.FieldsFunc(m[4], func(r rune) bool { return r == ',' || r == ' ' }) {
					cur.Flags = append(cur.Flags, f)
				}
			}
		case line == "}":
			out = append(out, cur)
			cur = nil
		case strings.HasSuffix(line, "{"):
			return nil, fmt.Errorf("%s:%d: nested blocks (hats, child profiles, conditionals) are not supported yet", name, n)
		default:
			if !strings.HasSuffix(line, ",") {
				return nil, fmt.Errorf("%s:%d: statement does not end with a comma: %q", name, n, line)
			}
			cur.Rules = append(cur.Rules, Rule{Line: n, Text: strings.TrimSpace(strings.TrimSuffix(line, ","))})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: profile %s is not closed with }", name, cur.Line, cur.Name)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no profile in file", name)
	}
	return out, nil
}

func isInclude(line string) bool {
	return strings.HasPrefix(line, "#include") || strings.HasPrefix(line, "include ") || strings.HasPrefix(line, "include<")
}

// Find returns the profile called name from the files in dir (see
// FindFile).
func Find(dir, name string) (*Profile, error) {
	file, err := FindFile(dir, name)
	if err != nil {
		return nil, err
	}
	return ProfileIn(file, name)
}

// FindFile returns the file in dir that defines the profile name, the way
// a node's profile directory is searched: a regular file called name,
// else the first file (in name order) with a line declaring "profile
// name" (with or without flags, an attachment or a brace after it), or a
// profile named by its attachment path. Subdirectories and hidden files
// are skipped. Only the declaration is matched, so files holding
// constructs this package does not parse can still be found.
func FindFile(dir, name string) (string, error) {
	if name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00") {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("AppArmor profile %q: %w", name, err)
	}
	q := regexp.QuoteMeta(name)
	decl := `(?:` + q + `|"` + q + `")(?:\s|\{|$)`
	re := regexp.MustCompile(`^\s*profile\s+` + decl)
	var pathRE *regexp.Regexp
	if strings.HasPrefix(name, "/") {
		pathRE = regexp.MustCompile(`^\s*` + decl)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > 4<<20 {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if line := sc.Text(); re.MatchString(line) || pathRE != nil && pathRE.MatchString(line) {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("AppArmor profile %q: no file in %s defines it", name, dir)
}

// ProfileIn returns the single profile a file defines, or the named one.
func ProfileIn(file, name string) (*Profile, error) {
	ps, err := ParseFile(file)
	if err != nil {
		return nil, err
	}
	if name == "" {
		if len(ps) != 1 {
			return nil, fmt.Errorf("%s defines %d profiles; name the one to use", file, len(ps))
		}
		return ps[0], nil
	}
	for _, p := range ps {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%s does not define profile %q", file, name)
}

// includesWithoutDenials are the includes a container profile normally
// pulls in; they only allow, so they never hold a rule Landlock would miss.
var includesWithoutDenials = map[string]bool{"tunables/global": true, "abstractions/base": true}

// LandlockRules expresses the profile with Landlock filesystem rules, when
// it can be expressed exactly: a profile that allows everything (`file,`,
// `network,`, `capability,`) and denies reading or writing literal paths.
// Anything else is refused with its line, so a profile is never enforced
// as something weaker than it says.
func (p *Profile) LandlockRules() ([]policy.FSRule, error) {
	var rules []policy.FSRule
	allFiles := false
	for _, f := range p.Flags {
		if f == "complain" || f == "unconfined" || f == "kill" || f == "prompt" {
			return nil, fmt.Errorf("%s:%d: profile mode %q cannot be expressed with Landlock", p.File, p.Line, f)
		}
	}
	for _, r := range p.Rules {
		where := fmt.Sprintf("%s:%d", p.File, r.Line)
		if isInclude(r.Text) {
			inc := strings.Trim(strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(r.Text, "#"), "include")), "<>\" ")
			if !includesWithoutDenials[inc] {
				return nil, fmt.Errorf("%s: include %q may hold rules Landlock cannot express", where, inc)
			}
			continue
		}
		f := strings.Fields(r.Text)
		if len(f) > 0 && f[0] == "audit" {
			f = f[1:] // audit only adds logging
		}
		switch {
		case len(f) == 1 && f[0] == "file":
			allFiles = true
		case len(f) == 1 && (f[0] == "network" || f[0] == "capability"):
			// allowed wholesale; nothing for Landlock to do
		case len(f) == 3 && f[0] == "deny" && strings.HasPrefix(f[1], "/"):
			path, perms := f[1], f[2]
			if strings.ContainsAny(path, "*?[]{}@") {
				return nil, fmt.Errorf("%s: %q: globs and variables cannot be expressed with Landlock", where, r.Text)
			}
			if strings.Trim(perms, "rwa") != "" {
				return nil, fmt.Errorf("%s: %q: only r, w and a permissions can be expressed with Landlock", where, r.Text)
			}
			if strings.Contains(perms, "r") {
				rules = append(rules, policy.FSRule{Mode: policy.DenyRead, Path: path, Origin: where})
			}
			if strings.ContainsAny(perms, "wa") {
				rules = append(rules, policy.FSRule{Mode: policy.DenyWrite, Path: path, Origin: where})
			}
		default:
			return nil, fmt.Errorf("%s: %q cannot be expressed with Landlock (supported: file, network, capability, deny /literal/path r|w)", where, r.Text)
		}
	}
	if !allFiles {
		return nil, fmt.Errorf("%s:%d: profile %s does not allow files wholesale (`file,`); its allow list cannot be expressed with Landlock", p.File, p.Line, p.Name)
	}
	return rules, nil
}

// Reference resolves what a user wrote for a profile (a profile file, or
// a profile name, looked up in dir when dir is set) into a policy
// reference. A file is loaded before attaching; a bare name must already be
// loaded in the kernel.
func Reference(arg, dir, origin string) (*policy.AppArmor, error) {
	switch arg {
	case "unconfined":
		return &policy.AppArmor{Kind: policy.AppArmorUnconfined, Origin: origin}, nil
	case "runtime-default", "runtime/default":
		return &policy.AppArmor{Kind: policy.AppArmorRuntimeDefault, Origin: origin}, nil
	}
	if st, err := os.Stat(arg); err == nil && st.Mode().IsRegular() {
		p, err := ProfileIn(arg, "")
		if err != nil {
			return nil, err
		}
		return &policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: p.Name, File: arg, Origin: origin}, nil
	}
	if strings.ContainsRune(arg, '/') {
		return nil, fmt.Errorf("AppArmor profile file %s: %w", arg, os.ErrNotExist)
	}
	ref := &policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: arg, Origin: origin}
	if dir != "" {
		p, err := Find(dir, arg)
		if err != nil {
			return nil, err
		}
		ref.File = p.File
	}
	return ref, nil
}
