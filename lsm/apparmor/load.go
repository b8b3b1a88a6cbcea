package apparmor

// This file loads policy files into the kernel with apparmor_parser and
// reads back what the kernel then holds.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/storage"
)

// Loaded is a profile a policy file defines, by the name the kernel
// lists it under ("parent//child" for a hat or child profile) and the
// mode the file asks for.
type Loaded struct {
	Name string `json:"name"`
	Mode Mode   `json:"mode"`
	File string `json:"file"`
}

// LoadOptions are how policy files are read for loading.
type LoadOptions struct {
	// Includes are the directories `include <...>` reads, in order, as
	// apparmor_parser's -I; none means /etc/apparmor.d, the parser's own
	// base. rampart's bundled stand-ins never fill in: what loads on a
	// node includes the node's own files.
	Includes []string
	// Root, when set, is the host's root filesystem as mounted in this
	// container (rampart node-agent): the host's apparmor_parser runs
	// chrooted into it, with the host's /etc/apparmor.d; Includes are
	// paths on the host. The private copies the parser reads are made in
	// $TMPDIR, which must be a directory the host sees at the same path
	// (a hostPath volume mounted where it is on the host).
	Root string
}

// includes are the include directories as rampart reads them: under
// Root when one is set.
func (o LoadOptions) includes() Includes {
	dirs := o.Includes
	if len(dirs) == 0 {
		dirs = []string{"/etc/apparmor.d"}
	}
	inc := Includes{NoBundled: true}
	for _, d := range dirs {
		inc.Dirs = append(inc.Dirs, filepath.Join(o.Root, d))
	}
	return inc
}

// parserCmd is apparmor_parser and the root it runs in ("" for /).
type parserCmd struct{ path, root string }

// LoadError is a policy file that did not load, or did not load as it
// says, after the files before it did. Files are not rolled back: the
// kernel replaced any earlier version of their profiles, which rampart
// cannot put back, and removing them could leave the tasks they confine
// in the middle of a profile change.
type LoadError struct {
	File    string
	Removed bool     // a removal (Remove) failed, not a load
	Loaded  []Loaded // the earlier files' profiles, loaded (removed) and verified
	// Listed are the failed file's profiles the kernel lists after the
	// failure: an earlier version, or those loaded before the parser
	// stopped.
	Listed []string
	Err    error
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	done, listed := "loaded", "an earlier version, or what loaded before the failure"
	if e.Removed {
		done, listed = "removed", "still loaded"
	}
	if len(e.Listed) > 0 {
		fmt.Fprintf(&b, "\nthe kernel lists %s of %s (%s)", strings.Join(e.Listed, ", "), e.File, listed)
	}
	if len(e.Loaded) == 0 {
		fmt.Fprintf(&b, "\nno file was %s before it", done)
		return b.String()
	}
	var files []string
	for _, l := range e.Loaded {
		if !slices.Contains(files, l.File) {
			files = append(files, l.File)
		}
	}
	fmt.Fprintf(&b, "\n%s before it, and left so: %s", done, strings.Join(files, ", "))
	return b.String()
}

func (e *LoadError) Unwrap() error { return e.Err }

// VerifyError is a profile the kernel does not hold as the file says
// after apparmor_parser reported success: not listed, listed in another
// mode, or (after a removal) still listed.
type VerifyError struct {
	File   string
	Name   string
	Want   string // the mode asked for; "" after a removal
	Listed string // the mode the kernel lists; "" when it lists none
}

func (e *VerifyError) Error() string {
	switch {
	case e.Want == "":
		return fmt.Sprintf("%s: profile %s is still loaded (%s) after apparmor_parser -R", e.File, e.Name, e.Listed)
	case e.Listed == "":
		return fmt.Sprintf("%s: profile %s is not in the kernel's list after apparmor_parser -r", e.File, e.Name)
	}
	return fmt.Sprintf("%s: profile %s asks for %s mode, the kernel lists it in %s", e.File, e.Name, e.Want, e.Listed)
}

