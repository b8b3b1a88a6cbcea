package record

import (
	"debug/elf"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
)

// apparmorProfile is an allow list: the files with the modes recorded,
// the socket kinds created, the capabilities added back, on top of
// <abstractions/base> and under rampart's container defaults (which
// still deny the kernel's controls in /proc and /sys, and mounting).
func (g *Generated) apparmorProfile(rec *Recording, check *apparmor.Checker) (*apparmor.Document, error) {
	al := &apparmor.AllowList{Caps: caps.Sorted(g.Caps, caps.Cap.AppArmor)}
	var skipped []string
	for _, f := range rec.Files {
		perms, exec := apparmorPerms(f.Mode)
		if err := apparmor.CheckPath(f.Path); err != nil || perms == 0 {
			skipped = append(skipped, fmt.Sprintf("%q %s", f.Path, f.Mode))
			continue
		}
		al.Files = append(al.Files, apparmor.FileAllow{Path: f.Path, Perms: perms, Exec: exec})
	}
	if len(skipped) > 0 {
		g.note("apparmor: file accesses that cannot be written as rules, left out: %s", strings.Join(skipped, ", "))
	}
	g.network = g.networkRules(rec)
	al.Network = g.network
	doc, err := apparmor.Generate(apparmor.Options{Name: g.Name, ContainerDefault: true, Allow: al})
	if err != nil {
		return nil, fmt.Errorf("generated AppArmor profile: %w", err)
	}
	if check != nil {
		// What the node's parser refuses is not written: the workload
		// would run with no profile at all where it is used.
		if err := check.Check(g.Name, []byte(doc.Render())); err != nil {
			return nil, fmt.Errorf("generated AppArmor profile: %w", err)
		}
	}
	g.checkAppArmor(doc, rec)
	return doc, nil
}

// apparmorPerms turns the recorded letters into AppArmor permissions:
// creating a file is w to AppArmor; an executed program runs under the
// same profile (ix).
func apparmorPerms(mode string) (apparmor.Perm, apparmor.ExecMode) {
	var p apparmor.Perm
	var exec apparmor.ExecMode
	for _, c := range mode {
		switch c {
		case 'r':
			p |= apparmor.PermRead
		case 'w', 'c':
			p |= apparmor.PermWrite
		case 'a':
			p |= apparmor.PermAppend
		case 'l':
			p |= apparmor.PermLink
		case 'k':
			p |= apparmor.PermLock
		case 'x':
			p |= apparmor.PermExec
			exec = "ix"
		}
	}
	return p, exec
}

// networkRules are the socket kinds created, in AppArmor's names. A type
// AppArmor has no name for widens the rule to the whole family.
func (g *Generated) networkRules(rec *Recording) []apparmor.NetworkAllow {
	set := map[apparmor.NetworkAllow]bool{}
	add := func(fam, typ uint64) {
		f := strings.ToLower(strings.TrimPrefix(familyName(uint32(fam)), "AF_"))
		if _, err := apparmor.ParseAccess("network " + f); err != nil {
			g.note("apparmor: sockets of family %s cannot be written as a rule; not allowed", familyName(uint32(fam)))
			return
		}
		t := strings.ToLower(strings.TrimPrefix(sockTypeName(uint32(typ)), "SOCK_"))
		if _, err := apparmor.ParseAccess("network " + f + " " + t); err != nil {
			g.note("apparmor: AppArmor has no name for socket type %s: family %s is allowed with every type", sockTypeName(uint32(typ)), f)
			t = ""
		}
		set[apparmor.NetworkAllow{Family: f, Type: t}] = true
	}
	vals := argValues(rec)
	for _, call := range []string{"socket", "socketpair"} {
		if sumCalls(rec, call) == 0 {
			continue
		}
		kinds, ok := socketKinds(rec, call, vals)
		if !ok {
			g.note("apparmor: %s was called but the recording does not say with which family: networking allowed wholesale", call)
			return []apparmor.NetworkAllow{{}}
		}
		for _, k := range kinds {
			add(k.family, k.typ)
		}
	}
	out := make([]apparmor.NetworkAllow, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Family+" "+out[i].Type < out[j].Family+" "+out[j].Type })
	return out
}

func sumCalls(rec *Recording, name string) uint64 {
	var n uint64
	for _, calls := range rec.Syscalls {
		n += calls[name]
	}
	return n
}

// checkAppArmor notes recorded accesses the profile still denies: the
// container defaults win over the allow list.
func (g *Generated) checkAppArmor(doc *apparmor.Document, rec *Recording) {
	c, err := apparmor.Compile(doc.Profiles[0], apparmor.SystemIncludes)
	if err != nil {
		g.note("apparmor: the profile could not be evaluated here: %v", err)
		return
	}
	for _, f := range rec.Files {
		perms, _ := apparmorPerms(f.Mode)
		if perms == 0 {
			continue
		}
		for _, p := range decidedPaths(f) {
			d, err := c.Eval(apparmor.Access{Class: apparmor.ClassFile, Path: p, Perms: perms})
			if err == nil && !d.Allowed {
				g.note("apparmor: %s %s stays denied: %s", p, f.Mode, d.Reason)
			}
		}
	}
}

