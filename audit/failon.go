package audit

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
