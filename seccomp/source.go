package seccomp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// RuleSource says where a rule is written: "file:line" in a JSON
// profile, or "NAME syscalls[i]" (the resolved profile's entry, as
// `rampart seccomp show` prints it) where there is no file to point in.
func (p *Profile) RuleSource(r Rule) string { return p.ruleSources()(r) }

// ruleSources reads the profile's JSON once and returns RuleSource.
func (p *Profile) ruleSources() func(Rule) string {
	var entries []sourceEntry
	if p.source != nil {
		entries = syscallEntries(p.source)
	}
	return func(r Rule) string {
		if line := p.ruleLine(entries, r); line > 0 {
			return fmt.Sprintf("%s:%d", p.Name, line)
		}
		return fmt.Sprintf("%s syscalls[%d]", p.Name, r.Index)
	}
}

// ruleLine finds the line of r's name in the syscalls[] entry of the
// profile's JSON that r's resolved entry came from. Resolving drops
// entries (includes, excludes) and names but keeps the order, so resolved
// entries are matched in order to the next original entry with the same
// action, errno and conditions and all their names.
func (p *Profile) ruleLine(entries []sourceEntry, r Rule) int {
	if len(entries) == 0 || r.Index >= len(p.Spec.Syscalls) {
		return 0
	}
	j := 0
	for i := 0; i <= r.Index; i++ {
		for j < len(entries) && !entries[j].covers(p.Spec.Syscalls[i]) {
			j++
		}
		if j == len(entries) {
			return 0
		}
		if i < r.Index {
			j++
		}
	}
	e := entries[j]
	span := p.source[e.start:e.end]
	if k := bytes.Index(span, []byte(`"`+r.Name+`"`)); k >= 0 {
		l, _ := lineCol(p.source, int64(e.start+k))
		return l
	}
	l, _ := lineCol(p.source, int64(e.start))
	return l
}

type sourceEntry struct {
	start, end int
	strictSyscall
}

// syscallEntries decodes a JSON profile's syscalls[] with each entry's
// byte span; nil for anything it cannot read (the profile was already
// checked when parsed, so that is an SPO object or no JSON).
func syscallEntries(body []byte) []sourceEntry {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var out []sourceEntry
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return out
		}
		if !strings.EqualFold(key, "syscalls") {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return out
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return out
		}
		for dec.More() {
			start := dec.InputOffset()
			var e sourceEntry
			if dec.Decode(&e.strictSyscall) != nil {
				return out
			}
			e.start, e.end = int(start), int(dec.InputOffset())
			out = append(out, e)
		}
		if _, err := dec.Token(); err != nil {
			return out
		}
	}
	return out
}

// covers says whether resolved could come from e.
func (e sourceEntry) covers(resolved specs.LinuxSyscall) bool {
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
