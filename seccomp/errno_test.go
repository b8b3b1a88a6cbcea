//go:build linux

package seccomp

import (
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The table's values are Linux's: each name is the kernel's name for its
// number, or one of the two aliases the table keeps.
func TestContainersErrnosAreLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("x/sys/unix has Linux's errno values on Linux only")
	}
	alias := map[string]string{"EOPNOTSUPP": "ENOTSUP"} // x/sys/unix names 95 ENOTSUP
	for name, v := range containersErrnos {
		want := name
		if a, ok := alias[name]; ok {
			want = a
		}
		if got := unix.ErrnoName(syscall.Errno(v)); got != want {
			t.Errorf("%s = %d, which Linux names %s", name, v, got)
		}
	}
	if len(containersErrnos) != 82 {
		t.Errorf("%d names; containers/common accepts 82", len(containersErrnos))
	}
}

func TestContainersErrno(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint
		err  bool
	}{
		{"EPERM", 1, false}, {"ENOSYS", 38, false}, {"ENOTSUP", 95, false},
		{"38", 38, false}, {"0", 0, false}, {"4095", 4095, false},
		{"4096", 0, true}, {"eperm", 0, true}, {"EINTR", 0, true}, {"-1", 0, true}, {"0x26", 0, true}, {"", 0, true},
	} {
		got, err := containersErrno(c.in)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("%q: %d %v, want %d (error %v)", c.in, got, err, c.want, c.err)
		}
	}
}
