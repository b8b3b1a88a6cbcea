package apparmor

// This file attaches loaded profiles at exec; load.go loads them.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
)

// execAttrs are where a task asks for a profile at its next execve: the
// per-LSM path (Linux 5.8+, needed when several LSMs share attr/) first.
var execAttrs = []string{"/proc/thread-self/attr/apparmor/exec", "/proc/thread-self/attr/exec"}

// Attach asks the kernel to confine the calling thread by profile at its
// next execve (aa_change_onexec). The kernel checks that the profile is
// loaded when it is written; the transition happens at execve, which
// fails rather than run unconfined. The caller must be on a locked OS
// thread that will execve next. Attach reads the request back.
func Attach(profile string) error {
	var lastErr error
	for _, p := range execAttrs {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			lastErr = err
			continue
		}
		_, err = f.Write([]byte("exec " + profile))
		f.Close()
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("apparmor: profile %q is not loaded", profile)
			}
			return fmt.Errorf("apparmor: attach %q: %w", profile, err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("apparmor: read back %s: %w", p, err)
		}
		if label := LabelName(string(got)); label != profile {
			return fmt.Errorf("apparmor: asked for %q at exec, kernel holds %q", profile, strings.TrimSpace(string(got)))
		}
		return nil
	}
	return fmt.Errorf("apparmor: no exec attribute to write: %w", lastErr)
}

// Current returns the calling thread's AppArmor label ("unconfined",
// "flask-deny-shadow (enforce)").
func Current() (string, error) {
	for _, p := range []string{"/proc/thread-self/attr/apparmor/current", "/proc/thread-self/attr/current"} {
		b, err := os.ReadFile(p)
		if err == nil {
			return strings.TrimSpace(string(bytes.TrimRight(b, "\x00"))), nil
		}
	}
	return "", errors.New("apparmor: no current attribute")
}

// LabelName strips the mode AppArmor appends to a label ("NAME (enforce)").
func LabelName(s string) string {
	s = strings.TrimSpace(strings.TrimRight(s, "\x00\n"))
	if i := strings.LastIndex(s, " ("); i >= 0 && strings.HasSuffix(s, ")") {
		s = s[:i]
	}
	return s
}
