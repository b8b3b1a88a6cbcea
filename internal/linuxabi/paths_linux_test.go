package linuxabi

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The constants are Linux's: x/sys/unix, built for this Linux, agrees.
func TestPathConstantsAreLinuxs(t *testing.T) {
	for _, c := range []struct {
		name      string
		ours, sys int64
	}{
		{"AT_FDCWD", int64(AT_FDCWD), int64(unix.AT_FDCWD)},
		{"BPF_PROG_LOAD", int64(BPF_PROG_LOAD), int64(unix.BPF_PROG_LOAD)},
		{"ETH_P_ALL", int64(ETH_P_ALL), int64(unix.ETH_P_ALL)},
		{"KEYCTL_GET_KEYRING_ID", int64(KEYCTL_GET_KEYRING_ID), int64(unix.KEYCTL_GET_KEYRING_ID)},
		{"KEY_SPEC_THREAD_KEYRING", int64(KEY_SPEC_THREAD_KEYRING), int64(unix.KEY_SPEC_THREAD_KEYRING)},
		{"LINUX_REBOOT_CMD_CAD_OFF", int64(LINUX_REBOOT_CMD_CAD_OFF), int64(unix.LINUX_REBOOT_CMD_CAD_OFF)},
		{"LINUX_REBOOT_CMD_HALT", int64(LINUX_REBOOT_CMD_HALT), int64(unix.LINUX_REBOOT_CMD_HALT)},
		{"LINUX_REBOOT_CMD_KEXEC", int64(LINUX_REBOOT_CMD_KEXEC), int64(unix.LINUX_REBOOT_CMD_KEXEC)},
		{"LINUX_REBOOT_CMD_POWER_OFF", int64(LINUX_REBOOT_CMD_POWER_OFF), int64(unix.LINUX_REBOOT_CMD_POWER_OFF)},
		{"LINUX_REBOOT_CMD_RESTART", int64(LINUX_REBOOT_CMD_RESTART), int64(unix.LINUX_REBOOT_CMD_RESTART)},
		{"LINUX_REBOOT_MAGIC1", int64(LINUX_REBOOT_MAGIC1), int64(unix.LINUX_REBOOT_MAGIC1)},
		{"LINUX_REBOOT_MAGIC2", int64(LINUX_REBOOT_MAGIC2), int64(unix.LINUX_REBOOT_MAGIC2)},
		{"MODULE_INIT_COMPRESSED_FILE", int64(MODULE_INIT_COMPRESSED_FILE), int64(unix.MODULE_INIT_COMPRESSED_FILE)},
		{"MODULE_INIT_IGNORE_MODVERSIONS", int64(MODULE_INIT_IGNORE_MODVERSIONS), int64(unix.MODULE_INIT_IGNORE_MODVERSIONS)},
		{"MODULE_INIT_IGNORE_VERMAGIC", int64(MODULE_INIT_IGNORE_VERMAGIC), int64(unix.MODULE_INIT_IGNORE_VERMAGIC)},
		{"MS_PRIVATE", int64(MS_PRIVATE), int64(unix.MS_PRIVATE)},
		{"MS_REC", int64(MS_REC), int64(unix.MS_REC)},
		{"PERF_FLAG_FD_CLOEXEC", int64(PERF_FLAG_FD_CLOEXEC), int64(unix.PERF_FLAG_FD_CLOEXEC)},
		{"O_LARGEFILE", int64(O_LARGEFILE), int64(unix.O_LARGEFILE)},
		{"PR_SET_KEEPCAPS", int64(PR_SET_KEEPCAPS), int64(unix.PR_SET_KEEPCAPS)},
		{"O_ACCMODE", int64(O_ACCMODE), int64(unix.O_ACCMODE)},
		{"PTRACE_SEIZE", int64(PTRACE_SEIZE), int64(unix.PTRACE_SEIZE)},
		{"S_IFBLK", int64(S_IFBLK), int64(unix.S_IFBLK)},
		{"EPERM", int64(EPERM), int64(unix.EPERM)},
		{"ENOENT", int64(ENOENT), int64(unix.ENOENT)},
		{"EIO", int64(EIO), int64(unix.EIO)},
		{"ENOEXEC", int64(ENOEXEC), int64(unix.ENOEXEC)},
		{"EBADF", int64(EBADF), int64(unix.EBADF)},
		{"ECHILD", int64(ECHILD), int64(unix.ECHILD)},
		{"EACCES", int64(EACCES), int64(unix.EACCES)},
		{"EFAULT", int64(EFAULT), int64(unix.EFAULT)},
		{"EINVAL", int64(EINVAL), int64(unix.EINVAL)},
		{"EROFS", int64(EROFS), int64(unix.EROFS)},
	} {
		if c.ours != c.sys {
			t.Errorf("%s = %#x, Linux has %#x", c.name, c.ours, c.sys)
		}
	}
}
