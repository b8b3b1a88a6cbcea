package kubectl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fake writes a kubectl that runs script.
func fake(t *testing.T, script string) Kubectl {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubectl")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return Kubectl{Path: p}
}

// A kubectl that fails without a word is reported with its exit status,
// not as an empty message.
func TestSilentFailure(t *testing.T) {
	_, _, err := fake(t, "exit 3").Run(context.Background(), nil, "logs", "p")
	var ke *Error
	if !errors.As(err, &ke) || ke.Msg != "(no output; exit status 3)" || ke.Exit.ExitCode() != 3 {
		t.Errorf("err = %v, want an *Error naming exit status 3", err)
	}
}

// A kubectl killed because the caller's context ended is reported as
// that, and what it printed until then is kept: a caller cleans up after
// a remote command from it.
func TestDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	out, errs, err := fake(t, "echo started; echo placing >&2; exec sleep 10").Run(ctx, nil, "exec", "p", "--", "sh")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "kubectl exec p:") {
		t.Errorf("err = %v, want the deadline, naming the command without its script", err)
	}
	if string(out) != "started\n" || string(errs) != "placing\n" {
		t.Errorf("stdout %q, stderr %q: want what kubectl printed before it was killed", out, errs)
	}
}
