package fromnode

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/procstatus"
)

// childEnv marks the child that takes on the layers (ChildMain).
const childEnv = "RAMPART_FROM_NODE_CHILD"

// Probe runs rampart's probe in the container whose runtime ID is id, as
// that container's first process runs, and returns its report. only
// limits the paths, as probe's --only does; the probe's own warnings go
// to stderr.
func Probe(ctx context.Context, id string, only []string, stderr io.Writer) (*attack.Report, error) {
	id, err := ParseID(id)
	if err != nil {
		return nil, err
	}
	self, err := checkSelf()
	if err != nil {
		return nil, err
	}
	pid, err := find(id)
	if err != nil {
		return nil, err
	}
	// The pidfd pins the process: if it is still alive after everything
	// below was read through /proc/PID, no other process took its PID
	// in between (a container that exits while it is read).
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("container %s (pid %d): %w", id, pid, err)
	}
	defer unix.Close(pidfd)
	where := fmt.Sprintf("container %s (pid %d on this node)", id[:12], pid)
	l, err := read(pid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if missing := caps.Set(l.CapBnd).Minus(self.CapBnd); missing != 0 {
		return nil, fmt.Errorf("%s holds %s, which this process's bounding set lacks and so cannot hand on; run it privileged", where, missing)
	}
	l.Args = []string{"rampart", "probe", "-o", "json"}
	if len(only) > 0 {
		l.Args = append(l.Args, "--only", strings.Join(only, ","))
	}
	ns, err := openNamespaces(pid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	defer ns.close()
	if err := unix.PidfdSendSignal(pidfd, 0, nil, 0); err != nil {
		return nil, fmt.Errorf("%s exited while it was read: %w", where, err)
	}
	var stdout, errb bytes.Buffer
	if err := spawn(ctx, pid, pidfd, ns, l, &stdout, &errb); err != nil {
		if last := lastLine(errb.Bytes()); last != "" {
			err = fmt.Errorf("%w: %s", err, last)
		}
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	stderr.Write(errb.Bytes())
	var rep attack.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return nil, fmt.Errorf("%s: the probe printed no report: %w", where, err)
	}
	if err := l.verify(rep.State); err != nil {
		return nil, fmt.Errorf("%s: the probe did not run under the container's layers, so its report is not the container's: %w", where, err)
	}
	return &rep, nil
}

// checkSelf refuses to run where this process's own confinement would be
// inherited on top of the container's: a seccomp filter cannot be shed,
// and a missing capability cannot be handed on.
func checkSelf() (*procstatus.Status, error) {
	st, err := procstatus.Self()
	if err != nil {
		return nil, err
	}
	if st.Seccomp != 0 {
		return nil, fmt.Errorf("this process runs under a seccomp filter, which the probe would inherit on top of the container's; run it unconfined (a privileged container)")
	}
	if st.Uid[1] != 0 {
		return nil, fmt.Errorf("entering a container's namespaces needs root on the node (running as uid %d)", st.Uid[1])
	}
	return st, nil
}

// namespaces are descriptors of the container's namespaces, opened
// through /proc/PID/ns while the pidfd pins the process.
type namespaces struct {
	join     []nsFD   // entered by the spawning thread, in this order
	mnt      *os.File // entered by the child itself (see ChildMain)
	cgroup   *os.File
	hostCg   *os.File // the viewer's cgroup namespace
	viewer   int      // a process that sees the container's cgroups from the root
	sameCgNS bool
}

type nsFD struct {
	f    *os.File
	flag int
}

func (n *namespaces) close() {
	for _, j := range n.join {
		j.f.Close()
	}
	for _, f := range []*os.File{n.mnt, n.cgroup, n.hostCg} {
		if f != nil {
			f.Close()
		}
	}
}

func openNamespaces(pid int) (*namespaces, error) {
	n := &namespaces{}
	open := func(p string) (*os.File, error) { return os.Open(p) }
	// The user and time namespaces can only be entered by a
	// single-threaded process, which a Go program never is: a container
	// in its own (hostUsers: false) is refused, never probed from outside.
	for _, t := range []string{"user", "time"} {
		same, err := sameNS(fmt.Sprintf("/proc/%d/ns/%s", pid, t), "/proc/self/ns/"+t)
		if err != nil {
			return nil, err
		}
		if !same {
			return nil, fmt.Errorf("it runs in a %s namespace of its own, which a probe from the node cannot enter", t)
		}
	}
	// Not the mount namespace: the child enters it itself, once nothing
	// of the container's can be run with the node's privileges.
	for _, t := range []struct {
		name string
		flag int
	}{{"net", unix.CLONE_NEWNET}, {"ipc", unix.CLONE_NEWIPC}, {"uts", unix.CLONE_NEWUTS}, {"pid", unix.CLONE_NEWPID}} {
		f, err := open(fmt.Sprintf("/proc/%d/ns/%s", pid, t.name))
		if err != nil {
			n.close()
			return nil, err
		}
		n.join = append(n.join, nsFD{f, t.flag})
	}
	var err error
	if n.mnt, err = open(fmt.Sprintf("/proc/%d/ns/mnt", pid)); err != nil {
		n.close()
		return nil, err
	}
	if n.cgroup, err = open(fmt.Sprintf("/proc/%d/ns/cgroup", pid)); err != nil {
		n.close()
		return nil, err
	}
	if n.viewer, n.hostCg, err = viewer(pid); err != nil {
		n.close()
		return nil, err
	}
	n.sameCgNS, err = sameNS(n.cgroup.Name(), n.hostCg.Name())
	if err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

func sameNS(a, b string) (bool, error) {
	var sa, sb unix.Stat_t
	if err := unix.Stat(a, &sa); err != nil {
		return false, err
	}
	if err := unix.Stat(b, &sb); err != nil {
		return false, err
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino, nil
}

// viewer is a process whose cgroup namespace and mounts see the
// container's cgroups from their root, and its cgroup namespace: the
// container's runtime shim (its first process's parent, a process of the
// host's), else this process (on a cgroup v1 host, or run on the host).
func viewer(pid int) (int, *os.File, error) {
	var errs []error
	for _, x := range []int{parent(pid), os.Getpid()} {
		if x <= 1 {
			continue
		}
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/cgroup", x))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/root/", x)); err != nil {
			f.Close()
			errs = append(errs, err)
			continue
		}
		return x, f, nil
	}
	return 0, nil, fmt.Errorf("no process here sees its cgroups: %w", errors.Join(errs...))
}

// spawn starts the child in the container's network, IPC, UTS and PID
// namespaces and its cgroups, and waits for it. Everything happens on one OS thread that is thrown away
// afterwards: setns changes only the calling thread, and the child is
// forked from it.
func spawn(ctx context.Context, pid, pidfd int, ns *namespaces, l *layers, stdout, stderr io.Writer) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		done <- spawnOnThread(ctx, pid, pidfd, ns, l, stdout, stderr)
	}()
	return <-done
}

