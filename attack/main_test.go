package attack

import (
	"os"
	"testing"

	"github.com/rampart-sec/rampart/seccomp"
)

func TestMain(m *testing.M) {
	// As rampart's main: a cache miss compiles the profile in this test
	// binary, re-executed as the seccomp compile helper.
	seccomp.HelperMain()
	os.Exit(m.Run())
}
