//go:build linux && cgo && seccomp

package seccomp

import (
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/runtimes"
)

// containersProfile is the RuntimeDefault of Podman, Buildah and CRI-O
// as Debian installs it (golang-github-containers-common).
const containersProfile = "/usr/share/containers/seccomp.json"

// containers/common's errno names become the numbers the engine installs;
// a name that disagrees with the errnoRet beside it is refused where it
// is written, and a name alone is noted: other runtimes ignore it.
func TestErrnoNames(t *testing.T) {
	for _, c := range []struct {
		name, body string
		def        uint   // the resolved defaultErrnoRet (0: none)
		rule       uint   // getpid's errnoRet
		note       string // in p.Notes ("": no note)
		err        string // the refusal ("": none)
		line       int
		field      string
	}{
		{name: "names alone", body: `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrno":"ENOSYS",
"syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errno":"EACCES"}]}`,
			def: 38, rule: 13, note: "errno names without errnoRet (defaultErrno, syscalls[0].errno)"},
		{name: "names that agree", body: `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrno":"ENOSYS","defaultErrnoRet":38,
"syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errno":"EINVAL","errnoRet":22}]}`,
			def: 38, rule: 22},
		{name: "a number as text", body: `{"defaultAction":"SCMP_ACT_ERRNO",
"syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errno":"38","errnoRet":38}]}`,
			rule: 38},
		{name: "disagreement", body: `{"defaultAction":"SCMP_ACT_ERRNO",
"syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errno":"EPERM","errnoRet":38}]}`,
			err: `"EPERM" is 1 but the errnoRet beside it is 38: CRI-O and Podman return 1, Docker and containerd 38`, line: 2, field: "syscalls[0].errno"},
		{name: "default disagreement", body: `{"defaultAction":"SCMP_ACT_ERRNO",
"defaultErrno":"ENOSYS", "defaultErrnoRet":1, "syscalls":[]}`,
			err: `"ENOSYS" is 38 but the errnoRet beside it is 1`, line: 2, field: "defaultErrno"},
		{name: "lower case", body: `{"defaultAction":"SCMP_ACT_ERRNO",
"syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errno":"eperm"}]}`,
			err: `unknown errno "eperm"`, line: 2, field: "syscalls[0].errno"},
		{name: "a name containers/common lacks", body: `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrno":"EINTR","syscalls":[]}`,
			err: `unknown errno "EINTR"`, line: 1, field: "defaultErrno"},
		{name: "past MAX_ERRNO", body: `{"defaultAction":"SCMP_ACT_ERRNO",
"syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errno":"4096"}]}`,
			err: "4096: errno values stop at 4095", line: 2, field: "syscalls[0].errno"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse("p.json", []byte(c.body), caps.Full)
			if c.err != "" {
				var pe *Error
				if !errors.As(err, &pe) || !strings.Contains(pe.Err.Error(), c.err) || pe.Line != c.line || pe.Field != c.field {
					t.Fatalf("got %v (%#v), want %q at line %d, field %s", err, pe, c.err, c.line, c.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Spec.DefaultErrnoRet; (c.def == 0) != (got == nil) || got != nil && *got != c.def {
				t.Errorf("defaultErrnoRet %v, want %d", got, c.def)
			}
			var rule *uint
			for _, s := range p.Spec.Syscalls {
				if s.Names[0] == "getpid" {
					rule = s.ErrnoRet
				}
			}
			if rule == nil || *rule != c.rule {
				t.Errorf("getpid's errnoRet %v, want %d", rule, c.rule)
			}
			notes := strings.Join(p.Notes, "\n")
			if (c.note == "") != !strings.Contains(notes, "errno names") || c.note != "" && !strings.Contains(notes, c.note) {
				t.Errorf("notes %q, want %q", notes, c.note)
			}
		})
	}
}

// Podman's and CRI-O's own profile, as Debian ships it, read and then
// enforced by the kernel: its errno names hold (EINVAL for audit netlink
// sockets without CAP_AUDIT_WRITE, EPERM for kexec_load, ENOSYS for a
// call it does not list), and so does what rampart refuses it for: it
// allows setns to everyone and denies it without CAP_SYS_ADMIN, and the
// engine keeps the allow.
func TestContainersCommonProfile(t *testing.T) {
	kdNeedRoot(t)
	body, err := os.ReadFile(containersProfile)
	if err != nil {
		t.Fatalf("%v (`make test` installs golang-github-containers-common)", err)
	}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	bounding := runtimes.CRIO.Caps // no AUDIT_WRITE, no SYS_ADMIN
	_, err = Parse(containersProfile, body, bounding)
	if err == nil || !strings.Contains(err.Error(), "setns SCMP_ACT_ALLOW") || !strings.Contains(err.Error(), "setns SCMP_ACT_ERRNO(EPERM)") {
		t.Fatalf("Parse: %v; want the setns conflict", err)
	}
	p, err := ParseAll(containersProfile, body, bounding)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(p)
	if err != nil || !f.Cached {
		t.Fatalf("%v %v", err, f)
	}
	const afNetlink, sockRaw, netlinkAudit = 16, 3, 9
	calls := []kdCall{
		{ABI: kdX86_64, Nr: unix.SYS_SOCKET, Args: [6]uint64{afNetlink, sockRaw, netlinkAudit}},
		{ABI: kdX86_64, Nr: unix.SYS_SOCKET, Args: [6]uint64{afNetlink, sockRaw, 0}},
		{ABI: kdX86_64, Nr: unix.SYS_KEXEC_LOAD},
		{ABI: kdX86_64, Nr: unix.SYS_ADD_KEY},
		{ABI: kdX86_64, Nr: unix.SYS_SETNS, Args: [6]uint64{^uint64(0)}},
	}
	want := []int64{-int64(unix.EINVAL), -kdNetErrno, -int64(unix.EPERM), -int64(unix.ENOSYS), -kdNetErrno}
	kdExpect(t, f.prog, calls, want)

	// The Debian file writes every errno twice, name and number; a
	// profile with names alone gets them from the names.
	p, err = Parse("names.json", []byte(`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrno":"ENOSYS",
"syscalls":[{"names":["socket"],"action":"SCMP_ACT_ERRNO","errno":"EACCES"},
{"names":["write","mmap","munmap","rt_sigprocmask","sched_yield","madvise","nanosleep","getpid","sigaltstack","gettid","futex","clock_gettime","rt_sigreturn","exit","exit_group"],"action":"SCMP_ACT_ALLOW"}]}`), bounding)
	if err != nil {
		t.Fatal(err)
	}
	if f, err = Compile(p); err != nil || !f.Cached {
		t.Fatalf("%v %v", err, f)
	}
	kdExpect(t, f.prog, calls[:4], []int64{-int64(unix.EACCES), -int64(unix.EACCES), -int64(unix.ENOSYS), -int64(unix.ENOSYS)})
}

// kdExpect runs calls under prog (and the safety net) and compares what
// the kernel returned with want.
func kdExpect(t *testing.T, prog *program, calls []kdCall, want []int64) {
	t.Helper()
	_, got, err := kdChild("diff", prog.insns, prog.flags, calls)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range calls {
		if got[i] != want[i] {
			t.Errorf("%s: the kernel returned %d, want %d (%d: the profile allowed it)", c, got[i], want[i], -kdNetErrno)
		}
	}
}
