package probe

import (
	"syscall"
)

// env is what a probe sees while it runs.
type env struct {
	state *State
}

// Report is a full probe run: the process's state and one result per path.
type Report struct {
	// Schema versions the JSON document (docs/probe-json.md).
	Schema  string   `json:"schema"`
	State   *State   `json:"state"`
	Results []Result `json:"results"`
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
}

// SchemaVersion is the JSON schema's identifier.
const SchemaVersion = "rampart.probe/v1"

// Run probes the given paths (all when nil) and attributes each result.
func Run(paths []*Path) (*Report, error) {
	st, err := ReadState()
	if err != nil {
		return nil, err
	}
	if paths == nil {
		paths = Catalog()
	}
	rep := &Report{Schema: SchemaVersion, State: st}
	e := &env{state: st}
	for _, p := range paths {
		rep.Results = append(rep.Results, Attribute(p, runOne(p, e), st))
	}
	return rep, nil
}

func runOne(p *Path, e *env) Outcome {
	var o Outcome
	if p.child != nil {
		o = inChild(p)
	} else {
		o = p.run(e)
	}
	// A path of several variants has run each one's canary already.
	if !o.Open && o.Absent == "" && p.canary != nil && e.state.Seccomp == 2 && o.CanaryErrno == nil {
		// 0: the canary could not tell here (an old kernel, a closed gate)
		if c := p.canary(); c != 0 {
			o.CanaryErrno = &c
		}
	}
	return o
}

// errnoOf extracts the errno of a syscall error.
func errnoOf(err error) syscall.Errno {
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	return 0
}
