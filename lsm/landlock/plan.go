// Package landlock turns rampart's filesystem rules into a Landlock
// ruleset and enforces it.
//
// Landlock only allows: a ruleset lists the access rights it handles and
// grants them beneath chosen paths; everything handled and not granted is
// denied. rampart's deny rules are therefore built by complement: the
// handled rights are granted on /, except along the path to the denied
// file, where they are granted on every sibling instead. What follows, and
// is documented in `rampart run --help`:
//
//   - Files created later directly in a directory on the way to a denied
//     path (for --deny-read /etc/shadow: in / and /etc) get no rights, so
//     they cannot be read (deny-read) or created (deny-write).
//   - Landlock follows paths, not inodes: another hard link or a bind mount
//     of a denied file elsewhere stays reachable. rampart refuses a denied
//     file with several links, handles REFER so the workload cannot make
//     such a link itself, and a restricted process cannot mount.
//   - A denied directory keeps its listing visible (reading a directory is
//     a right of its parent's grant); the contents of its files are denied.
package landlock

import (
	"fmt"
	"path"
	"sort"
	"strings"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"

	"github.com/rampart-sec/rampart/internal/pathtree"
	"github.com/rampart-sec/rampart/policy"
)

// Access is a set of Landlock filesystem access rights.
type Access uint64

const (
	Execute   Access = llsys.AccessFSExecute
	WriteFile Access = llsys.AccessFSWriteFile
	ReadFile  Access = llsys.AccessFSReadFile
	ReadDir   Access = llsys.AccessFSReadDir
	RemoveDir Access = llsys.AccessFSRemoveDir
	RemoveFil Access = llsys.AccessFSRemoveFile
	MakeChar  Access = llsys.AccessFSMakeChar
	MakeDir   Access = llsys.AccessFSMakeDir
	MakeReg   Access = llsys.AccessFSMakeReg
	MakeSock  Access = llsys.AccessFSMakeSock
	MakeFifo  Access = llsys.AccessFSMakeFifo
	MakeBlock Access = llsys.AccessFSMakeBlock
	MakeSym   Access = llsys.AccessFSMakeSym
	Refer     Access = llsys.AccessFSRefer
	Truncate  Access = llsys.AccessFSTruncate
	IoctlDev  Access = llsys.AccessFSIoctlDev
)

// abiRights is what each Landlock ABI version can handle (kernel
// Documentation/userspace-api/landlock.rst).
var abiRights = []Access{
	1: Execute | WriteFile | ReadFile | ReadDir | RemoveDir | RemoveFil | MakeChar |
		MakeDir | MakeReg | MakeSock | MakeFifo | MakeBlock | MakeSym,
	2: Refer, 3: Truncate, 4: 0, 5: IoctlDev,
}

// RightsOf returns every right the ABI version can handle.
func RightsOf(abi int) Access {
	var a Access
	for v := 1; v <= abi && v < len(abiRights); v++ {
		a |= abiRights[v]
	}
	return a
}

// MinABI is the lowest ABI that can handle all of a.
func MinABI(a Access) int {
	for v := 1; v < len(abiRights); v++ {
		if a&^RightsOf(v) == 0 {
			return v
		}
	}
	return len(abiRights)
}

// fileRights are the rights Landlock accepts on a rule for a non-directory.
const fileRights = Execute | WriteFile | ReadFile | Truncate | IoctlDev

var (
	readRights  = ReadFile | ReadDir
	writeRights = WriteFile | Truncate | RemoveDir | RemoveFil | MakeChar | MakeDir |
		MakeReg | MakeSock | MakeFifo | MakeBlock | MakeSym | Refer | IoctlDev
	// What a deny rule takes away. deny-read leaves directory listings
	// alone: denying READ_DIR of a directory would need it denied on every
	// ancestor, breaking `ls /`.
	denyReadRights  = ReadFile
	denyWriteRights = writeRights &^ IoctlDev
	// noDevices is what a plan with a deny rule never grants.
	noDevices = MakeBlock | MakeChar
)

