//go:build !linux || !cgo || !seccomp

package seccomp

import (
	"fmt"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

var errNoCompiler = &features.NotSupportedError{Feature: "seccomp filter", Reason: "this rampart was built without libseccomp (build with -tags seccomp and cgo, as `make` does)"}

// knownSyscall answers from the tables libseccomp's were copied into.
func knownSyscall(name string) error {
	if tableKnown(name) {
		return nil
	}
	return fmt.Errorf("unknown syscall %q", name)
}

func libseccompVersion() string { return tableLibseccomp }

// LibseccompVersion is the release whose syscall tables this build
// carries: it links no libseccomp.
func LibseccompVersion() string { return libseccompVersion() }

func engineNumber(string, Arch) (int32, bool) { return 0, false }

// HaveCompiler says whether this build links libseccomp: without it,
// profiles are read and decided by their rules, and no filter is built.
func HaveCompiler() bool { return false }

// Filter is unavailable without libseccomp.
type Filter struct {
	Cached  bool
	Why     string
	Details []string
}

// HelperMain does nothing: without libseccomp there is no compile
// helper to enter.
func HelperMain() {}

// Compile always fails: this build has no filter compiler.
func Compile(*Profile) (*Filter, error) { return nil, errNoCompiler }

func (*Filter) Install() error           { return errNoCompiler }
func (*Filter) Digest() ([32]byte, bool) { return [32]byte{}, false }
func (*Filter) Len() int                 { return 0 }
func (*Filter) Filters() int             { return 0 }
func (*Filter) Require(...Need) error    { return errNoCompiler }

// EngineProgram needs libseccomp.
func EngineProgram(*Profile, bool) ([]bpf.Insn, error) { return nil, errNoCompiler }

// SyscallNumber resolves a syscall name on arch, with the x32 bit for x32,
// from the tables copied from libseccomp: the number the kernel sees.
func SyscallNumber(name string, arch Arch) (int32, error) {
	nr, ok := tableNumber(name, arch)
	return kernelNumber(name, arch, tableKnown(name), nr, ok)
}

// SyscallNames lists every syscall the tables know on arch.
func SyscallNames(arch Arch) []string { return tableNames(arch) }

// Program is unavailable without libseccomp.
func (*Filter) Program() []bpf.Insn { return nil }

// Analysed is unavailable without libseccomp.
func (*Filter) Analysed() ([]bpf.Insn, bool) { return nil, false }
