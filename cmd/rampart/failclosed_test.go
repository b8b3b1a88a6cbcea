//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/features"
)

// rampartFDs runs rampart with stdin and extra descriptors (3, 4, ...)
// opened by the test, as a shell's redirections would hand them over.
func rampartFDs(t *testing.T, stdin *os.File, extra []*os.File, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	cmd.ExtraFiles = extra
	return runAsRampart(t, cmd)
}

func openFile(t *testing.T, path string, flag int) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// A descriptor opened before the launch crosses execve, and Landlock
// checks opens, not reads: the launcher closes every descriptor above
// stderr (runc's rule), keeps --preserve-fds N of them, and refuses when
// one it keeps is already open on what a denial covers.
func TestInheritedDescriptors(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("TOP\n"), 0o600)
	public := filepath.Join(dir, "public")
	os.WriteFile(public, []byte("PUB\n"), 0o644)
	deny := []string{"--deny-read", secret}
	readFd3 := []string{"sh", "-c", "cat <&3"}

	// fd 3 on the denied file, not preserved: closed at exec, so CMD
	// cannot read it.
	r := rampartFDs(t, nil, []*os.File{openFile(t, secret, os.O_RDONLY)}, argv(deny, readFd3)...)
	if strings.Contains(r.stdout, "TOP") || r.code == 0 {
		t.Fatalf("CMD read the denied file through an inherited fd 3: exit %d, stdout %q", r.code, r.stdout)
	}
	// The same descriptor kept with --preserve-fds: refused, CMD never runs.
	r = rampartFDs(t, nil, []*os.File{openFile(t, secret, os.O_RDONLY)}, argv(append([]string{"--preserve-fds", "1"}, deny...), readFd3)...)
	if r.code != exitRefused || strings.Contains(r.stdout, "TOP") || !strings.Contains(r.stderr, "fd 3 is open on "+secret) {
		t.Fatalf("preserved fd on the denied file: exit %d stdout %q stderr %q, want refusal", r.code, r.stdout, r.stderr)
	}
	// stdin on the denied file: the same refusal.
	r = rampartFDs(t, openFile(t, secret, os.O_RDONLY), nil, argv(deny, []string{"cat"})...)
	if r.code != exitRefused || strings.Contains(r.stdout, "TOP") || !strings.Contains(r.stderr, "fd 0 is open on "+secret) {
		t.Fatalf("stdin on the denied file: exit %d stdout %q stderr %q, want refusal", r.code, r.stdout, r.stderr)
	}
	// A write descriptor on a --deny-write file.
	r = rampartFDs(t, nil, []*os.File{openFile(t, secret, os.O_WRONLY)}, argv([]string{"--preserve-fds", "1", "--deny-write", secret}, []string{"sh", "-c", "echo X >&3"})...)
	if r.code != exitRefused || !strings.Contains(r.stderr, "fd 3 is open on "+secret+" with write_file") {
		t.Fatalf("write fd on a --deny-write file: exit %d stderr %q, want refusal", r.code, r.stderr)
	}
	// A descriptor on a file beneath a denied directory.
	r = rampartFDs(t, nil, []*os.File{openFile(t, public, os.O_RDONLY)}, argv([]string{"--preserve-fds", "1", "--deny-read", dir}, readFd3)...)
	if r.code != exitRefused || !strings.Contains(r.stderr, "fd 3 is open on "+public) {
		t.Fatalf("fd beneath a denied directory: exit %d stderr %q, want refusal", r.code, r.stderr)
	}
	// What is not denied: preserved and readable; not preserved: closed.
	r = rampartFDs(t, nil, []*os.File{openFile(t, public, os.O_RDONLY)}, argv(append([]string{"--preserve-fds", "1"}, deny...), readFd3)...)
	if r.code != 0 || r.stdout != "PUB\n" {
		t.Fatalf("preserved fd on an allowed file: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	r = rampartFDs(t, nil, []*os.File{openFile(t, public, os.O_RDONLY)}, argv([]string{"--cap-drop", "NET_RAW"}, readFd3)...)
	if r.code == 0 || r.stdout != "" {
		t.Fatalf("fd 3 without --preserve-fds reached CMD: exit %d stdout %q", r.code, r.stdout)
	}
	// Every descriptor above the preserved ones is closed.
	fds := []*os.File{openFile(t, public, os.O_RDONLY), openFile(t, public, os.O_RDONLY), openFile(t, public, os.O_RDONLY)}
	r = rampartFDs(t, nil, fds, argv([]string{"--preserve-fds", "1", "--cap-drop", "NET_RAW"}, []string{"sh", "-c", "for n in 3 4 5; do [ -e /proc/self/fd/$n ] && echo $n; done; true"})...)
	if r.code != 0 || r.stdout != "3\n" {
		t.Fatalf("--preserve-fds 1 with fds 3, 4, 5 open: CMD sees %q (exit %d %s), want only 3", r.stdout, r.code, r.stderr)
	}
	// A count no process can have is a usage error, not a long loop or a
	// close_range whose start wraps to 0 (2^32-3: stdin, stdout and stderr
	// closed at exec).
	for _, n := range []string{"4294967293", "20000000", "-1"} {
		r := rampart(t, "", argv([]string{"--preserve-fds", n, "--cap-drop", "NET_RAW"}, []string{"echo", "hi"})...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "--preserve-fds "+n+": want 0 to") {
			t.Errorf("--preserve-fds %s: exit %d stdout %q stderr %q, want a usage error", n, r.code, r.stdout, r.stderr)
		}
	}
}

// A policy file is read strictly: a misspelt field or an unknown kind
// would otherwise be no layer at all, and CMD would run unconfined.
func TestPolicyFileStrict(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	const v1 = `{"schema": "rampart.policy/v1", `
	for _, c := range []struct{ name, body, msg string }{
		{"unknown-seccomp-kind", v1 + `"seccomp": {"kind": "runtime_default"}}`, `.json:1:53: seccomp.kind: "runtime_default"`},
		{"misspelt-field", v1 + `"capabilitiez": {"drop": ["ALL"]}}`, `.json:1:33: capabilitiez: unknown field`},
		{"trailing-data", v1 + `"seccomp": {"kind": "runtime-default"}} {"seccomp": {"kind": "unconfined"}}`, ".json:1:73: data after the end of the document"},
		{"case-variant", v1 + `"Seccomp": {"kind": "runtime-default"}}`, ".json:1:33: Seccomp"},
		{"duplicate", v1 + "\"seccomp\": {\"kind\": \"runtime-default\"},\n \"seccomp\": {\"kind\": \"unconfined\"}}", ".json:2:2: seccomp"},
		{"empty", "", "empty file"},
		{"null", "null", ".json:1:1: want a JSON object"},
		{"no-schema", `{"seccomp": {"kind": "runtime-default"}}`, `.json:1:1: no "schema"`},
		{"other-schema", `{"schema": "rampart.policy/v2", "seccomp": {"kind": "runtime-default"}}`, `schema "rampart.policy/v2"`},
		{"unknown-mode", v1 + `"landlock": [{"mode": "deny-reed", "path": "/etc/shadow"}]}`, `landlock[0].mode: "deny-reed"`},
		{"unknown-apparmor-kind", v1 + `"apparmor": {"kind": "Localhost", "name": "x"}}`, `apparmor.kind: "Localhost"`},
		{"seccomp-file-without-path", v1 + `"seccomp": {"kind": "file"}}`, "needs a path"},
		{"unknown-capability", v1 + `"capabilities": {"inherit": true, "drop": ["NET_RAWW"]}}`, "no capability rampart knows"},
		{"capability-bits", v1 + `"capabilities": {"inherit": true, "drop": 18446744073709551615}}`, "want a list"},
		{"fallback", v1 + `"lsmFallback": "selinux", "seccomp": {"kind": "runtime-default"}}`, `lsmFallback: "selinux"`},
		// What older rampart wrote: refused, saying how to convert it.
		{"unversioned", `{"Seccomp":{"Kind":"runtime-default"},"Capabilities":null}`, "rampart policy convert"},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, c.name+".json")
			os.WriteFile(file, []byte(c.body), 0o644)
			marker := filepath.Join(dir, c.name+".ran")
			r := rampart(t, "", "run", "--policy", file, "--", "sh", "-c", "touch "+marker)
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("CMD ran under %s; stderr %q", c.body, r.stderr)
			}
			if r.code != exitRefused || !strings.Contains(r.stderr, "rampart: policy: "+file) || !strings.Contains(r.stderr, c.msg) {
				t.Fatalf("exit %d stderr %q, want %d naming the file and %q", r.code, r.stderr, exitRefused, c.msg)
			}
		})
	}
}