// Load loads the profiles of files, in order, with apparmor_parser -r
// (replacing those loaded under the same names), and verifies that the
// kernel lists each profile each file defines, in the mode the file asks
// for. It refuses before loading anything when the kernel has no
// AppArmor (a *features.NotSupportedError), apparmor_parser is missing
// (ErrNoParser), or rampart or the parser refuses any of the files.
// What the parser loads is the bytes rampart read, from a private copy:
// a file changed while it loads cannot slip past the check. Nothing is
// read from or written to the profile cache (-K): a cached compile is
// matched by file name and time, so a stale one could load in place of
// the file's text. After a failure the *LoadError says which files
// loaded before it; the profiles loaded and verified are returned either
// way.
func Load(files []string, opt LoadOptions) ([]Loaded, error) {
	env, err := machine(opt.Root)
	if err != nil {
		return nil, err
	}
	plans, err := planFiles(env.parser, files, opt, len(files) > 1)
	if err != nil {
		return nil, nothingDone{err, "loaded"}
	}
	var done []Loaded
	for _, p := range plans {
		err := runParser(env.parser, "-r", p.file, p.src, opt.includes())
		if err == nil {
			err = env.verify(p, false)
		}
		if err != nil {
			return done, &LoadError{File: p.file, Loaded: done, Listed: env.listed(p), Err: err}
		}
		done = append(done, p.profiles...)
	}
	return done, nil
}

// Remove unloads the profiles of files with apparmor_parser -R and
// verifies that the kernel lists none of them afterwards (a parent's
// removal takes its children with it). It refuses as Load does; a
// profile that is not loaded is the parser's refusal.
func Remove(files []string, opt LoadOptions) ([]Loaded, error) {
	env, err := machine(opt.Root)
	if err != nil {
		return nil, err
	}
	plans, err := planFiles(env.parser, files, opt, false)
	if err != nil {
		return nil, nothingDone{err, "removed"}
	}
	var done []Loaded
	for _, p := range plans {
		err := runParser(env.parser, "-R", p.file, p.src, opt.includes())
		if err == nil {
			err = env.verify(p, true)
		}
		if err != nil {
			return done, &LoadError{File: p.file, Removed: true, Loaded: done, Listed: env.listed(p), Err: err}
		}
		done = append(done, p.profiles...)
	}
	return done, nil
}

// nothingDone is a refusal of the files before any was loaded or
// removed.
type nothingDone struct {
	err  error
	done string
}

func (e nothingDone) Error() string { return e.err.Error() + "\nnothing was " + e.done }
func (e nothingDone) Unwrap() error { return e.err }

// CheckLoad is Load's dry run: it reads each file as Load does and
// compiles it with apparmor_parser -Q -K, loading nothing, and returns
// the profiles Load would load. It needs no AppArmor in the kernel.
func CheckLoad(files []string, opt LoadOptions) ([]Loaded, error) {
	path, err := parserPath()
	if err != nil {
		return nil, err
	}
	plans, err := planFiles(parserCmd{path: path}, files, opt, true)
	if err != nil {
		return nil, err
	}
	var out []Loaded
	for _, p := range plans {
		out = append(out, p.profiles...)
	}
	return out, nil
}

// loadPlan is a policy file read and judged, ready to load.
type loadPlan struct {
	file     string
	src      []byte
	profiles []Loaded
}

