//go:build !windows

package main

import "syscall"

// credential is the user `rampart record --user` runs the command as.
func credential(uid, gid uint32) *syscall.Credential {
	return &syscall.Credential{Uid: uid, Gid: gid}
}
