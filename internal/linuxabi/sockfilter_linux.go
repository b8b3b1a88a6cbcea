package linuxabi

import "golang.org/x/sys/unix"

// SockFilter is struct sock_filter, one classic-BPF instruction. On
// Linux it is x/sys/unix's, so a program goes to the kernel as it is.
type SockFilter = unix.SockFilter
