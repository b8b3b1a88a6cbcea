//go:build linux

package probe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/rampart-sec/rampart/attack"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/linuxabi"
)

// Paths from a workload to the host: another process's memory, files by
// handle, kernel attack surface (io_uring, userfaultfd), devices, the
// crash handler, the magic SysRq key, the container runtime's socket and
// the terminal's input queue.

// ---------------------------------------------------------------------
// A child to trace.
//
// ptrace-child and process-vm-readv need a live process of the same
// credentials and layers: rampart re-executed with traceeEnv set, which
// prints the address of traceeMark and then blocks reading stdin until
// EOF. ChildMain enters it under its own variable (RAMPART_PROBE_CHILD
// names catalog paths), so it is no catalog path and runs no probe.

const traceeEnv = "RAMPART_PROBE_TRACEE"

// traceeMark is the one byte process-vm-readv reads from the child: its
// own constant, never anything secret.
var traceeMark = [8]byte{'r', 'a', 'm', 'p', 'a', 'r', 't', 0}

// traceeMain is the child to trace; it exits when its stdin closes.
func traceeMain() {
	fmt.Printf("%#x\n", uintptr(unsafe.Pointer(&traceeMark[0])))
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

type tracee struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
	mark   uintptr
}

// startTracee starts the child and waits until it runs Go code in its
// new image (it has printed the marker's address).
func startTracee() (*tracee, error) {
	exe, err := self()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), traceeEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	t := &tracee{cmd: cmd, stdin: stdin}
	// A pipe, not /dev/null: nothing to open, and a failure has words.
	cmd.Stderr = &t.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err == nil {
		var mark uint64
		mark, err = strconv.ParseUint(strings.TrimSpace(line), 0, 64)
		t.mark = uintptr(mark)
	}
	if err != nil {
		t.stop()
		return nil, fmt.Errorf("the child did not report ready: %v: %s", err, bytes.TrimSpace(t.stderr.Bytes()))
	}
	return t, nil
}

func (t *tracee) pid() int { return t.cmd.Process.Pid }

// stop closes the child's stdin, which ends it, and reaps it; a child
// still stopped after a failed detach is killed.
func (t *tracee) stop() {
	t.stdin.Close()
	timer := time.AfterFunc(5*time.Second, func() { t.cmd.Process.Kill() })
	t.cmd.Wait()
	timer.Stop()
}

func traceeFailed(err error) attack.Outcome {
	return attack.Outcome{Errno: unix.ECHILD, Step: "start a child to trace (rampart re-executed)", Detail: err.Error(), Setup: true}
}

// yamaDetail explains a ptrace refusal that Yama may have made.
func yamaDetail() string {
	switch sysctl("kernel/yama/ptrace_scope") {
	case "2":
		return "kernel.yama.ptrace_scope=2: only CAP_SYS_PTRACE may attach"
	case "3":
		return "kernel.yama.ptrace_scope=3: no process may attach"
	}
	return ""
}

var _ = register("ptrace-child", prober{
	run: func(*env) attack.Outcome {
		t, err := startTracee()
		if err != nil {
			return traceeFailed(err)
		}
		defer t.stop()
		return onThread(func() attack.Outcome { return seizeAndRelease(t.pid()) })
	},
	// ptrace_attach rejects PTRACE_SEIZE with a non-zero addr (EIO)
	// before ptrace_may_access; aimed at ourselves, it could only ever
	// fail (same thread group) even if it got further.
	canary: func() syscall.Errno {
		_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(unix.Getpid()), 1, 0, 0, 0)
		return e
	},
})

