package features

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rampart-sec/rampart/internal/cachedir"
)

// The answer kept for a boot is the probe's, read back only for that
// boot and only from an entry nobody else could have written.
func TestIA32AnswerKeptPerBoot(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the IA32 probe is x86-64's")
	}
	boot := cachedir.BootID()
	if boot == "" {
		t.Skip("the kernel names no boot (/proc/sys/kernel/random/boot_id)")
	}
	t.Setenv("RAMPART_CACHE_DIR", t.TempDir())
	probed := probeIA32()
	var nse *NotSupportedError
	if probed != nil && !errors.As(probed, &nse) {
		t.Fatalf("probe: %v", probed)
	}
	if _, ok := readIA32(boot); ok {
		t.Fatal("an answer before any was written")
	}
	writeIA32(boot, probed == nil)
	ia32, ok := readIA32(boot)
	if !ok || ia32 != (probed == nil) {
		t.Fatalf("read back %v, %v; the probe says IA32 %v", ia32, ok, probed == nil)
	}
	if _, ok := readIA32("another-boot"); ok {
		t.Error("the entry answered for another boot")
	}

	dir, err := cachedir.Dir("kernel")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "ia32")
	if err := os.Chmod(file, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, ok := readIA32(boot); ok {
		t.Error("an entry writable by others was read")
	}
	if err := os.WriteFile(file, []byte(boot+" 1\nmore\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := readIA32(boot); ok {
		t.Error("an entry in another form was read")
	}
}