// Malformed flag values are usage errors, never a different policy:
// an empty item in a capability list is not dropped, a signed uid is
// not read as a number.
func TestMalformedFlags(t *testing.T) {
	for _, flags := range [][]string{
		{"--cap-drop", ""}, {"--cap-drop", ","}, {"--cap-drop", "NET_RAW,"}, {"--cap-add", ",NET_RAW"},
		{"--user", "+1000"}, {"--user", "-0"}, {"--user", "1000:+5"}, {"--user", "4294967295"},
	} {
		r := rampart(t, "", argv(flags, []string{"true"})...)
		if r.code != exitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %q)", flags, r.code, exitUsage, r.stderr)
		}
	}
}

var afterExecLine = regexp.MustCompile(`rampart: after exec: CapEff=(\w+) CapPrm=(\w+) CapInh=(\w+) CapAmb=(\w+)`)

// What -v says CMD will hold after execve is what the kernel gives it:
// for root, for a non-root user (only the ambient set survives), with
// --cap-ambient, and for a program with file capabilities with and
// without no_new_privs.
func TestAfterExecCapabilities(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	// uid 1000 must reach the program without capabilities
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	grep, err := exec.LookPath("grep")
	if err != nil {
		t.Fatal(err)
	}
	withCaps := filepath.Join(dir, "grep-caps")
	b, _ := os.ReadFile(grep)
	os.WriteFile(withCaps, b, 0o755)
	if out, err := exec.Command("setcap", "cap_net_raw,cap_chown+ep", withCaps).CombinedOutput(); err != nil {
		t.Fatalf("setcap (Debian libcap2-bin): %v %s", err, out)
	}
	for _, c := range []struct {
		name  string
		flags []string
		prog  string
		fails string
	}{
		{"root", []string{"--cap-drop", "NET_RAW"}, grep, ""},
		{"non-root", []string{"--cap-drop", "NET_RAW", "--user", "1000"}, grep, ""},
		{"non-root-ambient", []string{"--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE", "--cap-ambient", "--user", "1000"}, grep, ""},
		{"file-caps", []string{"--cap-drop", "SYS_ADMIN", "--user", "1000", "--no-new-privs=false"}, withCaps, ""},
		{"file-caps-nnp", []string{"--cap-drop", "SYS_ADMIN", "--user", "1000", "--no-new-privs"}, withCaps, ""},
		// fE with a permitted capability the bounding set lacks: the
		// kernel refuses the exec, and rampart says why before trying.
		{"file-caps-no-bounding", []string{"--cap-drop", "NET_RAW", "--user", "1000", "--no-new-privs=false"}, withCaps, "need NET_RAW"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := rampart(t, "", argv(append([]string{"-v"}, c.flags...), []string{c.prog, "^Cap", "/proc/self/status"})...)
			if c.fails != "" {
				if r.code != exitCannot || !strings.Contains(r.stderr, c.fails) {
					t.Fatalf("exit %d stderr %q, want %d and %q", r.code, r.stderr, exitCannot, c.fails)
				}
				// The kernel agrees: a shell (no file capabilities, so it
				// starts) that execs the program under the same sets fails.
				r = rampart(t, "", argv(c.flags, []string{"sh", "-c", "exec " + c.prog + " ^Cap /proc/self/status"})...)
				if r.code == 0 || !strings.Contains(r.stderr, "Operation not permitted") {
					t.Fatalf("the kernel ran the program: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			m := afterExecLine.FindStringSubmatch(r.stderr)
			if m == nil {
				t.Fatalf("-v has no after-exec line:\n%s", r.stderr)
			}
			got := map[string]string{}
			for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				k, v, _ := strings.Cut(l, ":")
				got[k] = strings.TrimSpace(v)
			}
			for i, k := range []string{"CapEff", "CapPrm", "CapInh", "CapAmb"} {
				if got[k] != m[i+1] {
					t.Errorf("%s: -v predicted %s, the kernel gave CMD %s", k, m[i+1], got[k])
				}
			}
		})
	}
}

// --no-new-privs=false is honoured with Landlock when rampart may load a
// domain without it (CAP_SYS_ADMIN), never silently turned back on, and
// the denial still holds.
func TestNoNewPrivsOffWithLandlock(t *testing.T) {
	needRoot(t)
	r := rampart(t, "", argv([]string{"--no-new-privs=false", "--deny-read", "/etc/shadow"}, []string{"sh", "-c", "grep NoNewPrivs /proc/self/status; head -c1 /etc/shadow >/dev/null && echo READ"})...)
	if !strings.Contains(r.stdout, "NoNewPrivs:\t0") || strings.Contains(r.stdout, "READ") {
		t.Fatalf("stdout %q stderr %q: want NoNewPrivs 0 and the read denied", r.stdout, r.stderr)
	}
	// A rampart that already has no_new_privs cannot clear it: refused.
	r = rampart(t, "", argv([]string{"--no-new-privs"}, []string{os.Args[0], "run", "--no-new-privs=false", "--deny-read", "/etc/shadow", "--", "true"})...)
	if r.code != exitRefused || !strings.Contains(r.stderr, "cannot be cleared") {
		t.Fatalf("exit %d stderr %q, want a refusal", r.code, r.stderr)
	}
}

// A write denial leaves metadata to the kernel's own checks: the launch
// says so where CMD can change it, and an AppArmor profile enforced by
// Landlock refuses, since AppArmor's w denies chmod and chown too. The
// kernel shows the gap: chmod succeeds under --read-only.
func TestWriteDenialMetadata(t *testing.T) {
	needRoot(t)
	if err := features.HaveAppArmor(); err == nil {
		t.Skip("this kernel has AppArmor; the fallback does not apply")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	os.WriteFile(f, []byte("x"), 0o644)
	r := rampart(t, "", argv([]string{"--read-only", f}, []string{"chmod", "600", f})...)
	if r.code != 0 || !strings.Contains(r.stderr, "--read-only "+f+": CMD runs as its owner (uid 0) and keeps CAP_FOWNER and CAP_CHOWN") {
		t.Fatalf("exit %d stderr %q: want the chmod to pass and a note saying so", r.code, r.stderr)
	}
	if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v: the chmod did not pass; the note would be wrong", fi.Mode())
	}
	r = rampart(t, "", argv([]string{"--read-only", f, "--user", "1000"}, []string{"chmod", "644", f})...)
	if r.code == 0 || strings.Contains(r.stderr, "can still change") {
		t.Fatalf("uid 1000, not the owner: exit %d stderr %q: want chmod refused by the kernel and no note", r.code, r.stderr)
	}

	profile := filepath.Join(dir, "ro")
	os.WriteFile(profile, []byte(fmt.Sprintf("profile ro {\n  file,\n  deny %s w,\n}\n", f)), 0o644)
	marker := filepath.Join(dir, "ran")
	r = rampart(t, "", argv([]string{"--apparmor", profile, "--lsm-fallback", "landlock"}, []string{"touch", marker})...)
	if _, err := os.Stat(marker); err == nil || r.code != exitRefused || !strings.Contains(r.stderr, profile+":3: AppArmor's w also denies chmod") {
		t.Fatalf("fallback of deny w as root: exit %d stderr %q, want a refusal", r.code, r.stderr)
	}
	r = rampart(t, "", argv([]string{"--apparmor", profile, "--lsm-fallback", "landlock", "--user", "1000"}, []string{"true"})...)
	if r.code != 0 {
		t.Fatalf("fallback of deny w as uid 1000: exit %d stderr %q", r.code, r.stderr)
	}
}

// A rule on a dangling symlink lands where the kernel will create the
// file, not on the link: the file CMD writes through the link later is
// denied like any other.
func TestDenyReadDanglingSymlink(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "lt"), 0o755)
	link := filepath.Join(dir, "lt", "k")
	target := filepath.Join(dir, "other", "secret")
	os.Symlink(target, link)
	script := fmt.Sprintf("mkdir -p %s/other; echo S > %s; cat %s; cat %s", dir, target, link, target)
	r := rampart(t, "", argv([]string{"--deny-read", link}, []string{"sh", "-c", script})...)
	if strings.Contains(r.stdout, "S") {
		t.Fatalf("the file behind the dangling link was read: stdout %q stderr %q", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "enforced on "+target) || strings.Count(r.stderr, "Permission denied") != 2 {
		t.Fatalf("stderr %q: want the rule on %s and both reads denied", r.stderr, target)
	}
	// A loop cannot be protected: refused.
	os.Symlink("b", filepath.Join(dir, "a"))
	os.Symlink("a", filepath.Join(dir, "b"))
	r = rampart(t, "", argv([]string{"--deny-read", filepath.Join(dir, "a")}, []string{"true"})...)
	if r.code != exitRefused || !strings.Contains(r.stderr, "too many levels of symbolic links") {
		t.Fatalf("symlink loop: exit %d stderr %q", r.code, r.stderr)
	}
}

