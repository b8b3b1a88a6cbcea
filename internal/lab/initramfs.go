//go:build linux

package lab

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// File is a file to put in the image: the contents of a host file, or
// bytes. Mode 0 means 0755 for a host file that is executable, 0644
// otherwise.
type File struct {
	Host string // host path (read when the image is built)
	Data []byte // used when Host is empty
	Mode fs.FileMode
}

// HostFile is the host file at p.
func HostFile(p string) File { return File{Host: p} }

// Bytes is a file with contents b and mode 0644.
func Bytes(b []byte) File { return File{Data: b, Mode: 0o644} }

// Text is a file with contents s and mode 0644.
func Text(s string) File { return File{Data: []byte(s), Mode: 0o644} }

// Executable is a file with contents s and mode 0755 (a script).
func Executable(s string) File { return File{Data: []byte(s), Mode: 0o755} }

func (f File) read() ([]byte, fs.FileMode, error) {
	if f.Host == "" {
		m := f.Mode
		if m == 0 {
			m = 0o644
		}
		return f.Data, m, nil
	}
	b, err := os.ReadFile(f.Host)
	if err != nil {
		return nil, 0, fmt.Errorf("lab: %w", err)
	}
	m := f.Mode
	if m == 0 {
		m = 0o644
		if st, err := os.Stat(f.Host); err == nil && st.Mode()&0o111 != 0 {
			m = 0o755
		}
	}
	return b, m, nil
}

// Options say what goes into the initramfs besides the fixed parts
// (busybox and its applet links, apparmor_parser and its libraries,
// the host's AppArmor tunables/abstractions/abi, a minimal /etc, /init).
type Options struct {
	// Rampart is the host path of a static rampart binary; it becomes
	// /usr/bin/rampart. Empty: no rampart in the image.
	Rampart string
	// Script is the check /init runs (as /lab/check.sh, with sh); its
	// stdout and stderr are printed on the console between the markers.
	Script File
	// Files are extra files: in-image path -> contents.
	Files map[string]File
	// Marker makes the begin/end markers unique; empty: random.
	Marker string
	// Busybox is the static busybox to install (default /bin/busybox,
	// Debian's busybox-static).
	Busybox string
	// Parser is apparmor_parser (default /usr/sbin/apparmor_parser, or
	// /sbin/apparmor_parser); "-" leaves it out.
	Parser string
	// AppArmorDir is where tunables/, abstractions/ and abi/ are copied
	// from (default /etc/apparmor.d).
	AppArmorDir string
	// Programs are dynamically linked host programs: in-image path ->
	// host path; the libraries ldd lists for each come along.
	Programs map[string]string
	// Uncompressed writes the cpio as is: a large image (a node's
	// binaries) boots faster when the guest, emulated, need not inflate
	// it.
	Uncompressed bool
	// Userland is a foreign architecture's busybox, apparmor_parser and
	// its libraries (UserlandFor); it replaces Busybox and Parser, and
	// the libraries come from it instead of the host's ldd.
	Userland *Userland
	// Arch is the guest's architecture (nil: AMD64); with Userland.
	Arch *Arch
}

// Markers frame the check's output on the console.
func beginMarker(m string) string { return "@@rampart-lab-begin-" + m + "@@" }
func endMarker(m string) string   { return "@@rampart-lab-end-" + m + " status=" }

// newMarker is a random marker, so that no earlier boot's or program's
// output can pass for this boot's.
func newMarker() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return fmt.Sprint(time.Now().UnixNano())
	}
	return hex.EncodeToString(b)
}

