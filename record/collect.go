package record

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/version"
)

// maxRaw is how many raw paths a generalised one keeps as examples.
const maxRaw = 5

// collector turns what a recorder observed into a Recording. Both
// recorders feed it the same observations, so their recordings compare.
// It is not safe for concurrent use: one goroutine owns it at a time.
type collector struct {
	rec  *Recording
	sys  *sysTable
	args map[ArgValue]uint64 // Count zeroed: the key
	sock map[SocketUse]uint64
	caps [64][2]uint64
	// files counts raw accesses by absolute path, mode and directory-ness.
	files    map[rawAccess]uint64
	execSeen map[string]bool

	// What could not be recorded, by kind, with a few examples.
	unresolved []string
	unresolvedN,
	truncated, unreadable int
}

type rawAccess struct {
	path, mode string
	dir        bool
}

func newCollector(sys *sysTable) *collector {
	return &collector{
		rec: &Recording{
			Schema:         Schema,
			RampartVersion: version.Version(),
			Runs:           1,
			Syscalls:       map[string]map[string]uint64{},
		},
		sys:      sys,
		args:     map[ArgValue]uint64{},
		sock:     map[SocketUse]uint64{},
		files:    map[rawAccess]uint64{},
		execSeen: map[string]bool{},
	}
}

func (c *collector) syscall(abi, nr int, n uint64) {
	if n == 0 {
		return
	}
	a := abiNames[abi]
	if c.rec.Syscalls[a] == nil {
		c.rec.Syscalls[a] = map[string]uint64{}
	}
	c.rec.Syscalls[a][c.sys.name(abi, nr)] += n
}

func (c *collector) arg(abi, nr, arg int, v, n uint64) {
	c.args[ArgValue{ABI: abiNames[abi], Syscall: c.sys.name(abi, nr), Arg: arg, Value: v}] += n
}

func (c *collector) socket(abi, nr int, family, typ, proto uint32, n uint64) {
	c.sock[SocketUse{Syscall: c.sys.name(abi, nr), Family: familyName(family), Type: sockTypeName(typ), Protocol: int(proto)}] += n
}

func (c *collector) capability(cp int, denied bool, n uint64) {
	if cp >= 0 && cp < 64 {
		c.caps[cp][b2i(denied)] += n
	}
}

// file records a successful access; path is absolute, or "" when the
// recorder could not resolve it (rel says what was asked).
func (c *collector) file(op fileOp, flags uint64, path, path2 string, n uint64) []rawAccess {
	m1, m2 := modes(op, flags)
	var out []rawAccess
	add := func(p, m string, dir bool) {
		if m == "" {
			return
		}
		k := rawAccess{path: filepath.Clean(p), mode: m, dir: dir}
		c.files[k] += n
		out = append(out, k)
	}
	add(path, m1, isDirOp(op, flags))
	if path2 != "" {
		add(path2, m2, false)
	}
	return out
}

// unresolvedPath notes a relative path the recorder could not anchor.
func (c *collector) unresolvedPath(tid uint32, dirfd int32, rel string) {
	c.unresolvedN++
	if len(c.unresolved) < 3 {
		at := "cwd"
		if dirfd != atFDCWD {
			at = fmt.Sprintf("fd %d", dirfd)
		}
		c.unresolved = append(c.unresolved, fmt.Sprintf("%q (thread %d, relative to its %s)", rel, tid, at))
	}
}

// exec records an executed file (absolute, as the kernel was given it).
func (c *collector) exec(path string) {
	path = filepath.Clean(path)
	c.files[rawAccess{path: path, mode: "x"}]++
	if !c.execSeen[path] {
		c.execSeen[path] = true
		c.rec.Exec = append(c.rec.Exec, path)
	}
}

func (c *collector) limit(format string, a ...any) {
	c.rec.Limits = append(c.rec.Limits, fmt.Sprintf(format, a...))
}

