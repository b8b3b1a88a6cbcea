package seccomp

import (
	"embed"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	mobyseccomp "github.com/moby/profiles/seccomp"

	"github.com/rampart-sec/rampart/caps"
)

// Each runtime has its own RuntimeDefault, and it changes between releases:
// containerd 1.6 allows io_uring to everyone and process_vm_readv only with
// CAP_SYS_PTRACE, Docker's current profile the reverse. The profiles of
// containerd and CRI-O releases are kept here as data, in moby's profile
// format (conditions on capabilities, architecture and kernel intact), one
// file per sampled release; runtimedefault/gen/main.go says which and how
// they are made. Docker's is moby/profiles', compiled in.
//
//go:embed runtimedefault/*.json
var runtimeDefaults embed.FS

// Runtimes are the runtime names RuntimeDefaultFor accepts.
var Runtimes = []string{"containerd", "cri-o", "docker"}

// RuntimeDefault is one runtime release's RuntimeDefault profile, before it
// is resolved against a bounding set.
type RuntimeDefault struct {
	// Runtime is containerd, cri-o or docker.
	Runtime string
	// Release is the release the profile is taken from: the newest one
	// modeled at or below the version asked for ("1.6.20"), or for
	// docker the moby/profiles module rampart is built with.
	Release string
	file    string // under runtimeDefaults; "" for docker
}

// String is "containerd 1.6.20".
func (d *RuntimeDefault) String() string { return d.Runtime + " " + d.Release }

// Load resolves the profile against the bounding set the workload will
// have, as the runtime does.
func (d *RuntimeDefault) Load(bounding caps.Set) (*Profile, error) {
	if d.file == "" {
		s, err := mobyseccomp.GetDefaultProfile(specFor(bounding))
		if err != nil {
			return nil, fmt.Errorf("runtime-default profile: %w", err)
		}
		p, err := finish("runtime-default", s, nil)
		if err != nil {
			return nil, err
		}
		p.Bounding = bounding
		p.noteConflict(d)
		return p, nil
	}
	body, err := runtimeDefaults.ReadFile(d.file)
	if err != nil {
		return nil, err
	}
	p, err := parse(d.file, body, bounding)
	if err != nil {
		return nil, fmt.Errorf("runtime-default profile of %s: %w", d, err)
	}
	// lines in an embedded file mean nothing to the user: rules are
	// named by their syscalls[] index, as `seccomp show` prints them
	p.Name, p.loc = "runtime-default", nil
	p.noteConflict(d)
	return p, nil
}

// Docker is Docker's RuntimeDefault, what rampart run, layers and oci use.
var Docker = &RuntimeDefault{Runtime: "docker", Release: mobyVersion()}

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

// RuntimeDefaultFor is the RuntimeDefault of a runtime release. version is
// "" for the newest modeled release, a line ("1.7", "2") for the newest of
// that line, or a release ("1.6.20", "v1.6.20", "1.6.20~ds1") for the newest
// modeled at or below it in its line. Docker has one profile, so no version.
func RuntimeDefaultFor(runtime, version string) (*RuntimeDefault, error) {
	switch runtime {
	case "", "containerd":
		runtime = "containerd"
	case "cri-o", "crio":
		runtime = "cri-o"
	case "docker":
		if version != "" {
			return nil, fmt.Errorf("docker: rampart models one profile, Docker's current (%s); give no version", Docker.Release)
		}
		return Docker, nil
	default:
		return nil, fmt.Errorf("unknown runtime %q: want containerd, cri-o or docker", runtime)
	}
	releases := RuntimeDefaultReleases(runtime)
	want, err := parseVersion(version)
	if err != nil {
		return nil, fmt.Errorf("%s version %q: %w", runtime, version, err)
	}
	var pick string
	for _, r := range releases {
		have, _ := parseVersion(r)
		if matches(have, want) {
			pick = r // releases are oldest first: the last match is the newest
		}
	}
	if pick == "" {
		return nil, fmt.Errorf("%s %s: no RuntimeDefault profile modeled for it; modeled releases: %s", runtime, version, strings.Join(releases, ", "))
	}
	return &RuntimeDefault{Runtime: runtime, Release: pick, file: "runtimedefault/" + runtime + "-" + pick + ".json"}, nil
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

// RuntimeDefaultReleases lists the releases of a runtime whose profiles are
// modeled, oldest first.
func RuntimeDefaultReleases(runtime string) []string {
	entries, _ := runtimeDefaults.ReadDir("runtimedefault")
	var out []string
	for _, e := range entries {
		if v, ok := strings.CutPrefix(strings.TrimSuffix(e.Name(), ".json"), runtime+"-"); ok {
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
