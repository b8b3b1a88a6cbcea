package kubectl

import "syscall"

// Windows' process group: a Ctrl-C at the console reaches only the caller.
func ownProcessGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}
