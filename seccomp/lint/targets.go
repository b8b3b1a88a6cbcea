package lint

import (
	"fmt"
	"os"
	"strings"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp"
)

// Targets reads one PROFILE argument: a file, runtime-default (Docker's,
// what rampart run loads), runtime-default:RUNTIME[@VERSION] for a
// runtime's own release (runtimes.Lookup), or runtime-default:all for
// every release modeled. A runtime's profile is resolved against that
// runtime's default capabilities, a file against containerd's, unless
// bounding says otherwise. An error is in the argument itself; a profile
// that cannot be read is a Target whose Err says why.
func Targets(arg string, bounding *caps.Set) ([]Target, error) {
	return TargetsOn(seccomp.DefaultPlatform(), arg, bounding)
}

// TargetsOn is Targets with the profiles resolved for a host of plat.
func TargetsOn(plat seccomp.Platform, arg string, bounding *caps.Set) ([]Target, error) {
	spec, ok := strings.CutPrefix(arg, "runtime-default")
	if !ok || (spec != "" && !strings.HasPrefix(spec, ":")) {
		return []Target{FileOn(plat, arg, bounding)}, nil
	}
	spec = strings.TrimPrefix(spec, ":")
	var rels []*runtimes.Release
	add := func(name, version string) error {
		r, err := runtimes.Lookup(name, version)
		if err != nil {
			return fmt.Errorf("%s: %w", arg, err)
		}
		rels = append(rels, r)
		return nil
	}
	switch {
	case spec == "":
		if err := add(runtimes.Docker.Name, ""); err != nil {
			return nil, err
		}
	case spec == "all":
		if err := add(runtimes.Docker.Name, ""); err != nil {
			return nil, err
		}
		for _, rt := range runtimes.All {
			for _, v := range runtimes.SeccompReleases(rt.Name) {
				if err := add(rt.Name, v); err != nil {
					return nil, err
				}
			}
		}
	default:
		rt, version, _ := strings.Cut(spec, "@")
		if err := add(rt, version); err != nil {
			return nil, err
		}
	}
	var out []Target
	for _, r := range rels {
		b := r.Caps
		if bounding != nil {
			b = *bounding
		}
		name := "runtime-default"
		if arg != "runtime-default" {
			name = "runtime-default:" + r.Name + "@" + strings.TrimPrefix(r.Seccomp.Release, "moby/profiles ")
			if r.Runtime == runtimes.Docker {
				name = "runtime-default:docker"
			}
		}
		p, err := (&seccomp.RuntimeDefault{Seccomp: r.Seccomp}).LoadOn(plat, b)
		out = append(out, Target{Name: name, Runtime: r.Seccomp.String(), Profile: p, Err: err})
	}
	return out, nil
}

// File reads a profile file, keeping rules that conflict (lint reports
// them), resolved against bounding or, when nil, containerd's default
// capabilities.
func File(path string, bounding *caps.Set) Target {
	return FileOn(seccomp.DefaultPlatform(), path, bounding)
}

// FileOn is File with the profile resolved for a host of plat.
func FileOn(plat seccomp.Platform, path string, bounding *caps.Set) Target {
	b := runtimes.Containerd.Caps
	if bounding != nil {
		b = *bounding
	}
	t := Target{Name: path}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Err = err
		return t
	}
	t.Profile, t.Err = seccomp.ParseAllOn(plat, path, body, b)
	return t
}
