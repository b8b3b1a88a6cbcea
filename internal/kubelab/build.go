//go:build linux

// Package kubelab is the kube test tier: a real two-node Kubernetes
// (kube-apiserver, controller manager, scheduler, kubelet, and the host
// node's containerd 2 and runc, built from the Go module proxy; etcd and
// the CNI plugins from Debian; the AppArmor node runs Debian's containerd
// under qemu) brought up on this machine, used, and always torn down.
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
	return cached(dir, Components, func(tmp string) error {
		log(fmt.Sprintf("building Kubernetes %s from the Go module proxy into %s (cold: 7-10 min)", Version, dir))
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
		return goBuild(ctx, moduleDir(), nil, args...)
	})
}

// The host node's container runtime (pinned in runtime/go.mod): Debian's
// containerd 1.6 and runc 1.1 cannot run a Pod with hostUsers: false
// (containerd reports user namespaces to the kubelet from 2.0, and only
// over a runc whose features list idmapped mounts, 1.2 on). The AppArmor
// node keeps Debian's: the lab has two runtimes whose defaults differ.
const (
	// ContainerdRelease is what the host node reports (containerd://2.4.2).
	ContainerdRelease = "2.4.2"
	ContainerdVersion = "v" + ContainerdRelease
	RuncVersion       = "v1.5.3"
)

// RuntimeComponents are the runtime's programs, built into one directory.
var RuntimeComponents = []string{"containerd", "containerd-shim-runc-v2", "ctr", "runc"}

// RuntimeBinaries returns the directory holding the host node's
// containerd, shim, ctr and runc, building them first when the cache
// lacks one (about 4 minutes cold on 2 cores, seconds with a warm Go
// build cache).
func RuntimeBinaries(ctx context.Context, log func(string)) (string, error) {
	dir := runtimeDir()
	return cached(dir, RuntimeComponents, func(tmp string) error {
		log(fmt.Sprintf("building containerd %s and runc %s from the Go module proxy into %s (cold: about 4 min)", ContainerdVersion, RuncVersion, dir))
		mod := filepath.Join(srcDir(), "runtime")
		// No cgo: containerd's release binaries are static too, and
		// without it no btrfs headers are needed. The version is stamped
		// as upstream's Makefile does, so the node reports
		// containerd://v2.4.2 and not 2.4.2+unknown.
		ctrd := "github.com/containerd/containerd/v2"
		if err := goBuild(ctx, mod, []string{"CGO_ENABLED=0"}, "build", "-trimpath",
			"-ldflags", "-s -w -X "+ctrd+"/version.Version="+ContainerdVersion+" -X "+ctrd+"/version.Revision=module-proxy",
			"-o", tmp+"/", ctrd+"/cmd/containerd", ctrd+"/cmd/containerd-shim-runc-v2", ctrd+"/cmd/ctr"); err != nil {
			return err
		}
		// runc needs cgo for libseccomp (libseccomp-dev, as the project's
		// own seccomp build); libpathrs, 1.5's other default tag, is a
		// Rust library Debian 12 does not have, and is left out.
		return goBuild(ctx, mod, nil, "build", "-trimpath", "-tags", "seccomp urfave_cli_no_docs",
			"-ldflags", "-s -w", "-o", tmp+"/", "github.com/opencontainers/runc")
	})
}

func runtimeDir() string {
	return filepath.Join(CacheDir, "containerd-"+ContainerdVersion+"-runc-"+RuncVersion)
}

// cached returns dir once it holds every one of names, running build into
// a temporary directory beside it first when it does not; concurrent
// callers wait on a lock instead of building twice.
func cached(dir string, names []string, build func(tmp string) error) (string, error) {
	if complete(dir, names) {
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
	if complete(dir, names) {
		return dir, nil
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if err := build(tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return dir, nil
}

func goBuild(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), dir, err, out)
	}
	return nil
}

func complete(dir string, names []string) bool {
	for _, c := range names {
		if st, err := os.Stat(filepath.Join(dir, c)); err != nil || st.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}
