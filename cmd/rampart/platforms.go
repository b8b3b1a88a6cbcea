package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rampart-sec/rampart/features"
)

// platforms is, for every command (cobra's help and completion run
// anywhere), what it needs a Linux kernel for ("":
// nothing, it runs wherever rampart builds: macOS, Windows, any Linux).
// Off Linux the commands that need one refuse at once with this reason,
// and README's "Platforms" table is this one (TestPlatformsTable holds
// both to it, and every command to having a row).
var platforms = []struct{ cmd, linux string }{
	{"audit", ""},
	{"harden", ""},
	{"seccomp show", ""},
	{"seccomp explain", ""},
	{"seccomp list", ""},
	{"seccomp diff", ""},
	{"seccomp lint", ""},
	{"apparmor eval", ""},
	{"apparmor generate", ""},
	{"apparmor parse", ""},
	{"oci spec", ""},
	{"policy convert", ""},
	{"version", ""},
	{"fleet manifests", ""},
	{"run", "it starts the workload under the kernel's capabilities, seccomp and Landlock or AppArmor"},
	{"layers", "it runs the attack paths against this kernel, layer by layer"},
	{"layers-step", "it runs one layer of `rampart layers` in this kernel"},
	{"probe", "it makes the attack paths' system calls to this kernel"},
	{"record", "it traces the command's system calls with eBPF or ptrace"},
	{"apparmor load", "it loads profiles into this kernel's AppArmor"},
	{"node-agent", "it installs profiles into this node's kubelet directory and kernel"},
	{"node-agent probe", "it enters containers' namespaces on this node and takes on their layers"},
}

// anywhere lists the commands that run on every platform.
func anywhere() []string {
	var out []string
	for _, p := range platforms {
		if p.linux == "" {
			out = append(out, p.cmd)
		}
	}
	return out
}

// needsLinuxError is a command refused off Linux.
type needsLinuxError struct{ cmd, why, goos string }

func (e *needsLinuxError) Error() string {
	return fmt.Sprintf("rampart %s needs Linux (this is %s/%s): %s; on this platform rampart can: %s",
		e.cmd, e.goos, runtime.GOARCH, e.why, strings.Join(anywhere(), ", "))
}

func (e *needsLinuxError) Unwrap() error { return features.ErrNotSupported }

// refuseOffLinux makes each command that needs Linux refuse at once on
// goos: before its flags and arguments are read, so nothing is half done;
// status 125, as for a layer that cannot be applied (nothing ran).
func refuseOffLinux(root *cobra.Command, goos string) {
	if goos == "linux" {
		return
	}
	for _, p := range platforms {
		if p.linux == "" {
			continue
		}
		c, _, err := root.Find(strings.Fields(p.cmd))
		if err != nil || c == root {
			continue // TestPlatformsTable finds a row without its command
		}
		err = statusError{code: exitRefused, err: &needsLinuxError{cmd: p.cmd, why: p.linux, goos: goos}}
		c.DisableFlagParsing = true
		c.Args = cobra.ArbitraryArgs
		c.PreRunE, c.PreRun = nil, nil
		c.Run = nil
		c.RunE = func(*cobra.Command, []string) error { return err }
	}
}

// platformsMarkdown is README's table of where each command runs.
func platformsMarkdown() string {
	var b strings.Builder
	b.WriteString("| command | Linux | macOS, Windows |\n|---|---|---|\n")
	for _, p := range platforms {
		other := "yes"
		if p.linux != "" {
			other = "no: " + p.linux
		}
		fmt.Fprintf(&b, "| `rampart %s` | yes | %s |\n", p.cmd, other)
	}
	return b.String()
}
