package layers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/version"
)

// Local runs each step as a child of this host: rampart re-executed
// through StepCommand, which applies the step's policy as `rampart run`
// does and then probes, or runs the attack's command.
type Local struct {
	// Self is the rampart executable.
	Self string
	// Dir holds the steps' policy files.
	Dir string
	// Env is the children's environment (nil: this process's).
	Env []string
}

func (*Local) Name() string { return "local" }

// command writes the step's policy (rampart.policy/v1) and returns the
// child that applies it and then does what r asks.
func (l *Local) command(ctx context.Context, s Step, r StepRequest) (*exec.Cmd, error) {
	r.Policy = filepath.Join(l.Dir, strings.TrimPrefix(s.Name, "+")+".json")
	if err := policy.WriteFile(r.Policy, s.Policy); err != nil {
		return nil, err
	}
	argv := r.Argv(l.Self)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = l.Env
	return cmd, nil
}

// exitedBadly says whether the probe died of a signal (SIGSYS, or a
// fault where a refused call left the Go runtime without memory) or
// with the Go runtime's fatal-error status.
func exitedBadly(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && (ws.Signaled() || ws.ExitStatus() == 2)
}

func (l *Local) Probe(ctx context.Context, s Step, ids []string) (*attack.Report, []string, error) {
	cmd, err := l.command(ctx, s, StepRequest{Only: ids})
	if err != nil {
		return nil, nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := fmt.Sprintf("%v: %s", err, strings.TrimSpace(stderr.String()))
		if s.Policy.Seccomp.Kind == policy.SeccompFile && exitedBadly(err) {
			// The probe is a Go program: an allow list written for
			// another program (a recording's) refuses its runtime's
			// calls, and it dies before it can report.
			msg += fmt.Sprintf("\nthe probe could not run under the seccomp profile %s: an allow list must let the probe's own calls through; give --policy the directory `rampart record` wrote (or its policy.json next to recording.json) and rampart adds them", s.Policy.Seccomp.Path)
		}
		return nil, nil, errors.New(msg)
	}
	var rep attack.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return nil, nil, fmt.Errorf("probe output: %w", err)
	}
	// The step ran in Self, which may be another program (rampart-run
	// beside rampart): one of another build probes another catalog, and
	// its rows would not be this rampart's.
	if v := version.Version(); rep.RampartVersion != v {
		return nil, nil, fmt.Errorf("the step ran in %s, rampart %s, not this rampart (%s): install the two from one build", l.Self, rep.RampartVersion, v)
	}
	return &rep, launcherNotes(stderr.String()), nil
}

// launcherNotes keeps what the launcher told the user ("rampart: ...").
func launcherNotes(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if n, ok := strings.CutPrefix(l, "rampart: "); ok {
			out = append(out, n)
		}
	}
	return out
}

func (l *Local) Attack(ctx context.Context, s Step, shell string) (bool, string, error) {
	cmd, err := l.command(ctx, s, StepRequest{Command: []string{"/bin/sh", "-c", shell}})
	if err != nil {
		return false, "", err
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true, "exit 0", nil
	case errors.As(err, &ee) && ee.ExitCode() == 125:
		// 125: the launcher refused a layer; the command never ran
		return false, "", fmt.Errorf("launcher refused: %s", strings.TrimSpace(out.String()))
	case errors.As(err, &ee):
		return false, fmt.Sprintf("exit %d: %s", ee.ExitCode(), lastLine(out.String())), nil
	}
	return false, "", err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
