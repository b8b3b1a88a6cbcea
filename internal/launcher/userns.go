//go:build linux

package launcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/sandbox"
)

// userNSCommand is the first argument of the launcher re-executed inside
// the user namespace it made: a Go program cannot unshare one once it
// has threads (every Go program does), so the namespace is made by
// clone for a new process, which goes on with the launch from there.
const userNSCommand = "__rampart-userns"

// handoff is what the launcher passes the process inside the namespace:
// the policy as a rampart.policy/v1 file, with everything resolved that
// only the host's root can resolve, and the launch's options.
type handoff struct {
	Policy          json.RawMessage `json:"policy"`
	Argv            []string        `json:"argv"`
	PreserveFDs     int             `json:"preserveFDs"`
	Strict, Verbose bool
}

// launchInUserNS is Launch's part outside the namespace: it resolves
// what the namespace's root could not (a free block of host ids, the
// capability set "inherit" means, an AppArmor profile only the host's
// root can load), starts the launcher again in a new user namespace,
// and ends as the workload ends. It returns only when the namespace
// could not be made.
func launchInUserNS(stderr io.Writer, p *policy.Policy, argv []string, o Options) error {
	if p.UserNS.HostID != 0 {
		if shared, err := sandbox.UserNSShared(p.UserNS); err == nil && shared {
			fmt.Fprintf(stderr, "rampart: the user namespace's host ids %d to %d include ids in use (a running process's uid or gid, or an /etc/subuid or /etc/subgid range): the workload shares them, their files and their signals; --userns without a value picks a free block\n",
				p.UserNS.HostID, uint64(p.UserNS.HostID)+uint64(p.UserNS.Ids())-1)
		}
	}
	u, err := sandbox.PickUserNS(p.UserNS)
	if err != nil {
		return err
	}
	q := *p
	q.UserNS = u
	self, err := procstatus.Self()
	if err != nil {
		return fmt.Errorf("reading own status: %w", err)
	}
	// A new user namespace starts with every capability in every set,
	// the bounding set too: "inherit", and "untouched" (no capability
	// layer), mean this launcher's, fixed here, so that the namespace
	// gives back nothing the launcher's bounding set had taken away.
	switch c := q.Capabilities; {
	case c == nil:
		q.Capabilities = &policy.Capabilities{Base: self.CapBnd}
	case c.InheritBase:
		r := *c
		r.InheritBase, r.Base = false, self.CapBnd
		q.Capabilities = &r
	}
	if a := q.AppArmor; a != nil && a.File != "" && features.HaveAppArmor() == nil {
		// Loading a profile needs CAP_MAC_ADMIN over the host's
		// namespace; inside, the launcher only attaches it by name.
		if _, err := apparmor.Load([]string{a.File}, apparmor.LoadOptions{}); err != nil {
			return &sandbox.LayerError{Layer: sandbox.LayerAppArmor, Err: err}
		}
		r := *a
		r.File = ""
		q.AppArmor = &r
	}
	pb, err := policy.Encode(&q, "")
	if err != nil {
		return err
	}
	hb, err := json.Marshal(handoff{Policy: pb, Argv: argv, PreserveFDs: o.PreserveFDs, Strict: o.Strict, Verbose: o.Verbose})
	if err != nil {
		return err
	}
	h, err := memFile("rampart-userns-handoff", hb)
	if err != nil {
		return &sandbox.LayerError{Layer: sandbox.LayerUserNS, Err: err}
	}
	defer h.Close()
	prog, err := os.Open("/proc/self/exe")
	if err != nil {
		return &sandbox.LayerError{Layer: sandbox.LayerUserNS, Err: err}
	}
	defer prog.Close()
	files := make([]*os.File, o.PreserveFDs, o.PreserveFDs+1)
	for i := range files {
		if _, err := unix.FcntlInt(uintptr(3+i), unix.F_GETFD, 0); err == nil {
			files[i] = os.NewFile(uintptr(3+i), "preserved")
		} // a descriptor that is not open stays closed, as without --userns
	}
	files = append(files, h)
	cmd := sandbox.UserNSCmd(u, prog, []string{"rampart", userNSCommand, strconv.Itoa(2 + len(files))}, files)

	// Pdeathsig is sent when the thread that started the child ends:
	// this one stays until the process does.
	runtime.LockOSThread()
	// Signals for the workload are passed on. SIGINT and SIGQUIT are not:
	// a terminal sends them to the whole foreground process group, the
	// workload included, and a second copy would count twice. The
	// launcher catches them all and waits, so that it ends as the
	// workload does.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM, unix.SIGWINCH)
	if err := cmd.Start(); err != nil {
		signal.Stop(sigs)
		return policy.Refuse(sandbox.LayerUserNS, "starting the launcher in a new user namespace (0 is host %d): %w", u.HostID, err)
	}
	go func() {
		for s := range sigs {
			if s != unix.SIGINT && s != unix.SIGQUIT {
				cmd.Process.Signal(s)
			}
		}
	}()
	cmd.Wait()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		// As runc run and a shell report it.
		os.Exit(128 + int(ws.Signal()))
	case ws.Exited():
		os.Exit(ws.ExitStatus())
	}
	os.Exit(ExitCannot)
	return nil
}

