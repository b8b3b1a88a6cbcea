// Package sandbox is rampart's launcher: it turns a policy.Policy into a
// Plan (everything resolved and checked, nothing applied), then applies
// the layers to the calling thread in runc's order, reads back what the
// kernel holds, and execs the workload. It fails closed: a layer that was
// asked for and cannot be applied stops the launch before the workload
// runs, with an error that names the layer.
package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/rampart-sec/rampart/caps"
	"github.com/rampart-sec/rampart/features"
	"github.com/rampart-sec/rampart/internal/procstatus"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/lsm/landlock"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
	"github.com/rampart-sec/rampart/seccomp"
)

// Aliases of the policy vocabulary, for callers that only import sandbox.
const (
	LayerCapabilities = policy.LayerCapabilities
	LayerSeccomp      = policy.LayerSeccomp
	LayerAppArmor     = policy.LayerAppArmor
	LayerLandlock     = policy.LayerLandlock
	LayerUser         = policy.LayerUser
	LayerNoNewPrivs   = policy.LayerNoNewPrivs
	LayerExec         = policy.LayerExec
)

// LayerError is policy.LayerError.
type LayerError = policy.LayerError

var refuse = policy.Refuse

// CapSets are the five capability sets the workload is given.
type CapSets = caps.Sets

// Plan is a launch with every layer resolved against this machine and
// checked, before anything is applied.
type Plan struct {
	Policy *policy.Policy

	Caps       *CapSets // nil: capabilities untouched
	User       *policy.User
	NoNewPrivs bool
	noNNP      bool             // no_new_privs explicitly off: verified off
	Seccomp    *seccomp.Profile // nil: no filter
	filter     *seccomp.Filter

	AppArmorProfile string // profile to attach at exec
	AppArmorLoad    string // file to load with apparmor_parser -r first
	appArmorTemp    bool   // AppArmorLoad is ours, removed once loaded

	Landlock *landlock.Plan
	// LandlockFor says what the Landlock rules stand for: "filesystem
	// rules", or the AppArmor profile they replace.
	LandlockFor string
	ruleset     *landlock.Ruleset

	// AfterExec is what the kernel leaves CMD after execve (see
	// caps.Sets.Exec), and AfterExecWhy says what decided it.
	AfterExec    caps.Sets
	AfterExecWhy string
	cmdUID       int // CMD's effective uid after execve

	Path string   // resolved executable
	Argv []string // argv[0] as given
	Env  []string

	// PreserveFDs keeps descriptors 3 to 3+PreserveFDs-1 open in the
	// workload (runc's --preserve-fds); every other one above stderr is
	// closed at exec.
	PreserveFDs int

	// Notes are facts the user must be told (a fallback, a resolution);
	// Details are for -v.
	Notes, Details []string
}