// initScript is /init: mount the pseudo file systems, run the check with
// its output between the markers, power off. The kernel's console log
// level drops to 1 first so kernel messages (AppArmor's audit lines
// among them) do not interleave with the check's output; the check can
// read them with dmesg.
const initScript = `#!/bin/sh
export PATH=/usr/bin:/usr/sbin:/bin:/sbin HOME=/root TERM=dumb
# a foreign busybox, which the host could not ask for its applets, links
# them itself
[ -e /usr/bin/mount ] || /usr/bin/busybox --install -s
mnt() { mount -t "$1" "$2" "$3" || echo "lab-init: mount -t $1 $3 failed"; }
mnt proc proc /proc
mnt sysfs sysfs /sys
mnt devtmpfs devtmpfs /dev
mnt securityfs securityfs /sys/kernel/security
mnt tmpfs tmpfs /tmp
mkdir -p /run /var/cache/apparmor
mnt tmpfs tmpfs /run
echo 1 > /proc/sys/kernel/printk
cd /
echo "lab-init: $(cat /proc/uptime) running /lab/check.sh"
echo "{{BEGIN}}"
sh /lab/check.sh </dev/null 2>&1
rc=$?
echo "{{END}}$rc@@"
poweroff -f
echo o > /proc/sysrq-trigger
`

// minimal /etc: root and nobody; /etc/shadow holds no usable hash.
var etcFiles = map[string]File{
	"/etc/passwd":   Text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"),
	"/etc/group":    Text("root:x:0:\nnogroup:x:65534:\n"),
	"/etc/shadow":   {Data: []byte("root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n"), Mode: 0o640},
	"/etc/hostname": Text("rampart-lab\n"),
	"/etc/hosts":    Text("127.0.0.1 localhost rampart-lab\n"),
}

// Initramfs writes a gzip-compressed newc cpio archive to outPath: a
// busybox system whose /init mounts proc, sysfs, devtmpfs, securityfs and
// a tmpfs on /tmp, runs opts.Script, prints its output between markers on
// the serial console, and powers off. It returns the marker used.
func Initramfs(outPath string, opts Options) (marker string, err error) {
	im, marker, err := buildImage(context.Background(), opts)
	if err != nil {
		return "", err
	}
	return marker, writeImage(im, outPath, !opts.Uncompressed)
}

func writeImage(im *image, outPath string, compress bool) error {
	var buf bytes.Buffer
	if compress {
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		if err := im.writeTo(zw); err != nil {
			return fmt.Errorf("lab: writing the initramfs: %w", err)
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("lab: writing the initramfs: %w", err)
		}
	} else if err := im.writeTo(&buf); err != nil {
		return fmt.Errorf("lab: writing the initramfs: %w", err)
	}
	tmp := outPath + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	if err := os.Rename(tmp, outPath); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("lab: %w", err)
	}
	return nil
}