// --deny-read DIR with a file inside that has a second name outside:
// refused at launch naming both, as for a denied file; the kernel shows
// the refusal is needed (the other name is readable under the rule
// without the check).
func TestDenyReadDirectoryHardLink(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets")
	os.Mkdir(secrets, 0o755)
	inside := filepath.Join(secrets, "key")
	os.WriteFile(inside, []byte("K"), 0o600)
	outside := filepath.Join(dir, "copy")
	if err := os.Link(inside, outside); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "ran")
	r := rampart(t, "", argv([]string{"--deny-read", secrets}, []string{"touch", marker})...)
	if _, err := os.Stat(marker); err == nil || r.code != exitRefused {
		t.Fatalf("exit %d stderr %q, want a refusal", r.code, r.stderr)
	}
	if want := inside + " has 2 hard links, 1 of them at " + outside; !strings.Contains(r.stderr, want) {
		t.Fatalf("stderr %q, want %q", r.stderr, want)
	}
	// Why: Landlock alone leaves the other name readable (the denied
	// directory's own file is refused, the outside name is not).
	r = rampart(t, "", argv([]string{"--deny-read", secrets + "/nothing-here"}, []string{"cat", outside})...)
	if r.stdout != "K" {
		t.Fatalf("the outside name under an unrelated rule: %q %q", r.stdout, r.stderr)
	}
}