// Prepare resolves p for running argv and checks every layer can be
// applied. It changes nothing in the kernel except creating (not
// enforcing) a Landlock ruleset; Close releases it.
func Prepare(p *policy.Policy, argv []string, env []string) (*Plan, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command to run")
	}
	pl := &Plan{Policy: p, Argv: argv, Env: env}
	self, err := procstatus.Self()
	if err != nil {
		return nil, fmt.Errorf("reading own status: %w", err)
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, &LayerError{Layer: LayerExec, Err: err}
	}
	pl.Path = path

	if err := pl.prepareCaps(self); err != nil {
		return nil, err
	}
	if p.User != nil {
		if p.User.UID < 0 || p.User.GID < 0 {
			return nil, refuse(LayerUser, "uid and gid must not be negative")
		}
		if !self.CapEff.Has(caps.SETUID) || !self.CapEff.Has(caps.SETGID) {
			return nil, refuse(LayerUser, "changing to %d:%d needs CAP_SETUID and CAP_SETGID (run rampart as root)", p.User.UID, p.User.GID)
		}
		pl.User = p.User
	}

	bounding := self.CapBnd
	if pl.Caps != nil {
		bounding = pl.Caps.Bounding
	}
	if p.Seccomp.Enabled() {
		if err := features.HaveSeccompFilter(); err != nil {
			return nil, &LayerError{Layer: LayerSeccomp, Err: err}
		}
		prof, err := seccomp.Load(p.Seccomp, bounding)
		if err != nil {
			return nil, &LayerError{Layer: LayerSeccomp, Err: err}
		}
		pl.Seccomp = prof
		if pl.filter, err = seccomp.Compile(prof); err != nil {
			return nil, &LayerError{Layer: LayerSeccomp, Err: err}
		}
		if !pl.filter.Cached {
			pl.Details = append(pl.Details, "seccomp: compiled at launch ("+pl.filter.Why+")")
		}
		pl.Details = append(pl.Details, pl.filter.Details...)
		pl.Details = append(pl.Details, prof.Details...)
		if p.Seccomp.Kind == policy.SeccompRuntimeDefault {
			// rampart's own choice of profile: its resolution is detail
			pl.Details = append(pl.Details, prof.Notes...)
		} else {
			pl.Notes = append(pl.Notes, prof.Notes...)
		}
	}

	fsRules := append([]policy.FSRule(nil), p.Landlock...)
	if len(fsRules) > 0 {
		pl.LandlockFor = "filesystem rules"
	}
	var fallback []policy.FSRule
	if p.AppArmor != nil {
		extra, err := pl.prepareAppArmor(p.AppArmor, p.LSMFallback)
		if err != nil {
			return nil, err
		}
		fsRules = append(fsRules, extra...)
		fallback = extra
	}
	// no_new_privs: on by default with seccomp or Landlock (the AppArmor
	// fallback's rules included); an explicit =false is honoured, never
	// silently overridden: the kernel then wants CAP_SYS_ADMIN to load
	// either, which rampart still holds when it does.
	explicitOff := p.NoNewPrivs != nil && !*p.NoNewPrivs
	pl.NoNewPrivs = p.WantsNoNewPrivs() || (len(fsRules) > 0 && !explicitOff)
	pl.noNNP = explicitOff
	if explicitOff && self.NoNewPrivs {
		return nil, refuse(LayerNoNewPrivs, "--no-new-privs=false: rampart itself already runs with no_new_privs (inherited from its parent), which cannot be cleared")
	}
	if explicitOff && (len(fsRules) > 0 || len(p.Scope) > 0) && !self.CapEff.Has(caps.SYS_ADMIN) {
		return nil, refuse(LayerNoNewPrivs, "Landlock needs no_new_privs unless the launcher has CAP_SYS_ADMIN")
	}
	if !pl.NoNewPrivs && pl.Seccomp != nil && !self.CapEff.Has(caps.SYS_ADMIN) {
		return nil, refuse(LayerSeccomp, "loading a filter without no_new_privs needs CAP_SYS_ADMIN (drop --no-new-privs=false or run as root)")
	}
	if pl.Seccomp != nil {
		a := cmdArch(pl.Path)
		if err := pl.filter.Require(pl.seccompNeeds(a)...); err != nil {
			return nil, &LayerError{Layer: LayerSeccomp, Err: err}
		}
		if !pl.Seccomp.Covers(a) {
			pl.Notes = append(pl.Notes, fmt.Sprintf("%s makes %s system calls, an ABI the seccomp profile does not cover: the kernel kills it at its first call (SIGSYS)", pl.Path, a.Name))
		}
	}
	if err := pl.predictExec(self); err != nil {
		return nil, err
	}
	if err := pl.checkMetadata(p.Landlock, fallback); err != nil {
		return nil, err
	}
	if len(fsRules) > 0 || len(p.Scope) > 0 {
		if len(fsRules) > 0 {
			var notes []string
			fsRules, notes, err = landlock.WithRoutes(fsRules, p.AllowDevices, landlock.OSFS{})
			if err != nil {
				return nil, &LayerError{Layer: LayerLandlock, Err: err}
			}
			pl.Notes = append(pl.Notes, notes...)
			pl.noteCapabilityRoutes(fsRules)
		}
		lp, err := landlock.Compile(fsRules, landlock.OSFS{})
		if err != nil {
			return nil, &LayerError{Layer: LayerLandlock, Err: err}
		}
		// A scope word the policy layer let through and landlock does
		// not know would close one kind of IPC fewer than asked.
		scope, ok := landlock.ScopeOf(p.Scope)
		if !ok {
			return nil, refuse(LayerLandlock, "scope %q: want %s", p.Scope, strings.Join(policy.Scopes, ", "))
		}
		lp.AddScope(scope)
		if scope != 0 {
			if pl.LandlockFor == "" {
				pl.LandlockFor = "scope " + scope.String()
			} else {
				pl.LandlockFor += " and scope " + scope.String()
			}
		}
		rs, err := landlock.Prepare(lp)
		if err != nil {
			return nil, &LayerError{Layer: LayerLandlock, Err: err}
		}
		pl.Landlock, pl.ruleset = lp, rs
		pl.Notes = append(pl.Notes, lp.Notes...)
	}
	return pl, nil
}

