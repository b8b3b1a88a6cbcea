//go:build linux

package kubelab

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Down stops the lab and undoes every host change it made: it is safe to
// call at any time, as often as wanted, with or without a running lab.
// Order matters: the kubelet goes first so no Pod is restarted, then the
// containers (by killing the shims of our containerd), then the rest.
func Down(log func(string)) {
	if _, err := os.Stat(StateDir); err != nil {
		bridgeDown()
		return
	}
	t0 := time.Now()
	// The AppArmor node first: its kubelet, its Pods and their state all
	// live in the guest's memory, gone with qemu.
	for _, n := range []string{"aanode", "controller-manager", "scheduler", "kubelet"} {
		stop(n)
	}
	sock := filepath.Join(StateDir, "run/containerd.sock")
	ctr := filepath.Join(runtimeDir(), "ctr")
	if ids, err := exec.Command(ctr, "-a", sock, "-n", "k8s.io", "tasks", "ls", "-q").Output(); err == nil {
		for _, id := range strings.Fields(string(ids)) {
			exec.Command(ctr, "-a", sock, "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", id).Run()
		}
	}
	// Shims outlive containerd by design; ours are the ones pointed at
	// our socket.
	killMatching("containerd-shim", sock)
	for _, n := range []string{"apiserver", "containerd", "etcd"} {
		stop(n)
	}
	killMatching("containerd-shim", sock)
	// Network namespaces the CNI left, the bridge.
	if ents, err := os.ReadDir("/run/netns"); err == nil {
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "cni-") {
				p := filepath.Join("/run/netns", e.Name())
				syscall.Unmount(p, syscall.MNT_DETACH)
				os.Remove(p)
			}
		}
	}
	bridgeDown()
	// Pod cgroups (cgroup v1: one hierarchy per controller; v2: one).
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods")
	dirs = append(dirs, "/sys/fs/cgroup/kubepods")
	for _, d := range dirs {
		removeCgroupTree(d)
	}
	// Mounts under the state directory (kubelet volumes, containerd
	// snapshots, shm), deepest first.
	// (The kubelet bind-mounts its root directory onto itself, so one
	// path can hold several stacked mounts.)
	for i := 0; i < 5; i++ {
		ms := mountsUnder(StateDir)
		if len(ms) == 0 {
			break
		}
		for _, m := range ms {
			syscall.Unmount(m, syscall.MNT_DETACH)
		}
	}
	restoreSysctls(StateDir)
	if err := os.RemoveAll(StateDir); err != nil && log != nil {
		log("kube lab: removing " + StateDir + ": " + err.Error())
	}
	if log != nil {
		log(fmt.Sprintf("kube lab down in %.1fs", time.Since(t0).Seconds()))
	}
}

func stop(name string) {
	b, err := os.ReadFile(filepath.Join(StateDir, "pids", name))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	// The pid file may be stale (a reboot, a reused PID): only signal a
	// process whose command line names the lab's state or binaries.
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if !strings.Contains(string(cmdline), StateDir) && !strings.Contains(string(cmdline), CacheDir) {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 40; i++ {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

func killMatching(prog, arg string) {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		s := string(b)
		if strings.Contains(s, prog) && strings.Contains(s, arg) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func removeCgroupTree(root string) {
	var dirs []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		syscall.Rmdir(dirs[i])
	}
}

func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			out = append(out, fields[4])
		}
	}
	// Deepest first, so a parent is unmounted after its children.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func saveSysctls(dir string) error {
	var b strings.Builder
	for _, s := range sysctls {
		v, err := os.ReadFile("/proc/sys/" + s)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s=%s\n", s, strings.TrimSpace(string(v)))
	}
	return os.WriteFile(filepath.Join(dir, "sysctl.orig"), []byte(b.String()), 0o600)
}

func restoreSysctls(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "sysctl.orig"))
	if err != nil {
		return
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && !strings.Contains(k, "..") {
			os.WriteFile("/proc/sys/"+k, []byte(v), 0o644)
		}
	}
}

// bridgeUp creates the lab's bridge with the address the control plane
// binds to, before anything starts: the CNI plugin later finds it ready.
func bridgeUp() error {
	for _, args := range [][]string{
		{"link", "add", Bridge, "type", "bridge"},
		{"addr", "add", bridgeIP + "/24", "dev", Bridge},
		{"link", "set", Bridge, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

func bridgeDown() {
	for _, l := range []string{aaTap, Bridge} {
		if _, err := os.Stat("/sys/class/net/" + l); err == nil {
			exec.Command("ip", "link", "del", l).Run()
		}
	}
}

// Leftovers lists what of the lab is still on the host: after Down, the
// list must be empty.
func Leftovers() []string {
	var out []string
	if _, err := os.Stat(StateDir); err == nil {
		out = append(out, "state directory "+StateDir)
	}
	if _, err := os.Stat("/sys/class/net/" + Bridge); err == nil {
		out = append(out, "bridge "+Bridge)
	}
	if _, err := os.Stat("/sys/class/net/" + aaTap); err == nil {
		out = append(out, "tap "+aaTap+" (the AppArmor node's NIC)")
	}
	if ms := mountsUnder(StateDir); len(ms) > 0 {
		out = append(out, "mounts "+strings.Join(ms, " "))
	}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if strings.Contains(string(b), StateDir) {
			out = append(out, "process "+e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	if ds, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods"); len(ds) > 0 {
		out = append(out, "cgroups "+strings.Join(ds, " "))
	}
	return out
}
