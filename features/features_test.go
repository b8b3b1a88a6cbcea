//go:build linux

package features

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestLandlockProbe(t *testing.T) {
	abi, err := LandlockABI()
	if errors.Is(err, ErrNotSupported) {
		t.Skipf("this kernel has no Landlock: %v", err)
	}
	if err != nil || abi < 1 {
		t.Fatalf("abi %d, %v", abi, err)
	}
	if err := HaveLandlock(abi); err != nil {
		t.Fatalf("HaveLandlock(own ABI %d): %v", abi, err)
	}
	err = HaveLandlock(abi + 1)
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "this kernel has ABI") {
		t.Fatalf("HaveLandlock(%d): %v", abi+1, err)
	}
}

func TestAppArmorProbeAgreesWithLSMList(t *testing.T) {
	lsms, err := ActiveLSMs()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(lsms, "capability") {
		t.Fatalf("active LSMs %v lack capability, which is always first", lsms)
	}
	err = HaveAppArmor()
	if slices.Contains(lsms, "apparmor") {
		if err != nil {
			t.Fatalf("apparmor is active but HaveAppArmor says %v", err)
		}
		return
	}
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), strings.Join(lsms, ",")) {
		t.Fatalf("HaveAppArmor() = %v; want ErrNotSupported naming %v", err, lsms)
	}
	// The per-task AppArmor attribute is absent too, as the error says.
	if _, err := os.ReadFile("/proc/self/attr/apparmor/current"); err == nil {
		t.Fatal("AppArmor attributes are readable, yet the LSM list lacks apparmor")
	}
}

func TestLSMListMatchesSecurityfs(t *testing.T) {
	b, err := os.ReadFile("/sys/kernel/security/lsm")
	if err != nil {
		if os.Geteuid() != 0 {
			t.Skipf("securityfs is not mounted and mounting it needs root: %v", err)
		}
		// Mount it in a private mount namespace of a child, which leaves
		// the host's mounts untouched.
		b, err = exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
			"mount -t securityfs securityfs /sys/kernel/security && cat /sys/kernel/security/lsm").Output()
		if err != nil {
			t.Fatalf("reading the LSM list from a private securityfs: %v", err)
		}
	}
	sys, err := lsmListModules()
	if err != nil {
		t.Skipf("lsm_list_modules: %v", err)
	}
	if strings.Join(sys, ",") != strings.TrimSpace(string(b)) {
		t.Fatalf("syscall %v, securityfs %q", sys, b)
	}
}

func TestSeccompProbe(t *testing.T) {
	err := HaveSeccompFilter()
	if !libseccompBuilt {
		if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "-tags seccomp") {
			t.Fatalf("build without libseccomp: %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
}

// The IA32 probe agrees with the kernel: with it, an int 0x80 program
// built by the toolchain runs; without it, exec refuses i386 programs.
func TestIA32Probe(t *testing.T) {
	err := HaveIA32()
	if err != nil && !errors.Is(err, ErrNotSupported) {
		t.Fatal(err)
	}
	t.Logf("HaveIA32: %v", err)
	if probed := probeIA32(); (probed == nil) != (err == nil) {
		t.Errorf("HaveIA32 = %v (kept for this boot, or probed), a probe now: %v", err, probed)
	}
	gcc, lerr := exec.LookPath("gcc")
	if lerr != nil {
		t.Skip("gcc not installed: no second i386 program to compare with")
	}
	bin := filepath.Join(t.TempDir(), "t32")
	src := filepath.Join(t.TempDir(), "t.c")
	os.WriteFile(src, []byte("int main(void){return 7;}\n"), 0o644)
	if out, err := exec.Command(gcc, "-m32", "-static", "-o", bin, src).CombinedOutput(); err != nil {
		t.Skipf("gcc -m32 (Debian gcc-multilib) cannot build: %v\n%s", err, out)
	}
	runErr := exec.Command(bin).Run()
	var ee *exec.ExitError
	ran := errors.As(runErr, &ee) && ee.ExitCode() == 7
	if ran != (err == nil) {
		t.Errorf("HaveIA32 = %v, but a gcc -m32 program: %v", err, runErr)
	}
}

// Each action the kernel lists, the kernel accepts when asked for it by
// value (seccomp(SECCOMP_GET_ACTION_AVAIL)); the list is not taken on
// trust from one source.
func TestSeccompActionsAgreeWithKernel(t *testing.T) {
	acts, err := SeccompActions()
	if err != nil {
		t.Fatal(err)
	}
	value := map[string]uint32{
		"kill_process": unix.SECCOMP_RET_KILL_PROCESS, "kill_thread": unix.SECCOMP_RET_KILL_THREAD,
		"trap": unix.SECCOMP_RET_TRAP, "errno": unix.SECCOMP_RET_ERRNO, "user_notif": unix.SECCOMP_RET_USER_NOTIF,
		"trace": unix.SECCOMP_RET_TRACE, "log": unix.SECCOMP_RET_LOG, "allow": unix.SECCOMP_RET_ALLOW,
	}
	avail := func(v uint32) error {
		_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&v)))
		if e != 0 {
			return e
		}
		return nil
	}
	if !slices.Contains(acts, "allow") || !slices.Contains(acts, "errno") {
		t.Fatalf("actions %v: no allow or errno", acts)
	}
	for _, a := range acts {
		v, ok := value[a]
		if !ok {
			continue // newer than this test
		}
		if err := avail(v); err != nil {
			t.Errorf("listed action %s (%#x): the kernel says %v", a, v, err)
		}
	}
	for a, v := range value {
		if !slices.Contains(acts, a) && avail(v) == nil {
			t.Errorf("action %s is available but not listed in %v", a, acts)
		}
	}
}
