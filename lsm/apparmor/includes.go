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
}

// resolve finds the files an include statement names: one file, the
// files of a directory (in name order, hidden ones skipped), or none when
// an `if exists` include finds nothing.
func (inc Includes) resolve(r *Rule) ([]source, error) {
	if !r.Angle {
		return readIncluded(r.Include, r)
	}
	clean := path.Clean(r.Include)
	if strings.HasPrefix(clean, "../") || clean == ".." || path.IsAbs(clean) {
		return nil, &Error{Pos: r.Pos, Msg: fmt.Sprintf("include <%s> leaves the include directories", r.Include)}
	}
	for _, dir := range inc.Dirs {
		p := filepath.Join(dir, filepath.FromSlash(clean))
		if _, err := os.Stat(p); err == nil {
			return readIncluded(p, r)
		}
	}
	if !inc.NoBundled {
		if b, err := bundled.ReadFile("bundled/" + clean); err == nil {
			return []source{{BundledPrefix + clean, b}}, nil
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

func readIncluded(p string, r *Rule) ([]source, error) {
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
		return []source{{p, b}}, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, &Error{Pos: r.Pos, Msg: fmt.Sprintf("include %s: %v", includeArg(r.Include, r.Angle), err)}
	}
	var out []source
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fp := filepath.Join(p, e.Name())
		if fi, err := os.Stat(fp); err != nil || !fi.Mode().IsRegular() || fi.Size() > maxIncludeSize {
			continue
		}
		b, err := os.ReadFile(fp)
		if err != nil {
			return nil, &Error{Pos: r.Pos, Msg: fmt.Sprintf("include %s: %v", includeArg(r.Include, r.Angle), err)}
		}
		out = append(out, source{fp, b})
	}
	return out, nil
}
