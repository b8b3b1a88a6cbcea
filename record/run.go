//go:build linux && (amd64 || arm64)

package record

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
)

// Recorder names, for Options.Recorder.
const (
	RecorderAuto   = "auto"   // eBPF where the kernel allows it, else ptrace
	RecorderEBPF   = "ebpf"   // raw tracepoints; sees capability checks
	RecorderPtrace = "ptrace" // works everywhere; slower, no capabilities
)

// Options says how to run the recorded command.
type Options struct {
	// Recorder is RecorderAuto (the default), RecorderEBPF or
	// RecorderPtrace.
	Recorder string
	// Stdin, Stdout, Stderr are CMD's; nil means rampart's own.
	Stdin, Stdout, Stderr *os.File
	// Env is CMD's environment; nil means rampart's own.
	Env []string
	// Dir is CMD's working directory; empty means rampart's.
	Dir string
	// Wait keeps recording after CMD exits until every process it
	// started has exited too: a daemon that forks away, a server's
	// workers. SIGINT, SIGTERM or SIGHUP to rampart (or ctx) ends the
	// wait; what still runs then is a limit of the recording.
	Wait bool
	// Credential, when set, runs CMD as that user and group (its
	// supplementary groups as listed). Set after the recording started,
	// so the identity change is rampart's and is not recorded.
	Credential *syscall.Credential
}

// ExecError says CMD could not be started: it never ran.
type ExecError struct {
	Path string
	Err  error
}

func (e *ExecError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *ExecError) Unwrap() error { return e.Err }

// recorder is one mechanism: it starts CMD through l and fills col.
type recorder interface {
	name() string
	run(ctx context.Context, l *launch, col *collector) (exitCode int, err error)
	close()
}

// Run runs argv and records what it and every descendant ask of the
// kernel from CMD's execve on, until CMD exits. CMD keeps rampart's
// stdio, environment and process group; the signals a terminal does not
// already deliver to the whole group are forwarded. The Recording holds
// CMD's exit status; an error means the recording could not be made.
func Run(ctx context.Context, argv []string, opts Options) (*Recording, error) {
	if len(argv) == 0 {
		return nil, errors.New("record: no command")
	}
	path, err := lookPath(argv[0], opts.Dir)
	if err != nil {
		return nil, &ExecError{Path: argv[0], Err: err}
	}

	sys := syscalls()
	col := newCollector(sys)
	var rec recorder
	switch opts.Recorder {
	case RecorderEBPF:
		if rec, err = newEBPF(sys, col); err != nil {
			return nil, err
		}
	case RecorderAuto, "":
		rec, err = newEBPF(sys, col)
		if errors.Is(err, features.ErrNotSupported) {
			col.limit("%v; the ptrace recorder ran instead", err)
			rec, err = newPtrace(col), nil
		}
		if err != nil {
			return nil, err
		}
	case RecorderPtrace:
		rec = newPtrace(col)
	default:
		return nil, fmt.Errorf("unknown recorder %q (auto, ebpf or ptrace)", opts.Recorder)
	}
	defer rec.close()

	r := col.rec
	r.Command = append([]string(nil), argv...)
	r.Recorder = rec.name()
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		r.Kernel = unix.ByteSliceToString(uts.Release[:])
	}
	if c := opts.Credential; c != nil {
		r.User = &RunAs{UID: int(c.Uid), GID: int(c.Gid)}
	}
	r.Started = time.Now().UTC()
	l := &launch{path: path, argv: argv, opts: &opts}
	// A context already ended would kill CMD as it starts: that is no
	// recording of CMD, and must not pass for one.
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("record: ended before CMD started: %w", err)
	}
	code, err := rec.run(ctx, l, col)
	if err != nil {
		return nil, err
	}
	r.Duration = time.Since(r.Started)
	r.ExitCode = code
	return col.finish(), nil
}

// lookPath finds CMD as a shell would, before anything starts: a name
// with a slash is taken as it is (relative to dir), any other is looked
// up in $PATH.
func lookPath(name, dir string) (string, error) {
	if !strings.Contains(name, "/") {
		p, err := exec.LookPath(name)
		if errors.Is(err, exec.ErrDot) {
			err = nil
		}
		return p, err
	}
	check := name
	if dir != "" && !filepath.IsAbs(name) {
		check = filepath.Join(dir, name)
	}
	if _, err := os.Stat(check); err != nil {
		return "", err
	}
	return name, nil
}

// launch is how a recorder starts CMD.
type launch struct {
	path string
	argv []string
	opts *Options
}

func (l *launch) env() []string {
	if l.opts.Env != nil {
		return l.opts.Env
	}
	return os.Environ()
}

func (l *launch) stdio() [3]*os.File {
	f := [3]*os.File{l.opts.Stdin, l.opts.Stdout, l.opts.Stderr}
	for i, std := range []*os.File{os.Stdin, os.Stdout, os.Stderr} {
		if f[i] == nil {
			f[i] = std
		}
	}
	return f
}

// waitTree waits, after CMD exited, until alive reports no recorded
// process left, or a signal or ctx ends the wait; it reports whether the
// tree emptied.
func waitTree(ctx context.Context, alive func() int) bool {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for alive() > 0 {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// leftMsg is the limit for processes of the tree still running when the
// recording stopped.
func leftMsg(wait bool) string {
	if wait {
		return "%d descendant process(es) were still running when the wait for them was ended: what they did afterwards is not recorded"
	}
	return "%d descendant process(es) were still running when CMD exited: what they did afterwards is not recorded (--wait follows them until they exit)"
}

// forwardSignals passes the signals rampart receives on to pid until
// stop is called. SIGINT and SIGQUIT are not passed: the terminal sends
// them to the whole foreground process group, CMD included, and a second
// copy would interrupt CMD's own handling of the first. rampart itself
// survives them, so it can still write the recording.
func forwardSignals(pid int) (stop func()) {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGALRM)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := range ch {
			if s == syscall.SIGINT || s == syscall.SIGQUIT {
				continue
			}
			syscall.Kill(pid, s.(syscall.Signal))
		}
	}()
	return func() {
		signal.Stop(ch)
		close(ch)
		<-done
	}
}

// exitCode is a shell's view of a wait status: the exit status, or 128
// plus the signal that killed the process.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// resolveAt anchors a relative path the way the kernel did: against the
// directory fd, or the thread's cwd for AT_FDCWD, read from /proc (the
// thread's entry first, the process's when the thread is gone). An empty
// path (AT_EMPTY_PATH) names the fd itself.
func resolveAt(tid, tgid uint32, dirfd int32, p string) (string, bool) {
	if strings.HasPrefix(p, "/") {
		return filepath.Clean(p), true
	}
	link := "cwd"
	if dirfd != atFDCWD {
		link = "fd/" + strconv.Itoa(int(dirfd))
	}
	for _, id := range []uint32{tid, tgid} {
		base, err := os.Readlink("/proc/" + strconv.Itoa(int(id)) + "/" + link)
		if err != nil || !strings.HasPrefix(base, "/") {
			continue
		}
		base = strings.TrimSuffix(base, " (deleted)")
		return filepath.Join(base, p), true
	}
	return "", false
}
