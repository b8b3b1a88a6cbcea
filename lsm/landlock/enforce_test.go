//go:build linux

package landlock

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/policy"
)

// Landlock cannot be undone, so enforcement runs in a re-executed test
// binary: the parent prepares a tree, the child restricts itself and
// attacks it, reporting each failed expectation on stderr.
const childEnv = "RAMPART_LANDLOCK_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); strings.HasSuffix(mode, "scope") {
		os.Exit(scopeChild(mode, os.Getenv("RAMPART_LANDLOCK_DIR")))
	} else if mode != "" {
		os.Exit(child(mode, os.Getenv("RAMPART_LANDLOCK_DIR")))
	}
	os.Exit(m.Run())
}

func runChild(t *testing.T, mode string) {
	t.Helper()
	if err := features.HaveLandlock(3); err != nil {
		t.Skipf("needs Landlock ABI 3: %v", err)
	}
	dir := t.TempDir()
	for _, f := range []string{"d/secret", "d/public", "other/x"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("content of "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "RAMPART_LANDLOCK_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", mode, err, out)
	}
	if !strings.Contains(string(out), "child done") {
		t.Fatalf("child did not finish:\n%s", out)
	}
	// The tree is unchanged by every attempted attack.
	b, err := os.ReadFile(filepath.Join(dir, "d/secret"))
	if err != nil || string(b) != "content of d/secret" {
		t.Fatalf("secret changed: %q %v", b, err)
	}
}

func TestEnforceDenyRead(t *testing.T)  { runChild(t, "deny-read") }
func TestEnforceDenyWrite(t *testing.T) { runChild(t, "deny-write") }

func child(mode, dir string) int {
	runtime.LockOSThread()
	secret := filepath.Join(dir, "d/secret")
	rule := policy.FSRule{Mode: policy.FSMode(mode), Path: secret}
	pl, err := Compile([]policy.FSRule{rule}, OSFS{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "compile:", err)
		return 1
	}
	rs, err := Prepare(pl)
	if err != nil {
		fmt.Fprintln(os.Stderr, "prepare:", err)
		return 1
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := rs.Restrict(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := rs.Verify(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	failed := 0
	expect := func(what string, err error, denied bool) {
		got := err != nil
		if got != denied {
			failed++
			fmt.Fprintf(os.Stderr, "FAIL %s: denied=%v (err %v), want denied=%v\n", what, got, err, denied)
		}
	}
	read := func(p string) error { _, err := os.ReadFile(p); return err }
	public := filepath.Join(dir, "d/public")
	other := filepath.Join(dir, "other")
	switch mode {
	case "deny-read":
		expect("read secret", read(secret), true)
		expect("read sibling", read(public), false)
		expect("read elsewhere", read(filepath.Join(other, "x")), false)
		expect("read through /proc/self/root", read("/proc/self/root"+secret), true)
		// A symlink planted after launch resolves to the denied file.
		os.Symlink(secret, filepath.Join(other, "sl"))
		expect("read through a new symlink", read(filepath.Join(other, "sl")), true)
		// Hard link and rename to where read is granted: REFER stops both.
		expect("hard link to a readable dir", os.Link(secret, filepath.Join(other, "hl")), true)
		expect("rename to a readable dir", os.Rename(secret, filepath.Join(other, "mv")), true)
		// The shocker route: open by handle skips the path walk.
		err := openByHandle(secret)
		if errors.Is(err, errNoHandle) {
			failed++
			fmt.Fprintln(os.Stderr, "FAIL:", err)
		}
		expect("open_by_handle_at", err, true)
		// Documented limit: a file created later in the parent is not readable.
		newf := filepath.Join(dir, "d/new")
		if err := os.WriteFile(newf, []byte("x"), 0o644); err == nil {
			expect("read a file created later in the parent", read(newf), true)
		}
	case "deny-write":
		expect("read secret", read(secret), false)
		f, err := os.OpenFile(secret, os.O_WRONLY, 0)
		if err == nil {
			f.Close()
		}
		expect("open secret for write", err, true)
		expect("truncate secret", os.Truncate(secret, 0), true)
		expect("unlink secret", os.Remove(secret), true)
		expect("rename over secret", os.Rename(filepath.Join(other, "x"), secret), true)
		expect("create next to secret", os.WriteFile(filepath.Join(dir, "d/new"), nil, 0o644), true)
		expect("write a sibling", os.WriteFile(public, []byte("content of d/public"), 0o644), false)
		expect("write elsewhere", os.WriteFile(filepath.Join(other, "y"), nil, 0o644), false)
	}
	if failed > 0 {
		return 1
	}
	fmt.Fprintln(os.Stderr, "child done")
	return 0
}

func openByHandle(p string) error {
	h, mountID, err := unix.NameToHandleAt(unix.AT_FDCWD, p, 0)
	if err != nil {
		return fmt.Errorf("%w: %v", errNoHandle, err)
	}
	_ = mountID
	mfd, err := unix.Open(filepath.Dir(p), unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	fd, err := unix.OpenByHandleAt(mfd, h, unix.O_RDONLY)
	if err != nil {
		return err
	}
	unix.Close(fd)
	return nil
}

// errNoHandle means the attack could not even be set up.
var errNoHandle = errors.New("name_to_handle_at failed")

// The open_by_handle_at check above only means something if the call
// works without Landlock.
func TestOpenByHandleWorksUnconfined(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("open_by_handle_at needs CAP_DAC_READ_SEARCH (run as root)")
	}
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("x"), 0o644)
	if err := openByHandle(p); err != nil {
		t.Fatalf("unconfined open_by_handle_at: %v", err)
	}
}

// A plan needing a newer ABI than the kernel's is refused before anything
// is created.
func TestPrepareRefusesTooNewABI(t *testing.T) {
	abi, err := features.LandlockABI()
	if err != nil {
		t.Skipf("no Landlock: %v", err)
	}
	pl, err := Compile([]policy.FSRule{{Mode: policy.DenyRead, Path: "/etc/shadow"}}, OSFS{})
	if err != nil {
		t.Fatal(err)
	}
	pl.ABI = abi + 1
	_, err = Prepare(pl)
	if !errors.Is(err, features.ErrNotSupported) || !strings.Contains(err.Error(), fmt.Sprintf("Landlock ABI %d", abi+1)) {
		t.Fatalf("got %v", err)
	}
}

// What a launch with --deny-read /etc/shadow pays before restricting.
func BenchmarkCompilePrepareShadow(b *testing.B) {
	rules := []policy.FSRule{{Mode: policy.DenyRead, Path: "/etc/shadow"}}
	for i := 0; i < b.N; i++ {
		pl, err := Compile(rules, OSFS{})
		if err != nil {
			b.Fatal(err)
		}
		rs, err := Prepare(pl)
		if err != nil {
			b.Fatal(err)
		}
		rs.Close()
	}
}

// Entries that vanish between planning and building the ruleset (here:
// a sibling removed after Compile) cost only their own rights.
func TestVanishedSiblingIsSkipped(t *testing.T) {
	if err := features.HaveLandlock(2); err != nil {
		t.Skipf("needs Landlock ABI 2: %v", err)
	}
	dir := t.TempDir()
	for _, f := range []string{"secret", "gone", "kept"} {
		os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644)
	}
	pl, err := Compile([]policy.FSRule{{Mode: policy.DenyRead, Path: filepath.Join(dir, "secret")}}, OSFS{})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "gone"))
	rs, err := Prepare(pl)
	if err != nil {
		t.Fatalf("a vanished sibling made Prepare fail: %v", err)
	}
	rs.Close()
}