// seizeAndRelease attaches to pid, stops it, and detaches; it must run on
// a locked thread, the tracer.
func seizeAndRelease(pid int) attack.Outcome {
	const step = "ptrace(PTRACE_SEIZE, <own child>, 0, 0)"
	if err := unix.PtraceSeize(pid); err != nil {
		o := refused(step, err)
		o.Detail = yamaDetail()
		return o
	}
	if err := unix.PtraceInterrupt(pid); err != nil {
		// Attached all the same; the thread's exit detaches.
		return open(step, "attached to its own child (PTRACE_INTERRUPT then failed: "+err.Error()+"; detached when the tracer thread exited)")
	}
	var ws unix.WaitStatus
	deadline := time.Now().Add(3 * time.Second)
	for {
		wpid, err := unix.Wait4(pid, &ws, unix.WALL|unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || wpid == pid || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !ws.Stopped() {
		return open(step, "attached to its own child, which did not report the stop; detached when the tracer thread exited")
	}
	unix.PtraceDetach(pid)
	return open(step, "attached to its own child, stopped it (PTRACE_INTERRUPT) and detached; nothing read or changed")
}

var _ = register("process-vm-readv", prober{
	run: func(*env) attack.Outcome {
		t, err := startTracee()
		if err != nil {
			return traceeFailed(err)
		}
		defer t.stop()
		const step = "process_vm_readv(<own child>, 1 byte, 1 byte, 0)"
		var b [1]byte
		local := []unix.Iovec{{Base: &b[0]}}
		local[0].SetLen(1)
		remote := []unix.RemoteIovec{{Base: t.mark, Len: 1}}
		n, err := unix.ProcessVMReadv(t.pid(), local, remote, 0)
		got := b[0]
		b[0] = 0
		switch {
		case err == nil && n == 1 && got == traceeMark[0]:
			return open(step, "read 1 byte of its own child's memory (the marker it printed the address of; discarded)")
		case err == nil:
			return open(step, fmt.Sprintf("read %d byte(s) of its own child's memory (discarded)", n))
		case errors.Is(err, unix.EFAULT), errors.Is(err, unix.ENOMEM):
			return open(step, unix.ErrnoName(errnoOf(err))+" after the access check (mm_access): permitted")
		}
		o := refused(step, err)
		o.Detail = yamaDetail()
		return o
	},
	// process_vm_rw rejects non-zero flags (EINVAL) before it copies the
	// iovecs or looks at the target; the target is ourselves.
	canary: func() syscall.Errno {
		var b [1]byte
		local := []unix.Iovec{{Base: &b[0]}}
		local[0].SetLen(1)
		remote := []unix.RemoteIovec{{Base: uintptr(unsafe.Pointer(&traceeMark[0])), Len: 1}}
		_, err := unix.ProcessVMReadv(unix.Getpid(), local, remote, 1)
		return errnoOf(err)
	},
})

// ---------------------------------------------------------------------

var _ = register("open-by-handle", prober{
	run: func(*env) attack.Outcome {
		const step = "open_by_handle_at(fd of \"/\", handle of \"/\", O_RDONLY|O_CLOEXEC)"
		mfd, err := unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			// The working directory's mount serves as well: any mount fd
			// reaches handle_to_path's capability check.
			mfd = unix.AT_FDCWD
		} else {
			defer unix.Close(mfd)
		}
		// Attackers forge handles and need no name_to_handle_at; when it
		// fails, a forged one still reaches the capability check. Not an
		// empty one: since 6.10 handle_to_path rejects a zero length
		// (EINVAL) before it checks any capability.
		h, _, nerr := unix.NameToHandleAt(unix.AT_FDCWD, "/", 0)
		if nerr != nil {
			h = unix.NewFileHandle(forgedHandleType, make([]byte, 8))
		}
		fd, err := unix.OpenByHandleAt(mfd, h, unix.O_RDONLY|unix.O_CLOEXEC)
		switch {
		case err == nil:
			unix.Close(fd)
			return open(step, "opened \"/\" by its file handle and closed it; nothing read")
		case nerr != nil && errors.Is(err, unix.ESTALE):
			return open("open_by_handle_at(fd of \"/\", forged handle, O_RDONLY|O_CLOEXEC)",
				"ESTALE for the forged handle after the CAP_DAC_READ_SEARCH check: permitted (name_to_handle_at: "+nerr.Error()+"; attackers forge handles)")
		case errors.Is(err, unix.ESTALE):
			return open(step, "ESTALE after the CAP_DAC_READ_SEARCH check (the handle did not decode on this mount): permitted")
		}
		o := refused(step, err)
		if errors.Is(err, unix.EACCES) {
			// The decoded file's open was refused: DAC or an LSM.
			dac := unix.Faccessat(unix.AT_FDCWD, "/", unix.R_OK, unix.AT_EACCESS) == nil
			o.DACAllows = &dac
		}
		return o
	},
	// handle_to_path resolves the mount fd (EBADF for -1) before the
	// capability check only since the 2024 relaxation of its permission
	// checks (commit 620c266f3949, 6.10 or 6.11; 6.11 to be sure); before,
	// capable() came first and the canary would prove nothing.
	canary: handleCanary,
})

func handleCanary() syscall.Errno {
	if !features.KernelAtLeast(6, 11) {
		return 0
	}
	fd, err := unix.OpenByHandleAt(-1, unix.NewFileHandle(forgedHandleType, make([]byte, 8)), unix.O_RDONLY|unix.O_CLOEXEC)
	if err == nil {
		unix.Close(fd)
	}
	return errnoOf(err)
}

// ---------------------------------------------------------------------

// forgedHandleType is FILEID_INO32_GEN: with 8 zero bytes, inode 0 of
// generation 0, which no filesystem has.
const forgedHandleType = 1

// ioUringParams is struct io_uring_params (120 bytes), zeroed.
type ioUringParams [15]uint64

var _ = register("io-uring", prober{
	run: func(*env) attack.Outcome {
		const step = "io_uring_setup(1, &params)"
		var p ioUringParams
		fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&p)), 0)
		if e != 0 {
			o := refused(step, e)
			if e == unix.EPERM {
				switch v := sysctl("kernel/io_uring_disabled"); v {
				case "1", "2":
					o.Detail = "kernel.io_uring_disabled=" + v + " (io_uring_allowed refuses it before the arguments)"
				}
			}
			return o
		}
		unix.Close(int(fd))
		return open(step, "ring created and closed; nothing submitted")
	},
	// io_uring_setup reads params (EFAULT for NULL) only after
	// io_uring_allowed, the sysctl and CAP_SYS_ADMIN gate: the canary
	// says something only where that gate lets this process through.
	canary: uringSetupCanary,
})

