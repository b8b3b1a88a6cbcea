package features

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"unsafe"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// LSM ids of the lsm_list_modules(2) syscall (include/uapi/linux/lsm.h).
var lsmIDs = map[uint64]string{
	100: "capability", 101: "selinux", 102: "smack", 103: "tomoyo",
	104: "apparmor", 105: "yama", 106: "loadpin", 107: "safesetid",
	108: "lockdown", 109: "bpf", 110: "landlock", 111: "ima", 112: "evm",
	113: "ipe",
}

var activeLSMs = sync.OnceValues(func() ([]string, error) {
	// securityfs is not mounted everywhere (containers, minimal hosts), so
	// ask the kernel directly first; the syscall exists since Linux 6.8.
	if l, err := lsmListModules(); err == nil {
		return l, nil
	}
	if b, err := os.ReadFile("/sys/kernel/security/lsm"); err == nil {
		return strings.Split(strings.TrimSpace(string(b)), ","), nil
	}
	// Inside a seccomp filter that predates lsm_list_modules and without
	// securityfs (a typical container), infer from what each LSM exposes.
	return inferLSMs(), nil
})

// inferLSMs finds the LSMs that show themselves without securityfs: the
// capability module is always there, Landlock answers its ABI query, and
// AppArmor has its module parameter and per-task attributes.
func inferLSMs() []string {
	out := []string{"capability"}
	if _, err := llsys.LandlockGetABIVersion(); err == nil {
		out = append(out, "landlock")
	}
	if b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled"); err == nil && strings.TrimSpace(string(b)) == "Y" {
		if _, err := os.Stat("/proc/self/attr/apparmor/current"); err == nil {
			out = append(out, "apparmor")
		}
	}
	return out
}

// sysLSMListModules is lsm_list_modules(2) on x86_64.
const sysLSMListModules = 461

func lsmListModules() ([]string, error) {
	ids := make([]uint64, 32)
	size := uint32(len(ids) * 8)
	n, _, e := unix.Syscall(sysLSMListModules, uintptr(unsafe.Pointer(&ids[0])), uintptr(unsafe.Pointer(&size)), 0)
	if e != 0 {
		return nil, e
	}
	var out []string
	for _, id := range ids[:n] {
		if name, ok := lsmIDs[id]; ok {
			out = append(out, name)
		} else {
			out = append(out, fmt.Sprintf("lsm-%d", id))
		}
	}
	return out, nil
}

// ActiveLSMs lists the LSMs the kernel has active, in its order.
func ActiveLSMs() ([]string, error) { return activeLSMs() }

// HaveAppArmor reports whether AppArmor is active and can confine
// processes (enabled and its per-task attributes reachable).
func HaveAppArmor() error {
	lsms, err := ActiveLSMs()
	if err != nil {
		return err
	}
	found := false
	for _, l := range lsms {
		if l == "apparmor" {
			found = true
		}
	}
	if !found {
		return &NotSupportedError{"AppArmor", "it is not in this kernel's active LSMs: " + strings.Join(lsms, ",")}
	}
	if b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled"); err == nil && strings.TrimSpace(string(b)) != "Y" {
		return &NotSupportedError{"AppArmor", "the module is present but disabled (apparmor=0 on the kernel command line?)"}
	}
	return nil
}

// LandlockABI returns the kernel's Landlock ABI version.
func LandlockABI() (int, error) {
	v, err := llsys.LandlockGetABIVersion()
	if err != nil {
		switch err {
		case unix.ENOSYS:
			return 0, &NotSupportedError{"Landlock", "this kernel was built without CONFIG_SECURITY_LANDLOCK"}
		case unix.EOPNOTSUPP:
			return 0, &NotSupportedError{"Landlock", "it is built in but not active (add landlock to the lsm= boot parameter)"}
		}
		return 0, fmt.Errorf("probing Landlock: %w", err)
	}
	return v, nil
}

// HaveLandlock reports whether the kernel's Landlock ABI is at least abi.
func HaveLandlock(abi int) error {
	v, err := LandlockABI()
	if err != nil {
		return err
	}
	if v < abi {
		return &NotSupportedError{fmt.Sprintf("Landlock ABI %d", abi), fmt.Sprintf("this kernel has ABI %d", v)}
	}
	return nil
}

// HaveSeccompFilter reports whether this kernel accepts seccomp filters
// and this build can compile them.
func HaveSeccompFilter() error {
	if !libseccompBuilt {
		return &NotSupportedError{"seccomp filter", "this rampart was built without libseccomp (build with -tags seccomp and cgo, as `make` does)"}
	}
	if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
		if err == unix.EINVAL {
			return &NotSupportedError{"seccomp filter", "this kernel was built without CONFIG_SECCOMP"}
		}
		return fmt.Errorf("probing seccomp: %w", err)
	}
	return nil
}

// KernelAtLeast reports whether the running kernel is major.minor or
// later (false when uname cannot say).
func KernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false
	}
	var ma, mi int
	if n, _ := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &ma, &mi); n != 2 {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// KernelRelease is the running kernel's release, as uname -r says it.
func KernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// SeccompActions lists the seccomp filter return actions this kernel
// supports (kill_process, errno, user_notif, log, ...), as it lists them
// itself in /proc/sys/kernel/seccomp/actions_avail.
func SeccompActions() ([]string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/seccomp/actions_avail")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &NotSupportedError{"seccomp filter", "this kernel was built without CONFIG_SECCOMP_FILTER"}
		}
		return nil, fmt.Errorf("probing seccomp actions: %w", err)
	}
	return strings.Fields(string(b)), nil
}

// HaveBPFLSM reports whether the BPF LSM is active, so eBPF programs can
// attach to LSM hooks.
func HaveBPFLSM() error {
	lsms, err := ActiveLSMs()
	if err != nil {
		return err
	}
	for _, l := range lsms {
		if l == "bpf" {
			return nil
		}
	}
	return &NotSupportedError{"BPF LSM", "it is not in this kernel's active LSMs: " + strings.Join(lsms, ",")}
}
