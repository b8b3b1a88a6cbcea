// Package layers runs the attack-path catalog under cumulative
// configurations — baseline, +capabilities, +seccomp, +LSM — and builds
// the matrix of which path each layer closed: the seed article's
// experiment, on any workload.
//
// Each step needs a fresh process: layers are applied to a process by
// itself and last until it exits, and what a workload holds is what it
// gets across execve. Every engine starts that process through one
// internal entry point, rampart re-executed as
//
//	rampart layers-step [--policy FILE] [--only IDS] probe
//	rampart layers-step --policy FILE -- CMD [ARG...]
//
// (StepCommand, StepRequest). FILE is the step's policy as a
// rampart.policy/v1 file (docs/policy-json.md), which the process
// applies to itself as `rampart run` does before it becomes CMD or
// probes. The local engine passes every step's policy that way; the runc
// and kubernetes engines let the runtime apply what it can and pass only
// Landlock rules (runc) or nothing (kubernetes). Nothing else crosses a
// process boundary: the engines call the library, and the report comes
// back as the probe's JSON (docs/probe-json.md).
package layers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/version"
)

// Step names, in order.
const (
	Baseline      = "baseline"
	PlusCaps      = "+capabilities"
	PlusSeccomp   = "+seccomp"
	PlusLSM       = "+lsm"
	PlusUserNS    = "+userns"
	SchemaVersion = "rampart.layers/v1"
)

// Step is one column: a policy with the layers up to this one.
type Step struct {
	Name string `json:"name"`
	// Layer is the layer this step adds ("" for the baseline).
	Layer  string         `json:"layer,omitempty"`
	Policy *policy.Policy `json:"-"`
	// Describe says what the step applies, for people.
	Describe string `json:"describe"`
	// Refused is why the engine's platform would not run this step (a
	// kubelet refusing the Pod), as the platform said it; its cells are
	// NotRun.
	Refused string `json:"refused,omitempty"`
	// Node is the cluster node that ran (or refused) the step's Pods,
	// for an engine whose steps run on nodes (kubernetes).
	Node string `json:"node,omitempty"`
}

// nodeNamer is an engine whose steps run on cluster nodes it can name.
type nodeNamer interface {
	NodeOf(s Step) string
}

// NotRun is the verdict of a cell whose step the platform refused.
const NotRun = "not-run"

// Refused is returned by an Engine when the platform refuses to run a
// step's configuration at all: not an error of rampart's, a finding.
type Refused struct{ Reason string }

func (r *Refused) Error() string { return "refused: " + r.Reason }

// Steps splits p into cumulative steps. The baseline is the workload as
// a container runtime runs it with no securityContext: root, the
// runtime's default capability set (defaultCaps), no seccomp, no LSM.
// Capabilities and the user join at +capabilities, the seccomp profile
// at +seccomp, AppArmor, Landlock rules and scopes at +lsm; a user
// namespace, when p has one, at +userns after them.
func Steps(p *policy.Policy, defaultCaps caps.Set) []Step {
	noNNP := false
	base := &policy.Policy{
		Source:       p.Source,
		Capabilities: &policy.Capabilities{Base: defaultCaps},
		NoNewPrivs:   &noNNP,
	}
	if p.NoNewPrivs != nil {
		v := *p.NoNewPrivs
		base.NoNewPrivs = &v
	}
	withCaps := clone(base)
	if c := p.Capabilities; c != nil {
		cc := *c
		if cc.InheritBase {
			// In a container "what the process has" is the runtime's set.
			cc.InheritBase, cc.Base = false, defaultCaps
		}
		withCaps.Capabilities = &cc
	}
	withCaps.User = p.User
	withSeccomp := clone(withCaps)
	withSeccomp.Seccomp = p.Seccomp
	withLSM := clone(withSeccomp)
	withLSM.AppArmor, withLSM.Landlock, withLSM.LSMFallback = p.AppArmor, p.Landlock, p.LSMFallback
	withLSM.Scope = p.Scope
	steps := []Step{
		{Name: Baseline, Policy: base, Describe: fmt.Sprintf("root, the runtime's %d default capabilities, no seccomp, no LSM", defaultCaps.Len())},
		{Name: PlusCaps, Layer: attack.ByCapabilities, Policy: withCaps, Describe: describeCaps(withCaps, defaultCaps)},
		{Name: PlusSeccomp, Layer: attack.BySeccomp, Policy: withSeccomp, Describe: "seccomp " + p.Seccomp.String()},
		{Name: PlusLSM, Layer: attack.ByLSM, Policy: withLSM, Describe: describeLSM(p)},
	}
	if p.UserNS != nil {
		// Last, on top of the three: what a user namespace closes that
		// the seed's layers left open.
		withUserNS := clone(withLSM)
		withUserNS.UserNS = p.UserNS
		steps = append(steps, Step{Name: PlusUserNS, Layer: attack.ByUserNS, Policy: withUserNS, Describe: "user namespace " + p.UserNS.String()})
	}
	return steps
}