// uringSetupCanary is io_uring_setup with NULL params: EFAULT from the
// kernel, once past the gate (0, no answer, where the gate would refuse
// first).
func uringSetupCanary() syscall.Errno {
	if !ioUringGateOpen() {
		return 0
	}
	fd, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, 0, 0)
	if e == 0 {
		unix.Close(int(fd))
	}
	return e
}

// ioUringGateOpen reports whether io_uring_allowed lets this process
// through (kernel.io_uring_disabled, CAP_SYS_ADMIN, kernel.io_uring_group).
func ioUringGateOpen() bool {
	switch sysctl("kernel/io_uring_disabled") {
	case "0":
		return true
	case "1":
		if haveEffective(caps.SYS_ADMIN) {
			return true
		}
		g, err := strconv.Atoi(sysctl("kernel/io_uring_group"))
		if err != nil || g < 0 {
			return false
		}
		if os.Getegid() == g {
			return true
		}
		groups, _ := os.Getgroups()
		for _, x := range groups {
			if x == g {
				return true
			}
		}
		return false
	case "":
		// No sysctl: before 6.6 there is no gate at all.
		return !features.KernelAtLeast(6, 6)
	}
	return false
}

// ---------------------------------------------------------------------

var _ = register("userfaultfd", prober{
	run: func(*env) attack.Outcome {
		step := "userfaultfd(O_CLOEXEC|UFFD_USER_MODE_ONLY)"
		fd, _, e := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|linuxabi.UffdUserModeOnly, 0, 0)
		if e == unix.EINVAL && !features.KernelAtLeast(5, 11) {
			// Before 5.11 there is no user-mode-only flag.
			step = "userfaultfd(O_CLOEXEC)"
			fd, _, e = unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC, 0, 0)
		}
		if e != 0 {
			o := refused(step, e)
			if e == unix.EPERM && step == "userfaultfd(O_CLOEXEC)" && sysctl("vm/unprivileged_userfaultfd") == "0" {
				o.Detail = "vm.unprivileged_userfaultfd=0 and CapEff lacks CAP_SYS_PTRACE"
			}
			return o
		}
		unix.Close(int(fd))
		return open(step, "created and closed; nothing registered")
	},
	// With UFFD_USER_MODE_ONLY the permission check always passes, and
	// new_userfaultfd then rejects an unknown flag bit with EINVAL.
	canary: func() syscall.Errno {
		if !features.KernelAtLeast(5, 11) {
			return 0
		}
		fd, _, e := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|linuxabi.UffdUserModeOnly|0x40000000, 0, 0)
		if e == 0 {
			unix.Close(int(fd))
		}
		return e
	},
})

// ---------------------------------------------------------------------

var _ = register("mknod-block", prober{
	run: func(*env) attack.Outcome { return mknodBlock() },
	// do_mknodat checks the file type, then resolves the directory fd
	// (EBADF for -1) before the path hooks, vfs_mknod and CAP_MKNOD.
	canary: func() syscall.Errno {
		return errnoOf(unix.Mknodat(-1, "b", unix.S_IFBLK|0o600, 0))
	},
})

