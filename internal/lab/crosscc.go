//go:build linux

package lab

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The C cross compiler for a's cgo builds (rampart with libseccomp).
//
// Debian 12's gcc-aarch64-linux-gnu conflicts with gcc-multilib, which
// the amd64 lab and the host tests need (gcc -m32): installing one
// removes the other. So where the cross compiler is not installed, the
// lab takes the compiler's own two packages (gcc-12-ARCH-cross and
// cpp-12-...: the driver, cc1, collect2) with `apt-get download`,
// extracts them into cacheDir/ARCH/gcc-cross, and links in beside them
// what the installed packages that do not conflict provide: the cross
// binutils (as, ld), libgcc and the C library's headers and startfiles
// (binutils-aarch64-linux-gnu, libgcc-12-dev-arm64-cross,
// libc6-dev-arm64-cross: scripts/deps.sh lab-arm64). The driver finds
// them from its own location, as an installed one does from /usr.

const crossGCCVersion = "12"

// crossPackages are the packages of the compiler itself.
func (a *Arch) crossPackages() []string {
	return []string{"gcc-" + crossGCCVersion + "-" + a.Triplet, "cpp-" + crossGCCVersion + "-" + a.Triplet}
}

// CrossCC returns the C compiler command for cgo builds for a: the
// installed TRIPLET-gcc when there is one, else the driver extracted into
// cacheDir (downloaded once).
func CrossCC(ctx context.Context, a *Arch, cacheDir string, log io.Writer) (string, error) {
	if p, err := exec.LookPath(a.Triplet + "-gcc"); err == nil {
		return p, nil
	}
	if cacheDir == "" {
		cacheDir = (&Lab{}).cacheDir()
	}
	// what the installed, non-conflicting packages must provide
	libgcc := filepath.Join("/usr/lib/gcc-cross", a.Triplet, crossGCCVersion)
	tooldir := filepath.Join("/usr", a.Triplet)
	for _, need := range []struct{ path, pkg string }{
		{filepath.Join(tooldir, "bin", "as"), "binutils-" + a.Triplet},
		{filepath.Join(libgcc, "libgcc.a"), "libgcc-" + crossGCCVersion + "-dev-" + a.Debian + "-cross"},
		{filepath.Join(tooldir, "include", "stdio.h"), "libc6-dev-" + a.Debian + "-cross"},
	} {
		if _, err := os.Stat(need.path); err != nil {
			return "", fmt.Errorf("lab: %s not found: install Debian package %s (scripts/deps.sh %s)", need.path, need.pkg, a.depsTarget())
		}
	}
	root := filepath.Join(cacheDir, a.Debian, "gcc-cross")
	driver := filepath.Join(root, "usr", "bin", a.Triplet+"-gcc-"+crossGCCVersion)
	libexec := filepath.Join(root, "usr", "lib", "gcc-cross", a.Triplet, crossGCCVersion)
	ready := func() bool {
		for _, p := range []string{driver, filepath.Join(libexec, "cc1"), filepath.Join(libexec, "collect2"), filepath.Join(libexec, "libgcc.a")} {
			if _, err := os.Stat(p); err != nil {
				return false
			}
		}
		return true
	}
	if ready() {
		return driver, nil
	}
	if err := os.MkdirAll(filepath.Join(root, "debs"), 0o755); err != nil {
		return "", fmt.Errorf("lab: cross compiler cache: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(cacheDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("lab: cache: %w", err)
	}
	defer lock.Close()
	if err := flockContext(ctx, lock, 10*time.Minute); err != nil {
		return "", fmt.Errorf("lab: cache %s is locked by another run: %w", cacheDir, err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	if ready() {
		return driver, nil
	}
	for _, d := range []string{filepath.Join(root, "usr", "bin"), libexec} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("lab: %w", err)
		}
	}
	debsDir := filepath.Join(root, "debs")
	for _, pkg := range a.crossPackages() {
		debs, _ := filepath.Glob(filepath.Join(debsDir, pkg+"_*.deb"))
		if len(debs) == 0 {
			logf(log, "lab: downloading %s into %s", pkg, debsDir)
			if out, err := runTool(ctx, 10*time.Minute, debsDir, "apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg); err != nil {
				return "", fmt.Errorf("lab: apt-get download %s: %v: %s", pkg, err, tail(out, 5))
			}
			debs, _ = filepath.Glob(filepath.Join(debsDir, pkg+"_*.deb"))
		}
		if len(debs) != 1 {
			return "", fmt.Errorf("lab: %d .deb files of %s in %s, want 1", len(debs), pkg, debsDir)
		}
		// the driver and what it runs; not the plugins, gcov, lto-dump
		if err := extractFromDeb(ctx, debs[0], func(name string) string {
			name = strings.TrimPrefix(name, "./")
			base := filepath.Base(name)
			switch {
			case name == "usr/bin/"+a.Triplet+"-gcc-"+crossGCCVersion,
				name == "usr/bin/"+a.Triplet+"-cpp-"+crossGCCVersion,
				filepath.Dir(name) == filepath.Join("usr/lib/gcc-cross", a.Triplet, crossGCCVersion) && base != "lto-dump":
				return filepath.Join(root, name)
			}
			return ""
		}); err != nil {
			return "", err
		}
	}
	ents, err := os.ReadDir(libexec)
	if err != nil {
		return "", fmt.Errorf("lab: %s left no %s: %w", strings.Join(a.crossPackages(), ", "), libexec, err)
	}
	for _, e := range ents {
		if e.Type().IsRegular() && !strings.HasSuffix(e.Name(), ".spec") {
			os.Chmod(filepath.Join(libexec, e.Name()), 0o755)
		}
	}
	os.Chmod(driver, 0o755)
	// libgcc, crtbegin.o, the compiler's own headers: from the installed
	// libgcc-12-dev-ARCH-cross
	host, err := os.ReadDir(libgcc)
	if err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	for _, e := range host {
		to := filepath.Join(libexec, e.Name())
		if _, err := os.Lstat(to); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join(libgcc, e.Name()), to); err != nil {
			return "", fmt.Errorf("lab: %w", err)
		}
	}
	// as, ld and the C library: usr/TRIPLET, where the driver looks for
	// its tools and headers relative to itself
	link := filepath.Join(root, "usr", a.Triplet)
	os.Remove(link)
	if err := os.Symlink(tooldir, link); err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	if !ready() {
		return "", fmt.Errorf("lab: the cross compiler in %s is incomplete", root)
	}
	return driver, nil
}