// decidedPaths are the paths AppArmor decides an access on: the
// recorded path, which the recorder resolved (symbolic links followed,
// a directory's with its '/'), or, where it is a glob, the raw paths as
// the kernel sees them: /proc/self resolved to a pid, and a raw path
// that went through a symbolic link resolved here, since the rule was
// written for its target (a man page's alias, a jar's version link).
func decidedPaths(f FileAccess) []string {
	if !apparmor.HasGlob(f.Path) || len(f.Raw) == 0 {
		return []string{f.Path}
	}
	var out []string
	for _, raw := range f.Raw {
		p := kernelPath(raw)
		if !strings.HasPrefix(p, "/proc/") {
			// /proc's links are the kernel's own, resolved per process.
			if r, err := filepath.EvalSymlinks(p); err == nil {
				p = r
			}
		}
		if strings.HasSuffix(f.Path, "/") && !strings.HasSuffix(p, "/") {
			p += "/"
		}
		out = append(out, p)
	}
	return out
}

// kernelPath is the path AppArmor decides on: the kernel has resolved
// /proc/self and /proc/thread-self to the process's own directories by
// then (any pid stands for it here).
func kernelPath(p string) string {
	for _, l := range []struct{ link, to string }{{"/proc/thread-self/", "/proc/1/task/1/"}, {"/proc/self/", "/proc/1/"}} {
		if rest, ok := strings.CutPrefix(p, l.link); ok {
			return l.to + rest
		}
	}
	return p
}

// landlockRules are the filesystem allow list in Landlock's terms, where
// AppArmor's globs and letters do not exist:
//
//   - a path with a glob or variable is granted at its literal directory
//     (/proc/@{pid}/status: /proc);
//   - a created file is granted at its directory (Landlock grants the
//     right to create beneath a directory, and the file need not exist
//     when the rules are made);
//   - an executed program needs r and x, and so does its ELF
//     interpreter, which the kernel opens without a system call;
//   - a directory grant covers everything beneath it (a listing of /
//     opens reading everywhere: AppArmor's rules stay exact);
//   - a path that does not exist here is granted at its nearest existing
//     ancestor: Landlock rules are made on open files.
func (g *Generated) landlockRules(rec *Recording) []policy.FSRule {
	acc := map[string]string{}
	add := func(p, letters string) {
		p = path.Clean(p)
		if !strings.HasPrefix(p, "/") {
			return
		}
		acc[p] = mergeLetters(acc[p], letters)
	}
	for _, f := range rec.Files {
		p, literal := literalPrefix(f.Path)
		dir := p
		if literal {
			dir = path.Dir(strings.TrimSuffix(p, "/"))
		} else {
			p = dir
		}
		var letters string
		if strings.Contains(f.Mode, "r") {
			letters += "r"
		}
		if strings.ContainsAny(f.Mode, "wa") {
			letters += "w"
		}
		if strings.Contains(f.Mode, "x") && !strings.HasPrefix(p, "/proc/") {
			// (an exec of /proc/self/exe is checked on its target)
			letters += "rx"
		}
		if strings.ContainsAny(f.Mode, "cl") {
			// a new name: made in its directory
			add(dir, letters+"w")
		} else if letters != "" {
			add(p, letters)
		}
	}
	for _, e := range rec.Exec {
		if in := elfInterpreter(e); in != "" {
			add(in, "rx")
		}
	}
	var rules []policy.FSRule
	var moved []string
	for _, p := range slices.Sorted(maps.Keys(acc)) {
		at := p
		for at != "/" {
			if _, err := os.Stat(at); err == nil {
				break
			}
			at = path.Dir(at)
		}
		r := policy.FSRule{Mode: policy.Allow, Path: at, Access: acc[p]}
		if at != p {
			// The rule stands for a path it does not name: say which. A
			// rule at its own path is named by where the policy file
			// holds it.
			moved = append(moved, p+" -> "+at)
			r.Origin = "recording: " + p
		}
		rules = append(rules, r)
	}
	if len(moved) > 0 {
		g.note("landlock: paths that do not exist here, granted at their nearest existing ancestor: %s", strings.Join(moved, ", "))
	}
	for _, r := range rules {
		if r.Path == "/" && strings.Contains(r.Access, "r") {
			g.note("landlock: the workload read the directory /, so Landlock lets it read everywhere (AppArmor's rules stay exact)")
		}
	}
	return rules
}

// literalPrefix returns the path up to its first glob or variable, and
// whether there was none.
func literalPrefix(p string) (string, bool) {
	i := strings.IndexAny(p, "*?[]{}@\\")
	if i < 0 {
		return p, true
	}
	return p[:strings.LastIndexByte(p[:i], '/')+1], false
}

// mergeLetters is the union of access letters, in the order r, w, x.
func mergeLetters(a, b string) string {
	var out string
	for _, c := range "rwx" {
		if strings.ContainsRune(a, c) || strings.ContainsRune(b, c) {
			out += string(c)
		}
	}
	return out
}

// elfInterpreter is the dynamic loader an ELF program names, resolved
// ("" for a static program, a script, or a file that is not there).
func elfInterpreter(prog string) string {
	if strings.HasPrefix(prog, "/proc/") {
		return "" // /proc/self/exe: the reader's own, not the workload's
	}
	f, err := elf.Open(prog)
	if err != nil {
		return ""
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, min(p.Filesz, 4096))
		if _, err := p.ReadAt(b, 0); err != nil {
			return ""
		}
		in := strings.TrimRight(string(b), "\x00")
		if r, err := filepath.EvalSymlinks(in); err == nil {
			return r
		}
		return in
	}
	return ""
}
