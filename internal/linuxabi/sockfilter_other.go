//go:build !linux

package linuxabi

// SockFilter is struct sock_filter, one classic-BPF instruction, laid out
// as Linux has it (x/sys/unix names it on Linux only): the models read
// and run filters on every platform.
type SockFilter struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}
