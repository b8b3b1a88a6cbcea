package launcher

import (
	"errors"
	"runtime"
	"strings"

	"github.com/rampart-sec/rampart/version"
)

// Sibling finds no program off Unix: rampart-run is a Linux launcher, and
// the checks that make a sibling safe to run are Unix's owners and modes.
func Sibling(self, name string) (string, error) {
	return "", errors.New(name + " is not run on " + runtime.GOOS)
}

// build is the version; a changed tree's cannot name its executable here.
func build() string {
	v := version.Version()
	if v != version.Devel && !strings.HasSuffix(v, "-dirty") {
		return v
	}
	return v + " exe=unknown"
}
