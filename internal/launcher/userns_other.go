//go:build !linux

package launcher

import (
	"io"

	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/sandbox"
)

// launchInUserNS fails off Linux (sandbox.PickUserNS says why).
func launchInUserNS(_ io.Writer, p *policy.Policy, _ []string, _ Options) error {
	_, err := sandbox.PickUserNS(p.UserNS)
	return err
}

// userNSChild has no namespace to continue in off Linux.
func userNSChild() {}
