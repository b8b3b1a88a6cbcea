// Command rampart makes capabilities, seccomp and an LSM one boundary
// around a workload, and proves it from the attacker's side.
package main

import (
	"os"

	"github.com/rampart-sec/rampart/probe/fromnode"

	// The launch path: `rampart run` from flags, a layers step, and the
	// processes rampart re-executes itself as (the probe's children, the
	// seccomp compile helper) end in its init, before main and cobra.
	_ "github.com/rampart-sec/rampart/internal/launcher/initentry"
)

func main() {
	// The child a probe from the node spawns in a container (rampart probe
	// --enter) takes on its layers and execs the probe; nothing else runs.
	fromnode.ChildMain()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
