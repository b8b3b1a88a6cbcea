//go:build linux

// Package lab is rampart's real-kernel test harness (the AppArmor test
// tier, docs/ARCHITECTURE.md): it boots Debian 12's own kernel, which has AppArmor built in and
// enabled, under qemu (TCG) with an initramfs holding busybox, a static
// rampart, apparmor_parser and the host's AppArmor includes, runs a check
// script as root inside, and returns what the script printed.
//
//	vmlinuz, _ := lab.Kernel("")                     // apt-get download, cached
//	marker, _ := lab.Initramfs("i.cpio.gz", opts)    // busybox + rampart + apparmor_parser
//	console, _ := lab.Boot(ctx, vmlinuz, "i.cpio.gz", time.Minute)
//	res, _ := lab.Run(ctx, "cat /sys/kernel/security/lsm", nil) // all three
//
// Every boot has a deadline, and every failure carries the last console
// lines. Differential runs AppArmor profiles against real accesses in
// the guest and returns the kernel's decisions, for comparison with
// rampart's own evaluator. `make lab` runs the package's tests.
package lab

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Lab is the configuration Run uses; the zero value means the defaults.
type Lab struct {
	// CacheDir keeps the kernel (default $RAMPART_LAB_CACHE, else
	// DefaultCacheDir).
	CacheDir string
	// Rampart is the static rampart binary put in the image (default
	// $RAMPART_BIN, else bin/rampart of the module this package is in,
	// found from the working directory upwards). "-" leaves it out.
	Rampart string
	// Timeout bounds each boot (default DefaultTimeout).
	Timeout time.Duration
	// CPUs for the guest (default 2).
	CPUs int
	// Append is added to the kernel command line ("apparmor=0", ...).
	Append string
	// Log receives progress lines (kernel download); nil: none.
	Log io.Writer
	// Arch is the guest's architecture (nil: AMD64). For another than
	// the host's, busybox, apparmor_parser and its libraries come from
	// Debian's packages of that architecture (UserlandFor), and Rampart
	// must be built for it.
	Arch *Arch
}

// Times says where a run's time went.
type Times struct {
	Kernel    time.Duration // finding or downloading the kernel
	Initramfs time.Duration // building the image
	Boot      time.Duration // qemu, from start to power-off
}

// Result is one boot's outcome.
type Result struct {
	// Output is what the check printed (stdout and stderr), between the
	// markers, without the console's carriage returns.
	Output string
	// Status is the check script's exit status.
	Status int
	// Console is everything the guest printed on its serial console.
	Console string
	// Kernel is the vmlinuz booted.
	Kernel string
	Times  Times
}

// Run boots the lab once: Kernel, Initramfs (with script as the check and
// files added), Boot, and the check's output cut from between the markers.
// An error means the check did not run to its end (Result.Console says
// how far it got); the check's own failures are in Result.Status and
// Result.Output.
func Run(ctx context.Context, script string, files map[string]File) (Result, error) {
	return (&Lab{}).Run(ctx, script, files)
}

// Run is the package-level Run with l's configuration.
func (l *Lab) Run(ctx context.Context, script string, files map[string]File) (Result, error) {
	var res Result
	t0 := time.Now()
	a := archOr(l.Arch)
	k, err := kernel(ctx, a, l.cacheDir(), l.Log)
	res.Times.Kernel = time.Since(t0)
	if err != nil {
		return res, err
	}
	res.Kernel = k
	rampart, err := l.rampart()
	if err != nil {
		return res, err
	}
	opts := Options{Rampart: rampart, Script: Executable(script), Files: files, Arch: a}
	if !a.native() {
		u, err := UserlandFor(ctx, a, l.cacheDir(), l.Log)
		if err != nil {
			return res, err
		}
		opts.Userland = &u
		if rampart != "" && elfMachine(rampart) != a.ELF {
			return res, fmt.Errorf("lab: %s is not an %s program: the %s guest needs rampart built for it (make lab-%s)", rampart, a.Go, a.Debian, a.Debian)
		}
	}

	t0 = time.Now()
	dir, err := os.MkdirTemp("", "rampart-lab-")
	if err != nil {
		return res, fmt.Errorf("lab: %w", err)
	}
	defer os.RemoveAll(dir)
	initrd := filepath.Join(dir, "initramfs.cpio.gz")
	im, marker, err := buildImage(ctx, opts)
	if err == nil {
		err = writeImage(im, initrd, true)
	}
	res.Times.Initramfs = time.Since(t0)
	if err != nil {
		return res, err
	}

	t0 = time.Now()
	console, err := BootWith(ctx, BootConfig{Kernel: k, Initrd: initrd, Timeout: l.Timeout, CPUs: l.CPUs, Append: l.Append, Arch: a})
	res.Times.Boot = time.Since(t0)
	res.Console = console
	if err != nil {
		return res, err
	}
	out, status, err := between(console, marker)
	res.Output, res.Status = out, status
	return res, err
}