// finish fills the Recording's lists, sorted, and states the limits.
func (c *collector) finish() *Recording {
	r := c.rec
	if !c.sys.known() {
		c.limit("syscall names and argument tables need libseccomp, which this build lacks: syscalls are kept as numbers (nr_N), and no files or argument values are recorded")
	}
	for k, n := range c.args {
		k.Count = n
		r.Args = append(r.Args, k)
	}
	sort.Slice(r.Args, func(i, j int) bool {
		a, b := r.Args[i], r.Args[j]
		if a.ABI != b.ABI {
			return a.ABI < b.ABI
		}
		if a.Syscall != b.Syscall {
			return a.Syscall < b.Syscall
		}
		if a.Arg != b.Arg {
			return a.Arg < b.Arg
		}
		return a.Value < b.Value
	})
	for k, n := range c.sock {
		k.Count = n
		r.Sockets = append(r.Sockets, k)
	}
	sort.Slice(r.Sockets, func(i, j int) bool {
		a, b := r.Sockets[i], r.Sockets[j]
		return fmt.Sprint(a.Family, a.Type, a.Protocol, a.Syscall) < fmt.Sprint(b.Family, b.Type, b.Protocol, b.Syscall)
	})
	for cp, n := range c.caps {
		if n[0]+n[1] > 0 {
			r.Capabilities = append(r.Capabilities, CapUse{Cap: caps.Cap(cp).String(), Granted: n[0], Denied: n[1]})
		}
	}
	r.Files = c.generalisedFiles()
	if c.unresolvedN > 0 {
		c.limit("%d file access(es) with relative paths could not be resolved (the process or its directory fd was gone before rampart read /proc), e.g. %s", c.unresolvedN, strings.Join(c.unresolved, ", "))
	}
	if c.truncated > 0 {
		c.limit("%d path(s) longer than %d bytes were cut short; their rules may be too narrow", c.truncated, pathLen-1)
	}
	if c.unreadable > 0 {
		c.limit("%d path(s) could not be read from the process's memory", c.unreadable)
	}
	// Empty lists, not nulls: a reader of the JSON sees "none recorded".
	for _, l := range []*[]string{&r.Exec, &r.Limits} {
		if *l == nil {
			*l = []string{}
		}
	}
	if r.Args == nil {
		r.Args = []ArgValue{}
	}
	if r.Capabilities == nil {
		r.Capabilities = []CapUse{}
	}
	if r.Sockets == nil {
		r.Sockets = []SocketUse{}
	}
	return r
}

// generalisedFiles groups the raw accesses by AppArmor glob, merging
// their modes. Symbolic links are resolved first (outside /proc, whose
// links are the kernel's): AppArmor decides on the path the kernel
// reaches, not the one the program named.
func (c *collector) generalisedFiles() []FileAccess {
	byPath := map[string]*FileAccess{}
	raws := map[string]map[string]bool{}
	keys := make([]rawAccess, 0, len(c.files))
	for k := range c.files {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].path < keys[j].path })
	gs := c.generalise(keys)
	for i, k := range keys {
		n := c.files[k]
		if n == 0 {
			continue
		}
		g := gs[i]
		fa := byPath[g]
		if fa == nil {
			fa = &FileAccess{Path: g}
			byPath[g] = fa
			raws[g] = map[string]bool{}
		}
		fa.Mode = normMode(fa.Mode + k.mode)
		fa.Count += n
		if !raws[g][k.path] && len(fa.Raw) < maxRaw {
			fa.Raw = append(fa.Raw, k.path)
		}
		raws[g][k.path] = true
	}
	out := make([]FileAccess, 0, len(byPath))
	for _, fa := range byPath {
		out = append(out, *fa)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// generalise resolves and generalises each key's path. A walk of a big
// tree leaves tens of thousands of paths to do after CMD exits, and each
// is independent: the sorted keys are cut into one contiguous run per
// CPU (neighbours share directories, so each run's resolver reads few of
// them again), and the caller merges the results in key order, as one
// loop would have.
func (c *collector) generalise(keys []rawAccess) []string {
	gs := make([]string, len(keys))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(keys)/2048))
	per := (len(keys) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(keys); lo += per {
		hi := min(lo+per, len(keys))
		wg.Add(1)
		go func() {
			defer wg.Done()
			lr := &linkResolver{dirs: map[string]*resolvedDir{}}
			for i := lo; i < hi; i++ {
				k := keys[i]
				if c.files[k] == 0 {
					continue
				}
				real, dir := lr.resolve(k.path)
				g := Generalise(real)
				if (dir || k.dir) && !strings.HasSuffix(g, "/") {
					g += "/"
				}
				gs[i] = g
			}
		}()
	}
	wg.Wait()
	return gs
}

