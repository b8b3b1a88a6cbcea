package seccomp

import rcseccomp "github.com/opencontainers/runc/libcontainer/seccomp"

// runc's names for filter flags and architectures, from runc itself
// where it builds (its libcontainer is Linux's).
var (
	runcFlags = rcseccomp.KnownFlags
	runcArchs = rcseccomp.KnownArchs
)

func runcKnowsArch(a string) bool {
	_, err := rcseccomp.ConvertStringToArch(a)
	return err == nil
}
