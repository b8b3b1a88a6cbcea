//go:build linux

// Package sdlab boots this machine's own systemd as PID 1 of a runc
// container, for tests that need systemd to apply a unit for real
// (systemd-run) where the machine's PID 1 is not systemd. The root
// filesystem is an overlay: the host's root filesystem below, a tmpfs
// above, so the host's disk is never written. The container holds the
// capabilities its caller has and no seccomp filter or LSM profile of
// its own: whatever a unit's process runs under is systemd's doing.
//
// The mounts are made in a mount namespace of their own, which the
// container's processes keep alive: the host's mount table never shows
// them, so a test running beside the lab (one that walks the mounts for
// the routes to a file) is not changed by it.
//
// It is a test harness, not isolation: the container is root on the
// host in all but its namespaces.
package sdlab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/procstatus"
)

// Lab is a running systemd container.
type Lab struct {
	Name   string
	dir    string
	rootfs string
	state  string
}

// Need says why a lab cannot start here, "" when it can.
func Need() string {
	if os.Geteuid() != 0 {
		return "needs root (runc, mounts)"
	}
	for _, b := range []string{"runc", "systemctl"} {
		if _, err := exec.LookPath(b); err != nil {
			return b + " is not installed"
		}
	}
	if _, err := os.Stat("/lib/systemd/systemd"); err != nil {
		return "systemd is not installed (/lib/systemd/systemd)"
	}
	return ""
}

// masked are units of this machine a test container must not start:
// its own services, timers and hardware.
var masked = []string{
	"timers.target", "apt-daily.timer", "apt-daily-upgrade.timer", "systemd-timesyncd.service",
	"apparmor.service", "systemd-pstore.service", "e2scrub_reap.service", "containerd.service",
	"etcd.service", "postgresql.service", "getty.target", "console-getty.service",
	"systemd-logind.service", "systemd-networkd-wait-online.service", "systemd-udevd.service",
	"systemd-udev-trigger.service", "systemd-udev-settle.service", "systemd-hwdb-update.service",
	"systemd-journal-catalog-update.service", "systemd-firstboot.service", "systemd-random-seed.service",
	"systemd-binfmt.service", "systemd-sysusers.service", "ldconfig.service",
	"proc-sys-fs-binfmt_misc.automount", "sys-kernel-debug.mount", "sys-kernel-tracing.mount",
	"sys-kernel-config.mount", "sys-fs-fuse-connections.mount", "dev-hugepages.mount",
	"systemd-journal-flush.service", "cryptsetup.target", "remote-fs.target", "swap.target",
}

