package runtimes

import (
	"embed"
	"fmt"
	"io/fs"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
)

// Each runtime has its own RuntimeDefault, and it changes between releases:
// containerd 1.6 allows io_uring to everyone and process_vm_readv only with
// CAP_SYS_PTRACE, Docker's current profile the reverse. The profiles of
// containerd and CRI-O releases are kept here as data, in moby's profile
// format (conditions on capabilities, architecture and kernel intact), one
// file per sampled release; seccomp/gen/main.go says which and how they
// are made. Docker's is moby/profiles', compiled into the seccomp package.
//
//go:embed seccomp/*.json
var seccompProfiles embed.FS

// Seccomp is one runtime release's RuntimeDefault seccomp profile, before
// the seccomp package resolves it against a bounding set.
type Seccomp struct {
	// Runtime is containerd, cri-o, docker or podman.
	Runtime string
	// Release is the release the profile is taken from: the newest one
	// modeled at or below the version asked for ("1.6.20"), or for
	// docker the moby/profiles module rampart is built with.
	Release string
	file    string // under seccompProfiles; "" for docker
}

// String is "containerd 1.6.20".
func (s Seccomp) String() string { return s.Runtime + " " + s.Release }

// Profile is the profile's file, in moby's format, and its name for
// messages; nil for docker, whose profile is moby/profiles' Go code.
func (s Seccomp) Profile() (name string, body []byte, err error) {
	if s.file == "" {
		return "", nil, nil
	}
	body, err = seccompProfiles.ReadFile(s.file)
	return s.file, body, err
}

// dockerSeccomp is Docker's RuntimeDefault: one profile, the moby/profiles
// module rampart is built with.
var dockerSeccomp = Seccomp{Runtime: "docker", Release: mobyVersion()}

func mobyVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/moby/profiles/seccomp" {
				return "moby/profiles " + d.Version
			}
		}
	}
	return "moby/profiles"
}

// seccompFor is the RuntimeDefault of a runtime release. version is "" for
// the newest modeled release, a line ("1.7", "2") for the newest of that
// line, or a release ("1.6.20", "v1.6.20", "1.6.20~ds1") for the newest
// modeled at or below it in its line. Docker has one profile, so no
// version.
func seccompFor(runtime, version string) (Seccomp, error) {
	if runtime == Docker.Name {
		if version != "" {
			return Seccomp{}, fmt.Errorf("docker: rampart models one profile, Docker's current (%s); give no version", dockerSeccomp.Release)
		}
		return dockerSeccomp, nil
	}
	pick, err := pickRelease(runtime, version, SeccompReleases(runtime), "RuntimeDefault profile")
	if err != nil {
		return Seccomp{}, err
	}
	return Seccomp{Runtime: runtime, Release: pick, file: "seccomp/" + runtime + "-" + pick + ".json"}, nil
}

// pickRelease is the release of releases (oldest first) that stands for
// version: the newest in version's line at or below it; what names what
// is modeled, for the error.
func pickRelease(runtime, version string, releases []string, what string) (string, error) {
	want, err := parseVersion(version)
	if err != nil {
		return "", fmt.Errorf("%s version %q: %w", runtime, version, err)
	}
	var pick string
	for _, r := range releases {
		have, _ := parseVersion(r)
		if matches(have, want) {
			pick = r // releases are oldest first: the last match is the newest
		}
	}
	if pick == "" {
		return "", fmt.Errorf("%s %s: no %s modeled for it; modeled releases: %s", runtime, version, what, strings.Join(releases, ", "))
	}
	return pick, nil
}

// matches says whether the modeled release have stands for want: the same
// line, and at or below want's patch release when it names one.
func matches(have, want []int) bool {
	for i, w := range want {
		h := 0 // a modeled line ("1.31") stands for all its releases
		if i < len(have) {
			h = have[i]
		}
		if i == 2 {
			return h <= w
		}
		if h != w {
			return false
		}
	}
	return true
}

// SeccompReleases lists the releases of a runtime whose RuntimeDefault
// profiles are kept as files, oldest first: none for Docker, whose one
// profile is compiled in.
func SeccompReleases(runtime string) []string {
	entries, _ := seccompProfiles.ReadDir("seccomp")
	return releasesIn(entries, runtime, ".json")
}

// releasesIn are the releases of runtime among files named
// RUNTIME-RELEASE+suffix, oldest first.
func releasesIn(entries []fs.DirEntry, runtime, suffix string) []string {
	var out []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), suffix)
		if !ok || e.IsDir() {
			continue
		}
		if v, ok := strings.CutPrefix(name, runtime+"-"); ok {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		va, _ := parseVersion(a)
		vb, _ := parseVersion(b)
		return slices.Compare(va, vb)
	})
	return out
}

// parseVersion reads up to three numbers, ignoring a "v" before and a
// distribution's suffix after ("1.6.20~ds1", "2.0.0-rc.1").
func parseVersion(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); i >= 0 {
		s = s[:i]
	}
	var v []int
	for _, f := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		n, err := strconv.Atoi(f)
		if err != nil || len(v) == 3 {
			return nil, fmt.Errorf("want MAJOR[.MINOR[.PATCH]]")
		}
		v = append(v, n)
	}
	return v, nil
}
