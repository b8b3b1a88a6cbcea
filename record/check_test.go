//go:build linux

package record

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/policy"
)

// genPolicy writes the generated policy of rec into a directory and
// returns it, with the AppArmor profile referenced as well.
func genPolicy(t *testing.T, rec *Recording) *policy.Policy {
	t.Helper()
	dir := t.TempDir()
	g, err := Generate(rec, GenerateOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Write(dir); err != nil {
		t.Fatal(err)
	}
	p := *g.Policy
	p.AppArmor = &policy.AppArmor{Kind: policy.AppArmorLocalhost, Name: g.Name, File: filepath.Join(dir, g.Name)}
	return &p
}

func run0() *Recording {
	r := genRecording()
	delete(r.Syscalls[ABIx86_64], "nr_999")
	delete(r.Syscalls[ABIx86_64], "not_a_syscall")
	return r
}

func whats(ms []Missing) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Layer+": "+m.What)
	}
	return out
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.conf")
	os.WriteFile(conf, []byte("x"), 0o644)
	base := genRecording()
	base.Files = []FileAccess{{Path: conf, Mode: "r", Raw: []string{conf}, Count: 1}}
	p := genPolicy(t, base)

	// The run the policy was made from passes, but for the syscalls no
	// profile can name (the generator said so too).
	ms, err := Check(base, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := whats(ms); !slices.Equal(got, []string{"seccomp: syscall not_a_syscall (x86_64)", "seccomp: syscall nr_999 (x86_64)"}) {
		t.Fatalf("the recorded run itself: %q", ms)
	}
	delete(base.Syscalls[ABIx86_64], "nr_999")
	delete(base.Syscalls[ABIx86_64], "not_a_syscall")
	if ms, err = Check(base, p); err != nil || len(ms) != 0 {
		t.Fatalf("the recorded run itself: %q %v", ms, err)
	}

	// A run that needs more is told, per layer, what is missing.
	run := run0()
	run.Files = append(base.Files, FileAccess{Path: "/etc/shadow", Mode: "r", Raw: []string{"/etc/shadow"}, Count: 1})
	run.Syscalls[ABIx86_64]["unshare"] = 1
	run.Syscalls[ABIx86] = map[string]uint64{"read": 1}
	run.Args = append(run.Args,
		ArgValue{ABIx86_64, "ioctl", 1, unix.TIOCSTI, 1},
		ArgValue{ABIx86_64, "clone", 0, unix.CLONE_NEWUSER | uint64(unix.SIGCHLD), 1},
		ArgValue{ABIx86_64, "clone3", -1, unix.CLONE_NEWNET, 1},
	)
	run.Sockets = append(run.Sockets, SocketUse{Syscall: "socket", Family: "AF_PACKET", Type: "SOCK_RAW", Count: 1})
	run.Capabilities = append(run.Capabilities, CapUse{Cap: "NET_RAW", Granted: 1})
	ms, err = Check(run, p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"apparmor: capability NET_RAW",
		"apparmor: file /etc/shadow r",
		"apparmor: socket(AF_PACKET, SOCK_RAW)",
		"capabilities: capability NET_RAW",
		"landlock: file /etc/shadow r",
		"seccomp: clone arg0 = 0x10000011 (x86_64)",
		"seccomp: clone3 flags 0x40000000, through the fallback to clone (x86_64)",
		"seccomp: ioctl arg1 = 0x5412 (x86_64)",
		"seccomp: socket(AF_PACKET, SOCK_RAW) (x86_64)",
		"seccomp: syscall read (x86)",
		"seccomp: syscall unshare (x86_64)",
	}
	if got := whats(ms); !slices.Equal(got, want) {
		t.Errorf("missing:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, m := range ms {
		if m.Why == "" || m.Count == 0 {
			t.Errorf("%+v: no reason or count", m)
		}
		if m.What == "syscall read (x86)" && !strings.Contains(m.Why, "refuses it wholesale") {
			t.Errorf("x86: %s", m.Why)
		}
		if m.What == "syscall unshare (x86_64)" && !strings.Contains(m.Why, "SCMP_ACT_ERRNO(EPERM)") {
			t.Errorf("unshare: %s", m.Why)
		}
	}
}

// Profiles from elsewhere: RuntimeDefault allows what the recording did
// except what it refuses to everyone; unconfined allows all.
func TestCheckOtherPolicies(t *testing.T) {
	run := &Recording{Schema: Schema, Runs: 1,
		Syscalls:     map[string]map[string]uint64{ABIx86_64: {"read": 1, "unshare": 1, "reboot": 1}},
		Capabilities: []CapUse{{Cap: "SYS_BOOT", Granted: 1}}}
	ms, err := Check(run, &policy.Policy{Seccomp: policy.Seccomp{Kind: policy.SeccompRuntimeDefault},
		Capabilities: &policy.Capabilities{Base: 0, Add: 0}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"capabilities: capability SYS_BOOT", "seccomp: syscall reboot (x86_64)", "seccomp: syscall unshare (x86_64)"}
	if got := whats(ms); !slices.Equal(got, want) {
		t.Errorf("runtime-default: %q, want %q", got, want)
	}
	if ms, err := Check(run, &policy.Policy{}); err != nil || len(ms) != 0 {
		t.Errorf("no layers: %q %v", ms, err)
	}
	if _, err := Check(run, &policy.Policy{Seccomp: policy.Seccomp{Kind: policy.SeccompFile, Path: "/nonexistent.json"}}); err == nil {
		t.Error("no error for an unreadable profile")
	}
}