// StepNames are the steps in order, as --steps names them.
var StepNames = []string{Baseline, PlusCaps, PlusSeccomp, PlusLSM, PlusUserNS}

// Select keeps the steps names, in their own order (each is cumulative:
// +seccomp holds the capabilities too). An unknown or repeated name, a
// +userns the policy has no namespace for, or no name at all is an
// error, before anything runs.
func Select(steps []Step, names []string) ([]Step, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("no step named (the steps: %s)", strings.Join(StepNames, ", "))
	}
	want := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if !slices.Contains(StepNames, n) {
			return nil, fmt.Errorf("%q is not a step (the steps: %s)", n, strings.Join(StepNames, ", "))
		}
		if want[n] {
			return nil, fmt.Errorf("step %s named twice", n)
		}
		want[n] = true
	}
	var out []Step
	for _, s := range steps {
		if want[s.Name] {
			out = append(out, s)
			delete(want, s.Name)
		}
	}
	if want[PlusUserNS] {
		return nil, fmt.Errorf("step %s needs a user namespace: --userns, or a policy or manifest that has one (hostUsers: false)", PlusUserNS)
	}
	return out, nil
}

func clone(p *policy.Policy) *policy.Policy {
	c := *p
	return &c
}

func describeCaps(p *policy.Policy, defaults caps.Set) string {
	c := p.Capabilities
	var parts []string
	if c.Base != defaults {
		parts = append(parts, "base {"+c.Base.String()+"}")
	}
	if c.AddAll {
		parts = append(parts, "add ALL")
	}
	if c.DropAll {
		parts = append(parts, "drop ALL")
	}
	if c.Add != 0 {
		parts = append(parts, "add "+c.Add.String())
	}
	if c.Drop != 0 {
		parts = append(parts, "drop "+c.Drop.String())
	}
	if len(parts) == 0 {
		parts = append(parts, "no change")
	}
	s := "capabilities: " + strings.Join(parts, ", ")
	if p.User != nil {
		s += fmt.Sprintf(", user %d:%d", p.User.UID, p.User.GID)
	}
	return s
}

func describeLSM(p *policy.Policy) string {
	var parts []string
	if a := p.AppArmor; a != nil {
		if a.Kind == policy.AppArmorLocalhost {
			parts = append(parts, "AppArmor profile "+a.Name)
		} else {
			parts = append(parts, "AppArmor "+string(a.Kind))
		}
	}
	for _, r := range p.Landlock {
		parts = append(parts, r.String())
	}
	if len(p.Scope) > 0 {
		parts = append(parts, "--scope "+strings.Join(p.Scope, ","))
	}
	if len(parts) == 0 {
		return "no LSM rules"
	}
	return strings.Join(parts, ", ")
}

// Engine runs a step's policy and reports what it observed.
type Engine interface {
	// Name is "local", "runc", ...
	Name() string
	// Probe runs `rampart probe` under the step's policy.
	Probe(ctx context.Context, s Step, ids []string) (*attack.Report, []string, error)
	// Attack runs a shell command under the step's policy; exit status 0
	// means the path is open.
	Attack(ctx context.Context, s Step, shell string) (open bool, detail string, err error)
}

