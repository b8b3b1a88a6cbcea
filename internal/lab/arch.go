//go:build linux

package lab

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Arch is a guest architecture: the Debian architecture whose kernel
// the lab boots and the qemu that emulates it.
type Arch struct {
	Debian      string   // Debian's name: amd64, arm64
	Go          string   // GOARCH of the programs that run inside
	Qemu        string   // the emulator
	QemuPackage string   // the Debian package that holds it
	Console     string   // the serial console's device
	Machine     []string // qemu's machine and CPU options
	MemoryMB    int      // default guest memory
	ELF         elf.Machine
	// Triplet is the multiarch directory of the guest's libraries
	// (/usr/lib/TRIPLET).
	Triplet string
}

var (
	// AMD64 is the lab's first guest: Debian's amd64 kernel under
	// qemu-system-x86_64.
	AMD64 = Arch{
		Debian: "amd64", Go: "amd64",
		Qemu: "qemu-system-x86_64", QemuPackage: "qemu-system-x86",
		Console: "ttyS0", Machine: []string{"-cpu", "max"}, MemoryMB: 512,
		ELF: elf.EM_X86_64, Triplet: "x86_64-linux-gnu",
	}
	// ARM64 is Debian's arm64 kernel under qemu-system-aarch64's virt
	// machine: the architecture of most laptops and many cloud nodes,
	// with its own system call numbers.
	ARM64 = Arch{
		Debian: "arm64", Go: "arm64",
		Qemu: "qemu-system-aarch64", QemuPackage: "qemu-system-arm",
		Console: "ttyAMA0", Machine: []string{"-M", "virt", "-cpu", "max"}, MemoryMB: 1024,
		ELF: elf.EM_AARCH64, Triplet: "aarch64-linux-gnu",
	}
)

func (a *Arch) kernelPackage() *regexp.Regexp {
	return regexp.MustCompile(`^linux-image-6\.1\.0-([0-9]+)-` + a.Debian + `$`)
}

func (a *Arch) cachedKernel() *regexp.Regexp {
	return regexp.MustCompile(`^vmlinuz-6\.1\.0-([0-9]+)-` + a.Debian + `$`)
}

func (a *Arch) depsTarget() string {
	if a.Debian == AMD64.Debian {
		return "lab"
	}
	return "lab-" + a.Debian
}

// native says whether the host runs a's programs itself.
func (a *Arch) native() bool { return a.Go == runtime.GOARCH }

func archOr(a *Arch) *Arch {
	if a == nil {
		return &AMD64
	}
	return a
}

// Userland is a foreign architecture's programs for the image, taken
// from Debian's packages of that architecture (the host's are amd64).
type Userland struct {
	Busybox string // static busybox (busybox-static:ARCH)
	Parser  string // apparmor_parser (apparmor:ARCH)
	// Libs are the shared objects the parser needs (libc6:ARCH):
	// in-image path -> host path.
	Libs map[string]string
}

// userlandDebs are the packages a foreign userland comes from, and the
// members taken from each.
var userlandDebs = []struct {
	pkg     string
	members func(a *Arch) map[string]string // member -> file name in the cache
}{
	{"busybox-static", func(*Arch) map[string]string { return map[string]string{"./bin/busybox": "busybox"} }},
	{"apparmor", func(*Arch) map[string]string {
		return map[string]string{"./sbin/apparmor_parser": "apparmor_parser", "./usr/sbin/apparmor_parser": "apparmor_parser"}
	}},
	{"libc6", func(a *Arch) map[string]string {
		m := map[string]string{}
		for _, d := range []string{"./lib/", "./usr/lib/"} {
			for _, f := range []string{"libc.so.6", a.interpName()} {
				m[d+a.Triplet+"/"+f] = f
			}
		}
		return m
	}},
}

// interpName is the dynamic loader's file name.
func (a *Arch) interpName() string {
	if a.Debian == "arm64" {
		return "ld-linux-aarch64.so.1"
	}
	return "ld-linux-x86-64.so.2"
}