var accessNames = []struct {
	a    Access
	name string
}{
	{Execute, "execute"}, {WriteFile, "write_file"}, {ReadFile, "read_file"},
	{ReadDir, "read_dir"}, {RemoveDir, "remove_dir"}, {RemoveFil, "remove_file"},
	{MakeChar, "make_char"}, {MakeDir, "make_dir"}, {MakeReg, "make_reg"},
	{MakeSock, "make_sock"}, {MakeFifo, "make_fifo"}, {MakeBlock, "make_block"},
	{MakeSym, "make_sym"}, {Refer, "refer"}, {Truncate, "truncate"},
	{IoctlDev, "ioctl_dev"},
}

func (a Access) String() string {
	var out []string
	for _, n := range accessNames {
		if a&n.a != 0 {
			out = append(out, n.name)
		}
	}
	return joinOrNone(out)
}

// joinOrNone writes a set's names, "none" for the empty set.
func joinOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// Grant gives rights beneath a path (on the path itself for a file).
type Grant struct {
	Path   string
	Access Access
	IsDir  bool
}

// Denial is what a deny rule promised: the launcher checks it on the
// kernel before the workload starts.
type Denial struct {
	Path   string // resolved
	Access Access
	Rule   policy.FSRule
	// Dev and Ino are the denied file's as planned (0, 0: it did not
	// exist): Prepare refuses to grant that inode under any name, so a
	// swap after planning cannot move it under a granted one.
	Dev, Ino uint64
}

// Plan is a ruleset before it touches the kernel.
type Plan struct {
	Handled Access
	// Scoped are the scopes the domain is closed in (AddScope).
	Scoped  Scope
	Grants  []Grant
	Denials []Denial
	ABI     int      // lowest Landlock ABI that can enforce the plan
	Notes   []string // facts the user should know
}

// Entry is a directory entry as the planner needs it.
type Entry struct {
	Name    string
	IsDir   bool
	Symlink bool
}

// FS is what the planner reads of the filesystem; OSFS is the real one.
type FS interface {
	// Resolve returns path with every symlink resolved; a missing tail is
	// kept as written (it is denied if created later).
	Resolve(path string) (string, error)
	// Stat describes a resolved path: exists, is a directory, link count.
	Stat(path string) (exists, isDir bool, nlink uint64, err error)
	ReadDir(dir string) ([]Entry, error)
	// Inode identifies the file at a resolved path (device, inode).
	Inode(path string) (dev, ino uint64, err error)
	// OtherLinks looks for the names of file (dev, ino) outside the
	// subtree at except, stopping at want names or at its budget; it
	// returns what it found, for messages.
	OtherLinks(file string, dev, ino uint64, except string, want int) []string
}

