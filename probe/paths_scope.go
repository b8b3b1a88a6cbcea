//go:build linux

package probe

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
)

// Paths out of the workload through IPC: a signal to kthreadd and
// a connect to an abstract UNIX socket someone else bound. Both are what
// Landlock's scopes close.

// ---------------------------------------------------------------------

const badSignal = 65 // above _NSIG: check_kill_permission's first refusal (EINVAL)

var _ = register("signal-outside", prober{
	run: func(e *env) attack.Outcome {
		// kthreadd is pid 2 only in the host's PID namespace; in a
		// private one pid 2 is the workload's own.
		if !hostPIDNamespace() {
			return attack.Outcome{Errno: unix.ESRCH, Step: "look for kthreadd at pid 2",
				Absent: "this PID namespace is not the host's (pid 2 is not kthreadd): no process outside the workload is in sight"}
		}
		t, sig := attack.SignalTarget, unix.Signal(attack.SignalSent)
		kill := variant{name: "kill", run: func(*env) attack.Outcome {
			return signalled(fmt.Sprintf("kill(%d, SIGURG)", t), unix.Kill(t, sig))
		}, canary: func() syscall.Errno { return errnoOf(unix.Kill(t, badSignal)) }}
		tgkill := variant{name: "tgkill", run: func(*env) attack.Outcome {
			return signalled(fmt.Sprintf("tgkill(%d, %d, SIGURG)", t, t), unix.Tgkill(t, t, sig))
		}, canary: func() syscall.Errno { return errnoOf(unix.Tgkill(t, t, badSignal)) }}
		pidfd := variant{name: "pidfd_send_signal", run: func(*env) attack.Outcome {
			fd, err := unix.PidfdOpen(t, 0)
			if err != nil {
				return refused(fmt.Sprintf("pidfd_open(%d, 0)", t), err)
			}
			defer unix.Close(fd)
			return signalled("pidfd_send_signal(pidfd of kthreadd, SIGURG)", unix.PidfdSendSignal(fd, sig, nil, 0))
		}, canary: func() syscall.Errno {
			// flags the call does not know: EINVAL before the descriptor
			_, _, e := unix.Syscall6(unix.SYS_PIDFD_SEND_SIGNAL, ^uintptr(0), 0, 0, ^uintptr(0), 0, 0)
			return e
		}}
		return anyVariant(e, unix.EINVAL, kill, tgkill, pidfd)
	},
})

func signalled(step string, err error) attack.Outcome {
	if err == nil {
		return open(step, "accepted: every permission check passed; kthreadd ignores it")
	}
	return refused(step, err)
}

// ---------------------------------------------------------------------

var _ = register("abstract-unix-connect", prober{
	run: func(*env) attack.Outcome {
		cands, err := abstractSockets()
		if err != nil {
			return attack.Outcome{Errno: unix.ENOENT, Step: "read /proc/net/unix", Absent: "/proc/net/unix cannot be read (" + err.Error() + ")"}
		}
		if len(cands) == 0 {
			return attack.Outcome{Errno: unix.ENOENT, Step: "read /proc/net/unix",
				Absent: "no abstract UNIX socket is bound in this network namespace but the probe's own"}
		}
		var first *attack.Outcome
		for _, c := range cands {
			o := connectAbstract(c)
			if o.Open {
				return o
			}
			if first == nil || (first.Errno == unix.ECONNREFUSED && o.Errno != unix.ECONNREFUSED) {
				first = &o
			}
		}
		if first.Errno == unix.ECONNREFUSED {
			return attack.Outcome{Errno: unix.ECONNREFUSED, Step: first.Step, Absent: "nothing listens behind the abstract names in /proc/net/unix (ECONNREFUSED)"}
		}
		return *first
	},
	canary: unixConnectCanary,
})

// abstractSocket is one line of /proc/net/unix with an abstract name.
type abstractSocket struct {
	name  string // "@name"
	dgram bool
}

// soAcceptCon is __SO_ACCEPTCON, /proc/net/unix's flag of a listening socket.
const soAcceptCon = 1 << 16

// maxAbstractTries bounds how many foreign sockets one probe touches.
const maxAbstractTries = 4

// abstractSockets lists the abstract sockets of this network namespace
// the probe may connect to: bound datagram sockets first (a connect to
// one is seen by nobody), then listening stream sockets; never one of
// the probe's own descriptors.
func abstractSockets() ([]abstractSocket, error) {
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	own := ownSocketInodes()
	var dgrams, streams []abstractSocket
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// Num RefCount Protocol Flags Type St Inode Path
		fl := strings.Fields(sc.Text())
		if len(fl) < 8 || !strings.HasPrefix(fl[7], "@") || own[fl[6]] {
			continue
		}
		flags, _ := strconv.ParseUint(fl[3], 16, 32)
		switch fl[4] {
		case "0002":
			dgrams = append(dgrams, abstractSocket{name: fl[7], dgram: true})
		case "0001", "0005":
			if flags&soAcceptCon != 0 {
				streams = append(streams, abstractSocket{name: fl[7]})
			}
		}
	}
	out := append(dgrams, streams...)
	if len(out) > maxAbstractTries {
		out = out[:maxAbstractTries]
	}
	return out, sc.Err()
}

func ownSocketInodes() map[string]bool {
	out := map[string]bool{}
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if ino, ok := strings.CutPrefix(l, "socket:["); err == nil && ok {
			out[strings.TrimSuffix(ino, "]")] = true
		}
	}
	return out
}

// connectAbstract connects to s and closes at once, sending nothing.
func connectAbstract(s abstractSocket) attack.Outcome {
	typ, what := unix.SOCK_STREAM, "SOCK_STREAM"
	if s.dgram {
		typ, what = unix.SOCK_DGRAM, "SOCK_DGRAM"
	}
	fd, err := unix.Socket(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return refused("socket(AF_UNIX, "+what+"|SOCK_CLOEXEC, 0)", err)
	}
	defer unix.Close(fd)
	step := "connect(AF_UNIX " + what + ", \"" + s.name + "\")"
	for {
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: s.name})
		if err != unix.EINTR {
			break
		}
	}
	if err == nil {
		return open(step, "connected to the abstract socket "+s.name+" and closed; nothing sent")
	}
	return refused(step, err)
}
