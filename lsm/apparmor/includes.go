package apparmor

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// bundled holds rampart's own minimal tunables/global and
// abstractions/base, for evaluating profiles where the machine has no
// AppArmor policy directory.
//
//go:embed bundled
var bundled embed.FS

// BundledPrefix names bundled files in positions:
// "<bundled>/abstractions/base:12:3".
const BundledPrefix = "<bundled>/"

// Includes says where `include <...>` finds files: in Dirs in order (as
// apparmor_parser's -I and base directory), then, unless NoBundled,
// among rampart's bundled stand-ins for tunables/global and
// abstractions/base. A quoted include ("...") names a file: absolute, or
// relative to the working directory.
type Includes struct {
	Dirs      []string
	NoBundled bool
}

// SystemIncludes resolves includes in /etc/apparmor.d, falling back to
// the bundled files for what it lacks.
var SystemIncludes = Includes{Dirs: []string{"/etc/apparmor.d"}}

// BundledIncludes resolves includes with the bundled files only, so that
// an evaluation does not depend on the machine.
var BundledIncludes = Includes{}

// BundledFiles lists the bundled files ("abstractions/base", ...).
func BundledFiles() []string {
	var out []string
	fs.WalkDir(bundled, "bundled", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, "bundled/"))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// WriteBundled writes the bundled files under dir, as a directory that