// Compile builds the plan for rules. Without Allow rules the plan starts
// from everything handled granted on /; Allow rules switch to an allow
// list where only the listed paths are reachable. Deny rules are then
// carved out of whatever grants cover them, so a deny always wins.
func Compile(rules []policy.FSRule, fsys FS) (*Plan, error) {
	p := &Plan{}
	var allows, denies []policy.FSRule
	for _, r := range rules {
		switch r.Mode {
		case policy.Allow:
			allows = append(allows, r)
		case policy.DenyRead, policy.DenyWrite, policy.ReadOnly:
			denies = append(denies, r)
		default:
			return nil, fmt.Errorf("%s: unknown filesystem rule mode %q", origin(r), r.Mode)
		}
	}
	if len(rules) == 0 {
		return p, nil
	}

	// Handled rights: what the rules speak of. REFER is always handled so
	// the workload cannot re-link a denied file to where it gains rights.
	// With a deny rule, making device nodes is handled and granted
	// nowhere: a new node for the disk under a denied file would be a
	// route to its bytes that no path rule covers (CAP_MKNOD is in the
	// container runtimes' default set).
	p.Handled = Refer
	for _, r := range denies {
		p.Handled |= denyRights(r.Mode) | noDevices
	}
	grants := map[string]*Grant{}
	add := func(pth string, a Access, isDir bool) {
		if !isDir {
			a &= fileRights
		}
		if a == 0 {
			return
		}
		if g, ok := grants[pth]; ok {
			g.Access |= a
			return
		}
		grants[pth] = &Grant{Path: pth, Access: a, IsDir: isDir}
	}
	if len(allows) > 0 {
		p.Handled |= readRights | writeRights | Execute
		for _, r := range allows {
			a, err := parseAllow(r)
			if err != nil {
				return nil, err
			}
			res, err := fsys.Resolve(r.Path)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", origin(r), err)
			}
			exists, isDir, _, err := fsys.Stat(res)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", origin(r), err)
			}
			if !exists {
				return nil, fmt.Errorf("%s: %s does not exist (an allow rule needs an existing path)", origin(r), r.Path)
			}
			add(res, a, isDir)
		}
	} else {
		add("/", p.Handled, true)
	}

	laterNoted := map[string]bool{}
	for _, r := range denies {
		rights := denyRights(r.Mode)
		res, err := fsys.Resolve(r.Path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", origin(r), err)
		}
		exists, isDir, nlink, err := fsys.Stat(res)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", origin(r), err)
		}
		// Stops the hard-link route: Landlock decides by path, so another
		// name of a denied file, outside what is denied, would stay open.
		// A file beneath a denied directory counts as much as a denied file.
		if exists {
			if err := checkLinks(fsys, res, isDir, nlink); err != nil {
				return nil, fmt.Errorf("%s: %w", origin(r), err)
			}
		}
		if !exists {
			p.Notes = append(p.Notes, fmt.Sprintf("%s: %s does not exist; it is denied if created", r, res))
		}
		if res != path.Clean(r.Path) {
			p.Notes = append(p.Notes, fmt.Sprintf("%s: enforced on %s (symlinks resolved at launch)", r, res))
		}
		if err := carve(grants, res, rights, fsys, add); err != nil {
			return nil, fmt.Errorf("%s: %w", origin(r), err)
		}
		// Landlock grants paths that exist: the siblings of the denied
		// path are granted one by one, so what is made later beside it
		// has no grant at all.
		if dir := path.Dir(res); dir != res && !laterNoted[dir+string(r.Mode)] {
			laterNoted[dir+string(r.Mode)] = true
			what := "write or remove"
			if r.Mode == policy.DenyRead {
				what = "read"
			}
			n := fmt.Sprintf("%s: what is made in %s (or a directory above it) after launch has no grant: CMD cannot %s it", r, dir, what)
			if dir == "/proc" {
				n += ", the /proc/PID of every process it starts among it"
			}
			p.Notes = append(p.Notes, n)
		}
		d := Denial{Path: res, Access: rights, Rule: r}
		if exists {
			if d.Dev, d.Ino, err = fsys.Inode(res); err != nil {
				return nil, fmt.Errorf("%s: %w", origin(r), err)
			}
		}
		p.Denials = append(p.Denials, d)
	}

	for _, g := range grants {
		if len(denies) > 0 {
			g.Access &^= noDevices
		}
		if g.Access != 0 {
			p.Grants = append(p.Grants, *g)
		}
	}
	sort.Slice(p.Grants, func(i, j int) bool { return p.Grants[i].Path < p.Grants[j].Path })
	p.ABI = MinABI(p.Handled)
	return p, nil
}

