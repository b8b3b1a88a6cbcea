package apparmor

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// ErrNoParser says the system has no apparmor_parser.
var ErrNoParser = errors.New("apparmor_parser not found (Debian package apparmor)")

// ParserEnv names the apparmor_parser to run instead of the one found on
// PATH or in parserLocations: the version the nodes run, say. "none"
// runs none, and validation is then rampart's alone.
const ParserEnv = "RAMPART_APPARMOR_PARSER"

// parserLocations are where apparmor_parser is looked for when PATH
// lacks the sbin directories.
var parserLocations = []string{"/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"}

// parserPath finds apparmor_parser.
func parserPath() (string, error) {
	if p := os.Getenv(ParserEnv); p != "" {
		if p == "none" {
			return "", fmt.Errorf("%w: %s=none", ErrNoParser, ParserEnv)
		}
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("%w: %s=%s is no file", ErrNoParser, ParserEnv, p)
		}
		return p, nil
	}
	if p, err := exec.LookPath("apparmor_parser"); err == nil {
		return p, nil
	}
	for _, p := range parserLocations {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNoParser
}

// ParserError is apparmor_parser's refusal of a policy file: what a
// node's parser would refuse to load.
type ParserError struct {
	File string // the file as the user named it
	Op   string // the parser's options: "-Q -K" when empty
	Msg  string // the parser's own message, its paths as File
	Err  error  // how the parser exited
}

func (e *ParserError) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Err.Error()
	}
	op := e.Op
	if op == "" {
		op = "-Q -K"
	}
	return fmt.Sprintf("apparmor_parser %s refuses %s: %s", op, e.File, msg)
}

func (e *ParserError) Unwrap() error { return e.Err }

// parserMessage is the parser's standard error without its warning that
// it cannot use a profile cache: about this kernel, not the profile.
func parserMessage(stderr string) string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "Cache read/write disabled") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// CheckCompile compiles policy text with the system's apparmor_parser
// without loading it into the kernel or touching the profile cache
// (`apparmor_parser -Q -K`): what a node's parser would refuse, it
// refuses, with a *ParserError. Includes resolve in dirs (-I); with none
// given, in /etc/apparmor.d when it exists, else in rampart's bundled
// files written to a temporary directory. errors.Is(err, ErrNoParser)
// when the parser is missing.
func CheckCompile(name string, src []byte, dirs ...string) error {
	inc := Includes{Dirs: dirs, NoBundled: true}
	if len(dirs) == 0 {
		inc = BundledIncludes
		if st, err := os.Stat("/etc/apparmor.d"); err == nil && st.IsDir() {
			inc = Includes{Dirs: []string{"/etc/apparmor.d"}, NoBundled: true}
		}
	}
	return checkIncludes(name, src, inc)
}

// checkIncludes runs apparmor_parser -Q -K on src with the include
// directories Compile reads for inc: its Dirs in order, then (unless
// NoBundled) rampart's bundled files, which fill in for what the Dirs
// lack as they do for Compile.
func checkIncludes(name string, src []byte, inc Includes) error {
	parser, err := parserPath()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "rampart-apparmor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	base := filepath.Base(name)
	if base == "" || base == "." || base == "/" || base == "-" || strings.HasPrefix(base, "<") {
		base = "profile"
	}
	file := filepath.Join(tmp, base)
	if err := os.WriteFile(file, src, 0o644); err != nil {
		return err
	}
	args := []string{"-Q", "-K"}
	for _, d := range inc.Dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			args = append(args, "-I", d)
		}
	}
	if !inc.NoBundled {
		dir := filepath.Join(tmp, "include")
		if err := WriteBundled(dir); err != nil {
			return err
		}
		args = append(args, "-I", dir)
		if len(inc.Dirs) == 0 {
			args = append(args, "-b", dir)
		}
	}
	args = append(args, file)
	var stderr bytes.Buffer
	cmd := exec.Command(parser, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return fmt.Errorf("running %s: %w", parser, err)
		}
		msg := strings.ReplaceAll(parserMessage(stderr.String()), file, name)
		return &ParserError{File: name, Msg: msg, Err: err}
	}
	return nil
}

// Validation says which parsers judged the AppArmor profiles a command
// decided on: rampart's always, apparmor_parser when it is installed.
type Validation struct {
	By []string `json:"by"`
	// Note says why apparmor_parser did not judge them, when it did not.
	Note string `json:"note,omitempty"`
}

// A Checker is the second judge of the profiles a command decides on:
// it compiles each with apparmor_parser -Q -K, as a node would before
// loading it, and refuses what the parser refuses. rampart's parser may
// accept what the kernel's loader rejects; without this check a profile
// that never loads would be reported as if it confined the workload. It
// runs the parser once per distinct file (name and contents), however
// many accesses are decided under it. The zero Checker resolves
// includes as SystemIncludes does. It is safe for concurrent use.
type Checker struct {
	// Includes are where includes resolve, as for Compile; nil Dirs
	// with NoBundled unset means SystemIncludes.
	Includes *Includes

	mu      sync.Mutex
	checked bool
	missing error
}

// verdicts are the parser's verdicts in this process, by parser, include
// directories, name and contents: a program that hardens or audits many
// files compiles each distinct profile once, whatever its Checkers.
var verdicts sync.Map // [32]byte -> error

// Check compiles src, the policy file called name. It returns nil when
// apparmor_parser accepts it, a *ParserError when it refuses it, and nil
// too when there is no parser: then Validation says so.
func (c *Checker) Check(name string, src []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked = true
	if c.missing != nil {
		return nil
	}
	parser, err := parserPath()
	if err != nil {
		c.missing = err
		return nil
	}
	inc := SystemIncludes
	if c.Includes != nil {
		inc = *c.Includes
	}
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %v %q\x00", parser, inc.Dirs, inc.NoBundled, name)
	h.Write(src)
	var key [32]byte
	h.Sum(key[:0])
	if v, ok := verdicts.Load(key); ok {
		err, _ := v.(error)
		return err
	}
	err = checkIncludes(name, src, inc)
	if errors.Is(err, ErrNoParser) {
		c.missing = err
		return nil
	}
	verdicts.Store(key, err)
	return err
}

// CheckFile reads file and checks it.
func (c *Checker) CheckFile(file string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	return c.Check(file, src)
}

// Validation says who judged the files checked so far; nil when none was.
func (c *Checker) Validation() *Validation {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.checked {
		return nil
	}
	if c.missing != nil {
		return &Validation{By: []string{"rampart"}, Note: AloneNote(c.missing)}
	}
	return &Validation{By: []string{"rampart", "apparmor_parser"}}
}

// AloneNote is what a command says when no apparmor_parser judged its
// profiles: err is why.
func AloneNote(err error) string {
	return "AppArmor profiles were validated by rampart's parser alone, not compiled by apparmor_parser as a node would: " + err.Error()
}

// Refusal joins rampart's own refusal of a profile file (own) and
// apparmor_parser's (parser), either of them nil: rampart's names the
// line and column, the parser's is what a node says.
func Refusal(own, parser error) error {
	switch {
	case parser == nil:
		return own
	case own == nil:
		return parser
	}
	return &bothRefuse{own, parser}
}

type bothRefuse struct{ own, parser error }

func (e *bothRefuse) Error() string   { return e.own.Error() + "\n" + e.parser.Error() }
func (e *bothRefuse) Unwrap() []error { return []error{e.own, e.parser} }
