//go:build linux

// Package kubelab is the kube test tier: a real single-node Kubernetes
// (kube-apiserver, controller manager, scheduler, kubelet built from the
// Go module proxy; etcd, containerd, runc and the CNI plugins from
// Debian) brought up on this machine, used, and always torn down.
//
// Everything it starts listens on loopback or on the lab's own bridge;
// everything it changes on the host (sysctls the kubelet writes, the
// bridge, cgroups, mounts) is undone by Down, which Up also runs first
// to clear what a killed run left behind.
package kubelab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// Version is the Kubernetes release the lab builds (pinned in k8s/go.mod).
const Version = "v1.37.2"

// CacheDir holds the built binaries between runs: root-owned, like the
// other caches of the project, because root runs what is in it.
var CacheDir = "/var/cache/rampart/kube"

// Components the lab runs; kube-proxy is left out: no test needs Services.
var Components = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kubectl"}

// srcDir is this package's source directory: the pinned build module
// (k8s/) and the pause program live beside it.
func srcDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

func moduleDir() string { return filepath.Join(srcDir(), "k8s") }

// Binaries returns the directory holding the Kubernetes binaries, building
// them first when the cache lacks one (7-10 minutes cold on 2 cores; the
// Go build cache makes a rebuild after a module-cache hit take seconds).
// Concurrent callers wait on a lock instead of building twice.
func Binaries(ctx context.Context, log func(string)) (string, error) {
	dir := filepath.Join(CacheDir, Version)
	if complete(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(CacheDir, 0o700); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(CacheDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	if complete(dir) {
		return dir, nil
	}
	log(fmt.Sprintf("building Kubernetes %s from the Go module proxy into %s (cold: 7-10 min)", Version, dir))
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	ld := []string{"-s", "-w"}
	minor := strings.Split(Version, ".")[1]
	for _, p := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		// Unstamped builds call themselves v0.0.0-master: kubectl and the
		// kubelet's version skew checks then misbehave.
		ld = append(ld, "-X", p+".gitVersion="+Version, "-X", p+".gitMajor=1", "-X", p+".gitMinor="+minor,
			"-X", p+".gitTreeState=clean", "-X", p+".buildDate=2026-01-01T00:00:00Z")
	}
	args := []string{"build", "-trimpath", "-ldflags", strings.Join(ld, " "), "-o", tmp + "/"}
	for _, c := range Components {
		args = append(args, "k8s.io/kubernetes/cmd/"+c)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building Kubernetes: %w\n%s", err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return dir, nil
}

func complete(dir string) bool {
	for _, c := range Components {
		if st, err := os.Stat(filepath.Join(dir, c)); err != nil || st.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}