func mknodBlock() (o attack.Outcome) {
	const step = "mknodat(dirfd, \"b\", S_IFBLK|0600, makedev(0, 0))"
	dir, err := os.MkdirTemp("/dev/shm", "rampart-probe-")
	if err != nil {
		dir, err = os.MkdirTemp("", "rampart-probe-")
	}
	if err != nil {
		return attack.Outcome{Errno: errnoOf(errors.Unwrap(err)), Step: "mkdir a temporary directory", Absent: "no writable directory to make the node in (/dev/shm, " + os.TempDir() + "): " + err.Error()}
	}
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(dir)
		return refused("open "+dir, err)
	}
	// Remove the node and the directory whatever happened; say so if
	// anything is left behind.
	defer func() {
		var left []string
		if err := unix.Unlinkat(dfd, "b", 0); err != nil && err != unix.ENOENT {
			left = append(left, filepath.Join(dir, "b")+": "+err.Error())
		}
		unix.Close(dfd)
		if err := os.Remove(dir); err != nil {
			left = append(left, err.Error())
		}
		if len(left) > 0 {
			o.Detail = strings.TrimPrefix(o.Detail+"; ", "; ") + "NOT REMOVED: " + strings.Join(left, "; ")
		}
	}()
	err = unix.Mknodat(dfd, "b", unix.S_IFBLK|0o600, 0)
	if err == nil {
		return open(step, "block node (device 0:0) created on tmpfs and removed at once")
	}
	o = refused(step, err)
	if errors.Is(err, unix.EACCES) {
		dac := unix.Faccessat(unix.AT_FDCWD, dir, unix.W_OK|unix.X_OK, unix.AT_EACCESS) == nil
		o.DACAllows = &dac
	}
	if errors.Is(err, unix.EPERM) && haveEffective(caps.MKNOD) {
		o.Detail = "EPERM with CAP_MKNOD: the device cgroup refuses block nodes"
	}
	return o
}

// ---------------------------------------------------------------------
// Files whose write reaches the host: opened for writing, never written.

// openProcForWrite opens /proc/REL for writing, then the same file in
// every other procfs this process sees (a hostPath volume of the node's
// /proc, or of its / with /proc beneath): the runtime makes the
// container's own /proc/sys read-only, not those, and the file is the
// same host-wide one in each. The first that opens decides; else
// /proc's refusal.
func openProcForWrite(e *env, rel string) attack.Outcome {
	o := openForWriteOnly(e, "/proc/"+rel)
	if o.Open {
		return o
	}
	mounts, _ := mountinfo.GetMounts(mountinfo.FSTypeFilter("proc"))
	for _, m := range mounts {
		if m.Mountpoint == "/proc" || strings.HasPrefix(m.Mountpoint, "/proc/") {
			continue
		}
		if alt := openForWriteOnly(e, path.Join(m.Mountpoint, rel)); alt.Open {
			return alt
		}
	}
	return o
}

var _ = register("core-pattern", prober{
	run: func(e *env) attack.Outcome { return openProcForWrite(e, "sys/kernel/core_pattern") },
})

var _ = register("sysrq-trigger", prober{
	run: func(e *env) attack.Outcome { return openProcForWrite(e, "sysrq-trigger") },
})

// ---------------------------------------------------------------------

// pid1Root is where pid 1's root directory shows: with the host's pid
// namespace (hostPID), the node's /, whose sockets it reaches.
const pid1Root = "/proc/1/root"

// socketCandidate is a path the probe tries, and whether a refusal to
// look there (EACCES) just means it is out of reach.
type socketCandidate struct {
	path     string
	lookOnly bool
}

// runtimeSocketCandidates are where this process may reach a runtime
// socket, in the order tried: the well-known paths; below every mount
// point, what SocketInMount looks for (a hostPath volume is a mount, at
// whatever mountPath the manifest chose); and the well-known paths under
// pid 1's root. Network and FUSE filesystems are skipped: a stat there
// can hang, and no runtime's socket lives on one.
func runtimeSocketCandidates() []socketCandidate {
	var out []socketCandidate
	seen := map[string]bool{}
	add := func(p string, lookOnly bool) {
		if !seen[p] {
			seen[p] = true
			out = append(out, socketCandidate{p, lookOnly})
		}
	}
	for _, p := range attack.RuntimeSockets() {
		add(p, false)
	}
	mounts, _ := mountinfo.GetMounts(nil)
	for _, m := range mounts {
		if m.Mountpoint == "/" || remoteFS(m.FSType) {
			continue
		}
		if attack.SocketInMount(m.Mountpoint, "") {
			add(m.Mountpoint, true)
		}
		for _, t := range attack.SocketTails() {
			add(path.Join(m.Mountpoint, t), true)
		}
	}
	for _, p := range attack.RuntimeSockets() {
		add(pid1Root+p, true)
	}
	return out
}

