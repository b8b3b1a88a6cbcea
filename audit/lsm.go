package audit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rampart-sec/rampart/attack"
	"github.com/rampart-sec/rampart/lsm/apparmor"
	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/runtimes"
)

// aaEntry is an AppArmor profile parsed and compiled once.
type aaEntry struct {
	name, origin, how, note string
	// refused says why the node cannot load the profile, when
	// apparmor_parser refuses it.
	refused  string
	compiled *apparmor.Compiled
	memo     map[string]aaVerdict
}

type aaVerdict struct {
	denied bool
	why    string
}

var noLSM = &aaEntry{name: "none", how: "no confinement"}

func (a *Auditor) apparmor(ref *policy.AppArmor) *aaEntry {
	if !a.node.AppArmor {
		if ref == nil || ref.Kind == policy.AppArmorUnconfined {
			e := *noLSM
			if ref != nil {
				e.name, e.origin = "unconfined", ref.Origin
			}
			e.how = "no AppArmor on the node"
			return &e
		}
		// The pod is refused (see Container); the layer is absent.
		return &aaEntry{name: ref.String(), origin: ref.Origin, how: "not applied: the node has no AppArmor"}
	}
	if ref == nil || ref.Kind == policy.AppArmorRuntimeDefault {
		origin := "node default (--apparmor-node)"
		if ref != nil {
			origin = ref.Origin
		}
		if a.generic == nil {
			a.generic = &aaEntry{name: "runtime/default", how: "AppArmor evaluator on rampart's runtime-default profile", memo: map[string]aaVerdict{}}
			doc, err := apparmor.Generate(apparmor.Options{Name: runtimes.AppArmorProfile, ContainerDefault: true})
			if err == nil && len(doc.Profiles) > 0 {
				a.generic.compiled, err = apparmor.Compile(doc.Profiles[0], apparmor.BundledIncludes)
			}
			if err != nil {
				a.generic.how, a.generic.note = "not evaluated", "runtime-default AppArmor profile: "+err.Error()
			}
		}
		e := *a.generic
		e.origin = origin
		return &e
	}
	if ref.Kind == policy.AppArmorUnconfined {
		return &aaEntry{name: "unconfined", origin: ref.Origin, how: "no confinement"}
	}
	// Localhost.
	if ref.File == "" {
		return &aaEntry{name: ref.Name, origin: ref.Origin, how: "not evaluated",
			note: fmt.Sprintf("AppArmor profile %q: its source is not at hand (--profiles DIR): predicted as if it denied nothing", ref.Name)}
	}
	key := ref.File + "\x00" + ref.Name
	if e, ok := a.aa[key]; ok {
		c := *e
		c.origin = ref.Origin
		return &c
	}
	e := &aaEntry{name: ref.Name, how: "AppArmor evaluator (" + ref.File + ")", memo: map[string]aaVerdict{}}
	a.aa[key] = e
	// The node compiles the file with apparmor_parser before loading
	// it: a profile the parser refuses confines nothing, and the runtime
	// refuses to start a container that names a profile not loaded. Its
	// predictions stay those of no profile, and the audit says why.
	if err := a.aaCheck.CheckFile(ref.File); err != nil {
		if pe := (*apparmor.ParserError)(nil); errors.As(err, &pe) {
			if !a.aaFailed[ref.File] {
				a.aaFailed[ref.File] = true
				a.aaRefused = append(a.aaRefused, DocError{File: ref.File, Message: err.Error()})
			}
			e.how = "refused by apparmor_parser"
			e.refused = fmt.Sprintf("the node cannot load AppArmor profile %q (%s): apparmor_parser refuses it, and the runtime refuses a container whose profile is not loaded", ref.Name, ref.File)
			e.note = fmt.Sprintf("AppArmor profile %q: %v: predicted as if it denied nothing", ref.Name, err)
			c := *e
			c.origin = ref.Origin
			return &c
		}
	}
	prof, err := apparmor.ProfileIn(ref.File, ref.Name)
	if err == nil {
		e.compiled, err = apparmor.Compile(prof, apparmor.SystemIncludes)
	}
	if err != nil {
		e.how = "not evaluated"
		e.note = fmt.Sprintf("AppArmor profile %q: %v: predicted as if it denied nothing", ref.Name, err)
	}
	c := *e
	c.origin = ref.Origin
	return &c
}

// denies says whether the profile refuses every way in of the path's
// accesses (attack.LSMRefuses); key names accs for the memo (the path's
// ID, with the sockets a container reaches for runtime-socket). Mount,
// ptrace and unix-socket accesses are beyond the evaluator and count as
// allowed.
func (e *aaEntry) denies(key string, accs []attack.Access) (bool, string) {
	if v, ok := e.memo[key]; ok {
		return v.denied, v.why
	}
	var v aaVerdict
	v.why, v.denied = attack.LSMRefuses(accs, func(acc attack.Access) (string, bool) {
		q, ok := toAppArmor(acc)
		if !ok {
			return "", false
		}
		d, err := e.compiled.Eval(q)
		if err != nil || d.Allowed {
			return "", false
		}
		why := "AppArmor " + e.name + " denies " + q.String()
		if w := d.Where(); w != "" {
			why += " (" + w + ")"
		}
		return why, true
	})
	e.memo[key] = v
	return v.denied, v.why
}

func toAppArmor(a attack.Access) (apparmor.Access, bool) {
	var s string
	switch a.Kind {
	case attack.AccessFile:
		if a.Path == "" || a.Mode == "" || strings.ContainsAny(a.Path, "\"") {
			return apparmor.Access{}, false
		}
		s = fmt.Sprintf("%q %s", a.Path, a.Mode)
	case attack.AccessNetwork:
		s = strings.TrimSpace("network " + a.Family + " " + a.Type)
	case attack.AccessCapability:
		s = "capability " + a.Cap
	default:
		return apparmor.Access{}, false
	}
	q, err := apparmor.ParseAccess(s)
	return q, err == nil
}