func (l *Lab) cacheDir() string {
	if l.CacheDir != "" {
		return l.CacheDir
	}
	if d := os.Getenv("RAMPART_LAB_CACHE"); d != "" {
		return d
	}
	return DefaultCacheDir
}

func (l *Lab) rampart() (string, error) {
	switch {
	case l.Rampart == "-":
		return "", nil
	case l.Rampart != "":
		return l.Rampart, nil
	case os.Getenv("RAMPART_BIN") != "":
		return os.Getenv("RAMPART_BIN"), nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "bin", "rampart")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("lab: no rampart binary at %s: run make build (or set $RAMPART_BIN)", p)
	}
	return p, nil
}

// ModuleRoot is the directory of rampart's go.mod, searched from the
// working directory upwards.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/rampart-sec/rampart\n") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("lab: not inside the rampart module (from %s)", dir)
		}
	}
}

// between cuts the check's output out of the console.
func between(console, marker string) (string, int, error) {
	begin, end := beginMarker(marker)+"\n", endMarker(marker)
	i := strings.Index(console, begin)
	if i < 0 {
		return "", -1, &BootError{Reason: "the guest powered off before the check started (no begin marker)", Console: console}
	}
	rest := console[i+len(begin):]
	j := strings.Index(rest, end)
	if j < 0 {
		return rest, -1, &BootError{Reason: "the guest powered off before the check finished (no end marker)", Console: console}
	}
	out := rest[:j]
	st := rest[j+len(end):]
	st, _, _ = strings.Cut(st, "@@")
	status, err := strconv.Atoi(st)
	if err != nil {
		return out, -1, &BootError{Reason: fmt.Sprintf("unreadable status %q after the end marker", st), Console: console}
	}
	return out, status, nil
}

// Script is a check made of named sections, run one after the other in
// one boot, each in its own shell with its own deadline, so that one
// boot serves many tests. Build gives Run's arguments; Result.Section
// reads a section back.
type Script struct {
	sections []section
	files    map[string]File
}

type section struct {
	name, body string
	timeout    time.Duration
}

var sectionName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Add appends a section: body is run with sh as its own file (so its
// quoting cannot break the others), stdin /dev/null, stderr with stdout,
// killed after timeout (0: 60 s).
func (s *Script) Add(name, body string, timeout time.Duration) {
	if !sectionName.MatchString(name) {
		panic(fmt.Sprintf("lab: section name %q: letters, digits, . _ - only", name))
	}
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	s.sections = append(s.sections, section{name, body, timeout})
}

// File adds a file to the image (for the sections to use).
func (s *Script) File(path string, f File) {
	if s.files == nil {
		s.files = map[string]File{}
	}
	s.files[path] = f
}

// Build returns the check script and the files Run needs for s.
func (s *Script) Build() (string, map[string]File) {
	files := map[string]File{}
	for p, f := range s.files {
		files[p] = f
	}
	var b strings.Builder
	b.WriteString("# rampart lab check: one section after the other\n")
	for i, sec := range s.sections {
		p := fmt.Sprintf("/lab/sections/%02d-%s.sh", i, sec.name)
		files[p] = Executable(sec.body)
		fmt.Fprintf(&b, "read t0 _ < /proc/uptime\necho '%s %s'\n", sectionBegin, sec.name)
		fmt.Fprintf(&b, "timeout %d sh %s </dev/null 2>&1\nrc=$?\n", int(sec.timeout.Seconds()+0.5), p)
		fmt.Fprintf(&b, "read t1 _ < /proc/uptime\necho \"%s %s $rc $t0 $t1\"\n", sectionEnd, sec.name)
	}
	return b.String(), files
}

const (
	sectionBegin = "@@lab-section"
	sectionEnd   = "@@lab-status"
)

// Section is one section's outcome.
type Section struct {
	Name     string
	Output   string
	Status   int           // exit status; 143 when its timeout killed it
	Duration time.Duration // guest time, from /proc/uptime
}

// Section finds the named section's output in r.Output.
func (r Result) Section(name string) (Section, bool) {
	lines := strings.SplitAfter(r.Output, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != sectionBegin+" "+name {
			continue
		}
		var out strings.Builder
		for _, l := range lines[i+1:] {
			f := strings.Fields(l)
			if len(f) == 5 && f[0] == sectionEnd && f[1] == name {
				st, _ := strconv.Atoi(f[2])
				t0, _ := strconv.ParseFloat(f[3], 64)
				t1, _ := strconv.ParseFloat(f[4], 64)
				return Section{Name: name, Output: out.String(), Status: st, Duration: time.Duration((t1 - t0) * float64(time.Second))}, true
			}
			out.WriteString(l)
		}
		return Section{Name: name, Output: out.String(), Status: -1}, false
	}
	return Section{Name: name, Status: -1}, false
}