func (pl *Plan) prepareCaps(self *procstatus.Status) error {
	c := pl.Policy.Capabilities
	if c == nil {
		return nil
	}
	supported, err := caps.Supported()
	if err != nil {
		return &LayerError{Layer: LayerCapabilities, Err: err}
	}
	// ALL can only mean what this process can still hand down.
	want := c.Resolve(self.CapBnd, supported.Intersect(self.CapBnd))
	if missing := want.Minus(supported); missing != 0 {
		return refuse(LayerCapabilities, "this kernel does not know %s", missing)
	}
	if missing := want.Minus(self.CapBnd); missing != 0 {
		return refuse(LayerCapabilities, "%s not in rampart's own bounding set (%s); a process cannot gain a capability its parent lacks", missing, strings.Join(self.CapBnd.Names(caps.Cap.String), ","))
	}
	if missing := want.Minus(self.CapPrm); missing != 0 {
		return refuse(LayerCapabilities, "granting %s needs them in rampart's permitted set (run rampart as root)", missing)
	}
	if dropped := self.CapBnd.Minus(want); dropped != 0 && !self.CapEff.Has(caps.SETPCAP) {
		return refuse(LayerCapabilities, "dropping %s from the bounding set needs CAP_SETPCAP (run rampart as root)", dropped)
	}
	s := &CapSets{Bounding: want, Effective: want, Permitted: want}
	if c.Ambient {
		s.Inheritable, s.Ambient = want, want
	}
	pl.Caps = s
	return nil
}

// prepareAppArmor decides how the AppArmor reference is enforced: by
// AppArmor, or by Landlock when the kernel has no AppArmor and the user
// allowed the fallback. It returns the Landlock rules of a fallback.
func (pl *Plan) prepareAppArmor(a *policy.AppArmor, fallback string) ([]policy.FSRule, error) {
	where := func() string {
		if a.Origin != "" {
			return a.Origin + ": "
		}
		return ""
	}
	if a.Kind == policy.AppArmorUnconfined {
		return nil, nil
	}
	haveErr := features.HaveAppArmor()
	if haveErr == nil {
		switch a.Kind {
		case policy.AppArmorRuntimeDefault:
			// The runtimes generate and load their default profile on the
			// node; rampart does the same with its container defaults.
			doc, err := apparmor.Generate(apparmor.Options{Name: runtimes.AppArmorProfile, ContainerDefault: true})
			if err != nil {
				return nil, &LayerError{Layer: LayerAppArmor, Err: err}
			}
			f, err := os.CreateTemp("", runtimes.AppArmorProfile+"-*.apparmor")
			if err != nil {
				return nil, &LayerError{Layer: LayerAppArmor, Err: err}
			}
			_, werr := f.WriteString(doc.Render())
			if cerr := f.Close(); werr != nil || cerr != nil {
				os.Remove(f.Name())
				return nil, refuse(LayerAppArmor, "writing the runtime-default profile: %v %v", werr, cerr)
			}
			pl.AppArmorProfile, pl.AppArmorLoad, pl.appArmorTemp = runtimes.AppArmorProfile, f.Name(), true
			return nil, nil
		case policy.AppArmorLocalhost:
			pl.AppArmorProfile, pl.AppArmorLoad = a.Name, a.File
			return nil, nil
		}
		return nil, refuse(LayerAppArmor, "%sunknown profile kind %q", where(), a.Kind)
	}
	if !errors.Is(haveErr, features.ErrNotSupported) {
		return nil, &LayerError{Layer: LayerAppArmor, Err: haveErr}
	}
	if fallback != "landlock" {
		return nil, refuse(LayerAppArmor, "%scannot apply profile %s: %v (--lsm-fallback landlock lets Landlock enforce the profile's file rules instead)", where(), a, haveErr)
	}
	if a.Kind != policy.AppArmorLocalhost {
		return nil, refuse(LayerAppArmor, "%s%v, and the %s profile cannot be expressed with Landlock", where(), haveErr, a.Kind)
	}
	if a.File == "" {
		return nil, refuse(LayerAppArmor, "%s%v; to let Landlock stand in, rampart needs the profile's source (give a file, or --apparmor-dir)", where(), haveErr)
	}
	// The profile stands for one a node would load: what apparmor_parser
	// refuses never confines anything there, so Landlock must not stand
	// in for it here as if it did.
	var check apparmor.Checker
	perr := check.CheckFile(a.File)
	if v := check.Validation(); v.Note != "" {
		pl.Notes = append(pl.Notes, v.Note)
	}
	prof, err := apparmor.ProfileIn(a.File, a.Name)
	if err := apparmor.Refusal(err, perr); err != nil {
		return nil, &LayerError{Layer: LayerAppArmor, Err: err}
	}
	rules, err := prof.LandlockRules()
	if err != nil {
		return nil, refuse(LayerAppArmor, "%sLandlock cannot stand in for profile %s: %v", where(), prof.Name, err)
	}
	var desc []string
	for _, r := range rules {
		desc = append(desc, r.String())
	}
	pl.LandlockFor = "AppArmor profile " + prof.Name
	pl.Notes = append(pl.Notes, fmt.Sprintf("AppArmor is not in this kernel: profile %s is enforced by Landlock as %s", prof.Name, strings.Join(desc, " ")))
	return rules, nil
}

