//go:build linux

package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultCacheDir keeps the extracted kernel between runs.
const DefaultCacheDir = "/var/cache/rampart/lab"

// Qemu is the emulator the lab boots with (Debian package qemu-system-x86).
const Qemu = "qemu-system-x86_64"

// kernelPackage matches Debian 12's versioned 6.1 kernel packages, whose
// configuration builds AppArmor in and enables it by default.
var kernelPackage = AMD64.kernelPackage()

var cachedKernel = AMD64.cachedKernel()

// Kernel returns the path of Debian's linux-image-6.1 kernel (vmlinuz),
// from cacheDir (default $RAMPART_LAB_CACHE, else DefaultCacheDir) when an earlier run left one
// there, else downloaded with `apt-get download` (the newest
// linux-image-6.1.0-N-amd64 apt knows) and extracted into cacheDir.
// It fails, rather than hang, when qemu is missing, apt is missing or
// cannot download, or no such package is known. $RAMPART_LAB_KERNEL
// names a vmlinuz to use instead.
func Kernel(cacheDir string) (string, error) {
	return kernel(context.Background(), &AMD64, cacheDir, nil)
}

// KernelFor is Kernel for the guest architecture a: Debian's
// linux-image-6.1.0-N-ARCH (for arm64, the N of the newest cached amd64
// kernel when apt knows it, so both labs boot one kernel release).
func KernelFor(ctx context.Context, a *Arch, cacheDir string) (string, error) {
	return kernel(ctx, a, cacheDir, nil)
}

