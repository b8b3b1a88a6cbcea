package probe

import (
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/internal/storage"
)

// The same bytes as read-shadow, by another road: the block device that
// holds /etc/shadow's filesystem. A path rule on /etc/shadow does not
// cover /dev/vda, and debugfs (or a 4 KiB read at the right offset)
// needs nothing but the device node, which root owns.
var _ = register(&Path{
	ID:       "read-shadow-blockdev",
	Title:    "read /etc/shadow's disk through its block device",
	Gain:     "the password hashes, and every other file of that filesystem, from the raw blocks, past any rule on their paths",
	Syscalls: []string{"openat", "read"},
	Model: Model{
		CapNote:    "none for root, which owns the device node; another uid needs CAP_DAC_OVERRIDE or the disk group",
		Calls:      readOnlyOpens(),
		LSM:        diskAccesses("/dev/sda", "/dev/vda", "/dev/xvda", "/dev/nvme0n1"),
		HostDevice: true,
	},
	Safety:      "finds the device node under /etc/shadow's filesystem from the mount table and /sys, opens it read-only, reads one byte of its first block into a buffer that is discarded, and closes it; nothing is written or printed. " + readOpensSafety,
	run:         func(e *env) Outcome { return readShadowDevice(e) },
	canaryErrno: unix.EINVAL,
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

func readShadowDevice(e *env) Outcome {
	node, why := shadowDevice()
	if node == "" {
		return Outcome{Errno: unix.ENOENT, Step: "find the block device of /etc/shadow", Absent: why}
	}
	o := readOneByte(e, node)
	o.Step += " (" + why + ")"
	return o
}

// diskAccesses are the LSM's checks on reading a node's disk, by each
// name the disk may have there: each one way in (Access.Route), since a
// profile that denies /dev/sd* leaves /dev/vda open.
func diskAccesses(names ...string) []Access {
	var out []Access
	for _, n := range names {
		out = append(out, Access{Kind: AccessFile, Path: n, Mode: "r", Route: n})
	}
	return out
}
