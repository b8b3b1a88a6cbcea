// Command rampart makes capabilities, seccomp and an LSM one boundary
// around a workload, and proves it from the attacker's side.
package main

import (
	"os"

	"github.com/rampart-sec/rampart/probe"
	"github.com/rampart-sec/rampart/seccomp"
)

func main() {
	// rampart re-executes itself as the probe's children (a call that
	// affects the whole process, a process to trace) and as the seccomp
	// compile helper: such a process is that child and ends in here,
	// before any command runs.
	probe.ChildMain()
	seccomp.HelperMain()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
