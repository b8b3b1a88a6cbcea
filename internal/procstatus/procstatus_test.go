//go:build linux

package procstatus

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
)

// The parsed sets must be what capget(2) returns for the same thread.
func TestSelfMatchesCapget(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		t.Fatal(err)
	}
	eff := caps.Set(uint64(data[1].Effective)<<32 | uint64(data[0].Effective))
	prm := caps.Set(uint64(data[1].Permitted)<<32 | uint64(data[0].Permitted))
	if st.CapEff != eff || st.CapPrm != prm {
		t.Fatalf("status CapEff=%s CapPrm=%s, capget %s %s", st.CapEff.Hex(), st.CapPrm.Hex(), eff.Hex(), prm.Hex())
	}
	if st.Uid[0] != os.Getuid() || st.Gid[0] != os.Getgid() {
		t.Fatalf("uid/gid %v %v", st.Uid, st.Gid)
	}
	nnp, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.NoNewPrivs != (nnp == 1) {
		t.Fatalf("NoNewPrivs %v, prctl %d", st.NoNewPrivs, nnp)
	}
	mode, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Seccomp != mode {
		t.Fatalf("Seccomp %d, prctl %d", st.Seccomp, mode)
	}
}

func TestReadAtRereads(t *testing.T) {
	f, err := os.Open("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < 3; i++ {
		if _, err := ReadAt(f); err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
}

func TestParseRejectsTruncated(t *testing.T) {
	if _, err := Parse(strings.NewReader("Name:\tx\nUid:\t0\t0\t0\t0\n")); err == nil {
		t.Fatal("want an error for a status without capability lines")
	}
	if _, err := Parse(strings.NewReader("Uid:\t0 0\n")); err == nil {
		t.Fatal("want an error for a short Uid line")
	}
}
