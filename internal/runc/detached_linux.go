package runc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Container is a detached container of this machine's runc.
type Container struct {
	// ID is 64 hex digits, as containerd's are, and names the
	// container's cgroups (/rampart-test/ID), as the kubelet's do.
	ID  string
	PID int // its first process, on this machine
	// state is runc's private state directory.
	state, bundle string
}

// Start runs spec's process detached, its stdio /dev/null, in a fresh
// bundle under dir, and returns once the process runs argv[0]'s program
// (runc has applied every layer by then). Delete removes it.
func Start(ctx context.Context, dir string, spec *specs.Spec) (*Container, error) {
	raw := make([]byte, 32)
	rand.Read(raw)
	c := &Container{ID: hex.EncodeToString(raw), bundle: dir, state: filepath.Join(dir, ".runc")}
	s := *spec
	linux := *spec.Linux
	linux.CgroupsPath = "/rampart-test/" + c.ID
	s.Linux = &linux
	b, err := json.MarshalIndent(&s, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		return nil, err
	}
	pidFile, logFile := filepath.Join(dir, "pid"), filepath.Join(dir, "runc.log")
	// stdio stays /dev/null: a detached container keeps it, and a pipe
	// would keep this call waiting for the container to end.
	cmd := exec.CommandContext(ctx, "runc", "--root", c.state, "--log", logFile, "run", "-d", "--pid-file", pidFile, "--bundle", dir, c.ID)
	if err := cmd.Run(); err != nil {
		log, _ := os.ReadFile(logFile)
		c.Delete()
		return nil, fmt.Errorf("runc run: %w\n%s", err, log)
	}
	pb, err := os.ReadFile(pidFile)
	if err == nil {
		c.PID, err = strconv.Atoi(strings.TrimSpace(string(pb)))
	}
	if err != nil {
		c.Delete()
		return nil, err
	}
	comm := filepath.Base(spec.Process.Args[0])
	if len(comm) > 15 {
		comm = comm[:15]
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c.PID))
		if string(got) == comm+"\n" {
			return c, nil
		}
		if time.Now().After(deadline) {
			c.Delete()
			return nil, fmt.Errorf("container process %d does not run %s (comm %q)", c.PID, comm, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Exec runs argv in the container as runc exec does (the process spec's
// layers: what kubectl exec gives), returning its stdout and stderr.
func (c *Container) Exec(ctx context.Context, argv ...string) (stdout, stderr []byte, err error) {
	cmd := exec.CommandContext(ctx, "runc", append([]string{"--root", c.state, "exec", c.ID}, argv...)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
}

// Running says whether runc still reports the container running.
func (c *Container) Running() bool {
	out, err := exec.Command("runc", "--root", c.state, "state", c.ID).Output()
	return err == nil && bytes.Contains(out, []byte(`"status": "running"`))
}

// Delete kills and removes the container.
func (c *Container) Delete() error {
	out, err := exec.Command("runc", "--root", c.state, "delete", "-f", c.ID).CombinedOutput()
	if err != nil {
		return fmt.Errorf("runc delete: %w: %s", err, out)
	}
	return nil
}