// planFiles reads every file before any is loaded, so that a refusal of
// the second file leaves the first one unloaded too: rampart parses each
// and lists the profiles it defines, apparmor_parser -N must list the
// same (a profile rampart missed would load unverified), and with
// compile set the parser compiles each (-Q -K), refusing what it would
// refuse to load.
func planFiles(parser parserCmd, files []string, opt LoadOptions, compile bool) ([]*loadPlan, error) {
	if len(files) == 0 {
		return nil, errors.New("no policy file given")
	}
	inc := opt.includes()
	var plans []*loadPlan
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		p := &loadPlan{file: f, src: src}
		if p.profiles, err = defines(f, src, inc); err != nil {
			// The parser's word too: it is what a node would say.
			return nil, Refusal(err, runParser(parser, "-Q", f, src, inc))
		}
		if err := sameNames(parser, p, inc); err != nil {
			return nil, err
		}
		if compile {
			if err := runParser(parser, "-Q", f, src, inc); err != nil {
				return nil, err
			}
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// defines lists the profiles a policy file defines, each followed by its
// hats and children (those in the branches its conditionals take), with
// the mode each asks for. A hat or child does not take its parent's
// mode: apparmor_parser 3.0.8 gives each profile its own flags.
func defines(file string, src []byte, inc Includes) ([]Loaded, error) {
	d, err := ParseDocument(file, src)
	if err != nil {
		return nil, err
	}
	if len(d.Profiles) == 0 {
		return nil, fmt.Errorf("%s defines no profile", file)
	}
	var out []Loaded
	var add func(p *Profile) error
	add = func(p *Profile) error {
		c, err := Compile(p, inc)
		if err != nil {
			return err
		}
		out = append(out, Loaded{Name: p.FullName(), Mode: p.Mode(), File: file})
		for _, k := range c.Children() {
			if err := add(k); err != nil {
				return err
			}
		}
		return nil
	}
	for _, p := range d.Profiles {
		// The kernel's list shows a namespace's profiles only to a
		// reader in that namespace or above it, prefixed by its name;
		// rampart reads the list it can check, the root namespace's.
		if p.Namespace != "" {
			return nil, errAt(p.Pos(), "profile %s is in namespace %s: rampart loads and verifies profiles of the root namespace only", p.Name, p.Namespace)
		}
		if err := add(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sameNames holds rampart's list of the profiles a file defines to
// apparmor_parser's (-N), so that what is verified is what loads.
func sameNames(parser parserCmd, p *loadPlan, inc Includes) error {
	out, err := parserOutput(parser, "-N", p.file, p.src, inc)
	if err != nil {
		return err
	}
	var theirs, ours []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			theirs = append(theirs, l)
		}
	}
	for _, l := range p.profiles {
		ours = append(ours, l.Name)
	}
	slices.Sort(theirs)
	slices.Sort(ours)
	if !slices.Equal(theirs, ours) {
		return fmt.Errorf("%s: rampart reads the profiles %s in it, apparmor_parser -N reads %s: refused, as what loads would not be what is verified",
			p.file, strings.Join(ours, ", "), strings.Join(theirs, ", "))
	}
	return nil
}

// parserArgs are the parser's arguments for an operation on file: never
// the cache (-K), the include directories, the file last.
func parserArgs(op, file string, inc Includes, root string) []string {
	args := []string{op, "-K"}
	for _, d := range inc.Dirs {
		if st, err := os.Stat(filepath.Join(root, d)); err == nil && st.IsDir() {
			args = append(args, "-I", d)
		}
	}
	return append(args, file)
}

// runParser runs apparmor_parser op on src, the contents of the policy
// file name, and returns its refusal as a *ParserError.
func runParser(parser parserCmd, op, name string, src []byte, inc Includes) error {
	_, err := parserOutput(parser, op, name, src, inc)
	return err
}

// parserOutput runs apparmor_parser op on a private copy of src, named
// as name is, and returns its standard output. Its messages name the
// file as the caller did.
func parserOutput(parser parserCmd, op, name string, src []byte, inc Includes) (string, error) {
	tmp, err := os.MkdirTemp("", "rampart-apparmor-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	base := filepath.Base(name)
	if base == "" || base == "." || base == "/" || base == "-" || strings.HasPrefix(base, "<") {
		base = "profile"
	}
	file := filepath.Join(tmp, base)
	if err := os.WriteFile(file, src, 0o600); err != nil {
		return "", err
	}
	if parser.root != "" {
		// The parser, chrooted, reads the copy at the same path: refuse
		// a $TMPDIR the host does not see there (it would read another
		// file, or none).
		a, err1 := os.Stat(file)
		b, err2 := os.Stat(filepath.Join(parser.root, file))
		if err1 != nil || err2 != nil || !os.SameFile(a, b) {
			return "", fmt.Errorf("loading through the host's parser in %s: $TMPDIR (%s) must be a directory the host sees at the same path", parser.root, os.TempDir())
		}
		var dirs []string
		for _, d := range inc.Dirs {
			if rel, err := filepath.Rel(parser.root, d); err == nil && !strings.HasPrefix(rel, "..") {
				dirs = append(dirs, "/"+rel)
			}
		}
		inc.Dirs = dirs
	}
	args := parserArgs(op, file, inc, parser.root)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(parser.path, args...)
	if parser.root != "" {
		cmd.SysProcAttr = chrootAttr(parser.root)
		cmd.Dir = "/"
	}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return "", fmt.Errorf("running %s: %w", parser.path, err)
		}
		msg := strings.ReplaceAll(parserMessage(stderr.String()), file, name)
		return "", &ParserError{File: name, Op: strings.Join(args[:len(args)-1], " "), Msg: msg, Err: err}
	}
	return stdout.String(), nil
}

// loadEnv is what loading needs from this machine.
type loadEnv struct {
	parser parserCmd
	list   string // the kernel's list of loaded profiles
}

// machine finds AppArmor in the kernel, the list of profiles it
// holds and apparmor_parser, or says which is missing.
func machine(root string) (*loadEnv, error) {
	if err := features.HaveAppArmor(); err != nil {
		return nil, err
	}
	list, err := profilesList()
	if root != "" {
		// The host's securityfs, as the parser will write it.
		list, err = filepath.Join(root, "/sys/kernel/security/apparmor/profiles"), nil
		if _, serr := os.Stat(list); serr != nil {
			err = &features.NotSupportedError{Feature: "AppArmor policy loading", Reason: "the host's securityfs is not under " + root + ": " + serr.Error()}
		}
	}
	if err != nil {
		return nil, err
	}
	if root != "" {
		// The host's parser, as the host would run it.
		for _, p := range parserLocations {
			if st, err := os.Stat(filepath.Join(root, p)); err == nil && !st.IsDir() {
				return &loadEnv{parser: parserCmd{path: p, root: root}, list: list}, nil
			}
		}
		return nil, fmt.Errorf("%w under the host's root %s (%s)", ErrNoParser, root, strings.Join(parserLocations, ", "))
	}
	parser, err := parserPath()
	if err != nil {
		return nil, err
	}
	return &loadEnv{parser: parserCmd{path: parser}, list: list}, nil
}

// profilesList finds the kernel's list of loaded profiles in securityfs:
// where apparmor_parser looks first, else wherever /proc/self/mounts
// says securityfs is. rampart does not mount securityfs itself: the
// mount would outlive the command, and a system where it is missing (a
// container, most often) is one where loading policy is not the
// caller's to do; the parser could not load through it either.
func profilesList() (string, error) {
	const std = "/sys/kernel/security/apparmor/profiles"
	if _, err := os.Stat(std); err == nil {
		return std, nil
	}
	if b, err := os.ReadFile("/proc/self/mounts"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 2 && f[2] == "securityfs" {
				p := filepath.Join(storage.UnescapeMountPath(f[1]), "apparmor", "profiles")
				if _, err := os.Stat(p); err == nil {
					return p, nil
				}
			}
		}
	}
	return "", &features.NotSupportedError{Feature: "AppArmor policy loading",
		Reason: "securityfs is not mounted (mount -t securityfs securityfs /sys/kernel/security): apparmor_parser loads profiles through it and rampart reads back the kernel's list from it"}
}

// readList reads the kernel's list: profile name to mode, for the
// profiles of the root namespace ("name (mode)" lines).
func (e *loadEnv) readList() (map[string]string, error) {
	b, err := os.ReadFile(e.list)
	if err != nil {
		return nil, fmt.Errorf("reading the kernel's profiles: %w", err)
	}
	return parseList(string(b)), nil
}

// parseList reads "name (mode)" lines, the kernel's list of profiles.
func parseList(s string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, "\x00\r")
		i := strings.LastIndex(l, " (")
		if i <= 0 || !strings.HasSuffix(l, ")") {
			continue
		}
		out[l[:i]] = l[i+2 : len(l)-1]
	}
	return out
}

