package seccomp

import (
	"os"
	"testing"
)

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("reading a filter back needs CAP_SYS_ADMIN (run as root)")
	}
}