func buildImage(ctx context.Context, opts Options) (*image, string, error) {
	var err error
	im := newImage()
	marker := opts.Marker
	if marker == "" {
		marker = newMarker()
	}
	if strings.ContainsAny(marker, " \t\n@\"'$`\\") {
		return nil, "", fmt.Errorf("lab: marker %q must be a plain word", marker)
	}

	// The layout of a merged-/usr Debian: /bin, /sbin, /lib and /lib64
	// are links into /usr, so a program finds what it looks for at the
	// path the host's ldd printed.
	for _, l := range [][2]string{{"/bin", "usr/bin"}, {"/sbin", "usr/sbin"}, {"/lib", "usr/lib"}, {"/lib64", "usr/lib64"}} {
		if err := im.symlink(l[0], l[1]); err != nil {
			return nil, "", err
		}
	}
	for _, d := range []string{"/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib64", "/proc", "/sys", "/dev", "/run", "/var/cache", "/etc", "/lab", "/profiles"} {
		if err := im.dir(d, 0o755); err != nil {
			return nil, "", err
		}
	}
	if err := im.dir("/root", 0o700); err != nil {
		return nil, "", err
	}
	if err := im.dir("/tmp", 0o777|fs.ModeSticky); err != nil {
		return nil, "", err
	}
	if err := im.chardev("/dev/console", 0o600, 5, 1); err != nil {
		return nil, "", err
	}
	if err := im.chardev("/dev/null", 0o666, 1, 3); err != nil {
		return nil, "", err
	}

	// busybox and its applets
	bb := opts.Busybox
	if opts.Userland != nil {
		bb = opts.Userland.Busybox
	}
	if bb == "" {
		bb = "/bin/busybox"
	}
	if err := addStatic(im, bb, "/usr/bin/busybox", "busybox (Debian package busybox-static)"); err != nil {
		return nil, "", err
	}
	var applets []string
	if foreignBusybox(bb) {
		// /init's shell; /init links the rest (busybox --install)
		applets = []string{"/usr/bin/sh"}
	} else if applets, err = busyboxApplets(ctx, bb); err != nil {
		return nil, "", err
	}
	for _, a := range applets {
		p := usrPath(a)
		if p == "/usr/bin/busybox" || im.has(p) {
			continue
		}
		if err := im.symlink(p, "/usr/bin/busybox"); err != nil {
			return nil, "", err
		}
	}

	if opts.Rampart != "" {
		if err := addStatic(im, opts.Rampart, "/usr/bin/rampart", "rampart (make build)"); err != nil {
			return nil, "", err
		}
	}

	if opts.Userland != nil {
		if err := addUserland(im, archOr(opts.Arch), *opts.Userland); err != nil {
			return nil, "", err
		}
		if opts.Parser != "-" {
			if err := addParser(ctx, im, opts.Userland.Parser, opts.AppArmorDir); err != nil {
				return nil, "", err
			}
		}
	} else if opts.Parser != "-" {
		if err := addParser(ctx, im, opts.Parser, opts.AppArmorDir); err != nil {
			return nil, "", err
		}
	}

	for p, f := range etcFiles {
		b, m, _ := f.read()
		if err := im.file(p, b, m); err != nil {
			return nil, "", err
		}
	}
	init := strings.NewReplacer("{{BEGIN}}", beginMarker(marker), "{{END}}", endMarker(marker)).Replace(initScript)
	if err := im.file("/init", []byte(init), 0o755); err != nil {
		return nil, "", err
	}
	script := opts.Script
	if script.Host == "" && script.Data == nil {
		script = Text("echo no check script given\n")
	}
	b, _, err := script.read()
	if err != nil {
		return nil, "", err
	}
	if err := im.file("/lab/check.sh", b, 0o755); err != nil {
		return nil, "", err
	}

	if err := addPrograms(ctx, im, opts.Programs); err != nil {
		return nil, "", err
	}

	// the caller's files last: they may replace anything above
	names := make([]string, 0, len(opts.Files))
	for p := range opts.Files {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		b, m, err := opts.Files[p].read()
		if err != nil {
			return nil, "", err
		}
		if err := im.file(usrPath(p), b, m); err != nil {
			return nil, "", err
		}
	}
	return im, marker, nil
}

// usrPath maps /bin/x to /usr/bin/x (and sbin, lib, lib64), so that
// entries are written below the real directories, not through links.
func usrPath(p string) string {
	p = path.Clean("/" + p)
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib64"} {
		if p == d {
			return p
		}
		if strings.HasPrefix(p, d+"/") {
			return "/usr" + p
		}
	}
	return p
}

// addStatic adds the host's executable src at dst, refusing a
// dynamically linked one: the image has no libraries for it.
func addStatic(im *image, src, dst, what string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("lab: %s: %w", what, err)
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("lab: %s: %s is not an ELF executable: %v", what, src, err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("lab: %s: %s is dynamically linked; the lab image needs a static binary", what, src)
		}
	}
	return im.file(dst, b, 0o755)
}

func busyboxApplets(ctx context.Context, bb string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bb, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("lab: %s --list-full: %v", bb, err)
	}
	var list []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if a := strings.TrimSpace(sc.Text()); a != "" {
			list = append(list, "/"+a)
		}
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("lab: %s --list-full listed no applets", bb)
	}
	return list, nil
}

