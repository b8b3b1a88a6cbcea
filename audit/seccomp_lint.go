package audit

import (
	"fmt"

	"github.com/rampart-sec/rampart/policy"
	"github.com/rampart-sec/rampart/seccomp"
	"github.com/rampart-sec/rampart/seccomp/lint"
)

// lintNotes are what `rampart seccomp lint` finds in a Localhost profile,
// as container notes: each error and warning with its place and fix (a
// deny that does not hold predicts a path the filter seems to close),
// the info findings counted. A runtime's own profile is left to the
// README's account of it.
func lintNotes(ref policy.Seccomp, prof *seccomp.Profile) []string {
	if ref.Kind != policy.SeccompFile || prof == nil {
		return nil
	}
	r := lint.Lint(lint.Target{Name: ref.Path, Profile: prof})
	var notes []string
	infos := 0
	for _, f := range r.Findings {
		if f.Severity == lint.Info {
			infos++
			continue
		}
		notes = append(notes, fmt.Sprintf("seccomp lint: %s: %s: %s [%s]; fix: %s", f.Position(r.Name), f.Severity, f.Message, f.Check, f.Fix))
	}
	if infos > 0 {
		notes = append(notes, fmt.Sprintf("seccomp lint: %d info finding(s) in %s: `rampart seccomp lint %s` lists them", infos, ref.Path, ref.Path))
	}
	return notes
}