func spawnOnThread(ctx context.Context, pid, pidfd int, ns *namespaces, l *layers, stdout, stderr io.Writer) error {
	// The viewer's cgroup namespace: /proc/PID/cgroup then names the
	// container's cgroups from the root, and the kernel allows moving a
	// process between two cgroups only from a namespace that holds both.
	if err := unix.Setns(int(ns.hostCg.Fd()), unix.CLONE_NEWCGROUP); err != nil {
		return fmt.Errorf("enter the cgroup namespace of pid %d: %w", ns.viewer, err)
	}
	procs, err := cgroupProcs(pid, ns.viewer)
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range procs {
			f.Close()
		}
	}()
	// Its cgroups were read through /proc/PID too.
	if err := unix.PidfdSendSignal(pidfd, 0, nil, 0); err != nil {
		return fmt.Errorf("it exited while it was read: %w", err)
	}
	for _, j := range ns.join {
		if err := unix.Setns(int(j.f.Fd()), j.flag); err != nil {
			return fmt.Errorf("enter the container's namespace %s: %w", j.f.Name(), err)
		}
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	defer pw.Close()
	// The child is the sealed copy (sealedSelf), and the probe it execs
	// as /proc/self/exe too. The path resolves in this process's mount
	// namespace, never in the container's, whose /proc a container
	// allowed to mount could replace: the child holds every privilege
	// until it has taken on the container's layers. Nothing is copied
	// into the container.
	self, err := sealedSelf()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, fmt.Sprintf("/proc/self/fd/%d", self.Fd()))
	cmd.Args = []string{"rampart"}
	cmd.Env = []string{childEnv + "=1"}
	cmd.ExtraFiles = []*os.File{pr, ns.mnt} // fd 3: the layers; fd 4: the mount namespace
	if !ns.sameCgNS {
		cmd.ExtraFiles = append(cmd.ExtraFiles, ns.cgroup) // fd 5
		l.CgroupNS = true
	}
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// No parent-death signal: Go's check of it compares getppid with
	// this pid, and in the container's PID namespace the parent has none.
	// Should this process die, the child reads no layers and exits.
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the probe in the container: %w", err)
	}
	pr.Close()
	// The child waits for its layers; until then it has done nothing
	// but start. It joins the container's cgroups first: a device
	// cgroup is part of what the container may reach.
	err = joinCgroups(procs, cmd.Process.Pid)
	if err == nil {
		err = json.NewEncoder(pw).Encode(l)
	}
	pw.Close()
	if err != nil {
		cmd.Process.Kill()
		if werr := cmd.Wait(); werr != nil {
			err = fmt.Errorf("%w (the child: %v)", err, werr)
		}
		return err
	}
	return cmd.Wait()
}