// linkResolver resolves symbolic links in paths. It resolves each
// directory once, and learns its entries' types by lstat while it has
// been asked about few of them, then from one directory read (d_type):
// a recording can hold tens of thousands of files in a few hundred
// directories, and a short one a few files in directories of thousands
// (/usr/lib/x86_64-linux-gnu), which one lstat each costs far less than
// reading the whole directory.
type linkResolver struct {
	dirs map[string]*resolvedDir
}

// lstatBeforeRead is how many entries of a directory are looked up one
// by one before the directory is read whole.
const lstatBeforeRead = 8

type resolvedDir struct {
	path   string                 // the directory, resolved; "" when gone
	types  map[string]fs.FileMode // entries' types (fs.ModeType bits) learnt
	whole  bool                   // types holds every entry
	noRead bool                   // the directory could not be read whole
	asked  int                    // entries looked up by lstat
}

// entry is the type of d's entry name, and whether it exists.
func (d *resolvedDir) entry(name string) (fs.FileMode, bool) {
	if t, ok := d.types[name]; ok || d.whole || d.path == "" {
		return t, ok
	}
	if d.asked++; d.asked > lstatBeforeRead && !d.noRead {
		if f, err := os.Open(d.path); err == nil {
			ents, err := f.ReadDir(-1)
			f.Close()
			if err == nil {
				for _, e := range ents {
					d.types[e.Name()] = e.Type()
				}
				d.whole = true
				t, ok := d.types[name]
				return t, ok
			}
		}
		d.noRead = true
	}
	fi, err := os.Lstat(filepath.Join(d.path, name))
	if err != nil {
		return 0, false
	}
	d.types[name] = fi.Mode().Type()
	return fi.Mode().Type(), true
}

// dir resolves directory d from its parent's resolution and entry
// types: no walk per path.
func (lr *linkResolver) dir(d string) *resolvedDir {
	if rd, ok := lr.dirs[d]; ok {
		return rd
	}
	rd := &resolvedDir{}
	lr.dirs[d] = rd
	if d == "/" {
		rd.path = "/"
	} else {
		parent, base := filepath.Split(d)
		prd := lr.dir(filepath.Clean(parent))
		t, known := prd.entry(base)
		switch {
		case prd.path == "":
		case t&fs.ModeSymlink != 0:
			rd.path, _ = filepath.EvalSymlinks(d)
		case known && t.IsDir():
			rd.path = filepath.Join(prd.path, base)
		}
	}
	rd.types = map[string]fs.FileMode{}
	return rd
}

// resolve returns p with symbolic links resolved, and whether it is a
// directory now. A path that is gone (a temporary file) keeps its name
// under its resolved parent.
func (lr *linkResolver) resolve(p string) (string, bool) {
	// 40 links, as the kernel allows (MAXSYMLINKS), then give up.
	for hops := 0; hops < 40; hops++ {
		if p == "/" {
			return p, true
		}
		if p == "/proc" || strings.HasPrefix(p, "/proc/") || strings.HasPrefix(p, "/dev/fd/") {
			return p, false
		}
		d, base := filepath.Split(p)
		rd := lr.dir(filepath.Clean(d))
		if rd.path == "" {
			return p, false
		}
		full := filepath.Join(rd.path, base)
		t, ok := rd.entry(base)
		if !ok || t&fs.ModeSymlink == 0 {
			return full, ok && t.IsDir()
		}
		target, err := os.Readlink(full)
		if err != nil {
			return full, false
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(rd.path, target)
		}
		p = filepath.Clean(target)
	}
	return p, false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
