package attack

import (
	"sort"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/internal/procstatus"
)

// Report is a full probe run: the process's state and one result per path.
type Report struct {
	// Schema versions the JSON document (docs/probe-json.md).
	Schema string `json:"schema"`
	// RampartVersion is the version of the rampart that probed (set by
	// package probe: attack is a model and knows no build).
	RampartVersion string   `json:"rampartVersion"`
	State          *State   `json:"state"`
	Results        []Result `json:"results"`
	// Pod is set when the probe ran in a Kubernetes container reached from
	// outside (rampart probe --pod); absent for a probe of this process.
	Pod *PodRef `json:"pod,omitempty"`
}

// PodRef names the container a report was taken in, as the API server
// names it.
type PodRef struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
	Node      string `json:"node,omitempty"`
	// From is how the probe got there: "exec" (streamed in over kubectl
	// exec) or "node" (the container has no shell or no directory to
	// write: run from its node in its namespaces, under its layers).
	From string `json:"from"`
}

// SchemaVersion is the JSON schema's identifier.
const SchemaVersion = "rampart.probe/v1"

// State is what a process can read about its own confinement.
type State struct {
	Status *procstatus.Status `json:"-"`
	// Decoded capability sets, Kubernetes spelling.
	CapEff, CapPrm, CapBnd, CapInh, CapAmb []string
	UID, GID                               int
	Groups                                 []int
	NoNewPrivs                             bool
	// Seccomp mode: 0 disabled, 1 strict, 2 filter; Filters is how many.
	Seccomp, SeccompFilters int
	// ActiveLSMs in the kernel's order.
	ActiveLSMs []string
	// AppArmor is this process's label, empty without AppArmor.
	AppArmor string `json:",omitempty"`
	// LandlockABI is the kernel's; whether this process is inside a
	// Landlock domain cannot be read (Landlock has no self-query), so
	// probes infer it from refusals that DAC does not explain.
	LandlockABI int
	// UIDMap is /proc/self/uid_map's lines, fields joined by spaces ("0
	// 0 4294967295" in the host's user namespace).
	UIDMap []string `json:",omitempty"`
	// UserNSOwns are the namespace types (net, mnt, pid, ipc, uts,
	// cgroup) that this process's own user namespace owns, so that its
	// capabilities hold over them (NS_GET_USERNS); read only in a user
	// namespace of its own.
	UserNSOwns []string `json:",omitempty"`
	// Namespaces maps a namespace type to whether it differs from pid 1's
	// (when pid 1's is readable): "private", "host", or "unknown".
	Namespaces map[string]string
	// Container names the runtime this looks like ("docker",
	// "containerd", "cri-o", "podman", "kubernetes"), empty on a host.
	Container string `json:",omitempty"`
	// ContainerEvidence says why.
	ContainerEvidence string `json:",omitempty"`
	// Sysctls that decide paths independently of the three layers.
	Sysctls map[string]string
}

// CapNames spells a capability set as State's lists do: Kubernetes'
// spelling, [] when empty (the report's lists are never null,
// docs/probe-json.md).
func CapNames(s caps.Set) []string {
	if s == 0 {
		return []string{}
	}
	return s.Names(caps.Cap.String)
}

// AppArmorConfined reports whether an AppArmor profile confines us.
func (s *State) AppArmorConfined() bool {
	return s.AppArmor != "" && s.AppArmor != "unconfined"
}

// PathLSMs lists active LSMs that mediate file paths by policy (not yama,
// lockdown or capability), the candidates for a refusal DAC does not
// explain.
func (s *State) PathLSMs() []string {
	var out []string
	for _, l := range s.ActiveLSMs {
		switch l {
		case "apparmor", "landlock", "selinux", "smack", "tomoyo":
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}