// memFile is a sealed in-memory file holding b, read from its start.
func memFile(name string, b []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), name)
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SEAL|unix.F_SEAL_WRITE|unix.F_SEAL_GROW|unix.F_SEAL_SHRINK); err != nil {
		f.Close()
		return nil, fmt.Errorf("sealing the hand-off: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// userNSChild is the launcher inside the namespace launchInUserNS made:
// it reads the hand-off, checks on the kernel that it is in the
// namespace the policy maps, and goes on with the launch. It returns in
// any other process.
func userNSChild() {
	if len(os.Args) != 3 || os.Args[1] != userNSCommand {
		return
	}
	fd, err := strconv.Atoi(os.Args[2])
	if err != nil || fd < 3 {
		os.Exit(Fail(os.Stderr, UsageError{fmt.Errorf("%s %q: want the hand-off's descriptor", userNSCommand, os.Args[2])}))
	}
	f := os.NewFile(uintptr(fd), "hand-off")
	b, err := io.ReadAll(f)
	f.Close()
	var h handoff
	if err == nil {
		err = json.Unmarshal(b, &h)
	}
	if err != nil {
		os.Exit(Fail(os.Stderr, policy.Refuse(sandbox.LayerUserNS, "reading the launcher's hand-off: %w", err)))
	}
	p, err := policy.Decode("the launcher's hand-off", h.Policy)
	if err != nil {
		os.Exit(Fail(os.Stderr, err))
	}
	if p.UserNS == nil || p.UserNS.HostID == 0 {
		os.Exit(Fail(os.Stderr, policy.Refuse(sandbox.LayerUserNS, "the hand-off names no host block")))
	}
	if in, err := sandbox.InUserNS(p.UserNS); err != nil || !in {
		if err == nil {
			err = policy.Refuse(sandbox.LayerUserNS, "this process is not in the user namespace %s", p.UserNS)
		}
		os.Exit(Fail(os.Stderr, err))
	}
	err = Launch(os.Stderr, p, h.Argv, Options{PreserveFDs: h.PreserveFDs, Strict: h.Strict, Verbose: h.Verbose})
	if errors.Is(err, fs.ErrPermission) {
		// The host's root could, the namespace's cannot: say why.
		err = &permissionInUserNS{err: err, host: p.UserNS.HostID}
	}
	os.Exit(Fail(os.Stderr, err))
}

// permissionInUserNS is a refusal of the file permissions met inside the
// namespace, where the launcher is another uid than the host's root.
type permissionInUserNS struct {
	err  error
	host uint32
}

func (e *permissionInUserNS) Error() string {
	return fmt.Sprintf("%v (inside the user namespace, rampart's root is host uid %d, which a file of the host's root does not let in: make what CMD and its layers need readable, and the directories above it searchable, by others)", e.err, e.host)
}

func (e *permissionInUserNS) Unwrap() error { return e.err }
