package seccomp

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rampart-sec/rampart/internal/strictjson"
	"github.com/rampart-sec/rampart/internal/unitfile"
)

// locator says where the values of a profile's file are: the checked
// document (JSON, or the YAML of a Security Profiles Operator object),
// the path prefix of the profile in it ("spec." for an SPO object) and
// the syscalls[] entries as written, before resolving.
type locator struct {
	doc *strictjson.Doc
	// prefix is the path of the profile within doc ("spec." in an SPO
	// object); shown, within the file as the user names it
	// ("linux.seccomp." in an OCI config, whose doc is the profile alone
	// at its own offsets).
	prefix, shown string
	entries       []strictSyscall
	// defaultErrno and defaultErrnoRet are the file's, as written.
	defaultErrno    string
	defaultErrnoRet *uint
}

// InFile says whether the profile was read from a file, whose rules
// RuleSource names by file and line.
func (p *Profile) InFile() bool { return p.loc != nil }

// RuleSource says where a rule is written: "file:line" in a profile file,
// or "NAME syscalls[i]" (the resolved profile's entry, as `rampart
// seccomp show` prints it) where there is no file to point in.
func (p *Profile) RuleSource(r Rule) string {
	if e, ok := p.unitEntry(r); ok {
		return fmt.Sprintf("%s %s=", e.At(), e.Key)
	}
	if line, _ := p.RulePos(r); line > 0 {
		return fmt.Sprintf("%s:%d", p.Name, line)
	}
	return fmt.Sprintf("%s syscalls[%d]", p.Name, r.Index)
}

// RulePos is the line and column of r's syscall name in the profile's
// file, 0, 0 where there is no file (RuntimeDefault, a generated
// profile) or a rule installed by number no longer has an entry.
func (p *Profile) RulePos(r Rule) (line, col int) {
	if u, ok := p.unitEntry(r); ok {
		if u.File != p.Name {
			return 0, 0 // a drop-in's: RuleSource names it
		}
		return u.Line, 1
	}
	e, ok := p.RuleEntry(r)
	if !ok {
		return 0, 0
	}
	field := ""
	switch names := p.loc.entries[e].Names; {
	case p.loc.entries[e].Name == r.Name:
		field = "name"
	default:
		for k, n := range names {
			if n == r.Name {
				field = "names[" + strconv.Itoa(k) + "]"
				break
			}
		}
	}
	if field != "" {
		if l, c := p.EntryPos(e, field); l > 0 {
			return l, c
		}
	}
	return p.EntryPos(e, "")
}

// unitEntry is the directive of a systemd unit r is written for.
func (p *Profile) unitEntry(r Rule) (unitfile.Entry, bool) {
	if p.unit == nil || r.Index < 0 || r.Index >= len(p.unit) || p.unit[r.Index].Key == "" {
		return unitfile.Entry{}, false
	}
	return p.unit[r.Index], true
}

// RuleEntry is the index in the file's syscalls[] of the entry r was
// resolved from. Resolving drops entries (includes, excludes) and names
// but keeps the order, so resolved entries are matched in order to the
// next written entry with the same action, errno and conditions and all
// their names.
func (p *Profile) RuleEntry(r Rule) (int, bool) {
	if p.loc == nil || r.Index < 0 || r.Index >= len(p.Spec.Syscalls) {
		if r.ByNumber && r.Index < 0 && p.loc != nil {
			// an entry that named only such syscalls was dropped from
			// the resolved profile: the first written entry naming it
			for j, e := range p.loc.entries {
				if e.Name == r.Name || contains(e.Names, r.Name) {
					return j, true
				}
			}
		}
		return 0, false
	}
	entries := p.loc.entries
	j := 0
	for i := 0; i <= r.Index; i++ {
		for j < len(entries) && !entries[j].covers(p.Spec.Syscalls[i]) {
			j++
		}
		if j == len(entries) {
			return 0, false
		}
		if i < r.Index {
			j++
		}
	}
	return j, true
}

// EntryPos is where field ("action", "args[0]", "" for the entry itself)
// of the file's syscalls[e] is written.
func (p *Profile) EntryPos(e int, field string) (line, col int) {
	path := "syscalls[" + strconv.Itoa(e) + "]"
	if field != "" {
		path += "." + field
	}
	return p.FieldPos(path)
}

// FieldPos is where the value at path ("defaultAction",
// "architectures[1]", "syscalls[3].errnoRet") is written in the
// profile's file, 0, 0 when it is not written or there is no file.
func (p *Profile) FieldPos(path string) (line, col int) {
	if p.loc == nil || p.loc.doc == nil {
		return 0, 0
	}
	return p.loc.doc.Pos(p.loc.prefix + path)
}

// FieldPath is path as written in the file: "spec.defaultAction" in a
// Security Profiles Operator object.
func (p *Profile) FieldPath(path string) string {
	if p.loc == nil {
		return path
	}
	return p.loc.shown + path
}

// WrittenEntry is a syscalls[] entry as written in the profile's file, before
// resolving.
type WrittenEntry struct {
	Names  []string
	Action string
	Errno  *uint
	Args   []specs.LinuxSeccompArg
	// Arches are its includes.arches; NotArches its excludes.arches.
	Arches, NotArches []string
}

// Written are the file's syscalls[] as written (nil without a file).
func (p *Profile) Written() []WrittenEntry {
	if p.loc == nil {
		return nil
	}
	out := make([]WrittenEntry, len(p.loc.entries))
	for i, e := range p.loc.entries {
		x := WrittenEntry{Names: e.Names, Action: e.Action, Errno: e.ErrnoRet}
		if e.Name != "" {
			x.Names = []string{e.Name}
		}
		for _, a := range e.Args {
			x.Args = append(x.Args, specs.LinuxSeccompArg{Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: specs.LinuxSeccompOperator(a.Op)})
		}
		if e.Includes != nil {
			x.Arches = e.Includes.Arches
		}
		if e.Excludes != nil {
			x.NotArches = e.Excludes.Arches
		}
		out[i] = x
	}
	return out
}

// covers says whether resolved could come from e.
func (e strictSyscall) covers(resolved specs.LinuxSyscall) bool {
	for _, n := range resolved.Names {
		if e.Name != n && !contains(e.Names, n) {
			return false
		}
	}
	if e.Action != string(resolved.Action) || (e.ErrnoRet == nil) != (resolved.ErrnoRet == nil) ||
		(e.ErrnoRet != nil && *e.ErrnoRet != *resolved.ErrnoRet) || len(e.Args) != len(resolved.Args) {
		return false
	}
	for i, a := range e.Args {
		b := resolved.Args[i]
		if a.Index != b.Index || a.Value != b.Value || a.ValueTwo != b.ValueTwo || a.Op != string(b.Op) {
			return false
		}
	}
	return true
}