// verify holds the kernel's list to what p defines: each profile listed
// in the mode its file asks for, or, after a removal, none listed. The
// parser's exit status alone is not trusted: a parser that exits 0
// without loading (a wrapper script, a RAMPART_APPARMOR_PARSER that is
// not the real parser) would leave a Pod naming the profile refused, or
// rampart run attached to an earlier version of it;
// a profile listed in complain mode where enforce was asked for (an
// earlier load, a flags slip) would log what it should deny. It checks
// names and modes, not the rules: the kernel's list holds no more.
func (e *loadEnv) verify(p *loadPlan, removed bool) error {
	list, err := e.readList()
	if err != nil {
		return err
	}
	for _, l := range p.profiles {
		mode, ok := list[l.Name]
		switch {
		case removed && ok:
			return &VerifyError{File: p.file, Name: l.Name, Listed: mode}
		case !removed && mode != string(l.Mode):
			return &VerifyError{File: p.file, Name: l.Name, Want: string(l.Mode), Listed: mode}
		}
	}
	return nil
}

// listed names p's profiles the kernel lists now, with their modes.
func (e *loadEnv) listed(p *loadPlan) []string {
	list, err := e.readList()
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range p.profiles {
		if mode, ok := list[l.Name]; ok {
			out = append(out, fmt.Sprintf("%s (%s)", l.Name, mode))
		}
	}
	return out
}
