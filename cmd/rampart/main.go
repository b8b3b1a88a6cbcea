// Command rampart makes capabilities, seccomp and an LSM one boundary
// around a workload, and proves it from the attacker's side.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
