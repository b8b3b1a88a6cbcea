package podexec

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sh runs one of the scripts here, as kubectl exec runs it in a container.
func sh(t *testing.T, script, stdin string, args ...string) (stdout, stderr []byte, code int) {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, "podexec"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return o.Bytes(), e.Bytes(), cmd.ProcessState.ExitCode()
}

func TestFindScript(t *testing.T) {
	tmp := t.TempDir()
	notDir := filepath.Join(tmp, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	good := t.TempDir()
	out, errs, _ := sh(t, findScript, "", ".rampart-test", filepath.Join(tmp, "absent"), notDir, good)
	if got, want := strings.TrimSpace(string(out)), "dir "+good; got != want {
		t.Errorf("got %q, want %q (stderr %s)", got, want, errs)
	}
	if left, _ := os.ReadDir(good); len(left) > 0 {
		t.Errorf("the exec test left %v behind", left)
	}

	out, _, _ = sh(t, findScript, "", ".rampart-test", filepath.Join(tmp, "absent"), notDir)
	want := "nowhere " + filepath.Join(tmp, "absent") + ": absent, " + notDir + ": absent"
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRunScript(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".rampart-test")
	// A script stands in for the binary: the shell runs either.
	bin := "#!/bin/sh\necho ran \"$@\"\necho warning >&2\nexit 3\n"
	out, errs, code := sh(t, runScript, bin, p, "a", "b c")
	if string(out) != "ran a b c\n" || code != 3 {
		t.Errorf("stdout %q, exit %d; want the binary's output and status", out, code)
	}
	own, theirs := split(append(errs, "command terminated with exit code 3\n"...))
	if !own["placing"] || !own["removed"] || string(theirs) != "warning\n" {
		t.Errorf("own %v, theirs %q, from stderr %q", own, theirs, errs)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the binary is still there: %v", err)
	}

	// A file that is there already is never written to, run or removed.
	if err := os.WriteFile(p, []byte("someone else's"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errs, code = sh(t, runScript, bin, p)
	if own, _ := split(errs); code == 0 || own["placing"] || own["removed"] {
		t.Errorf("exit %d, own %v: want a refusal before placing", code, own)
	}
	if b, _ := os.ReadFile(p); string(b) != "someone else's" {
		t.Errorf("the file that was there became %q", b)
	}
}
