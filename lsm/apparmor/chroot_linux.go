package apparmor

import "syscall"

// chrootAttr runs a command chrooted into root (LoadOptions.Root).
func chrootAttr(root string) *syscall.SysProcAttr { return &syscall.SysProcAttr{Chroot: root} }