// Start boots systemd in a container named name, its files under dir
// (which must exist and be empty), and copies install (host paths) into
// its /usr/local/bin. Close tears everything down.
func Start(ctx context.Context, dir, name string, install ...string) (_ *Lab, err error) {
	l := &Lab{Name: name, dir: dir, rootfs: filepath.Join(dir, "bundle", "rootfs"), state: filepath.Join(dir, "state")}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	// The mounts, the files written into them and runc run happen on one
	// thread in a mount namespace of its own; the thread ends with the
	// goroutine (it stays locked), and the namespace lives on in the
	// container.
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			done <- fmt.Errorf("unshare the mount namespace: %w", err)
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			done <- fmt.Errorf("make the mounts private: %w", err)
			return
		}
		done <- l.boot(ctx, name, install)
	}()
	if err := <-done; err != nil {
		return nil, err
	}
	// systemd accepts jobs once it is running (or degraded: a unit of
	// this machine failed, which a test does not care about)
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _ := exec.CommandContext(ctx, "runc", "exec", name, "systemctl", "is-system-running").Output()
		switch s := strings.TrimSpace(string(out)); s {
		case "running", "degraded":
			return l, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, errors.New("systemd did not reach running in 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// boot mounts the root filesystem, writes the bundle and starts the
// container, in the calling thread's mount namespace.
func (l *Lab) boot(ctx context.Context, name string, install []string) error {
	for _, d := range []string{l.state, l.rootfs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := unix.Mount("sdlab-state", l.state, "tmpfs", 0, "size=1g,mode=755"); err != nil {
		return fmt.Errorf("mount tmpfs: %w", err)
	}
	upper, work := filepath.Join(l.state, "upper"), filepath.Join(l.state, "work")
	for _, d := range []string{upper, work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	if err := unix.Mount("sdlab-root", l.rootfs, "overlay", 0, "lowerdir=/,upperdir="+upper+",workdir="+work); err != nil {
		return fmt.Errorf("mount overlay: %w", err)
	}
	if err := l.prepare(name, install); err != nil {
		return err
	}
	spec, err := l.spec()
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	bundle := filepath.Dir(l.rootfs)
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
		return err
	}
	log, err := os.Create(filepath.Join(l.dir, "console.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	run := exec.CommandContext(ctx, "runc", "run", "-d", "--bundle", bundle, name)
	run.Stdout, run.Stderr = log, log
	if err := run.Run(); err != nil {
		out, _ := os.ReadFile(log.Name())
		return fmt.Errorf("runc run: %v: %s", err, out)
	}
	return nil
}

// prepare writes the container's identity and boot target into the
// overlay's upper layer.
func (l *Lab) prepare(name string, install []string) error {
	etc := filepath.Join(l.rootfs, "etc", "systemd", "system")
	target := "[Unit]\nDescription=test container\nRequires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n"
	if err := os.WriteFile(filepath.Join(etc, "sdlab.target"), []byte(target), 0o644); err != nil {
		return err
	}
	for _, u := range masked {
		p := filepath.Join(etc, u)
		os.Remove(p)
		if err := os.Symlink("/dev/null", p); err != nil {
			return err
		}
	}
	for _, w := range []string{"sysinit.target.wants", "multi-user.target.wants", "timers.target.wants"} {
		ms, _ := filepath.Glob(filepath.Join(etc, w, "*"))
		for _, m := range ms {
			os.Remove(m)
		}
	}
	id := make([]byte, 16)
	f, err := os.Open("/dev/urandom")
	if err != nil {
		return err
	}
	_, err = f.Read(id)
	f.Close()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(l.rootfs, "etc", "machine-id"), fmt.Appendf(nil, "%x\n", id), 0o444); err != nil {
		return err
	}
	os.Remove(filepath.Join(l.rootfs, "var", "lib", "dbus", "machine-id"))
	os.Remove(filepath.Join(l.rootfs, ".dockerenv"))
	if err := os.WriteFile(filepath.Join(l.rootfs, "etc", "hostname"), []byte(name+"\n"), 0o644); err != nil {
		return err
	}
	for _, src := range install {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(l.rootfs, "usr", "local", "bin", filepath.Base(src)), b, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// spec is the container: the caller's capabilities, no filter or
// profile, systemd's API file systems, cgroup2 of its own.
func (l *Lab) spec() (*specs.Spec, error) {
	st, err := procstatus.Self()
	if err != nil {
		return nil, err
	}
	names := st.CapBnd.Names(caps.Cap.OCI)
	return &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Cwd:  "/",
			Args: []string{"/lib/systemd/systemd", "--system", "--unit=sdlab.target", "--show-status=no", "--log-target=journal-or-kmsg"},
			Env:  []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "container=runc"},
			Capabilities: &specs.LinuxCapabilities{
				Bounding: names, Effective: names, Permitted: names,
			},
		},
		Root:     &specs.Root{Path: l.rootfs},
		Hostname: l.Name,
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup2", Options: []string{"nosuid", "noexec", "nodev", "rw"}},
			{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=755", "size=65536k"}},
			{Destination: "/run/lock", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "noexec", "mode=1777", "size=5m"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777", "size=256m"}},
		},
		Linux: &specs.Linux{
			CgroupsPath: "/sdlab-" + l.Name,
			Resources:   &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
			Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace}, {Type: specs.MountNamespace}, {Type: specs.CgroupNamespace}},
		},
	}, nil
}

// Exec runs a command in the container and returns its output.
func (l *Lab) Exec(ctx context.Context, args ...string) ([]byte, error) {
	var out, errb bytes.Buffer
	c := exec.CommandContext(ctx, "runc", append([]string{"exec", l.Name}, args...)...)
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes(), nil
}

// HostPID is the host's pid of the container's process pid.
func (l *Lab) HostPID(pid int) (int, error) {
	out, err := exec.Command("runc", "state", l.Name).Output()
	if err != nil {
		return 0, err
	}
	var st struct{ Pid int }
	if err := json.Unmarshal(out, &st); err != nil {
		return 0, err
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", st.Pid))
	if err != nil {
		return 0, err
	}
	ds, _ := os.ReadDir("/proc")
	for _, d := range ds {
		hp, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if n, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", hp)); n != ns {
			continue
		}
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", hp))
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "NSpid:" && f[len(f)-1] == strconv.Itoa(pid) {
				return hp, nil
			}
		}
	}
	return 0, fmt.Errorf("no host process for pid %d of %s", pid, l.Name)
}

// Close stops systemd and removes the container, its mounts and cgroups.
func (l *Lab) Close() error {
	if out, err := exec.Command("runc", "state", l.Name).Output(); err == nil && bytes.Contains(out, []byte(`"running"`)) {
		// SIGRTMIN+4: systemd in a container powers off cleanly
		exec.Command("runc", "kill", l.Name, "38").Run()
		for range 100 {
			out, err := exec.Command("runc", "state", l.Name).Output()
			if err != nil || !bytes.Contains(out, []byte(`"running"`)) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// the mounts go with the last process of their namespace
	err := exec.Command("runc", "delete", "--force", l.Name).Run()
	ms, _ := filepath.Glob("/sys/fs/cgroup/*/sdlab-" + l.Name)
	for _, m := range ms {
		removeTree(m)
	}
	return err
}

// removeTree removes an empty cgroup directory tree, deepest first.
func removeTree(dir string) {
	ds, _ := os.ReadDir(dir)
	for _, d := range ds {
		if d.IsDir() {
			removeTree(filepath.Join(dir, d.Name()))
		}
	}
	os.Remove(dir)
}