// addParser adds apparmor_parser, the libraries ldd lists for it, its
// configuration and feature set, and what profiles include.
func addParser(ctx context.Context, im *image, parser, aaDir string) error {
	if parser == "" {
		for _, p := range []string{"/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"} {
			if _, err := os.Stat(p); err == nil {
				parser = p
				break
			}
		}
		if parser == "" {
			return errors.New("lab: apparmor_parser not found (Debian package apparmor)")
		}
	}
	b, err := os.ReadFile(parser)
	if err != nil {
		return fmt.Errorf("lab: apparmor_parser: %w", err)
	}
	if err := im.file("/usr/sbin/apparmor_parser", b, 0o755); err != nil {
		return err
	}
	if err := addLibs(ctx, im, parser); err != nil {
		return err
	}
	if aaDir == "" {
		aaDir = "/etc/apparmor.d"
	}
	for _, sub := range []string{"tunables", "abstractions", "abi"} {
		if err := addTree(im, filepath.Join(aaDir, sub), "/etc/apparmor.d/"+sub, sub != "abi"); err != nil {
			return err
		}
	}
	// Optional: the parser's configuration and the feature set it pins
	// policy to (Debian's parser.conf names it).
	for _, f := range []string{"/etc/apparmor/parser.conf", "/usr/share/apparmor-features/features"} {
		if b, err := os.ReadFile(f); err == nil {
			if err := im.file(f, b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// addPrograms adds each host program and the libraries ldd lists for it.
func addPrograms(ctx context.Context, im *image, progs map[string]string) error {
	names := make([]string, 0, len(progs))
	for p := range progs {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, dst := range names {
		src := progs[dst]
		b, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		if err := im.file(usrPath(dst), b, 0o755); err != nil {
			return err
		}
		if err := addLibs(ctx, im, src); err != nil {
			return err
		}
	}
	return nil
}

// addLibs adds the libraries ldd lists for bin (none for a static one).
// A foreign binary's come from its Userland (checked there): the host's
// ldd cannot load it.
func addLibs(ctx context.Context, im *image, bin string) error {
	if m := elfMachine(bin); m != 0 && m != hostELF() {
		return nil
	}
	libs, err := lddLibs(ctx, bin)
	if err != nil {
		return err
	}
	for _, l := range libs {
		if im.has(usrPath(l)) {
			continue
		}
		real, err := filepath.EvalSymlinks(l)
		if err != nil {
			return fmt.Errorf("lab: library %s of %s: %w", l, bin, err)
		}
		b, err := os.ReadFile(real)
		if err != nil {
			return fmt.Errorf("lab: library %s of %s: %w", l, bin, err)
		}
		if err := im.file(usrPath(l), b, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// lddLibs lists the shared objects ldd resolves for bin (the dynamic
// loader included).
func lddLibs(ctx context.Context, bin string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ldd", bin).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "not a dynamic executable") {
			return nil, nil
		}
		return nil, fmt.Errorf("lab: ldd %s: %v: %s", bin, err, strings.TrimSpace(string(out)))
	}
	var libs []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			libs = append(libs, f[2])
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			libs = append(libs, f[0])
		case len(f) >= 2 && f[1] == "=>" && (len(f) < 3 || f[2] == "not"):
			return nil, fmt.Errorf("lab: ldd %s: %s not found", bin, f[0])
		}
	}
	return libs, nil
}

// addTree copies the host directory src (regular files, directories and
// symlinks) to dst in the image.
func addTree(im *image, src, dst string, required bool) error {
	if _, err := os.Stat(src); err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("lab: AppArmor includes: %w (Debian package apparmor)", err)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := path.Join(dst, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			return im.dir(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return im.symlink(to, t)
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return im.file(to, b, 0o644)
		}
		return nil
	})
}