// loopSecret mounts a fresh ext4 image on a loop device and writes
// secret in it, flushed to the device; everything is undone afterwards.
func loopSecret(t *testing.T, dir string) (img, loop, mnt, secret string) {
	t.Helper()
	run := func(name string, args ...string) string {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	img = filepath.Join(dir, "img")
	run("truncate", "-s", "8M", img)
	run("mkfs.ext4", "-q", "-F", img)
	loop = run("losetup", "-f", "--show", img)
	t.Cleanup(func() { exec.Command("losetup", "-d", loop).Run() })
	mnt = filepath.Join(dir, "mnt")
	os.Mkdir(mnt, 0o755)
	run("mount", loop, mnt)
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	secret = filepath.Join(mnt, "secret")
	os.WriteFile(secret, []byte("TOP\n"), 0o600)
	run("sync", "-f", secret)
	return img, loop, mnt, secret
}

// --deny-read closes the other routes to the same bytes (the issue's
// attack: uid 0 with every capability dropped reads the file through
// debugfs on the loop device): the device, the image file behind it,
// a new node of the device, and another mount of the same directory.
// Each route is first shown open without the rule.
func TestDenyReadOtherRoutes(t *testing.T) {
	needRoot(t)
	needSeccomp(t)
	if _, err := exec.LookPath("debugfs"); err != nil {
		t.Fatal("debugfs (Debian e2fsprogs) not installed")
	}
	dir := t.TempDir()
	img, loop, mnt, secret := loopSecret(t, dir)
	debugfs := func(flags []string, device string) result {
		return rampart(t, "", argv(append(flags, "--cap-drop", "ALL", "--seccomp", "runtime-default"), []string{"debugfs", "-R", "cat /secret", device})...)
	}
	deny := []string{"--deny-read", secret}
	for _, device := range []string{loop, img} {
		if r := debugfs([]string{"--cap-drop", "NET_RAW"}, device); !strings.Contains(r.stdout, "TOP") {
			t.Fatalf("without the rule debugfs on %s should read the secret: %q %q", device, r.stdout, r.stderr)
		}
		r := debugfs(deny, device)
		if strings.Contains(r.stdout, "TOP") || !strings.Contains(r.stderr, "Permission denied while trying to open "+device) {
			t.Fatalf("--deny-read %s: debugfs on %s: stdout %q stderr %q", secret, device, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "also denied, the same bytes: ") || !strings.Contains(r.stderr, device) {
			t.Fatalf("the launch must name the routes it closed: %q", r.stderr)
		}
	}
	// --allow-device leaves that device open, as asked, and says so.
	r := debugfs(append([]string{"--allow-device", loop}, deny...), loop)
	if !strings.Contains(r.stdout, "TOP") || !strings.Contains(r.stderr, "left open as asked: "+loop) {
		t.Fatalf("--allow-device %s: stdout %q stderr %q", loop, r.stdout, r.stderr)
	}

	// A new node of the device (CAP_MKNOD is in the runtimes' defaults):
	// making device nodes is refused under a deny rule.
	var st unix.Stat_t
	unix.Stat(loop, &st)
	mk := fmt.Sprintf("mknod %s/node b %d %d && debugfs -R 'cat /secret' %s/node", dir, unix.Major(st.Rdev), unix.Minor(st.Rdev), dir)
	if r := rampart(t, "", argv([]string{"--cap-drop", "NET_RAW"}, []string{"sh", "-c", mk})...); !strings.Contains(r.stdout, "TOP") {
		t.Fatalf("without the rule a new node reads the secret: %q %q", r.stdout, r.stderr)
	}
	os.Remove(filepath.Join(dir, "node"))
	r = rampart(t, "", argv(deny, []string{"sh", "-c", mk})...)
	if strings.Contains(r.stdout, "TOP") || !strings.Contains(r.stderr, "Permission denied") {
		t.Fatalf("a new device node under --deny-read: stdout %q stderr %q", r.stdout, r.stderr)
	}

	// --deny-write closes writing through the device the same way (an
	// open for writing that writes nothing: ": >" on a block device).
	openW := []string{"sh", "-c", ": > " + loop + " && echo OPENED"}
	if r := rampart(t, "", argv([]string{"--cap-drop", "NET_RAW"}, openW)...); r.stdout != "OPENED\n" {
		t.Fatalf("without the rule the device opens for writing: %q %q", r.stdout, r.stderr)
	}
	if r := rampart(t, "", argv([]string{"--deny-write", secret}, openW)...); r.stdout != "" || !strings.Contains(r.stderr, "Permission denied") {
		t.Fatalf("--deny-write %s: the device opened for writing: %q %q", secret, r.stdout, r.stderr)
	}

	// Another mount of the same directory shows the same file.
	bound := filepath.Join(dir, "bound")
	os.Mkdir(bound, 0o755)
	if out, err := exec.Command("mount", "--bind", mnt, bound).CombinedOutput(); err != nil {
		t.Fatalf("mount --bind: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", bound).Run() })
	r = rampart(t, "", argv(deny, []string{"cat", filepath.Join(bound, "secret")})...)
	if strings.Contains(r.stdout, "TOP") || !strings.Contains(r.stderr, filepath.Join(bound, "secret")) {
		t.Fatalf("the bind mount's name of the secret: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

// The probe's read-shadow-blockdev path, where /etc/shadow lives on a
// readable disk (a private mount namespace binds a loop-mounted file
// over it): open without a rule, closed by Landlock under --deny-read
// /etc/shadow.
func TestProbeReadShadowBlockDevice(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	_, loop, _, secret := loopSecret(t, dir)
	probeIn := func(flags ...string) attack.Result {
		t.Helper()
		self := os.Args[0]
		cmd := self + " probe -o json --only read-shadow-blockdev"
		if len(flags) > 0 {
			cmd = self + " run " + strings.Join(flags, " ") + " -- " + cmd
		}
		c := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", "mount --bind "+secret+" /etc/shadow && exec "+cmd)
		c.Env = append(os.Environ(), asRampart+"=1")
		out, err := c.Output()
		if err != nil {
			t.Fatalf("%s: %v %s", cmd, err, out)
		}
		var rep attack.Report
		if err := json.Unmarshal(out, &rep); err != nil || len(rep.Results) != 1 {
			t.Fatalf("probe JSON: %v\n%s", err, out)
		}
		return rep.Results[0]
	}
	r := probeIn()
	if r.Verdict != attack.Open || !strings.Contains(r.Step, loop) {
		t.Fatalf("unconfined: %+v, want open through %s", r, loop)
	}
	r = probeIn("--deny-read", "/etc/shadow")
	if r.Verdict != attack.Blocked || r.Layer != attack.ByLSM || r.LSM != "Landlock" {
		t.Fatalf("under --deny-read /etc/shadow: %+v, want blocked by Landlock", r)
	}
}

// asNewMounter makes the test binary the attacker of
// TestDenyReadNewMountAPI: with the new mount API, which Landlock does
// not mediate, it makes detached mounts of the denied file's
// filesystem and tries to read the file through each.
const asNewMounter = "RAMPART_TEST_AS_NEW_MOUNTER"

// newMounter reads "secret" through: a clone of the directory's mount
// (open_tree), a fresh mount of each device named (fsopen, fsmount),
// and attaches a tmpfs with mount(2). One line per route.
func newMounter(args []string) int {
	dir, devices := args[0], args[1:]
	read := func(root int, err error) string {
		if err != nil {
			return "mount: " + err.Error()
		}
		fd, err := unix.Openat(root, "secret", unix.O_RDONLY, 0)
		if err != nil {
			return "read: " + err.Error()
		}
		b := make([]byte, 16)
		n, _ := unix.Read(fd, b)
		return "READ " + strings.TrimSpace(string(b[:n]))
	}
	fmt.Println("open_tree:", read(unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE)))
	for _, dev := range devices {
		fmt.Printf("fsmount %s: %s\n", dev, read(fsmountExt4(dev)))
	}
	fmt.Println("mount(2):", unix.Mount("none", dir, "tmpfs", 0, ""))
	return 0
}

func fsmountExt4(dev string) (int, error) {
	fs, err := unix.Fsopen("ext4", 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(fs)
	if err := unix.FsconfigSetString(fs, "source", dev); err != nil {
		return -1, err
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return -1, err
	}
	return unix.Fsmount(fs, 0, unix.MOUNT_ATTR_RDONLY)
}

// With CAP_SYS_ADMIN kept, CMD can still make mounts with the new mount
// API (fsopen, fsmount, open_tree): Landlock refuses attaching one
// (mount(2), move_mount), not making one, and the kernel opens a
// filesystem's device itself, past any path rule. None of it reaches a
// denied file's bytes: a clone of the mount holds the same inodes, a
// second mount of the same device the same superblock, and a mount of
// another device holding the same blocks (a second loop device on the
// image, unknown to the launch) has a root no allow rule covers, so
// Landlock grants nothing beneath it. Each route is first shown open.
func TestDenyReadNewMountAPI(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	img, loop, mnt, secret := loopSecret(t, dir)
	out, err := exec.Command("losetup", "-f", "--show", img).CombinedOutput()
	if err != nil {
		t.Fatalf("losetup: %v %s", err, out)
	}
	loop2 := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("losetup", "-d", loop2).Run() })

	attack := func(flags ...string) result {
		return rampart(t, "", argv(append(flags, "--cap-drop", "NET_RAW"), []string{"env", asNewMounter + "=1", os.Args[0], mnt, loop, loop2})...)
	}
	want := func(r result, lines ...string) {
		t.Helper()
		if got := strings.Split(strings.TrimSpace(r.stdout), "\n"); !slices.Equal(got, lines) {
			t.Fatalf("got\n%s\nwant\n%s\n(stderr %s)", r.stdout, strings.Join(lines, "\n"), r.stderr)
		}
	}
	want(attack(),
		"open_tree: READ TOP",
		"fsmount "+loop+": READ TOP",
		"fsmount "+loop2+": READ TOP",
		"mount(2): <nil>")
	exec.Command("umount", mnt).Run() // the tmpfs just attached
	want(attack("--deny-read", secret),
		"open_tree: read: permission denied",
		"fsmount "+loop+": read: permission denied",
		"fsmount "+loop2+": read: permission denied",
		"mount(2): operation not permitted")
}

// A mount of a directory beneath a denied one (what a subPath volume
// makes), and an overlay one of whose layers lies beneath it, show part
// of the denied tree elsewhere: both are denied whole. The bind mount's
// point is a sibling of the denied directory, which the launch grants on
// the way to it: before, that grant followed the mount's root inode and
// opened the denied subdirectory under its own name too.
func TestDenyReadMountsBeneath(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	for f, body := range map[string]string{"secret/sub/f": "TOP\n", "secret/low/g": "LOW\n", "other/h": "open\n"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644)
	}
	mount := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			t.Fatalf("mount %v: %v %s", args, err, out)
		}
		target := args[len(args)-1]
		t.Cleanup(func() { exec.Command("umount", "-l", target).Run() })
	}
	sub, merged := filepath.Join(dir, "mnt"), filepath.Join(dir, "ov")
	os.Mkdir(sub, 0o755)
	os.Mkdir(merged, 0o755)
	mount("--bind", filepath.Join(dir, "secret/sub"), sub)
	mount("-t", "overlay", "overlay", "-o", "lowerdir="+filepath.Join(dir, "secret/low")+":"+filepath.Join(dir, "other"), merged)

	read := []string{"sh", "-c", fmt.Sprintf("for f in %s/f %s/secret/sub/f %s/g %s/h; do cat $f || echo DENIED; done", sub, dir, merged, merged)}
	if r := rampart(t, "", argv([]string{"--cap-drop", "NET_RAW"}, read)...); r.stdout != "TOP\nTOP\nLOW\nopen\n" {
		t.Fatalf("without the rule every file reads: %q %q", r.stdout, r.stderr)
	}
	r := rampart(t, "", argv([]string{"--deny-read", filepath.Join(dir, "secret")}, read)...)
	if r.stdout != "DENIED\nDENIED\nDENIED\nDENIED\n" {
		t.Fatalf("--deny-read %s/secret: got %q (want every read refused: the merged tree holds a layer of it)\n%s", dir, r.stdout, r.stderr)
	}
	for _, m := range []string{sub, merged} {
		if !strings.Contains(r.stderr, m) {
			t.Errorf("the launch does not name %s among the routes it closed: %s", m, r.stderr)
		}
	}
}
