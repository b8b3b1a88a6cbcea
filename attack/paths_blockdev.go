package attack

import "github.com/rampart-sec/rampart/internal/linuxabi"

// The same bytes as read-shadow, by another road: the block device that
// holds /etc/shadow's filesystem. A path rule on /etc/shadow does not
// cover /dev/vda, and debugfs (or a 4 KiB read at the right offset)
// needs nothing but the device node, which root owns.

var _ = declare(func() *Path {
	return &Path{
		ID:       "read-shadow-blockdev",
		Title:    "read /etc/shadow's disk through its block device",
		Gain:     "the password hashes, and every other file of that filesystem, from the raw blocks, past any rule on their paths",
		Syscalls: []string{"openat", "read"},
		Model: Model{
			UserNS:     UserNSHostOwner,
			CapNote:    "none for root, which owns the device node; another uid needs CAP_DAC_OVERRIDE or the disk group",
			Calls:      readOnlyOpens(),
			LSM:        diskAccesses("/dev/sda", "/dev/vda", "/dev/xvda", "/dev/nvme0n1"),
			HostDevice: true,
		},
		Safety:      "finds the device node under /etc/shadow's filesystem from the mount table and /sys, opens it read-only, reads one byte of its first block into a buffer that is discarded, and closes it; nothing is written or printed. " + readOpensSafety,
		CanaryErrno: linuxabi.EINVAL,
	}
})

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
