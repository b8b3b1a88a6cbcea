// Package runc runs a workload in a real runc container: it assembles a
// minimal busybox root filesystem with rampart inside, writes the OCI
// config, and runs `runc run` with a private state directory.
package runc

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// BusyboxPath is where Debian's busybox-static installs its binary.
const BusyboxPath = "/bin/busybox"

// shadowGID is group shadow in the rootfs's /etc/group, Debian's number.
const shadowGID = 42

// RampartInRootfs is where the rootfs carries rampart.
const RampartInRootfs = "/usr/local/bin/rampart"

// Rootfs assembles a root filesystem in dir: a static busybox with every
// applet linked, the usual /etc files (with a /etc/shadow whose entries
// hold no hash), and the static rampart binary at RampartInRootfs.
func Rootfs(dir, rampart string) error {
	if err := requireStatic(BusyboxPath, "busybox (Debian package busybox-static)"); err != nil {
		return err
	}
	if err := requireStatic(rampart, "rampart (build it with `make build`)"); err != nil {
		return err
	}
	for _, d := range []string{"bin", "etc", "tmp", "proc", "sys", "dev", "usr/local/bin", "root"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := copyFile(BusyboxPath, filepath.Join(dir, "bin/busybox"), 0o755); err != nil {
		return err
	}
	out, err := exec.Command(BusyboxPath, "--list").Output()
	if err != nil {
		return fmt.Errorf("busybox --list: %w", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" {
			continue
		}
		link := filepath.Join(dir, "bin", applet)
		if err := os.Symlink("busybox", link); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
		"etc/group":  "root:x:0:\nshadow:x:42:\nnogroup:x:65534:\n",
		// no hashes: the probe reads one byte, and there is nothing to leak
		"etc/shadow": "root:*:20339:0:99999:7:::\nnobody:*:20339:0:99999:7:::\n",
	}
	for name, content := range files {
		mode := os.FileMode(0o644)
		if name == "etc/shadow" {
			mode = 0o640
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			return err
		}
	}
	// As Debian ships it: 0640 root:shadow, so a non-root user reads it
	// only as a member of group shadow (42), which audit models.
	if err := os.Chown(filepath.Join(dir, "etc/shadow"), 0, shadowGID); err != nil && os.Geteuid() == 0 {
		return err
	}
	return copyFile(rampart, filepath.Join(dir, RampartInRootfs), 0o755)
}

// requireStatic refuses a dynamically linked binary: the rootfs has no
// libraries for it.
func requireStatic(path, what string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s at %s is dynamically linked; a container rootfs needs a static binary", what, path)
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}

// Result is a finished container run.
type Result struct {
	Stdout, Stderr []byte
	ExitCode       int
}

var seq atomic.Int64

// Run writes spec as bundle/config.json and runs it with runc; the
// container is deleted when it exits. The runc state lives in a private
// directory under the bundle, so nothing is left in /run/runc.
func Run(ctx context.Context, bundle string, spec *specs.Spec) (*Result, error) {
	bin, err := exec.LookPath("runc")
	if err != nil {
		return nil, errors.New("runc not found (Debian package runc)")
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
		return nil, err
	}
	state := filepath.Join(bundle, ".runc")
	if err := os.MkdirAll(state, 0o700); err != nil {
		return nil, err
	}
	id := fmt.Sprintf("rampart-%d-%d", os.Getpid(), seq.Add(1))
	cmd := exec.CommandContext(ctx, bin, "--root", state, "run", "--bundle", bundle, id)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	res := &Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	default:
		return nil, err
	}
	return res, nil
}
