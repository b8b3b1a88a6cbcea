//go:build !linux

package landlock

import (
	"runtime"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/policy"
)

// A ruleset is the running Linux kernel's, and the host's files are
// resolved as that kernel sees them: neither exists elsewhere. Compile
// works everywhere on an FS given to it.
var errNotLinux = &features.NotSupportedError{Feature: "Landlock", Reason: "it needs Linux (this is " + runtime.GOOS + "/" + runtime.GOARCH + ")"}

// OSFS is the host's filesystem as Landlock resolves it; off Linux every
// question fails.
type OSFS struct{}

func (OSFS) Resolve(string) (string, error)                          { return "", errNotLinux }
func (OSFS) Stat(string) (bool, bool, uint64, error)                 { return false, false, 0, errNotLinux }
func (OSFS) Inode(string) (uint64, uint64, error)                    { return 0, 0, errNotLinux }
func (OSFS) OtherLinks(string, uint64, uint64, string, int) []string { return nil }
func (OSFS) ReadDir(string) ([]Entry, error)                         { return nil, errNotLinux }

// Ruleset is a kernel ruleset; off Linux none is ever made.
type Ruleset struct{}

// Prepare fails off Linux.
func Prepare(*Plan) (*Ruleset, error) { return nil, errNotLinux }

// Restrict fails off Linux.
func (*Ruleset) Restrict() error { return errNotLinux }

// Verify fails off Linux.
func (*Ruleset) Verify() error { return errNotLinux }

// Close has nothing to release off Linux.
func (*Ruleset) Close() error { return nil }

// WithRoutes fails off Linux: the other routes to a file are found in
// Linux's mount table, /sys and /dev.
func WithRoutes([]policy.FSRule, []string, FS) ([]policy.FSRule, []string, error) {
	return nil, nil, errNotLinux
}

// MemoryRoutes is empty off Linux.
func MemoryRoutes() []string { return nil }