// apparmor_parser can take with -I.
func WriteBundled(dir string) error {
	for _, name := range BundledFiles() {
		b, err := bundled.ReadFile("bundled/" + name)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// maxIncludeSize bounds what one included file may hold.
const maxIncludeSize = 4 << 20

// source is one file an include brings in.
type source struct {
	name string // for positions
	data []byte
	// key names the file as apparmor_parser does when it skips a file
	// already included: the search directory and the path as written,
	// joined with a '/' (not cleaned: <d/v> and <d//v> differ).
	key string
}

// ignoredInDir reports whether apparmor_parser skips a file of an
// included directory: hidden files, README, and the backups and
// leftovers of package managers and editors.
func ignoredInDir(name string) bool {
	if strings.HasPrefix(name, ".") || name == "README" || strings.HasSuffix(name, "~") {
		return true
	}
	for _, s := range []string{".dpkg-new", ".dpkg-old", ".dpkg-dist", ".dpkg-bak", ".dpkg-remove",
		".pacsave", ".pacnew", ".rpmnew", ".rpmsave", ".orig", ".rej"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// resolve finds the files an include statement names: one file, the
// files of a directory (in name order, hidden ones skipped), or none when
// an `if exists` include finds nothing.
func (inc Includes) resolve(r *Rule) ([]source, error) {
	if !r.Angle {
		key := r.Include
		if !filepath.IsAbs(key) {
			if wd, err := os.Getwd(); err == nil {
				key = wd + "/" + key
			}
		}
		return readIncluded(r.Include, key, r)
	}
	clean := path.Clean(r.Include)
	if strings.HasPrefix(clean, "../") || clean == ".." || path.IsAbs(clean) {
		return nil, &Error{Pos: r.Pos, Msg: fmt.Sprintf("include <%s> leaves the include directories", r.Include)}
	}
	for _, dir := range inc.Dirs {
		p := filepath.Join(dir, filepath.FromSlash(clean))
		if _, err := os.Stat(p); err == nil {
			key := dir
			if abs, err := filepath.Abs(dir); err == nil {
				key = abs
			}
			return readIncluded(p, key+"/"+r.Include, r)
		}
	}
	if !inc.NoBundled {
		if b, err := bundled.ReadFile("bundled/" + clean); err == nil {
			return []source{{BundledPrefix + clean, b, BundledPrefix + clean}}, nil
		}
	}
	if r.IfExists {
		return nil, nil
	}
	where := "nowhere (no include directory)"
	if len(inc.Dirs) > 0 {
		where = "in " + strings.Join(inc.Dirs, ", ")
	}
	msg := fmt.Sprintf("include <%s>: not found %s", r.Include, where)
	if !inc.NoBundled {
		msg += fmt.Sprintf(" nor among rampart's bundled files (%s)", strings.Join(BundledFiles(), ", "))
	}
	return nil, &Error{Pos: r.Pos, Msg: msg}
}

func readIncluded(p, key string, r *Rule) ([]source, error) {
	st, err := os.Stat(p)
	if err != nil {
		if r.IfExists && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, &Error{Pos: r.Pos, Msg: fmt.Sprintf("include %s: %v", includeArg(r.Include, r.Angle), err)}
	}
	if !st.IsDir() {
		if !st.Mode().IsRegular() || st.Size() > maxIncludeSize {
			return nil, &Error{Pos: r.Pos, Msg: fmt.Sprintf("include %s: not a regular file of at most %d bytes", includeArg(r.Include, r.Angle), maxIncludeSize)}
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, &Error{Pos: r.Pos, Msg: fmt.Sprintf("include %s: %v", includeArg(r.Include, r.Angle), err)}
		}
		return []source{{p, b, key}}, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, &Error{Pos: r.Pos, Msg: fmt.Sprintf("include %s: %v", includeArg(r.Include, r.Angle), err)}
	}
	var out []source
	for _, e := range entries {
		if ignoredInDir(e.Name()) {
			continue
		}
		fp := filepath.Join(p, e.Name())
		fi, err := os.Stat(fp)
		if err != nil { // a dangling link: apparmor_parser fails too
			return nil, &Error{Pos: r.Pos, Msg: fmt.Sprintf("include %s: %v", includeArg(r.Include, r.Angle), err)}
		}
		if fi.IsDir() { // not descended into
			continue
		}
		if !fi.Mode().IsRegular() || fi.Size() > maxIncludeSize {
			return nil, &Error{Pos: r.Pos, Msg: fmt.Sprintf("include %s: %s is not a regular file of at most %d bytes", includeArg(r.Include, r.Angle), fp, maxIncludeSize)}
		}
		b, err := os.ReadFile(fp)
		if err != nil {
			return nil, &Error{Pos: r.Pos, Msg: fmt.Sprintf("include %s: %v", includeArg(r.Include, r.Angle), err)}
		}
		out = append(out, source{fp, b, key + "/" + e.Name()})
	}
	return out, nil
}

// knownABIs are the features files AppArmor 3.0.8 installs under
// /etc/apparmor.d/abi. rampart does not bundle them (they are
// AppArmor's, and eval reads no feature set from them): where the
// machine has none, `abi <abi/3.0>,` is taken on this name alone, as a
// node's apparmor_parser will find the file.
var knownABIs = map[string]bool{"abi/3.0": true, "abi/kernel-5.4-outoftree-network": true, "abi/kernel-5.4-vanilla": true}

// checkABI finds the features file an abi statement names, as
// apparmor_parser opens it: <path> in the include directories, "path"
// from the working directory. A missing file or a directory is refused,
// as the parser refuses them: a node could not compile the profile.
func (inc Includes) checkABI(r *Rule) error {
	arg := includeArg(r.Include, r.Angle)
	var candidates []string
	if r.Angle {
		clean := path.Clean(r.Include)
		if strings.HasPrefix(clean, "../") || clean == ".." || path.IsAbs(clean) {
			return &Error{Pos: r.Pos, Msg: fmt.Sprintf("abi %s leaves the include directories", arg)}
		}
		for _, dir := range inc.Dirs {
			candidates = append(candidates, filepath.Join(dir, filepath.FromSlash(clean)))
		}
	} else {
		candidates = append(candidates, r.Include)
	}
	for _, p := range candidates {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if !st.Mode().IsRegular() {
			return &Error{Pos: r.Pos, Msg: fmt.Sprintf("abi %s: %s is not a features file", arg, p)}
		}
		return nil
	}
	if r.Angle && !inc.NoBundled && knownABIs[path.Clean(r.Include)] {
		return nil
	}
	where := "nowhere (no include directory)"
	switch {
	case !r.Angle:
		where = "from " + func() string { wd, _ := os.Getwd(); return wd }()
	case len(inc.Dirs) > 0:
		where = "in " + strings.Join(inc.Dirs, ", ")
	}
	return &Error{Pos: r.Pos, Msg: fmt.Sprintf("abi %s: no such features file %s; apparmor_parser refuses it", arg, where)}
}
