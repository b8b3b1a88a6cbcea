//go:build linux

package landlock

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/policy"
)

// The scopes, enforced for real: a child restricted with them reaches
// for its parent (outside its domain) by every signal call and by both
// kinds of abstract socket, and for what it made itself after entering
// the domain. The "no scope" child runs the same attacks under a
// filesystem-only domain and must find them open: the test tells the
// two apart, so it can fail.
func TestEnforceScope(t *testing.T) {
	if err := features.HaveLandlock(ScopeABI); err != nil {
		t.Skipf("needs Landlock ABI %d: %v", ScopeABI, err)
	}
	for _, mode := range []string{"scope", "no-scope"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			stream := listenAbstract(t, unix.SOCK_STREAM)
			dgram := listenAbstract(t, unix.SOCK_DGRAM)
			named := filepath.Join(dir, "named.sock")
			lf, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(lf)
			if err := unix.Bind(lf, &unix.SockaddrUnix{Name: named}); err != nil {
				t.Fatal(err)
			}
			unix.Listen(lf, 4)
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+mode, "RAMPART_LANDLOCK_DIR="+dir,
				"RAMPART_SCOPE_STREAM="+stream, "RAMPART_SCOPE_DGRAM="+dgram, "RAMPART_SCOPE_NAMED="+named)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "child done") {
				t.Fatalf("child %s: %v\n%s", mode, err, out)
			}
		})
	}
}

// listenAbstract binds a socket of type typ to an abstract name the
// kernel picks and returns the name.
func listenAbstract(t *testing.T, typ int) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrUnix{}); err != nil {
		t.Fatal(err)
	}
	if typ == unix.SOCK_STREAM {
		unix.Listen(fd, 4)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return sa.(*unix.SockaddrUnix).Name
}

func scopeChild(mode, dir string) int {
	runtime.LockOSThread()
	var rules []policy.FSRule
	if mode == "no-scope" {
		rules = []policy.FSRule{{Mode: policy.DenyRead, Path: filepath.Join(dir, "absent")}}
	}
	pl, err := Compile(rules, OSFS{})
	if err == nil && mode == "scope" {
		pl.AddScope(ScopeSignal | ScopeAbstractUnix)
	}
	var rs *Ruleset
	if err == nil {
		rs, err = Prepare(pl)
	}
	if err == nil {
		err = unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
	}
	if err == nil {
		err = rs.Restrict()
	}
	if err == nil {
		err = rs.Verify()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scoped := mode == "scope"
	failed := 0
	expect := func(what string, err error, denied bool) {
		if denied && !errors.Is(err, unix.EPERM) || !denied && err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "FAIL %s: %v, want denied=%v\n", what, err, denied)
		}
	}
	ppid := unix.Getppid()
	expect("kill(parent, 0)", unix.Kill(ppid, 0), scoped)
	expect("tgkill(parent, parent, 0)", unix.Tgkill(ppid, ppid, 0), scoped)
	if pfd, err := unix.PidfdOpen(ppid, 0); err == nil {
		expect("pidfd_send_signal(parent, 0)", unix.PidfdSendSignal(pfd, 0, nil, 0), scoped)
		unix.Close(pfd)
	}
	connect := func(name string, typ int) error {
		fd, err := unix.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.Connect(fd, &unix.SockaddrUnix{Name: name})
	}
	expect("connect to the parent's abstract stream socket", connect(os.Getenv("RAMPART_SCOPE_STREAM"), unix.SOCK_STREAM), scoped)
	expect("connect to the parent's abstract datagram socket", connect(os.Getenv("RAMPART_SCOPE_DGRAM"), unix.SOCK_DGRAM), scoped)
	sfd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	expect("sendto the parent's abstract datagram socket", unix.Sendto(sfd, []byte{}, 0, &unix.SockaddrUnix{Name: os.Getenv("RAMPART_SCOPE_DGRAM")}), scoped)
	unix.Close(sfd)
	// What the scopes leave alone: a socket with a file name (the
	// filesystem rules' business), and what the domain made itself.
	expect("connect to the parent's named socket", connect(os.Getenv("RAMPART_SCOPE_NAMED"), unix.SOCK_STREAM), false)
	own, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		err = unix.Bind(own, &unix.SockaddrUnix{})
	}
	if err == nil {
		var sa unix.Sockaddr
		sa, err = unix.Getsockname(own)
		if err == nil {
			err = connect(sa.(*unix.SockaddrUnix).Name, unix.SOCK_DGRAM)
		}
	}
	expect("connect to an abstract socket made inside the domain", err, false)
	sleeper := exec.Command("/bin/sleep", "5")
	if err := sleeper.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	expect("signal a child made inside the domain", sleeper.Process.Signal(os.Kill), false)
	sleeper.Wait()
	if failed > 0 {
		return 1
	}
	fmt.Fprintln(os.Stderr, "child done")
	return 0
}