// The denied file renamed over a granted sibling between planning and
// building the ruleset (an attacker who can write the directory, racing
// the launch), a harmless file put in its place: the grant on the
// sibling's name would now hold the denied inode. Refused.
func TestPrepareRefusesSwappedDenial(t *testing.T) {
	if _, err := features.LandlockABI(); err != nil {
		t.Skipf("no Landlock: %v", err)
	}
	dir := t.TempDir()
	secret, other := filepath.Join(dir, "secret"), filepath.Join(dir, "other")
	os.WriteFile(secret, []byte("TOP\n"), 0o600)
	os.WriteFile(other, []byte("open\n"), 0o644)
	pl, err := Compile([]policy.FSRule{{Mode: policy.DenyRead, Path: secret}}, OSFS{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(secret, other); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(secret, []byte("decoy\n"), 0o600)
	rs, err := Prepare(pl)
	if err == nil {
		rs.Close()
		t.Fatal("the ruleset was built with the denied file under a granted name")
	}
	if !strings.Contains(err.Error(), "is the same file as denied") {
		t.Fatalf("got %v", err)
	}
}

// Prepare holds a descriptor per rule until the rules are in and then
// closes them all, also when the descriptor limit is reached on the way
// (it closes what it holds and goes on): afterwards only the ruleset's
// own descriptor is open, and none once it is closed.
func TestPrepareClosesItsDescriptors(t *testing.T) {
	if err := features.HaveLandlock(1); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	for i := range 60 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plan, err := Compile([]policy.FSRule{{Mode: policy.DenyRead, Path: filepath.Join(dir, "f00")}}, OSFS{})
	if err != nil {
		t.Fatal(err)
	}
	openFDs := func() int {
		des, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(des) - 1 // the directory's own
	}
	before := openFDs()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = uint64(before + 20) // fewer than the plan's grants
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	rs, err := Prepare(plan)
	unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	if err != nil {
		t.Fatalf("Prepare with %d grants under a limit of %d descriptors: %v", len(plan.Grants), low.Cur, err)
	}
	if len(plan.Grants) < 60 {
		t.Fatalf("%d grants, want the 59 siblings and the rest", len(plan.Grants))
	}
	if n := openFDs(); n != before+1 {
		t.Errorf("%d descriptors open after Prepare, want %d (the ruleset's)", n, before+1)
	}
	rs.Close()
	if n := openFDs(); n != before {
		t.Errorf("%d descriptors open after Close, want %d", n, before)
	}
}
