//go:build !linux || !amd64

package seccomp

// KernelABIs cannot probe here: every ABI counts as run.
func KernelABIs() (map[string]bool, bool) {
	return map[string]bool{"x86_64": true, "x86": true, "x32": true}, false
}
