// Package kubectl runs the user's kubectl: every kubeconfig, context and
// credential plugin they have works unchanged, and errors carry
// kubectl's own words.
package kubectl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
)

// Kubectl is a kubectl binary and the kubeconfig context to use.
type Kubectl struct {
	Path    string // "": kubectl on PATH
	Context string // "": the kubeconfig's current context
}

// Run runs kubectl with stdin (nil: none) and returns its stdout and
// stderr. A kubectl that ran and failed is an *Error.
func (k Kubectl) Run(ctx context.Context, stdin io.Reader, args ...string) ([]byte, []byte, error) {
	path := k.Path
	if path == "" {
		path = "kubectl"
	}
	if k.Context != "" {
		args = append([]string{"--context", k.Context}, args...)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Its own process group: a Ctrl-C at the terminal reaches only the
	// caller, which then cancels ctx and cleans up in order.
	cmd.SysProcAttr = ownProcessGroup()
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), stderr.Bytes(), nil
	}
	if i := slices.Index(args, "--"); i >= 0 {
		args = args[:i] // a streamed script is not worth repeating
	}
	if ctx.Err() != nil {
		// Killed because the caller gave up: say so, not "(no output)".
		// What it printed until then is returned: a caller may need it to
		// clean up after a remote command that had started.
		return stdout.Bytes(), stderr.Bytes(), fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), context.Cause(ctx))
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return nil, nil, fmt.Errorf("running %s: %w (--kubectl names another)", path, err)
	}
	msg := LastLine(stderr.Bytes())
	if strings.TrimSpace(stderr.String()) == "" {
		msg = "(no output; " + ee.String() + ")" // e.g. "signal: killed"
	}
	return stdout.Bytes(), stderr.Bytes(), &Error{Args: args, Msg: msg, Exit: ee}
}

// Error is a kubectl that ran and failed: its command and the last line
// it printed.
type Error struct {
	Args []string
	Msg  string
	Exit *exec.ExitError
}

func (e *Error) Error() string { return "kubectl " + strings.Join(e.Args, " ") + ": " + e.Msg }
func (e *Error) Unwrap() error { return e.Exit }

// LastLine is the last non-empty line of a command's output, where
// kubectl and shells put their error.
func LastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return "(no output)"
	}
	return s
}
