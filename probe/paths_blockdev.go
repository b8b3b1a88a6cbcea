//go:build linux

package probe

import (
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/internal/storage"
)

// The same bytes as read-shadow, by another road: the block device that
// holds /etc/shadow's filesystem. A path rule on /etc/shadow does not
// cover /dev/vda, and debugfs (or a 4 KiB read at the right offset)
// needs nothing but the device node, which root owns.
var _ = register("read-shadow-blockdev", prober{
	run: func(e *env) attack.Outcome { return readShadowDevice(e) },
})

// shadowDevice names the block device node that holds /etc/shadow here,
// and how it was found; "" with the reason when there is none.
func shadowDevice() (node, why string) {
	f, err := storage.NewFinder()
	if err != nil {
		return "", err.Error()
	}
	r, err := f.Of("/etc/shadow")
	if err != nil {
		return "", err.Error()
	}
	for _, n := range r.Nodes {
		if n.Block {
			return n.Path, r.Why[n.Path]
		}
	}
	if r.HiddenLayers {
		// A container's root: the layers are the node's paths, on the
		// disk its other mounts come from.
		disks, err := f.MountedDisks()
		if err == nil && len(disks) > 0 {
			return disks[0].Path, "the disk under this container's mounts, where its overlay's layers live"
		}
		return "", "/etc/shadow is on an overlay whose layers are not visible here, and no disk of this namespace's mounts has a node in /dev"
	}
	if len(r.Unfollowed) > 0 {
		return "", "/etc/shadow's filesystem is not on a local block device: " + strings.Join(r.Unfollowed, "; ")
	}
	return "", "no node in /dev for the block device of /etc/shadow's filesystem"
}

func readShadowDevice(e *env) attack.Outcome {
	node, why := shadowDevice()
	if node == "" {
		return attack.Outcome{Errno: unix.ENOENT, Step: "find the block device of /etc/shadow", Absent: why}
	}
	o := readOneByte(e, node)
	o.Step += " (" + why + ")"
	return o
}