// cgroupProcs opens the cgroup.procs file of each of pid's cgroups, in
// the viewer's cgroup mounts, for writing. Called in the viewer's cgroup
// namespace.
func cgroupProcs(pid, viewer int) ([]*os.File, error) {
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return nil, err
	}
	mounts, err := cgroupMounts(fmt.Sprintf("/proc/%d/mountinfo", viewer))
	if err != nil {
		return nil, err
	}
	var out []*os.File
	fail := func(err error) ([]*os.File, error) {
		for _, f := range out {
			f.Close()
		}
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(cg)), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			return fail(fmt.Errorf("/proc/%d/cgroup: %q", pid, line))
		}
		if strings.HasPrefix(f[2], "/..") {
			return fail(fmt.Errorf("pid %d's cgroup namespace does not hold the container's cgroup %s", viewer, f[2]))
		}
		m, ok := mounts[f[1]]
		if !ok {
			if f[1] == "" || f[1] == "devices" {
				// The hierarchies that decide what it may reach.
				return fail(fmt.Errorf("the host has no mount of the cgroup hierarchy %q of %q", f[1], line))
			}
			continue // a hierarchy the host does not mount limits nothing here
		}
		rel, ok := strings.CutPrefix(f[2], strings.TrimSuffix(m.root, "/"))
		if !ok {
			return fail(fmt.Errorf("cgroup %s is outside the host's mount of it (%s)", f[2], m.root))
		}
		p := fmt.Sprintf("/proc/%d/root%s%s/cgroup.procs", viewer, m.point, rel)
		fd, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return fail(fmt.Errorf("its cgroup: %w", err))
		}
		out = append(out, fd)
	}
	if len(out) == 0 {
		return fail(fmt.Errorf("/proc/%d/cgroup names no cgroup the host mounts", pid))
	}
	return out, nil
}

type cgroupMount struct{ root, point string }

// cgroupMounts maps each hierarchy, as /proc/PID/cgroup names it ("" for
// cgroup2; "cpu,cpuacct", "name=systemd" for cgroup v1), to its first
// mount in mountinfo.
func cgroupMounts(mountinfo string) (map[string]cgroupMount, error) {
	b, err := os.ReadFile(mountinfo)
	if err != nil {
		return nil, err
	}
	out := map[string]cgroupMount{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		m := cgroupMount{root: unescape(f[3]), point: unescape(f[4])}
		var key string
		switch g[0] {
		case "cgroup2":
			key = ""
		case "cgroup":
			// super options: rw,cpu,cpuacct / rw,name=systemd,xattr
			var ctl []string
			for _, o := range strings.Split(g[2], ",") {
				switch {
				case strings.HasPrefix(o, "name="):
					ctl = append(ctl, o)
				case knownV1[o]:
					ctl = append(ctl, o)
				}
			}
			key = strings.Join(ctl, ",")
		default:
			continue
		}
		if _, dup := out[key]; !dup {
			out[key] = m
		}
	}
	return out, sc.Err()
}

// knownV1 are cgroup v1's controllers, the super options that name one.
var knownV1 = map[string]bool{"cpuset": true, "cpu": true, "cpuacct": true, "blkio": true, "memory": true, "devices": true,
	"freezer": true, "net_cls": true, "perf_event": true, "net_prio": true, "hugetlb": true, "pids": true, "rdma": true, "misc": true}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// joinCgroups moves pid into each cgroup whose cgroup.procs is open.
func joinCgroups(procs []*os.File, pid int) error {
	for _, f := range procs {
		if _, err := f.WriteString(strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("join the container's cgroup %s: %w", f.Name(), err)
		}
	}
	return nil
}

func lastLine(b []byte) string {
	l := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return string(l[len(l)-1])
}