func remoteFS(fstype string) bool {
	for _, p := range []string{"nfs", "cifs", "smb", "fuse", "ceph", "glusterfs", "9p", "afs", "lustre"} {
		if strings.HasPrefix(fstype, p) {
			return true
		}
	}
	return false
}

var _ = register("runtime-socket", prober{
	run: func(*env) attack.Outcome {
		var present []string
		var first *attack.Outcome
		refusedAll := true
		for _, c := range runtimeSocketCandidates() {
			fi, err := os.Stat(c.path)
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOTDIR) || (err == nil && fi.Mode()&os.ModeSocket == 0) {
				continue
			}
			// Below a mount point or pid 1's root, a path closed to us
			// (pid 1 refuses ptrace read access, a directory without
			// search permission) is one more place nothing is reached.
			if err != nil && c.lookOnly {
				continue
			}
			present = append(present, c.path)
			o := connectUnix(c.path)
			if o.Open {
				return o
			}
			if o.Errno != unix.ECONNREFUSED {
				refusedAll = false
			}
			if first == nil || (first.Errno == unix.ECONNREFUSED && o.Errno != unix.ECONNREFUSED) {
				first = &o
			}
		}
		switch {
		case len(present) == 0:
			return attack.Outcome{Errno: unix.ENOENT, Step: "stat the runtime sockets",
				Absent: "no container runtime socket at " + strings.Join(attack.WellKnownSockets(), ", ") + " (each under /run and /var/run), below a mount point, or under " + pid1Root}
		case refusedAll:
			// A stale socket file: no runtime listens behind it.
			return attack.Outcome{Errno: unix.ECONNREFUSED, Step: first.Step, Absent: "nothing listens on " + strings.Join(present, ", ") + " (ECONNREFUSED)"}
		}
		return *first
	},
	canary: unixConnectCanary,
})

// unixConnectCanary is the canary of a connect to a UNIX socket: its
// socket() carries a flag bit sys_socket rejects (EINVAL) before the
// LSM's socket_create; then connect() with an address length over
// sizeof(sockaddr_storage), which move_addr_to_kernel rejects (EINVAL)
// before the lookup and the LSM's socket_connect.
func unixConnectCanary() syscall.Errno {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|0x10, 0)
	if err == nil {
		unix.Close(fd)
		return 0
	}
	if e := errnoOf(err); e != unix.EINVAL {
		return e // the filter refused socket(AF_UNIX)
	}
	fd, err = unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return unix.EINVAL // the filter let socket() through; something else refused it
	}
	defer unix.Close(fd)
	var sa unix.RawSockaddrUnix
	sa.Family = unix.AF_UNIX
	for i, c := range []byte(attack.RuntimeSockets()[0]) {
		sa.Path[i] = int8(c)
	}
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), 129)
	return e
}

// connectUnix connects to the stream socket at path and closes at once.
func connectUnix(path string) attack.Outcome {
	step := "connect(AF_UNIX, \"" + path + "\")"
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return refused("socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)", err)
	}
	defer unix.Close(fd)
	for {
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if err != unix.EINTR {
			break
		}
	}
	if err == nil {
		return open(step, "connected to "+path+" and closed; nothing sent")
	}
	o := refused(step, err)
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		dac := unix.Faccessat(unix.AT_FDCWD, path, unix.W_OK, unix.AT_EACCESS) == nil
		o.DACAllows = &dac
	}
	return o
}

// ---------------------------------------------------------------------

var _ = register("tiocsti", prober{
	child: tiocstiChild,
	// sys_ioctl resolves the fd (EBADF for -1) before the LSM's
	// file_ioctl and before tty_ioctl's checks.
	canary: func() syscall.Errno {
		c := byte('x')
		_, _, e := unix.Syscall(unix.SYS_IOCTL, ^uintptr(0), unix.TIOCSTI, uintptr(unsafe.Pointer(&c)))
		return e
	},
})

