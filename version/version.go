// Package version says which rampart this is: its version and commit
// (stamped by `make build`, else as the Go toolchain recorded them), the
// Go and libseccomp it was built with, and, on request, what the running
// kernel offers each layer. Every report rampart writes names the same
// version, so a result can be traced to the build that made it.
package version

import (
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/seccomp"
)

// Set at link time by `make build`:
//
//	-X github.com/rampart-sec/rampart/version.stamped=$(git describe --tags --always --dirty)
//	-X github.com/rampart-sec/rampart/version.stampedCommit=$(git rev-parse HEAD)
var stamped, stampedCommit string

// Devel is the version of a build nothing stamped and Go recorded no
// module version for (a `go build` or `go test` in a work tree). It
// starts with a number: SARIF consumers compare versions.
const Devel = "0.0.0-devel"

// URL is rampart's home, where its docs are.
const URL = "https://github.com/rampart-sec/rampart"

// Version is this build's version without a leading "v": the stamped
// one, else the module version `go install ...@v1.2.3` records, else
// Devel.
func Version() string {
	if stamped != "" {
		return strings.TrimPrefix(stamped, "v")
	}
	if bi, ok := debug.ReadBuildInfo(); ok && strings.HasPrefix(bi.Main.Version, "v") {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return Devel
}

// semver is Semantic Versioning 2.0.0's grammar (semver.org's regular
// expression).
var semver = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
})

// Semantic is Version when it is a semantic version, else "" (a build
// from an untagged tree is stamped with a bare commit hash).
func Semantic() string {
	if v := Version(); semver().MatchString(v) {
		return v
	}
	return ""
}

// Commit is the commit this build was made from, with "-dirty" when the
// tree had changes; "" when nothing recorded it.
func Commit() string {
	if stampedCommit != "" {
		return stampedCommit
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

// Schema names the JSON form of an Info (docs/version-json.md).
const Schema = "rampart.version/v1"

// Info is what `rampart version` prints.
type Info struct {
	Schema     string `json:"schema"`
	Version    string `json:"version"`
	Commit     string `json:"commit,omitempty"`
	Go         string `json:"go"`
	Platform   string `json:"platform"`
	Libseccomp string `json:"libseccomp"`
	// Kernel is there only when asked for: probing it costs syscalls.
	Kernel *Kernel `json:"kernel,omitempty"`
}

// Kernel is what the running kernel offers each layer. A field that
// says "" or lists nothing has its reason in Missing.
type Kernel struct {
	Release     string   `json:"release"`
	LSMs        []string `json:"lsms"`
	LandlockABI int      `json:"landlockABI"`
	AppArmor    bool     `json:"apparmor"`
	BPFLSM      bool     `json:"bpfLSM"`
	// IA32 says i386 programs run (x86-64 only): their system calls
	// are a way past a seccomp filter written for x86-64 alone.
	IA32           bool              `json:"ia32"`
	SeccompFilter  bool              `json:"seccompFilter"`
	SeccompActions []string          `json:"seccompActions"`
	Missing        map[string]string `json:"missing,omitempty"`
}

// Get describes this build, and with kernel the running kernel too.
func Get(kernel bool) Info {
	i := Info{Schema: Schema, Version: Version(), Commit: Commit(), Go: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Libseccomp: seccomp.LibseccompVersion()}
	if kernel {
		i.Kernel = probeKernel()
	}
	return i
}

func probeKernel() *Kernel {
	k := &Kernel{Release: features.KernelRelease(), LSMs: []string{}, SeccompActions: []string{}, Missing: map[string]string{}}
	miss := func(what string, err error) bool {
		if err != nil {
			k.Missing[what] = err.Error()
		}
		return err == nil
	}
	if l, err := features.ActiveLSMs(); miss("lsms", err) {
		k.LSMs = l
	}
	if v, err := features.LandlockABI(); miss("landlock", err) {
		k.LandlockABI = v
	}
	k.AppArmor = miss("apparmor", features.HaveAppArmor())
	k.BPFLSM = miss("bpfLSM", features.HaveBPFLSM())
	k.IA32 = miss("ia32", features.HaveIA32())
	k.SeccompFilter = miss("seccompFilter", features.HaveSeccompFilter())
	if a, err := features.SeccompActions(); miss("seccompActions", err) {
		k.SeccompActions = a
	}
	if len(k.Missing) == 0 {
		k.Missing = nil
	}
	return k
}