func kernel(ctx context.Context, a *Arch, cacheDir string, log io.Writer) (string, error) {
	if _, err := exec.LookPath(a.Qemu); err != nil {
		return "", fmt.Errorf("lab: %s not found: install Debian package %s (scripts/deps.sh %s)", a.Qemu, a.QemuPackage, a.depsTarget())
	}
	if k := os.Getenv("RAMPART_LAB_KERNEL"); k != "" {
		if _, err := os.Stat(k); err != nil {
			return "", fmt.Errorf("lab: $RAMPART_LAB_KERNEL: %w", err)
		}
		return k, nil
	}
	if cacheDir == "" {
		cacheDir = (&Lab{}).cacheDir()
	}
	if k := newestCached(cacheDir, a.cachedKernel()); k != "" {
		return k, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("lab: kernel cache: %w", err)
	}
	// One download at a time, even across test processes.
	lock, err := os.OpenFile(filepath.Join(cacheDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("lab: kernel cache: %w", err)
	}
	defer lock.Close()
	if err := flockContext(ctx, lock, 10*time.Minute); err != nil {
		return "", fmt.Errorf("lab: kernel cache %s is locked by another run: %w", cacheDir, err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	if k := newestCached(cacheDir, a.cachedKernel()); k != "" {
		return k, nil
	}

	for _, tool := range []string{"apt-cache", "apt-get", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("lab: %s not found: the lab downloads Debian's kernel with apt (Debian 12)", tool)
		}
	}
	pkg, err := kernelPackageFor(ctx, a, cacheDir)
	if err != nil && os.Geteuid() == 0 {
		logf(log, "lab: %v; running apt-get update", err)
		if out, uerr := runTool(ctx, 5*time.Minute, "", "apt-get", "update", "-qq"); uerr != nil {
			return "", fmt.Errorf("lab: %v, and apt-get update failed: %v: %s", err, uerr, tail(out, 5))
		}
		pkg, err = kernelPackageFor(ctx, a, cacheDir)
	}
	if err != nil {
		return "", err
	}
	logf(log, "lab: downloading %s into %s", pkg, cacheDir)
	dl, err := os.MkdirTemp(cacheDir, "download-")
	if err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	defer os.RemoveAll(dl)
	// The sandbox user _apt cannot write a root-only cache directory.
	if out, err := runTool(ctx, 10*time.Minute, dl, "apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg+":"+a.Debian); err != nil {
		return "", fmt.Errorf("lab: apt-get download %s: %v: %s", pkg, err, tail(out, 5))
	}
	debs, _ := filepath.Glob(filepath.Join(dl, pkg+"_*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("lab: apt-get download %s left %d .deb files in %s", pkg, len(debs), dl)
	}
	name := "vmlinuz-" + strings.TrimPrefix(pkg, "linux-image-")
	if err := extractVmlinuz(ctx, debs[0], "./boot/"+name, filepath.Join(cacheDir, name)); err != nil {
		return "", err
	}
	return filepath.Join(cacheDir, name), nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// newestCached is the cached vmlinuz with the highest ABI number.
func newestCached(dir string, cachedKernel *regexp.Regexp) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	best, bestN := "", -1
	for _, e := range ents {
		m := cachedKernel.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n > bestN {
			best, bestN = filepath.Join(dir, e.Name()), n
		}
	}
	return best
}

// kernelPackageFor is the package to download for a: for amd64 the
// newest; for another architecture the ABI number of the newest cached
// amd64 kernel when apt has it (one kernel release for both labs), else
// the newest.
func kernelPackageFor(ctx context.Context, a *Arch, cacheDir string) (string, error) {
	if a.Debian != AMD64.Debian {
		if k := newestCached(cacheDir, cachedKernel); k != "" {
			n := cachedKernel.FindStringSubmatch(filepath.Base(k))[1]
			want := "linux-image-6.1.0-" + n + "-" + a.Debian
			if all, err := kernelPackages(ctx, a); err == nil && slices.Contains(all, want) {
				return want, nil
			}
		}
	}
	all, err := kernelPackages(ctx, a)
	if err != nil {
		return "", err
	}
	return all[0], nil
}

// kernelPackages asks apt-cache for the linux-image-6.1.0-N-ARCH
// packages, highest N first.
func kernelPackages(ctx context.Context, a *Arch) ([]string, error) {
	kernelPackage := a.kernelPackage()
	out, err := runTool(ctx, time.Minute, "", "apt-cache", "search", "--names-only", `^linux-image-6\.1\.0-[0-9]+-`+a.Debian+`$`)
	if err != nil {
		return nil, fmt.Errorf("lab: apt-cache search: %v: %s", err, tail(out, 5))
	}
	type cand struct {
		name string
		n    int
	}
	var cands []cand
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(line, " ")
		if m := kernelPackage.FindStringSubmatch(name); m != nil {
			n, _ := strconv.Atoi(m[1])
			cands = append(cands, cand{name, n})
		}
	}
	if len(cands) == 0 {
		hint := ""
		if a.Debian != AMD64.Debian {
			hint = ", and dpkg --add-architecture " + a.Debian
		}
		return nil, fmt.Errorf("lab: apt knows no linux-image-6.1.0-N-%s package (a Debian 12 mirror in apt's sources%s, and apt-get update, are needed)", a.Debian, hint)
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].n > cands[j].n })
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = c.name
	}
	return names, nil
}

// extractVmlinuz copies member out of the .deb's data archive to dst,
// without unpacking the modules beside it.
func extractVmlinuz(ctx context.Context, deb, member, dst string) error {
	found := false
	err := extractFromDeb(ctx, deb, func(name string) string {
		if name == member && !found {
			found = true
			return dst
		}
		return ""
	})
	if err == nil && !found {
		err = fmt.Errorf("lab: %s holds no %s", deb, member)
	}
	return err
}

// runTool runs a command with a deadline, returning its combined output.
func runTool(ctx context.Context, timeout time.Duration, dir, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() == context.DeadlineExceeded {
		return out, fmt.Errorf("timed out after %v", timeout)
	}
	return out, err
}

func flockContext(ctx context.Context, f *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %v", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// tail is the last n non-empty lines of b, joined with " | ".
func tail(b []byte, n int) string {
	lines := lastLines(string(b), n)
	return strings.Join(lines, " | ")
}

func lastLines(s string, n int) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}
