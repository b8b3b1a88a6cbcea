//go:build linux && !amd64

package probe

import "syscall"

type i386Outcome struct {
	errno   syscall.Errno
	signal  syscall.Signal
	reapErr error
}

const (
	i386Socketcall = 102
	i386Socket     = 359
)

// Only an x86-64 kernel runs i386 code beside its own.
const haveInt80 = false

func i386Call(nr, a1, a2, a3 uintptr) (i386Outcome, syscall.Errno) {
	return i386Outcome{}, syscall.ENOSYS
}

func low32Page() ([]byte, error) { return nil, syscall.ENOSYS }

// sysOpen is 0 where the ABI has no open(2) (arm64: openat only).
const sysOpen = 0
