//go:build !linux

package sandbox

import (
	"os"
	"os/exec"

	"github.com/rampart-sec/rampart/policy"
)

// LayerUserNS is policy.LayerUserNS.
const LayerUserNS = policy.LayerUserNS

// PickUserNS fails off Linux.
func PickUserNS(*policy.UserNS) (*policy.UserNS, error) { return nil, errNotLinux }

// UserNSShared fails off Linux.
func UserNSShared(*policy.UserNS) (bool, error) { return false, errNotLinux }

// InUserNS fails off Linux.
func InUserNS(*policy.UserNS) (bool, error) { return false, errNotLinux }

// UserNSCmd is never started off Linux: PickUserNS refuses first.
func UserNSCmd(*policy.UserNS, *os.File, []string, []*os.File) *exec.Cmd { return nil }