// Close releases what Prepare holds, for a plan that will not be run.
func (pl *Plan) Close() {
	if pl.appArmorTemp {
		os.Remove(pl.AppArmorLoad)
	}
	if pl.ruleset != nil {
		pl.ruleset.Close()
		pl.ruleset = nil
	}
}

// SeccompFilter is the filter the launch loads (nil without seccomp):
// its Program is what the kernel will run, or nil when it is compiled at
// launch (Why says why).
func (pl *Plan) SeccompFilter() *seccomp.Filter { return pl.filter }

// Describe lists the plan for humans, one layer per line.
func (pl *Plan) Describe() []string {
	var out []string
	if pl.Caps != nil {
		out = append(out, fmt.Sprintf("capabilities: bounding/effective/permitted = %s; ambient = %s (%s)", pl.Caps.Bounding, pl.Caps.Ambient, pl.Policy.Capabilities))
	} else {
		out = append(out, "capabilities: unchanged")
	}
	if pl.User != nil {
		out = append(out, fmt.Sprintf("user: %d:%d, supplementary groups cleared", pl.User.UID, pl.User.GID))
	}
	out = append(out, fmt.Sprintf("no_new_privs: %v", pl.NoNewPrivs))
	if pl.Seccomp != nil {
		byNumber := ""
		if n := len(pl.Seccomp.ByNumber); n > 0 {
			byNumber = fmt.Sprintf(" and %d installed by number", n)
		}
		out = append(out, fmt.Sprintf("seccomp: %s (default %s, %d rules%s, %d BPF instructions)", pl.Seccomp.Name, pl.Seccomp.Spec.DefaultAction, len(pl.Seccomp.Spec.Syscalls), byNumber, pl.filter.Len()))
	} else {
		out = append(out, "seccomp: none")
	}
	switch {
	case pl.AppArmorProfile != "":
		out = append(out, "lsm: AppArmor profile "+pl.AppArmorProfile)
	case pl.Landlock != nil:
		out = append(out, fmt.Sprintf("lsm: Landlock ABI %d+ for %s: handles %s; %d grants; scoped %s", pl.Landlock.ABI, pl.LandlockFor, pl.Landlock.Handled, len(pl.Landlock.Grants), pl.Landlock.Scoped))
	default:
		out = append(out, "lsm: none")
	}
	return out
}