// Cell is one path under one step.
type Cell struct {
	Verdict  string `json:"verdict"`
	Layer    string `json:"layer,omitempty"`
	LSM      string `json:"lsm,omitempty"`
	Errno    string `json:"errno,omitempty"`
	Evidence string `json:"evidence,omitempty"`
}

// Row is one path across the steps.
type Row struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Attack is the shell command of a user-given row.
	Attack string `json:"attack,omitempty"`
	Cells  []Cell `json:"cells"`
	// ClosedAt is the first step where the path is blocked ("" = a gap:
	// open under every step); ClosedBy is the layer the probe credited
	// there.
	ClosedAt string `json:"closedAt,omitempty"`
	ClosedBy string `json:"closedBy,omitempty"`
	LSM      string `json:"lsm,omitempty"`
}

// Summary is what one step closed that the previous ones left open.
type Summary struct {
	Step   string   `json:"step"`
	Closed []string `json:"closed"`
	// Refused is set when the step did not run (see Step.Refused).
	Refused string `json:"refused,omitempty"`
}

// Matrix is a full run.
type Matrix struct {
	Schema string `json:"schema"`
	// RampartVersion is the version of the rampart that wrote this.
	RampartVersion string    `json:"rampartVersion"`
	Policy         string    `json:"policy"`
	Engine         string    `json:"engine"`
	Steps          []Step    `json:"steps"`
	Rows           []Row     `json:"rows"`
	Summary        []Summary `json:"summary"`
	// Gaps are paths open under every step.
	Gaps []string `json:"gaps"`
	// Notes are facts the reader must know (Landlock standing in for
	// AppArmor, rows where the engine's defaults differ).
	Notes []string `json:"notes,omitempty"`
}

// Options tune a run.
type Options struct {
	// Only restricts the catalog to these IDs (nil: all).
	Only []string
	// Attacks are extra rows: shell commands, exit 0 = open.
	Attacks []string
	// Steps keeps only these steps (Select; nil: all).
	Steps []string
}

