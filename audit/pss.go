package audit

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"

	"github.com/rampart-sec/rampart/kube"
)

// PSS is a Pod Security Standards result, computed with the checks of
// k8s.io/pod-security-admission at their latest version.
type PSS struct {
	// Level is the most restrictive level the pod (or, for a container,
	// the pod with only that container) meets: privileged, baseline or
	// restricted.
	Level string `json:"level"`
	// Failures are the failing checks: baseline checks first, then
	// restricted ones (a restricted check that supersedes a baseline one,
	// such as capabilities_restricted, can fail alongside it).
	Failures []PSSFailure `json:"failures"`
}

// PSSFailure is one failing check.
type PSSFailure struct {
	Check  string `json:"check"`
	Level  string `json:"level"` // the level it belongs to: baseline or restricted
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
	// Pos is the field to change, file:line:col.
	Pos string `json:"position"`
}

// PSS levels.
const (
	LevelPrivileged = string(psaapi.LevelPrivileged)
	LevelBaseline   = string(psaapi.LevelBaseline)
	LevelRestricted = string(psaapi.LevelRestricted)
)

type pssCheck struct {
	id         string
	level      psaapi.Level
	fn         psapolicy.CheckPodFn
	overridden bool // a restricted check supersedes it at the restricted level
}

type pssChecker struct {
	checks    []pssCheck
	evaluator psapolicy.Evaluator
}

func newPSSChecker() (*pssChecker, error) {
	all := psapolicy.DefaultChecks()
	ev, err := psapolicy.NewEvaluator(all, nil)
	if err != nil {
		return nil, fmt.Errorf("pod security checks: %w", err)
	}
	overridden := map[psapolicy.CheckID]bool{}
	var out []pssCheck
	for _, c := range all {
		v := c.Versions[len(c.Versions)-1]
		for _, o := range v.OverrideCheckIDs {
			overridden[o] = true
		}
		out = append(out, pssCheck{id: string(c.ID), level: c.Level, fn: v.CheckPod})
	}
	for i := range out {
		out[i].overridden = overridden[psapolicy.CheckID(out[i].id)]
	}
	// Baseline checks first, then restricted, by ID: the registry's order.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].level != out[j].level {
			return out[i].level == psaapi.LevelBaseline
		}
		return out[i].id < out[j].id
	})
	return &pssChecker{checks: out, evaluator: ev}, nil
}

// CheckIDs lists the checks, baseline first.
func CheckIDs() []string {
	c, err := newPSSChecker()
	if err != nil {
		return nil
	}
	var ids []string
	for _, x := range c.checks {
		ids = append(ids, x.id)
	}
	return ids
}

// CheckLevels maps each check to the Pod Security level it belongs to:
// baseline or restricted.
func CheckLevels() map[string]string {
	c, err := newPSSChecker()
	if err != nil {
		return nil
	}
	m := map[string]string{}
	for _, x := range c.checks {
		m[x.id] = string(x.level)
	}
	return m
}

// pod evaluates c's pod; with only set, the pod holding that container
// alone (pod-level fields still count).
func (p *pssChecker) pod(c kube.Container, only *corev1.Container) PSS {
	spec := c.Pod
	if only != nil {
		s := *c.Pod
		s.Containers, s.InitContainers, s.EphemeralContainers = []corev1.Container{*only}, nil, nil
		spec = &s
	}
	meta := c.Meta
	if only != nil {
		// Per-container annotations of the other containers are theirs:
		// the AppArmor check reads every such annotation, whatever the
		// containers, and would charge this one with a sibling's
		// unconfined profile.
		meta.Annotations = map[string]string{}
		for k, v := range c.Meta.Annotations {
			if ctr, ok := perContainer(k); !ok || ctr == only.Name {
				meta.Annotations[k] = v
			}
		}
	}
	res := PSS{Level: LevelRestricted, Failures: []PSSFailure{}}
	baselineFails := false
	restrictedFails := false
	for _, ch := range p.checks {
		r := ch.fn(&meta, spec)
		if r.Allowed {
			continue
		}
		if ch.level == psaapi.LevelBaseline {
			baselineFails = true
		} else {
			restrictedFails = true
		}
		res.Failures = append(res.Failures, PSSFailure{Check: ch.id, Level: string(ch.level), Reason: r.ForbiddenReason, Detail: r.ForbiddenDetail, Pos: pssPos(c, ch.id)})
	}
	switch {
	case baselineFails:
		res.Level = LevelPrivileged
	case restrictedFails:
		res.Level = LevelBaseline
	}
	return res
}

// perContainer is the container a per-container annotation names.
func perContainer(key string) (string, bool) {
	for _, prefix := range []string{corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix, corev1.SeccompContainerAnnotationKeyPrefix} {
		if name, ok := strings.CutPrefix(key, prefix); ok {
			return name, true
		}
	}
	return "", false
}

// agrees cross-checks a level against the module's own evaluator.
func (p *pssChecker) agrees(c kube.Container, level string) error {
	lv := func(l psaapi.Level) bool {
		ok := true
		for _, r := range p.evaluator.EvaluatePod(psaapi.LevelVersion{Level: l, Version: psaapi.LatestVersion()}, &c.Meta, c.Pod) {
			ok = ok && r.Allowed
		}
		return ok
	}
	want := LevelPrivileged
	switch {
	case lv(psaapi.LevelRestricted):
		want = LevelRestricted
	case lv(psaapi.LevelBaseline):
		want = LevelBaseline
	}
	if want != level {
		return fmt.Errorf("level %s, the evaluator says %s", level, want)
	}
	return nil
}

// pssPos is where a check's field is written for c, or the nearest
// written ancestor.
func pssPos(c kube.Container, id string) string {
	switch id {
	case "privileged":
		return c.Pos("securityContext", "privileged")
	case "allowPrivilegeEscalation":
		return c.Pos("securityContext", "allowPrivilegeEscalation")
	case "capabilities_baseline", "capabilities_restricted":
		return c.Pos("securityContext", "capabilities")
	case "runAsNonRoot":
		return c.Pos("securityContext", "runAsNonRoot")
	case "runAsUser":
		return c.Pos("securityContext", "runAsUser")
	case "seccompProfile_baseline", "seccompProfile_restricted":
		return c.Pos("securityContext", "seccompProfile")
	case "appArmorProfile":
		return c.Pos("securityContext", "appArmorProfile")
	case "procMount_baseline", "procMount_restricted":
		return c.Pos("securityContext", "procMount")
	case "seLinuxOptions":
		return c.Pos("securityContext", "seLinuxOptions")
	case "windowsHostProcess":
		return c.Pos("securityContext", "windowsOptions")
	case "hostPorts":
		return c.Pos("ports")
	case "hostProbesAndhostLifecycle":
		return c.Pos("livenessProbe")
	case "hostNamespaces":
		for _, f := range []string{"hostNetwork", "hostPID", "hostIPC"} {
			if c.Pod != nil && (f == "hostNetwork" && c.Pod.HostNetwork || f == "hostPID" && c.Pod.HostPID || f == "hostIPC" && c.Pod.HostIPC) {
				return c.PodPos(f)
			}
		}
		return c.PodPos()
	case "hostPathVolumes", "restrictedVolumes":
		return c.PodPos("volumes")
	case "sysctls":
		return c.PodPos("securityContext", "sysctls")
	}
	return c.Pos("securityContext")
}
