//go:build !linux

package seccomp

// stackHook: no filter stack to load off Linux.
func stackHook() {}
