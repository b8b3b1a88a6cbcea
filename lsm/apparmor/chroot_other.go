//go:build !linux

package apparmor

import "syscall"

// chrootAttr: only Linux loads AppArmor policy; elsewhere machine has
// already refused.
func chrootAttr(string) *syscall.SysProcAttr { return nil }
