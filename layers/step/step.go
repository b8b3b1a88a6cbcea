// Package step is the command line of a layers step's fresh process:
// what the engines write and rampart's entry point parses. It is apart
// from layers so that the entry point links none of the engines.
package step

import "strings"

// Command is rampart's internal entry point for a step's fresh
// process (see the layers package documentation):
//
//	rampart layers-step [--policy FILE] [--only IDS] probe
//	rampart layers-step --policy FILE -- CMD [ARG...]
//
// With --policy, rampart reads FILE (rampart.policy/v1), applies its
// layers to itself as `rampart run` does and becomes the rest: CMD, or
// the entry point again without --policy. Without --policy, it probes
// the catalog paths IDS (all by default) under the layers it already
// runs with and writes the report (docs/probe-json.md) to stdout.
const Command = "layers-step"

// Request is one Command line.
type Request struct {
	// Policy is the policy file to apply first ("": already applied).
	Policy string
	// Only are the catalog paths to probe (nil: all).
	Only []string
	// Command is what to run once the layers are applied; nil probes.
	Command []string
}

// Argv is the command line that runs r with the rampart at exe.
func (r Request) Argv(exe string) []string {
	argv := []string{exe, Command}
	if r.Policy != "" {
		argv = append(argv, "--policy", r.Policy)
	}
	if r.Command != nil {
		return append(append(argv, "--"), r.Command...)
	}
	if len(r.Only) > 0 {
		argv = append(argv, "--only", strings.Join(r.Only, ","))
	}
	return append(argv, "probe")
}

// Next is what the process becomes once r's policy is applied: the
// command, or the entry point again (exe) to probe under it. A probe
// needs the fresh execve as much as the command does: the capability
// sets and the AppArmor label it is measured under are the ones a
// program gets across execve.
func (r Request) Next(exe string) []string {
	if r.Command != nil {
		return r.Command
	}
	return Request{Only: r.Only}.Argv(exe)
}
