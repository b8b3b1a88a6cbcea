//go:build !linux

package seccomp

import "slices"

func runcFlags() []string         { return runcFlagNames }
func runcArchs() []string         { return runcArchNames }
func runcKnowsArch(a string) bool { return slices.Contains(runcArchNames, a) }
