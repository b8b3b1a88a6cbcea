package runtimes

import (
	"embed"
	"fmt"
)

// On a node with AppArmor, a container whose pod asks for no profile or
// for RuntimeDefault, and is not privileged, runs under its runtime's
// own profile. containerd's CRI plugin renders one,
// cri-containerd.apparmor.d, from a template in its source on first use
// and loads it; its rules change between releases (1.6's /proc patterns
// match across a '/', and so deny writes to /proc/sys/kernel/shm*, which
// 2.3 allows). The rendered profiles of sampled containerd releases are
// kept here, one file per release; apparmor/gen/main.go says which and
// how they are made.
//
//go:embed apparmor/containerd-*
var appArmorProfiles embed.FS

// CRIContainerdProfile is the name containerd's CRI plugin gives its
// default AppArmor profile.
const CRIContainerdProfile = "cri-containerd.apparmor.d"

// AppArmorRenderedFor says what node the kept profiles are rendered for:
// the facts containerd's template reads. The parser's version decides
// only whether signal and ptrace rules are written (from 2.9.95), so the
// profiles hold for any node with AppArmor 3.
const AppArmorRenderedFor = "apparmor_parser 3.0.8 with Debian 12's /etc/apparmor.d (tunables/global, abstractions/base, abi/3.0), containerd unconfined"

// AppArmor is the profile a runtime release confines a container with
// when the node has AppArmor and the pod asks for none or for
// RuntimeDefault.
type AppArmor struct {
	// Runtime is containerd, cri-o, docker or podman.
	Runtime string
	// Release is the sampled release whose profile this is: the newest
	// modeled at or below the version asked for; "" for the stand-in.
	Release string
	// Name is the profile's name on the node.
	Name string
	// Profile is the policy text as the runtime renders it on the node
	// AppArmorRenderedFor describes; nil where the runtime's own profile
	// is not modeled and rampart's stand-in (AppArmorProfile, made by
	// apparmor.Generate) takes its place.
	Profile []byte
	file    string
}

// Modeled says whether this is the runtime's own profile, not rampart's
// stand-in.
func (a AppArmor) Modeled() bool { return a.Profile != nil }

// String is "containerd 1.6.20's cri-containerd.apparmor.d", or for the
// stand-in "rampart-default (standing in for cri-o's own)".
func (a AppArmor) String() string {
	if !a.Modeled() {
		return a.Name + " (standing in for " + a.Runtime + "'s own, which rampart does not model)"
	}
	return a.Runtime + " " + a.Release + "'s " + a.Name
}

// File names the kept profile, for positions: "containerd-1.6.20".
func (a AppArmor) File() string { return a.file }

// AppArmorFor is the default AppArmor profile of a runtime release.
// version is read as Lookup reads it. containerd's is its own,
// cri-containerd.apparmor.d, as rendered on the node; CRI-O's
// (crio-default) and Docker's (docker-default) are not modeled, and
// rampart's stand-in, AppArmorProfile, made from the same kinds of
// rules, takes their place.
func AppArmorFor(runtime, version string) (AppArmor, error) {
	r, err := Named(runtime)
	if err != nil {
		return AppArmor{}, err
	}
	if r != Containerd {
		return AppArmor{Runtime: r.Name, Name: AppArmorProfile}, nil
	}
	pick, err := pickRelease(r.Name, version, AppArmorReleases(r.Name), "default AppArmor profile")
	if err != nil {
		return AppArmor{}, err
	}
	file := r.Name + "-" + pick
	body, err := appArmorProfiles.ReadFile("apparmor/" + file)
	if err != nil {
		return AppArmor{}, fmt.Errorf("%s %s: %w", r.Name, pick, err)
	}
	return AppArmor{Runtime: r.Name, Release: pick, Name: CRIContainerdProfile, Profile: body, file: file}, nil
}

// AppArmorDefault is the name and policy text of a runtime release's
// default AppArmor profile (AppArmorFor); the text is nil where rampart's
// stand-in takes the runtime's place.
func AppArmorDefault(runtime, version string) (name string, profile []byte, err error) {
	a, err := AppArmorFor(runtime, version)
	return a.Name, a.Profile, err
}

// AppArmorReleases lists the releases of a runtime whose default AppArmor
// profiles are kept, oldest first: containerd's only.
func AppArmorReleases(runtime string) []string {
	entries, _ := appArmorProfiles.ReadDir("apparmor")
	return releasesIn(entries, runtime, "")
}