// checkLinks refuses a denied path that holds a file with a name outside
// it: the file itself when it has several links, or, for a directory, any
// file beneath it whose links are not all beneath it too.
func checkLinks(fsys FS, root string, isDir bool, nlink uint64) error {
	type inode struct{ dev, ino uint64 }
	type seen struct {
		path  string
		nlink uint64
		count uint64
	}
	files := map[inode]*seen{}
	note := func(p string, nlink uint64) error {
		dev, ino, err := fsys.Inode(p)
		if err != nil {
			return err
		}
		k := inode{dev, ino}
		if files[k] == nil {
			files[k] = &seen{path: p, nlink: nlink}
		}
		files[k].count++
		return nil
	}
	if !isDir {
		if nlink > 1 {
			if err := note(root, nlink); err != nil {
				return err
			}
		}
	} else {
		var walk func(dir string) error
		walk = func(dir string) error {
			entries, err := fsys.ReadDir(dir)
			if err != nil {
				return err
			}
			for _, e := range entries {
				p := path.Join(dir, e.Name)
				switch {
				case e.Symlink:
					// a link's target is reached by its own path
				case e.IsDir:
					if err := walk(p); err != nil {
						return err
					}
				default:
					_, _, n, err := fsys.Stat(p)
					if err != nil {
						return err
					}
					if n > 1 {
						if err := note(p, n); err != nil {
							return err
						}
					}
				}
			}
			return nil
		}
		if err := walk(root); err != nil {
			return err
		}
	}
	var inside []string
	for _, f := range files {
		if f.count < f.nlink {
			inside = append(inside, f.path)
		}
	}
	if len(inside) == 0 {
		return nil
	}
	sort.Strings(inside)
	p := inside[0]
	dev, ino, err := fsys.Inode(p)
	if err != nil {
		return err
	}
	f := files[inode{dev, ino}]
	missing := int(f.nlink - f.count)
	others := fsys.OtherLinks(p, dev, ino, root, missing)
	where := "elsewhere"
	if len(others) > 0 {
		where = "at " + strings.Join(others, ", ")
		if len(others) < missing {
			where += fmt.Sprintf(" and %d more", missing-len(others))
		}
	}
	more := ""
	if len(inside) > 1 {
		more = fmt.Sprintf(" (and %d more such file(s) beneath %s)", len(inside)-1, root)
	}
	return fmt.Errorf("%s has %d hard links, %d of them %s; Landlock rules follow paths, so that name would stay reachable%s (remove the other links or deny their directories too)", p, f.nlink, missing, where, more)
}

// carve removes rights from the subtree at target while keeping them
// everywhere else each grant reached.
func carve(grants map[string]*Grant, target string, rights Access, fsys FS, add func(string, Access, bool)) error {
	// Snapshot: add() below creates grants that must not be carved again.
	var covering []*Grant
	for _, g := range grants {
		if g.Access&rights == 0 {
			continue
		}
		switch {
		case pathtree.Within(g.Path, target):
			// A grant on or inside the denied subtree: deny wins.
			g.Access &^= rights
		case pathtree.Within(target, g.Path):
			covering = append(covering, g)
		}
	}
	for _, g := range covering {
		keep := g.Access & rights
		g.Access &^= rights
		// Walk from the grant down to the target's parent; at each step
		// grant the carved rights to every sibling of the next step.
		chain := components(g.Path, target)
		dir := g.Path
		for _, next := range chain {
			entries, err := fsys.ReadDir(dir)
			if err != nil {
				return err
			}
			for _, e := range entries {
				if e.Name == next || e.Symlink {
					// Symlinks need no rights: access is checked on
					// their target, wherever it is.
					continue
				}
				add(path.Join(dir, e.Name), keep, e.IsDir)
			}
			dir = path.Join(dir, next)
			exists, isDir, _, err := fsys.Stat(dir)
			if err != nil {
				return err
			}
			if !exists || !isDir {
				break
			}
		}
	}
	return nil
}

// within reports whether p is dir or beneath it.

// components lists the path elements from base (exclusive) to target.
func components(base, target string) []string {
	rest := strings.TrimPrefix(target, base)
	rest = strings.Trim(rest, "/")
	if rest == "" {
		return nil
	}
	return strings.Split(rest, "/")
}

func denyRights(m policy.FSMode) Access {
	if m == policy.DenyRead {
		return denyReadRights
	}
	return denyWriteRights
}

func parseAllow(r policy.FSRule) (Access, error) {
	var a Access
	if r.Access == "" {
		return 0, fmt.Errorf("%s: allow rule needs an access (r, w, x or a combination)", origin(r))
	}
	for _, c := range r.Access {
		switch c {
		case 'r':
			a |= readRights
		case 'w':
			a |= writeRights
		case 'x':
			a |= Execute
		default:
			return 0, fmt.Errorf("%s: access %q: want a combination of r, w and x", origin(r), r.Access)
		}
	}
	return a, nil
}

func origin(r policy.FSRule) string {
	if r.Origin != "" {
		return r.Origin
	}
	return r.String()
}

// Effective answers what the plan grants at p (union of the grants on p
// and its ancestors, as Landlock computes it), for tests and explanations.
func (p *Plan) Effective(pth string) Access {
	var a Access
	for _, g := range p.Grants {
		if pathtree.Within(pth, g.Path) {
			a |= g.Access
		}
	}
	return a
}
