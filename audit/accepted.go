package audit

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/audit/accept"
	"github.com/rampart-sec/rampart/kube"
)

// Accepted is a finding of a container that the repository accepted: it
// stays in every report, marked with its reason, and fails no gate,
// unless the acceptance has Expired, when it counts again.
type Accepted struct {
	Rule   string `json:"rule"` // OpenPathRule, PSSRule
	Kind   string `json:"kind"` // accept.KindInSource, KindExternal or KindBaseline
	Reason string `json:"reason"`
	// Source is where the acceptance is written, file:line:col (the
	// baseline's file name).
	Source  string `json:"source"`
	Expires string `json:"expires,omitempty"`
	Expired bool   `json:"expired,omitempty"`
}

// Acceptance is what an Auditor accepts besides the manifests' own
// annotations: a config's entries, a baseline's findings. Now decides
// which entries have expired (zero: the time of Accept).
type Acceptance struct {
	Config   *accept.Config
	Baseline *accept.Baseline
	Now      time.Time
}

// Accept makes the audit mark the findings acc accepts.
func (a *Auditor) Accept(acc Acceptance) {
	if acc.Now.IsZero() {
		acc.Now = time.Now()
	}
	a.accept = acc
}

// Rule IDs, as SARIF's without its "rampart/" prefix.
func OpenPathRule(id string) string { return "open-path/" + id }
func PSSRule(check string) string   { return "pss/" + check }

// KnownRule says whether rule names a finding the audit can make.
func KnownRule(rule string) bool {
	for _, p := range attack.Catalog() {
		if rule == OpenPathRule(p.ID) {
			return true
		}
	}
	for _, id := range CheckIDs() {
		if rule == PSSRule(id) {
			return true
		}
	}
	return false
}

// Fingerprint is a finding's stable name, the same across runs and line
// moves: what SARIF's partialFingerprints and a baseline hold.
func Fingerprint(w *Workload, c *Container, rule string) string {
	return w.Kind + "/" + w.Namespace + "/" + w.Name + "/" + c.Name + "/rampart/" + rule
}

// Findings are the rules a container breaks: its open paths, then its
// failing Pod Security checks.
func (c *Container) Findings() []string {
	var out []string
	for _, id := range c.Open {
		out = append(out, OpenPathRule(id))
	}
	for _, f := range c.PSS.Failures {
		out = append(out, PSSRule(f.Check))
	}
	return out
}

// Acceptance is how a finding of the container is accepted, or nil.
func (c *Container) Acceptance(rule string) *Accepted {
	for i := range c.Accepted {
		if c.Accepted[i].Rule == rule {
			return &c.Accepted[i]
		}
	}
	return nil
}

// accepted says whether a finding is accepted and the acceptance holds.
func (c *Container) accepted(rule string) bool {
	x := c.Acceptance(rule)
	return x != nil && !x.Expired
}

// Fingerprints are the workload's findings' fingerprints, for a
// baseline.
func (w *Workload) Fingerprints() []string {
	var out []string
	for i := range w.Containers {
		c := &w.Containers[i]
		for _, rule := range c.Findings() {
			out = append(out, Fingerprint(w, c, rule))
		}
	}
	return out
}

// mark records on each container of w how its findings are accepted:
// first by the manifest's annotation, then by the config, then by the
// baseline; an expired config entry is kept, as expired, when nothing
// else accepts the finding. A malformed annotation accepts nothing and
// is an error of the document.
func (a *Auditor) mark(r *Report, w *Workload, k kube.Container) {
	var inSource map[string]string
	var pos string
	if v, at, ok := k.Annotation(accept.Annotation); ok {
		m, err := accept.ParseAnnotation(v, KnownRule)
		if err != nil {
			r.Errors = append(r.Errors, DocError{File: w.File, Doc: w.Doc, Message: at + ": " + accept.Annotation + ": " + err.Error()})
		}
		inSource, pos = m, at
	}
	acc := a.accept
	if inSource == nil && acc.Config == nil && acc.Baseline == nil {
		return // nothing to accept: no fingerprint to compute
	}
	for i := range w.Containers {
		c := &w.Containers[i]
		for _, rule := range c.Findings() {
			if c.Acceptance(rule) != nil {
				continue // a PSS check failing at two levels is one finding
			}
			var x *Accepted
			if why, ok := inSource[rule]; ok {
				x = &Accepted{Rule: rule, Kind: accept.KindInSource, Reason: why, Source: pos}
			} else if e := acc.Config.Match(accept.Finding{Rule: rule, File: w.File, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, Container: c.Name}); e != nil {
				x = &Accepted{Rule: rule, Kind: accept.KindExternal, Reason: e.Reason, Source: e.Pos, Expires: e.Expires, Expired: e.Expired(acc.Now)}
			}
			if (x == nil || x.Expired) && acc.Baseline.Has(Fingerprint(w, c, rule)) {
				x = &Accepted{Rule: rule, Kind: accept.KindBaseline, Reason: "in the baseline " + acc.Baseline.File, Source: acc.Baseline.File}
			}
			if x != nil {
				c.Accepted = append(c.Accepted, *x)
			}
		}
	}
}

// LoadAcceptance reads what a command line names: the config file (or,
// when config is "", the one accept.Find finds for args) and the
// baseline file ("" for none). Every error is the user's to fix.
func LoadAcceptance(config, baseline string, args []string) (Acceptance, error) {
	var acc Acceptance
	found := config == ""
	if found {
		f, err := accept.Find(args)
		if err != nil {
			return acc, err
		}
		config = f
	}
	if config != "" {
		c, err := accept.Load(config, KnownRule)
		if err != nil {
			return acc, err
		}
		c.Found = found
		acc.Config = c
	}
	if baseline != "" {
		b, err := accept.ReadBaseline(baseline)
		if err != nil {
			return acc, err
		}
		acc.Baseline = b
	}
	return acc, nil
}

// CheckNode is Node.Check for a node whose facts come from flags and a
// config: a fact the config gave (accept.Config.ApplyNode) is refused
// at its place in the config.
func CheckNode(n *Node, acc Acceptance) error {
	err := n.Check()
	var ne *NodeError
	if errors.As(err, &ne) {
		flag := strings.TrimPrefix(ne.Flag, "--")
		if pos := acc.Config.NodePos(flag); pos != "" {
			return fmt.Errorf("%s: %w", pos, ne.Err)
		}
	}
	return err
}
