package runtimes

import (
	"fmt"
	"slices"
)

// usernsSince is the first release of each CRI runtime that runs a Pod
// with hostUsers: false: containerd 2.0 (with runc 1.2 or crun 1.9,
// which mount with idmaps), CRI-O 1.25. Docker and Podman are not
// kubelet runtimes.
var usernsSince = map[string][2]int{"containerd": {2, 0}, "cri-o": {1, 25}}

// UserNamespaces says whether the kubelet can start a Pod with
// hostUsers: false on this release, and if not, why (the kubelet's own
// words come from its check of the runtime's features). A release left
// unnamed is the newest modeled, which can.
func (r *Release) UserNamespaces() (bool, string) {
	since, ok := usernsSince[r.Name]
	if !ok {
		return false, fmt.Sprintf("%s is not a runtime the kubelet drives", r.Name)
	}
	if r.Version == "" {
		return true, ""
	}
	v, err := parseVersion(r.Version)
	if err != nil {
		return false, fmt.Sprintf("%s %s: not a release number", r.Name, r.Version)
	}
	if slices.Compare(v, since[:]) >= 0 {
		return true, ""
	}
	return false, fmt.Sprintf("%s %s runs no Pod in a user namespace (%s %d.%d or later does)", r.Name, r.Version, r.Name, since[0], since[1])
}
