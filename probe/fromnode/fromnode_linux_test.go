package fromnode

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseID(t *testing.T) {
	id := strings.Repeat("0123456789abcdef", 4)
	for in, want := range map[string]string{id: id, "containerd://" + id: id, "cri-o://" + id: id} {
		if got, err := ParseID(in); err != nil || got != want {
			t.Errorf("ParseID(%q) = %q, %v", in, got, err)
		}
	}
	// A prefix would match the first container whose cgroup holds it;
	// a path would match any cgroup line that holds the text.
	for _, bad := range []string{id[:12], id + "0", strings.ToUpper(id), "/kubepods/" + id, "containerd://" + id[:63] + "/", ""} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
}

// A filter that can hand a call to a supervisor is refused: loaded
// without one, those calls fail with ENOSYS.
func TestNotifies(t *testing.T) {
	const ret, retA, ld = 0x06, 0x16, 0x20
	for _, c := range []struct {
		prog []unix.SockFilter
		want bool
	}{
		{[]unix.SockFilter{{Code: ret, K: unix.SECCOMP_RET_ALLOW}}, false},
		{[]unix.SockFilter{{Code: ld, K: 0}, {Code: ret, K: unix.SECCOMP_RET_ERRNO | 1}, {Code: ret, K: unix.SECCOMP_RET_ALLOW}}, false},
		{[]unix.SockFilter{{Code: ret, K: unix.SECCOMP_RET_USER_NOTIF}}, true},
		{[]unix.SockFilter{{Code: ret, K: unix.SECCOMP_RET_USER_NOTIF | 0x1234}}, true},
		{[]unix.SockFilter{{Code: ld, K: 0}, {Code: retA}}, true}, // a computed action could be USER_NOTIF
	} {
		if got := notifies(c.prog); got != c.want {
			t.Errorf("notifies(%+v) = %v", c.prog, got)
		}
	}
}

// /proc/PID/limits read as the kernel's own getrlimit answers.
func TestRlimits(t *testing.T) {
	got, err := rlimits("/proc/self/limits")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 16 {
		t.Fatalf("%d limits: %v", len(got), got)
	}
	for r, lim := range got {
		var want unix.Rlimit
		if err := unix.Getrlimit(r, &want); err != nil {
			t.Fatal(err)
		}
		if lim != want {
			t.Errorf("resource %d: read %+v, getrlimit %+v", r, lim, want)
		}
	}
}

func TestCgroupMounts(t *testing.T) {
	info := `24 1 0:22 / /sys rw - sysfs sysfs rw
30 24 0:26 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755
31 30 0:27 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
32 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
33 30 0:29 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices
34 30 0:30 /kubepods /mnt/with\040space rw - cgroup cgroup rw,devices
35 30 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate
`
	path := filepath.Join(t.TempDir(), "mountinfo")
	if err := os.WriteFile(path, []byte(info), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := cgroupMounts(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]cgroupMount{
		"name=systemd": {"/", "/sys/fs/cgroup/systemd"},
		"cpu,cpuacct":  {"/", "/sys/fs/cgroup/cpu,cpuacct"},
		"devices":      {"/", "/sys/fs/cgroup/devices"}, // the first mount
		"":             {"/", "/sys/fs/cgroup/unified"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if u := unescape(`/mnt/with\040space\`); u != `/mnt/with space\` {
		t.Errorf("unescape: %q", u)
	}
}

func TestLabelName(t *testing.T) {
	for in, want := range map[string]string{
		"unconfined\n": "", "cri-containerd.apparmor.d (enforce)\n": "cri-containerd.apparmor.d",
		"a//&b (complain)": "a//&b", "profile (with) parens (enforce)": "profile (with) parens",
	} {
		if got := labelName(in); got != want {
			t.Errorf("labelName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNamedAfter(t *testing.T) {
	id := strings.Repeat("0123456789abcdef", 4)
	for cg, want := range map[string]bool{
		"0::/kubepods/besteffort/pod1/" + id + "\n":                                 true,
		"12:devices:/kubepods/besteffort/pod1/" + id + "\n0::/\n":                   true,
		"0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + id + ".scope\n":  true,
		"0::/system.slice/crio-" + id + ".scope\n":                                  true,
		"0::/kubepods/" + id + "/sub\n":                                             false, // not the last element
		"0::/kubepods/x" + id + "\n":                                                false,
		"0::/kubepods/" + id + "x\n":                                                false,
		"0::/user.slice/session-" + id + ".scope.d\n":                               false,
		"0::/kubepods.slice/cri-containerd-" + strings.Repeat("f", 64) + ".scope\n": false,
	} {
		if got := namedAfter(cg, id); got != want {
			t.Errorf("namedAfter(%q) = %v", cg, got)
		}
	}
}

func TestProbeKnob(t *testing.T) {
	for kv, want := range map[string]bool{"RAMPART_PROBE_CHILD=raw-socket": true, "GODEBUG=x": true, "GOMAXPROCS=1": true,
		"PATH=/bin": false, "KUBERNETES_SERVICE_HOST=10.0.0.1": false, "GOPATH=/go": false, "rampart_x=1": false} {
		if probeKnob(kv) != want {
			t.Errorf("probeKnob(%q) = %v", kv, !want)
		}
	}
}

// The binary the probe runs as in a container is a copy no one can
// write: what a container process may reopen through /proc/PID/exe.
func TestSealedSelf(t *testing.T) {
	f, err := sealedSelf()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Pwrite(int(f.Fd()), []byte{0}, 0); err != unix.EPERM {
		t.Errorf("write to the copy: %v, want EPERM", err)
	}
	// Reopened through /proc, as a container process would: the seals
	// are the file's, not the descriptor's.
	if w, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), os.O_WRONLY, 0); err == nil {
		if _, err := w.Write([]byte{0}); !errors.Is(err, unix.EPERM) {
			t.Errorf("write through a reopened descriptor: %v, want EPERM", err)
		}
		w.Close()
	}
	if err := unix.Ftruncate(int(f.Fd()), 0); err != unix.EPERM {
		t.Errorf("truncate the copy: %v, want EPERM", err)
	}
	want, _ := os.ReadFile("/proc/self/exe")
	got, err := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("the copy differs from the binary (%d bytes of %d): %v", len(got), len(want), err)
	}
}
