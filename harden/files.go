package harden

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rampart-sec/rampart/compose"
	"github.com/rampart-sec/rampart/internal/atomicfile"
	"github.com/rampart-sec/rampart/lsm/apparmor"
)

// Files is a run of harden over files on disk (or standard input): where
// the hardened manifests, their profiles and the Security Profiles
// Operator objects are written, and who hears about it. Every file is
// written whole or not at all, and a manifest only after every profile
// it names (see Run).
type Files struct {
	Options Options
	// OutDir receives the hardened manifests under their own names;
	// empty: FILE.hardened.yaml next to FILE. InPlace overwrites the
	// inputs instead (through a symbolic link, the file it names).
	OutDir  string
	InPlace bool
	// ProfilesOut receives the profiles; empty: the hardened manifest's
	// directory.
	ProfilesOut string
	// Diff prints a unified diff of each file to Stdout and writes
	// nothing.
	Diff bool
	// MaxDocument is the most read of one document (0: no limit).
	MaxDocument int
	// Stdin is read for the file "-", whose hardened form goes to
	// Stdout.
	Stdin  io.Reader
	Stdout io.Writer
	// Note hears, in order, each finding left as it was, each file
	// written, and each file that failed (with why).
	Note func(string)

	// profiles are the profile files this run wrote, by path: a second
	// file's workload of the same name must not replace one with other
	// rules (Stream checks this within one file).
	profiles map[string]claim
}

// Run hardens the files args name (a directory: its manifests, see
// Expand), one after the other: a file that fails is noted and the next
// one is hardened. It returns how many failed of how many, or an error
// and nothing written when the run cannot start: an argument that does
// not exist, or two inputs that would be written to one file.
func (j *Files) Run(args []string) (failed, total int, err error) {
	var files []string
	for _, a := range args {
		fs, err := Expand(a)
		if err != nil {
			return 0, 0, err
		}
		files = append(files, fs...)
	}
	if err := j.checkDests(files); err != nil {
		return 0, 0, err
	}
	j.profiles = map[string]claim{}
	if j.Options.Check == nil {
		j.Options.Check = &apparmor.Checker{}
	}
	for _, f := range files {
		if err := j.one(f); err != nil {
			j.note("%v", err)
			failed++
		}
	}
	if v := j.Options.Check.Validation(); v != nil && v.Note != "" {
		j.note("%s", v.Note)
	}
	return failed, len(files), nil
}

func (j *Files) note(format string, a ...any) {
	if j.Note != nil {
		j.Note(fmt.Sprintf(format, a...))
	}
}

// Expand expands a directory into its manifests (*.yaml and *.yml,
// hidden directories left out), leaving out rampart's own outputs
// (*.hardened.yaml, *.spo.yaml). "-" and a file stand for themselves.
func Expand(arg string) ([]string, error) {
	if arg == "-" {
		return []string{"-"}, nil
	}
	st, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{arg}, nil
	}
	var out []string
	err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != arg && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		n := strings.ToLower(d.Name())
		if (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) && !strings.HasSuffix(n, ".hardened.yaml") && !strings.HasSuffix(n, ".spo.yaml") && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// claim is who wrote a profile file, and what.
type claim struct {
	by  string
	sum [sha256.Size]byte
}

// claim records that f writes data to path, and refuses other rules
// than an earlier file's. (The same rules are written again: each file's
// batch stands alone, and an earlier one may have been abandoned.)
func (j *Files) claim(path, f string, data []byte) error {
	sum := sha256.Sum256(data)
	if c, ok := j.profiles[path]; ok && c.sum != sum {
		return fmt.Errorf("profile %s: %s needs other rules than %s wrote there (workloads of one name in different namespaces or files); harden them in separate runs or rename one", path, f, c.by)
	}
	j.profiles[path] = claim{by: f, sum: sum}
	return nil
}

// dest is where the hardened f goes ("-" for standard output).
func (j *Files) dest(f string) (string, error) {
	switch {
	case f == "-":
		return f, nil
	case j.InPlace:
		// The file a link names is the user's manifest: replace it, and
		// keep the link.
		return filepath.EvalSymlinks(f)
	case j.OutDir != "":
		return filepath.Join(j.OutDir, filepath.Base(f)), nil
	}
	return strings.TrimSuffix(f, filepath.Ext(f)) + ".hardened.yaml", nil
}

// checkDests refuses a run that would write two inputs to one file (the
// second would replace the first: two deploy.yaml under --out, or
// deploy.yaml beside deploy.yml) or an input over itself without
// --in-place.
func (j *Files) checkDests(files []string) error {
	if j.Diff {
		return nil
	}
	from := map[string]string{}
	for _, f := range files {
		d, err := j.dest(f)
		if err != nil || d == "-" {
			continue // one says why
		}
		key, _ := filepath.Abs(d)
		if other, dup := from[key]; dup {
			return fmt.Errorf("%s and %s would both be written to %s: harden them in separate runs, or without --out", other, f, d)
		}
		from[key] = f
		if !j.InPlace {
			if fi, err := os.Stat(d); err == nil {
				for _, in := range files {
					if ii, err := os.Stat(in); err == nil && os.SameFile(fi, ii) {
						return fmt.Errorf("%s would be written over the input %s: use --in-place to mean that, or another --out", d, in)
					}
				}
			}
		}
	}
	return nil
}

