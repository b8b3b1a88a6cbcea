package audit

import "slices"

// Fail conditions for Failed, the conditions of audit --fail-on.
const (
	FailOpenPath   = "open-path"
	FailBaseline   = "baseline"
	FailRestricted = "restricted"
)

// Failed says whether the report meets a --fail-on condition.
func (r *Report) Failed(on string) bool {
	if r.failed[on] {
		return true
	}
	for i := range r.Workloads {
		if r.Workloads[i].fails(on) {
			return true
		}
	}
	return false
}

// fails says whether the workload meets a --fail-on condition.
func (w *Workload) fails(on string) bool {
	for i := range w.Containers {
		for _, x := range w.Containers[i].Accepted {
			if !x.Expired {
				return w.failsUnaccepted(on)
			}
		}
	}
	switch on {
	case FailBaseline:
		return w.PSS.Level == LevelPrivileged
	case FailRestricted:
		return w.PSS.Level != LevelRestricted
	case FailOpenPath:
		for _, c := range w.Containers {
			if len(c.Open) > 0 {
				return true
			}
		}
	}
	return false
}

// failsUnaccepted is fails for a workload some of whose findings are
// accepted: only the others count. The pod's level is decided by its
// failing checks, and each container's checks (of the pod with only that
// container) include the pod's own, so the containers' failures that
// are not accepted decide.
func (w *Workload) failsUnaccepted(on string) bool {
	for i := range w.Containers {
		c := &w.Containers[i]
		switch on {
		case FailOpenPath:
			for _, id := range c.Open {
				if !c.accepted(OpenPathRule(id)) {
					return true
				}
			}
		case FailBaseline, FailRestricted:
			for _, f := range c.PSS.Failures {
				if (on == FailRestricted || f.Level == LevelBaseline) && !c.accepted(PSSRule(f.Check)) {
					return true
				}
			}
		}
	}
	// A pod-level failure no container carries (an annotation for a
	// container the pod does not have) can be accepted by none: it
	// counts, or the gate would pass a pod the report calls failing.
	if on == FailBaseline || on == FailRestricted {
		for _, f := range w.PSS.Failures {
			if on == FailBaseline && f.Level != LevelBaseline {
				continue
			}
			if !slices.ContainsFunc(w.Containers, func(c Container) bool {
				return slices.ContainsFunc(c.PSS.Failures, func(g PSSFailure) bool { return g.Check == f.Check })
			}) {
				return true
			}
		}
	}
	return false
}