// tiocstiChild does what an attacker does to its own controlling
// terminal, on a terminal of its own.
func tiocstiChild() attack.Outcome {
	// Closing the pty's ends hangs up the session's terminal.
	signal.Ignore(syscall.SIGHUP)
	if _, err := unix.Setsid(); err != nil {
		return refused("setsid()", err)
	}
	m, err := openBare("/dev/ptmx", unix.O_RDWR, unix.O_NOCTTY|unix.O_CLOEXEC)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return attack.Outcome{Errno: unix.ENOENT, Step: "open(\"/dev/ptmx\")", Absent: "/dev/ptmx does not exist here"}
		}
		o := refused("open(\"/dev/ptmx\", O_RDWR)", err)
		dac := unix.Faccessat(unix.AT_FDCWD, "/dev/ptmx", unix.R_OK|unix.W_OK, unix.AT_EACCESS) == nil
		o.DACAllows = &dac
		return o
	}
	defer unix.Close(m)
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		return refused("ioctl(ptmx, TIOCSPTLCK, 0)", err)
	}
	s, err := openPeer(m)
	if err != nil {
		return refused("open the pty's peer", err)
	}
	defer unix.Close(s)
	if err := unix.IoctlSetInt(s, unix.TIOCSCTTY, 0); err != nil {
		return refused("ioctl(pty, TIOCSCTTY, 0)", err)
	}
	const step = "ioctl(own controlling pty, TIOCSTI, \"x\")"
	c := byte('x')
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(s), unix.TIOCSTI, uintptr(unsafe.Pointer(&c)))
	if e == 0 {
		return open(step, "one character pushed into a fresh pty's input queue (its own controlling terminal), then closed")
	}
	if hi := uint64(linuxabi.TIOCSTIHigh); uint64(uintptr(hi)) == hi {
		// The filter may compare all 64 bits; the kernel uses 32.
		_, _, e2 := unix.Syscall(unix.SYS_IOCTL, uintptr(s), uintptr(hi), uintptr(unsafe.Pointer(&c)))
		if e2 == 0 {
			return open(fmt.Sprintf("ioctl(own controlling pty, %#x, \"x\")", hi),
				fmt.Sprintf("TIOCSTI was refused (%s), but with the upper 32 bits set it went through: a filter compares all 64 bits of the command while the kernel uses 32 (CVE-2019-10063)", unix.ErrnoName(e)))
		}
	}
	o := refused(step, e)
	if e == unix.EIO && sysctl("dev/tty/legacy_tiocsti") == "0" {
		o.Detail = "dev.tty.legacy_tiocsti=0: TIOCSTI needs CAP_SYS_ADMIN, which CapEff lacks (tiocsti's EIO)"
	}
	return o
}

// openPeer opens the pty's other end: TIOCGPTPEER (4.13), else by name.
func openPeer(m int) (int, error) {
	fd, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(m), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if e == 0 {
		return int(fd), nil
	}
	n, err := unix.IoctlGetInt(m, unix.TIOCGPTN)
	if err != nil {
		return -1, err
	}
	return openBare("/dev/pts/"+strconv.Itoa(n), unix.O_RDWR, unix.O_NOCTTY|unix.O_CLOEXEC)
}

// openBare opens a file a path only needs as a means (a pty of its own),
// with flags|extra, then, when that is refused for permission, with
// flags alone: the extra bits are the probe's tidiness, not the
// attack's, and a filter that refuses them has not closed the path.
// (A pty master never becomes a controlling terminal, and the peer is
// made one on purpose, so O_NOCTTY changes nothing the path does.)
func openBare(path string, flags, extra int) (int, error) {
	fd, err := unix.Open(path, flags|extra, 0)
	if err != nil && permissionErrno(errnoOf(err)) {
		if fd2, err2 := unix.Open(path, flags, 0); err2 == nil {
			unix.CloseOnExec(fd2)
			return fd2, nil
		}
	}
	return fd, err
}

// ---------------------------------------------------------------------

// sysctl reads /proc/sys/KEY, "" when unreadable.
func sysctl(key string) string {
	b, err := os.ReadFile("/proc/sys/" + key)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// permissionErrno says a refusal is a permission check's (attack's
// attribution asks the same).
func permissionErrno(e syscall.Errno) bool {
	return e == unix.EPERM || e == unix.EACCES
}

// haveEffective reports whether the calling thread's effective set holds c.
func haveEffective(c caps.Cap) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[c/32].Effective&(1<<(c%32)) != 0
}
