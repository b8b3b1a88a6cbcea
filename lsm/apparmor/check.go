package apparmor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrNoParser says the system has no apparmor_parser.
var ErrNoParser = errors.New("apparmor_parser not found (Debian package apparmor)")

// parserLocations are where apparmor_parser is looked for when PATH
// lacks the sbin directories.
var parserLocations = []string{"/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"}

// parserPath finds apparmor_parser.
func parserPath() (string, error) {
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

// CheckCompile compiles policy text with the system's apparmor_parser
// without loading it into the kernel or touching the profile cache
// (`apparmor_parser -Q -K`): what a node's parser would refuse, it
// refuses. Includes resolve in dirs (-I); with none given, in
// /etc/apparmor.d when it exists, else in rampart's bundled files written
// to a temporary directory. errors.Is(err, ErrNoParser) when the parser
// is missing.
func CheckCompile(name string, src []byte, dirs ...string) error {
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
	if base == "" || base == "." || base == "/" || base == "-" {
		base = "profile"
	}
	file := filepath.Join(tmp, base)
	if err := os.WriteFile(file, src, 0o644); err != nil {
		return err
	}
	args := []string{"-Q", "-K"}
	if len(dirs) == 0 {
		if st, err := os.Stat("/etc/apparmor.d"); err == nil && st.IsDir() {
			dirs = []string{"/etc/apparmor.d"}
		} else {
			inc := filepath.Join(tmp, "include")
			if err := WriteBundled(inc); err != nil {
				return err
			}
			dirs = []string{inc}
			args = append(args, "-b", inc)
		}
	}
	for _, d := range dirs {
		args = append(args, "-I", d)
	}
	args = append(args, file)
	var stderr bytes.Buffer
	cmd := exec.Command(parser, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(strings.ReplaceAll(stderr.String(), file, name))
		return fmt.Errorf("apparmor_parser -Q -K refuses %s: %v: %s", name, err, msg)
	}
	return nil
}
