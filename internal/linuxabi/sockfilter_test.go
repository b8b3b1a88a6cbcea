package linuxabi

import (
	"testing"
	"unsafe"
)

// struct sock_filter is 8 bytes, K at offset 4, wherever it is declared:
// a program the models read is the kernel's layout.
func TestSockFilterLayout(t *testing.T) {
	var f SockFilter
	if s, o := unsafe.Sizeof(f), unsafe.Offsetof(f.K); s != 8 || o != 4 {
		t.Fatalf("SockFilter: size %d, K at %d; want 8 and 4", s, o)
	}
}
