// Package unitfile reads the syntax of systemd unit files (and Podman
// Quadlet's, which share it): sections, assignments, comments and
// continuation lines, with the file and line of every assignment, and the
// drop-ins that extend a unit. It knows no directive: what a key means is
// its reader's business.
//
// Where systemd would log a line and ignore it (a line without "=", an
// assignment before any section, a broken section header), Parse
// refuses the file instead: a misspelt line may be a layer its author
// believes is applied, and rampart says so rather than predict without it.
package unitfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Entry is one assignment: Key=Value in Section, written at File:Line
// (the first line of a value continued over several).
type Entry struct {
	Section, Key, Value string
	File                string
	Line                int
}

// At is where the entry is written, "file:line".
func (e Entry) At() string { return fmt.Sprintf("%s:%d", e.File, e.Line) }

// Unit is a unit file with its drop-ins, entries in the order systemd
// applies them.
type Unit struct {
	// Name is the unit's file name ("sshd.service").
	Name string
	// File is the main file; DropIns the drop-in files read after it.
	File    string
	DropIns []string
	Entries []Entry
	// Sections lists the sections written, in first-seen order.
	Sections []string
}

// Error is a line Parse refuses.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// maxLine is systemd's limit for one logical line (LONG_LINE_MAX).
const maxLine = 1 << 20

// Parse reads the entries of one file.
func Parse(file string, body []byte) ([]Entry, []string, error) {
	var (
		entries  []Entry
		sections []string
		section  string
		cont     strings.Builder
		contLine int
	)
	line := func(l string, at int) error {
		if len(l) > maxLine {
			return &Error{file, at, errors.New("a line over 1 MiB: systemd refuses the file")}
		}
		if strings.HasPrefix(l, "[") {
			if !strings.HasSuffix(l, "]") || len(l) < 3 {
				return &Error{file, at, fmt.Errorf("%q: not a section header ([Name])", l)}
			}
			section = l[1 : len(l)-1]
			if !slices.Contains(sections, section) {
				sections = append(sections, section)
			}
			return nil
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return &Error{file, at, fmt.Errorf("%q: no \"=\"; systemd ignores such a line, and what it meant to set would not be set", l)}
		}
		if section == "" {
			return &Error{file, at, fmt.Errorf("%s= before any [Section]: systemd ignores it", strings.TrimSpace(k))}
		}
		k = strings.TrimSpace(k)
		if k == "" {
			return &Error{file, at, errors.New("an assignment without a key")}
		}
		entries = append(entries, Entry{Section: section, Key: k, Value: strings.TrimSpace(v), File: file, Line: at})
		return nil
	}
	lines := bytes.Split(body, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1] // the file's final newline
	}
	for i, raw := range lines {
		n := i + 1
		l := strings.TrimSpace(strings.TrimSuffix(string(raw), "\r"))
		if strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") {
			// also inside a continued value, which it does not end
			continue
		}
		if contLine == 0 && l == "" {
			continue
		}
		if continues(l) {
			if contLine == 0 {
				contLine = n
			}
			cont.WriteString(strings.TrimSuffix(l, `\`))
			cont.WriteByte(' ')
			if cont.Len() > maxLine {
				return nil, nil, &Error{file, contLine, errors.New("a line continued past 1 MiB: systemd refuses the file")}
			}
			continue
		}
		at := n
		if contLine > 0 {
			cont.WriteString(l)
			l, at = strings.TrimSpace(cont.String()), contLine
			cont.Reset()
			contLine = 0
		}
		if err := line(l, at); err != nil {
			return nil, nil, err
		}
	}
	if contLine > 0 {
		// the file ends inside a continued value: systemd takes what
		// was read as the file's last line
		if err := line(strings.TrimSpace(cont.String()), contLine); err != nil {
			return nil, nil, err
		}
	}
	return entries, sections, nil
}

// continues says whether l ends in an unescaped backslash: systemd
// scans the line, a backslash escaping the character after it.
func continues(l string) bool {
	escaped := false
	for i := 0; i < len(l); i++ {
		if escaped {
			escaped = false
		} else if l[i] == '\\' {
			escaped = true
		}
	}
	return escaped
}

// Read reads the unit file at path and the drop-ins beside it
// (NAME.d/*.conf, and for an instance foo@bar.service also foo@.service.d),
// in systemd's order: the main file, then the drop-ins sorted by file
// name, a later directory's file replacing an earlier one's of the same
// name. Drop-in directories elsewhere on a host (/etc/systemd/system,
// /run) are not looked for: the unit read is the one given.
func Read(path string) (*Unit, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ReadBytes(path, body)
}

// ReadBytes is Read with the main file's contents given.
func ReadBytes(path string, body []byte) (*Unit, error) {
	u := &Unit{Name: filepath.Base(path), File: path}
	es, ss, err := Parse(path, body)
	if err != nil {
		return nil, err
	}
	u.Entries, u.Sections = es, ss
	dirs := []string{path + ".d"}
	if tmpl := Template(u.Name); tmpl != "" {
		dirs = append([]string{filepath.Join(filepath.Dir(path), tmpl+".d")}, dirs...)
	}
	byName := map[string]string{}
	for _, d := range dirs {
		ms, err := filepath.Glob(filepath.Join(d, "*.conf"))
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			byName[filepath.Base(m)] = m
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		f := byName[n]
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		es, ss, err := Parse(f, b)
		if err != nil {
			return nil, err
		}
		u.DropIns = append(u.DropIns, f)
		u.Entries = append(u.Entries, es...)
		for _, s := range ss {
			if !slices.Contains(u.Sections, s) {
				u.Sections = append(u.Sections, s)
			}
		}
	}
	return u, nil
}

// Template is the template an instance's name comes from
// ("getty@tty1.service" → "getty@.service"), or "" for a unit that is
// no instance.
func Template(name string) string {
	at := strings.IndexByte(name, '@')
	dot := strings.LastIndexByte(name, '.')
	if at < 0 || dot < at || at+1 == dot {
		return ""
	}
	return name[:at+1] + name[dot:]
}

// Type is the unit's type, its file name's suffix without the dot
// ("service", "socket"), or "" for a name without one.
func Type(name string) string {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		return ""
	}
	return name[dot+1:]
}

// Section is the entries of one section, in order.
func (u *Unit) Section(name string) []Entry {
	var out []Entry
	for _, e := range u.Entries {
		if e.Section == name {
			out = append(out, e)
		}
	}
	return out
}

// Bool reads a value as systemd reads a boolean: 1, yes, y, true, t or
// on; 0, no, n, false, f, off or empty. ok is false for anything else,
// a line systemd ignores.
func Bool(v string) (b, ok bool) {
	switch strings.ToLower(v) {
	case "1", "yes", "y", "true", "t", "on":
		return true, true
	case "0", "no", "n", "false", "f", "off", "":
		return false, true
	}
	return false, false
}

// Known says whether systemd reads key in section of a service unit
// ([Unit], [Service], [Install]): a key it does not know it ignores,
// with a log line.
func Known(section, key string) bool { return knownKeys[section+"."+key] }
