// Package fromnode probes a running container from its node, for the
// containers kubectl exec cannot reach (no shell to place the probe with,
// no directory it may write): it finds the container's first process by
// its runtime ID, reads the layers that process runs under from the
// kernel, enters its namespaces and cgroups, takes on those layers, and
// runs rampart's probe there.
//
// What is taken from the process, never from a manifest or the runtime's
// config: capability sets, user, groups, no_new_privs and seccomp mode
// (/proc/PID/status), the seccomp filter stack itself
// (PTRACE_SECCOMP_GET_FILTER, with each filter's LOG flag), the AppArmor
// label, the resource limits and the environment. The process is stopped
// for the microseconds the filters take to read, and released.
//
// It needs what only root on the node has: the host's PID namespace,
// every capability, and no seccomp filter or AppArmor profile of its own
// (a filter of its own would be inherited on top of the container's).
// rampart's node agent keeps its least privilege and never holds this;
// `probe --all` runs it in a short-lived Pod on the node instead
// (agent.ProbePod).
package fromnode

import (
	"fmt"
	"regexp"
	"strings"
)

// idRE is a runtime's container ID: containerd, CRI-O and Docker all use
// 64 hex digits, and only the whole ID is accepted, so that no prefix can
// match another container's cgroup.
var idRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParseID accepts a container ID as the API server reports it
// (status.containerStatuses[].containerID, "containerd://ID") or bare.
func ParseID(s string) (string, error) {
	id := s
	if _, rest, ok := strings.Cut(s, "://"); ok {
		id = rest
	}
	if !idRE.MatchString(id) {
		return "", fmt.Errorf("container ID %q: want the runtime's 64 hex digits, as in a Pod's status.containerStatuses[].containerID (containerd://…)", s)
	}
	return id, nil
}
