//go:build linux

// Command rampart-run is `rampart run` in a program that links the
// launch path and nothing else: the same flags, the same refusals and
// exit statuses, the same layers applied in the same order, without
// paying at start for the rest of rampart (the Kubernetes types, the
// YAML and protobuf registries, eBPF, the renderers), which a program
// initialises whether it uses them or not.
//
//	rampart-run [FLAGS] [--] CMD [ARG...]   is   rampart run [FLAGS] [--] CMD [ARG...]
//
// A command line the launch path does not handle alone (--from a
// manifest, --policy, --help, a flag it cannot parse) is handed to the
// rampart next to this program, or on PATH, as `rampart run` with the
// same arguments.
//
//	rampart-run layers-step ...   is   rampart layers-step ...
//
// the entry `rampart layers` runs each step through (layers/step): where
// rampart-run is installed beside rampart, the steps and their probes'
// children start in it. (A command of that name needs flags before it,
// as every launch does.)
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/internal/launcher"
	"github.com/rampart-sec/rampart/layers/step"
)

func main() {
	// This program re-executes itself as the probe's children and the
	// seccomp compile helper, as rampart does.
	launcher.Children()
	cmd, args := "run", os.Args[1:]
	if len(args) > 0 && args[0] == step.Command {
		cmd, args = step.Command, args[1:]
	}
	if os.Getenv(launcher.FullCLIEnv) != "1" {
		launcher.Enter(cmd, args)
	}
	err := handOver(cmd, args)
	fmt.Fprintln(os.Stderr, "rampart-run:", err)
	os.Exit(launcher.ExitCannot)
}

// handOver execs the full rampart as `rampart CMD ARGS`; it returns only
// when that cannot be done.
func handOver(cmd string, args []string) error {
	full, err := fullRampart()
	if err != nil {
		return err
	}
	return fmt.Errorf("%s: %w", full, unix.Exec(full, append([]string{full, cmd}, args...), os.Environ()))
}

// fullRampart finds rampart: next to this program (launcher.Sibling:
// not this program, and no one else's to change), else on PATH.
func fullRampart() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding this program: %w", err)
	}
	full, err := launcher.Sibling(self, "rampart")
	switch {
	case err == nil:
		return full, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("the rampart beside this program: %w", err)
	}
	if full, err = exec.LookPath("rampart"); err != nil {
		return "", errors.New("this command line needs the full rampart (a file to resolve, --help, or a flag only it can explain), and there is none next to " + self + " or on PATH")
	}
	a, errA := os.Stat(self)
	b, errB := os.Stat(full)
	if errA == nil && errB == nil && os.SameFile(a, b) {
		return "", fmt.Errorf("%s is this program, not the full rampart", full)
	}
	return full, nil
}