// one hardens the file f.
func (j *Files) one(f string) error {
	if j.Diff {
		return j.diff(f)
	}
	in, err := j.open(f)
	if err != nil {
		return err
	}
	defer in.Close()
	dest, err := j.dest(f)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(dest); err == nil && dest != "-" {
		if n := links(fi); n > 1 {
			j.note("%s has %d names (hard links): it is replaced, not rewritten, so the other names keep the old text", dest, n)
		}
	}
	dir := j.ProfilesOut
	if dir == "" {
		dir = filepath.Dir(f)
		if j.OutDir != "" {
			dir = j.OutDir
		}
	}
	// The manifest goes to a temporary file, put in place only once
	// every profile it names is written: a failure on the way leaves the
	// destination as it was.
	var out io.Writer = j.Stdout
	if dest != "-" {
		if err := atomicfile.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		a, err := atomicfile.Create(dest, 0o644)
		if err != nil {
			return err
		}
		defer a.Abort()
		out = a
	}
	edits, profiles := 0, 0
	if data, ok := composeFile(f); ok {
		res, err := Compose(f, data, j.Options)
		if err != nil {
			return err
		}
		for _, c := range res.Changes {
			if c.Skipped {
				j.note("%s: %s (left)", f, c)
			} else {
				edits++
			}
		}
		if _, err := out.Write(res.Data); err != nil {
			return err
		}
		if a, ok := out.(*atomicfile.File); ok {
			if err := a.Commit(); err != nil {
				return err
			}
		}
		if dest != "-" {
			j.note("%s -> %s (%d edits, Docker Compose)", f, dest, edits)
		}
		return nil
	}
	var batch atomicfile.Batch // the profiles' directories are synced once, before the manifest goes in place
	sink := Sink{
		Collect:     j.Options.SPO, // the SPO objects come after every document
		MaxDocument: j.MaxDocument,
		Change: func(c Change) {
			if c.Skipped {
				j.note("%s: %s (left)", f, c)
			} else {
				edits++
			}
		},
		Profile: func(p Profile) error {
			profiles++
			path := filepath.Join(dir, p.Name)
			if err := j.claim(path, f, []byte(p.Text)); err != nil {
				return err
			}
			return write(path, []byte(p.Text), &batch)
		},
		Seccomp: func(p SeccompProfile) error {
			profiles++
			path := filepath.Join(dir, filepath.FromSlash(p.Path))
			if err := j.claim(path, f, p.JSON); err != nil {
				return err
			}
			return write(path, p.JSON, &batch)
		},
	}
	res, err := Stream(f, in, out, j.Options, sink)
	if err != nil {
		return err
	}
	if j.Options.SPO && len(res.Profiles)+len(res.Seccomp) > 0 {
		if err := j.writeSPO(f, dest, dir, res, &batch); err != nil {
			return err
		}
	}
	if err := batch.Sync(); err != nil {
		return err
	}
	if a, ok := out.(*atomicfile.File); ok {
		if err := a.Commit(); err != nil {
			return err
		}
	}
	if dest != "-" {
		j.note("%s -> %s (%d edits, %d profiles in %s)", f, dest, edits, profiles, dir)
	}
	return nil
}

// diff prints what hardening f would change. A diff needs the whole
// file and its hardened form: Diff reads each file whole.
func (j *Files) diff(f string) error {
	in, err := j.open(f)
	if err != nil {
		return err
	}
	defer in.Close()
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	if compose.IsFile(data) {
		res, err := Compose(f, data, j.Options)
		if err != nil {
			return err
		}
		for _, c := range res.Findings() {
			j.note("%s: %s (left)", f, c)
		}
		d, err := Diff(f, data, res.Data)
		if err != nil {
			return err
		}
		_, err = io.WriteString(j.Stdout, d)
		return err
	}
	// Stream, not Manifest: the document limit holds under Diff too.
	var out bytes.Buffer
	res, err := Stream(f, bytes.NewReader(data), &out, j.Options, Sink{Collect: true, MaxDocument: j.MaxDocument})
	if err != nil {
		return err
	}
	for _, c := range res.Findings() {
		j.note("%s: %s (left)", f, c)
	}
	d, err := Diff(f, data, out.Bytes())
	if err != nil {
		return err
	}
	_, err = io.WriteString(j.Stdout, d)
	return err
}

func (j *Files) open(f string) (io.ReadCloser, error) {
	if f == "-" {
		in := j.Stdin
		if in == nil {
			in = os.Stdin
		}
		return io.NopCloser(in), nil
	}
	return os.Open(f)
}

// writeSPO writes the Security Profiles Operator objects of a file's
// profiles beside its hardened manifest.
func (j *Files) writeSPO(f, dest, dir string, res *Result, batch *atomicfile.Batch) error {
	for _, why := range SPOSkipped(res.Profiles) {
		j.note("%s: no SPO AppArmorProfile for %s", f, why)
	}
	objs, err := SPO(res.Profiles)
	if err != nil {
		return err
	}
	sec, err := SPOSeccomp(res.Seccomp)
	if err != nil {
		return err
	}
	if len(objs) > 0 && len(sec) > 0 {
		objs = append(objs, "---\n"...)
	}
	objs = append(objs, sec...)
	sd := strings.TrimSuffix(dest, filepath.Ext(dest))
	sd = strings.TrimSuffix(sd, ".hardened") + ".spo.yaml"
	if dest == "-" {
		sd = filepath.Join(dir, "rampart.spo.yaml")
	}
	if len(objs) == 0 {
		return nil
	}
	return write(sd, objs, batch)
}

// write writes a file harden makes beside the manifest, creating its
// directory.
func write(path string, data []byte, batch *atomicfile.Batch) error {
	if err := atomicfile.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return batch.WriteFile(path, data, 0o644)
}