// UserlandFor returns a's busybox, apparmor_parser and the parser's
// libraries from cacheDir/ARCH/, where an earlier run left them, else
// downloaded with `apt-get download PKG:ARCH` (kept in cacheDir/ARCH/debs)
// and extracted, without installing anything: an arm64 busybox-static
// installed would replace the host's.
func UserlandFor(ctx context.Context, a *Arch, cacheDir string, log io.Writer) (Userland, error) {
	if cacheDir == "" {
		cacheDir = (&Lab{}).cacheDir()
	}
	dir := filepath.Join(cacheDir, a.Debian)
	u := Userland{
		Busybox: filepath.Join(dir, "busybox"),
		Parser:  filepath.Join(dir, "apparmor_parser"),
		Libs: map[string]string{
			"/usr/lib/" + a.Triplet + "/libc.so.6":         filepath.Join(dir, "libc.so.6"),
			"/usr/lib/" + a.Triplet + "/" + a.interpName(): filepath.Join(dir, a.interpName()),
		},
	}
	complete := func() bool {
		for _, p := range append([]string{u.Busybox, u.Parser}, mapValues(u.Libs)...) {
			if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
				return false
			}
		}
		return true
	}
	if complete() {
		return u, u.check(a)
	}
	if err := os.MkdirAll(filepath.Join(dir, "debs"), 0o755); err != nil {
		return u, fmt.Errorf("lab: %s userland cache: %w", a.Debian, err)
	}
	lock, err := os.OpenFile(filepath.Join(cacheDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return u, fmt.Errorf("lab: cache: %w", err)
	}
	defer lock.Close()
	if err := flockContext(ctx, lock, 10*time.Minute); err != nil {
		return u, fmt.Errorf("lab: cache %s is locked by another run: %w", cacheDir, err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	if complete() {
		return u, u.check(a)
	}
	for _, d := range userlandDebs {
		pkg := d.pkg + ":" + a.Debian
		debs, _ := filepath.Glob(filepath.Join(dir, "debs", d.pkg+"_*_"+a.Debian+".deb"))
		if len(debs) == 0 {
			logf(log, "lab: downloading %s into %s", pkg, filepath.Join(dir, "debs"))
			if out, err := runTool(ctx, 10*time.Minute, filepath.Join(dir, "debs"), "apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg); err != nil {
				return u, fmt.Errorf("lab: apt-get download %s: %v: %s (dpkg --add-architecture %s; apt-get update: scripts/deps.sh %s)", pkg, err, tail(out, 5), a.Debian, a.depsTarget())
			}
			debs, _ = filepath.Glob(filepath.Join(dir, "debs", d.pkg+"_*_"+a.Debian+".deb"))
		}
		if len(debs) != 1 {
			return u, fmt.Errorf("lab: %d .deb files of %s in %s, want 1", len(debs), pkg, filepath.Join(dir, "debs"))
		}
		members := d.members(a)
		if err := extractFromDeb(ctx, debs[0], func(name string) string {
			if f, ok := members[name]; ok {
				return filepath.Join(dir, f)
			}
			return ""
		}); err != nil {
			return u, err
		}
	}
	if !complete() {
		return u, fmt.Errorf("lab: the %s packages %s left files missing in %s", a.Debian, "busybox-static, apparmor, libc6", dir)
	}
	for _, p := range []string{u.Busybox, u.Parser} {
		os.Chmod(p, 0o755)
	}
	return u, u.check(a)
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// check makes sure the image can run the parser: every library it and
// its libraries name (DT_NEEDED), and its loader (PT_INTERP), is among
// u.Libs; and that busybox is static.
func (u Userland) check(a *Arch) error {
	have := map[string]bool{}
	for in := range u.Libs {
		have[path.Base(in)] = true
	}
	for _, p := range append([]string{u.Busybox, u.Parser}, mapValues(u.Libs)...) {
		f, err := elf.Open(p)
		if err != nil {
			return fmt.Errorf("lab: %s userland: %s: %w", a.Debian, p, err)
		}
		needed, _ := f.ImportedLibraries()
		interp := ""
		for _, pr := range f.Progs {
			if pr.Type == elf.PT_INTERP {
				b := make([]byte, pr.Filesz)
				pr.ReadAt(b, 0)
				interp = string(bytes.TrimRight(b, "\x00"))
			}
		}
		m := f.Machine
		f.Close()
		if m != a.ELF {
			return fmt.Errorf("lab: %s userland: %s is for %v, not %v", a.Debian, p, m, a.ELF)
		}
		if p == u.Busybox && (interp != "" || len(needed) > 0) {
			return fmt.Errorf("lab: %s userland: %s is not static (busybox-static)", a.Debian, p)
		}
		if interp != "" {
			needed = append(needed, path.Base(interp))
		}
		for _, n := range needed {
			if !have[n] {
				return fmt.Errorf("lab: %s userland: %s needs %s, which the lab does not take from libc6:%s", a.Debian, p, n, a.Debian)
			}
		}
	}
	return nil
}

// addUserland puts u's libraries in the image, with the loader's link at
// the path the programs name (/lib/ld-linux-aarch64.so.1).
func addUserland(im *image, a *Arch, u Userland) error {
	for in, host := range u.Libs {
		b, err := os.ReadFile(host)
		if err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		if err := im.file(usrPath(in), b, 0o755); err != nil {
			return err
		}
	}
	return im.symlink("/usr/lib/"+a.interpName(), a.Triplet+"/"+a.interpName())
}

// elfMachine is the ELF machine of the host file p (0 if unreadable).
func elfMachine(p string) elf.Machine {
	f, err := elf.Open(p)
	if err != nil {
		return 0
	}
	defer f.Close()
	return f.Machine
}

func hostELF() elf.Machine {
	switch runtime.GOARCH {
	case "arm64":
		return elf.EM_AARCH64
	case "amd64":
		return elf.EM_X86_64
	}
	return 0
}

// foreignBusybox: the host cannot run bb to list its applets.
func foreignBusybox(bb string) bool {
	m := elfMachine(bb)
	return m != 0 && m != hostELF()
}
