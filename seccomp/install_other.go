//go:build !linux || !cgo || !seccomp

package seccomp

import (
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/seccomp/bpf"
)

var errNoCompiler = &features.NotSupportedError{Feature: "seccomp filter", Reason: "this rampart was built without libseccomp (build with -tags seccomp and cgo, as `make` does)"}

func knownSyscall(string) error { return errNoCompiler }

func libseccompVersion() string { return "(none)" }

// LibseccompVersion says there is no libseccomp.
func LibseccompVersion() string { return libseccompVersion() }

func engineNumber(string, Arch) (int32, bool) { return 0, false }

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

// SyscallNumber needs libseccomp's tables.
func SyscallNumber(string, Arch) (int32, error) { return 0, errNoCompiler }

// SyscallNames needs libseccomp's tables.
func SyscallNames(Arch) []string { return nil }

// Program is unavailable without libseccomp.
func (*Filter) Program() []bpf.Insn { return nil }

// Analysed is unavailable without libseccomp.
func (*Filter) Analysed() ([]bpf.Insn, bool) { return nil, false }
