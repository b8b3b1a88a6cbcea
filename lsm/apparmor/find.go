package apparmor

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/rampart-sec/rampart/policy"
)

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
		name, err := profileName(arg)
		if err != nil {
			// Refused here, the file is judged by apparmor_parser too:
			// the user reads what a node's parser says of it as well.
			var check Checker
			return nil, Refusal(err, check.CheckFile(arg))
		}
		return &policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: name, File: arg, Origin: origin}, nil
	}
	if strings.ContainsRune(arg, '/') {
		return nil, fmt.Errorf("AppArmor profile file %s: %w", arg, os.ErrNotExist)
	}
	ref := &policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: arg, Origin: origin}
	if dir != "" {
		file, err := FindFile(dir, arg)
		if err != nil {
			return nil, err
		}
		if _, err := ProfileIn(file, arg); err != nil && !errors.Is(err, ErrUnsupported) {
			return nil, err
		}
		ref.File = file
	}
	return ref, nil
}

// profileName is the name of the one profile file defines. A file that
// holds constructs rampart does not model (hats, child profiles, ...) is
// still valid AppArmor for apparmor_parser to load: its name is then read
// from the top-level block headers alone.
func profileName(file string) (string, error) {
	p, err := ProfileIn(file, "")
	if err == nil {
		return p.Name, nil
	}
	if !errors.Is(err, ErrUnsupported) {
		return "", err
	}
	src, rerr := os.ReadFile(file)
	if rerr != nil {
		return "", rerr
	}
	names := declaredNames(file, src)
	if len(names) != 1 {
		return "", err
	}
	return names[0], nil
}

// declaredNames lists the names of the top-level profiles in src, from
// the block structure only.
func declaredNames(file string, src []byte) []string {
	lx, err := lex(file, src)
	if err != nil {
		return nil
	}
	var names []string
	depth := 0
	for _, st := range lx.stmts {
		switch st.kind {
		case stmtOpen:
			if depth == 0 {
				ws := st.words
				name := ws[0].text
				if name == "profile" && len(ws) > 1 {
					name = ws[1].text
				}
				if n, ok := unquote(name); ok && n != "" {
					names = append(names, n)
				}
			}
			depth++
		case stmtClose:
			depth--
		}
	}
	return names
}