// Run probes every step with e and builds the matrix.
func Run(ctx context.Context, e Engine, p *policy.Policy, steps []Step, o Options) (*Matrix, error) {
	// Lists are [], never null, in the JSON form (docs/layers-json.md).
	m := &Matrix{Schema: SchemaVersion, RampartVersion: version.Version(), Policy: p.Source, Engine: e.Name(), Steps: steps, Gaps: []string{}}
	reports := make([]*attack.Report, len(steps))
	notes := make([][]string, len(steps))
	attacks := make([][]Cell, len(steps))
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], notes[i], errs[i] = e.Probe(ctx, s, o.Only)
			for _, a := range o.Attacks {
				if errs[i] != nil {
					return
				}
				open, detail, err := e.Attack(ctx, s, a)
				if err != nil {
					errs[i] = err
					return
				}
				c := Cell{Verdict: attack.Open, Evidence: detail}
				if !open {
					c.Verdict = attack.Blocked
				}
				attacks[i] = append(attacks[i], c)
			}
		}()
	}
	wg.Wait()
	if nn, ok := e.(nodeNamer); ok {
		m.Steps = append([]Step(nil), m.Steps...)
		for i := range m.Steps {
			m.Steps[i].Node = nn.NodeOf(steps[i])
		}
	}
	for i, err := range errs {
		var ref *Refused
		if errors.As(err, &ref) {
			m.Steps = append([]Step(nil), m.Steps...)
			m.Steps[i].Refused = ref.Reason
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", steps[i].Name, err)
		}
	}
	seen := map[string]bool{}
	for _, n := range notes {
		for _, s := range n {
			if !seen[s] {
				seen[s] = true
				m.Notes = append(m.Notes, s)
			}
		}
	}
	// The rows come from the first step that ran (--steps may start
	// with one the platform refuses).
	first := slices.IndexFunc(reports, func(r *attack.Report) bool { return r != nil })
	if first < 0 {
		return nil, fmt.Errorf("no step ran: %s", m.Steps[0].Refused)
	}
	for j, res := range reports[first].Results {
		row := Row{ID: res.ID, Title: res.Title}
		for i := range steps {
			if reports[i] == nil {
				row.Cells = append(row.Cells, Cell{Verdict: NotRun, Evidence: m.Steps[i].Refused})
				continue
			}
			r := reports[i].Results[j]
			row.Cells = append(row.Cells, Cell{Verdict: r.Verdict, Layer: r.Layer, LSM: r.LSM, Errno: r.Errno, Evidence: r.Evidence})
		}
		m.Rows = append(m.Rows, row)
	}
	for k, a := range o.Attacks {
		row := Row{ID: fmt.Sprintf("attack-%d", k+1), Title: a, Attack: a}
		for i := range steps {
			if m.Steps[i].Refused != "" {
				row.Cells = append(row.Cells, Cell{Verdict: NotRun, Evidence: m.Steps[i].Refused})
				continue
			}
			c := attacks[i][k]
			if c.Verdict == attack.Blocked && steps[i].Name != Baseline {
				c.Layer = steps[i].Layer
			}
			row.Cells = append(row.Cells, c)
		}
		m.Rows = append(m.Rows, row)
	}
	closed := map[string][]string{}
	for i := range m.Rows {
		row := &m.Rows[i]
		for k, c := range row.Cells {
			if c.Verdict == attack.Blocked {
				row.ClosedAt, row.ClosedBy, row.LSM = steps[k].Name, c.Layer, c.LSM
				if row.Attack != "" {
					row.ClosedBy = steps[k].Layer
					if steps[k].Name == Baseline {
						row.ClosedBy = "baseline"
					}
				}
				closed[steps[k].Name] = append(closed[steps[k].Name], row.ID)
				break
			}
		}
		if row.ClosedAt == "" {
			m.Gaps = append(m.Gaps, row.ID)
		}
	}
	for i, s := range m.Steps {
		ids := append([]string{}, closed[s.Name]...)
		sort.Strings(ids)
		m.Summary = append(m.Summary, Summary{Step: s.Name, Closed: ids, Refused: s.Refused})
		if s.Refused != "" {
			m.Notes = append(m.Notes, fmt.Sprintf("%s did not run: %s; these paths therefore stay open: %s",
				s.Name, s.Refused, strings.Join(openAt(m.Rows, i-1), ", ")))
		}
	}
	return m, nil
}

// openAt lists the rows open under step i.
func openAt(rows []Row, i int) []string {
	var ids []string
	for _, r := range rows {
		if i >= 0 && i < len(r.Cells) && r.Cells[i].Verdict == attack.Open {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Row returns the row for id, or nil.
func (m *Matrix) Row(id string) *Row {
	for i := range m.Rows {
		if m.Rows[i].ID == id {
			return &m.Rows[i]
		}
	}
	return nil
}

// Differences explains, one note per row, where m (a container engine's
// matrix) differs from ref (the local engine's, same policy and steps):
// the container's own defaults — its mount table, namespaces, devices —
// decide those rows, not the policy.
func Differences(m, ref *Matrix) []string {
	var out []string
	for _, r := range m.Rows {
		lr := ref.Row(r.ID)
		if lr == nil {
			continue
		}
		for i, c := range r.Cells {
			lc := lr.Cells[i]
			if c.Verdict == lc.Verdict && c.Layer == lc.Layer {
				continue
			}
			out = append(out, fmt.Sprintf("%s differs from the local engine at %s: in the %s container %s, locally %s",
				r.ID, m.Steps[i].Name, m.Engine, cellWords(c), cellWords(lc)))
			break
		}
	}
	return out
}

func cellWords(c Cell) string {
	if c.Verdict == attack.Open {
		return "open"
	}
	s := "blocked by " + c.Layer
	if c.Evidence != "" {
		s += " (" + c.Evidence + ")"
	}
	return s
}
